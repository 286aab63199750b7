package scale

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/scanner"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// states records status changes.
type states struct {
	mu  sync.Mutex
	seq []devices.State
}

func (s *states) on(st devices.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.seq); n == 0 || s.seq[n-1] != st.State {
		s.seq = append(s.seq, st.State)
	}
}

func (s *states) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.seq)
}

// fast keeps tests quick: short backoff, short silence.
func fast(cfg Config) Config {
	cfg.Reconnect = scanner.Reconnect{Min: scanner.Duration(10 * time.Millisecond), Max: scanner.Duration(50 * time.Millisecond)}
	if cfg.Timeout == 0 {
		cfg.Timeout = scanner.Duration(500 * time.Millisecond)
	}
	if cfg.Protocol == ProtocolRequest && cfg.Poll == 0 {
		cfg.Poll = scanner.Duration(20 * time.Millisecond)
	}
	return cfg
}

func start(t *testing.T, sc SimConfig, cfg Config) (*Simulator, *Scale, *states) {
	t.Helper()
	link := filepath.Join(t.TempDir(), "scale")
	if sc.Interval == 0 {
		sc.Interval = 5 * time.Millisecond
	}
	sim, err := NewSimulator(link, sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg.Path = link
	rec := &states{}
	s, err := New("counter", fast(cfg), Options{OnStatus: rec.on})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	waitFor(t, "scale ok", func() bool { return s.Status().State == devices.StateOK })
	return sim, s, rec
}

// weigh waits until the scale shows grams, then asks for a stable weight.
// Without the wait it could rightly return the weight before.
func weigh(t *testing.T, s *Scale, grams int64) (Reading, error) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d g shown", grams), func() bool { r := s.Latest(); return r.Grams == grams && r.Stable })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.StableWeight(ctx, 30*time.Millisecond)
}

// TestProtocols reads a weight through the pty in every protocol.
func TestProtocols(t *testing.T) {
	for _, tc := range []struct {
		name string
		sim  SimConfig
		cfg  Config
	}{
		{"st-gs kg", SimConfig{Protocol: FormatSTGS}, Config{Protocol: FormatSTGS}},
		{"st-gs lb", SimConfig{Protocol: FormatSTGS, Unit: "lb"}, Config{Protocol: FormatSTGS}},
		{"bare with flag", SimConfig{Protocol: FormatBare, Flag: true}, Config{Protocol: FormatBare}},
		{"bare without flag", SimConfig{Protocol: FormatBare}, Config{Protocol: FormatBare, StableRepeats: 4}},
		{"request st-gs", SimConfig{Protocol: ProtocolRequest}, Config{Protocol: ProtocolRequest}},
		{"request bare enq", SimConfig{Protocol: ProtocolRequest, Answer: FormatBare, Unit: "g", Request: "\x05"},
			Config{Protocol: ProtocolRequest, Answer: FormatBare, Request: "\x05"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, s, _ := start(t, tc.sim, tc.cfg)
			sim.Set(2500)
			waitFor(t, "2500 g shown", func() bool { return s.Latest().Grams == 2500 })
			r, err := weigh(t, s, 2500)
			if err != nil {
				t.Fatal(err)
			}
			unit := tc.sim.Unit
			if unit == "" {
				unit = "kg"
			}
			if r.Grams != 2500 || !r.Stable || r.Unit != unit || r.Net || r.Overload || r.At.IsZero() {
				t.Fatalf("reading %+v", r)
			}
		})
	}
}

// TestSettling: while the scale swings towards the weight, StableWeight
// never returns any of the unstable values, and then returns the settled
// one.
func TestSettling(t *testing.T) {
	for _, tc := range []struct {
		name string
		sim  SimConfig
		cfg  Config
	}{
		{"st-gs flag", SimConfig{Protocol: FormatSTGS}, Config{Protocol: FormatSTGS}},
		{"bare repeats", SimConfig{Protocol: FormatBare}, Config{Protocol: FormatBare, StableRepeats: 3}},
		{"request", SimConfig{Protocol: ProtocolRequest}, Config{Protocol: ProtocolRequest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, s, _ := start(t, tc.sim, tc.cfg)
			waitFor(t, "empty platter stable", func() bool { r := s.Latest(); return r.Stable && r.Grams == 0 })

			steps := 40
			if tc.cfg.Protocol == ProtocolRequest {
				steps = 10 // one answer per read timeout
			}
			unstable := sim.SettleTo(1234, steps)
			// Ask over and over while it settles; every answer must be a
			// weight that was really stable.
			var got []int64
			for {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				r, err := s.StableWeight(ctx, 15*time.Millisecond)
				cancel()
				if err != nil {
					if !errors.Is(err, ErrUnstable) {
						t.Fatalf("while settling: %v", err)
					}
					continue
				}
				if !r.Stable {
					t.Fatalf("returned an unstable reading %+v", r)
				}
				got = append(got, r.Grams)
				if r.Grams == 1234 {
					break
				}
			}
			for _, g := range got {
				if slices.Contains(unstable, g) {
					t.Fatalf("StableWeight returned %d g, an unstable value (%v)", g, unstable)
				}
				if g != 0 && g != 1234 {
					t.Fatalf("StableWeight returned %d g", g)
				}
			}
			if r, err := weigh(t, s, 1234); err != nil || r.Grams != 1234 {
				t.Fatalf("settled: %+v %v", r, err)
			}
		})
	}
}

// TestUnstableNeverReturned: a scale that never settles gives an error,
// not a weight, however long the caller waits.
func TestUnstableNeverReturned(t *testing.T) {
	sim, s, _ := start(t, SimConfig{Protocol: FormatSTGS}, Config{Protocol: FormatSTGS})
	sim.SettleTo(800, 1_000_000)
	waitFor(t, "unstable", func() bool { r := s.Latest(); return !r.Stable && r.Grams != 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r, err := s.StableWeight(ctx, 0)
	if !errors.Is(err, ErrUnstable) || r != (Reading{}) {
		t.Fatalf("got %+v, %v; want ErrUnstable", r, err)
	}
	if !strings.Contains(err.Error(), "重量不稳定") || !strings.Contains(err.Error(), "not stable") {
		t.Fatalf("error wording %q", err)
	}
	if err := s.Tare(); !errors.Is(err, ErrUnstable) {
		t.Fatalf("tare while unstable: %v", err)
	}
}

func TestOverload(t *testing.T) {
	sim, s, _ := start(t, SimConfig{Protocol: FormatSTGS}, Config{Protocol: FormatSTGS})
	sim.SetOverload(true)
	waitFor(t, "overload shown", func() bool { return s.Latest().Overload })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if r, err := s.StableWeight(ctx, 0); !errors.Is(err, ErrOverload) {
		t.Fatalf("overloaded scale: %+v, %v", r, err)
	}
	if r := s.Latest(); r.Stable {
		t.Fatalf("overload reading marked stable: %+v", r)
	}
	sim.Set(3000)
	if r, err := weigh(t, s, 3000); err != nil || r.Grams != 3000 || r.Overload {
		t.Fatalf("after overload: %+v %v", r, err)
	}
}

func TestTare(t *testing.T) {
	sim, s, _ := start(t, SimConfig{Protocol: FormatSTGS}, Config{Protocol: FormatSTGS})

	// The scale's own net flag.
	sim.SetNet(true)
	sim.Set(700)
	waitFor(t, "net from the scale", func() bool { r := s.Latest(); return r.Net && r.Grams == 700 })
	sim.SetNet(false)

	// Software tare: a 300 g box, then a 1.3 kg parcel in it.
	sim.Set(300)
	waitFor(t, "box", func() bool { r := s.Latest(); return !r.Net && r.Grams == 300 && r.Stable })
	if err := s.Tare(); err != nil {
		t.Fatal(err)
	}
	if r := s.Latest(); r.Grams != 0 || !r.Net {
		t.Fatalf("after tare: %+v", r)
	}
	sim.SettleTo(1300, 5)
	waitFor(t, "parcel in box", func() bool { return s.Latest().Grams == 1000 })
	r, err := weigh(t, s, 1000)
	if err != nil || r.Grams != 1000 || !r.Net {
		t.Fatalf("net weight: %+v %v", r, err)
	}
	s.ClearTare()
	if r := s.Latest(); r.Grams != 1300 || r.Net {
		t.Fatalf("after ClearTare: %+v", r)
	}
}

// TestSilent: a request-mode scale that stops answering is a fault
// ("silent"), StableWeight fails at once, and answers bring it back.
func TestSilent(t *testing.T) {
	sim, s, rec := start(t, SimConfig{Protocol: ProtocolRequest}, Config{Protocol: ProtocolRequest})
	sim.Set(450)
	if r, err := weigh(t, s, 450); err != nil || r.Grams != 450 {
		t.Fatalf("%+v %v", r, err)
	}
	sim.SetSilent(true)
	waitFor(t, "fault", func() bool { return s.Status().State == devices.StateFault })
	st := s.Status()
	if !strings.Contains(st.Detail, "no weight") || !strings.Contains(st.Fix, "baud") || st.Kind != "scale" || st.Driver != Driver {
		t.Fatalf("silent status %+v", st)
	}
	if _, err := s.StableWeight(context.Background(), 0); !errors.Is(err, ErrSilent) {
		t.Fatalf("silent scale: %v", err)
	}
	sim.SetSilent(false)
	if r, err := weigh(t, s, 450); err != nil || r.Grams != 450 {
		t.Fatalf("answering again: %+v %v", r, err)
	}
	if got := rec.String(); got != "[ok fault ok]" {
		t.Fatalf("status changes %s", got)
	}
}

// TestGarbage: noise between good lines (wrong baud, half lines) never
// becomes a reading, and only noise is a fault that says so.
func TestGarbage(t *testing.T) {
	sim, s, _ := start(t, SimConfig{Protocol: FormatSTGS}, Config{Protocol: FormatSTGS})
	sim.Set(1500)
	if r, err := weigh(t, s, 1500); err != nil || r.Grams != 1500 {
		t.Fatalf("%+v %v", r, err)
	}
	sim.SetSilent(true)
	for _, junk := range []string{"\xf8\x80\xfe\r\n", "ST,GS,+  9", "\x02ST,GS,+ 12.3.4kg\r\n", "US,GS\r\n"} {
		if err := sim.WriteRaw([]byte(junk)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "fault", func() bool { return s.Status().State == devices.StateFault })
	if st := s.Status(); !strings.Contains(st.Detail, "unreadable") {
		t.Fatalf("status %+v", st)
	}
	if r := s.Latest(); r.Grams != 1500 || r.Stable {
		t.Fatalf("latest after noise %+v: want the last good weight, no longer stable", r)
	}
	sim.SetSilent(false)
	sim.Set(1600)
	if r, err := weigh(t, s, 1600); err != nil || r.Grams != 1600 {
		t.Fatalf("after noise: %+v %v", r, err)
	}
}

// TestHotPlug: unplugging reports disconnected then reconnecting, a weight
// is refused meanwhile, and replugging resumes without a restart.
func TestHotPlug(t *testing.T) {
	for _, tc := range []struct {
		name string
		sim  SimConfig
		cfg  Config
	}{
		{"continuous", SimConfig{Protocol: FormatSTGS}, Config{Protocol: FormatSTGS}},
		{"request", SimConfig{Protocol: ProtocolRequest}, Config{Protocol: ProtocolRequest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim, s, rec := start(t, tc.sim, tc.cfg)
			sim.Set(900)
			if r, err := weigh(t, s, 900); err != nil || r.Grams != 900 {
				t.Fatalf("%+v %v", r, err)
			}
			if err := sim.Unplug(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "reconnecting", func() bool { return s.Status().State == devices.StateReconnecting })
			st := s.Status()
			if !strings.Contains(st.Detail, "scale") || !strings.Contains(st.Detail, sim.Link) || st.Fix == "" {
				t.Fatalf("status while unplugged: %+v", st)
			}
			if _, err := s.StableWeight(context.Background(), 0); !errors.Is(err, ErrDisconnected) {
				t.Fatalf("unplugged: %v", err)
			}
			if err := sim.Replug(); err != nil {
				t.Fatal(err)
			}
			sim.Set(950)
			r, err := weigh(t, s, 950)
			if err != nil || r.Grams != 950 {
				t.Fatalf("after replug: %+v %v", r, err)
			}
			if got := rec.String(); got != "[ok disconnected reconnecting ok]" {
				t.Fatalf("status changes %s", got)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "ttyUSB9")
	s, err := New("x", Config{Path: missing, Protocol: FormatSTGS}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := s.Check(context.Background())
	if st.State != devices.StateDisconnected || !strings.Contains(st.Detail, "找不到电子秤") || !strings.Contains(st.Fix, "devices list") {
		t.Fatalf("Check on a missing port: %+v", st)
	}

	notTTY := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notTTY, nil, 0o644)
	s, _ = New("x", Config{Path: notTTY, Protocol: FormatSTGS}, Options{})
	if st := s.Check(context.Background()); st.State == devices.StateOK || !strings.Contains(st.Detail, "not a serial port") {
		t.Fatalf("Check on a plain file: %+v", st)
	}

	link := filepath.Join(t.TempDir(), "scale")
	sim, err := NewSimulator(link, SimConfig{Protocol: ProtocolRequest, Answer: FormatBare})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.Set(321)
	s, _ = New("x", fast(Config{Path: link, Protocol: ProtocolRequest, Answer: FormatBare}), Options{})
	if st := s.Check(context.Background()); st.State != devices.StateOK || !strings.Contains(st.Detail, "321 g") {
		t.Fatalf("Check on the simulator: %+v", st)
	}
	sim.SetSilent(true)
	if st := s.Check(context.Background()); st.State != devices.StateFault || !strings.Contains(st.Detail, "no weight") {
		t.Fatalf("Check on a silent scale: %+v", st)
	}
}

func TestConfig(t *testing.T) {
	raw, err := os.ReadFile("sample.json")
	if err != nil {
		t.Fatal(err)
	}
	var sample struct {
		Driver string          `json:"driver"`
		Name   string          `json:"name"`
		Config json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	s, err := Build(sample.Driver, sample.Name, sample.Config, Options{})
	if err != nil {
		t.Fatalf("sample.json: %v", err)
	}
	if st := s.Status(); st.Driver != Driver || st.Kind != "scale" || st.State != devices.StateDisconnected {
		t.Fatalf("status before start %+v", st)
	}
	if _, err := Build("bluetooth", "x", nil, Options{}); err == nil || !strings.Contains(err.Error(), "serial-scale") {
		t.Fatalf("unknown driver: %v", err)
	}
	if _, err := Build(Driver, "x", json.RawMessage(`{"path": "/dev/x", "protocol": "st-gs", "baudrate": 9600}`), Options{}); err == nil || !strings.Contains(err.Error(), "baudrate") {
		t.Fatalf("misspelt setting: %v", err)
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no path", Config{Protocol: FormatSTGS}, "path is empty"},
		{"no protocol", Config{Path: "/dev/x"}, "use st-gs, bare or request"},
		{"parity", Config{Path: "/dev/x", Protocol: FormatSTGS, Parity: "mark"}, "use none, even or odd"},
		{"stop bits", Config{Path: "/dev/x", Protocol: FormatSTGS, StopBits: 3}, "use 1 or 2"},
		{"data bits", Config{Path: "/dev/x", Protocol: FormatSTGS, DataBits: 5}, "use 7 or 8"},
		{"unit", Config{Path: "/dev/x", Protocol: FormatBare, Unit: "jin"}, "use kg, g, lb or oz"},
		{"answer", Config{Path: "/dev/x", Protocol: ProtocolRequest, Answer: "sics"}, "use st-gs or bare"},
		{"poll", Config{Path: "/dev/x", Protocol: ProtocolRequest, Poll: scanner.Duration(5 * time.Second)}, "shorter than timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New("x", tc.cfg, Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want %q", err, tc.want)
			}
		})
	}
}
