package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto"
)

// gatedPublisher holds every Publish until open is closed, so that the
// handler publishing keeps its part of the budget; it records the topics.
type gatedPublisher struct {
	open chan struct{}
	mu   sync.Mutex
	got  []Message
	seen chan string // each published topic, as it arrives
}

func newGate() *gatedPublisher {
	return &gatedPublisher{open: make(chan struct{}), seen: make(chan string, 1024)}
}

func (g *gatedPublisher) Publish(ctx context.Context, topic string, payload []byte) error {
	g.seen <- topic
	<-g.open
	g.mu.Lock()
	g.got = append(g.got, Message{Topic: topic, Payload: payload})
	g.mu.Unlock()
	return nil
}

func newBudgetHub(t *testing.T, opt Options) *Hub {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opt.Store, opt.Logger = st, slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close(); st.Close() })
	return h
}

// inflating is a batch frame of about 1 KB inflating to n bytes of zeros.
func inflating(t *testing.T, n int) []byte {
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zw.Write(make([]byte, n))
	zw.Close()
	return append([]byte{'Y', 'Z', syncproto.Major, syncproto.Minor, byte(syncproto.KindBatch), byte(syncproto.CodecGzip)}, z.Bytes()...)
}

// dispatchAsync runs Dispatch on its own goroutine, as one transport
// connection would, and reports when it returned.
func dispatchAsync(h *Hub, topic string, payload []byte) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		h.Dispatch(context.Background(), topic, payload)
		close(done)
	}()
	return done
}

// TestOutletShareHoldsAFlooderBack: one outlet's messages wait once they
// hold its share, while another outlet's go straight through; the whole
// never exceeds the budget, and every byte comes back.
func TestOutletShareHoldsAFlooderBack(t *testing.T) {
	bomb := inflating(t, 1<<20)
	cost := syncproto.DecodeCost(bomb)
	share := 4*cost + cost/2 // four fit, the fifth waits
	h := newBudgetHub(t, Options{MemoryBudget: 3 * share, OutletShare: share, OutletHandlers: 100})
	gate := newGate()
	h.SetPublisher(gate)

	for i := 0; i < 4; i++ {
		h.Dispatch(context.Background(), syncproto.UplinkTopic("A"), bomb)
		<-gate.seen // its refusal is being published: the grant is held
	}
	if got := h.budget.reserved.Load(); got != 4*cost {
		t.Fatalf("reserved %d, want %d", got, 4*cost)
	}
	fifth := dispatchAsync(h, syncproto.UplinkTopic("A"), bomb)
	// B is not held back by A's flood.
	h.Dispatch(context.Background(), syncproto.UplinkTopic("B"), batchFrame(t, "B", 1, 2))
	if topic := <-gate.seen; topic != syncproto.AckTopic("B") {
		t.Fatalf("published %s, want B's ack", topic)
	}
	select {
	case <-fifth:
		t.Fatal("A's fifth message was taken beyond A's share")
	default:
	}
	if got := h.budget.reserved.Load(); got > 3*share || got > 4*cost+syncproto.DecodeCost(batchFrame(t, "B", 1, 2)) {
		t.Fatalf("reserved %d beyond the budget", got)
	}
	close(gate.open)
	<-fifth
	h.Close()
	if got := h.budget.reserved.Load(); got != 0 {
		t.Fatalf("%d bytes still reserved after every handler ended", got)
	}
	if n := h.budget.outletsHeld(); n != 0 {
		t.Fatalf("%d outlets still in the budget's table", n)
	}
	acks := 0
	for _, m := range gate.got {
		if m.Topic == syncproto.AckTopic("A") {
			acks++
		}
	}
	if acks != 5 {
		t.Fatalf("A got %d refusals, want 5", acks)
	}
}

// TestOutletHandlersBound: an outlet holds at most OutletHandlers handlers,
// however small its messages.
func TestOutletHandlersBound(t *testing.T) {
	h := newBudgetHub(t, Options{OutletHandlers: 2})
	gate := newGate()
	h.SetPublisher(gate)
	for i := 0; i < 2; i++ {
		h.Dispatch(context.Background(), syncproto.UplinkTopic("A"), []byte("junk"))
		<-gate.seen
	}
	third := dispatchAsync(h, syncproto.UplinkTopic("A"), []byte("junk"))
	h.Dispatch(context.Background(), syncproto.UplinkTopic("B"), []byte("junk"))
	if topic := <-gate.seen; topic != syncproto.AckTopic("B") {
		t.Fatalf("published %s, want B's refusal", topic)
	}
	select {
	case <-third:
		t.Fatal("A's third message got a handler beyond OutletHandlers")
	default:
	}
	close(gate.open)
	<-third
}

// TestMessageThatCanNeverFitIsRefused: a frame whose decoding needs more
// than one outlet's share is refused with the reason, and only its own
// size was held.
func TestMessageThatCanNeverFitIsRefused(t *testing.T) {
	h := newBudgetHub(t, Options{MemoryBudget: 64 << 20, OutletShare: MinOutletShare})
	var mu sync.Mutex
	var got []Message
	h.SetPublisher(publisherFunc(func(topic string, payload []byte) {
		mu.Lock()
		got = append(got, Message{topic, payload})
		mu.Unlock()
	}))
	h.Dispatch(context.Background(), syncproto.UplinkTopic("A"), inflating(t, 2<<20))
	h.Close()
	a := decodeAck(t, "A", got)
	if a.Error == nil || a.Error.Code != syncproto.CodeOversize || !strings.Contains(a.Error.Reason, "one outlet may hold") {
		t.Fatalf("ack = %+v, want an oversize refusal naming the outlet's share", a.Error)
	}
}

// TestBudgetReleasedOnPanicErrorAndCancel: a handler that panics, a
// commit that fails and a wait given up each give back what they held.
func TestBudgetReleasedOnPanicErrorAndCancel(t *testing.T) {
	t.Run("panic", func(t *testing.T) {
		h := newBudgetHub(t, Options{})
		h.SetPublisher(publisherFunc(func(string, []byte) {}))
		h.SetBatchFunc(func(context.Context, string, []syncproto.Event) { panic("boom") })
		h.Dispatch(context.Background(), syncproto.UplinkTopic("A"), batchFrame(t, "A", 1, 2))
		h.Close()
		if got := h.budget.reserved.Load(); got != 0 || h.budget.outletsHeld() != 0 {
			t.Fatalf("after a panic: %d bytes, %d outlets held", got, h.budget.outletsHeld())
		}
	})
	t.Run("commit error", func(t *testing.T) {
		h := newBudgetHub(t, Options{})
		h.SetPublisher(publisherFunc(func(string, []byte) {}))
		h.st.Close() // every commit fails
		h.Dispatch(context.Background(), syncproto.UplinkTopic("A"), batchFrame(t, "A", 1, 2))
		h.Close()
		if got := h.budget.reserved.Load(); got != 0 || h.budget.outletsHeld() != 0 {
			t.Fatalf("after a failed commit: %d bytes, %d outlets held", got, h.budget.outletsHeld())
		}
	})
	t.Run("cancel while waiting", func(t *testing.T) {
		h := newBudgetHub(t, Options{OutletHandlers: 1})
		gate := newGate()
		h.SetPublisher(gate)
		h.Dispatch(context.Background(), syncproto.UplinkTopic("A"), []byte("junk"))
		<-gate.seen
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { h.Dispatch(ctx, syncproto.UplinkTopic("A"), []byte("junk")); close(done) }()
		cancel()
		<-done
		close(gate.open)
		h.Close()
		if got := h.budget.reserved.Load(); got != 0 || h.budget.outletsHeld() != 0 {
			t.Fatalf("after a cancelled wait: %d bytes, %d outlets held", got, h.budget.outletsHeld())
		}
		if len(gate.got) != 1 {
			t.Fatalf("%d replies, want only the first message's", len(gate.got))
		}
	})
}

// TestBudgetSettingsChecked: a share below what an agent's batch needs or
// above the whole budget is refused.
func TestBudgetSettingsChecked(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, o := range []Options{{OutletShare: MinOutletShare - 1}, {MemoryBudget: 8 << 20, OutletShare: 16 << 20}} {
		o.Store, o.Logger = st, slog.New(slog.NewTextHandler(io.Discard, nil))
		if h, err := New(o); err == nil {
			h.Close()
			t.Errorf("New(%d, %d) accepted", o.MemoryBudget, o.OutletShare)
		}
	}
}

// TestSharedConnectionShedsAFlooderNotTheOthers: on a connection that
// carries every outlet (Options.Shared), an outlet whose handlers are all
// busy does not hold up the connection: its next messages wait off it, as
// many as it may have handlers; any more are shed and counted; another
// outlet's message goes straight through; and everything comes back.
func TestSharedConnectionShedsAFlooderNotTheOthers(t *testing.T) {
	h := newBudgetHub(t, Options{OutletHandlers: 2, Shared: true})
	gate := newGate()
	h.SetPublisher(gate)
	for i := 0; i < 2; i++ {
		h.Dispatch(context.Background(), syncproto.UplinkTopic("A"), []byte("junk"))
		<-gate.seen // its refusal is being published: the handler is held
	}
	// Each of these returns at once, as the connection must; waiting for
	// A's handlers on it would hang here.
	for i := 0; i < 5; i++ {
		h.Dispatch(context.Background(), syncproto.UplinkTopic("A"), []byte("junk"))
	}
	h.Dispatch(context.Background(), syncproto.UplinkTopic("B"), []byte("junk"))
	if topic := <-gate.seen; topic != syncproto.AckTopic("B") {
		t.Fatalf("published %s, want B's refusal", topic)
	}
	var shed dto.Metric
	if err := h.m.frames.WithLabelValues("batch", "shed").Write(&shed); err != nil || shed.GetCounter().GetValue() != 3 {
		t.Fatalf("%v of A's messages shed (%v), want the 3 beyond its 2 handlers and 2 waiting", shed.GetCounter().GetValue(), err)
	}
	// A frame no agent sends is refused unread: it never waits holding
	// more than a frame may be.
	h.Dispatch(context.Background(), syncproto.UplinkTopic("C"), make([]byte, syncproto.MaxFrameBytes+1))
	var refused dto.Metric
	if err := h.m.rejects.WithLabelValues(syncproto.CodeOversize).Write(&refused); err != nil || refused.GetCounter().GetValue() != 1 {
		t.Fatalf("oversize frames refused: %v (%v), want 1", refused.GetCounter().GetValue(), err)
	}
	close(gate.open)
	h.Close()
	replies := map[string]int{}
	for _, m := range gate.got {
		replies[m.Topic]++
	}
	if replies[syncproto.AckTopic("A")] != 4 || replies[syncproto.AckTopic("B")] != 1 {
		t.Fatalf("replies %v, want 4 of A's and B's one", replies)
	}
	if got := h.budget.reserved.Load(); got != 0 || h.budget.outletsHeld() != 0 {
		t.Fatalf("after the handlers ended: %d bytes, %d outlets held", got, h.budget.outletsHeld())
	}
}
