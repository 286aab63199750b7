package storegen

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// TestBuildMakesExactlyWhatItIsAsked builds a tiny store through the real
// commit path and counts what the store holds: every event visible (none
// held, none dead-lettered), exactly the cases asked for, and the case
// list's open ones as the generator counted them.
func TestBuildMakesExactlyWhatItIsAsked(t *testing.T) {
	ctx := context.Background()
	size := Size{Events: 4000, Cases: 300, Outlets: 7, Days: 40}
	path := filepath.Join(t.TempDir(), "hub.db")
	st, err := sqlite.Open(ctx, path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var reports int
	stats, err := Build(ctx, st, size, Options{BatchEvents: 100, Progress: func(Progress) { reports++ }})
	if err != nil {
		t.Fatal(err)
	}
	if reports == 0 {
		t.Error("no progress reported")
	}
	if stats.Events != size.Events || stats.Complaints+stats.Exceptions != size.Cases || stats.Outlets != size.Outlets {
		t.Errorf("stats %+v for size %+v", stats, size)
	}
	if stats.Complaints == 0 || stats.Exceptions <= stats.Complaints || stats.Parcels == 0 {
		t.Errorf("proportions off: %+v", stats)
	}
	if stats.OpenComplaints+stats.OpenExceptions == 0 {
		t.Errorf("no open cases: %+v", stats)
	}
	outlets, err := st.Outlets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(outlets) != size.Outlets {
		t.Errorf("%d outlets registered, want %d", len(outlets), size.Outlets)
	}
	for _, c := range []struct {
		kind      string
		all, open int
	}{{lifecycle.KindComplaint, stats.Complaints, stats.OpenComplaints}, {lifecycle.KindException, stats.Exceptions, stats.OpenExceptions}} {
		all, err := st.Cases(ctx, store.CaseQuery{Kind: c.kind})
		if err != nil {
			t.Fatal(err)
		}
		open, err := st.Cases(ctx, store.CaseQuery{Kind: c.kind, OpenOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != c.all || len(open) != c.open {
			t.Errorf("%s: store lists %d, %d open; generator made %d, %d open", c.kind, len(all), len(open), c.all, c.open)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for q, want := range map[string]int{
		"SELECT count(*) FROM events":                                              size.Events,
		"SELECT count(*) FROM held_events":                                         0,
		"SELECT count(*) FROM dead_letters":                                        0,
		"SELECT count(*) FROM events WHERE type LIKE 'parcel.%'":                   size.Events - stats.CaseEvents,
		"SELECT count(DISTINCT subject) FROM events WHERE type = 'parcel.inbound'": stats.Parcels,
		"SELECT count(*) FROM cases WHERE kind IN ('complaint', 'exception')":      size.Cases,
	} {
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if n != want {
			t.Errorf("%s: %d, want %d", q, n, want)
		}
	}
}

// TestSameSizeSameEvents: a cache keyed by Size.Key is only right if a size
// always makes the same events.
func TestSameSizeSameEvents(t *testing.T) {
	size := Size{Events: 3000, Cases: 100, Outlets: 3, Days: 20}
	a, err := plan(size)
	if err != nil {
		t.Fatal(err)
	}
	b, err := plan(size)
	if err != nil {
		t.Fatal(err)
	}
	ids := OutletIDs(size)
	for o := range ids {
		ea, sa := a.outletEvents(o, ids[o])
		eb, sb := b.outletEvents(o, ids[o])
		if !reflect.DeepEqual(ea, eb) || sa != sb {
			t.Fatalf("outlet %s: two plans of one size made different events", ids[o])
		}
		if len(ea) == 0 {
			t.Fatalf("outlet %s made no events", ids[o])
		}
	}
}

// TestTooManyCasesRefused: a size whose cases alone need more events than it
// holds is refused, not made with other counts.
func TestTooManyCasesRefused(t *testing.T) {
	if _, err := plan(Size{Events: 100, Cases: 100, Outlets: 2, Days: 10}); err == nil {
		t.Fatal("100 cases in 100 events accepted")
	}
}
