package measures

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/hub/store/storegen"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// held is every fact and per-person counter of a store.
type held struct {
	facts   map[string][]store.Facts
	tallies []store.Tally
}

func hold(t *testing.T, st Rollups) *held {
	ctx := context.Background()
	h := &held{facts: map[string][]store.Facts{}}
	for _, kind := range []string{lifecycle.KindComplaint, lifecycle.KindException} {
		fs, err := st.Facts(ctx, kind, store.RollupQuery{From: 0, To: 1 << 62})
		if err != nil {
			t.Fatal(err)
		}
		h.facts[kind] = fs
	}
	ts, err := st.Tallies(ctx, store.RollupQuery{From: 0, To: 1 << 40, PerPerson: true})
	if err != nil {
		t.Fatal(err)
	}
	h.tallies = ts
	return h
}

// straightforward computes q the plain way: every fact and every
// per-person counter the store holds, filtered, grouped and dated here
// one by one. Compute must answer exactly the same.
func straightforward(t *testing.T, s *Service, all *held, q Query, regions map[string]string, now int64) *Result {
	t.Helper()
	loc := s.opt.Store.Location()
	from, err := time.ParseInLocation(time.DateOnly, q.From, loc)
	if err != nil {
		t.Fatal(err)
	}
	to, err := time.ParseInLocation(time.DateOnly, q.To, loc)
	if err != nil {
		t.Fatal(err)
	}
	end := to.AddDate(0, 0, 1)
	period := func(at time.Time) string {
		y, m, d := at.In(loc).Date()
		day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
		switch q.Period {
		case "week":
			for day.Weekday() != time.Monday {
				day = day.AddDate(0, 0, -1)
			}
		case "month":
			day = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
		}
		return day.Format(time.DateOnly)
	}
	keyOf := func(outlet, person string) string {
		switch q.By {
		case "outlet":
			return outlet
		case "region":
			return regions[outlet]
		case "person":
			return person
		}
		return "all"
	}
	wanted := func(outlet string) bool {
		return (q.Outlet == "" || outlet == q.Outlet) && (q.Region == "" || regions[outlet] == q.Region)
	}
	type gk struct{ key, period string }
	groups := map[gk]*acc{}
	total := &acc{tallies: map[string]int64{}}
	in := func(outlet, person string, at time.Time) *acc {
		g := gk{keyOf(outlet, person), period(at)}
		if groups[g] == nil {
			groups[g] = &acc{tallies: map[string]int64{}}
		}
		return groups[g]
	}
	for _, kind := range []string{lifecycle.KindComplaint, lifecycle.KindException} {
		for _, f := range all.facts[kind] {
			at := time.UnixMilli(f.At)
			if at.Before(from) || !at.Before(end) || !wanted(f.Outlet) {
				continue
			}
			a := in(f.Outlet, f.Person, at)
			if kind == lifecycle.KindComplaint {
				a.complaints, total.complaints = append(a.complaints, f), append(total.complaints, f)
			} else {
				a.exceptions, total.exceptions = append(a.exceptions, f), append(total.exceptions, f)
			}
		}
	}
	for _, x := range all.tallies {
		// Noon of the counter's day, in the hub's zone.
		day := time.Unix(x.Day*86400, 0).UTC()
		at := time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, loc)
		if at.Before(from) || !at.Before(end) || !wanted(x.Outlet) {
			continue
		}
		in(x.Outlet, x.Person, at).tallies[x.Name] += x.N
		total.tallies[x.Name] += x.N
	}
	res := &Result{From: q.From, To: q.To, By: q.By, Period: q.Period, Measures: Names(), Rows: []Row{}}
	for g, a := range groups {
		res.Rows = append(res.Rows, Row{Key: g.key, Period: g.period, Values: s.values(a, now)})
	}
	// The order Compute promises: by period, then key.
	for i := range res.Rows {
		for j := i + 1; j < len(res.Rows); j++ {
			a, b := res.Rows[i], res.Rows[j]
			if b.Period < a.Period || (b.Period == a.Period && b.Key < a.Key) {
				res.Rows[i], res.Rows[j] = b, a
			}
		}
	}
	res.Total.Values = s.values(total, now)
	return res
}

// Compute answers what the plain computation answers, on a generated
// network's weeks (open cases, stalled ones, escalations, every exception
// kind, parcels with their dwell), for every grouping and period, for
// ranges at and past the data's edges, filtered by outlet and region, at
// several "now"s (cases not yet replied breach once now passes their
// deadline).
func TestComputeSameAsStraightforward(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{Location: storegen.CST})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	size := storegen.Size{Events: 8000, Cases: 1200, Outlets: 7, Days: 45}
	if _, err := storegen.Build(ctx, st, size, storegen.Options{}); err != nil {
		t.Fatal(err)
	}
	all := hold(t, st)
	ids := storegen.OutletIDs(size)
	regions := map[string]string{}
	for i, id := range ids[1:] { // the first outlet in no region
		regions[id] = []string{"east", "north"}[i%2]
	}
	var now time.Time
	svc := New(Options{Store: st, Clock: clock.Func(func() time.Time { return now }),
		Regions: func(context.Context) (map[string]string, error) { return regions, nil }})

	last := storegen.End.Add(-time.Hour).In(storegen.CST)
	first := last.AddDate(0, 0, -size.Days+1)
	date := func(t time.Time) string { return t.Format(time.DateOnly) }
	ranges := [][2]string{
		{date(first), date(last)},                                     // all of it
		{date(first.AddDate(0, 0, -3)), date(first)},                  // before and on the first day
		{date(last), date(last.AddDate(0, 0, 5))},                     // the last day and after
		{date(last.AddDate(0, 0, -13)), date(last.AddDate(0, 0, -7))}, // a week
		{date(first.AddDate(0, 0, 10)), date(first.AddDate(0, 0, 10))},
		{date(last.AddDate(0, -1, 0)), date(last.AddDate(0, 0, -2))}, // across a month's end
	}
	filters := []Query{{}, {Outlet: ids[2]}, {Region: "east"}, {Outlet: ids[0], Region: "north"}}
	checked, rows := 0, 0
	for _, n := range []time.Time{storegen.End, storegen.End.AddDate(0, 0, 30)} {
		now = n
		for _, r := range ranges {
			for _, by := range Bys {
				for _, period := range Periods {
					for _, f := range filters {
						q := Query{From: r[0], To: r[1], By: by, Period: period, Outlet: f.Outlet, Region: f.Region}
						got, err := svc.Compute(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						want := straightforward(t, svc, all, q, regions, now.UnixMilli())
						g, _ := json.Marshal(got)
						w, _ := json.Marshal(want)
						if string(g) != string(w) {
							t.Fatalf("now %s, %+v:\n got %.600s\nwant %.600s", now, q, g, w)
						}
						checked++
						rows += len(got.Rows)
					}
				}
			}
		}
	}
	// The data must hold what the comparison is about: complaints
	// without a result, some of them past their deadline only at the
	// later now, and more persons than outlets.
	var open, late, persons int
	res, err := svc.Compute(ctx, Query{From: date(first), To: date(last), By: "person", Period: "month"})
	if err != nil {
		t.Fatal(err)
	}
	persons = len(res.Rows)
	for _, f := range all.facts[lifecycle.KindComplaint] {
		if f.ResultAt == 0 && f.Label == "complaint" {
			open++
			if storegen.End.UnixMilli()-f.At <= lifecycle.DefaultSLA.Result.Milliseconds() {
				late++
			}
		}
	}
	if open == 0 || late == 0 || persons <= len(ids) || rows == 0 {
		t.Errorf("generated data too thin: %d complaints without a result, %d of them within the deadline at the first now, %d persons, %d rows compared", open, late, persons, rows)
	}
	t.Logf("%s: %d queries, %d rows, %d complaints without a result (%d within the deadline at the first now)", fmt.Sprint(size), checked, rows, open, late)
}
