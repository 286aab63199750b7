package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// BenchmarkCompactYear compacts a year of finished parcels (taken in,
// shelved, scanned, picked up: 100,000 parcels, 400,000 history entries)
// while a clerk keeps scanning, and reports the longest compacting
// transaction, the longest a scan waited, and the data file's size
// before and after, each compacted (as the agent's Open does after a
// purge):
//
//	go test -run '^$' -bench CompactYear -benchtime 1x ./agent/workflow/
func BenchmarkCompactYear(b *testing.B) {
	const parcels = 100_000
	for range b.N {
		b.StopTimer()
		dir := b.TempDir()
		clk := clock.NewManual(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		f, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001", NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		seq := uint64(0)
		ev := func(typ, wb string, at int64, p any) (syncproto.Event, []byte) {
			seq++
			raw, _ := json.Marshal(p)
			e := syncproto.Event{ID: syncproto.NewID(), Origin: "SH-001", Seq: seq, HLC: hlc.Make(at, 0), Actor: "c01", Type: typ, V: 1, Subject: wb, Payload: raw}
			r, _ := json.Marshal(e)
			return e, r
		}
		// A year of business folded as the counter folds it, acknowledged.
		for first := 0; first < parcels; first += 5000 {
			err := f.Update(func(tx *bolt.Tx) error {
				for i := first; i < first+5000; i++ {
					wb := fmt.Sprintf("SF%013d", i)
					at := clk.Now().UnixMilli() + int64(i)*300_000
					for _, step := range []struct {
						typ string
						p   any
					}{
						{lifecycle.ParcelInbound, lifecycle.InboundV1{Waybill: wb, HoldDays: 7, PhoneMasked: "138****5678", PhoneSealed: "v2:x:" + wb, At: at}},
						{lifecycle.ParcelShelved, lifecycle.ShelvedV1{Shelf: "3", Layer: "2", Code: fmt.Sprintf("3-2-%04d", i%10000), At: at}},
						{lifecycle.ParcelScanned, lifecycle.ScannedV1{Barcode: wb, Action: "inbound"}},
						{lifecycle.ParcelPickedUp, lifecycle.PickupV1{IDCheck: "code_only", Signer: "recipient", SignatureSHA256: "ab", Staff: "c01", At: at + 60_000}},
					} {
						e, raw := ev(step.typ, wb, at, step.p)
						at++
						if err := Projector().Project(tx, &e, raw); err != nil {
							return err
						}
					}
				}
				meta := tx.Bucket(datafile.Meta)
				_ = datafile.PutU64(meta, datafile.KeyLastSeq, seq)
				return datafile.PutU64(meta, datafile.KeyAckedSeq, seq)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		if _, _, err := datafile.Compact(dir); err != nil {
			b.Fatal(err)
		}
		sizeBefore := fileSize(b, dir)
		clk.Advance(2 * 365 * 24 * time.Hour)
		f, err = datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
		if err != nil {
			b.Fatal(err)
		}
		l, err := eventlog.Open(f, eventlog.Options{Clock: clk, Projectors: []eventlog.Projector{Projector()}})
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
			payload, _ := json.Marshal(lifecycle.ScannedV1{Barcode: "NEW", Action: "inbound"})
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				if _, err := l.Append(context.Background(), eventlog.Draft{Actor: "scanner-1", Type: lifecycle.ParcelScanned, Subject: fmt.Sprintf("NEW%08d", i), Payload: payload}); err != nil {
					b.Error(err)
					return
				}
				worst = max(worst, time.Since(start))
				waits = append(waits, time.Since(start))
				scans++
			}
		}()
		b.StartTimer()
		c, err := Compact(context.Background(), f, clk.Now().Add(-90*24*time.Hour), 0, false)
		b.StopTimer()
		close(stop)
		wg.Wait()
		if err != nil || c.Entities[lifecycle.KindParcel] != parcels || c.Events != 4*parcels {
			b.Fatalf("compacted %+v, %v", c, err)
		}
		l.Close()
		f.Close()
		if _, _, err := datafile.Compact(dir); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(c.LongestTx.Microseconds())/1000, "longest-tx-ms")
		b.ReportMetric(float64(worst.Microseconds())/1000, "longest-scan-wait-ms")
		slices.Sort(waits)
		b.ReportMetric(float64(waits[len(waits)/2].Microseconds())/1000, "median-scan-ms")
		b.ReportMetric(float64(c.Txs), "txs")
		b.ReportMetric(float64(scans), "scans-meanwhile")
		b.ReportMetric(float64(sizeBefore)/(1<<20), "file-MiB-before")
		b.ReportMetric(float64(fileSize(b, dir))/(1<<20), "file-MiB-after")
	}
}

func fileSize(b *testing.B, dir string) int64 {
	st, err := os.Stat(filepath.Join(dir, datafile.FileName))
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}
