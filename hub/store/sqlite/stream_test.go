package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// of gives b an incarnation and, with tag, event ids of another data
// directory.
func of(b *syncproto.Batch, inc, tag string) *syncproto.Batch {
	b.Incarnation = inc
	if tag != "" {
		for i := range b.Events {
			b.Events[i].ID = fmt.Sprintf("%s-%s-%d", tag, b.Origin, b.Events[i].Seq)
		}
	}
	return b
}

const (
	incA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	incB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

func TestReplacedDataDirectoryRefusedUntilNewIncarnation(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	if err := s.AddOutlet(ctx, "A", "h", false); err != nil {
		t.Fatal(err)
	}
	if r := commit(t, s, of(batch("A", 1, 8), incA, ""))[0]; r.AckedSeq != 8 || r.Refused != nil || r.Incarnation != incA {
		t.Fatalf("first incarnation not adopted: %+v", r)
	}
	// A fresh directory: seq 1..8 again, other events.
	r := commit(t, s, of(batch("A", 1, 8), incB, "fresh"))[0]
	if r.Refused == nil || r.Refused.Code != syncproto.CodeIncarnation || r.AckedSeq != 0 || r.Incarnation != incB {
		t.Fatalf("fresh directory not refused: %+v", r)
	}
	if r.Refused.Params["held"] != uint64(8) {
		t.Errorf("refusal params %v, want held 8", r.Refused.Params)
	}
	// A pull from it hears the same.
	res, err := s.Commit(ctx, []store.Unit{{Pull: &syncproto.Pull{Origin: "A", Incarnation: incB}}})
	if err != nil || res[0].Refused == nil || res[0].Refused.Code != syncproto.CodeIncarnation {
		t.Fatalf("pull of the refused incarnation: %+v %v", res, err)
	}
	if n := countRows(t, s, `SELECT count(*) FROM events WHERE origin = 'A'`); n != 8 {
		t.Fatalf("hub holds %d events of A, want the first 8", n)
	}
	if c, _ := s.Counters(ctx); c["reject.incarnation"] != 2 {
		t.Errorf("counters %v", c)
	}
	o, err := s.StartIncarnation(ctx, "A", "")
	if err != nil || o.Epoch != 1 || o.AckedSeq != 0 || o.Incarnation != "" {
		t.Fatalf("start incarnation: %+v %v", o, err)
	}
	if _, err := s.StartIncarnation(ctx, "NOPE", ""); err == nil {
		t.Error("new incarnation of an unknown outlet")
	}
	// The old directory, still running, is not adopted: it does not start at 1.
	if r := commit(t, s, of(batch("A", 9, 10), incA, ""))[0]; r.AckedSeq != 0 || r.Incarnation != incA {
		t.Fatalf("old directory after the new epoch: %+v", r)
	}
	if r := commit(t, s, of(batch("A", 1, 8), incB, "fresh"))[0]; r.AckedSeq != 8 || r.Refused != nil || r.Incarnation != incB {
		t.Fatalf("new incarnation not taken: %+v", r)
	}
	if r := commit(t, s, of(batch("A", 1, 8), incA, ""))[0]; r.Refused == nil || r.Refused.Code != syncproto.CodeIncarnation {
		t.Fatalf("old incarnation taken after the new one: %+v", r)
	}
	if n := countRows(t, s, `SELECT count(*) FROM events WHERE origin = 'A'`); n != 16 {
		t.Fatalf("hub holds %d events of A, want 8 of each epoch", n)
	}
	if n := countRows(t, s, `SELECT count(*) FROM events WHERE origin = 'A' AND epoch = 1 AND id LIKE 'fresh-%'`); n != 8 {
		t.Fatalf("%d of the new directory's events in epoch 1", n)
	}
}

func TestUpgradedOutletAdoptedWithoutOperator(t *testing.T) {
	s, _ := openTest(t)
	// An agent from before incarnations synced 1..8 (legacy stream "").
	if r := commit(t, s, batch("A", 1, 8))[0]; r.AckedSeq != 8 {
		t.Fatal(r)
	}
	// Its migrated file resends 5..10 (an ack it missed) under its new id.
	if r := commit(t, s, of(batch("A", 5, 10), incA, ""))[0]; r.AckedSeq != 10 || r.Refused != nil || r.Incarnation != incA {
		t.Fatalf("migrated agent not adopted: %+v", r)
	}
	// Another outlet's migrated agent continues exactly at the acked point.
	commit(t, s, batch("B", 1, 3))
	if r := commit(t, s, of(batch("B", 4, 4), incA, ""))[0]; r.AckedSeq != 4 || r.Refused != nil {
		t.Fatalf("continuation not adopted: %+v", r)
	}
	// A fresh directory of a legacy outlet is refused, not adopted.
	commit(t, s, batch("C", 1, 8))
	if r := commit(t, s, of(batch("C", 1, 8), incB, "fresh"))[0]; r.Refused == nil || r.Refused.Code != syncproto.CodeIncarnation {
		t.Fatalf("fresh directory of a legacy outlet: %+v", r)
	}
	// And a new outlet's first incarnation is adopted at seq 1.
	if r := commit(t, s, of(batch("D", 1, 2), incB, ""))[0]; r.AckedSeq != 2 || r.Refused != nil {
		t.Fatalf("new outlet: %+v", r)
	}
}

func TestSameSeqOtherContentIsAConflict(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	commit(t, s, of(batch("A", 1, 8), incA, ""))
	for _, tc := range []struct {
		name string
		b    *syncproto.Batch
	}{
		{"other id", of(batch("A", 3, 4), incA, "forged")},
		{"other payload", func() *syncproto.Batch {
			b := of(batch("A", 5, 5), incA, "")
			b.Events[0].Payload = []byte(`{"n":2}`)
			return b
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // a resend is refused again, counted once
				r := commit(t, s, tc.b)[0]
				if r.Refused == nil || r.Refused.Code != syncproto.CodeConflict || r.AckedSeq >= tc.b.First {
					t.Fatalf("conflict acked or not refused: %+v", r)
				}
			}
		})
	}
	if c, _ := s.Counters(ctx); c[store.CounterConflict] != 2 {
		t.Errorf("conflict counter %d, want 2", c[store.CounterConflict])
	}
	cs, err := s.Conflicts(ctx, "A", 10)
	if err != nil || len(cs) != 2 {
		t.Fatalf("conflicts %+v %v", cs, err)
	}
	found := false
	for _, x := range cs {
		if x.Seq == 3 && x.HeldID == "A-3" && x.SentID == "forged-A-3" && len(x.Event) > 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("no record of both versions of seq 3: %+v", cs)
	}
	if o, _ := s.Outlet(ctx, "A"); o.Conflicts != 2 || o.AckedSeq != 8 {
		t.Errorf("outlet %+v", o)
	}
	// An honest replay is still a replay.
	if r := commit(t, s, of(batch("A", 1, 8), incA, ""))[0]; !r.Replayed || r.Refused != nil || r.AckedSeq != 8 {
		t.Errorf("honest replay: %+v", r)
	}
}

func exceptionBatch(origin string, seq uint64, id string) *syncproto.Batch {
	b := batch(origin, seq, seq)
	b.Events[0].Type, b.Events[0].Subject = lifecycle.ExceptionReported, id
	b.Events[0].Payload = []byte(`{"waybill":"SF9","kind":"damaged","owner":"c01","at":1}`)
	return b
}

func TestFarAheadRefusedAndHeldInvisible(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	commit(t, s, of(batch("A", 1, 8), incA, ""))
	far := of(batch("A", 1<<40, 1<<40+9), incA, "")
	r := commit(t, s, far)[0]
	if r.Refused == nil || r.Refused.Code != syncproto.CodeBeyondWindow || r.AckedSeq != 8 {
		t.Fatalf("far-future batch: %+v", r)
	}
	if n := countRows(t, s, `SELECT (SELECT count(*) FROM held_events) + (SELECT count(*) FROM pending_ranges)`); n != 0 {
		t.Fatalf("far-future batch left %d rows", n)
	}
	// Within the window but beyond a gap: held, invisible.
	ex := of(exceptionBatch("A", 12, "EX-HELD"), incA, "")
	if r := commit(t, s, ex)[0]; !r.Held || r.AckedSeq != 8 {
		t.Fatalf("batch beyond a gap: %+v", r)
	}
	if evs, _ := s.SubjectEvents(ctx, "EX-HELD"); len(evs) != 0 {
		t.Fatalf("held event visible: %+v", evs)
	}
	if cs, _ := s.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindException}); len(cs) != 0 {
		t.Fatalf("held exception listed: %+v", cs)
	}
	if o, _ := s.Outlet(ctx, "A"); o.Held != 1 {
		t.Errorf("outlet held %d, want 1", o.Held)
	}
	// The gap closes: visible, listed, and released to the caller.
	r = commit(t, s, of(batch("A", 9, 11), incA, ""))[0]
	if r.AckedSeq != 12 || len(r.Released) != 1 || r.Released[0].Subject != "EX-HELD" {
		t.Fatalf("gap closed: %+v", r)
	}
	if evs, _ := s.SubjectEvents(ctx, "EX-HELD"); len(evs) != 1 {
		t.Fatalf("released event not visible: %+v", evs)
	}
	if cs, _ := s.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindException}); len(cs) != 1 || cs[0].ID != "EX-HELD" {
		t.Fatalf("released exception not listed: %+v", cs)
	}
	if n := countRows(t, s, `SELECT count(*) FROM held_events`); n != 0 {
		t.Errorf("%d held events left", n)
	}
	// An outlet with no incarnation adopted yet is refused just the same.
	if r := commit(t, s, of(batch("NEW", 1<<40, 1<<40), incB, ""))[0]; r.Refused == nil || r.Refused.Code != syncproto.CodeBeyondWindow {
		t.Fatalf("far-future first batch of a new outlet: %+v", r)
	}
	// A configured window.
	res, err := s.Commit(ctx, []store.Unit{{Batch: of(batch("A", 20, 21), incA, ""), Window: 5}})
	if err != nil || res[0].Refused == nil || res[0].Refused.Code != syncproto.CodeBeyondWindow {
		t.Fatalf("window 5: %+v %v", res, err)
	}
}
