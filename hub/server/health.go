package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// storeHealth is whether the hub can reach its store: the latest of a
// probe's Ping every few seconds and of each commit's outcome, so that a
// database that stops answering shows within a probe interval even with no
// traffic, and one that comes back shows at the first commit or probe
// that succeeds. /readyz answers its error (store.unreachable) and the
// metric yizhan_hub_store_up its state; nothing else depends on it: a
// commit that fails sends no ack, and the agent sends again.
type storeHealth struct {
	log   *slog.Logger
	where string // the store, for the problem's db: no password

	mu  sync.Mutex
	err error // nil: up
}

// observe records one outcome and logs when the state changes.
func (h *storeHealth) observe(err error) {
	h.mu.Lock()
	was := h.err
	h.err = err
	h.mu.Unlock()
	switch {
	case err != nil && was == nil:
		h.log.Error("store unreachable: acknowledging nothing until it answers again", "err", err)
	case err == nil && was != nil:
		h.log.Info("store answers again: taking events")
	}
}

// check is /readyz's view: store.unreachable while the store is down.
func (h *storeHealth) check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.err == nil:
		return nil
	case problem.Is(h.err, problem.StoreUnreachable):
		return h.err
	}
	return problem.Wrap(h.err, problem.StoreUnreachable, "db", h.where, "detail", h.err.Error())
}

func (h *storeHealth) up() float64 {
	if h.check() != nil {
		return 0
	}
	return 1
}

// pingTimeout is the shortest a probe's ping may take before it counts
// as an outage.
const pingTimeout = 2 * time.Second

// probe pings every interval until ctx ends, each ping bounded by the
// interval or pingTimeout, the longer: a slow answer is not an outage.
func (h *storeHealth) probe(ctx context.Context, ping func(context.Context) error, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		pctx, cancel := context.WithTimeout(ctx, max(interval, pingTimeout))
		err := ping(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		h.observe(err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// watchedStore is a store whose commits tell health their outcome.
type watchedStore struct {
	store.Store
	health *storeHealth
}

func (w watchedStore) Commit(ctx context.Context, units []store.Unit) ([]store.Result, error) {
	res, err := w.Store.Commit(ctx, units)
	w.health.observe(err)
	return res, err
}
