package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

var bucketBase = datafile.WorkflowBase

// base is what an entity keeps, in wf_base/, of the events compaction
// took out of wf_events/: the state they folded to, which later events
// fold onto (lifecycle.Kind.Resume).
type base struct {
	// Through is the newest stamp compacted, Events how many events went
	// over every run.
	Through hlc.Timestamp `json:"through"`
	Events  int           `json:"events"`
	// State is the fold of the compacted events. Absent while no event
	// came since: the entity's wf_state/ value is that fold.
	State json.RawMessage `json:"state,omitempty"`
}

func getBase(tx *bolt.Tx, kind, id string) (*base, error) {
	b := tx.Bucket(bucketBase)
	if b == nil {
		return nil, nil
	}
	raw := b.Get(stateKey(kind, id))
	if raw == nil {
		return nil, nil
	}
	var bs base
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil, fmt.Errorf("%s %s: base: %w", kind, id, err)
	}
	return &bs, nil
}

// history is what an outlet holds of one entity's past: its events, and
// the base of those compaction took.
type history struct {
	evs  []syncproto.Event
	base *base
}

func entityHistory(tx *bolt.Tx, kind, id string) (history, error) {
	evs, err := entityEvents(tx, kind, id)
	if err != nil {
		return history{}, err
	}
	b, err := getBase(tx, kind, id)
	return history{evs, b}, err
}

// none: the entity has no past here.
func (h history) none() bool { return len(h.evs) == 0 && h.base == nil }

// fold folds the history, and more after it, into the entity's state.
func (h history) fold(tx *bolt.Tx, t target, more ...syncproto.Event) (any, error) {
	evs := append(append(make([]syncproto.Event, 0, len(h.evs)+len(more)), h.evs...), more...)
	raw := []byte(nil)
	if h.base != nil {
		if raw = h.base.State; raw == nil {
			raw = tx.Bucket(bucketState).Get(stateKey(t.kind.Name, t.id))
		}
	}
	if raw == nil {
		// No base, or (in a salvaged file) a base whose state was lost:
		// the events held are all there is.
		return t.kind.Fold(t.id, evs, held{tx}), nil
	}
	st, err := t.kind.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("%s %s: base state: %w", t.kind.Name, t.id, err)
	}
	return t.kind.Resume(t.id, st, evs, held{tx}), nil
}

// keepBase gives a compacted entity's base its own copy of the state
// before wf_state/ moves past it.
func keepBase(tx *bolt.Tx, kind, id string) error {
	bs, err := getBase(tx, kind, id)
	if err != nil || bs == nil || bs.State != nil {
		return err
	}
	bs.State = bytes.Clone(tx.Bucket(bucketState).Get(stateKey(kind, id)))
	raw, err := json.Marshal(bs)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketBase).Put(stateKey(kind, id), raw)
}

// Compacted says what Compact removed (or, dry, would remove).
type Compacted struct {
	// Entities compacted, by kind, and the events taken out of their
	// history.
	Entities map[string]int
	Events   int
	// Txs and LongestTx: the write transactions it took.
	Txs       int
	LongestTx time.Duration
}

// Compact keeps the counter's per-entity index from growing for years:
// for every entity not pending (wf_open/) whose events here are all
// stamped before cutoff and, where this outlet recorded them, acknowledged
// by the hub, it removes the events from wf_events/ and keeps the state
// they fold to as the entity's base (wf_base/), which later events fold
// onto. The counter's views read the states, so they do not change; the
// events themselves stay at head office. An entity whose state cannot be
// a base (lifecycle.Kind.Based) keeps its events.
//
// It works in transactions of at most batch entities (DefaultPurgeBatch
// if 0). dry counts without changing anything.
func Compact(ctx context.Context, f *datafile.File, cutoff time.Time, batch int, dry bool) (Compacted, error) {
	c := Compacted{Entities: map[string]int{}}
	limit := cutoff.UnixMilli()
	outlet := f.Outlet()
	events := 0
	entities := map[string]int{}
	var acked uint64
	var open, wfEvents, bases *bolt.Bucket
	w := batchWalk{batch: batch, dry: dry}
	w.begin = func(tx *bolt.Tx) {
		events = 0
		clear(entities)
		acked = datafile.GetU64(tx.Bucket(datafile.Meta), datafile.KeyAckedSeq)
		open, wfEvents, bases = tx.Bucket(bucketOpen), tx.Bucket(bucketEvents), tx.Bucket(bucketBase)
	}
	w.visit = func(tx *bolt.Tx, k, v []byte) error {
		if open.Get(k) != nil {
			return nil
		}
		kindName, id, _ := bytes.Cut(k, []byte{0})
		kind, ok := lifecycle.KindByName(string(kindName))
		if !ok {
			return nil
		}
		old, through, ok, err := oldHistory(wfEvents, kind.Name, string(id), outlet, acked, limit)
		if err != nil || !ok || len(old) == 0 {
			return err
		}
		st, err := kind.Decode(v)
		if err != nil {
			return fmt.Errorf("%s %s: %w", kind.Name, id, err)
		}
		if !kind.Based(st) {
			return nil
		}
		entities[kind.Name]++
		events += len(old)
		if dry {
			return nil
		}
		bs, err := getBase(tx, kind.Name, string(id))
		if err != nil {
			return err
		}
		if bs == nil {
			bs = &base{}
		}
		// The state is the fold of everything now: it is the base.
		bs.Through, bs.Events, bs.State = max(bs.Through, through), bs.Events+len(old), nil
		raw, err := json.Marshal(bs)
		if err != nil {
			return err
		}
		// Other buckets than the one walked: safe under its cursor.
		if err := bases.Put(bytes.Clone(k), raw); err != nil {
			return err
		}
		for _, e := range old {
			if err := wfEvents.Delete(e.k); err != nil {
				return err
			}
		}
		return nil
	}
	w.end = func(*bolt.Tx) error { return nil }
	w.done = func() bool {
		for k, n := range entities {
			c.Entities[k] += n
		}
		c.Events += events
		return events > 0
	}
	var err error
	if c.Txs, c.LongestTx, err = w.run(ctx, f); err != nil {
		return c, fmt.Errorf("compact the counter's history: %w", err)
	}
	return c, nil
}

// entry is one of an entity's events in wf_events/, copied out of the
// transaction's pages.
type entry struct{ k, v []byte }

// oldHistory lists an entity's events in wf_events/ and the newest stamp
// among them; ok is false if one is stamped at or after limit (Unix ms)
// or is this outlet's own and not yet acknowledged: the entity's history
// is not all old enough for retention.
func oldHistory(wfEvents *bolt.Bucket, kind, id, outlet string, acked uint64, limit int64) (evs []entry, through hlc.Timestamp, ok bool, err error) {
	prefix := datafile.EntityPrefix(kind, id)
	c := wfEvents.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var e struct {
			Origin string        `json:"origin"`
			Seq    uint64        `json:"seq"`
			HLC    hlc.Timestamp `json:"hlc"`
		}
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, 0, false, fmt.Errorf("%s %s: %w", kind, id, err)
		}
		if e.HLC.WallMillis() >= limit || (e.Origin == outlet && e.Seq > acked) {
			return nil, 0, false, nil
		}
		evs, through = append(evs, entry{bytes.Clone(k), bytes.Clone(v)}), max(through, e.HLC)
	}
	return evs, through, true, nil
}
