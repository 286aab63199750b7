package store

import (
	"context"
	"sync"
)

// Locker lets several hub processes on one database take turns. Each
// backend offers its own: SQLite a lock file next to the database,
// PostgreSQL advisory locks. A lock or lease is freed when the process
// holding it dies (the kernel closes its file, PostgreSQL its session), so
// a killed hub never blocks the others.
type Locker interface {
	// Lock waits until this process holds name across every hub process
	// on the database, or ctx ends. unlock frees it; call it once.
	Lock(ctx context.Context, name string) (unlock func(), err error)
	// TryLease reports whether this process holds the lease name: it takes
	// it if it is free and keeps it until the process ends. It never
	// waits for another holder. Call it before each use of what the lease
	// guards: a lease held once may be lost (a connection died).
	TryLease(ctx context.Context, name string) (held bool, err error)
}

// Names of the locks and leases the hub takes.
const (
	// LockSteps is held for each head-office step, from reading the
	// entity's events to committing the step: a step checked on one hub
	// is committed before another hub checks the same entity.
	LockSteps = "head-office-steps"
	// LockCalendar is held from counting the calendar's events to
	// writing a new one, so that hubs adding at once stay within its cap.
	LockCalendar = "calendar"
	// LeaseTimers is held by the one hub that runs head office's timers
	// (the SLA sweeper and suspected-loss flags).
	LeaseTimers = "timers"
)

// Mutexes is the in-process half of a Locker: one mutex per name that a
// waiter can give up on when its ctx ends.
type Mutexes struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

// Lock waits for name's mutex or ctx's end.
func (m *Mutexes) Lock(ctx context.Context, name string) (unlock func(), err error) {
	m.mu.Lock()
	if m.ch == nil {
		m.ch = map[string]chan struct{}{}
	}
	c, ok := m.ch[name]
	if !ok {
		c = make(chan struct{}, 1)
		m.ch[name] = c
	}
	m.mu.Unlock()
	select {
	case c <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-c }) }, nil
}

// Local is the Locker of a database only one hub process writes: Lock is
// Mutexes, and every lease is held.
type Local struct{ Mutexes }

var _ Locker = (*Local)(nil)

// TryLease implements Locker: one process holds every lease.
func (*Local) TryLease(context.Context, string) (bool, error) { return true, nil }
