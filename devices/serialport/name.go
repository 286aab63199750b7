package serialport

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
)

// OpenName is the one place a configured port name becomes the name to
// open. On Windows an operator writes COM3, com3, \\.\COM10 or //./COM10
// (serial:///COM5 in a printer address gives /COM5): all are opened as
// \\.\COMn, the only form that reaches COM10 and above. Elsewhere a path is
// kept as written, and a COM name is refused with the path to use instead.
func OpenName(path string) (string, error) { return openName(runtime.GOOS, path) }

// ShowName is how a port is named to a person: COM10, not \\.\COM10.
func ShowName(path string) string {
	if n, ok := comNumber(path); ok {
		return "COM" + strconv.Itoa(n)
	}
	return path
}

func openName(goos, path string) (string, error) {
	path = strings.TrimSpace(path)
	n, isCOM := comNumber(path)
	if goos != "windows" {
		if isCOM {
			return "", fmt.Errorf("serial port %q is a Windows port name: on this system give the device path, e.g. /dev/ttyUSB0 or /dev/serial/by-id/... (yizhan-agent devices list shows them)", path)
		}
		return path, nil
	}
	switch {
	case isCOM:
		return `\\.\COM` + strconv.Itoa(n), nil
	case strings.HasPrefix(path, `\\.\`) && len(path) > len(`\\.\`):
		return path, nil // another device, e.g. a com0com pair's CNCA0
	case strings.HasPrefix(path, "/dev/"):
		return "", fmt.Errorf("serial port %q is a Linux device path: on Windows give the COM port, e.g. COM3 (yizhan-agent devices list shows them)", path)
	}
	return "", fmt.Errorf("serial port %q: give a COM port, e.g. COM3 or \\\\.\\COM10 (yizhan-agent devices list shows them)", path)
}

// comNumber reads COMn with or without the \\.\ device prefix (either
// slash), or with the one slash a URL path leaves: n is 1 to 256.
func comNumber(path string) (int, bool) {
	p := strings.TrimSpace(path)
	if strings.HasPrefix(p, `/\\.\`) { // serial:///\\.\COM12
		p = p[1:]
	}
	for _, pre := range []string{`\\.\`, `//./`, "/"} {
		if strings.HasPrefix(p, pre) {
			p = p[len(pre):]
			break
		}
	}
	if len(p) < 4 || !strings.EqualFold(p[:3], "COM") {
		return 0, false
	}
	digits := p[3:]
	if digits[0] == '0' || len(digits) > 3 {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || n > 256 || strconv.Itoa(n) != digits {
		return 0, false
	}
	return n, true
}
