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
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/purge"
)

// DefaultPurgeBatch is how many entities one purging transaction looks
// at, so that a scan waiting behind it never waits long.
const DefaultPurgeBatch = 500

// Purged says what PurgePersonal removed (or, dry, would remove).
type Purged struct {
	// Entities whose personal data went, by kind; Values the personal
	// members removed from their events and state; Photos the exception and
	// incident photos deleted.
	Entities map[string]int
	Values   int
	Photos   int
	// Txs and LongestTx: the write transactions it took.
	Txs       int
	LongestTx time.Duration
}

// PurgePersonal makes the personal data of finished business unreadable:
// for every entity that is not pending (lifecycle.Kind.Pending: a parcel
// picked up, delivered or returned, a case closed) whose newest event is
// stamped before cutoff, it removes the personal members (syncproto/purge)
// from every copy of its events (wf_events/, and events/ and down/ where
// the log still holds them) and from its state and compaction base, and
// deletes the photos of its exceptions and incident reports that no kept
// one shows. Counts, times, states, categories, masked forms and the
// customer id hash stay, so the counter's lists and head office's
// measures do not change.
//
// An entity with an event the hub has not acknowledged waits for a later
// run: the outbox is sent as it was recorded.
//
// It works in transactions of at most batch entities (DefaultPurgeBatch
// if 0). dry counts without changing anything.
func PurgePersonal(ctx context.Context, f *datafile.File, cutoff time.Time, batch int, dry bool) (Purged, error) {
	p := Purged{Entities: map[string]int{}}
	limit := cutoff.UnixMilli()
	outlet := f.Outlet()
	// Photos still shown by an exception or incident that stays.
	keep := map[string]bool{}
	var drop []string
	type put struct {
		b    *bolt.Bucket
		k, v []byte
	}
	var puts []put
	values, photos := 0, []string(nil)
	entities := map[string]int{}
	var acked uint64
	var state, open, wfEvents, events, down, bases *bolt.Bucket
	w := batchWalk{batch: batch, dry: dry}
	w.begin = func(tx *bolt.Tx) {
		puts, values, photos = puts[:0], 0, nil
		clear(entities)
		acked = datafile.GetU64(tx.Bucket(datafile.Meta), datafile.KeyAckedSeq)
		state, open = tx.Bucket(bucketState), tx.Bucket(bucketOpen)
		wfEvents, events, down, bases = tx.Bucket(bucketEvents), tx.Bucket(datafile.Events), tx.Bucket(datafile.Down), tx.Bucket(bucketBase)
	}
	w.visit = func(tx *bolt.Tx, k, v []byte) error {
		kind, id, _ := bytes.Cut(k, []byte{0})
		if open.Get(k) != nil {
			photosOf(string(kind), v, func(sha string) { keep[sha] = true })
			return nil
		}
		bs, err := getBase(tx, string(kind), string(id))
		if err != nil {
			return err
		}
		evs, _, eligible, err := oldHistory(wfEvents, string(kind), string(id), outlet, acked, limit)
		if err != nil {
			return err
		}
		if !eligible || (bs != nil && bs.Through.WallMillis() >= limit) {
			photosOf(string(kind), v, func(sha string) { keep[sha] = true })
			return nil
		}
		removed := 0
		for _, e := range evs {
			scrubbed, m := purge.Scrub(e.v)
			if m == 0 {
				continue
			}
			removed += m
			puts = append(puts, put{wfEvents, e.k, scrubbed})
			var who struct {
				Origin string `json:"origin"`
				Seq    uint64 `json:"seq"`
			}
			_ = json.Unmarshal(e.v, &who)
			// The log's own copy, while it holds one.
			var log *bolt.Bucket
			switch who.Origin {
			case outlet:
				log = events
			case syncproto.HubOrigin:
				log = down
			}
			if log == nil {
				continue
			}
			lk := datafile.U64Key(who.Seq)
			if raw := log.Get(lk); raw != nil {
				if s, m := purge.Scrub(raw); m > 0 {
					puts = append(puts, put{log, lk, s})
				}
			}
		}
		if s, m := purge.Scrub(v); m > 0 {
			removed += m
			puts = append(puts, put{state, bytes.Clone(k), s})
		}
		if bs != nil && bs.State != nil {
			if s, m := purge.Scrub(bs.State); m > 0 {
				removed += m
				bs.State = s
				raw, err := json.Marshal(bs)
				if err != nil {
					return err
				}
				puts = append(puts, put{bases, bytes.Clone(k), raw})
			}
		}
		photosOf(string(kind), v, func(sha string) { photos = append(photos, sha) })
		if removed > 0 {
			entities[string(kind)]++
			values += removed
		}
		return nil
	}
	// Writes wait for the end of the walk over state: bbolt's cursor
	// must not see its bucket change under it.
	w.end = func(*bolt.Tx) error {
		for _, p := range puts {
			if err := p.b.Put(p.k, p.v); err != nil {
				return err
			}
		}
		return nil
	}
	w.done = func() bool {
		for k, n := range entities {
			p.Entities[k] += n
		}
		p.Values += values
		drop = append(drop, photos...)
		return values > 0
	}
	var err error
	if p.Txs, p.LongestTx, err = w.run(ctx, f); err != nil {
		return p, fmt.Errorf("purge personal data: %w", err)
	}
	// Photos go last, once every exception that keeps one is known.
	var gone []string
	for _, sha := range drop {
		if !keep[sha] {
			keep[sha] = true // once
			gone = append(gone, sha)
		}
	}
	if len(gone) == 0 {
		return p, nil
	}
	work := func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBlobs)
		p.Photos = 0
		for _, sha := range gone {
			if b.Get([]byte(sha)) == nil {
				continue
			}
			p.Photos++
			if !dry {
				if err := b.Delete([]byte(sha)); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if dry {
		return p, f.View(work)
	}
	return p, f.Update(work)
}

// photosOf calls fn with the hash of every photo of an exception's or an
// incident's state (both keep them as "photos": [{"sha256": …}]).
func photosOf(kind string, state []byte, fn func(sha string)) {
	if kind != lifecycle.KindException && kind != lifecycle.KindIncident {
		return
	}
	var x struct {
		Photos []lifecycle.Photo `json:"photos"`
	}
	if json.Unmarshal(state, &x) == nil {
		for _, ph := range x.Photos {
			fn(ph.SHA256)
		}
	}
}
