// Package clock is the one type for injectable time that the agent, the
// hub and the device drivers share: whatever reads the wall clock for a
// stamp, a deadline, a lock-out, a debounce window or a retry takes a
// Clock, so tests step time instead of waiting for it (as Tailscale's
// tstime.Clock and its test clock do).
//
// A Clock is an interface rather than a func() time.Time so that one value
// also serves where a library asks for the same method (backoff.Clock in
// devices/spool), and so that the test clock, which must be shared and
// moved, is a value with methods. It lives in syncproto, the only root
// every side may import, and does no I/O.
package clock

import (
	"sync"
	"time"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// System is the machine's clock.
var System Clock = system{}

type system struct{}

func (system) Now() time.Time { return time.Now() }

// Func adapts a function to a Clock, as http.HandlerFunc adapts one to a
// Handler: the agent's hub-corrected time is the sync client's HubNow.
type Func func() time.Time

// Now calls f.
func (f Func) Now() time.Time { return f() }

// Offset is c moved by d: a PC clock set d wrong, or a local clock
// corrected by a known offset.
func Offset(c Clock, d time.Duration) Clock {
	return Func(func() time.Time { return c.Now().Add(d) })
}

// Manual is a clock that moves only when told: the stepping clock for tests
// of every package. It is safe for concurrent use, so the code under test
// may read it from its own goroutines while the test moves it.
type Manual struct {
	mu sync.Mutex
	t  time.Time
}

// NewManual returns a Manual clock that reads t until moved.
func NewManual(t time.Time) *Manual { return &Manual{t: t} }

// Now is the time the clock was last set or advanced to.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.t
}

// Set moves the clock to t, backwards as well as forwards (a PC clock set
// by hand).
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	m.t = t
	m.mu.Unlock()
}

// Advance moves the clock by d (back for a negative d) and returns the new
// time.
func (m *Manual) Advance(d time.Duration) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.t = m.t.Add(d)
	return m.t
}
