package scanner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/yizhan/yizhan/devices"
)

// ErrIdle is what a Source's Read returns when nothing arrived within its
// poll interval. It is not an error: the device is still there.
var ErrIdle = errors.New("no data yet")

// Source is an open scanner device.
type Source interface {
	io.Reader // returns ErrIdle after a short quiet spell, never blocks forever
	io.Closer
}

// Reconnect bounds the backoff between attempts to reopen a device.
type Reconnect struct {
	Min Duration `json:"min,omitempty"` // first wait, default 500ms
	Max Duration `json:"max,omitempty"` // longest wait, default 10s
}

// Runner is the engine every driver shares: open the device, decode its
// bytes into frames, deliver reads, and when the device goes away reopen it
// with exponential backoff, reporting disconnected → reconnecting → ok.
// Drivers embed a *Runner to get Start, Stop and Status.
type Runner struct {
	ID, Driver string
	// Open opens the device; called again after every failure.
	Open func(ctx context.Context) (Source, error)
	// NewDecoder returns a fresh decoder for the device's byte stream.
	NewDecoder func() Decoder
	// Diagnose words an Open or Read error for the clerk.
	Diagnose func(err error) devices.Advice
	Idle     time.Duration // quiet time before Decoder.Idle; default DefaultIdle
	Reconnect
	Options
	// OnStatus, if set, sees every status change (UI push, tests).
	OnStatus func(devices.Status)

	mu      sync.Mutex
	status  devices.Status
	cancel  context.CancelFunc
	done    chan struct{}
	started bool
}

// Start implements Scanner.
func (r *Runner) Start(ctx context.Context, sink Sink) error {
	if sink == nil {
		return fmt.Errorf("scanner %s: Start needs a sink", r.ID)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started {
		return fmt.Errorf("scanner %s: already started", r.ID)
	}
	r.started = true
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	go r.run(ctx, sink)
	return nil
}

// Stop implements Scanner. It waits until the device is closed.
func (r *Runner) Stop() {
	r.mu.Lock()
	cancel, done := r.cancel, r.done
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Status implements Scanner.
func (r *Runner) Status() devices.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.status
	if s.State == "" {
		s = devices.Status{State: devices.StateDisconnected, Code: "scanner.not_started", Detail: "扫描枪未启动 (scanner not started)"}
	}
	s.Name, s.Kind, s.Driver = r.ID, "scanner", r.Driver
	return s
}

func (r *Runner) setStatus(state devices.State, err error) {
	r.mu.Lock()
	s := r.status
	if s.State != state {
		s.Since = time.Now()
	}
	s.State, s.LastErr = state, ""
	devices.Advice{}.Set(&s)
	if err != nil {
		s.LastErr = err.Error()
		if r.Diagnose != nil {
			r.Diagnose(err).Set(&s)
		} else {
			s.Code, s.Detail = "scanner.error", err.Error()
		}
	}
	changed := s != r.status
	r.status = s
	s.Name, s.Kind, s.Driver = r.ID, "scanner", r.Driver
	r.mu.Unlock()
	if changed && r.OnStatus != nil {
		r.OnStatus(s)
	}
}

func (r *Runner) run(ctx context.Context, sink Sink) {
	defer close(r.done)
	log := r.logger().With("scanner", r.ID, "driver", r.Driver)
	min, max := time.Duration(r.Min), time.Duration(r.Max)
	if min <= 0 {
		min = 500 * time.Millisecond
	}
	if max < min {
		max = max2(10*time.Second, min)
	}
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(min),
		backoff.WithMaxInterval(max),
		backoff.WithMaxElapsedTime(0),
	)
	dec := r.NewDecoder()
	failing := false
	for ctx.Err() == nil {
		src, err := r.Open(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				log.Warn("scanner unavailable", "err", err)
				r.setStatus(devices.StateDisconnected, err)
				failing = true
			} else {
				r.setStatus(devices.StateReconnecting, err)
			}
			wait := b.NextBackOff()
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			r.setStatus(devices.StateReconnecting, err)
			continue
		}
		failing = false
		b.Reset()
		log.Info("scanner connected")
		r.setStatus(devices.StateOK, nil)
		err = r.readLoop(ctx, src, dec, sink, log)
		src.Close()
		dec.Reset() // a code cut off by the disconnect must not join the next one
		if ctx.Err() != nil {
			return
		}
		log.Warn("scanner lost", "err", err)
		r.setStatus(devices.StateDisconnected, err)
		failing = true
	}
}

func (r *Runner) readLoop(ctx context.Context, src Source, dec Decoder, sink Sink, log interface {
	Warn(string, ...any)
}) error {
	idle := r.Idle
	if idle <= 0 {
		idle = DefaultIdle
	}
	buf := make([]byte, 4096)
	var last time.Time
	quiet := true
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n, err := src.Read(buf)
		if n > 0 {
			last, quiet = time.Now(), false
			r.deliver(dec.Feed(buf[:n]), sink, log)
		}
		switch {
		case err == nil:
		case errors.Is(err, ErrIdle):
			if !quiet && time.Since(last) >= idle {
				quiet = true
				r.deliver(dec.Idle(), sink, log)
			}
		default:
			return err
		}
	}
}

func (r *Runner) deliver(frames []Frame, sink Sink, log interface{ Warn(string, ...any) }) {
	for _, f := range frames {
		now := time.Now()
		if f.Err != nil {
			log.Warn("scan rejected", "err", f.Err, "raw", fmt.Sprintf("%q", f.Raw))
			if r.OnReject != nil {
				r.OnReject(Reject{ScannerID: r.ID, Raw: f.Raw, Err: f.Err, At: now})
			}
			continue
		}
		sink(Read{ScannerID: r.ID, Raw: f.Raw, Text: f.Text, Symbology: f.Symbology, AIM: f.AIM, At: now})
	}
}

func max2(a, b time.Duration) time.Duration {
	if a > b {
		return a
	}
	return b
}
