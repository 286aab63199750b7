// Package serial is the driver for RS-232 and USB-CDC barcode scanners,
// through github.com/tarm/serial, plus a simulator on a pty pair.
//
// It registers itself as scanner driver "serial". A scanner that is
// unplugged is reopened with backoff; its status goes disconnected →
// reconnecting → ok and reads resume without a restart.
package serial

import (
	"context"
	"fmt"
	"time"

	tarm "github.com/tarm/serial"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/scanner"
	"github.com/yizhan/yizhan/devices/serialport"
)

// Config is a serial scanner's configuration (see sample.json).
type Config struct {
	// Path of the port (COM3 on Windows). Prefer /dev/serial/by-id/...: it survives
	// replugging into another USB socket, /dev/ttyUSB0 does not.
	Path      string            `json:"path"`
	Baud      int               `json:"baud,omitempty"`      // default 9600
	DataBits  int               `json:"data_bits,omitempty"` // 5-8, default 8
	Parity    string            `json:"parity,omitempty"`    // none, even, odd; default none
	StopBits  int               `json:"stop_bits,omitempty"` // 1 or 2, default 1
	Framing   scanner.Framing   `json:"framing"`
	Reconnect scanner.Reconnect `json:"reconnect"`
}

func (c *Config) validate() (tarm.Config, error) {
	tc, err := c.settings().Config("serial scanner")
	if err != nil {
		return tc, err
	}
	// Keep the defaults visible to Check and the status page.
	c.Baud, c.DataBits = tc.Baud, int(tc.Size)
	if c.StopBits == 0 {
		c.StopBits = 1
	}
	if err := c.Framing.Validate(); err != nil {
		return tc, fmt.Errorf("serial scanner %s: %w", c.Path, err)
	}
	return tc, nil
}

func (c *Config) settings() serialport.Settings {
	return serialport.Settings{Path: c.Path, Baud: c.Baud, DataBits: c.DataBits, Parity: c.Parity, StopBits: c.StopBits}
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
		Diagnose: func(err error) devices.Advice { return scanner.DiagnoseDevice(cfg.Path, "dialout", err) },
	}
	return s, nil
}

func (s *Scanner) open() (scanner.Source, error) {
	return serialport.Open(s.tc, "scanner", scanner.ErrIdle)
}

// Check opens the port once and reports, without starting the scanner.
func (s *Scanner) Check(context.Context) devices.Status {
	st := devices.Status{Name: s.ID, Kind: "scanner", Driver: "serial", Since: time.Now()}
	src, err := s.open()
	if err != nil {
		st.State, st.LastErr = devices.StateDisconnected, err.Error()
		scanner.DiagnoseDevice(s.cfg.Path, "dialout", err).Set(&st)
		return st
	}
	src.Close()
	st.State = devices.StateOK
	st.Code, st.Params.Where = "scanner.port_open", s.cfg.Path
	st.Detail = fmt.Sprintf("串口已打开 %s, %d %d%s%d (port opens: %s at %d baud)", s.cfg.Path, s.cfg.Baud,
		s.cfg.DataBits, string(rune(s.tc.Parity)), s.cfg.StopBits, s.cfg.Path, s.cfg.Baud)
	return st
}
