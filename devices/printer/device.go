package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/yizhan/yizhan/devices"
)

// ErrSilent means a status query got no complete answer in time. A Zebra
// says nothing at all while media is out or the head is open, so silence is
// a fault to show the clerk, not a reason to assume the printer is gone.
var ErrSilent = errors.New("printer did not answer the status query")

// Query writes q on c and reads until parse accepts the answer or ctx ends.
// parse must return ErrIncomplete while the answer is still short.
func Query(ctx context.Context, c Conn, q []byte, parse func([]byte) (Report, error)) (Report, error) {
	if !c.Readable() {
		return Report{}, ErrNoStatusChannel
	}
	if _, err := c.Write(ctx, q); err != nil {
		return Report{}, fmt.Errorf("send status query: %w", err)
	}
	var buf []byte
	chunk := make([]byte, 256)
	for {
		n, err := c.Read(ctx, chunk)
		buf = append(buf, chunk[:n]...)
		if n > 0 {
			r, perr := parse(buf)
			if perr == nil {
				r.Raw = buf
				return r, nil
			}
			if !errors.Is(perr, ErrIncomplete) {
				return Report{Raw: buf}, perr
			}
			if len(buf) > 4096 { // a status answer is tens of bytes
				return Report{Raw: buf[:64]}, fmt.Errorf("status answer too long (%d bytes, no valid answer): %w", len(buf), ErrSilent)
			}
		}
		if err != nil {
			if errors.Is(err, ErrNoStatusChannel) {
				return Report{}, err
			}
			if errors.Is(err, io.EOF) || ctx.Err() != nil || isTimeout(err) {
				if len(buf) == 0 {
					return Report{}, ErrSilent
				}
				return Report{Raw: buf}, fmt.Errorf("%w (got %d bytes of a partial answer %q)", ErrSilent, len(buf), buf)
			}
			return Report{Raw: buf}, fmt.Errorf("read status answer: %w", err)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// Protocol is what a printer language adds to the shared device logic.
type Protocol struct {
	Lang  string
	Query []byte                       // the status query bytes
	Parse func([]byte) (Report, error) // ErrIncomplete until a whole answer is in
}

// Device drives one printer over one transport with one protocol. Language
// drivers embed it and add their templates.
type Device struct {
	cfg   Config
	tr    Transport
	proto Protocol
	log   *slog.Logger
	now   func() time.Time
}

// NewDevice opens the transport named in cfg.Address (it does not connect).
func NewDevice(cfg Config, proto Protocol, opts Options) (*Device, error) {
	tr, err := OpenTransport(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("printer %q: %w", cfg.Name, err)
	}
	return &Device{cfg: cfg, tr: tr, proto: proto, log: opts.logger().With("printer", cfg.Name), now: time.Now}, nil
}

// Config returns the printer's configuration with defaults applied.
func (d *Device) Config() Config { return d.cfg }

// Transport returns where the bytes go.
func (d *Device) Transport() Transport { return d.tr }

// Status asks the printer for its state.
func (d *Device) Status(ctx context.Context) Report {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.StatusTimeout())
	defer cancel()
	c, err := d.tr.Dial(ctx)
	if err != nil {
		return Report{Conditions: []Condition{Offline}, Err: fmt.Errorf("connect to %s: %w", d.tr, err), At: d.now()}
	}
	defer c.Close()
	r, err := Query(ctx, c, d.proto.Query, d.proto.Parse)
	r.At = d.now()
	switch {
	case err == nil:
	case errors.Is(err, ErrNoStatusChannel):
		r.Conditions = []Condition{Unknown}
	case errors.Is(err, ErrSilent):
		r.Conditions, r.Err = []Condition{Silent}, fmt.Errorf("%s: %w", d.tr, err)
	default:
		r.Conditions, r.Err = []Condition{Offline}, fmt.Errorf("%s: %w", d.tr, err)
	}
	if len(r.Conditions) == 0 {
		r.Conditions = []Condition{OK}
	}
	return r
}

// PrintError says how far a job got before it failed. Written == 0 means no
// byte left us and the job may be sent again; otherwise the printer may have
// printed some or all of it and only a person can tell.
type PrintError struct {
	Addr    string
	Written int
	Total   int
	Err     error
}

func (e *PrintError) Error() string {
	if e.Written == 0 {
		return fmt.Sprintf("print to %s: nothing sent: %v", e.Addr, e.Err)
	}
	return fmt.Sprintf("print to %s: %d of %d bytes sent, label may or may not have printed: %v", e.Addr, e.Written, e.Total, e.Err)
}

func (e *PrintError) Unwrap() error { return e.Err }

// Resendable reports whether a failed Print certainly printed nothing.
func Resendable(err error) bool {
	var pe *PrintError
	return errors.As(err, &pe) && pe.Written == 0
}

// Print sends one job on its own connection. Unless NoReceiptCheck is set it
// then sends a status query on the same connection: the printer handles input
// in order, so an answer proves it took every byte of the job.
func (d *Device) Print(ctx context.Context, data []byte) error {
	c, err := d.tr.Dial(ctx)
	if err != nil {
		return &PrintError{Addr: d.tr.String(), Total: len(data), Err: err}
	}
	n, err := c.Write(ctx, data)
	if err != nil {
		c.Close()
		return &PrintError{Addr: d.tr.String(), Written: n, Total: len(data), Err: err}
	}
	if !d.cfg.NoReceiptCheck {
		qctx, cancel := context.WithTimeout(ctx, d.cfg.StatusTimeout())
		_, err = Query(qctx, c, d.proto.Query, d.proto.Parse)
		cancel()
		if err != nil && !errors.Is(err, ErrNoStatusChannel) {
			c.Close()
			return &PrintError{Addr: d.tr.String(), Written: n, Total: len(data), Err: fmt.Errorf("printer did not confirm receipt: %w", err)}
		}
	}
	if err := c.Close(); err != nil {
		return &PrintError{Addr: d.tr.String(), Written: n, Total: len(data), Err: fmt.Errorf("close: %w", err)}
	}
	d.log.Debug("job sent", "bytes", n, "to", d.tr.String())
	return nil
}

// Diagnose explains a connection error in the clerk's terms with the fix.
func Diagnose(err error) (devices.Advice, bool) {
	msg := err.Error()
	dev := ""
	var pe *os.PathError
	if errors.As(err, &pe) {
		dev = pe.Path
	}
	addr := dev
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Addr != nil {
		addr = oe.Addr.String()
	}
	group := "lp"
	if strings.Contains(dev, "tty") {
		group = "dialout"
	}
	say := func(code, detail, fix string) (devices.Advice, bool) {
		return devices.Advice{Code: code, Params: devices.Params{Where: addr, Group: group}, Detail: detail, Fix: fix}, true
	}
	switch {
	case errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EPERM):
		return say("printer.permission", fmt.Sprintf("没有权限打开打印机 / permission denied on %s", dev),
			fmt.Sprintf("把服务用户加入 %s 组后重启服务 / add the service user to group %s (usermod -aG %s USER) and restart the service", group, group, group))
	case errors.Is(err, syscall.ENOENT):
		return say("printer.not_found", fmt.Sprintf("找不到打印机设备 / %s not found", dev),
			"检查USB线和打印机电源；插好后设备会自动出现 / check the USB cable and printer power; the device appears when it is plugged in")
	case errors.Is(err, syscall.EBUSY):
		return say("printer.busy", fmt.Sprintf("打印机被其他程序占用 / %s is busy", dev),
			"关闭占用打印机的程序（如CUPS） / stop the other program using it (for example CUPS)")
	case errors.Is(err, syscall.ECONNREFUSED):
		return say("printer.refused", "打印机拒绝连接 / printer refused the connection ("+msg+")",
			"确认打印机已开机、IP地址正确、9100端口已启用 / check the printer is on, the IP address is right and raw port 9100 is enabled")
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return say("printer.unreachable", "网络不通 / no route to the printer ("+msg+")",
			"检查网线和打印机IP地址 / check the network cable and the printer's IP address")
	case errors.Is(err, ErrSilent):
		return Silent.Advice(), true
	case isTimeout(err) || errors.Is(err, context.DeadlineExceeded):
		return say("printer.timeout", "连接打印机超时 / timed out connecting to the printer ("+msg+")",
			"检查打印机电源、网线和IP地址 / check printer power, cable and IP address")
	}
	return devices.Advice{}, false
}
