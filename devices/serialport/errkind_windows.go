//go:build windows

package serialport

import (
	"errors"
	"syscall"
)

func errorKind(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return ""
	}
	return windowsCodeKind(uintptr(errno))
}
