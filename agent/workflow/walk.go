package workflow

import (
	"bytes"
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
)

// batchWalk is one pass of retention's work over every entity's state
// (wf_state/), in transactions of at most batch entities (DefaultPurgeBatch
// if 0), read-only when dry, so that a scan waiting behind one never waits
// long. Each transaction calls begin, visit for each entity in key order,
// and (unless dry) end; once it committed, done takes in what it found and
// says whether it changed the file.
type batchWalk struct {
	batch int
	dry   bool
	begin func(tx *bolt.Tx)
	visit func(tx *bolt.Tx, k, v []byte) error
	end   func(tx *bolt.Tx) error
	done  func() (changed bool)
}

// run walks; txs and longest are of the transactions that changed the
// file.
func (w batchWalk) run(ctx context.Context, f *datafile.File) (txs int, longest time.Duration, err error) {
	if w.batch <= 0 {
		w.batch = DefaultPurgeBatch
	}
	var after []byte
	for {
		if err := ctx.Err(); err != nil {
			return txs, longest, err
		}
		var next []byte
		more := false
		work := func(tx *bolt.Tx) error {
			next, more = nil, false
			w.begin(tx)
			c := tx.Bucket(bucketState).Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for n := 0; k != nil; k, v = c.Next() {
				if n == w.batch {
					more = true
					break
				}
				n++
				next = bytes.Clone(k)
				if err := w.visit(tx, k, v); err != nil {
					return err
				}
			}
			if w.dry {
				return nil
			}
			return w.end(tx)
		}
		start := time.Now()
		if w.dry {
			err = f.View(work)
		} else {
			err = f.Update(work)
		}
		if err != nil {
			return txs, longest, err
		}
		if w.done() && !w.dry {
			txs++
			longest = max(longest, time.Since(start))
		}
		if after = next; !more {
			return txs, longest, nil
		}
	}
}
