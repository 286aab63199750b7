package eventlog

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// BenchmarkPruneMillion prunes a log of a million acknowledged events a
// year old while a clerk keeps scanning, and reports the longest pruning
// transaction and the longest a scan waited for its commit:
//
//	go test -run '^$' -bench PruneMillion -benchtime 1x ./agent/eventlog/
func BenchmarkPruneMillion(b *testing.B) {
	const n = 1_000_000
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		clk := clock.NewManual(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		l, err := openLog(dir, Options{Clock: clk})
		if err != nil {
			b.Fatal(err)
		}
		// A year-old log written straight into the file, as a year of
		// scans would have left it, acknowledged.
		payload, _ := json.Marshal(lifecycle.ScannedV1{Barcode: "SF1234567890123", Action: "inbound"})
		for first := uint64(1); first <= n; first += 50_000 {
			err := l.file.Update(func(tx *bolt.Tx) error {
				ev := tx.Bucket(datafile.Events)
				for s := first; s < first+50_000 && s <= n; s++ {
					raw, _ := json.Marshal(syncproto.Event{ID: syncproto.NewID(), Origin: "SH-001", Seq: s, HLC: hlc.Make(clk.Now().UnixMilli()+int64(s), 0),
						Actor: "scanner-1", Type: lifecycle.ParcelScanned, V: 1, Subject: fmt.Sprintf("SF%013d", s), Payload: payload})
					if err := ev.Put(datafile.U64Key(s), raw); err != nil {
						return err
					}
				}
				meta := tx.Bucket(datafile.Meta)
				_ = datafile.PutU64(meta, datafile.KeyLastSeq, min(first+49_999, n))
				return datafile.PutU64(meta, datafile.KeyAckedSeq, min(first+49_999, n))
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		l.close()
		clk.Advance(365 * 24 * time.Hour)
		l, err = openLog(dir, Options{Clock: clk})
		if err != nil {
			b.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var worst time.Duration
		var waits []time.Duration
		scans := 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				if _, err := l.Append(context.Background(), scanDraft(fmt.Sprintf("NEW%08d", i))); err != nil {
					b.Error(err)
					return
				}
				worst = max(worst, time.Since(start))
				waits = append(waits, time.Since(start))
				scans++
			}
		}()
		b.StartTimer()
		p, err := l.Prune(context.Background(), clk.Now().Add(-90*24*time.Hour), 0, false)
		b.StopTimer()
		close(stop)
		wg.Wait()
		if err != nil || p.Events != n {
			b.Fatalf("pruned %+v, %v", p, err)
		}
		b.ReportMetric(float64(p.LongestTx.Microseconds())/1000, "longest-tx-ms")
		b.ReportMetric(float64(worst.Microseconds())/1000, "longest-scan-wait-ms")
		slices.Sort(waits)
		b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "median-scan-ms")
		b.ReportMetric(float64(p.Txs), "txs")
		b.ReportMetric(float64(scans), "scans-meanwhile")
		l.close()
	}
}
