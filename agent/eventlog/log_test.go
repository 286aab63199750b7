package eventlog

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

func scanDraft(waybill string) Draft {
	p, _ := json.Marshal(lifecycle.ScannedV1{Barcode: waybill, Action: "inbound"})
	return Draft{Actor: "clerk-1", Type: lifecycle.ParcelScanned, Subject: waybill, Payload: p}
}

// opened is a log with its data file; close closes both, in order.
type opened struct {
	*Log
	file *datafile.File
}

func (o opened) close() {
	o.Log.Close()
	o.file.Close()
}

func openLog(dir string, o Options) (opened, error) {
	f, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
	if err != nil {
		return opened{}, err
	}
	l, err := Open(f, o)
	if err != nil {
		f.Close()
		return opened{}, err
	}
	return opened{l, f}, nil
}

func openT(t testing.TB, dir string, o Options) opened {
	t.Helper()
	l, err := openLog(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.close)
	return l
}

func TestAppendConcurrentThenReopen(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Options{})
	const writers, each = 32, 50
	var wg sync.WaitGroup
	seen := make(chan uint64, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ev, err := l.Append(context.Background(), scanDraft(fmt.Sprintf("W%02dP%03d", w, i)))
				if err != nil {
					t.Error(err)
					return
				}
				seen <- ev.Seq
			}
		}(w)
	}
	wg.Wait()
	close(seen)
	got := map[uint64]bool{}
	for s := range seen {
		if got[s] {
			t.Fatalf("seq %d issued twice", s)
		}
		got[s] = true
	}
	if len(got) != writers*each {
		t.Fatalf("%d seqs", len(got))
	}
	l.close()

	l2 := openT(t, dir, Options{})
	if c := l2.Counters(); c.LastSeq != writers*each || c.Backlog != writers*each {
		t.Fatalf("after reopen: %+v", c)
	}
	raws, err := l2.ReadRaw(1, 1<<30, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var prev syncproto.Event
	for i, raw := range raws {
		var ev syncproto.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Seq != uint64(i+1) || ev.Origin != "SH-001" || ev.ID == "" {
			t.Fatalf("event %d: %+v", i, ev)
		}
		if i > 0 && ev.HLC <= prev.HLC {
			t.Fatalf("HLC not increasing with seq at %d", ev.Seq)
		}
		prev = ev
	}
	next, err := l2.Append(context.Background(), scanDraft("AFTER"))
	if err != nil || next.Seq != writers*each+1 || next.HLC <= prev.HLC {
		t.Fatalf("append after reopen: %+v %v", next, err)
	}
}

func TestInvalidDraftRejectedAloneInGroup(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	bad := scanDraft("X")
	bad.Actor = "" // CheckEvent refuses an event with no actor
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d := scanDraft(fmt.Sprint("P", i))
			if i == 5 {
				d = bad
			}
			_, errs[i] = l.Append(context.Background(), d)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == 5) {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if c := l.Counters(); c.LastSeq != 9 {
		t.Fatalf("last seq %d, want 9 (no hole for the refused one)", c.LastSeq)
	}
}

// The log stores events and cursors only: an append with no projectors
// writes nothing outside meta/ and events/.
func TestAppendWritesOnlyTheLog(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	for _, w := range []string{"SF1", "SF2", "SF1"} {
		if _, err := l.Append(context.Background(), scanDraft(w)); err != nil {
			t.Fatal(err)
		}
	}
	err := l.file.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if string(name) == string(datafile.Meta) || string(name) == string(datafile.Events) {
				return nil
			}
			return b.ForEach(func(k, v []byte) error {
				if v != nil {
					t.Errorf("append wrote %s/%q", name, k)
					return nil
				}
				return b.Bucket(k).ForEach(func(k2, _ []byte) error {
					t.Errorf("append wrote %s/%s/%q", name, k, k2)
					return nil
				})
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	raws, _ := l.ReadRaw(1, 10, 1<<20)
	if len(raws) != 3 {
		t.Fatalf("%d events stored", len(raws))
	}
}

func TestAcknowledgeAndDeadLetters(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	for i := 0; i < 10; i++ {
		if _, err := l.Append(context.Background(), scanDraft(fmt.Sprint("P", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Acknowledge(6, []syncproto.Rejection{{Seq: 4, Code: "invalid_event", Reason: "bad"}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Acknowledge(3, nil); err != nil { // a late, older ack must not move back
		t.Fatal(err)
	}
	if err := l.Acknowledge(6, []syncproto.Rejection{{Seq: 4, Code: "invalid_event", Reason: "bad"}}); err != nil {
		t.Fatal(err) // replayed ack: no second dead letter
	}
	c := l.Counters()
	if c.AckedSeq != 6 || c.Backlog != 4 || c.DeadLetter != 1 {
		t.Fatalf("counters %+v", c)
	}
	dl, err := l.DeadLetters(10)
	if err != nil || len(dl) != 1 || dl[0].Seq != 4 || dl[0].Reason != "bad" || len(dl[0].Event) == 0 {
		t.Fatalf("dead letters %+v %v", dl, err)
	}
	if err := l.Acknowledge(99, nil); err != nil {
		t.Fatal(err)
	}
	if c := l.Counters(); c.AckedSeq != 6 {
		t.Fatalf("ack beyond last seq moved cursor to %d", c.AckedSeq)
	}
}

func TestApplyDown(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	ev := func(seq uint64, target string) syncproto.Event {
		return syncproto.Event{ID: fmt.Sprint("h", seq), Origin: syncproto.HubOrigin, Seq: seq, HLC: 1, Actor: "hq", Type: "notice.published", V: 1, Target: target}
	}
	cases := []struct {
		name    string
		d       syncproto.Down
		wantN   int
		wantCur uint64
		wantErr bool
	}{
		{"first", syncproto.Down{From: 0, Through: 5, Events: []syncproto.Event{ev(2, "*"), ev(5, "SH-001")}}, 2, 5, false},
		{"gap refused", syncproto.Down{From: 7, Through: 9, Events: []syncproto.Event{ev(9, "*")}}, 0, 5, true},
		{"replay", syncproto.Down{From: 0, Through: 5, Events: []syncproto.Event{ev(2, "*"), ev(5, "SH-001")}}, 0, 5, false},
		{"overlap", syncproto.Down{From: 3, Through: 8, Events: []syncproto.Event{ev(5, "SH-001"), ev(8, "*")}}, 1, 8, false},
		{"other outlet ignored", syncproto.Down{From: 8, Through: 10, Events: []syncproto.Event{ev(10, "SH-002")}}, 0, 10, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := l.ApplyDown(&tc.d)
			if (err != nil) != tc.wantErr || n != tc.wantN || l.Counters().DownCursor != tc.wantCur {
				t.Fatalf("n=%d err=%v cursor=%d", n, err, l.Counters().DownCursor)
			}
		})
	}
	evs, _ := l.DownEvents(10)
	if len(evs) != 3 {
		t.Fatalf("%d downlink events stored", len(evs))
	}
}

func TestHLCFloorAcrossRestartWithClockSetBack(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	l := openT(t, dir, Options{Clock: clock.NewManual(now.Add(6 * time.Hour))})
	a, _ := l.Append(context.Background(), scanDraft("A"))
	l.close()
	l2 := openT(t, dir, Options{Clock: clock.NewManual(now.Add(-6 * time.Hour))})
	b, _ := l2.Append(context.Background(), scanDraft("B"))
	if b.HLC <= a.HLC {
		t.Fatalf("HLC went back after the clock was set back: %v then %v", a.HLC, b.HLC)
	}
}

// TestCrashKeepsEveryAcknowledgedAppend kills a real process that appends as
// fast as it can and prints each seq after Append returned, then checks every
// printed seq is in the reopened file.
func TestCrashKeepsEveryAcknowledgedAppend(t *testing.T) {
	if dir := os.Getenv("YZ_EVENTLOG_CRASH_CHILD"); dir != "" {
		l, err := openLog(dir, Options{})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		var mu sync.Mutex
		for w := 0; w < 8; w++ {
			go func() {
				for i := 0; ; i++ {
					ev, err := l.Append(context.Background(), scanDraft(fmt.Sprint("C", i)))
					if err != nil {
						return
					}
					mu.Lock()
					fmt.Println(ev.Seq)
					mu.Unlock()
				}
			}()
		}
		select {}
	}
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsEveryAcknowledgedAppend$")
		cmd.Env = append(os.Environ(), "YZ_EVENTLOG_CRASH_CHILD="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var acked []uint64
		for sc.Scan() && len(acked) < 300*(round+1) {
			s, err := strconv.ParseUint(sc.Text(), 10, 64)
			if err != nil {
				t.Fatalf("child: %s", sc.Text())
			}
			acked = append(acked, s)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		l, err := openLog(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		last := l.Counters().LastSeq
		raws, _ := l.ReadRaw(1, 1<<30, 1<<30)
		l.close()
		if uint64(len(raws)) != last {
			t.Fatalf("round %d: %d events stored but last_seq %d", round, len(raws), last)
		}
		for _, s := range acked {
			if s > last {
				t.Fatalf("round %d: seq %d was acknowledged but is not on disk (last %d)", round, s, last)
			}
		}
		t.Logf("round %d: %d acknowledged appends seen, %d on disk", round, len(acked), last)
	}
}

// observed records what the ack latency is told.
type observed struct{ v []float64 }

func (o *observed) Observe(v float64) { o.v = append(o.v, v) }

// TestAckLatency: every event an ack covers for the first time is
// observed once, with its age by the PC clock; a replayed or older ack adds
// nothing.
func TestAckLatency(t *testing.T) {
	pc := clock.NewManual(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	var obs observed
	l := openT(t, t.TempDir(), Options{Clock: pc, AckLatency: &obs})
	for i := 0; i < 5; i++ {
		if _, err := l.Append(context.Background(), scanDraft(fmt.Sprint("P", i))); err != nil {
			t.Fatal(err)
		}
	}
	pc.Advance(90 * time.Second)
	if err := l.Acknowledge(3, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Acknowledge(3, nil); err != nil {
		t.Fatal(err)
	}
	if len(obs.v) != 3 {
		t.Fatalf("observed %v, want 3 values", obs.v)
	}
	for _, v := range obs.v {
		if v != 90 {
			t.Fatalf("observed %v, want 90 s each", obs.v)
		}
	}
	pc.Advance(10 * time.Second)
	if err := l.Acknowledge(5, nil); err != nil {
		t.Fatal(err)
	}
	if len(obs.v) != 5 || obs.v[3] != 100 || obs.v[4] != 100 {
		t.Fatalf("observed %v", obs.v)
	}
}

// TestAckLatencyBounded: one ack over more than maxAckObserved events
// observes only the newest of them.
func TestAckLatencyBounded(t *testing.T) {
	var obs observed
	l := openT(t, t.TempDir(), Options{AckLatency: &obs})
	n := maxAckObserved + 10
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Append(context.Background(), scanDraft(fmt.Sprint("P", i))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := l.Acknowledge(uint64(n), nil); err != nil {
		t.Fatal(err)
	}
	if len(obs.v) != maxAckObserved {
		t.Fatalf("observed %d, want %d", len(obs.v), maxAckObserved)
	}
}

// BenchmarkAcknowledge500: the cost of one ack over a 500-event batch,
// with the ack latency observed and without.
func BenchmarkAcknowledge500(b *testing.B) {
	for _, observe := range []bool{false, true} {
		b.Run(fmt.Sprintf("observe=%v", observe), func(b *testing.B) {
			o := Options{}
			if observe {
				o.AckLatency = &observed{}
			}
			l := openT(b, b.TempDir(), o)
			var wg sync.WaitGroup
			for i := range 500 * (b.N + 1) {
				wg.Add(1)
				go func() { defer wg.Done(); _, _ = l.Append(context.Background(), scanDraft(fmt.Sprint("P", i))) }()
				if i%256 == 255 {
					wg.Wait()
				}
			}
			wg.Wait()
			b.ResetTimer()
			for i := range b.N {
				if err := l.Acknowledge(uint64(500*(i+1)), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestStampOf: the quick read of a stored event's stamp agrees with
// decoding it.
func TestStampOf(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	ev, err := l.Append(context.Background(), scanDraft("SF1"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := l.ReadRaw(ev.Seq, 1, 1<<20)
	if err != nil || len(raw) != 1 {
		t.Fatal(err)
	}
	if got := stampOf(raw[0]); got != ev.HLC || got == 0 {
		t.Fatalf("stampOf = %v, event has %v", got, ev.HLC)
	}
	if got := stampOf([]byte(`{"payload":{},"hlc" : 12345}`)); got != 12345 {
		t.Fatalf("spaced field: %v", got)
	}
}
