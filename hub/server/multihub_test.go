package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// startHubsOnOneStore starts n hubs on one data directory, one SQLite
// file, each with its own embedded broker and API: several hub processes
// on one database. The test ends them, or stop does first.
func startHubsOnOneStore(t *testing.T, n int, clk clock.Clock, sweepEvery time.Duration) (hubs []*Server, stop func(*Server)) {
	t.Helper()
	dir := t.TempDir()
	var once sync.Map
	stop = func(s *Server) {
		o, _ := once.LoadOrStore(s, &sync.Once{})
		o.(*sync.Once).Do(func() { s.Close() })
	}
	for range n {
		s, err := Start(context.Background(), Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0",
			Logger: discard(), Clock: clk, SweepEvery: sweepEvery})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stop(s) })
		hubs = append(hubs, s)
	}
	return hubs, stop
}

// ackOf sends frame through s's handler and returns the ack.
func ackOf(t *testing.T, s *Server, outlet string, frame []byte) syncproto.Ack {
	t.Helper()
	msgs := s.Hub.Handle(context.Background(), syncproto.UplinkTopic(outlet), frame)
	if len(msgs) != 1 {
		t.Fatalf("%d replies to a batch", len(msgs))
	}
	var ack syncproto.Ack
	if _, err := syncproto.Decode(msgs[0].Payload, syncproto.KindAck, &ack); err != nil {
		t.Fatal(err)
	}
	return ack
}

// An outlet's resend reaches another hub than its first send: the ack is
// what the shared store holds, whichever hub answers, including events one
// hub held beyond a gap that another hub's batch closes.
func TestResendToAnotherHub(t *testing.T) {
	hubs, _ := startHubsOnOneStore(t, 2, nil, time.Hour)
	a, b := hubs[0], hubs[1]
	for _, step := range []struct {
		hub         *Server
		first, last uint64
		acked       uint64
	}{
		{a, 1, 10, 10},
		{b, 1, 10, 10},  // the resend of an ack that was lost
		{b, 11, 20, 20}, // the next batch to the other hub
		{a, 11, 25, 25}, // a resend overlapping new events
		{b, 31, 40, 25}, // beyond a gap: held, not acked
		{a, 26, 30, 40}, // the other hub closes the gap
		{b, 26, 40, 40},
	} {
		name := "A"
		if step.hub == b {
			name = "B"
		}
		ack := ackOf(t, step.hub, "SH-001", batch(t, "SH-001", step.first, step.last, "RESEND"))
		if ack.Error != nil || ack.AckedSeq != step.acked {
			t.Fatalf("hub %s, batch %d..%d: ack %+v, want acked %d", name, step.first, step.last, ack, step.acked)
		}
	}
	for _, s := range hubs {
		evs, err := s.Store.SubjectEvents(context.Background(), "RESEND")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[uint64]bool{}
		for _, e := range evs {
			if seen[e.Seq] {
				t.Fatalf("seq %d stored twice", e.Seq)
			}
			seen[e.Seq] = true
		}
		if len(seen) != 40 {
			t.Fatalf("store holds %d events, want 40", len(seen))
		}
	}
}

// Head office's steps from several hubs take turns across them: the same
// step on one complaint, asked of three hubs at once, is taken once and
// refused by the others as already taken.
func TestStepOnceAcrossHubs(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC))
	hubs, _ := startHubsOnOneStore(t, 3, clk, time.Hour)
	addOutlet(t, hubs[0], "SH-001")
	o := newOutlet("SH-001", clk)
	const complaints = 12
	for i := range complaints {
		o.event(lifecycle.ComplaintReceived, fmt.Sprintf("C%d", i), lifecycle.ComplaintReceivedV1{Ticket: fmt.Sprintf("T%d", i), Channel: "counter",
			Type: "complaint", Category: "delay", Severity: "routine", Text: "late", Owner: "li", At: ms(clk.Now())})
	}
	o.send(t, hubs[0], 1)
	for i := range complaints {
		id := fmt.Sprintf("C%d", i)
		errs := make([]error, len(hubs))
		var wg sync.WaitGroup
		for h, s := range hubs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[h] = s.Cases.ComplaintStep(context.Background(), id, "wang", lifecycle.ComplaintStepV1{Step: "acknowledge"})
			}()
		}
		wg.Wait()
		taken := 0
		for h, err := range errs {
			var se *lifecycle.StepError
			switch {
			case err == nil:
				taken++
			case !errors.As(err, &se):
				t.Fatalf("%s on hub %d: %v, want taken or a step error", id, h, err)
			}
		}
		steps := downSteps(t, hubs[2], "SH-001", lifecycle.ComplaintStep, id)
		if taken != 1 || len(steps) != 1 {
			t.Fatalf("%s: acknowledged by %d hubs, %d steps stored; want 1 and 1", id, taken, len(steps))
		}
	}
}

// With three hubs on one store, one holds the timers' lease and escalates
// each SLA breach once; when it stops, another takes the lease at its
// next tick and escalates the next breach, once.
func TestTimersOnOneHubAtATime(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC))
	hubs, stop := startHubsOnOneStore(t, 3, clk, 5*time.Millisecond)
	addOutlet(t, hubs[0], "SH-001")
	seedCases(t, hubs[0], clk) // C1 received now
	holder := func(hubs []*Server) *Server {
		t.Helper()
		var h *Server
		eventually(t, "one hub holds the timers' lease", func() bool {
			n := 0
			for _, s := range hubs {
				if s.Cases.Leased() {
					n, h = n+1, s
				}
			}
			return n == 1
		})
		if m := metric(t, h, "yizhan_hub_timer_lease"); m != "1" {
			t.Fatalf("the holder's yizhan_hub_timer_lease is %q", m)
		}
		for _, s := range hubs {
			if s != h && metric(t, s, "yizhan_hub_timer_lease") != "0" {
				t.Fatal("a hub without the lease reports it held")
			}
		}
		return h
	}
	escalations := func(s *Server) string {
		var rs []string
		for _, p := range downSteps(t, s, "SH-001", lifecycle.ComplaintStep, "C1") {
			if p["step"] == "escalate" {
				rs = append(rs, p["reason"].(string))
			}
		}
		return fmt.Sprint(rs)
	}
	h := holder(hubs)
	clk.Advance(25 * time.Hour)
	waitSweeps(t, h, 3)
	if got := escalations(hubs[0]); got != "[sla_first_reply]" {
		t.Fatalf("escalations %s, want [sla_first_reply]", got)
	}
	stop(h)
	var rest []*Server
	for _, s := range hubs {
		if s != h {
			rest = append(rest, s)
		}
	}
	h = holder(rest)
	clk.Advance(7 * 24 * time.Hour) // past the result SLA too
	waitSweeps(t, h, 3)
	if got := escalations(rest[0]); got != "[sla_first_reply sla_result]" {
		t.Fatalf("escalations %s, want [sla_first_reply sla_result]", got)
	}
}

// metric is the value of an unlabelled metric on s's /metrics.
func metric(t *testing.T, s *Server, name string) string {
	t.Helper()
	resp, err := http.Get("http://" + s.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	for _, line := range strings.Split(readAll(t, resp), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("no metric %s", name)
	return ""
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// readyz is /readyz's status and catalog code ("" when ok).
func readyz(t *testing.T, s *Server) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + s.HTTPAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b problem.Body
	if resp.StatusCode != http.StatusOK {
		if err := json.Unmarshal([]byte(readAll(t, resp)), &b); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, b.Error.Code
}

// liveness is /healthz's status.
func liveness(t *testing.T, s *Server) int {
	t.Helper()
	resp, err := http.Get("http://" + s.HTTPAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A hub whose store file goes away says so in /readyz (503
// store.unreachable) and yizhan_hub_store_up, and answers ok again by
// itself when the file is back; /healthz (liveness) answers 200 all along.
func TestStoreUnreachableInHealthAndMetrics(t *testing.T) {
	dir := t.TempDir()
	s, err := Start(context.Background(), Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0",
		Logger: discard(), HealthEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if code, _ := readyz(t, s); code != 200 || metric(t, s, "yizhan_hub_store_up") != "1" {
		t.Fatalf("a fresh hub: /readyz %d, store_up %s", code, metric(t, s, "yizhan_hub_store_up"))
	}
	db := filepath.Join(dir, "hub.db")
	if err := os.Rename(db, db+".away"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "store unavailable", func() bool {
		code, c := readyz(t, s)
		return code == http.StatusServiceUnavailable && c == problem.StoreUnreachable.String() && metric(t, s, "yizhan_hub_store_up") == "0"
	})
	if code := liveness(t, s); code != http.StatusOK {
		t.Fatalf("/healthz %d with the store away: liveness must not depend on it", code)
	}
	if err := os.Rename(db+".away", db); err != nil {
		t.Fatal(err)
	}
	eventually(t, "store back", func() bool {
		code, _ := readyz(t, s)
		return code == 200 && metric(t, s, "yizhan_hub_store_up") == "1"
	})
}

// A commit that fails marks the store down at once, before the next
// probe, and one that succeeds marks it up.
func TestCommitOutcomeSetsStoreHealth(t *testing.T) {
	h := &storeHealth{log: discard()}
	s, err := Start(context.Background(), Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w := watchedStore{Store: s.Store, health: h}
	if _, err := w.Commit(context.Background(), []store.Unit{{Count: map[string]uint64{"x": 1}}}); err != nil {
		t.Fatal(err)
	}
	if h.check() != nil || h.up() != 1 {
		t.Fatalf("after a commit: %v", h.check())
	}
	s.Store.Close()
	if _, err := w.Commit(context.Background(), []store.Unit{{Count: map[string]uint64{"x": 1}}}); err == nil {
		t.Fatal("commit on a closed store succeeded")
	}
	if err := h.check(); !problem.Is(err, problem.StoreUnreachable) || h.up() != 0 {
		t.Fatalf("after a failed commit: %v", err)
	}
}

// Hubs sharing a broker, even on one machine, get distinct client ids by
// default (the API's port is in it), so the broker keeps both connected;
// two hubs given one id are told, loudly, why the broker keeps dropping
// them.
func TestClientIDsOfHubsOnOneBroker(t *testing.T) {
	if a, b := DefaultClientID("127.0.0.1:8071"), DefaultClientID("127.0.0.1:8072"); a == b || !strings.HasSuffix(a, "-8071") {
		t.Fatalf("default client ids %q and %q", a, b)
	}
	addr := startMosquitto(t, map[string]string{"hub": "pw-hub", "A": "pw-a"})
	start := func(id string) (*Server, *logBuffer) {
		var logs logBuffer
		s, err := Start(context.Background(), Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerURL: "tcp://hub:pw-hub@" + addr,
			ClientID: id, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, &logs
	}
	const dropped = "lost broker connection soon after connecting"
	var logs []*logBuffer
	for range 2 {
		s, l := start("")
		eventually(t, "hub connected", s.Connected)
		logs = append(logs, l)
	}
	a := mustDial(t, addr, "A", "pw-a")
	a.sub(t, syncproto.OutletDownTree("A"))
	for first := uint64(1); first <= 100; first += 10 {
		a.pub(t, syncproto.UplinkTopic("A"), 1, batch(t, "A", first, first+9, "IDS"))
	}
	// Each hub has its own store here: both answering shows both stayed
	// subscribed.
	eventually(t, "both hubs answered", func() bool {
		n := 0
		for _, p := range a.received(syncproto.AckTopic("A")) {
			var ack syncproto.Ack
			if _, err := syncproto.Decode(p, syncproto.KindAck, &ack); err == nil && ack.AckedSeq == 0 {
				n++ // a batch beyond a hub's gap: that hub is the other one
			}
		}
		return n > 0 && len(a.received(syncproto.AckTopic("A"))) == 10
	})
	for i, l := range logs {
		if strings.Contains(l.String(), dropped) {
			t.Fatalf("hub %d with a default client id was dropped by the broker:\n%s", i, l)
		}
	}
	_, l1 := start("same-id")
	_, l2 := start("same-id")
	eventually(t, "a shared client id is logged", func() bool {
		return strings.Contains(l1.String(), dropped) || strings.Contains(l2.String(), dropped)
	})
}

// An outlet's waybill-block request that reaches several hubs (its batch
// resent to another, or delivered to two at once) is answered with one
// block: the allocation's once key is the store's, not a hub's.
func TestWaybillRequestAnsweredOnceAcrossHubs(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC))
	hubs, _ := startHubsOnOneStore(t, 3, clk, time.Hour)
	addOutlet(t, hubs[0], "SH-001")
	o := newOutlet("SH-001", clk)
	o.event(lifecycle.WaybillBlockRequested, "SH-001", lifecycle.WaybillBlockRequestV1{Count: 50, At: ms(clk.Now())})
	frame := o.batch(t, 1)
	var wg sync.WaitGroup
	for _, s := range hubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ack := ackOf(t, s, "SH-001", frame); ack.AckedSeq != 1 {
				t.Errorf("ack %+v", ack)
			}
		}()
	}
	wg.Wait()
	ackOf(t, hubs[1], "SH-001", frame) // and once more, later
	evs, _, _, err := hubs[2].Store.Down(context.Background(), "SH-001", 0, 1000, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, e := range evs {
		if e.Type == lifecycle.WaybillBlockAllocated {
			blocks++
		}
	}
	if blocks != 1 {
		t.Fatalf("%d waybill blocks allocated for one request, want 1", blocks)
	}
}
