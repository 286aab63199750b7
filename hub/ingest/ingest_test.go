package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

func newHub(t *testing.T) (*Hub, *sqlite.Store) { return newHubAt(t, nil) }

// newHubAt is newHub on the wall clock wall (clock.System if nil).
func newHubAt(t *testing.T, wall clock.Clock) (*Hub, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{Clock: wall})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Store: st, Clock: wall, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(); st.Close() })
	return h, st
}

func events(origin string, first, last uint64) []syncproto.Event {
	var evs []syncproto.Event
	for s := first; s <= last; s++ {
		evs = append(evs, syncproto.Event{
			ID: fmt.Sprintf("%s-%d", origin, s), Origin: origin, Seq: s, HLC: hlc.Make(1_700_000_000_000, uint16(s)),
			Actor: "clerk", Type: "parcel.inbound", V: 1, Subject: "WB1", Payload: json.RawMessage(`{}`),
		})
	}
	return evs
}

func frame(t *testing.T, kind syncproto.Kind, v any, compressAbove int) []byte {
	t.Helper()
	f, err := syncproto.Encode(kind, v, compressAbove)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func batchFrame(t *testing.T, origin string, first, last uint64) []byte {
	return frame(t, syncproto.KindBatch, syncproto.Batch{Origin: origin, First: first, Last: last, Events: events(origin, first, last)}, -1)
}

func decodeAck(t *testing.T, outlet string, msgs []Message) syncproto.Ack {
	t.Helper()
	if len(msgs) != 1 || msgs[0].Topic != syncproto.AckTopic(outlet) {
		t.Fatalf("want one ack on %s, got %d messages %v", syncproto.AckTopic(outlet), len(msgs), msgs)
	}
	var a syncproto.Ack
	if _, err := syncproto.Decode(msgs[0].Payload, syncproto.KindAck, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestBadInputIsRefusedAndTheGoodStreamFlows(t *testing.T) {
	h, st := newHub(t)
	ctx := context.Background()
	up := syncproto.UplinkTopic("A")

	// A first good batch so that error acks carry a real cursor.
	if a := decodeAck(t, "A", h.Handle(ctx, up, batchFrame(t, "A", 1, 1))); a.AckedSeq != 1 || a.Error != nil {
		t.Fatalf("first ack = %+v", a)
	}
	good := batchFrame(t, "A", 1, 1)
	gz := frame(t, syncproto.KindBatch, syncproto.Batch{Origin: "A", First: 2, Last: 3, Events: events("A", 2, 3)}, 0)
	future := append([]byte(nil), batchFrame(t, "A", 2, 2)...)
	future[2] = syncproto.Major + 1
	big := make([]byte, syncproto.MaxFrameBytes+1)
	copy(big, batchFrame(t, "A", 2, 2)[:syncproto.HeaderLen])
	badEvent := events("A", 2, 3)
	badEvent[1].Type = ""

	for _, tc := range []struct {
		name      string
		topic     string
		payload   []byte
		wantCode  string // Ack.Error code; "" for no error
		wantAcked uint64
		noReply   bool
	}{
		{"malformed", up, []byte("not a frame at all"), syncproto.CodeMalformed, 1, false},
		{"empty", up, nil, syncproto.CodeMalformed, 1, false},
		{"bad json body", up, append([]byte{'Y', 'Z', 1, 0, byte(syncproto.KindBatch), 0}, `{"origin":`...), syncproto.CodeMalformed, 1, false},
		{"oversize", up, big, syncproto.CodeOversize, 1, false},
		{"truncated gzip", up, gz[:len(gz)/2], syncproto.CodeMalformed, 1, false},
		{"unknown major version", up, future, syncproto.CodeUnsupportedVersion, 1, false},
		{"wrong kind", up, frame(t, syncproto.KindAck, syncproto.Ack{Origin: "A"}, -1), syncproto.CodeWrongKind, 1, false},
		{"spoofed origin", up, batchFrame(t, "B", 1, 2), syncproto.CodeOriginMismatch, 1, false},
		{"range does not match events", up, frame(t, syncproto.KindBatch, syncproto.Batch{Origin: "A", First: 2, Last: 9, Events: events("A", 2, 3)}, -1), syncproto.CodeMalformed, 1, false},
		{"replayed", up, good, "", 1, false},
		{"pull with spoofed origin", syncproto.PullTopic("A"), frame(t, syncproto.KindPull, syncproto.Pull{Origin: "B"}, -1), syncproto.CodeOriginMismatch, 1, false},
		{"unknown leaf", "yz/v1/outlets/A/up/other", good, syncproto.CodeMalformed, 1, false},
		{"not an outlet topic", "yz/v1/outlets/a+b/up/batch", good, "", 0, true},
		{"invalid event is dead-lettered, rest stored", up, frame(t, syncproto.KindBatch, syncproto.Batch{Origin: "A", First: 2, Last: 3, Events: badEvent}, -1), "", 3, false},
		{"good batch after all that", up, batchFrame(t, "A", 4, 6), "", 6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msgs := h.Handle(ctx, tc.topic, tc.payload)
			if tc.noReply {
				if len(msgs) != 0 {
					t.Fatalf("want no reply, got %v", msgs)
				}
				return
			}
			a := decodeAck(t, "A", msgs)
			got := ""
			if a.Error != nil {
				got = a.Error.Code
				if a.Error.Reason == "" {
					t.Errorf("error without a reason")
				}
			}
			if got != tc.wantCode || a.AckedSeq != tc.wantAcked {
				t.Errorf("ack = code %q acked %d (%+v), want code %q acked %d", got, a.AckedSeq, a.Error, tc.wantCode, tc.wantAcked)
			}
			if a.HubTime == 0 || a.HubHLC == 0 {
				t.Errorf("ack lacks hub time or HLC: %+v", a)
			}
		})
	}

	c, err := h.Counters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{
		"reject.malformed": 7, "reject.oversize": 1, "reject.unsupported_version": 1, "reject.wrong_kind": 1,
		"reject.origin_mismatch": 2, "reject.invalid_event": 1, store.CounterReplayed: 1,
	}
	for k, n := range want {
		if c[k] != n {
			t.Errorf("counter %s = %d, want %d (all: %v)", k, c[k], n, c)
		}
	}
	if _, err := st.Outlet(ctx, "B"); err == nil {
		t.Errorf("spoofed batch created outlet B")
	}
	evs, _ := st.SubjectEvents(ctx, "WB1")
	if len(evs) != 5 { // 1, 2, 4, 5, 6; 3 is a dead letter
		t.Errorf("stored %d events, want 5", len(evs))
	}
}

func TestRejectedEventsAreListedInTheAck(t *testing.T) {
	h, _ := newHub(t)
	evs := events("A", 1, 3)
	evs[1].V = 0
	b := frame(t, syncproto.KindBatch, syncproto.Batch{Origin: "A", First: 1, Last: 3, Events: evs}, -1)
	for _, round := range []string{"first", "replayed"} {
		a := decodeAck(t, "A", h.Handle(context.Background(), syncproto.UplinkTopic("A"), b))
		if a.AckedSeq != 3 || len(a.Rejected) != 1 || a.Rejected[0].Seq != 2 || a.Rejected[0].Code != syncproto.CodeInvalidEvent {
			t.Errorf("%s ack = %+v", round, a)
		}
	}
}

func TestPullAndPublishDown(t *testing.T) {
	h, st := newHub(t)
	ctx := context.Background()
	var pokes []syncproto.Poke
	h.SetPublisher(publisherFunc(func(topic string, payload []byte) {
		var p syncproto.Poke
		if topic == syncproto.BroadcastPoke {
			if _, err := syncproto.Decode(payload, syncproto.KindPoke, &p); err == nil {
				pokes = append(pokes, p)
			}
		}
	}))
	for _, target := range []string{"A", "*", "B"} {
		if _, err := h.PublishDown(ctx, target, "notice.published", "", json.RawMessage(`{"text":"x"}`), "ops"); err != nil {
			t.Fatal(err)
		}
	}
	if len(pokes) != 3 || pokes[2].Seq != 3 {
		t.Errorf("pokes = %+v", pokes)
	}
	for _, bad := range []struct{ target, typ string }{{"a/b", "x"}, {"A", ""}, {"hub", "x"}} {
		if _, err := h.PublishDown(ctx, bad.target, bad.typ, "", nil, "ops"); err == nil {
			t.Errorf("PublishDown(%q, %q) accepted", bad.target, bad.typ)
		}
	}
	msgs := h.Handle(ctx, syncproto.PullTopic("A"), frame(t, syncproto.KindPull, syncproto.Pull{Origin: "A", Since: 0}, -1))
	if len(msgs) != 1 || msgs[0].Topic != syncproto.DownTopic("A") {
		t.Fatalf("pull reply = %v", msgs)
	}
	var d syncproto.Down
	if _, err := syncproto.Decode(msgs[0].Payload, syncproto.KindDown, &d); err != nil {
		t.Fatal(err)
	}
	if d.From != 0 || d.Through != 3 || len(d.Events) != 2 || d.Events[0].Seq != 1 || d.Events[1].Target != "*" || d.More {
		t.Errorf("down = %+v", d)
	}
	o, err := st.Outlet(ctx, "A")
	if err != nil || o.DownCursor != 0 || o.LastSeen == nil {
		t.Errorf("outlet after pull: %+v, %v", o, err)
	}
	// A step on a case head office keeps is stored and pulled by nobody.
	if _, err := h.PublishDownAfter(ctx, 0, syncproto.HubOrigin, "complaint.step", "C1", json.RawMessage(`{"step":"assign"}`), "ops"); err != nil {
		t.Fatalf("PublishDownAfter to head office: %v", err)
	}
	for _, outlet := range []string{"A", "B"} {
		msgs := h.Handle(ctx, syncproto.PullTopic(outlet), frame(t, syncproto.KindPull, syncproto.Pull{Origin: outlet, Since: 3}, -1))
		if len(msgs) != 1 {
			t.Fatalf("pull reply = %v", msgs)
		}
		var d syncproto.Down
		if _, err := syncproto.Decode(msgs[0].Payload, syncproto.KindDown, &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Events) != 0 {
			t.Errorf("%s pulled head office's own event: %+v", outlet, d.Events)
		}
	}
	if evs, err := st.SubjectEvents(ctx, "C1"); err != nil || len(evs) != 1 {
		t.Errorf("head office's own event stored %d times: %v", len(evs), err)
	}
}

type publisherFunc func(topic string, payload []byte)

func (f publisherFunc) Publish(_ context.Context, topic string, payload []byte) error {
	f(topic, payload)
	return nil
}

// FuzzHandle feeds arbitrary payloads on uplink topics: the hub must answer
// without panicking and keep its cursor consistent.
func FuzzHandle(f *testing.F) {
	f.Add([]byte("YZ\x01\x00\x01\x00{}"), "batch")
	f.Add([]byte("YZ\x01\x00\x03\x00{\"origin\":\"A\"}"), "pull")
	f.Add([]byte{}, "batch")
	f.Add([]byte("YZ\x01\x01\x03\x00{\"origin\":\"A\",\"incarnation\":\"0123456789abcdef\"}"), "pull")
	f.Add([]byte("YZ\x01\x01\x01\x00{\"origin\":\"A\",\"incarnation\":\"0123456789abcdef\",\"first\":1099511627776,\"last\":1099511627776,\"events\":[{\"id\":\"x\",\"origin\":\"A\",\"seq\":1099511627776,\"hlc\":1,\"actor\":\"a\",\"type\":\"t\",\"v\":1}]}"), "batch")
	st, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	h, err := New(Options{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	defer h.Close()
	f.Fuzz(func(t *testing.T, payload []byte, leaf string) {
		h.Handle(context.Background(), "yz/v1/outlets/A/up/"+leaf, payload)
	})
}

// A head-office step orders after the events it acted on, as the store
// folds them: an outlet's stamp beyond MaxSkew counts at hub time plus
// MaxSkew, so the step follows that cap and never inherits the outlet's
// future; the hub clock itself is not dragged there.
func TestPublishDownAfter(t *testing.T) {
	wall := clock.NewManual(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	h, st := newHubAt(t, wall)
	ctx := context.Background()
	now := hlc.Make(wall.Now().UnixMilli(), 0)
	for _, tc := range []struct {
		name  string
		after hlc.Timestamp
	}{
		{"nothing to follow", 0},
		{"in the past", now - hlc.Make(3600_000, 0)},
		{"within the bound", now + hlc.Make(30_000, 0)},
		{"a day ahead", now + hlc.Make(24*3600_000, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seq, err := h.PublishDownAfter(ctx, tc.after, "A", "exception.step", "X1", json.RawMessage(`{"step":"assign"}`), "ops")
			if err != nil {
				t.Fatal(err)
			}
			evs, _, _, err := st.Down(ctx, "A", seq-1, 1, 1<<20)
			if err != nil || len(evs) != 1 {
				t.Fatalf("down: %v %v", evs, err)
			}
			ceiling := hlc.Ceiling(wall.Now(), hlc.DefaultMaxSkew)
			if follow := hlc.Capped(tc.after, wall.Now(), hlc.DefaultMaxSkew); evs[0].HLC <= follow {
				t.Errorf("stamp %v does not follow %v", evs[0].HLC, follow)
			}
			if evs[0].HLC > ceiling+1 {
				t.Errorf("stamp %v lies beyond hub time plus the bound (%v): it inherited %v", evs[0].HLC, ceiling, tc.after)
			}
		})
	}
	if h.clock.Last().WallMillis() > wall.Now().Add(time.Hour).UnixMilli() {
		t.Errorf("hub clock dragged to %v", h.clock.Last())
	}
}

// TestInSeqOrder: each outlet's batches in a group are put in sequence
// order in the places its batches held; pulls and others stay put.
func TestInSeqOrder(t *testing.T) {
	batch := func(origin string, first uint64) *req {
		return &req{unit: store.Unit{Batch: &syncproto.Batch{Origin: origin, First: first}}}
	}
	pull := &req{unit: store.Unit{Pull: &syncproto.Pull{Origin: "SH-A"}}}
	a501, a1, a1001, b1 := batch("SH-A", 501), batch("SH-A", 1), batch("SH-A", 1001), batch("SH-B", 1)
	b7, a1again := batch("SH-B", 7), batch("SH-A", 1)
	group := []*req{a501, pull, b7, a1, b1, a1001, a1again}
	inSeqOrder(group)
	want := []*req{a1, pull, b1, a1again, b7, a501, a1001}
	for i := range want {
		if group[i] != want[i] {
			got := make([]string, len(group))
			for j, r := range group {
				if r.unit.Batch != nil {
					got[j] = fmt.Sprintf("%s/%d", r.unit.Batch.Origin, r.unit.Batch.First)
				} else {
					got[j] = "pull"
				}
			}
			t.Fatalf("order %v", got)
		}
	}
}
