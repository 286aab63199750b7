package barcode

import (
	"sync"
	"time"

	"github.com/yizhan/yizhan/syncproto/clock"
)

// Debouncer drops the same code read again by the same scanner within a
// window. The window slides: a scanner in continuous mode that keeps
// re-reading a parcel held under it reports it once, until the code has
// been out of sight for a whole window. It is safe for concurrent use.
type Debouncer struct {
	window time.Duration
	clock  clock.Clock

	mu    sync.Mutex
	last  map[debounceKey]time.Time
	calls int
}

type debounceKey struct{ scanner, text string }

// NewDebouncer returns a Debouncer; a nil clk means clock.System.
func NewDebouncer(window time.Duration, clk clock.Clock) *Debouncer {
	if clk == nil {
		clk = clock.System
	}
	return &Debouncer{window: window, clock: clk, last: map[debounceKey]time.Time{}}
}

// Duplicate records a read and reports whether it repeats one from the same
// scanner within the window (and so should be dropped).
func (d *Debouncer) Duplicate(scannerID, text string) bool {
	now := d.clock.Now()
	k := debounceKey{scannerID, text}
	d.mu.Lock()
	defer d.mu.Unlock()
	prev, seen := d.last[k]
	d.last[k] = now
	if d.calls++; d.calls%256 == 0 {
		d.prune(now)
	}
	return seen && now.Sub(prev) < d.window && !now.Before(prev)
}

// prune forgets codes not seen for a window, so the map stays small.
func (d *Debouncer) prune(now time.Time) {
	for k, t := range d.last {
		if now.Sub(t) >= d.window {
			delete(d.last, k)
		}
	}
}
