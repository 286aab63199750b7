// Package serialport is what every serial device driver shares: line
// settings from config turned into a tarm/serial config, a port whose reads
// never block forever and say "no data yet" apart from "unplugged", and a
// pty pair behind a stable path for simulators.
//
// tarm/serial on Linux (see FIELD-NOTES): ReadTimeout 0 blocks forever, even
// Close; a read timeout returns (0, io.EOF), which is not end of file; an
// unplugged device gives EIO and its path disappears.
//
// On Windows (compiled and vetted here, not run): a read timeout returns
// (0, nil), a port is named COM3 and opened as \\.\COM3 (OpenName), and
// the ports present are the registry's SERIALCOMM list (ComPorts). The pty
// simulators are Linux only.
package serialport

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	tarm "github.com/tarm/serial"
)

// ReadTimeout is VTIME: a read returns after this much silence, so a
// driver's loop can notice Stop, idle lines and silence. tarm/serial has
// 100 ms steps.
const ReadTimeout = 100 * time.Millisecond

// Settings are a serial line's settings as config files give them.
type Settings struct {
	Path     string
	Baud     int    // default 9600
	DataBits int    // default 8; 5–8
	Parity   string // none, even, odd (or n, e, o); default none
	StopBits int    // 1 or 2; default 1
}

// Config fills the defaults and returns the tarm/serial config. device
// names the device in errors ("serial scanner", "serial scale").
func (s Settings) Config(device string) (tarm.Config, error) {
	if s.Path == "" {
		return tarm.Config{}, fmt.Errorf("%s: path is empty: set it to the port, e.g. /dev/ttyUSB0", device)
	}
	if s.Baud == 0 {
		s.Baud = 9600
	}
	if s.DataBits == 0 {
		s.DataBits = 8
	}
	if s.StopBits == 0 {
		s.StopBits = 1
	}
	name, err := OpenName(s.Path)
	if err != nil {
		return tarm.Config{}, fmt.Errorf("%s: %w", device, err)
	}
	tc := tarm.Config{Name: name, Baud: s.Baud, ReadTimeout: ReadTimeout, Size: byte(s.DataBits)}
	switch strings.ToLower(s.Parity) {
	case "", "none", "n":
		tc.Parity = tarm.ParityNone
	case "even", "e":
		tc.Parity = tarm.ParityEven
	case "odd", "o":
		tc.Parity = tarm.ParityOdd
	default:
		return tc, fmt.Errorf("%s %s: parity %q: use none, even or odd", device, s.Path, s.Parity)
	}
	switch s.StopBits {
	case 1:
		tc.StopBits = tarm.Stop1
	case 2:
		tc.StopBits = tarm.Stop2
	default:
		return tc, fmt.Errorf("%s %s: stop_bits %d: use 1 or 2", device, s.Path, s.StopBits)
	}
	if s.DataBits < 5 || s.DataBits > 8 {
		return tc, fmt.Errorf("%s %s: data_bits %d: use 5 to 8", device, s.Path, s.DataBits)
	}
	return tc, nil
}

// Port is an open serial port.
type Port struct {
	p      *tarm.Port
	name   string // as opened
	path   string // as shown
	device string
	idle   error
	quick  int  // reads that returned "no data" at once: a hung-up line
	watch  bool // the port was present when opened, so its going away means unplugged
}

// Open opens the port. Reads that time out return idle (the caller's "no
// data yet" sentinel); reads from an unplugged device return an error.
func Open(tc tarm.Config, device string, idle error) (*Port, error) {
	p, err := tarm.OpenPort(&tc)
	if err != nil {
		return nil, fmt.Errorf("open %s %s: %w", device, ShowName(tc.Name), err)
	}
	// A port that opens but is not listed (a virtual port outside
	// Windows' registry list) is not watched: it would seem gone at once.
	watch := present(tc.Name) == nil
	return &Port{p: p, name: tc.Name, path: ShowName(tc.Name), device: device, idle: idle, watch: watch}, nil
}

// Read turns tarm/serial's (0, io.EOF) read timeout into the idle error. A
// USB adapter that is unplugged may instead return (0, EOF) at once,
// forever; several such instant returns, or the port vanishing (present),
// mean the device is gone.
func (p *Port) Read(b []byte) (int, error) {
	start := time.Now()
	n, err := p.p.Read(b)
	if n > 0 {
		p.quick = 0
		return n, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		if time.Since(start) < ReadTimeout/10 {
			p.quick++
		} else {
			p.quick = 0
		}
		if p.quick >= 5 {
			return 0, fmt.Errorf("read %s %s: line hung up: %w", p.device, p.path, syscall.EIO)
		}
		if p.watch {
			if serr := present(p.name); serr != nil {
				return 0, fmt.Errorf("read %s %s: %w", p.device, p.path, serr)
			}
		}
		return 0, p.idle
	}
	return 0, fmt.Errorf("read %s %s: %w", p.device, p.path, err)
}

// Write sends b.
func (p *Port) Write(b []byte) (int, error) {
	n, err := p.p.Write(b)
	if err != nil {
		return n, fmt.Errorf("write %s %s: %w", p.device, p.path, err)
	}
	return n, nil
}

// Close closes the port.
func (p *Port) Close() error { return p.p.Close() }
