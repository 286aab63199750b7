//go:build !linux

package wedge

import (
	"fmt"
	"io"
)

// Keyboard-wedge scanners are read from the kernel's event devices, which
// exist on Linux only. On other systems such a scanner types into the
// focused window, the counter screen's scan field, and needs no driver.
type evdev struct{}

func (s *Scanner) open() (*evdev, error) {
	return nil, fmt.Errorf("open scanner %s: keyboard-wedge scanners are read from /dev/input on Linux only; on this system let the scanner type into the counter screen's scan field, or set it to serial (USB-CDC) mode and use the serial driver", s.cfg.Path)
}

func (*evdev) name() string             { return "" }
func (*evdev) Read([]byte) (int, error) { return 0, io.EOF }
func (*evdev) Close() error             { return nil }
