//go:build linux

package wedge

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/yizhan/yizhan/devices/scanner"
)

const poll = 100 * time.Millisecond

// ioctl numbers from linux/input.h: EVIOCGRAB = _IOW('E', 0x90, int),
// EVIOCGNAME(len) = _IOC(_IOC_READ, 'E', 0x06, len).
const (
	eviocgrab = 0x40044590
	iocRead   = 2
)

func eviocgname(n int) uint { return uint(iocRead<<30 | n<<16 | 'E'<<8 | 0x06) }

func (s *Scanner) open() (*evdev, error) {
	// O_NONBLOCK makes the file pollable, so reads honour deadlines.
	f, err := os.OpenFile(s.cfg.Path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open scanner %s: %w", s.cfg.Path, err)
	}
	d := &evdev{f: f, path: s.cfg.Path}
	if s.grab() {
		if err := d.control(func(fd uintptr) error { return unix.IoctlSetInt(int(fd), eviocgrab, 1) }); err != nil {
			f.Close()
			return nil, fmt.Errorf("grab scanner %s (EVIOCGRAB): %w", s.cfg.Path, err)
		}
	}
	return d, nil
}

// evdev is an open event device.
type evdev struct {
	f    *os.File
	path string
}

func (d *evdev) control(fn func(fd uintptr) error) error {
	rc, err := d.f.SyscallConn()
	if err != nil {
		return err
	}
	var ierr error
	if err := rc.Control(func(fd uintptr) { ierr = fn(fd) }); err != nil {
		return err
	}
	return ierr
}

// name is the device's name from EVIOCGNAME, quoted, or "".
func (d *evdev) name() string {
	buf := make([]byte, 256)
	var n uintptr
	err := d.control(func(fd uintptr) error {
		r, _, errno := unix.Syscall(unix.SYS_IOCTL, fd, uintptr(eviocgname(len(buf))), uintptr(unsafe.Pointer(&buf[0])))
		if errno != 0 {
			return errno
		}
		n = r
		return nil
	})
	if err != nil || n == 0 {
		return ""
	}
	return fmt.Sprintf("%q", strings.TrimRight(string(buf[:n]), "\x00"))
}

// Read waits at most poll. An unplugged device gives ENODEV; a pipe whose
// writer went away gives end of file: both mean the scanner is gone.
func (d *evdev) Read(b []byte) (int, error) {
	d.f.SetReadDeadline(time.Now().Add(poll))
	n, err := d.f.Read(b)
	if n > 0 {
		return n, nil
	}
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, scanner.ErrIdle
	case errors.Is(err, io.EOF):
		return 0, fmt.Errorf("read scanner %s: device closed: %w", d.path, syscall.ENODEV)
	case err == nil:
		return 0, scanner.ErrIdle
	}
	return 0, fmt.Errorf("read scanner %s: %w", d.path, err)
}

// Close releases the grab with the file.
func (d *evdev) Close() error { return d.f.Close() }
