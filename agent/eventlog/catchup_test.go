package eventlog

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

type recordApplier struct{ seqs []uint64 }

func (r *recordApplier) ApplyDown(_ *bolt.Tx, ev *syncproto.Event, _ []byte) error {
	r.seqs = append(r.seqs, ev.Seq)
	return nil
}

// TestRestoredFileCatchesUp: a file restored at seq 4 while the hub holds
// 1..10 takes no new event until 5..10 are fetched back (one of them the
// hub's dead letter), folds each fetched one once, and numbers the next
// event 11.
func TestRestoredFileCatchesUp(t *testing.T) {
	ctx := context.Background()
	dirA, dirB := t.TempDir(), t.TempDir()
	a := openT(t, dirA, Options{})
	for i := range 4 {
		if _, err := a.Append(ctx, scanDraft("WB-"+string(rune('a'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	a.close()
	b, err := os.ReadFile(filepath.Join(dirA, datafile.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dirB, datafile.FileName), b, 0o600); err != nil { // the backup at 4
		t.Fatal(err)
	}
	a = openT(t, dirA, Options{})
	for i := range 6 {
		if _, err := a.Append(ctx, scanDraft("WB-"+string(rune('k'+i)))); err != nil {
			t.Fatal(err)
		}
	}
	raws, err := a.ReadRaw(1, 100, 1<<30)
	if err != nil || len(raws) != 10 {
		t.Fatalf("%d events, %v", len(raws), err)
	}
	hub := make([]syncproto.Event, 10)
	for i, raw := range raws {
		if err := json.Unmarshal(raw, &hub[i]); err != nil {
			t.Fatal(err)
		}
	}
	inc := a.Incarnation()
	a.close()

	if err := datafile.MarkRestored(filepath.Join(dirB, datafile.FileName)); err != nil {
		t.Fatal(err)
	}
	r := openT(t, dirB, Options{})
	if from, ok := r.CatchingUp(); !ok || from != 5 {
		t.Fatalf("restored file: catching up %v from %d", ok, from)
	}
	if _, err := r.Append(ctx, scanDraft("WB-new")); !problem.Is(err, problem.SyncCatchingUp) {
		t.Fatalf("append while catching up: %v", err)
	}
	rec := &recordApplier{}
	own := func(from, through uint64, evs []syncproto.Event, rej []syncproto.Rejection) *syncproto.Own {
		return &syncproto.Own{Origin: "SH-001", Incarnation: inc, From: from, Through: through, Events: evs, Rejected: rej, AckedSeq: 10}
	}
	if n, err := r.AdoptOwn(own(5, 7, hub[4:7], nil), rec); err != nil || n != 3 {
		t.Fatalf("first page: %d, %v", n, err)
	}
	if c := r.Counters(); c.CatchingUpFrom != 8 || c.HubHead != 10 {
		t.Fatalf("after 5..7 of 10: counters %+v", c)
	}
	if _, err := r.Append(ctx, scanDraft("WB-new")); !problem.Is(err, problem.SyncCatchingUp) {
		t.Fatalf("append half-way: %v", err)
	}
	other := own(8, 10, hub[7:10], nil)
	other.Incarnation = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
	if n, err := r.AdoptOwn(other, rec); err != nil || n != 0 {
		t.Fatalf("another stream's answer taken: %d, %v", n, err)
	}
	if _, err := r.AdoptOwn(own(9, 10, hub[8:10], nil), rec); err == nil {
		t.Fatal("an answer leaving a gap was taken")
	}
	// 9 is a dead letter at the hub.
	if n, err := r.AdoptOwn(own(8, 10, []syncproto.Event{hub[7], hub[9]}, []syncproto.Rejection{{Seq: 9, Code: "invalid_event", Reason: "x"}}), rec); err != nil || n != 2 {
		t.Fatalf("last page: %d, %v", n, err)
	}
	if _, ok := r.CatchingUp(); ok {
		t.Fatal("still catching up at the hub's head")
	}
	if got := r.Counters(); got.LastSeq != 10 || got.AckedSeq != 10 || got.DeadLetter != 1 || got.Backlog != 0 || got.CatchingUpFrom != 0 {
		t.Fatalf("counters %+v", got)
	}
	if got := []uint64{5, 6, 7, 8, 10}; len(rec.seqs) != len(got) || rec.seqs[0] != 5 || rec.seqs[4] != 10 {
		t.Fatalf("folded %v, want %v", rec.seqs, got)
	}
	ev, err := r.Append(ctx, scanDraft("WB-new"))
	if err != nil || ev.Seq != 11 || ev.HLC <= hub[9].HLC {
		t.Fatalf("first new event: seq %d, stamp after the fetched ones %v, %v", ev.Seq, ev.HLC > hub[9].HLC, err)
	}
	got, err := r.ReadRaw(8, 10, 1<<30)
	if err != nil || len(got) != 3 || string(got[0]) != string(raws[7]) {
		t.Fatalf("stored 8.. as %d events, %v", len(got), err)
	}
	r.close()
	r2 := openT(t, dirB, Options{})
	if _, ok := r2.CatchingUp(); ok || r2.Counters().LastSeq != 11 {
		t.Fatalf("after reopening: %+v", r2.Counters())
	}
}

// TestRestoredFileUpToDate: the hub's answer that it holds no more than
// the file lets new events in at once, numbered after the file's.
func TestRestoredFileUpToDate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := openT(t, dir, Options{})
	if _, err := l.Append(ctx, scanDraft("WB-1")); err != nil {
		t.Fatal(err)
	}
	inc := l.Incarnation()
	l.close()
	if err := datafile.MarkRestored(filepath.Join(dir, datafile.FileName)); err != nil {
		t.Fatal(err)
	}
	l = openT(t, dir, Options{})
	if n, err := l.AdoptOwn(&syncproto.Own{Origin: "SH-001", Incarnation: inc, From: 2, Through: 1, AckedSeq: 1}); err != nil || n != 0 {
		t.Fatal(n, err)
	}
	if ev, err := l.Append(ctx, scanDraft("WB-2")); err != nil || ev.Seq != 2 {
		t.Fatalf("append after the answer: %+v, %v", ev, err)
	}
}
