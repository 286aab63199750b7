package ingest

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/yizhan/yizhan/hub/store"
)

// Reject accounting defaults: a flood of bad messages must flood neither
// the database nor the log.
const (
	// DefaultRejectFlushEvery is how often the reject counters gathered in
	// memory are committed.
	DefaultRejectFlushEvery = 5 * time.Second
	// rejectLogLines is how many lines one outlet and code get per
	// interval before the rest are only counted.
	rejectLogLines = 3
)

type rejectKey struct{ outlet, code string }

// rejectLog gathers the store counters of refused messages between
// commits, and limits their log lines per outlet and code per interval,
// ending each interval with one line saying how many were left out.
type rejectLog struct {
	mu         sync.Mutex
	counts     map[string]uint64 // store counter → not yet committed
	lines      map[rejectKey]int
	suppressed map[rejectKey]uint64
}

func newRejectLog() *rejectLog {
	return &rejectLog{counts: map[string]uint64{}, lines: map[rejectKey]int{}, suppressed: map[rejectKey]uint64{}}
}

// count adds one refusal to a store counter.
func (r *rejectLog) count(counter string) {
	r.mu.Lock()
	r.counts[counter]++
	r.mu.Unlock()
}

// logged says whether a line for k may be written this interval, counting
// it as left out otherwise.
func (r *rejectLog) logged(k rejectKey) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lines[k] < rejectLogLines {
		r.lines[k]++
		return true
	}
	r.suppressed[k]++
	return false
}

// take empties the interval: the counts to commit and the lines left out.
func (r *rejectLog) take() (map[string]uint64, map[rejectKey]uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, s := r.counts, r.suppressed
	r.counts, r.suppressed, r.lines = map[string]uint64{}, map[rejectKey]uint64{}, map[rejectKey]int{}
	return c, s
}

// putBack returns counts whose commit failed, for the next flush.
func (r *rejectLog) putBack(c map[string]uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, n := range c {
		r.counts[k] += n
	}
}

// pending is a copy of the counts not yet committed.
func (r *rejectLog) pending() map[string]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.counts)
}

// flushRejects commits the gathered counters in one unit and logs one
// summary line per outlet and code whose lines were left out.
func (h *Hub) flushRejects(ctx context.Context) {
	counts, suppressed := h.rejects.take()
	for k, n := range suppressed {
		h.logger.Warn("more uplink messages rejected; lines left out", "outlet", k.outlet, "code", k.code, "suppressed", n,
			"interval", h.opt.RejectFlushEvery)
	}
	if len(counts) == 0 {
		return
	}
	if _, err := h.submit(ctx, store.Unit{Count: counts}, 0); err != nil {
		h.rejects.putBack(counts)
		h.logger.Warn("persist reject counters failed; kept for the next try", "err", err)
	}
}

func (h *Hub) rejectFlusher() {
	defer close(h.flushD)
	t := time.NewTicker(h.opt.RejectFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			h.flushRejects(context.Background())
		case <-h.flushStop:
			return
		}
	}
}

// Counters is the store's counters with the reject counts not yet
// committed added, so that they add up at any moment.
func (h *Hub) Counters(ctx context.Context) (map[string]uint64, error) {
	c, err := h.st.Counters(ctx)
	if err != nil {
		return nil, err
	}
	for k, n := range h.rejects.pending() {
		c[k] += n
	}
	return c, nil
}
