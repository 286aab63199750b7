package eventlog

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// DefaultPruneBatch is how many events one pruning transaction removes at
// most, so that a scan waiting behind it never waits long.
const DefaultPruneBatch = 2000

// Pruned says what Prune removed (or, dry, would remove).
type Pruned struct {
	// Events removed, and the sequences they had: First..Last.
	Events      uint64
	First, Last uint64
	// Txs is how many write transactions it took; LongestTx the longest
	// of them, as this PC's clock measured it.
	Txs       int
	LongestTx time.Duration
}

// Prune removes from the log the events the hub has acknowledged whose
// stamp lies before cutoff: a prefix of the log, since stamps only grow
// with the sequence, so the log stays contiguous and starts after
// pruned_seq. It never removes an event above the acknowledged cursor
// (the outbox), whatever its age. Dead letters keep their own copy of the
// event in dead/ and stay; projections are elsewhere and stay.
//
// It works in transactions of at most batch events (DefaultPruneBatch if
// 0), so appends interleave with it. dry counts without removing.
func (l *Log) Prune(ctx context.Context, cutoff time.Time, batch int, dry bool) (Pruned, error) {
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	var p Pruned
	limit := cutoff.UnixMilli()
	from := uint64(0)
	for {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		var keys [][]byte
		var last uint64
		done := false
		work := func(tx *bolt.Tx) error {
			keys, done = keys[:0], false
			meta := tx.Bucket(datafile.Meta)
			acked := datafile.GetU64(meta, datafile.KeyAckedSeq)
			c := tx.Bucket(datafile.Events).Cursor()
			k, v := c.First()
			if dry {
				k, v = c.Seek(datafile.U64Key(from))
			}
		scan:
			for ; k != nil && len(keys) < batch; k, v = c.Next() {
				if len(k) != 8 {
					done = true
					break
				}
				seq := binary.BigEndian.Uint64(k)
				if seq > acked {
					done = true
					break
				}
				var e struct {
					HLC hlc.Timestamp `json:"hlc"`
				}
				if err := json.Unmarshal(v, &e); err != nil {
					return fmt.Errorf("event %d: %w", seq, err)
				}
				if e.HLC.WallMillis() >= limit {
					done = true
					break scan
				}
				// Keys are only valid inside the transaction.
				keys, last = append(keys, bytes.Clone(k)), seq
			}
			if k == nil {
				done = true
			}
			if dry || len(keys) == 0 {
				return nil
			}
			events := tx.Bucket(datafile.Events)
			for _, k := range keys {
				if err := events.Delete(k); err != nil {
					return err
				}
			}
			if last > datafile.GetU64(meta, datafile.KeyPrunedSeq) {
				return datafile.PutU64(meta, datafile.KeyPrunedSeq, last)
			}
			return nil
		}
		start := time.Now()
		var err error
		if dry {
			err = l.file.View(work)
		} else {
			err = l.file.Update(work)
		}
		if err != nil {
			return p, fmt.Errorf("prune the event log: %w", err)
		}
		if len(keys) > 0 {
			if p.Events == 0 {
				p.First = binary.BigEndian.Uint64(keys[0])
			}
			p.Events += uint64(len(keys))
			p.Last, from = last, last+1
			if !dry {
				p.Txs++
				p.LongestTx = max(p.LongestTx, time.Since(start))
				l.prunedSeq.Store(last)
			}
		}
		if done || len(keys) == 0 {
			return p, nil
		}
	}
}
