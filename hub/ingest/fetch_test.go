package ingest

import (
	"context"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
)

const incFetch = "ffffffffffffffffffffffffffffffff"

func decodeOwn(t *testing.T, outlet string, msgs []Message) syncproto.Own {
	t.Helper()
	if len(msgs) != 1 || msgs[0].Topic != syncproto.OwnTopic(outlet) {
		t.Fatalf("want one answer on %s, got %d messages %v", syncproto.OwnTopic(outlet), len(msgs), msgs)
	}
	var o syncproto.Own
	if _, err := syncproto.Decode(msgs[0].Payload, syncproto.KindOwn, &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func fetchFrame(t *testing.T, origin, inc string, from, through uint64) []byte {
	return frame(t, syncproto.KindFetch, syncproto.Fetch{Origin: origin, Incarnation: inc, From: from, Through: through}, -1)
}

// TestFetchServesOwnStreamBounded: an outlet gets back its own
// acknowledged events, in pages no larger than the bounds, and nothing
// of another outlet's, another incarnation's or beyond what the hub
// acknowledged.
func TestFetchServesOwnStreamBounded(t *testing.T) {
	wall := clock.NewManual(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	h, _ := newHubAt(t, wall)
	ctx := context.Background()
	for _, o := range []string{"A", "B"} {
		evs := events(o, 1, 1200)
		for first := 1; first <= 1200; first += 400 {
			b := syncproto.Batch{Origin: o, Incarnation: incFetch, First: uint64(first), Last: uint64(first + 399), Events: evs[first-1 : first+399]}
			if a := decodeAck(t, o, h.Handle(ctx, syncproto.UplinkTopic(o), frame(t, syncproto.KindBatch, b, 1024))); a.Error != nil {
				t.Fatal(a.Error)
			}
		}
	}
	// The whole range asked: one bounded page at a time, contiguous.
	next := uint64(101)
	for next <= 1200 {
		own := decodeOwn(t, "A", h.Handle(ctx, syncproto.FetchTopic("A"), fetchFrame(t, "A", incFetch, next, 1_000_000)))
		if own.Error != nil || own.AckedSeq != 1200 || own.From != next {
			t.Fatalf("answer from %d: %+v", next, own.Error)
		}
		if n := len(own.Events); n == 0 || n > syncproto.MaxOwnEvents || own.Through != next+uint64(n)-1 {
			t.Fatalf("page from %d: %d events through %d", next, n, own.Through)
		}
		for i, e := range own.Events {
			if e.Origin != "A" || e.Seq != next+uint64(i) {
				t.Fatalf("event %d of the page is %s/%d", i, e.Origin, e.Seq)
			}
		}
		next = own.Through + 1
		wall.Advance(time.Second)
	}
	// Beyond what the hub acknowledged: nothing, and the acked sequence.
	own := decodeOwn(t, "A", h.Handle(ctx, syncproto.FetchTopic("A"), fetchFrame(t, "A", incFetch, 1201, 5000)))
	if len(own.Events) != 0 || own.Through != 1200 || own.AckedSeq != 1200 {
		t.Fatalf("past the end: %d events through %d, acked %d", len(own.Events), own.Through, own.AckedSeq)
	}
	// Another outlet's stream from A's topic: refused as a spoofed origin,
	// with nothing of B's.
	msgs := h.Handle(ctx, syncproto.FetchTopic("A"), fetchFrame(t, "B", incFetch, 1, 10))
	if a := decodeAck(t, "A", msgs); a.Error == nil || a.Error.Code != syncproto.CodeOriginMismatch {
		t.Fatalf("another outlet's fetch answered %+v", a)
	}
	// Another data directory of A: refused, no events.
	own = decodeOwn(t, "A", h.Handle(ctx, syncproto.FetchTopic("A"), fetchFrame(t, "A", "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", 1, 10)))
	if own.Error == nil || own.Error.Code != syncproto.CodeIncarnation || len(own.Events) != 0 || own.AckedSeq != 0 {
		t.Fatalf("another incarnation answered %+v", own)
	}
	// Malformed ranges are refused.
	for _, r := range [][2]uint64{{0, 5}, {9, 3}} {
		a := decodeAck(t, "A", h.Handle(ctx, syncproto.FetchTopic("A"), fetchFrame(t, "A", incFetch, r[0], r[1])))
		if a.Error == nil || a.Error.Code != syncproto.CodeMalformed {
			t.Fatalf("range %v answered %+v", r, a)
		}
	}
}

// TestFetchRateLimited: an outlet asking again and again gets FetchBurst
// answers, then nothing until time passes; another outlet is not held
// back by it.
func TestFetchRateLimited(t *testing.T) {
	wall := clock.NewManual(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	h, _ := newHubAt(t, wall)
	ctx := context.Background()
	for _, o := range []string{"A", "B"} {
		b := syncproto.Batch{Origin: o, Incarnation: incFetch, First: 1, Last: 10, Events: events(o, 1, 10)}
		decodeAck(t, o, h.Handle(ctx, syncproto.UplinkTopic(o), frame(t, syncproto.KindBatch, b, -1)))
	}
	answered := 0
	for range 3 * FetchBurst {
		if len(h.Handle(ctx, syncproto.FetchTopic("A"), fetchFrame(t, "A", incFetch, 1, 10))) > 0 {
			answered++
		}
	}
	if answered != FetchBurst {
		t.Fatalf("%d of %d fetches answered at once, want %d", answered, 3*FetchBurst, FetchBurst)
	}
	if own := decodeOwn(t, "B", h.Handle(ctx, syncproto.FetchTopic("B"), fetchFrame(t, "B", incFetch, 1, 10))); len(own.Events) != 10 {
		t.Fatalf("B got %d events", len(own.Events))
	}
	wall.Advance(FetchEvery)
	if len(h.Handle(ctx, syncproto.FetchTopic("A"), fetchFrame(t, "A", incFetch, 1, 10))) != 1 {
		t.Fatal("no answer after the interval")
	}
	if len(h.Handle(ctx, syncproto.FetchTopic("A"), fetchFrame(t, "A", incFetch, 1, 10))) != 0 {
		t.Fatal("a second answer within the interval")
	}
}

func TestContiguousStopsAtAGapAndTheByteBound(t *testing.T) {
	evs := events("A", 1, 10)
	evs = append(evs[:4], evs[5:]...) // 5 missing
	_, _, through := contiguous(1, evs, nil, 1<<20)
	if through != 4 {
		t.Fatalf("through %d at a gap after 4", through)
	}
	got, rej, through := contiguous(1, evs, []syncproto.Rejection{{Seq: 5, Code: "invalid_event"}}, 1<<20)
	if through != 10 || len(got) != 9 || len(rej) != 1 {
		t.Fatalf("with 5 dead-lettered: through %d, %d events, %d rejected", through, len(got), len(rej))
	}
	got, _, through = contiguous(1, events("A", 1, 10), nil, 1)
	if through != 1 || len(got) != 1 {
		t.Fatalf("byte bound: through %d with %d events", through, len(got))
	}

}
