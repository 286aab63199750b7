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
	// Down: downlink events applied here removed from down/; Dead: dead
	// letters removed from dead/.
	Down, Dead uint64
	// Txs is how many write transactions it took; LongestTx the longest
	// of them, as this PC's clock measured it.
	Txs       int
	LongestTx time.Duration
}

// Prune removes from the log the events the hub has acknowledged whose
// stamp lies before cutoff: a prefix of the log, since stamps only grow
// with the sequence, so the log stays contiguous and starts after
// pruned_seq. It never removes an event above the acknowledged cursor
// (the outbox), whatever its age. Projections are elsewhere and stay.
//
// It also removes the downlink events applied here (down/) stamped before
// cutoff, up to the downlink cursor, which alone tells a repeat from a new
// event; and the dead letters (dead/) recorded before cutoff: head office
// keeps both.
//
// It works in transactions of at most batch keys (DefaultPruneBatch if
// 0), so appends interleave with it. dry counts without removing.
func (l *Log) Prune(ctx context.Context, cutoff time.Time, batch int, dry bool) (Pruned, error) {
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	var p Pruned
	limit := cutoff.UnixMilli()
	stamped := func(v []byte) (int64, error) {
		var e struct {
			HLC hlc.Timestamp `json:"hlc"`
		}
		err := json.Unmarshal(v, &e)
		return e.HLC.WallMillis(), err
	}
	events := sweep{bucket: datafile.Events, old: func(meta *bolt.Bucket, k, v []byte) (bool, error) {
		if len(k) != 8 {
			return false, nil
		}
		seq := binary.BigEndian.Uint64(k)
		if seq > datafile.GetU64(meta, datafile.KeyAckedSeq) {
			return false, nil
		}
		ms, err := stamped(v)
		if err != nil {
			return false, fmt.Errorf("event %d: %w", seq, err)
		}
		return ms < limit, nil
	}, gone: func(meta *bolt.Bucket, last []byte) error {
		if seq := binary.BigEndian.Uint64(last); seq > datafile.GetU64(meta, datafile.KeyPrunedSeq) {
			return datafile.PutU64(meta, datafile.KeyPrunedSeq, seq)
		}
		return nil
	}, committed: func(first, last []byte, n int) {
		if p.Events == 0 {
			p.First = binary.BigEndian.Uint64(first)
		}
		p.Events += uint64(n)
		p.Last = binary.BigEndian.Uint64(last)
		if !dry {
			l.prunedSeq.Store(p.Last)
		}
	}}
	down := sweep{bucket: datafile.Down, old: func(meta *bolt.Bucket, k, v []byte) (bool, error) {
		if len(k) != 8 || binary.BigEndian.Uint64(k) > datafile.GetU64(meta, datafile.KeyDownCursor) {
			return false, nil
		}
		ms, err := stamped(v)
		if err != nil {
			return false, fmt.Errorf("downlink event %d: %w", binary.BigEndian.Uint64(k), err)
		}
		return ms < limit, nil
	}, committed: func(_, _ []byte, n int) { p.Down += uint64(n) }}
	dead := sweep{bucket: datafile.Dead, old: func(_ *bolt.Bucket, k, v []byte) (bool, error) {
		var d DeadLetter
		if err := json.Unmarshal(v, &d); err != nil {
			return false, fmt.Errorf("dead letter %x: %w", k, err)
		}
		return d.At.Before(cutoff), nil
	}, gone: func(meta *bolt.Bucket, _ []byte) error {
		n := uint64(0)
		_ = meta.Tx().Bucket(datafile.Dead).ForEach(func(_, _ []byte) error { n++; return nil })
		return datafile.PutU64(meta, datafile.KeyDeadCount, n)
	}, committed: func(_, _ []byte, n int) { p.Dead += uint64(n) }}
	for _, s := range []*sweep{&events, &down, &dead} {
		if err := l.sweep(ctx, s, batch, dry, &p); err != nil {
			return p, err
		}
	}
	if !dry && p.Dead > 0 {
		_ = l.file.View(func(tx *bolt.Tx) error {
			l.dead.Store(datafile.GetU64(tx.Bucket(datafile.Meta), datafile.KeyDeadCount))
			return nil
		})
	}
	return p, nil
}

// sweep is one bucket Prune removes a prefix of: the keys from the first
// on for which old holds, up to the first for which it does not.
type sweep struct {
	bucket []byte
	old    func(meta *bolt.Bucket, k, v []byte) (bool, error)
	// gone runs in each transaction after its keys were deleted, with the
	// last of them; committed after it commits (or, dry, after counting).
	gone      func(meta *bolt.Bucket, last []byte) error
	committed func(first, last []byte, n int)
}

func (l *Log) sweep(ctx context.Context, s *sweep, batch int, dry bool, p *Pruned) error {
	var from []byte // dry: where the next batch starts
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var keys [][]byte
		done := false
		work := func(tx *bolt.Tx) error {
			keys, done = keys[:0], false
			meta := tx.Bucket(datafile.Meta)
			c := tx.Bucket(s.bucket).Cursor()
			k, v := c.First()
			if dry && from != nil {
				k, v = c.Seek(from)
			}
			for ; k != nil && len(keys) < batch; k, v = c.Next() {
				old, err := s.old(meta, k, v)
				if err != nil {
					return err
				}
				if !old {
					done = true
					break
				}
				// Keys are only valid inside the transaction.
				keys = append(keys, bytes.Clone(k))
			}
			if k == nil {
				done = true
			}
			if dry || len(keys) == 0 {
				return nil
			}
			b := tx.Bucket(s.bucket)
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			if s.gone != nil {
				return s.gone(meta, keys[len(keys)-1])
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
			return fmt.Errorf("prune %s: %w", s.bucket, err)
		}
		if len(keys) > 0 {
			s.committed(keys[0], keys[len(keys)-1], len(keys))
			from = append(bytes.Clone(keys[len(keys)-1]), 0)
			if !dry {
				p.Txs++
				p.LongestTx = max(p.LongestTx, time.Since(start))
			}
		}
		if done || len(keys) == 0 {
			return nil
		}
	}
}
