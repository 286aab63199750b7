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
