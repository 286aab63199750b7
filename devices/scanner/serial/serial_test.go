package serial

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/barcode"
	"github.com/yizhan/yizhan/devices/scanner"
)

// recorder collects what a running scanner delivers.
type recorder struct {
	mu       sync.Mutex
	reads    []scanner.Read
	rejects  []scanner.Reject
	statuses []devices.State
}

func (r *recorder) sink(rd scanner.Read) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reads = append(r.reads, rd)
}

func (r *recorder) reject(rj scanner.Reject) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejects = append(r.rejects, rj)
}

func (r *recorder) status(s devices.Status) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.statuses); n == 0 || r.statuses[n-1] != s.State {
		r.statuses = append(r.statuses, s.State)
	}
}

func (r *recorder) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rd := range r.reads {
		out = append(out, rd.AIM+rd.Text)
	}
	return out
}

func (r *recorder) nRejects() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.rejects)
}

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

func start(t *testing.T, f scanner.Framing) (*Simulator, *Scanner, *recorder) {
	t.Helper()
	link := filepath.Join(t.TempDir(), "scanner")
	sim, err := NewSimulator(link, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	rec := &recorder{}
	sc, err := New("counter-1", Config{
		Path: link, Framing: f,
		Reconnect: scanner.Reconnect{Min: scanner.Duration(10 * time.Millisecond), Max: scanner.Duration(50 * time.Millisecond)},
	}, scanner.Options{OnReject: rec.reject})
	if err != nil {
		t.Fatal(err)
	}
	sc.OnStatus = rec.status
	if err := sc.Start(context.Background(), rec.sink); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sc.Stop)
	waitFor(t, "scanner ok", func() bool { return sc.Status().State == devices.StateOK })
	return sim, sc, rec
}

func TestFramings(t *testing.T) {
	for _, f := range []scanner.Framing{
		{Suffix: scanner.SuffixCR},
		{Suffix: scanner.SuffixCRLF, AIM: true},
		{Suffix: scanner.SuffixLF, AIM: true},
		{Suffix: scanner.SuffixTab},
		{Suffix: scanner.SuffixNone, STXETX: true, AIM: true},
		{Suffix: scanner.SuffixCRLF, STXETX: true},
		{Suffix: scanner.SuffixNone},
	} {
		t.Run(fmt.Sprintf("%s stx=%v aim=%v", f.Suffix, f.STXETX, f.AIM), func(t *testing.T) {
			sim, _, rec := start(t, f)
			codes := []string{"]C1|00106141411234567897", "]C0|SF1234567890123", "]E0|4006381333931"}
			var want []string
			for _, c := range codes {
				aim, code := splitAIM(c)
				if err := sim.Scan(aim, code); err != nil {
					t.Fatal(err)
				}
				if !f.AIM {
					aim = ""
				}
				want = append(want, aim+code)
				if f.Suffix == scanner.SuffixNone && !f.STXETX {
					// Codes end on silence: wait for each before the next.
					n := len(want)
					waitFor(t, "code "+code, func() bool { return len(rec.texts()) == n })
				}
			}
			waitFor(t, "all reads", func() bool { return len(rec.texts()) >= len(want) })
			if got := rec.texts(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("reads %q, want %q", got, want)
			}
			rec.mu.Lock()
			r := rec.reads[0]
			rec.mu.Unlock()
			if r.ScannerID != "counter-1" || len(r.Raw) == 0 || r.At.IsZero() {
				t.Fatalf("read %+v", r)
			}
			if f.AIM && r.Symbology != barcode.SymGS1128 {
				t.Fatalf("symbology %q", r.Symbology)
			}
		})
	}
}

func TestHotPlug(t *testing.T) {
	sim, sc, rec := start(t, scanner.Framing{Suffix: scanner.SuffixCR})
	if err := sim.Scan("", "A1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "first read", func() bool { return len(rec.texts()) == 1 })

	if err := sim.Unplug(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "reconnecting", func() bool { return sc.Status().State == devices.StateReconnecting })
	st := sc.Status()
	if !strings.Contains(st.Detail, "scanner") || st.Fix == "" {
		t.Fatalf("status while unplugged: %+v", st)
	}
	if err := sim.Replug(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ok again", func() bool { return sc.Status().State == devices.StateOK })
	if err := sim.Scan("", "B2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "read after replug", func() bool { return len(rec.texts()) >= 2 })
	if got := rec.texts(); fmt.Sprint(got) != "[A1 B2]" {
		t.Fatalf("reads %q: want exactly A1 then B2", got)
	}
	rec.mu.Lock()
	states := fmt.Sprint(rec.statuses)
	rec.mu.Unlock()
	if states != "[ok disconnected reconnecting ok]" {
		t.Fatalf("status changes %s", states)
	}
}

func TestBadInput(t *testing.T) {
	sim, sc, rec := start(t, scanner.Framing{Suffix: scanner.SuffixCR})
	steps := []func() error{
		func() error { return sim.WriteRaw([]byte("\x00\xff\xfe\x13\x11\r")) }, // binary
		func() error { return sim.WriteRaw([]byte("\a\a\r")) },                 // control
		func() error { return sim.Scan("", "GOOD1") },
		func() error { return sim.WriteRaw([]byte("HALF-FRA")) }, // dropped after the idle gap
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "half frame dropped", func() bool { return rec.nRejects() == 3 })
	if err := sim.Scan("", "GOOD2"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "GOOD2", func() bool { return len(rec.texts()) == 2 })

	// Disconnect mid-frame: the half code must not join the next one.
	if err := sim.WriteRaw([]byte("CUT-OF")); err != nil {
		t.Fatal(err)
	}
	sim.Unplug()
	waitFor(t, "reconnecting", func() bool { return sc.Status().State == devices.StateReconnecting })
	sim.Replug()
	waitFor(t, "ok", func() bool { return sc.Status().State == devices.StateOK })
	if err := sim.Scan("", "GOOD3"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "GOOD3", func() bool { return len(rec.texts()) == 3 })
	if got := rec.texts(); fmt.Sprint(got) != "[GOOD1 GOOD2 GOOD3]" {
		t.Fatalf("reads %q", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, rj := range rec.rejects {
		var e *barcode.Error
		if !errors.As(rj.Err, &e) {
			t.Fatalf("reject without a coded error: %v", rj.Err)
		}
	}
}

func TestLineRate(t *testing.T) {
	sim, _, rec := start(t, scanner.Framing{Suffix: scanner.SuffixCRLF, AIM: true})
	var codes, want []string
	for i := range 300 {
		c := fmt.Sprintf("7312345678%04d", i)
		codes = append(codes, "]C0|"+c)
		want = append(want, "]C0"+c)
	}
	// Pieces as small as the wire gives them, no pause between codes.
	if err := sim.Run(context.Background(), codes, Rate{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "all codes", func() bool { return len(rec.texts()) == len(want) })
	if got := rec.texts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("codes out of order or altered")
	}
}

func TestCheck(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "ttyUSB9")
	sc, err := New("x", Config{Path: missing}, scanner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st := sc.Check(context.Background())
	if st.State != devices.StateDisconnected || !strings.Contains(st.Detail, missing) || !strings.Contains(st.Fix, "devices list") {
		t.Fatalf("Check on a missing port: %+v", st)
	}

	link := filepath.Join(t.TempDir(), "scanner")
	sim, err := NewSimulator(link, scanner.Framing{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sc, _ = New("x", Config{Path: link}, scanner.Options{})
	if st := sc.Check(context.Background()); st.State != devices.StateOK {
		t.Fatalf("Check on the simulator: %+v", st)
	}

	notTTY := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notTTY, nil, 0o644)
	sc, _ = New("x", Config{Path: notTTY}, scanner.Options{})
	if st := sc.Check(context.Background()); st.State == devices.StateOK || !strings.Contains(st.Detail, "not a serial port") {
		t.Fatalf("Check on a plain file: %+v", st)
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
	s, err := scanner.New(sample.Driver, sample.Name, sample.Config, scanner.Options{})
	if err != nil {
		t.Fatalf("sample.json: %v", err)
	}
	if s.Status().Driver != "serial" {
		t.Fatalf("status %+v", s.Status())
	}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no path", Config{}, "path is empty"},
		{"parity", Config{Path: "/dev/x", Parity: "mark"}, "use none, even or odd"},
		{"stop bits", Config{Path: "/dev/x", StopBits: 3}, "use 1 or 2"},
		{"data bits", Config{Path: "/dev/x", DataBits: 9}, "use 5 to 8"},
		{"suffix", Config{Path: "/dev/x", Framing: scanner.Framing{Suffix: "x"}}, "use cr, lf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New("x", tc.cfg, scanner.Options{}); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want %q", err, tc.want)
			}
		})
	}
}
