package progress

import (
	"hash/maphash"
	"sync"
	"time"
)

// limiter counts tries per key in fixed windows, in a table of a fixed
// number of slots: a key's slot is its keyed hash. Memory is the table's
// whatever an attacker sends (a flood of new addresses or made-up tickets
// evicts nothing, it only fills slots), and two keys that share a slot
// share one budget, which can only make a limit stricter, never let a
// guesser reset one. The hash seed is the process's own, so nobody can
// aim keys at another's slot.
type limiter struct {
	seed   maphash.Seed
	budget int
	window time.Duration

	mu    sync.Mutex
	slots []slot
}

type slot struct {
	start int64 // Unix ns the window began
	n     int
}

func newLimiter(slots, budget int, window time.Duration) *limiter {
	return &limiter{seed: maphash.MakeSeed(), budget: budget, window: window, slots: make([]slot, slots)}
}

func (l *limiter) slot(key string) *slot {
	return &l.slots[maphash.String(l.seed, key)%uint64(len(l.slots))]
}

// take spends one try of key at now, or says how long until its window
// ends. A clock that went back starts a new window rather than keep a lock
// past the old one.
func (l *limiter) take(key string, now time.Time) (ok bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, t := l.slot(key), now.UnixNano()
	if t-s.start >= int64(l.window) || t < s.start {
		*s = slot{start: t}
	}
	if s.n >= l.budget {
		return false, time.Duration(s.start + int64(l.window) - t)
	}
	s.n++
	return true, 0
}

// give returns a try take spent: the right pair costs its ticket nothing.
func (l *limiter) give(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.slot(key); s.n > 0 {
		s.n--
	}
}
