// Package hlc implements a hybrid logical clock: timestamps that follow wall
// time when clocks are sane but never go backwards and always order a
// received event before anything stamped after it, whatever the local clock
// says. Outlet PCs drift and get set by hand; ordering must not care.
package hlc

import (
	"fmt"
	"sync"
	"time"

	"github.com/yizhan/yizhan/syncproto/clock"
)

// Timestamp packs wall milliseconds since the Unix epoch in the high 48 bits
// and a logical counter in the low 16. Comparing two Timestamps as integers
// compares them as HLC stamps.
type Timestamp uint64

const logicalBits = 16
const logicalMax = 1<<logicalBits - 1

// Make builds a Timestamp from wall milliseconds and a logical counter.
func Make(wallMillis int64, logical uint16) Timestamp {
	if wallMillis < 0 {
		wallMillis = 0
	}
	return Timestamp(uint64(wallMillis)<<logicalBits | uint64(logical))
}

// WallMillis is the wall-clock part in milliseconds since the epoch.
func (t Timestamp) WallMillis() int64 { return int64(uint64(t) >> logicalBits) }

// Logical is the counter part.
func (t Timestamp) Logical() uint16 { return uint16(uint64(t) & logicalMax) }

// Time is the wall part as a time.Time in UTC.
func (t Timestamp) Time() time.Time { return time.UnixMilli(t.WallMillis()).UTC() }

func (t Timestamp) String() string {
	return fmt.Sprintf("%s+%d", t.Time().Format("2006-01-02T15:04:05.000Z"), t.Logical())
}

// Clock issues Timestamps. It is safe for concurrent use.
type Clock struct {
	mu   sync.Mutex
	wall clock.Clock
	last Timestamp
}

// New returns a Clock reading physical time from wall (clock.System if nil)
// that never issues a stamp at or below floor, e.g. the last stamp persisted
// before a restart.
func New(wall clock.Clock, floor Timestamp) *Clock {
	if wall == nil {
		wall = clock.System
	}
	return &Clock{wall: wall, last: floor}
}

// Now issues a stamp for a local event, strictly greater than every stamp
// this clock has issued or observed.
func (c *Clock) Now() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = next(c.last, c.wall.Now().UnixMilli())
	return c.last
}

// Observe merges a stamp received from elsewhere so that later local stamps
// order after it. It returns the merged stamp.
func (c *Clock) Observe(remote Timestamp) Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	if remote > c.last {
		c.last = remote
	}
	c.last = next(c.last, c.wall.Now().UnixMilli())
	return c.last
}

// Last is the highest stamp issued or observed.
func (c *Clock) Last() Timestamp {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

func next(last Timestamp, physMillis int64) Timestamp {
	if physMillis > last.WallMillis() {
		return Make(physMillis, 0)
	}
	if last.Logical() == logicalMax {
		// Counter exhausted within one millisecond: borrow the next one.
		return Make(last.WallMillis()+1, 0)
	}
	return last + 1
}

// The skew rule. A receiver adopts a stamp from elsewhere into its clock
// only if it lies at most a bound ahead of the time the receiver trusts: the
// hub trusts its own wall clock, an agent the hub time that came with the
// stamp. One PC set to the wrong year must not drag every other clock along;
// its events are still kept, ordered by Capped.

// DefaultMaxSkew is the bound both programs' settings default to.
const DefaultMaxSkew = time.Minute

// HorizonMillis is 3000-01-01T00:00:00Z. No event's stamp reaches it: a PC
// set by hand to a wrong year (2500, say) is a wrong clock, kept and
// flagged; a stamp beyond is no clock reading at all (year 9999, the
// maximum value) and is refused. Every stamp below it fits an int64 with
// room, so a store can never wrap one negative.
const HorizonMillis int64 = 32503680000000

// Ceiling is the highest stamp a receiver trusting now adopts with bound.
func Ceiling(now time.Time, bound time.Duration) Timestamp {
	ms := now.Add(bound).UnixMilli()
	if ms >= 1<<(64-logicalBits)-1 {
		return ^Timestamp(0)
	}
	return Make(ms, logicalMax)
}

// Adoptable reports whether remote may move a clock whose owner trusts now.
func Adoptable(remote Timestamp, now time.Time, bound time.Duration) bool {
	return remote <= Ceiling(now, bound)
}

// Capped is t, or Ceiling(now, bound) where t lies beyond it: the stamp a
// receiver that got an event at now orders it by, so that what it stamps
// later orders after the event without inheriting the event's future.
func Capped(t Timestamp, now time.Time, bound time.Duration) Timestamp {
	return min(t, Ceiling(now, bound))
}

// ObserveWithin is Observe for a stamp that passes Adoptable(remote,
// trusted, bound); any other stamp leaves the clock alone, and the result
// is a fresh local stamp. It reports whether remote was adopted.
func (c *Clock) ObserveWithin(remote Timestamp, trusted time.Time, bound time.Duration) (Timestamp, bool) {
	if remote == 0 || !Adoptable(remote, trusted, bound) {
		return c.Now(), false
	}
	return c.Observe(remote), true
}
