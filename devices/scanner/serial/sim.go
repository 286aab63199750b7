package serial

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/yizhan/yizhan/devices/scanner"
	"github.com/yizhan/yizhan/devices/serialport"
)

// Rate paces a simulator: the gap between codes and between bytes.
type Rate struct {
	Interval time.Duration // between codes
	ByteGap  time.Duration // between bytes of one code (the wire speed)
}

var (
	// HumanRate is a clerk scanning parcels by hand on a 9600-baud scanner.
	HumanRate = Rate{Interval: 1500 * time.Millisecond, ByteGap: time.Second / 960}
	// LineRate is a fixed-mount scanner on a sorting line: 20 codes a
	// second at 115200 baud.
	LineRate = Rate{Interval: 50 * time.Millisecond, ByteGap: time.Second / 11520}
)

// Simulator is a serial scanner on a pty pair. The driver opens Link, a
// symlink to the pty's terminal side, exactly as it would open
// /dev/serial/by-id/...; the simulator writes framed codes to the other
// side. Unplug closes the pty (the driver sees EIO and the path vanishes);
// Replug makes a new one behind the same Link.
type Simulator struct {
	Link    string
	Framing scanner.Framing

	mu     sync.Mutex
	master *os.File
	tty    *os.File
}

// NewSimulator creates a plugged-in simulator at link.
func NewSimulator(link string, f scanner.Framing) (*Simulator, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	s := &Simulator{Link: link, Framing: f}
	return s, s.Replug()
}

// Replug makes a fresh pty pair and points Link at it.
func (s *Simulator) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.master != nil {
		return errors.New("scanner simulator: already plugged in")
	}
	master, tty, err := serialport.OpenPty(s.Link, "scanner simulator")
	if err != nil {
		return err
	}
	s.master, s.tty = master, tty
	return nil
}

// Unplug closes the pty and removes Link, as pulling the cable does.
func (s *Simulator) Unplug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.master == nil {
		return nil
	}
	os.Remove(s.Link)
	err := errors.Join(s.master.Close(), s.tty.Close())
	s.master, s.tty = nil, nil
	return err
}

// Close unplugs the simulator for good.
func (s *Simulator) Close() error { return s.Unplug() }

// Plugged reports whether the simulator is plugged in.
func (s *Simulator) Plugged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.master != nil
}

// WriteRaw sends bytes as they are: garbage, half frames.
func (s *Simulator) WriteRaw(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.master == nil {
		return fmt.Errorf("scanner simulator %s: unplugged", s.Link)
	}
	_, err := s.master.Write(b)
	return err
}

// Scan sends one code with the simulator's framing, in one write. aim is
// the AIM identifier to prefix when Framing.AIM is set (e.g. "]C1").
func (s *Simulator) Scan(aim, code string) error {
	return s.WriteRaw(scanner.Encode(s.Framing, aim, code))
}

// Run sends codes (each "AIM|code" or just "code") at rate until done or
// ctx ends, byte by byte at rate.ByteGap as a real UART would.
func (s *Simulator) Run(ctx context.Context, codes []string, rate Rate) error {
	for i, c := range codes {
		if i > 0 && !sleep(ctx, rate.Interval) {
			return ctx.Err()
		}
		aim, code := splitAIM(c)
		frame := scanner.Encode(s.Framing, aim, code)
		if rate.ByteGap <= 0 {
			if err := s.WriteRaw(frame); err != nil {
				return err
			}
			continue
		}
		for j := range frame {
			if err := s.WriteRaw(frame[j : j+1]); err != nil {
				return err
			}
			if !sleep(ctx, rate.ByteGap) {
				return ctx.Err()
			}
		}
	}
	return nil
}

func splitAIM(c string) (aim, code string) {
	if len(c) > 4 && c[0] == ']' && c[3] == '|' {
		return c[:3], c[4:]
	}
	return "", c
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
