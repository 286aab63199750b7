package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
)

// testTries: a key's tries count up from 1 in their window, apart from
// another window's and another key's; many tries at once, from two stores
// on one database where the backend has them, each read a count of their
// own, with none lost; a try returned is taken back, never below 0; and
// only the windows that ended are deleted.
func testTries(t *testing.T, b Backend) {
	ctx := context.Background()
	s, other := b.pair(t)
	const start, end = 1_000_000, 1_060_000
	for want := int64(1); want <= 3; want++ {
		if n, err := s.Try(ctx, "a", start, end); err != nil || n != want {
			t.Fatalf("try %d of a: %d (%v)", want, n, err)
		}
	}
	if n, err := s.Try(ctx, "b", start, end); err != nil || n != 1 {
		t.Errorf("first try of b: %d (%v), want 1", n, err)
	}
	if n, err := s.Try(ctx, "a", end, end+60_000); err != nil || n != 1 {
		t.Errorf("first try of a in the next window: %d (%v), want 1", n, err)
	}

	// At once, from two stores: every count from 4 to 43 read once.
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for i := range 40 {
		st := s
		if i%2 == 1 {
			st = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := st.Try(ctx, "a", start, end)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			got = append(got, n)
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(got)
	for i, n := range got {
		if n != int64(4+i) {
			t.Fatalf("counts read by tries at once: %v, want 4 to 43 each once", got)
		}
	}

	if err := other.ReturnTry(ctx, "b", start); err != nil {
		t.Fatal(err)
	}
	if err := other.ReturnTry(ctx, "b", start); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Try(ctx, "b", start, end); err != nil || n != 1 {
		t.Errorf("b after two returns of its one try: %d (%v), want 1 (never below 0)", n, err)
	}

	if n, err := s.DropTries(ctx, end-1); err != nil || n != 0 {
		t.Errorf("dropped %d windows (%v) before any ended", n, err)
	}
	if n, err := s.DropTries(ctx, end); err != nil || n != 2 {
		t.Errorf("dropped %d windows (%v) at the first window's end, want a's and b's", n, err)
	}
	if n, err := s.Try(ctx, "a", start, end); err != nil || n != 1 {
		t.Errorf("a's dropped window tried again: %d (%v), want a new count", n, err)
	}
	if n, err := s.Try(ctx, "a", end, end+60_000); err != nil || n != 2 {
		t.Errorf("a's next window, kept: %d (%v), want 2", n, err)
	}
}
