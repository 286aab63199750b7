package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/yizhan/yizhan/hub/store"
)

// locker is the store.Locker of one SQLite file. Several hub processes may
// open one file (their writes take turns on SQLite's lock), so each lock
// and lease is an exclusive flock on its own file next to the database,
// <db>.<name>.lock, taken after an in-process mutex: the kernel frees it
// when its holder's file closes, or the process dies. Where flock is not
// available (tryFlock reports errNoFlock) the mutex alone is the lock and
// every lease is held: one process writes the file there.
type locker struct {
	path  string
	local store.Mutexes

	mu     sync.Mutex
	leases map[string]*os.File
}

var _ store.Locker = (*locker)(nil)

func (l *locker) file(name string) string { return l.path + "." + name + ".lock" }

func (l *locker) open(name string) (*os.File, error) {
	f, err := os.OpenFile(l.file(name), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %w", l.file(name), err)
	}
	return f, nil
}

// Lock implements store.Locker. It polls the flock, so that ctx can end
// the wait; a step holds it for milliseconds.
func (l *locker) Lock(ctx context.Context, name string) (func(), error) {
	unlock, err := l.local.Lock(ctx, name)
	if err != nil {
		return nil, err
	}
	f, err := l.open(name)
	if err != nil {
		unlock()
		return nil, err
	}
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		held, err := tryFlock(f)
		if errors.Is(err, errNoFlock) {
			f.Close()
			return unlock, nil
		}
		if err != nil {
			f.Close()
			unlock()
			return nil, fmt.Errorf("lock %s: %w", l.file(name), err)
		}
		if held {
			break
		}
		select {
		case <-ctx.Done():
			f.Close()
			unlock()
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			f.Close() // frees the flock
			unlock()
		})
	}, nil
}

// TryLease implements store.Locker: a lease, once taken, is kept open
// until Close. A file lock cannot be lost while its process lives.
func (l *locker) TryLease(_ context.Context, name string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.leases[name] != nil {
		return true, nil
	}
	f, err := l.open(name)
	if err != nil {
		return false, err
	}
	held, err := tryFlock(f)
	if errors.Is(err, errNoFlock) {
		held, err = true, nil
	}
	if err != nil || !held {
		f.Close()
		if err != nil {
			return false, fmt.Errorf("lease %s: %w", l.file(name), err)
		}
		return false, nil
	}
	if l.leases == nil {
		l.leases = map[string]*os.File{}
	}
	l.leases[name] = f
	return true, nil
}

// close gives up every lease.
func (l *locker) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for n, f := range l.leases {
		f.Close()
		delete(l.leases, n)
	}
}
