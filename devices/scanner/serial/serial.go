// Package serial is the driver for RS-232 and USB-CDC barcode scanners,
// through github.com/tarm/serial, plus a simulator on a pty pair.
//
// It registers itself as scanner driver "serial". A scanner that is
// unplugged is reopened with backoff; its status goes disconnected →
// reconnecting → ok and reads resume without a restart.
package serial

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	tarm "github.com/tarm/serial"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/scanner"
)

// Config is a serial scanner's configuration (see sample.json).
type Config struct {
	// Path of the port. Prefer /dev/serial/by-id/...: it survives
	// replugging into another USB socket, /dev/ttyUSB0 does not.
	Path      string            `json:"path"`
	Baud      int               `json:"baud,omitempty"`      // default 9600
	DataBits  int               `json:"data_bits,omitempty"` // 5-8, default 8
	Parity    string            `json:"parity,omitempty"`    // none, even, odd; default none
	StopBits  int               `json:"stop_bits,omitempty"` // 1 or 2, default 1
	Framing   scanner.Framing   `json:"framing"`
	Reconnect scanner.Reconnect `json:"reconnect"`
}

// readTimeout is VTIME: a read returns after this much silence, so the
// loop can notice Stop and idle lines. tarm/serial has 100 ms steps.
const readTimeout = 100 * time.Millisecond

func (c *Config) validate() (tarm.Config, error) {
	if c.Path == "" {
		return tarm.Config{}, errors.New("serial scanner: path is empty: set it to the port, e.g. /dev/ttyUSB0")
	}
	if c.Baud == 0 {
		c.Baud = 9600
	}
	if c.DataBits == 0 {
		c.DataBits = 8
	}
	if c.StopBits == 0 {
		c.StopBits = 1
	}
	tc := tarm.Config{Name: c.Path, Baud: c.Baud, ReadTimeout: readTimeout, Size: byte(c.DataBits)}
	switch strings.ToLower(c.Parity) {
	case "", "none", "n":
		tc.Parity = tarm.ParityNone
	case "even", "e":
		tc.Parity = tarm.ParityEven
	case "odd", "o":
		tc.Parity = tarm.ParityOdd
	default:
		return tc, fmt.Errorf("serial scanner %s: parity %q: use none, even or odd", c.Path, c.Parity)
	}
	switch c.StopBits {
	case 1:
		tc.StopBits = tarm.Stop1
	case 2:
		tc.StopBits = tarm.Stop2
	default:
		return tc, fmt.Errorf("serial scanner %s: stop_bits %d: use 1 or 2", c.Path, c.StopBits)
	}
	if c.DataBits < 5 || c.DataBits > 8 {
		return tc, fmt.Errorf("serial scanner %s: data_bits %d: use 5 to 8", c.Path, c.DataBits)
	}
	if err := c.Framing.Validate(); err != nil {
		return tc, fmt.Errorf("serial scanner %s: %w", c.Path, err)
	}
	return tc, nil
}

// Scanner is a serial barcode scanner. Start, Stop and Status come from
// the embedded Runner.
type Scanner struct {
	*scanner.Runner
	cfg Config
	tc  tarm.Config
}

var (
	_ scanner.Scanner = (*Scanner)(nil)
	_ scanner.Checker = (*Scanner)(nil)
)

func init() {
	scanner.AddJSON("serial", func(name string, c Config, opts scanner.Options) (scanner.Scanner, error) {
		return New(name, c, opts)
	})
}

// New returns a serial scanner; call Start to begin reading.
func New(name string, cfg Config, opts scanner.Options) (*Scanner, error) {
	tc, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	s := &Scanner{cfg: cfg, tc: tc}
	s.Runner = &scanner.Runner{
		ID: name, Driver: "serial", Options: opts, Reconnect: cfg.Reconnect,
		Idle: time.Duration(cfg.Framing.Idle),
		Open: func(context.Context) (scanner.Source, error) { return s.open() },
		NewDecoder: func() scanner.Decoder {
			f, _ := scanner.NewFramer(cfg.Framing) // validated above
			return f
		},
		Diagnose: func(err error) (string, string) { return scanner.DiagnoseDevice(cfg.Path, "dialout", err) },
	}
	return s, nil
}

func (s *Scanner) open() (scanner.Source, error) {
	tc := s.tc
	p, err := tarm.OpenPort(&tc)
	if err != nil {
		return nil, fmt.Errorf("open scanner %s: %w", s.cfg.Path, err)
	}
	return &port{p: p, path: s.cfg.Path}, nil
}

// Check opens the port once and reports, without starting the scanner.
func (s *Scanner) Check(context.Context) devices.Status {
	st := devices.Status{Name: s.ID, Kind: "scanner", Driver: "serial", Since: time.Now()}
	src, err := s.open()
	if err != nil {
		st.State, st.LastErr = devices.StateDisconnected, err.Error()
		st.Detail, st.Fix = scanner.DiagnoseDevice(s.cfg.Path, "dialout", err)
		return st
	}
	src.Close()
	st.State = devices.StateOK
	st.Detail = fmt.Sprintf("串口已打开 %s, %d %d%s%d (port opens: %s at %d baud)", s.cfg.Path, s.cfg.Baud,
		s.cfg.DataBits, string(rune(s.tc.Parity)), s.cfg.StopBits, s.cfg.Path, s.cfg.Baud)
	return st
}

// port adapts tarm/serial to scanner.Source.
type port struct {
	p     *tarm.Port
	path  string
	quick int // reads that returned "no data" at once: a hung-up line
}

// Read turns tarm/serial's (0, io.EOF) read timeout into scanner.ErrIdle.
// A USB adapter that is unplugged may instead return (0, EOF) at once,
// forever; several such instant returns, or the path vanishing, mean the
// device is gone.
func (p *port) Read(b []byte) (int, error) {
	start := time.Now()
	n, err := p.p.Read(b)
	if n > 0 {
		p.quick = 0
		return n, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		if time.Since(start) < readTimeout/10 {
			p.quick++
		} else {
			p.quick = 0
		}
		if p.quick >= 5 {
			return 0, fmt.Errorf("read scanner %s: line hung up: %w", p.path, syscall.EIO)
		}
		if _, serr := os.Stat(p.path); serr != nil {
			return 0, fmt.Errorf("read scanner %s: %w", p.path, serr)
		}
		return 0, scanner.ErrIdle
	}
	return 0, fmt.Errorf("read scanner %s: %w", p.path, err)
}

func (p *port) Close() error { return p.p.Close() }
