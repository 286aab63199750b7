package wedge

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

const gs = "\x1d"

var keyCases = []struct {
	name string
	cfg  DecoderConfig
	text string
}{
	{"us waybill", DecoderConfig{}, "SF1234567890123"},
	{"us punctuation", DecoderConfig{}, `a-b_c/d?e:f;g"h'i<j>k|l\m{n}o[p]q~r` + "`s!t@u#v$w%x^y&z*(+)="},
	{"us gs1 with aim, gs as f8", DecoderConfig{GS: "f8", AIM: true}, "]C1010950110153000310LOT7" + gs + "21SER9"},
	{"us gs as ctrl+]", DecoderConfig{GS: "ctrl+]"}, "10LOT7" + gs + "21X"},
	{"us gs as alt+029", DecoderConfig{GS: "alt"}, "10LOT7" + gs + "21X"},
	{"us gs as char", DecoderConfig{GS: "char:~"}, "10LOT7" + gs + "21X"},
	{"us tab terminator", DecoderConfig{Terminator: "tab"}, "YT1234567890123"},
	{"de punctuation", DecoderConfig{Keymap: "de"}, `Zy-_/()=?@{[]}\~|<>;:#'+*§$%&!"`},
	{"de gs1 with aim", DecoderConfig{Keymap: "de", GS: "f8", AIM: true}, "]C10109501101530003172512311" + "0A-B" + gs + "21Z/Y"},
	{"de dead keys", DecoderConfig{Keymap: "de"}, "a^b´c`d"},
	{"fr digits and letters", DecoderConfig{Keymap: "fr"}, "JDVA12345678901-1-1-"},
	{"fr punctuation", DecoderConfig{Keymap: "fr", GS: "char:|"}, "]Q1https://ex.am/p?q=1&r=2#x@y" + gs + "z"},
	{"fr dead key", DecoderConfig{Keymap: "fr"}, "a^b"},
	{"chinese cannot be typed: utf8 letters only", DecoderConfig{Keymap: "de"}, "Grüße"},
}

func summarize(frames []scanner.Frame) []string {
	var out []string
	for _, f := range frames {
		var e *barcode.Error
		switch {
		case errors.As(f.Err, &e):
			out = append(out, "!"+string(e.Code))
		case f.Err != nil:
			out = append(out, "!"+f.Err.Error())
		default:
			out = append(out, f.AIM+f.Text)
		}
	}
	return out
}

func encode(t testing.TB, cfg DecoderConfig, texts ...string) []byte {
	t.Helper()
	enc, err := NewEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b []byte
	for _, s := range texts {
		r, err := enc.Encode(s)
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, r...)
	}
	return b
}

func decodePieces(t testing.TB, cfg DecoderConfig, in []byte, cuts ...int) []string {
	d, err := NewKeyDecoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var frames []scanner.Frame
	prev := 0
	for _, c := range append(cuts, len(in)) {
		frames = append(frames, d.Feed(in[prev:c])...)
		prev = c
	}
	return summarize(frames)
}

func TestKeyDecoderRoundTrip(t *testing.T) {
	for _, tc := range keyCases {
		t.Run(tc.name, func(t *testing.T) {
			in := encode(t, tc.cfg, tc.text, "NEXT2")
			if len(in)%EventSize != 0 {
				t.Fatalf("%d bytes is not whole records", len(in))
			}
			got := decodePieces(t, tc.cfg, in)
			if want := fmt.Sprint([]string{tc.text, "NEXT2"}); fmt.Sprint(got) != want {
				t.Fatalf("decoded %q, want %q", got, want)
			}
		})
	}
}

func TestKeyDecoderSplitEverywhere(t *testing.T) {
	for _, tc := range keyCases {
		t.Run(tc.name, func(t *testing.T) {
			in := encode(t, tc.cfg, tc.text)
			whole := fmt.Sprint(decodePieces(t, tc.cfg, in))
			for i := 0; i <= len(in); i++ {
				if got := fmt.Sprint(decodePieces(t, tc.cfg, in, i)); got != whole {
					t.Fatalf("split at %d: %s, whole %s", i, got, whole)
				}
			}
		})
	}
}

// rec builds raw records by hand for cases an encoder never produces.
func rec(events ...[2]int) []byte {
	var b []byte
	ts := time.Unix(0, 0)
	for _, e := range events {
		b = appendRecord(b, ts, evKey, uint16(e[0]), int32(e[1]))
	}
	return b
}

func tap(code int) [][2]int { return [][2]int{{code, 1}, {code, 0}} }

func seq(parts ...[][2]int) [][2]int {
	var out [][2]int
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestKeyDecoderEdgeCases(t *testing.T) {
	const a, b, one = 30, 48, 2
	for _, tc := range []struct {
		name   string
		cfg    DecoderConfig
		events [][2]int
		want   string
	}{
		{"caps lock flips letters only", DecoderConfig{},
			seq(tap(keyCapsLock), tap(a), tap(one), [][2]int{{keyLeftShift, 1}}, tap(b), [][2]int{{keyLeftShift, 0}}, tap(keyEnter)), "[A1b]"},
		{"autorepeat ignored", DecoderConfig{}, seq([][2]int{{a, 1}, {a, 2}, {a, 2}, {a, 0}}, tap(keyEnter)), "[a]"},
		{"keypad enter ends", DecoderConfig{}, seq(tap(a), tap(keyKPEnter)), "[a]"},
		{"keypad digits", DecoderConfig{}, seq(tap(79), tap(80), tap(83), tap(keyEnter)), "[12.]"},
		{"unmapped key breaks the code", DecoderConfig{}, seq(tap(a), tap(keyEsc), tap(b), tap(keyEnter), tap(a), tap(keyEnter)), "[!framing a]"},
		{"lone enter", DecoderConfig{}, seq(tap(keyEnter), tap(keyEnter)), "[]"},
		{"ctrl+a is a control char", DecoderConfig{}, seq([][2]int{{keyLeftCtrl, 1}}, tap(a), [][2]int{{keyLeftCtrl, 0}}, tap(keyEnter)), "[!control]"},
		{"wrong layout garbles", DecoderConfig{Keymap: "de"}, seq(tap(21), tap(53), tap(keyEnter)), "[z-]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(decodePieces(t, tc.cfg, rec(tc.events...))); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestKeyDecoderIdleAndReset(t *testing.T) {
	d, _ := NewKeyDecoder(DecoderConfig{})
	d.Feed(rec(tap(30)...))
	if got := fmt.Sprint(summarize(d.Idle())); got != "[!framing]" {
		t.Fatalf("Idle: %s", got)
	}
	d.Feed(rec([2]int{keyLeftShift, 1}))
	d.Feed(rec(tap(30)...)[:5])
	d.Reset()
	if got := fmt.Sprint(summarize(d.Feed(rec(seq(tap(30), tap(keyEnter))...)))); got != "[a]" {
		t.Fatalf("after Reset: %s", got)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  DecoderConfig
		want string
	}{
		{DecoderConfig{Keymap: "dvorak"}, "use one of de, fr, us"},
		{DecoderConfig{Terminator: "space"}, "use enter or tab"},
		{DecoderConfig{GS: "f13"}, "use f1..f12"},
		{DecoderConfig{GS: "char:ab"}, "one character"},
	} {
		if _, err := NewKeyDecoder(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func FuzzKeyDecoder(f *testing.F) {
	for i, tc := range keyCases {
		b := encode(f, tc.cfg, tc.text)
		f.Add(b, uint8(i), uint16(len(b)/3))
	}
	f.Fuzz(func(t *testing.T, in []byte, cfgIdx uint8, cut uint16) {
		cfg := keyCases[int(cfgIdx)%len(keyCases)].cfg
		c := int(cut) % (len(in) + 1)
		whole := decodePieces(t, cfg, in)
		if got := decodePieces(t, cfg, in, c); fmt.Sprint(got) != fmt.Sprint(whole) {
			t.Fatalf("split at %d: %q, whole %q", c, got, whole)
		}
	})
}

// Driver tests over a named pipe: the same bytes an event device gives.

type recorder struct {
	mu       sync.Mutex
	texts    []string
	statuses []devices.State
}

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

func TestDriverOverPipe(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "event-kbd")
	dc := DecoderConfig{Keymap: "de", GS: "f8", AIM: true}
	sim, err := NewSimulator(path, dc)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	off := false
	rec := &recorder{}
	sc, err := New("counter-2", Config{Path: path, DecoderConfig: dc, Grab: &off,
		Reconnect: scanner.Reconnect{Min: scanner.Duration(10 * time.Millisecond), Max: scanner.Duration(50 * time.Millisecond)}},
		scanner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sc.OnStatus = func(s devices.Status) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		if n := len(rec.statuses); n == 0 || rec.statuses[n-1] != s.State {
			rec.statuses = append(rec.statuses, s.State)
		}
	}
	got := func() []string { rec.mu.Lock(); defer rec.mu.Unlock(); return append([]string(nil), rec.texts...) }
	err = sc.Start(context.Background(), func(r scanner.Read) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		rec.texts = append(rec.texts, r.AIM+"|"+r.Text)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Stop()
	waitFor(t, "ok", func() bool { return sc.Status().State == devices.StateOK })

	code := "]C1" + "0109501101530003" + "10A-1" + gs + "21Z"
	if err := sim.Scan(code); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "read", func() bool { return len(got()) == 1 })
	if g := got()[0]; g != "]C1|0109501101530003"+"10A-1"+gs+"21Z" {
		t.Fatalf("read %q", g)
	}
	if r := barcode.Validate(strings.SplitN(got()[0], "|", 2)[1], "]C1"); r.Err != nil || r.Kind != barcode.KindGS1 {
		t.Fatalf("validate: %+v", r)
	}

	sim.Unplug()
	waitFor(t, "reconnecting", func() bool { return sc.Status().State == devices.StateReconnecting })
	if st := sc.Status(); !strings.Contains(st.Detail, path) {
		t.Fatalf("status %+v", st)
	}
	if err := sim.Replug(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ok again", func() bool { return sc.Status().State == devices.StateOK })
	sim.Scan("]C0SF1234567890123")
	waitFor(t, "second read", func() bool { return len(got()) == 2 })
	if g := got(); g[1] != "]C0|SF1234567890123" {
		t.Fatalf("reads %q", g)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if s := fmt.Sprint(rec.statuses); s != "[ok disconnected reconnecting ok]" {
		t.Fatalf("statuses %s", s)
	}
}

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	sc, _ := New("x", Config{Path: filepath.Join(dir, "event9")}, scanner.Options{})
	if st := sc.Check(context.Background()); st.State != devices.StateDisconnected || !strings.Contains(st.Fix, "devices list") {
		t.Fatalf("missing: %+v", st)
	}
	path := filepath.Join(dir, "pipe")
	sim, err := NewSimulator(path, DecoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sc, _ = New("x", Config{Path: path}, scanner.Options{}) // grab on: a pipe refuses
	if st := sc.Check(context.Background()); st.State == devices.StateOK || !strings.Contains(st.Detail, "not a serial port or input device") {
		t.Fatalf("grab on a pipe: %+v", st)
	}

	raw, err := os.ReadFile("sample.json")
	if err != nil {
		t.Fatal(err)
	}
	var sample struct {
		Driver, Name string
		Config       json.RawMessage
	}
	if err := json.Unmarshal(raw, &sample); err != nil {
		t.Fatal(err)
	}
	if _, err := scanner.New(sample.Driver, sample.Name, sample.Config, scanner.Options{}); err != nil {
		t.Fatalf("sample.json: %v", err)
	}
}
