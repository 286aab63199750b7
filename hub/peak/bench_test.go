package peak_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/peak"
	"github.com/yizhan/yizhan/hub/peak/peakgen"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// benchOutlets is the network the benchmarks generate two years of.
const benchOutlets = 50

// benchStore is a SQLite store with two years of inbound parcels of
// benchOutlets outlets.
func benchStore(b *testing.B) (*sqlite.Store, clock.Clock) {
	b.Helper()
	ctx := context.Background()
	clk := clock.NewManual(now)
	st := emptyStore(b, clk)
	ids := make([]string, benchOutlets)
	for i := range ids {
		ids[i] = fmt.Sprintf("O%03d", i)
		if err := st.AddOutlet(ctx, ids[i], "", false); err != nil {
			b.Fatal(err)
		}
	}
	today := store.DayOf(now.UnixMilli(), time.UTC)
	if err := peakgen.Write(ctx, st, peakgen.Tallies(ids, today-730, today-1, 1)); err != nil {
		b.Fatal(err)
	}
	return st, clk
}

// BenchmarkForecast measures a forecast request: computed (a new day or
// calendar: an empty cache) and cached (every request after the first),
// for one outlet and for all benchOutlets, against the baseline of
// reading the same history from the rollups alone. computes/op counts
// the forecasts and backtests a request computed.
//
//	go test -run '^$' -bench BenchmarkForecast ./hub/peak/
func BenchmarkForecast(b *testing.B) {
	st, clk := benchStore(b)
	ctx := context.Background()
	today := store.DayOf(now.UnixMilli(), time.UTC)
	run := func(name string, cold bool, req func(*peak.Service) error) {
		b.Run(name, func(b *testing.B) {
			svc, err := peak.New(peak.Options{Store: st, Clock: clk, Location: time.UTC})
			if err != nil {
				b.Fatal(err)
			}
			if err := req(svc); err != nil { // fill the cache
				b.Fatal(err)
			}
			before := svc.Computes()
			b.ResetTimer()
			for range b.N {
				if cold {
					svc, _ = peak.New(peak.Options{Store: st, Clock: clk, Location: time.UTC})
					before -= svc.Computes()
				}
				if err := req(svc); err != nil {
					b.Fatal(err)
				}
			}
			if !cold {
				b.ReportMetric(float64(svc.Computes()-before)/float64(b.N), "computes/op")
			}
		})
	}
	b.Run("baseline-history-one", func(b *testing.B) {
		for range b.N {
			if _, err := st.Tallies(ctx, store.RollupQuery{From: today - 730, To: today - 1, Outlet: "O001"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline-history-all", func(b *testing.B) {
		for range b.N {
			if _, err := st.Tallies(ctx, store.RollupQuery{From: today - 730, To: today - 1}); err != nil {
				b.Fatal(err)
			}
		}
	})
	one := func(s *peak.Service) error { _, err := s.Outlet(ctx, "O001"); return err }
	all := func(s *peak.Service) error { _, err := s.Region(ctx, ""); return err }
	run("outlet-computed", true, one)
	run("outlet-cached", false, one)
	run("all-computed", true, all)
	run("all-cached", false, all)
}
