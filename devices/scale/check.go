package scale

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/scanner"
	"github.com/yizhan/yizhan/devices/serialport"
)

// diagnose words an error for the clerk: a code for the screen, and the
// words as "中文 (English)".
func (s *Scale) diagnose(err error) devices.Advice {
	path := s.cfg.Path
	say := func(code, detail, fix string) devices.Advice {
		return devices.Advice{Code: code, Params: devices.Params{Where: path}, Detail: detail, Fix: fix}
	}
	var errno syscall.Errno
	errors.As(err, &errno)
	switch {
	case errors.Is(err, errSilent):
		return say("scale.silent", fmt.Sprintf("电子秤没有发送重量 %s (scale sends no weight on %s)", path, path),
			"确认电子秤已开机；核对波特率和协议设置 (check the scale is switched on and its baud rate and output protocol match the config)")
	case errors.Is(err, errGarbled):
		return say("scale.unreadable", fmt.Sprintf("电子秤数据无法识别 %s (unreadable data from the scale on %s)", path, path),
			"核对波特率、校验位和协议设置 (check baud rate, parity and protocol against the scale's own settings)")
	case errors.Is(err, os.ErrNotExist) || errno == syscall.ENOENT:
		return say("scale.not_found", fmt.Sprintf("找不到电子秤 %s (scale not found: %s does not exist)", path, path),
			"插好电子秤；或运行 yizhan-agent devices list 并改正配置中的端口 (plug the scale in; or run `yizhan-agent devices list` and fix the path in the config)")
	case errno == syscall.EIO || errno == syscall.ENODEV || errno == syscall.ENXIO || serialport.ErrorKind(err) == serialport.KindUnplugged:
		return say("scale.unplugged", fmt.Sprintf("电子秤已断开 %s (scale unplugged: %s)", path, path),
			"检查数据线并重新插好，系统会自动重连 (check the cable and plug it back in; it reconnects by itself)")
	case errors.Is(err, os.ErrPermission), errno == syscall.EACCES, errno == syscall.EPERM,
		errno == syscall.EBUSY, errno == syscall.ENOTTY, errno == syscall.EINVAL, serialport.ErrorKind(err) == serialport.KindBusy:
		// Wording shared with the scanners: nothing here is scale-specific.
		return scanner.DiagnoseDevice(path, "dialout", err)
	}
	return say("scale.unusable", fmt.Sprintf("无法使用电子秤 %s (cannot use scale %s: %v)", path, path, err),
		"检查电子秤和配置 (check the scale and its config)")
}

// Check opens the port once, without starting the scale, and listens (or
// asks, in request mode) until one good line arrives, Timeout passes or
// ctx ends. A port that opens but gives no weight is a fault.
func (s *Scale) Check(ctx context.Context) devices.Status {
	st := devices.Status{Name: s.name, Kind: "scale", Driver: Driver, Since: time.Now()}
	fail := func(state devices.State, err error) devices.Status {
		st.State, st.LastErr = state, err.Error()
		s.diagnose(err).Set(&st)
		return st
	}
	p, err := s.open()
	if err != nil {
		return fail(devices.StateDisconnected, err)
	}
	defer p.Close()
	if s.cfg.Protocol == ProtocolRequest {
		if _, err := p.Write([]byte(s.cfg.Request)); err != nil {
			return fail(devices.StateDisconnected, err)
		}
	}
	parser := Parser{Format: s.format}
	deadline := time.Now().Add(time.Duration(s.cfg.Timeout))
	buf := make([]byte, 256)
	bad := ""
	for ctx.Err() == nil && time.Now().Before(deadline) {
		n, err := p.Read(buf)
		for _, r := range parser.Feed(buf[:n]) {
			if r.Err != nil {
				bad = r.Line
				continue
			}
			st.State = devices.StateOK
			st.Code, st.Params = "scale.answers", devices.Params{Where: s.cfg.Path, Grams: r.Frame.Grams}
			st.Detail = fmt.Sprintf("电子秤正常 %s，读数 %d 克 (scale answers on %s: %d g)", s.cfg.Path, r.Frame.Grams, s.cfg.Path, r.Frame.Grams)
			if r.Frame.Overload {
				st.Code, st.Params.Grams = "scale.overload", 0
				st.Detail = fmt.Sprintf("电子秤正常 %s，超出量程 (scale answers on %s: overload)", s.cfg.Path, s.cfg.Path)
			}
			return st
		}
		if err != nil && !errors.Is(err, errIdle) {
			return fail(devices.StateDisconnected, err)
		}
	}
	if bad != "" {
		return fail(devices.StateFault, fmt.Errorf("%w on %s: %q", errGarbled, s.cfg.Path, bad))
	}
	return fail(devices.StateFault, fmt.Errorf("%w on %s", errSilent, s.cfg.Path))
}
