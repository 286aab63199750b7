// Package scale is the driver for serial counter scales, through
// github.com/tarm/serial, plus a simulator on a pty pair.
//
// It reads the common continuous-output lines ("ST,GS,+  1.234kg" and a
// bare weight), or polls a scale that answers a request. Weights become
// grams; a scale that is unplugged is reopened with backoff and its status
// goes disconnected → reconnecting → ok without a restart.
//
// The promise to the consumer: StableWeight never returns a weight the
// scale has not held steady, so an unstable weight is never recorded.
package scale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	tarm "github.com/tarm/serial"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/scanner"
	"github.com/yizhan/yizhan/devices/serialport"
)

// Driver is the name the scale registers under.
const Driver = "serial-scale"

// ProtocolRequest is the protocol of a scale that speaks only when asked.
const ProtocolRequest = "request"

// Config is a serial scale's configuration (see sample.json).
type Config struct {
	// Path of the port; prefer /dev/serial/by-id/..., which survives
	// replugging into another USB socket.
	Path     string `json:"path"`
	Baud     int    `json:"baud,omitempty"`      // default 9600
	DataBits int    `json:"data_bits,omitempty"` // 7 or 8, default 8
	Parity   string `json:"parity,omitempty"`    // none, even, odd; default none
	StopBits int    `json:"stop_bits,omitempty"` // 1 or 2, default 1

	// Protocol is st-gs or bare for a scale that prints continuously,
	// request for one that answers Request with a line in Answer format.
	Protocol string           `json:"protocol"`
	Answer   string           `json:"answer,omitempty"`  // request: st-gs or bare; default st-gs
	Request  string           `json:"request,omitempty"` // request: bytes to send; default "W\r\n"
	Poll     scanner.Duration `json:"poll,omitempty"`    // request: how often to ask; default 200ms
	// Unit is assumed for lines that print none.
	Unit string `json:"unit,omitempty"`
	// StableRepeats: a line without a stability flag counts as stable once
	// the same value came this many times in a row. Default 3.
	StableRepeats int `json:"stable_repeats,omitempty"`
	// Timeout: no good line for this long means the scale is silent
	// (status fault). Default 2s.
	Timeout   scanner.Duration  `json:"timeout,omitempty"`
	Reconnect scanner.Reconnect `json:"reconnect"`
}

func (c *Config) validate() (tarm.Config, Format, error) {
	var f Format
	tc, err := serialport.Settings{Path: c.Path, Baud: c.Baud, DataBits: c.DataBits, Parity: c.Parity, StopBits: c.StopBits}.Config("serial scale")
	if err != nil {
		return tc, f, err
	}
	// Keep the defaults visible to Check and the status page.
	c.Baud, c.DataBits = tc.Baud, int(tc.Size)
	if c.StopBits == 0 {
		c.StopBits = 1
	}
	if c.StableRepeats <= 0 {
		c.StableRepeats = 3
	}
	if c.Timeout <= 0 {
		c.Timeout = scanner.Duration(2 * time.Second)
	}
	if c.DataBits != 7 && c.DataBits != 8 {
		return tc, f, fmt.Errorf("serial scale %s: data_bits %d: use 7 or 8", c.Path, c.DataBits)
	}
	if c.Unit != "" {
		if _, ok := units[strings.ToLower(c.Unit)]; !ok {
			return tc, f, fmt.Errorf("serial scale %s: unit %q: use kg, g, lb or oz", c.Path, c.Unit)
		}
		c.Unit = strings.ToLower(c.Unit)
	}
	f.Unit = c.Unit
	switch c.Protocol {
	case FormatSTGS, FormatBare:
		f.Name = c.Protocol
	case ProtocolRequest:
		if c.Answer == "" {
			c.Answer = FormatSTGS
		}
		if c.Answer != FormatSTGS && c.Answer != FormatBare {
			return tc, f, fmt.Errorf("serial scale %s: answer %q: use st-gs or bare", c.Path, c.Answer)
		}
		f.Name = c.Answer
		if c.Request == "" {
			c.Request = "W\r\n"
		}
		if c.Poll <= 0 {
			c.Poll = scanner.Duration(200 * time.Millisecond)
		}
		if c.Poll >= c.Timeout {
			return tc, f, fmt.Errorf("serial scale %s: poll %s must be shorter than timeout %s", c.Path, time.Duration(c.Poll), time.Duration(c.Timeout))
		}
	default:
		return tc, f, fmt.Errorf("serial scale %s: protocol %q: use st-gs, bare or request", c.Path, c.Protocol)
	}
	return tc, f, nil
}

// Options are what the agent passes the driver.
type Options struct {
	Logger *slog.Logger // nil discards logs
	// OnStatus, if set, sees every status change (UI push, tests).
	OnStatus func(devices.Status)
}

// Reading is the scale's latest weight.
type Reading struct {
	Grams    int64     `json:"grams"`    // net of any tare
	Unit     string    `json:"unit"`     // what the scale displays: kg, g, lb, oz
	Stable   bool      `json:"stable"`   // the scale's flag, or the same value repeated
	Net      bool      `json:"net"`      // tared, on the scale or in software
	Overload bool      `json:"overload"` // over capacity: Grams means nothing
	At       time.Time `json:"at"`
}

func (r Reading) String() string {
	s := fmt.Sprintf("%d g (%s)", r.Grams, r.Unit)
	if r.Net {
		s += " net"
	}
	switch {
	case r.Overload:
		s += " overload"
	case !r.Stable:
		s += " unstable"
	}
	return s
}

// Errors StableWeight and Tare return; test with errors.Is.
var (
	ErrUnstable     = errors.New("重量不稳定 / weight not stable: wait for the scale to settle")
	ErrOverload     = errors.New("超出量程 / overload: the load is over the scale's capacity; take it off")
	ErrDisconnected = errors.New("电子秤未连接 / scale disconnected: check the cable; it reconnects by itself")
	ErrSilent       = errors.New("电子秤无数据 / scale silent: no weight from the scale; check it is on and its settings match")
	ErrNoReading    = errors.New("还没有读数 / no reading yet: put the parcel on the scale")
)

// Scale is a running serial scale.
type Scale struct {
	name   string
	cfg    Config
	tc     tarm.Config
	format Format
	opts   Options

	mu          sync.Mutex
	status      devices.Status
	frame       Frame     // the last good line
	frameStable bool      // its stability, flag or repeats
	frameAt     time.Time // when it came
	latest      Reading   // frame net of tare
	tare        int64     // software tare in grams; 0 = none
	stableSince time.Time // start of the current run of equal stable readings
	changed     chan struct{}
	cancel      context.CancelFunc
	done        chan struct{}
	started     bool
}

// New returns a scale; call Start to begin reading. It checks the config
// without opening the port.
func New(name string, cfg Config, opts Options) (*Scale, error) {
	tc, f, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Scale{name: name, cfg: cfg, tc: tc, format: f, opts: opts, changed: make(chan struct{})}, nil
}

// Name is the scale's name from the config.
func (s *Scale) Name() string { return s.name }

// Start begins reading in the background and returns at once. An absent
// scale is not an error: the driver keeps retrying and says so in Status.
func (s *Scale) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return fmt.Errorf("scale %s: already started", s.name)
	}
	s.started = true
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go s.run(ctx)
	return nil
}

// Stop ends reading, closes the port and waits for the goroutine.
func (s *Scale) Stop() {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	<-done
}

// Status reports the scale's health for status pages and doctor.
func (s *Scale) Status() devices.Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.status
	if st.State == "" {
		st = devices.Status{State: devices.StateDisconnected, Code: "scale.not_started", Detail: "电子秤未启动 (scale not started)"}
	}
	st.Name, st.Kind, st.Driver = s.name, "scale", Driver
	return st
}

// Latest is the last reading, stable or not, for display. Use StableWeight
// for a weight to record.
func (s *Scale) Latest() Reading {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.latest
}

// StableWeight waits until the scale is stable (its flag) and the weight
// has not changed for settle, and returns it. It never returns an unstable
// or overloaded weight: when ctx ends first the error says why (ErrUnstable,
// ErrOverload, ErrNoReading). A scale that is disconnected or silent fails
// at once. Zero and negative weights are returned as read; refusing an
// empty platter is the caller's business.
func (s *Scale) StableWeight(ctx context.Context, settle time.Duration) (Reading, error) {
	for {
		s.mu.Lock()
		r, wait, err := s.stableLocked(settle)
		changed := s.changed
		s.mu.Unlock()
		if err == nil {
			return r, nil
		}
		if errors.Is(err, ErrDisconnected) || errors.Is(err, ErrSilent) {
			return Reading{}, err
		}
		if wait <= 0 {
			wait = time.Hour // only a change or ctx can help
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return Reading{}, err
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

// stableLocked says whether the latest reading may be returned now, and if
// it may become so by waiting, how long.
func (s *Scale) stableLocked(settle time.Duration) (Reading, time.Duration, error) {
	switch s.status.State {
	case devices.StateOK:
	case devices.StateFault:
		return Reading{}, 0, ErrSilent
	default:
		return Reading{}, 0, ErrDisconnected
	}
	r := s.latest
	switch {
	case r.At.IsZero():
		return r, 0, ErrNoReading
	case r.Overload:
		return r, 0, ErrOverload
	case !r.Stable || s.stableSince.IsZero():
		return r, 0, ErrUnstable
	}
	if held := time.Since(s.stableSince); held < settle {
		return r, settle - held, ErrUnstable
	}
	return r, 0, nil
}

// Tare takes the current stable weight as the container's, so readings
// from now on are net of it. It fails like StableWeight when the scale is
// not stable now.
func (s *Scale) Tare() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, _, err := s.stableLocked(0); err != nil {
		return fmt.Errorf("去皮失败 / cannot tare: %w", err)
	}
	s.tare = s.frame.Grams
	s.recomputeLocked()
	return nil
}

// ClearTare removes the software tare.
func (s *Scale) ClearTare() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tare = 0
	if !s.frameAt.IsZero() {
		s.recomputeLocked()
	}
}

// update records a parsed line.
func (s *Scale) update(fr Frame, stable bool, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frame, s.frameStable, s.frameAt = fr, stable && !fr.Overload, at
	s.recomputeLocked()
}

// recomputeLocked makes the latest reading from the last line and the
// tare, and tracks how long the weight has been stable and unchanged.
func (s *Scale) recomputeLocked() {
	fr := s.frame
	r := Reading{Grams: fr.Grams, Unit: fr.Unit, Stable: s.frameStable, Net: fr.Net, Overload: fr.Overload, At: s.frameAt}
	if s.tare != 0 && !r.Overload {
		r.Grams -= s.tare
		r.Net = true
	}
	prev := s.latest
	same := prev.Stable && r.Stable && prev.Grams == r.Grams && prev.Net == r.Net && prev.Unit == r.Unit
	switch {
	case !r.Stable:
		s.stableSince = time.Time{}
	case !same || s.stableSince.IsZero():
		s.stableSince = time.Now()
	}
	s.latest = r
	s.notifyLocked()
}

func (s *Scale) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// forget drops the stable run after a disconnect: the load may have
// changed while nobody was listening.
func (s *Scale) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frameStable = false
	s.recomputeLocked()
}

func (s *Scale) setStatus(state devices.State, err error) {
	s.mu.Lock()
	st := s.status
	if st.State != state {
		st.Since = time.Now()
	}
	st.State, st.LastErr = state, ""
	devices.Advice{}.Set(&st)
	if err != nil {
		st.LastErr = err.Error()
		s.diagnose(err).Set(&st)
	}
	changed := st != s.status
	s.status = st
	st.Name, st.Kind, st.Driver = s.name, "scale", Driver
	if changed {
		s.notifyLocked()
	}
	s.mu.Unlock()
	if changed && s.opts.OnStatus != nil {
		s.opts.OnStatus(st)
	}
}

func (s *Scale) state() devices.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status.State
}
