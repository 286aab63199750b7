package ingest_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/agent/workflow"
)

// payload300 is about the size of a stored scan event.
var payload300 = make([]byte, 300)

// runConcurrent runs op n times over conc goroutines and returns the total
// wall time and every op's latency.
func runConcurrent(n, conc int, op func(i int) error) (time.Duration, []time.Duration, error) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				if err := op(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	if e, ok := firstErr.Load().(error); ok {
		return 0, nil, e
	}
	return time.Since(start), lat, nil
}

func p99(lat []time.Duration) time.Duration {
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)*99/100]
}

func rawBolt(b *testing.B, batch bool) func(i int) error {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("e")); return err })
	put := func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte("e"))
		seq, _ := bk.NextSequence()
		var k [8]byte
		binary.BigEndian.PutUint64(k[:], seq)
		return bk.Put(k[:], payload300)
	}
	if batch {
		return func(int) error { return db.Batch(put) }
	}
	return func(int) error { return db.Update(put) }
}

// ingestOp scans through the path the agent runs: the event log with the
// workflow projection, which folds every scan into its parcel.
func ingestOp(b *testing.B) func(i int) error {
	f, err := datafile.Open(b.TempDir(), datafile.Options{Outlet: "BENCH-1"})
	if err != nil {
		b.Fatal(err)
	}
	l, err := eventlog.Open(f, eventlog.Options{Projectors: []eventlog.Projector{workflow.Projector()}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close(); f.Close() })
	sv := &ingest.Service{Events: l}
	return func(i int) error {
		_, err := sv.Scan(context.Background(), ingest.Scan{Barcode: fmt.Sprintf("SF%013d", i), Action: "inbound", Actor: "clerk-01", Scanner: "counter-1"})
		return err
	}
}

// BenchmarkIngest compares durable scans through Service.Scan with raw bbolt
// commits of a 300-byte value on the same disk, in the same run:
// concurrency 1 against one Update per put, concurrency 64 against Batch.
func BenchmarkIngest(b *testing.B) {
	for _, tc := range []struct {
		conc  int
		batch bool
		n     int
	}{{1, false, 500}, {64, true, 5000}} {
		b.Run(fmt.Sprintf("conc=%d", tc.conc), func(b *testing.B) {
			var rawT, ingT time.Duration
			var rawLat, ingLat []time.Duration
			for it := 0; it < b.N; it++ {
				raw := rawBolt(b, tc.batch)
				ing := ingestOp(b)
				// Interleave halves so drift in the disk hits both sides alike.
				for half := 0; half < 2; half++ {
					d, l, err := runConcurrent(tc.n/2, tc.conc, raw)
					if err != nil {
						b.Fatal(err)
					}
					rawT += d
					rawLat = append(rawLat, l...)
					d, l, err = runConcurrent(tc.n/2, tc.conc, func(i int) error { return ing(i + half*tc.n) })
					if err != nil {
						b.Fatal(err)
					}
					ingT += d
					ingLat = append(ingLat, l...)
				}
			}
			ops := float64(b.N * tc.n)
			rawRate, ingRate := ops/rawT.Seconds(), ops/ingT.Seconds()
			b.ReportMetric(ingRate, "scans/s")
			b.ReportMetric(rawRate, "raw/s")
			b.ReportMetric(ingRate/rawRate, "x_raw")
			b.ReportMetric(float64(p99(ingLat).Microseconds()), "p99_us")
			b.ReportMetric(float64(p99(rawLat).Microseconds()), "raw_p99_us")
			b.ReportMetric(float64(p99(ingLat))/float64(p99(rawLat)), "p99_x_raw")
			b.ReportMetric(0, "ns/op")
		})
	}
}
