package backup

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
)

// BenchmarkTakeWhileScanning measures a backup of a file of
// YZ_BENCH_EVENTS events (default 200,000: a busy counter's quarter)
// while 8 clients append durably, and the appends' latency meanwhile
// against the same clients with no backup.
func BenchmarkTakeWhileScanning(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("YZ_BENCH_EVENTS")); err == nil && v > 0 {
		n = v
	}
	dir := b.TempDir()
	f, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001", NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	l, err := eventlog.Open(f, eventlog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"barcode":"SF1234567890123","action":"inbound","shelf":"3-2-9903","note":"` + fmt.Sprintf("%0100d", 0) + `"}`)
	var wg sync.WaitGroup
	for w := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 64 {
				if _, err := l.Append(context.Background(), eventlog.Draft{Actor: "c01", Type: "parcel.scanned", Subject: fmt.Sprintf("SF%012d", i), Payload: payload}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	l.Close()
	f.Sync()
	f.Close()
	f, err = datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	l, err = eventlog.Open(f, eventlog.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()

	scan := func(stop <-chan struct{}) []time.Duration {
		var mu sync.Mutex
		var lat []time.Duration
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					t0 := time.Now()
					if _, err := l.Append(context.Background(), eventlog.Draft{Actor: "c01", Type: "parcel.scanned", Subject: fmt.Sprintf("X%d-%d", w, i), Payload: payload}); err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					lat = append(lat, time.Since(t0))
					mu.Unlock()
				}
			}()
		}
		<-stop
		wg.Wait()
		return lat
	}
	pct := func(lat []time.Duration, p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		slices.Sort(lat)
		return lat[int(float64(len(lat)-1)*p)]
	}
	out := b.TempDir()
	b.ResetTimer()
	for range b.N {
		// The same clients first without a backup, as long as a backup took
		// last time (or a second), then with one.
		stop := make(chan struct{})
		res := make(chan []time.Duration)
		go func() { res <- scan(stop) }()
		time.Sleep(time.Second)
		close(stop)
		base := <-res
		stop = make(chan struct{})
		go func() { res <- scan(stop) }()
		r, err := Take(out, f.WriteCopy, time.Now())
		close(stop)
		during := <-res
		if err != nil {
			b.Fatal(err)
		}
		os.Remove(r.Path)
		b.ReportMetric(float64(r.Took.Milliseconds()), "backup-ms")
		b.ReportMetric(float64(r.Bytes)/(1<<20), "file-MiB")
		b.ReportMetric(float64(pct(base, 0.99).Microseconds())/1000, "scan-p99-ms-alone")
		b.ReportMetric(float64(pct(during, 0.99).Microseconds())/1000, "scan-p99-ms-during")
		b.ReportMetric(float64(pct(during, 1).Microseconds())/1000, "scan-max-ms-during")
		b.ReportMetric(float64(len(base)), "scans/s-alone")
		b.ReportMetric(float64(len(during))/r.Took.Seconds(), "scans/s-during")
	}
}
