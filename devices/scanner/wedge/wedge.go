// Package wedge is the driver for keyboard-wedge (USB HID) barcode
// scanners on Linux. It reads key events from /dev/input/eventN through
// golang.org/x/sys/unix and grabs the device (EVIOCGRAB) so that scans do
// not also type into whatever window has focus.
//
// The key decoder (KeyDecoder: input_event bytes → text) is separate from
// the device opener, so it is tested from byte streams; Encoder and
// Simulator produce those streams. It registers itself as scanner driver
// "wedge".
package wedge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/scanner"
)

// Config is a wedge scanner's configuration (see sample.json).
type Config struct {
	// Path of the event device. Prefer /dev/input/by-id/...-event-kbd: the
	// eventN number changes between boots and replugs.
	Path string `json:"path"`
	DecoderConfig
	// Grab takes the device for this program alone (default true). Off
	// only for the simulator's pipe, or to watch a scanner type elsewhere.
	Grab      *bool             `json:"grab,omitempty"`
	Idle      scanner.Duration  `json:"idle,omitempty"` // default scanner.DefaultIdle
	Reconnect scanner.Reconnect `json:"reconnect"`
}

const poll = 100 * time.Millisecond

// ioctl numbers from linux/input.h: EVIOCGRAB = _IOW('E', 0x90, int),
// EVIOCGNAME(len) = _IOC(_IOC_READ, 'E', 0x06, len).
const (
	eviocgrab = 0x40044590
	iocRead   = 2
)

func eviocgname(n int) uint { return uint(iocRead<<30 | n<<16 | 'E'<<8 | 0x06) }

// Scanner is a keyboard-wedge scanner. Start, Stop and Status come from
// the embedded Runner.
type Scanner struct {
	*scanner.Runner
	cfg Config
}

var (
	_ scanner.Scanner = (*Scanner)(nil)
	_ scanner.Checker = (*Scanner)(nil)
)

func init() {
	scanner.AddJSON("wedge", func(name string, c Config, opts scanner.Options) (scanner.Scanner, error) {
		return New(name, c, opts)
	})
}

// New returns a wedge scanner; call Start to begin reading.
func New(name string, cfg Config, opts scanner.Options) (*Scanner, error) {
	if cfg.Path == "" {
		return nil, fmt.Errorf("wedge scanner %s: path is empty: set it to the event device, e.g. /dev/input/by-id/usb-...-event-kbd", name)
	}
	if _, err := NewKeyDecoder(cfg.DecoderConfig); err != nil {
		return nil, fmt.Errorf("wedge scanner %s: %w", name, err)
	}
	s := &Scanner{cfg: cfg}
	s.Runner = &scanner.Runner{
		ID: name, Driver: "wedge", Options: opts, Reconnect: cfg.Reconnect,
		Idle: time.Duration(cfg.Idle),
		Open: func(context.Context) (scanner.Source, error) {
			d, err := s.open()
			if err != nil {
				return nil, err
			}
			return d, nil
		},
		NewDecoder: func() scanner.Decoder {
			d, _ := NewKeyDecoder(cfg.DecoderConfig) // validated above
			return d
		},
		Diagnose: func(err error) devices.Advice { return scanner.DiagnoseDevice(cfg.Path, "input", err) },
	}
	return s, nil
}

func (s *Scanner) grab() bool { return s.cfg.Grab == nil || *s.cfg.Grab }

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

// Check opens (and grabs) the device once and reports, without starting.
func (s *Scanner) Check(context.Context) devices.Status {
	st := devices.Status{Name: s.ID, Kind: "scanner", Driver: "wedge", Since: time.Now()}
	d, err := s.open()
	if err != nil {
		st.State, st.LastErr = devices.StateDisconnected, err.Error()
		scanner.DiagnoseDevice(s.cfg.Path, "input", err).Set(&st)
		if errors.Is(err, syscall.EBUSY) {
			st.Code = "scanner.grabbed"
			st.Fix = "另一个程序已独占该扫描枪，关闭它 (another program has grabbed the scanner: stop it, e.g. a second agent)"
		}
		return st
	}
	defer d.Close()
	name := d.name()
	st.State = devices.StateOK
	st.Code, st.Params.Where = "scanner.ready", s.cfg.Path
	st.Detail = fmt.Sprintf("扫描枪已就绪 %s %s (scanner ready: %s %s)", s.cfg.Path, name, s.cfg.Path, name)
	return st
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
