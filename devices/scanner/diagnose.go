package scanner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/serialport"
)

// DiagnoseDevice words an error opening or reading a device file for the
// clerk: a code for the screen, and the words as "中文 (English)". group is
// the Unix group that grants access: "dialout" for serial ports, "input" for
// keyboard-wedge scanners.
func DiagnoseDevice(path, group string, err error) devices.Advice {
	say := func(code, detail, fix string) devices.Advice {
		return devices.Advice{Code: code, Params: devices.Params{Where: path, Group: group}, Detail: detail, Fix: fix}
	}
	var errno syscall.Errno
	errors.As(err, &errno)
	kind := serialport.ErrorKind(err) // Windows: access denied is a port another program holds
	switch {
	case kind == serialport.KindBusy:
		return say("scanner.busy", fmt.Sprintf("%s 被其他程序占用 (port busy: another program holds %s)", path, path),
			"关闭占用它的程序，如串口调试工具或扫描枪厂商的软件 (close the other program, e.g. a serial terminal or the scanner maker's tool)")
	case kind == serialport.KindUnplugged:
		return say("scanner.unplugged", fmt.Sprintf("扫描枪已断开 %s (scanner unplugged: %s)", path, path),
			"检查数据线并重新插好，系统会自动重连 (check the cable and plug it back in; it reconnects by itself)")
	case errors.Is(err, os.ErrNotExist) || errno == syscall.ENOENT:
		return say("scanner.not_found", fmt.Sprintf("找不到扫描枪 %s (scanner not found: %s does not exist)", path, path),
			"插好扫描枪；或运行 yizhan-agent devices list 并改正配置中的端口 (plug the scanner in; or run `yizhan-agent devices list` and fix the path in the config)")
	case errors.Is(err, os.ErrPermission) || errno == syscall.EACCES || errno == syscall.EPERM:
		return say("scanner.permission", fmt.Sprintf("没有权限打开 %s (permission denied on %s)", path, path),
			fmt.Sprintf("把服务用户加入 %s 组后重启服务 (add the service user to group %s: sudo usermod -aG %s <user>, then restart the service)", group, group, group))
	case errno == syscall.EBUSY:
		return say("scanner.busy", fmt.Sprintf("%s 被其他程序占用 (device busy: another program holds %s)", path, path),
			"关闭占用它的程序，如串口终端或 ModemManager (close the other program, e.g. a serial terminal or ModemManager)")
	case errno == syscall.EIO || errno == syscall.ENODEV || errno == syscall.ENXIO:
		return say("scanner.unplugged", fmt.Sprintf("扫描枪已断开 %s (scanner unplugged: %s)", path, path),
			"检查数据线并重新插好，系统会自动重连 (check the cable and plug it back in; it reconnects by itself)")
	case errno == syscall.ENOTTY || errno == syscall.EINVAL:
		return say("scanner.not_device", fmt.Sprintf("%s 不是串口或输入设备 (%s is not a serial port or input device)", path, path),
			"运行 yizhan-agent devices list 并改正配置中的路径 (run `yizhan-agent devices list` and fix the path in the config)")
	}
	return say("scanner.unusable", fmt.Sprintf("无法使用扫描枪 %s (cannot use scanner %s: %v)", path, path, err),
		"检查扫描枪和配置 (check the scanner and its config)")
}

// DiagnoseNetwork words an error connecting to or reading from a network
// scanner at addr: a code for the screen, and the words as "中文 (English)".
func DiagnoseNetwork(addr string, err error) devices.Advice {
	say := func(code, detail, fix string) devices.Advice {
		return devices.Advice{Code: code, Params: devices.Params{Where: addr}, Detail: detail, Fix: fix}
	}
	var dnsErr *net.DNSError
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return say("scanner.refused", fmt.Sprintf("扫描器拒绝连接 %s (connection refused by %s)", addr, addr),
			"确认扫描器已开机，并检查其 IP 和 TCP 端口设置 (check the scanner is powered on and its IP address and TCP server port match the config)")
	case errors.As(err, &dnsErr):
		return say("scanner.host_unknown", fmt.Sprintf("找不到主机 %s (host not found: %s)", addr, addr),
			"检查配置中的地址 (check the address in the config)")
	case errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return say("scanner.unreachable", fmt.Sprintf("网络不通 %s (network unreachable: %s)", addr, addr),
			"检查网线和交换机 (check the network cable and switch)")
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return say("scanner.timeout", fmt.Sprintf("连接扫描器超时 %s (timed out connecting to %s)", addr, addr),
			"确认扫描器已开机并接入网络 (check the scanner is powered on and on the network)")
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, errEOF):
		return say("scanner.closed", fmt.Sprintf("扫描器断开了连接 %s (scanner closed the connection: %s)", addr, addr),
			"通常会自动重连；如反复出现请检查扫描器 (it reconnects by itself; if this repeats, check the scanner)")
	}
	return say("scanner.cannot_connect", fmt.Sprintf("无法连接扫描器 %s (cannot connect to scanner %s: %v)", addr, addr, err),
		"检查扫描器和配置 (check the scanner and its config)")
}
