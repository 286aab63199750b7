package scale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v4"
	tarm "github.com/tarm/serial"

	"github.com/yizhan/yizhan/devices"
)

// errIdle is a read that timed out: the port is there, nothing came.
var errIdle = errors.New("no data yet")

// Errors behind a fault status; diagnose words them for the clerk.
var (
	errSilent  = errors.New("no weight from the scale")
	errGarbled = errors.New("unreadable data from the scale")
)

// run opens the port, reads until it fails, and reopens it with
// exponential backoff, reporting disconnected → reconnecting → ok.
func (s *Scale) run(ctx context.Context) {
	defer close(s.done)
	log := s.opts.Logger.With("scale", s.name, "driver", Driver)
	min, max := time.Duration(s.cfg.Reconnect.Min), time.Duration(s.cfg.Reconnect.Max)
	if min <= 0 {
		min = 500 * time.Millisecond
	}
	if max < min {
		max = 10 * time.Second
		if max < min {
			max = min
		}
	}
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(min),
		backoff.WithMaxInterval(max),
		backoff.WithMaxElapsedTime(0),
	)
	failing := false
	for ctx.Err() == nil {
		p, err := s.open()
		if err != nil {
			if !failing {
				log.Warn("scale unavailable", "err", err)
				s.setStatus(devices.StateDisconnected, err)
				failing = true
			} else {
				s.setStatus(devices.StateReconnecting, err)
			}
			t := time.NewTimer(b.NextBackOff())
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			s.setStatus(devices.StateReconnecting, err)
			continue
		}
		failing = false
		b.Reset()
		log.Info("scale connected")
		s.setStatus(devices.StateOK, nil)
		err = s.session(ctx, p)
		p.Close()
		s.forget()
		if ctx.Err() != nil {
			return
		}
		log.Warn("scale lost", "err", err)
		s.setStatus(devices.StateDisconnected, err)
		failing = true
	}
}

// session reads lines from an open port until it fails or ctx ends. In
// request mode it asks every Poll. No good line within Timeout is a fault
// (silent), cleared by the next good line.
func (s *Scale) session(ctx context.Context, p *port) error {
	parser := Parser{Format: s.format}
	stab := Stabilizer{Repeats: s.cfg.StableRepeats}
	timeout := time.Duration(s.cfg.Timeout)
	lastGood := time.Now()
	badLine := "" // last refused line since the last good one
	var nextAsk time.Time
	buf := make([]byte, 256)
	for ctx.Err() == nil {
		if s.cfg.Protocol == ProtocolRequest && !time.Now().Before(nextAsk) {
			if _, err := p.Write([]byte(s.cfg.Request)); err != nil {
				return err
			}
			nextAsk = time.Now().Add(time.Duration(s.cfg.Poll))
		}
		n, err := p.Read(buf)
		for _, r := range parser.Feed(buf[:n]) {
			if r.Err != nil {
				badLine = r.Line
				s.opts.Logger.Debug("scale line refused", "scale", s.name, "err", r.Err)
				continue
			}
			lastGood, badLine = time.Now(), ""
			// Status first, so a waiting StableWeight never sees a
			// stable weight from a scale still marked faulty.
			s.setStatus(devices.StateOK, nil)
			s.update(r.Frame, stab.Stable(r.Frame), lastGood)
		}
		if err != nil && !errors.Is(err, errIdle) {
			return err
		}
		if time.Since(lastGood) <= timeout {
			s.setStatus(devices.StateOK, nil)
			continue
		}
		if s.state() == devices.StateOK {
			// The weight shown last is no longer known to be on the platter.
			stab.Reset()
			s.forget()
		}
		if badLine != "" {
			s.setStatus(devices.StateFault, fmt.Errorf("%w on %s: %q", errGarbled, s.cfg.Path, badLine))
		} else {
			s.setStatus(devices.StateFault, fmt.Errorf("%w on %s for %s", errSilent, s.cfg.Path, timeout))
		}
	}
	return ctx.Err()
}

func (s *Scale) open() (*port, error) {
	tc := s.tc
	p, err := tarm.OpenPort(&tc)
	if err != nil {
		return nil, fmt.Errorf("open scale %s: %w", s.cfg.Path, err)
	}
	return &port{p: p, path: s.cfg.Path}, nil
}

// port adapts tarm/serial: its (0, io.EOF) read timeout becomes errIdle,
// and an unplugged device becomes an error.
type port struct {
	p     *tarm.Port
	path  string
	quick int // reads that returned "no data" at once: a hung-up line
}

func (p *port) Read(b []byte) (int, error) {
	start := time.Now()
	n, err := p.p.Read(b)
	if n > 0 {
		p.quick = 0
		return n, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		// Some USB adapters, unplugged, return no data at once forever.
		if time.Since(start) < readTimeout/10 {
			p.quick++
		} else {
			p.quick = 0
		}
		if p.quick >= 5 {
			return 0, fmt.Errorf("read scale %s: line hung up: %w", p.path, syscall.EIO)
		}
		if _, serr := os.Stat(p.path); serr != nil {
			return 0, fmt.Errorf("read scale %s: %w", p.path, serr)
		}
		return 0, errIdle
	}
	return 0, fmt.Errorf("read scale %s: %w", p.path, err)
}

func (p *port) Write(b []byte) (int, error) {
	n, err := p.p.Write(b)
	if err != nil {
		return n, fmt.Errorf("write scale %s: %w", p.path, err)
	}
	return n, nil
}

func (p *port) Close() error { return p.p.Close() }
