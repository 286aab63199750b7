package ingest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"

	"github.com/yizhan/yizhan/syncproto"
)

// Budget defaults. An honest agent's batch (256 KiB of event JSON) costs
// about 1 MiB to decode; a frame inflating to syncproto.MaxBodyBytes about
// 17 MiB. An outlet's handlers take its whole window of batches and a pull
// and a fetch beside it: behind a shared broker connection, an honest
// outlet's message that waits for a handler holds up every outlet's.
const (
	DefaultMemoryBudget   = 256 << 20
	DefaultOutletHandlers = syncproto.UplinkWindow + 2
	// MinOutletShare is the least an outlet's share may be: enough for any
	// batch an agent sends.
	MinOutletShare = 4 << 20
)

// budget bounds the memory uplink handlers hold, frames, inflated bodies
// and decoded batches, whatever any number of outlets send. Every message
// reserves syncproto.DecodeCost of it before a handler starts, first from
// its outlet's share, then from the whole; an outlet also holds at most
// slots handlers. On the embedded broker waiting happens in Dispatch, on
// the transport's goroutine, so a flooding outlet's connection stops being
// read while the others' keep flowing. Behind an external broker, whose
// one connection carries every outlet, such a wait would hold up all of
// them while the broker queued, then dropped, what came meanwhile; there
// a message waits on a goroutine of its own (Options.Shared). Nothing is
// held while waiting but the frame the transport already read, and a
// holder waits for nothing but the writer, so the waits cannot deadlock.
type budget struct {
	total    *semaphore.Weighted
	share    int64
	slots    int64
	reserved atomic.Int64

	mu      sync.Mutex
	outlets map[string]*outletBudget
}

// outletBudget is one outlet's part; it exists while the outlet has a
// message reserving or holding.
type outletBudget struct {
	mem, slots *semaphore.Weighted
	refs       int
}

func newBudget(total, share int64, slots int) *budget {
	return &budget{total: semaphore.NewWeighted(total), share: share, slots: int64(slots), outlets: map[string]*outletBudget{}}
}

// grant is one message's hold on the budget; release it exactly once.
type grant struct {
	b      *budget
	o      *outletBudget
	outlet string
	cost   int64
}

// acquire waits until outlet may hold cost more bytes. A message that
// could never fit in one outlet's share is granted only its frame's size,
// to be refused: tooBig says why.
func (b *budget) acquire(ctx context.Context, outlet string, cost, frame int64) (g *grant, tooBig error, err error) {
	return b.take(ctx, b.enter(outlet, 0), cost, frame)
}

// enter counts a message of outlet as reserving, unless limit > 0 and the
// outlet already has limit messages reserving or holding: then it returns
// nil and counts nothing.
func (b *budget) enter(outlet string, limit int) *grant {
	b.mu.Lock()
	defer b.mu.Unlock()
	o := b.outlets[outlet]
	if o == nil {
		o = &outletBudget{mem: semaphore.NewWeighted(b.share), slots: semaphore.NewWeighted(b.slots)}
		b.outlets[outlet] = o
	}
	if limit > 0 && o.refs >= limit {
		return nil
	}
	o.refs++
	return &grant{b: b, o: o, outlet: outlet}
}

// take is acquire for a message enter counted.
func (b *budget) take(ctx context.Context, g *grant, cost, frame int64) (_ *grant, tooBig error, err error) {
	if cost > b.share {
		tooBig = &syncproto.DecodeError{Code: syncproto.CodeOversize, Reason: fmt.Sprintf(
			"message needs %d bytes of the hub's memory to decode, more than the %d one outlet may hold", cost, b.share)}
		cost = min(frame, b.share)
	}
	o := g.o
	if err := o.slots.Acquire(ctx, 1); err != nil {
		g.unref()
		return nil, nil, err
	}
	if err := o.mem.Acquire(ctx, cost); err != nil {
		o.slots.Release(1)
		g.unref()
		return nil, nil, err
	}
	if err := b.total.Acquire(ctx, cost); err != nil {
		o.mem.Release(cost)
		o.slots.Release(1)
		g.unref()
		return nil, nil, err
	}
	g.cost = cost
	b.reserved.Add(cost)
	return g, tooBig, nil
}

func (g *grant) release() {
	g.b.reserved.Add(-g.cost)
	g.b.total.Release(g.cost)
	g.o.mem.Release(g.cost)
	g.o.slots.Release(1)
	g.unref()
}

func (g *grant) unref() {
	g.b.mu.Lock()
	defer g.b.mu.Unlock()
	if g.o.refs--; g.o.refs == 0 {
		delete(g.b.outlets, g.outlet)
	}
}

// outletsHeld is how many outlets hold or wait for part of the budget.
func (b *budget) outletsHeld() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.outlets)
}
