package load

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestShapeAveragesOneOverADay(t *testing.T) {
	// Another rule than the one Shape is scaled by: 10-second steps.
	sum, n := 0.0, 0
	for s := 0; s < 86400; s += 10 {
		sum += Shape(float64(s) / 3600)
		n++
	}
	if mean := sum / float64(n); math.Abs(mean-1) > 1e-3 {
		t.Fatalf("mean over a day %.5f, want 1", mean)
	}
}

func TestShapeIsLowAtNightWithTwoPeaks(t *testing.T) {
	argmax := func(from, to float64) float64 {
		best, at := -1.0, from
		for h := from; h <= to; h += 1.0 / 60 {
			if v := Shape(h); v > best {
				best, at = v, h
			}
		}
		return at
	}
	if at := argmax(0, 24); math.Abs(at-morningPeak) > 0.25 {
		t.Errorf("busiest at %.2f h, want the morning peak near %v", at, morningPeak)
	}
	if at := argmax(13.5, 20); math.Abs(at-afternoonPeak) > 0.25 {
		t.Errorf("afternoon busiest at %.2f h, want near %v", at, afternoonPeak)
	}
	if night, noonDip, morning := Shape(3), Shape(13), Shape(10); !(night < 0.2 && night < noonDip && noonDip < morning && noonDip < Shape(16)) {
		t.Errorf("3:00 %.3f, 13:00 %.3f, 10:00 %.3f, 16:00 %.3f: want night lowest and a dip between the peaks", night, noonDip, morning, Shape(16))
	}
	if a, b := Shape(-1), Shape(23); a != b {
		t.Errorf("Shape(-1) %v != Shape(23) %v: the day must wrap", a, b)
	}
	if a, b := Shape(25), Shape(1); a != b {
		t.Errorf("Shape(25) %v != Shape(1) %v: the day must wrap", a, b)
	}
}

func TestProfilePeakSpeedAndEvents(t *testing.T) {
	day := Profile{Rate: 0.05, Speed: 60, StartHour: 22}
	d11 := day
	d11.Peak = 3
	for _, sim := range []time.Duration{0, time.Hour, 5 * time.Hour, 13 * time.Hour} {
		if got, want := d11.RateAt(sim), 3*day.RateAt(sim); math.Abs(got-want) > 1e-12 {
			t.Errorf("at %v: Double 11 rate %v, want three times %v", sim, got, day.RateAt(sim))
		}
	}
	if h := day.Hour(4 * time.Hour); math.Abs(h-2) > 1e-9 {
		t.Errorf("22:00 plus 4 h is hour %v, want 2", h)
	}
	if got := day.Sim(time.Minute); got != time.Hour {
		t.Errorf("a real minute at speed 60 is %v simulated, want 1h", got)
	}
	if got := day.Real(24 * time.Hour); got != 24*time.Minute {
		t.Errorf("a simulated day at speed 60 takes %v, want 24m", got)
	}
	if got, want := d11.Events(0, 24*time.Hour), 3*0.05*86400; math.Abs(got-want)/want > 1e-3 {
		t.Errorf("a Double 11 day makes %.1f events an outlet, want %.1f", got, want)
	}
	if day.Events(time.Hour, time.Hour) != 0 || day.Events(2*time.Hour, time.Hour) != 0 {
		t.Error("an empty or backward interval makes events")
	}
	// Pieces add up to the whole: the scheduler integrates tick by tick.
	whole, parts := day.Events(0, 3*time.Hour), 0.0
	for t0 := time.Duration(0); t0 < 3*time.Hour; t0 += 3 * time.Second {
		parts += day.Events(t0, t0+3*time.Second)
	}
	if math.Abs(whole-parts)/whole > 1e-3 {
		t.Errorf("three hours in 3-second pieces make %.2f events, in one piece %.2f", parts, whole)
	}
	for _, bad := range []Profile{{Rate: -1}, {Rate: math.NaN()}, {Peak: -1}, {Speed: -2}, {StartHour: 24}} {
		if bad.Check() == nil {
			t.Errorf("%+v passed Check", bad)
		}
	}
	if (Profile{}).Check() != nil || (Profile{}).Sim(time.Second) != time.Second {
		t.Error("a zero profile must be valid with speed 1")
	}
}

func TestStormCapsBackoffSoTheJitteredWaitEndsInTime(t *testing.T) {
	if got := (Storm{ReturnWithin: time.Minute}).backoffMax(); got != 40*time.Second {
		t.Fatalf("backoff cap %v for a return within 1m, want 40s (1.5 × 40s = 1m)", got)
	}
	if got := (Storm{}).backoffMax(); got != 0 {
		t.Fatalf("backoff cap %v without ReturnWithin, want 0 (the client's own)", got)
	}
}

func TestQuantileNearestRank(t *testing.T) {
	var v []time.Duration
	for i := 1; i <= 100; i++ {
		v = append(v, time.Duration(i)*time.Millisecond)
	}
	for q, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond, 0: time.Millisecond} {
		if got := quantile(v, q); got != want {
			t.Errorf("quantile %v = %v, want %v", q, got, want)
		}
	}
	if quantile(nil, 0.5) != 0 || quantile(v[:1], 0.99) != time.Millisecond {
		t.Error("empty or single-value quantile")
	}
}

func sampleReport(storm bool) *Report {
	rep := &Report{StormStart: -1, StormEnd: -1}
	if storm {
		rep.StormStart, rep.StormEnd = 2*time.Second, 4*time.Second
	}
	for i := 1; i <= 6; i++ {
		rep.Seconds = append(rep.Seconds, Second{T: i, SimHour: 23.5 + float64(i)/60, Appended: uint64(100 * i), Acked: uint64(90 * i),
			P50: 12500 * time.Microsecond, P99: time.Duration(i) * 100 * time.Millisecond, Max: time.Second, Backlog: uint64(10 * i),
			Owed: 3, Connected: 50, Connects: uint64(i), ConnectErrors: 1, Refused: 0, OfflineDials: 7, LinkDown: i == 3})
	}
	return rep
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	if err := sampleReport(false).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 || !slices.Equal(rows[0], csvHeader) {
		t.Fatalf("%d rows, header %v", len(rows), rows[0])
	}
	col := func(name string) int { return slices.Index(csvHeader, name) }
	r3 := rows[3]
	for name, want := range map[string]string{"second": "3", "sim_time": "23:33:00", "appended": "300", "acked": "270",
		"latency_p50_ms": "12.5", "latency_p99_ms": "300.0", "latency_max_ms": "1000.0", "backlog": "30", "owed": "3", "connected": "50",
		"connects": "3", "connect_errors": "1", "refused": "0", "offline_dials": "7", "link_down": "1"} {
		if got := r3[col(name)]; got != want {
			t.Errorf("row 3 %s = %q, want %q", name, got, want)
		}
	}
	if rows[6][col("sim_time")] != "23:36:00" || rows[1][col("link_down")] != "0" {
		t.Errorf("rows %v, %v", rows[1], rows[6])
	}
	// Past midnight the clock wraps.
	if got := clockTime(24.5); got != "00:30:00" {
		t.Errorf("clockTime(24.5) = %s", got)
	}
}

// svgDoc is what the test reads back from WriteSVG.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	Rects   []struct {
		Fill string `xml:"fill,attr"`
	} `xml:"rect"`
	Polylines []struct {
		Stroke string `xml:"stroke,attr"`
		Points string `xml:"points,attr"`
	} `xml:"polyline"`
	Texts []string `xml:"text"`
}

func readSVG(t *testing.T, rep *Report, title string) svgDoc {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WriteSVG(&b, title); err != nil {
		t.Fatal(err)
	}
	var doc svgDoc
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed SVG: %v\n%s", err, b.String())
	}
	return doc
}

func TestWriteSVG(t *testing.T) {
	doc := readSVG(t, sampleReport(true), `run <5 & "x">`)
	want := 0
	for _, p := range panels() {
		want += len(p.series)
	}
	if len(doc.Polylines) != want {
		t.Fatalf("%d lines, want one per series (%d)", len(doc.Polylines), want)
	}
	for _, pl := range doc.Polylines {
		if n := len(strings.Fields(pl.Points)); n != 6 {
			t.Errorf("line %s has %d points, want one per second (6)", pl.Stroke, n)
		}
	}
	shaded := func(d svgDoc) int {
		n := 0
		for _, r := range d.Rects {
			if r.Fill == "#f3e0e0" {
				n++
			}
		}
		return n
	}
	if n := shaded(doc); n != len(panels()) {
		t.Errorf("%d shaded outages, want one per panel", n)
	}
	if n := shaded(readSVG(t, sampleReport(false), "calm")); n != 0 {
		t.Errorf("%d shaded outages in a run without a storm", n)
	}
	if !slices.Contains(doc.Texts, `run <5 & "x">`) {
		t.Errorf("title lost: %q", doc.Texts[:3])
	}
	for _, p := range []string{"events a second", "backlog (appended, not acknowledged)", "latency, append to acknowledgement", "connections"} {
		if !slices.Contains(doc.Texts, p) {
			t.Errorf("no panel %q", p)
		}
	}
	// The p99 line rises with the sample's p99: its last point is its highest.
	var p99 []string
	for _, pl := range doc.Polylines {
		if pl.Stroke == "#9467bd" {
			p99 = strings.Fields(pl.Points)
		}
	}
	y := func(pt string) string { _, v, _ := strings.Cut(pt, ","); return v }
	if len(p99) != 6 || !(y(p99[5]) < y(p99[0])) {
		t.Errorf("p99 points %v: the last must be above (a smaller y than) the first", p99)
	}
	// A second that acknowledged nothing has no latency: those lines pass
	// over it, the others do not.
	quiet := sampleReport(false)
	quiet.Seconds[2].Acked, quiet.Seconds[2].P50, quiet.Seconds[2].P99 = 0, 0, 0
	for _, pl := range readSVG(t, quiet, "quiet").Polylines {
		want := 6
		if pl.Stroke == "#9467bd" || pl.Stroke == "#c5b0d5" {
			want = 5
		}
		if n := len(strings.Fields(pl.Points)); n != want {
			t.Errorf("line %s has %d points, want %d", pl.Stroke, n, want)
		}
	}
	// An empty run still draws.
	readSVG(t, &Report{StormStart: -1}, "empty")
}

func TestNiceCeilAndTicks(t *testing.T) {
	for v, want := range map[float64]float64{0: 1, 0.3: 1, 1: 1, 1.1: 2, 3: 5, 7: 10, 10: 10, 11: 20, 4200: 5000} {
		if got := niceCeil(v); got != want {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
	if got := ticks(60); !slices.Equal(got, []int{0, 10, 20, 30, 40, 50, 60}) {
		t.Errorf("ticks(60) = %v", got)
	}
}

func TestShardsSplitTheRun(t *testing.T) {
	all, err := Outlets("LG", 10, Shard{})
	if err != nil || len(all) != 10 || all[0].ID != "LG-00001" || all[9].ID != "LG-00010" || all[9].Index != 10 {
		t.Fatalf("whole run: %v %v", all, err)
	}
	seen := map[string]int{}
	for i := range 3 {
		sh, err := ParseShard(strings.Join([]string{string(rune('0' + i)), "3"}, "/"))
		if err != nil {
			t.Fatal(err)
		}
		part, _ := Outlets("LG", 10, sh)
		for _, o := range part {
			seen[o.ID]++
		}
	}
	for _, o := range all {
		if seen[o.ID] != 1 {
			t.Errorf("%s in %d shards, want exactly one", o.ID, seen[o.ID])
		}
	}
	for _, bad := range []string{"", "1", "2/2", "-1/2", "0/0", "a/b"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("ParseShard(%q) passed", bad)
		}
	}
	if _, err := Outlets("bad prefix", 1, Shard{}); err == nil {
		t.Error("an id with a space passed")
	}
}

func TestCredentialsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outlets.csv")
	all, _ := Outlets("LG", 5, Shard{})
	for i := range all {
		all[i].Secret, _ = NewSecret()
	}
	if err := WriteCredentials(path, all); err != nil {
		t.Fatal(err)
	}
	got, err := ReadCredentials(path, Shard{})
	if err != nil || !slices.Equal(got, all) {
		t.Fatalf("read back %v %v, want %v", got, err, all)
	}
	odd, _ := ReadCredentials(path, Shard{1, 2})
	if len(odd) != 3 || odd[0].ID != "LG-00001" || odd[2].ID != "LG-00005" {
		t.Fatalf("shard 1/2: %v", odd)
	}
	os.WriteFile(path, []byte("LG-00001,only-two\n"), 0o600)
	if _, err := ReadCredentials(path, Shard{}); err == nil {
		t.Fatal("a malformed line passed")
	}
}

// The ACL the load generator writes is the production one.
func TestACLIsTheProductionACL(t *testing.T) {
	raw, err := os.ReadFile("../../mosquitto/acl")
	if err != nil {
		t.Fatal(err)
	}
	rules := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				out = append(out, l)
			}
		}
		return out
	}
	if got, want := rules(ACL("hub")), rules(string(raw)); !slices.Equal(got, want) {
		t.Fatalf("ACL rules\n%q\ndeploy/mosquitto/acl\n%q", got, want)
	}
}

func TestTooManyOutletsRefusedWithTheWayOut(t *testing.T) {
	max := MaxOutlets()
	outlets := make([]Outlet, max+1)
	for i := range outlets {
		outlets[i] = Outlet{ID: "LG-x", Secret: "s", Index: i}
	}
	rep, err := Run(t.Context(), Options{Broker: "tcp://127.0.0.1:1", Outlets: outlets, Profile: Profile{Rate: 1}, Duration: time.Second})
	var tm *TooManyError
	if !errors.As(err, &tm) || rep != nil || tm.Asked != max+1 || tm.Max != max {
		t.Fatalf("Run with %d outlets: %v %v", max+1, rep, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "--shard") || !strings.Contains(msg, "open files") {
		t.Fatalf("the refusal does not say why and what to do: %s", msg)
	}
}

// Cut breaks a connection a reader is blocked on with errLinkCut (not a
// local close, which paho would take for its own disconnect), refuses
// dials until Restore, and counts.
func TestGateCutsAndRestores(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	g := newGate()
	c, err := g.DialContext(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 1)); read <- err }()
	time.Sleep(20 * time.Millisecond) // let the read block; the test holds either way
	g.Cut()
	select {
	case err := <-read:
		if !errors.Is(err, errLinkCut) {
			t.Fatalf("blocked read ended with %v, want errLinkCut", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cut did not end a blocked read")
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, errLinkCut) {
		t.Fatalf("write after a cut: %v", err)
	}
	if _, err := g.DialContext(t.Context(), "tcp", ln.Addr().String()); !errors.Is(err, errLinkCut) || !g.Down() {
		t.Fatalf("dial while cut: %v", err)
	}
	c.Close()
	g.Restore()
	c2, err := g.DialContext(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
	if g.dials.Load() != 2 || g.refused.Load() != 1 {
		t.Fatalf("dials %d refused %d, want 2 and 1", g.dials.Load(), g.refused.Load())
	}
}

func TestSummaryNamesTheCommonestErrors(t *testing.T) {
	rep := sampleReport(false)
	rep.Errors = map[string]int{errorKind("connect to tcp://127.0.0.1:1883: no answer within 15s"): 7, errorKind("lost"): 2, "a": 1, "b": 1}
	sum := rep.Summary()
	if !strings.Contains(sum, "7× connect to tcp://###.#.#.#:####: no answer within ##s") || !strings.Contains(sum, "2× lost") {
		t.Fatalf("summary:\n%s", sum)
	}
	if strings.Contains(sum, "× b") {
		t.Fatalf("more than the three commonest kinds:\n%s", sum)
	}
	if k := errorKind(strings.Repeat("x", 300)); len(k) != 160 {
		t.Fatalf("a long message kept %d bytes", len(k))
	}
}
