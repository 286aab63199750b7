// Package peakgen writes a generated history of inbound parcels into a
// hub store's rollups, for the peak planning tests and benchmarks: each
// outlet with its own level, a weekly pattern, a slow trend, head office's
// seeded calendar (Double 11 and 618 up, Spring Festival down) and noise,
// deterministic for a seed. It writes the rollups directly, as the commit
// path would have counted them, because years of parcels through the
// commit path would cost the tests minutes.
package peakgen

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/yizhan/yizhan/hub/store"
)

// Effects are the generated uplifts of the seeded calendar's events, by
// their Chinese name.
var Effects = map[string]float64{"双11": 2.2, "618": 1.5, "春节": 0.35}

// weekly is the generated share of each weekday (time.Weekday order).
var weekly = [7]float64{0.8, 1.1, 1.05, 1, 1, 1.1, 0.95}

// Day is one generated day of one outlet.
func Day(outlet int, day int64, seed uint64) int {
	r := rand.New(rand.NewPCG(seed, uint64(outlet)<<32|uint64(day)))
	level := 300 + 40*float64(outlet%10)
	trend := 1 + 0.0002*float64(day-20_000)
	v := level * trend * weekly[int(((day%7)+7+4)%7)]
	for _, e := range store.DefaultCalendar() {
		if e.First <= day && day <= e.Last {
			v *= Effects[e.NameZH]
			break
		}
	}
	v *= 1 + 0.08*(r.Float64()*2-1)
	return int(math.Max(0, math.Round(v)))
}

// Tallies are the inbound counters of outlets on days first..last, one
// person each, in the store's key order.
func Tallies(outlets []string, first, last int64, seed uint64) []store.Tally {
	var out []store.Tally
	for d := first; d <= last; d++ {
		for i, o := range outlets {
			out = append(out, store.Tally{Day: d, Outlet: o, Person: o + "/c01", Name: store.TallyInbound, N: int64(Day(i, d, seed))})
		}
	}
	slices.SortFunc(out, func(a, b store.Tally) int {
		if a.Day != b.Day {
			return int(a.Day - b.Day)
		}
		if a.Outlet < b.Outlet {
			return -1
		}
		if a.Outlet > b.Outlet {
			return 1
		}
		return 0
	})
	return out
}

// Beginner is a store backend's write transaction (store.Backend.Begin).
type Beginner interface {
	Begin(ctx context.Context) (store.Tx, error)
}

// Write adds ts to the rollups, a month of days per transaction.
func Write(ctx context.Context, b Beginner, ts []store.Tally) error {
	for chunk := range slices.Chunk(ts, 31*max(1, outletsOf(ts))) {
		tx, err := b.Begin(ctx)
		if err != nil {
			return err
		}
		if err := tx.AddTallies(ctx, chunk); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("write generated rollups: %w", err)
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func outletsOf(ts []store.Tally) int {
	seen := map[string]bool{}
	for _, t := range ts {
		seen[t.Outlet] = true
	}
	return len(seen)
}
