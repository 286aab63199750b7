package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
)

// lockers returns the Lockers of a new store and of another on its
// database, as two hub processes; it skips a backend one process owns.
func lockers(t *testing.T, be Backend) (a store.Store, la, lb store.Locker) {
	t.Helper()
	if be.Another == nil {
		t.Skip("one process owns this backend's database")
	}
	a = be.Open(t, nil)
	b := be.Another(t, a)
	la, oka := a.(store.Locker)
	lb, okb := b.(store.Locker)
	if !oka || !okb {
		t.Fatalf("a store several hub processes open must be a store.Locker: %T", a)
	}
	return a, la, lb
}

// testLockAcrossStores: a lock one store holds keeps another store (and
// another goroutine of its own) waiting until it is unlocked; other names
// are free meanwhile.
func testLockAcrossStores(t *testing.T, be Backend) {
	_, la, lb := lockers(t, be)
	ctx := context.Background()
	unlock, err := la.Lock(ctx, "steps")
	if err != nil {
		t.Fatal(err)
	}
	// The waits below end by their ctx: a lock that let them in would
	// return at once with no error.
	for name, l := range map[string]store.Locker{"another store": lb, "the same store": la} {
		wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		u, err := l.Lock(wctx, "steps")
		cancel()
		if err == nil {
			u()
			t.Fatalf("%s took a lock that is held", name)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s waiting for a held lock: %v, want the ctx's deadline", name, err)
		}
	}
	other, err := lb.Lock(ctx, "other")
	if err != nil {
		t.Fatalf("a lock of another name: %v", err)
	}
	other()
	got := make(chan error, 1)
	go func() {
		u, err := lb.Lock(ctx, "steps")
		if err == nil {
			u()
		}
		got <- err
	}()
	unlock()
	unlock() // a second call does nothing
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("lock after unlock: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("another store never took the lock after it was unlocked")
	}
}

// testLeaseAcrossStores: one of two stores holds a lease, for as long as
// it lives; when it closes (a hub that stops or dies), the other takes it.
func testLeaseAcrossStores(t *testing.T, be Backend) {
	a, la, lb := lockers(t, be)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if held, err := la.TryLease(ctx, "timers"); err != nil || !held {
			t.Fatalf("try %d: first store holds the free lease: %v %v", i, held, err)
		}
	}
	if held, err := lb.TryLease(ctx, "timers"); err != nil || held {
		t.Fatalf("another store holds a lease that is taken: %v %v", held, err)
	}
	if held, err := lb.TryLease(ctx, "other"); err != nil || !held {
		t.Fatalf("another store holds a free lease of another name: %v %v", held, err)
	}
	a.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		held, err := lb.TryLease(ctx, "timers")
		if err != nil {
			t.Fatal(err)
		}
		if held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease of a closed store was never freed")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
