package scale

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/serialport"
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
func (s *Scale) session(ctx context.Context, p *serialport.Port) error {
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

func (s *Scale) open() (*serialport.Port, error) {
	return serialport.Open(s.tc, "scale", errIdle)
}
