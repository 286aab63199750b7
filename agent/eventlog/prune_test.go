package eventlog

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// seqs lists the sequences events/ holds, in order.
func seqs(t *testing.T, l opened) []uint64 {
	t.Helper()
	var out []uint64
	err := l.file.View(func(tx *bolt.Tx) error {
		return tx.Bucket(datafile.Events).ForEach(func(k, _ []byte) error {
			out = append(out, binary.BigEndian.Uint64(k))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Pruning never removes an event the hub has not acknowledged, whatever
// its age, and removes exactly the acknowledged events older than the
// cut-off: over random logs, acknowledgement points, ages, cut-offs and
// batch sizes, dry runs included.
func TestPruneKeepsUnacknowledged(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 90))
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	for round := range 40 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			clk := clock.NewManual(start)
			l := openT(t, t.TempDir(), Options{Clock: clk})
			n := 1 + rng.IntN(60)
			at := make([]time.Time, n+1)
			for i := 1; i <= n; i++ {
				clk.Advance(time.Duration(rng.IntN(48)) * time.Hour)
				at[i] = clk.Now()
				if _, err := l.Append(context.Background(), scanDraft(fmt.Sprintf("P%03d", i))); err != nil {
					t.Fatal(err)
				}
			}
			acked := uint64(rng.IntN(n + 1)) // 0: the hub was never reached
			var rejected []syncproto.Rejection
			if acked > 1 && rng.IntN(2) == 0 {
				rejected = []syncproto.Rejection{{Seq: 1 + uint64(rng.IntN(int(acked))), Code: "event.invalid", Reason: "test"}}
			}
			if err := l.Acknowledge(acked, rejected); err != nil {
				t.Fatal(err)
			}
			cutoff := start.Add(time.Duration(rng.IntN(n*48+48)) * time.Hour)
			batch := 1 + rng.IntN(7)
			want := uint64(0) // the highest seq that may go
			for s := uint64(1); s <= acked && at[s].Before(cutoff); s++ {
				want = s
			}
			dry, err := l.Prune(context.Background(), cutoff, batch, true)
			if err != nil {
				t.Fatal(err)
			}
			if dry.Events != want || len(seqs(t, l)) != n {
				t.Fatalf("dry run: %+v, want %d events; log holds %d of %d", dry, want, len(seqs(t, l)), n)
			}
			p, err := l.Prune(context.Background(), cutoff, batch, false)
			if err != nil {
				t.Fatal(err)
			}
			if p.Events != want || (want > 0 && (p.First != 1 || p.Last != want)) {
				t.Fatalf("pruned %+v, want 1..%d (acked %d, cutoff %s)", p, want, acked, cutoff)
			}
			got := seqs(t, l)
			if len(got) != n-int(want) {
				t.Fatalf("log holds %v after pruning 1..%d of %d", got, want, n)
			}
			for i, s := range got {
				if s != want+1+uint64(i) {
					t.Fatalf("log not contiguous after pruning: %v", got)
				}
			}
			for s := acked + 1; s <= uint64(n); s++ {
				if s <= want {
					t.Fatalf("unacknowledged %d pruned", s)
				}
			}
			if c := l.Counters(); c.PrunedSeq != want || c.LastSeq != uint64(n) || c.AckedSeq != acked {
				t.Fatalf("counters %+v", c)
			}
			if len(rejected) > 0 {
				// Refused at the acknowledgement, on the log's clock: it
				// goes once that lies before the cut-off.
				keep := !clk.Now().Before(cutoff)
				dl, err := l.DeadLetters(10)
				if err != nil || (len(dl) == 1) != keep || (keep && len(dl[0].Event) == 0) || (p.Dead == 1) == keep || l.Counters().DeadLetter != uint64(len(dl)) {
					t.Fatalf("dead letters after pruning (keep %v): %+v %v; pruned %d, counted %d", keep, dl, err, p.Dead, l.Counters().DeadLetter)
				}
			}
			// The sender reads from the cursor on.
			raws, err := l.ReadRaw(acked+1, 1000, 1<<20)
			if err != nil || len(raws) != n-int(acked) {
				t.Fatalf("outbox after pruning: %d events, %v", len(raws), err)
			}
			again, err := l.Prune(context.Background(), cutoff, batch, false)
			if err != nil || again.Events != 0 {
				t.Fatalf("second prune %+v %v", again, err)
			}
		})
	}
}

// A pruned log reopens with its floor, and appends go on after it.
func TestPruneReopen(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l, err := openLog(dir, Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := l.Append(context.Background(), scanDraft(fmt.Sprintf("R%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Acknowledge(10, nil); err != nil {
		t.Fatal(err)
	}
	clk.Advance(100 * 24 * time.Hour)
	if p, err := l.Prune(context.Background(), clk.Now().Add(-90*24*time.Hour), 3, false); err != nil || p.Events != 10 || p.Txs != 4 {
		t.Fatalf("prune %+v %v", p, err)
	}
	l.close()
	l = openT(t, dir, Options{Clock: clk})
	if c := l.Counters(); c.PrunedSeq != 10 || c.LastSeq != 10 {
		t.Fatalf("reopened %+v", c)
	}
	ev, err := l.Append(context.Background(), scanDraft("R10"))
	if err != nil || ev.Seq != 11 {
		t.Fatalf("append after pruning: %d %v", ev.Seq, err)
	}
	if ms, ok, err := l.OldestUnacked(); err != nil || !ok || ms != clk.Now().UnixMilli() {
		t.Fatalf("oldest unacked %d %v %v", ms, ok, err)
	}
}

// Downlink events applied here go once stamped before the cut-off, and a
// repeat of one from before it adds nothing: the cursor tells it.
func TestPruneDownlink(t *testing.T) {
	start := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	l := openT(t, t.TempDir(), Options{Clock: clock.NewManual(start.Add(200 * 24 * time.Hour))})
	ev := func(seq uint64, day int) syncproto.Event {
		return syncproto.Event{ID: fmt.Sprint("h", seq), Origin: syncproto.HubOrigin, Seq: seq, Actor: "hq", Type: "notice.published", V: 1, Target: "*",
			HLC: hlc.Make(start.Add(time.Duration(day)*24*time.Hour).UnixMilli(), 0)}
	}
	old := syncproto.Down{From: 0, Through: 4, Events: []syncproto.Event{ev(1, 0), ev(2, 10), ev(3, 50), ev(4, 150)}}
	if n, err := l.ApplyDown(&old); err != nil || n != 4 {
		t.Fatalf("apply %d %v", n, err)
	}
	cutoff := start.Add(60 * 24 * time.Hour)
	if p, err := l.Prune(context.Background(), cutoff, 2, true); err != nil || p.Down != 3 {
		t.Fatalf("dry run %+v %v", p, err)
	}
	p, err := l.Prune(context.Background(), cutoff, 2, false)
	if err != nil || p.Down != 3 || p.Txs != 2 {
		t.Fatalf("pruned %+v %v", p, err)
	}
	evs, _ := l.DownEvents(10)
	if len(evs) != 1 || evs[0].Seq != 4 {
		t.Fatalf("down/ holds %+v", evs)
	}
	if n, err := l.ApplyDown(&old); err != nil || n != 0 {
		t.Fatalf("a repeat after pruning applied %d: %v", n, err)
	}
	if again, _ := l.Prune(context.Background(), cutoff, 2, false); again.Down != 0 {
		t.Fatalf("pruned again %+v", again)
	}
}
