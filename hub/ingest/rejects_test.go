package ingest

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto"
)

// countingStore is the real store, counting its commits.
type countingStore struct {
	store.Store
	commits atomic.Int64
}

func (c *countingStore) Commit(ctx context.Context, units []store.Unit) ([]store.Result, error) {
	c.commits.Add(1)
	return c.Store.Commit(ctx, units)
}

// lines is a slog.Handler that keeps every record's message and its
// "suppressed" count.
type lines struct {
	mu         sync.Mutex
	byMsg      map[string]int
	suppressed int64
}

func (l *lines) Enabled(context.Context, slog.Level) bool { return true }
func (l *lines) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *lines) WithGroup(string) slog.Handler            { return l }
func (l *lines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byMsg[r.Message]++
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "suppressed" {
			l.suppressed += int64(a.Value.Uint64())
		}
		return true
	})
	return nil
}

func (l *lines) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byMsg[msg]
}

// TestRejectFloodIsRateLimited: a thousand bad frames from two outlets with
// two codes make no commit until the counters are flushed, then one; a few
// log lines per outlet and code and one summary each; and the counters add
// up exactly, at any moment through Counters and in the store after Close.
func TestRejectFloodIsRateLimited(t *testing.T) {
	real, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	st := &countingStore{Store: real}
	log := &lines{byMsg: map[string]int{}}
	h, err := New(Options{Store: st, Logger: slog.New(log), RejectFlushEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx := context.Background()
	wrongKind := frame(t, syncproto.KindAck, syncproto.Ack{Origin: "A"}, -1)
	const n = 250
	for i := 0; i < n; i++ {
		for _, o := range []string{"A", "B"} {
			h.Handle(ctx, syncproto.UplinkTopic(o), []byte("junk"))
			h.Handle(ctx, syncproto.UplinkTopic(o), wrongKind)
		}
	}
	if c := st.commits.Load(); c != 0 {
		t.Fatalf("%d commits for %d refused messages before any flush, want 0", c, 4*n)
	}
	if got := log.count("uplink message rejected"); got != 4*rejectLogLines {
		t.Fatalf("%d reject lines, want %d (a few per outlet and code)", got, 4*rejectLogLines)
	}
	c, err := h.Counters(ctx)
	if err != nil || c["reject.malformed"] != 2*n || c["reject.wrong_kind"] != 2*n {
		t.Fatalf("counters before the flush: %v, %v", c, err)
	}

	h.flushRejects(ctx)
	if c := st.commits.Load(); c != 1 {
		t.Fatalf("%d commits after one flush, want 1", c)
	}
	if got := log.count("more uplink messages rejected; lines left out"); got != 4 {
		t.Fatalf("%d summary lines, want one per outlet and code", got)
	}
	if log.suppressed != 4*n-4*rejectLogLines {
		t.Fatalf("summaries count %d lines left out, want %d", log.suppressed, 4*n-4*rejectLogLines)
	}
	// A new interval logs again, and Close commits what is left.
	h.Handle(ctx, syncproto.UplinkTopic("A"), []byte("junk"))
	if got := log.count("uplink message rejected"); got != 4*rejectLogLines+1 {
		t.Fatalf("%d reject lines after the interval ended, want %d", got, 4*rejectLogLines+1)
	}
	h.Close()
	stored, err := real.Counters(ctx)
	if err != nil || stored["reject.malformed"] != 2*n+1 || stored["reject.wrong_kind"] != 2*n {
		t.Fatalf("stored counters after Close: %v, %v", stored, err)
	}
	if c := st.commits.Load(); c != 2 {
		t.Fatalf("%d commits in all, want 2", c)
	}
}

// TestRejectCountersFlushedOnTheirOwn: with no Close, the flusher commits
// the gathered counters.
func TestRejectCountersFlushedOnTheirOwn(t *testing.T) {
	real, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	h, err := New(Options{Store: real, Logger: slog.New(&lines{byMsg: map[string]int{}}), RejectFlushEvery: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for i := 0; i < 10; i++ {
		h.Handle(context.Background(), syncproto.UplinkTopic("A"), []byte("junk"))
	}
	for {
		c, err := real.Counters(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if c["reject.malformed"] == 10 {
			return
		}
		time.Sleep(5 * time.Millisecond) // the test's own timeout bounds this
	}
}

// stuckStore is a store that stops answering commits, as PostgreSQL behind
// a link that died silently would, until the caller gives up.
type stuckStore struct {
	store.Store
	deadline atomic.Bool // the commit's context had a deadline
}

func (s *stuckStore) Commit(ctx context.Context, _ []store.Unit) ([]store.Result, error) {
	_, ok := ctx.Deadline()
	s.deadline.Store(ok)
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestStuckStoreDoesNotHoldTheWriter: a commit that never returns by itself
// is given up after CommitTimeout; the batch gets no ack (its agent
// resends), and the writer takes the next one.
func TestStuckStoreDoesNotHoldTheWriter(t *testing.T) {
	real, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	st := &stuckStore{Store: real}
	h, err := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler), CommitTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for i := range 2 {
		if out := h.Handle(context.Background(), syncproto.UplinkTopic("A"), batchFrame(t, "A", 1, 3)); len(out) != 0 {
			t.Fatalf("batch %d: replies %v while the store answers nothing, want no ack", i, out)
		}
	}
	if !st.deadline.Load() {
		t.Fatal("the commit had no deadline")
	}
}
