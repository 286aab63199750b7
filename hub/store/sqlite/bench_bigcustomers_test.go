package sqlite

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
)

// BenchmarkCustomersBigStore reads what head office's customer pages read
// on a store of many customers: the class counts (one grouped count over
// the class index) and one customer's profile (its row, outlets, parcels
// and cases). The customers are written straight into the tables, not
// through the commit path (BenchmarkCommitCustomers measures that), each
// with two outlets and three parcels, classes spread over the eight.
// YIZHAN_BENCH_CUSTOMERS sets how many (default 200,000; the figures in
// docs/BENCHMARKS.md are for 10,000,000, a 9.3 GB file). It reports p50 and p95 of each read, and
// each p50 as a ratio to the baseline: one indexed point count
// (customer_outlets of one customer) in the same round.
// Run: YIZHAN_BENCH_CUSTOMERS=10000000 go test -run XXX -bench CustomersBigStore -benchtime 1x -timeout 2h ./hub/store/sqlite
func BenchmarkCustomersBigStore(b *testing.B) {
	n := 200_000
	if v := os.Getenv("YIZHAN_BENCH_CUSTOMERS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			b.Fatalf("YIZHAN_BENCH_CUSTOMERS=%q", v)
		}
	}
	s, _ := openTest(b)
	ctx := context.Background()
	start := time.Now()
	const chunk = 20_000
	id := func(i int) string { return fmt.Sprintf("%032x", uint64(i)*0x9E3779B97F4A7C15) }
	for first := 0; first < n; first += chunk {
		tx, err := s.b.w.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		c, _ := tx.PrepareContext(ctx, `INSERT INTO customers (`+store.CustomerColumns+`) VALUES (?,1,?,?,?,?,0,0,0,0,0,0,0,0,'SH-001','parcel','SF1','v2:x:p','138****0000','v2:x:n','张*',1,'',?,1,?,?)`)
		o, _ := tx.PrepareContext(ctx, `INSERT INTO customer_outlets (customer, outlet, n, last_seen) VALUES (?,?,?,?)`)
		p, _ := tx.PrepareContext(ctx, `INSERT INTO customer_parcels (customer, kind, outlet, waybill, at, fees) VALUES (?,?,?,?,?,?)`)
		for i := first; i < min(first+chunk, n); i++ {
			cid, class := id(i), store.Classes[i%len(store.Classes)]
			if _, err := c.ExecContext(ctx, cid, int64(i), 2, 1, 1200, class, 3, 1200); err != nil {
				b.Fatal(err)
			}
			for k, outlet := range []string{fmt.Sprintf("SH-%03d", i%500), fmt.Sprintf("BJ-%03d", i%300)} {
				if _, err := o.ExecContext(ctx, cid, outlet, 1+k, int64(i)); err != nil {
					b.Fatal(err)
				}
			}
			for k, kind := range []string{store.ParcelReceived, store.ParcelReceived, store.ParcelSent} {
				if _, err := p.ExecContext(ctx, cid, kind, "SH-001", fmt.Sprintf("SF%d-%d", i, k), int64(i+k), int64(k/2*1200)); err != nil {
					b.Fatal(err)
				}
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	// The counts the commits keep, as they would stand.
	if _, err := s.b.w.ExecContext(ctx, `INSERT INTO class_counts (class, n) SELECT class, count(*) FROM customers GROUP BY class`); err != nil {
		b.Fatal(err)
	}
	b.Logf("%d customers written in %v", n, time.Since(start).Round(time.Second))
	pct := func(ds []time.Duration, q float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(q*float64(len(ds)-1))].Nanoseconds()) / 1e6
	}
	b.ResetTimer()
	for range b.N {
		var counts []time.Duration
		for range 21 {
			t0 := time.Now()
			got, err := s.ClassCounts(ctx)
			counts = append(counts, time.Since(t0))
			var total int64
			for _, v := range got {
				total += v
			}
			if err != nil || total != int64(n) {
				b.Fatalf("class counts %v (%v), want %d in all", got, err, n)
			}
		}
		rng := rand.New(rand.NewPCG(1, 2))
		var profiles, base []time.Duration
		for range 1000 {
			cid := id(rng.IntN(n))
			var k int
			t0 := time.Now()
			if err := s.b.r.QueryRowContext(ctx, `SELECT count(*) FROM customer_outlets WHERE customer = ?`, cid).Scan(&k); err != nil || k != 2 {
				b.Fatalf("baseline count %s: %d (%v)", cid, k, err)
			}
			base = append(base, time.Since(t0))
			t0 = time.Now()
			c, err := s.Customer(ctx, cid)
			if err != nil {
				b.Fatal(err)
			}
			os, err1 := s.CustomerOutlets(ctx, cid)
			ps, err2 := s.CustomerParcels(ctx, cid, "", 0, 1<<62, 200)
			_, err3 := s.CustomerCases(ctx, cid)
			profiles = append(profiles, time.Since(t0))
			if err1 != nil || err2 != nil || err3 != nil || c.ID != cid || len(os) != 2 || len(ps) != 3 {
				b.Fatalf("profile %s: %d outlets %d parcels (%v %v %v)", cid, len(os), len(ps), err1, err2, err3)
			}
		}
		b.ReportMetric(pct(counts, 0.5), "counts-p50-ms")
		b.ReportMetric(pct(counts, 0.95), "counts-p95-ms")
		b.ReportMetric(pct(profiles, 0.5), "profile-p50-ms")
		b.ReportMetric(pct(profiles, 0.95), "profile-p95-ms")
		b.ReportMetric(pct(base, 0.5), "base-p50-ms")
		b.ReportMetric(pct(counts, 0.5)/pct(base, 0.5), "counts-ratio")
		b.ReportMetric(pct(profiles, 0.5)/pct(base, 0.5), "profile-ratio")
	}
}
