package ingest

import (
	"context"
	"sync"
	"testing"

	"github.com/yizhan/yizhan/syncproto"
)

func incFrame(t *testing.T, origin, inc string, first, last uint64) []byte {
	return frame(t, syncproto.KindBatch, syncproto.Batch{Origin: origin, Incarnation: inc, First: first, Last: last, Events: events(origin, first, last)}, -1)
}

// Parts of the hub that act on events (waybill requests) hear of events
// beyond a gap only when the gap closes, and then exactly once.
func TestBatchFuncToldOfHeldEventsWhenTheGapCloses(t *testing.T) {
	h, _ := newHub(t)
	ctx := context.Background()
	var mu sync.Mutex
	told := map[uint64]int{}
	h.SetBatchFunc(func(_ context.Context, _ string, evs []syncproto.Event) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range evs {
			told[e.Seq]++
		}
	})
	const inc = "0123456789abcdef0123456789abcdef"
	decodeAck(t, "A", h.Handle(ctx, syncproto.UplinkTopic("A"), incFrame(t, "A", inc, 1, 2)))
	if a := decodeAck(t, "A", h.Handle(ctx, syncproto.UplinkTopic("A"), incFrame(t, "A", inc, 5, 6))); a.AckedSeq != 2 || a.Incarnation != inc {
		t.Fatalf("held batch acked %+v", a)
	}
	mu.Lock()
	if told[5] != 0 || told[6] != 0 {
		t.Fatalf("told of held events: %v", told)
	}
	mu.Unlock()
	if a := decodeAck(t, "A", h.Handle(ctx, syncproto.UplinkTopic("A"), incFrame(t, "A", inc, 3, 4))); a.AckedSeq != 6 {
		t.Fatalf("gap closed: %+v", a)
	}
	mu.Lock()
	defer mu.Unlock()
	for seq := uint64(1); seq <= 6; seq++ {
		if told[seq] != 1 {
			t.Errorf("told of seq %d %d times, want once: %v", seq, told[seq], told)
		}
	}
}

// A refused incarnation hears why on its ack and on its pull (which still
// gets its downlink), and the ack counts nothing of the adopted stream.
func TestRefusedIncarnationAnswered(t *testing.T) {
	h, _ := newHub(t)
	ctx := context.Background()
	const old, fresh = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	decodeAck(t, "A", h.Handle(ctx, syncproto.UplinkTopic("A"), incFrame(t, "A", old, 1, 8)))
	b := syncproto.Batch{Origin: "A", Incarnation: fresh, First: 1, Last: 8, Events: events("A", 1, 8)}
	for i := range b.Events {
		b.Events[i].ID += "-fresh"
	}
	a := decodeAck(t, "A", h.Handle(ctx, syncproto.UplinkTopic("A"), frame(t, syncproto.KindBatch, b, -1)))
	if a.Error == nil || a.Error.Code != syncproto.CodeIncarnation || a.AckedSeq != 0 || a.Incarnation != fresh || a.Error.Params["held"] != float64(8) {
		t.Fatalf("fresh directory's ack %+v", a)
	}
	msgs := h.Handle(ctx, syncproto.PullTopic("A"), frame(t, syncproto.KindPull, syncproto.Pull{Origin: "A", Incarnation: fresh}, -1))
	if len(msgs) != 2 || msgs[1].Topic != syncproto.DownTopic("A") {
		t.Fatalf("pull answered with %v", msgs)
	}
	if a := decodeAck(t, "A", msgs[:1]); a.Error == nil || a.Error.Code != syncproto.CodeIncarnation || a.AckedSeq != 0 {
		t.Fatalf("pull's ack %+v", a)
	}
	bad := h.Handle(ctx, syncproto.PullTopic("A"), frame(t, syncproto.KindPull, syncproto.Pull{Origin: "A", Incarnation: "bad id!"}, -1))
	if a := decodeAck(t, "A", bad); a.Error == nil || a.Error.Code != syncproto.CodeMalformed || a.Incarnation != old {
		t.Fatalf("pull with a malformed incarnation: %+v", a)
	}
}
