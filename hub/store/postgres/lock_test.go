package postgres

import (
	"context"
	"testing"
	"time"
)

// A lease whose connection dies is lost with it: another hub takes it, and
// the first hub's next TryLease finds its connection gone, connects again
// and reports the lease held elsewhere, instead of going on as holder.
func TestLeaseLostWithItsConnection(t *testing.T) {
	ctx := context.Background()
	dsn := newDSN(t)
	a, b := openDSN(t, dsn, nil), openDSN(t, dsn, nil)
	if held, err := a.TryLease(ctx, "timers"); err != nil || !held {
		t.Fatalf("a takes the free lease: %v %v", held, err)
	}
	if held, _ := b.TryLease(ctx, "timers"); held {
		t.Fatal("b holds a lease a holds")
	}
	pid := int(a.leases.conns["timers"].conn.PgConn().PID())
	terminate(t, b, pid)
	deadline := time.Now().Add(30 * time.Second)
	for {
		held, err := b.TryLease(ctx, "timers")
		if err != nil {
			t.Fatal(err)
		}
		if held {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the lease of a dead connection was never freed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if held, err := a.TryLease(ctx, "timers"); err != nil || held {
		t.Fatalf("a after its lease connection died: held %v, err %v; want the lease held by b", held, err)
	}
}

// A step lock is freed when its holder's connection dies mid-step.
func TestLockFreedWithItsConnection(t *testing.T) {
	ctx := context.Background()
	dsn := newDSN(t)
	a, b := openDSN(t, dsn, nil), openDSN(t, dsn, nil)
	unlockA, err := a.Lock(ctx, "steps")
	if err != nil {
		t.Fatal(err)
	}
	// Its connection is dead by then: unlock ends it and gives it back.
	defer unlockA()
	if n := count(t, b, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`); n != 1 {
		t.Fatalf("%d advisory locks held, want 1", n)
	}
	terminate(t, b, count(t, b, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`))
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	unlock, err := b.Lock(wctx, "steps")
	if err != nil {
		t.Fatalf("b never took the lock of a dead connection: %v", err)
	}
	unlock()
}

// terminate ends backend pid, as a dead hub's connection ends.
func terminate(t *testing.T, s *Store, pid int) {
	t.Helper()
	var ok bool
	if err := s.b.pool.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("terminate backend %d: %v %v", pid, ok, err)
	}
}
