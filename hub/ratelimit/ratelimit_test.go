package ratelimit_test

import (
	"context"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/ratelimit"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// counted is the store with its statements counted, to see what reaches
// the database.
type counted struct {
	*sqlite.Store
	tries, drops, dropped atomic.Int64
}

func (c *counted) Try(ctx context.Context, key string, start, end int64) (int64, error) {
	c.tries.Add(1)
	return c.Store.Try(ctx, key, start, end)
}

func (c *counted) DropTries(ctx context.Context, now int64) (int64, error) {
	c.drops.Add(1)
	n, err := c.Store.DropTries(ctx, now)
	c.dropped.Add(n)
	return n, err
}

func open(t *testing.T, clk clock.Clock) (*counted, *ratelimit.Limiter) { return openB(t, clk) }

func openB(t testing.TB, clk clock.Clock) (*counted, *ratelimit.Limiter) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{Clock: clk, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &counted{Store: st}
	l, err := ratelimit.New(ratelimit.Options{Store: c, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return c, l
}

var rule = ratelimit.Rule{Name: "test", Budget: 3, Window: time.Hour}

// The budget per fixed window: Budget tries, then a refusal saying when
// the window ends; a try given back is spent again; the next window
// starts afresh; a clock set back within a refused window ends no limit
// early; another rule and another key count apart.
func TestBudgetPerWindow(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	_, l := open(t, clk)
	var spent ratelimit.Spent
	for i := range rule.Budget {
		s, ok, _, err := l.Take(ctx, rule, "T1")
		if err != nil || !ok {
			t.Fatalf("try %d: %v %v", i+1, ok, err)
		}
		spent = s
	}
	clk.Advance(10 * time.Minute)
	if _, ok, retry, err := l.Take(ctx, rule, "T1"); err != nil || ok || retry != 50*time.Minute {
		t.Fatalf("try %d: ok %v, retry %v (%v); want a refusal for 50m", rule.Budget+1, ok, retry, err)
	}
	other := rule
	other.Name = "other"
	if _, ok, _, _ := l.Take(ctx, other, "T1"); !ok {
		t.Error("another rule's key of the same name is limited")
	}
	if _, ok, _, _ := l.Take(ctx, rule, "T2"); !ok {
		t.Error("another key is limited")
	}

	// The next window: a try given back there is spent again.
	clk.Advance(50 * time.Minute)
	for i := range rule.Budget {
		s, ok, _, err := l.Take(ctx, rule, "T1")
		if err != nil || !ok {
			t.Fatalf("try %d of the next window: %v %v", i+1, ok, err)
		}
		spent = s
	}
	l.Give(ctx, spent)
	if _, ok, _, _ := l.Take(ctx, rule, "T1"); !ok {
		t.Error("a try given back was not spent again")
	}
	if _, ok, _, _ := l.Take(ctx, rule, "T1"); ok {
		t.Error("a try past the budget after a give")
	}
	l.Give(ctx, ratelimit.Spent{}) // the zero Spent gives nothing back
	if _, ok, _, _ := l.Take(ctx, rule, "T1"); ok {
		t.Error("the zero Spent gave a try back")
	}

	// Set back within the window: still refused.
	clk.Set(start.Add(time.Hour + 5*time.Minute))
	if _, ok, _, _ := l.Take(ctx, rule, "T1"); ok {
		t.Error("a clock set back ended a limit early")
	}
}

// A flood: a key refused once costs the database nothing more until its
// window ends; a flood of made-up keys clears no refusal; ended windows
// are deleted a minute after their end, at most once per DropEvery.
func TestFloodAndCleanup(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC))
	st, l := open(t, clk)
	for range rule.Budget + 1 {
		l.Take(ctx, rule, "flooder")
	}
	before := st.tries.Load()
	for range 10_000 {
		if _, ok, retry, err := l.Take(ctx, rule, "flooder"); ok || err != nil || retry <= 0 {
			t.Fatalf("a refused key: ok %v, retry %v, %v", ok, retry, err)
		}
	}
	if n := st.tries.Load() - before; n != 0 {
		t.Errorf("%d statements for 10,000 refused tries, want 0", n)
	}
	for i := range 1_000 {
		l.Take(ctx, rule, "made-up-"+strconv.Itoa(i))
	}
	if _, ok, _, _ := l.Take(ctx, rule, "flooder"); ok {
		t.Error("a flood of other keys cleared a refusal")
	}
	if d := st.drops.Load(); d != 1 {
		t.Errorf("%d deletions within one minute, want 1", d)
	}
	// At the window's end a deletion keeps it (a minute's margin for
	// clocks apart); a minute later the next try deletes every row of it
	// (the flooder's and the 1,000 made-up keys').
	clk.Set(time.Date(2026, 7, 1, 11, 0, 0, 0, time.UTC))
	if _, ok, _, _ := l.Take(ctx, rule, "flooder"); !ok {
		t.Error("the flooder is still refused in the next window")
	}
	if d, n := st.drops.Load(), st.dropped.Load(); d != 2 || n != 0 {
		t.Errorf("%d deletions, %d rows deleted at the window's end; want 2 and none", d, n)
	}
	clk.Advance(ratelimit.DropEvery)
	l.Take(ctx, rule, "flooder")
	if d, n := st.drops.Load(), st.dropped.Load(); d != 3 || n != 1_001 {
		t.Errorf("%d deletions, %d rows deleted a minute after; want 3 and 1,001", d, n)
	}
}

// A store that cannot count refuses the try (fails closed).
func TestStoreDownRefuses(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC))
	st, l := open(t, clk)
	st.Store.Close()
	if _, ok, _, err := l.Take(context.Background(), rule, "T1"); ok || err == nil {
		t.Fatalf("a try on a closed store: ok %v, err %v", ok, err)
	}
}

func TestRetryAfter(t *testing.T) {
	for d, want := range map[time.Duration]int{0: 1, time.Millisecond: 1, time.Second: 1, time.Second + time.Millisecond: 2, 50 * time.Minute: 3000} {
		if got := ratelimit.RetryAfter(d); got != want {
			t.Errorf("RetryAfter(%v) = %d, want %d", d, got, want)
		}
	}
}
