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
	"syscall"
	"time"

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
