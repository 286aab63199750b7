package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/agent/staff/tokens"
)

// BenchmarkHTTPScans measures durable scans through the whole local API
// (JSON, HTTP on loopback, validation, group commit) at concurrency 64 and
// compares with calling the ingest path directly in the same run.
func BenchmarkHTTPScans(b *testing.B) {
	const conc, n = 64, 4000
	a, err := Start(context.Background(), Config{DataDir: b.TempDir(), Outlet: "BENCH-1", Secret: "x",
		Broker: "tcp://127.0.0.1:1", HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	// A sorting line's API token, as the gate checks it on every scan.
	token, _, err := tokens.Open(a.File).Add("bench", []string{tokens.ScopeScans})
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	url := "http://" + a.Addr.String() + "/api/v1/scans"
	run := func(op func(i int) error) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for w := 0; w < conc; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
					if err := op(i); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	var httpT, directT time.Duration
	for it := 0; it < b.N; it++ {
		httpT += run(func(i int) error {
			body := fmt.Sprintf(`{"barcode":"H%d-%013d","action":"inbound"}`, it, i)
			req, _ := http.NewRequest("POST", url, bytes.NewBufferString(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return nil
		})
		directT += run(func(i int) error {
			_, err := a.Ingest.Scan(context.Background(), ingest.Scan{Barcode: fmt.Sprintf("D%d-%013d", it, i), Action: "inbound"})
			return err
		})
	}
	ops := float64(b.N * n)
	b.ReportMetric(ops/httpT.Seconds(), "http_scans/s")
	b.ReportMetric(ops/directT.Seconds(), "direct_scans/s")
	b.ReportMetric(directT.Seconds()/httpT.Seconds(), "x_direct")
	b.ReportMetric(0, "ns/op")
}
