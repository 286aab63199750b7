package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// listTests are the case list's paging, queue order, filters and counts.
var listTests = []struct {
	name string
	f    func(*testing.T, Backend)
}{
	{"CasePagesWhileRowsAreAdded", testCasePagesWhileRowsAreAdded},
	{"QueueByDeadline", testQueueByDeadline},
	{"OutletCounts", testOutletCounts},
	{"DeadLetterPages", testDeadLetterPages},
}

// complaintAt is a complaint received at ms (its first reply due a day
// later), of type typ, owned by owner, at stamp h.
func complaintAt(origin string, seq uint64, h hlc.Timestamp, id, typ, owner string, ms int64) syncproto.Event {
	return caseEvent(origin, seq, h, "complaint.received", id, fmt.Sprintf(
		`{"ticket":"T-%s","channel":"counter","type":%q,"category":"delay","severity":"routine","text":"late","owner":%q,"at":%d}`, id, typ, owner, ms))
}

// walk reads every page of q, limit rows at a time, calling between each
// page; it fails on a page that does not end where the next begins.
func walk(t *testing.T, s store.Store, q store.CaseQuery, limit int, between func()) []store.Case {
	t.Helper()
	var out []store.Case
	q.Limit = limit
	for range 1000 {
		page, err := s.Cases(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page...)
		if len(page) < limit {
			return out
		}
		pos := page[len(page)-1].Pos()
		q.After = &pos
		between()
	}
	t.Fatal("paging does not end")
	return nil
}

func ids(cs []store.Case) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// Walking the list page by page sees every row that was there exactly once,
// in the list's order, while newer rows are committed between pages.
func testCasePagesWhileRowsAreAdded(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	const n = 23
	var evs []syncproto.Event
	for i := range n {
		// Two rows share every stamp, so ties break by id.
		evs = append(evs, complaintAt("A", uint64(i+1), hlc.Timestamp(1000+i/2), fmt.Sprintf("C%02d", i), "complaint", "li", 5000))
	}
	commit(t, s, &syncproto.Batch{Origin: "A", First: 1, Last: n, Events: evs})
	want := []string{}
	for i := n - 1; i >= 0; i-- {
		want = append(want, fmt.Sprintf("C%02d", i))
	}
	// Newest first: stamps descending, ids ascending within one stamp.
	slices.SortStableFunc(want, func(a, b string) int {
		var ia, ib int
		fmt.Sscanf(a, "C%d", &ia)
		fmt.Sscanf(b, "C%d", &ib)
		if ia/2 != ib/2 {
			return ib/2 - ia/2
		}
		return ia - ib
	})
	seq := uint64(n)
	added := func() {
		seq++
		commit(t, s, &syncproto.Batch{Origin: "A", First: seq, Last: seq, Events: []syncproto.Event{
			complaintAt("A", seq, hlc.Timestamp(5000+seq), fmt.Sprintf("N%02d", seq), "complaint", "li", 5000)}})
	}
	for _, limit := range []int{1, 5, 23, 50} {
		got := ids(walk(t, s, store.CaseQuery{Kind: "complaint", Labels: []string{"complaint"}, Outlet: "A"}, limit, added))
		got = slices.DeleteFunc(got, func(id string) bool { return id[0] == 'N' }) // newer than the first page: before it
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("limit %d: pages give %v, want %v", limit, got, want)
		}
	}
	if got, err := s.CountCases(context.Background(), store.CaseQuery{Kind: "complaint", Limit: 1}); err != nil || got != int64(seq) {
		t.Errorf("CountCases = %d, %v; want %d (a count ignores the limit)", got, err, seq)
	}
}

// The queue by deadline lists the soonest first and the rows without one
// last, pages through both, and filters by owner, state, outlet and by
// deadline passed; its counts match its lists.
func testQueueByDeadline(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	day := (24 * time.Hour).Milliseconds()
	commit(t, s, &syncproto.Batch{Origin: "A", First: 1, Last: 6, Events: []syncproto.Event{
		complaintAt("A", 1, 101, "Q1", "complaint", "li", 3000), // first reply due 3000+day
		complaintAt("A", 2, 102, "Q2", "complaint", "wu", 1000),
		complaintAt("A", 3, 103, "Q3", "praise", "li", 2000),
		// Praise acknowledged: no deadline left, still open.
		caseEvent("A", 4, 104, "complaint.step", "Q3", `{"step":"acknowledge","at":2500}`),
		complaintAt("A", 5, 105, "Q4", "complaint", "li", 2000),
		// Q4 answered: its result is due seven days after it came in.
		caseEvent("A", 6, 106, "complaint.step", "Q4", `{"step":"acknowledge","at":2600}`),
	}})
	commit(t, s, &syncproto.Batch{Origin: "B", First: 1, Last: 1, Events: []syncproto.Event{
		complaintAt("B", 1, 107, "Q5", "complaint", "li", 1500),
	}})
	rows, err := s.Cases(ctx, store.CaseQuery{Kind: "complaint", Sort: store.SortDue})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ids(rows)); got != "[Q2 Q5 Q1 Q4 Q3]" {
		t.Fatalf("by deadline: %s, want [Q2 Q5 Q1 Q4 Q3]", got)
	}
	dues := map[string]int64{"Q1": 3000 + day, "Q2": 1000 + day, "Q3": 0, "Q4": 2000 + 7*day, "Q5": 1500 + day}
	for _, c := range rows {
		if c.Due != dues[c.ID] || c.Owner == "" {
			t.Errorf("%s due %d owner %q, want due %d", c.ID, c.Due, c.Owner, dues[c.ID])
		}
	}
	for _, limit := range []int{1, 2, 4} {
		if got := fmt.Sprint(ids(walk(t, s, store.CaseQuery{Kind: "complaint", Sort: store.SortDue}, limit, func() {}))); got != "[Q2 Q5 Q1 Q4 Q3]" {
			t.Errorf("by deadline, %d a page: %s", limit, got)
		}
	}
	for _, tc := range []struct {
		name string
		q    store.CaseQuery
		want string
	}{
		{"owner", store.CaseQuery{Owner: "li", Sort: store.SortDue}, "[Q5 Q1 Q4 Q3]"},
		{"state", store.CaseQuery{State: "acknowledged"}, "[Q4 Q3]"},
		{"outlets", store.CaseQuery{Outlets: []string{"B"}}, "[Q5]"},
		{"no outlets", store.CaseQuery{Outlets: []string{}}, "[]"},
		{"overdue a day and a bit in", store.CaseQuery{DueBy: 1600 + day, Sort: store.SortDue}, "[Q2 Q5]"},
		{"due within the next day", store.CaseQuery{DueAfter: 1600 + day, DueBy: 1600 + 2*day, Sort: store.SortDue}, "[Q1]"},
		{"overdue newest first", store.CaseQuery{DueBy: 1600 + day}, "[Q5 Q2]"},
		{"open, label", store.CaseQuery{OpenOnly: true, Labels: []string{"praise"}}, "[Q3]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.q.Kind = "complaint"
			cs, err := s.Cases(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(ids(cs)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			if n, err := s.CountCases(ctx, tc.q); err != nil || n != int64(len(cs)) {
				t.Errorf("CountCases = %d, %v; the list has %d", n, err, len(cs))
			}
		})
	}
	// Closing takes the deadline off the row.
	commit(t, s, &syncproto.Batch{Origin: "A", First: 7, Last: 7, Events: []syncproto.Event{
		caseEvent("A", 7, 108, "complaint.step", "Q3", `{"step":"close","at":2700}`),
	}})
	if cs, _ := s.Cases(ctx, store.CaseQuery{Kind: "complaint", State: "closed"}); len(cs) != 1 || cs[0].Due != 0 || cs[0].Open {
		t.Errorf("closed praise: %+v", cs)
	}
}

// OutletCounts counts outlets, those seen lately, those stale and those
// with dead letters.
func testOutletCounts(t *testing.T, be Backend) {
	clk := clock.NewManual(time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC))
	s := be.Open(t, clk)
	ctx := context.Background()
	h, _ := store.HashSecret("x")
	for _, id := range []string{"A", "B", "C"} {
		if err := s.AddOutlet(ctx, id, h, false); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, s, Batch("A", 1, 2, 2))
	clk.Advance(time.Hour)
	commit(t, s, Batch("B", 1, 1))
	now := clk.Now().UnixMilli()
	c, err := s.OutletCounts(ctx, now-time.Minute.Milliseconds(), now-30*time.Minute.Milliseconds())
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.OutletCounts{Total: 3, Seen: 1, Stale: 2, WithDeadLetters: 1}); c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
}

// An outlet's dead letters page newest first, across epochs, each once.
func testDeadLetterPages(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	commit(t, s, Batch("A", 1, 6, 2, 4, 6))
	commit(t, s, Batch("B", 1, 1, 1))
	if _, err := s.StartIncarnation(ctx, "A", ""); err != nil {
		t.Fatal(err)
	}
	commit(t, s, Batch("A", 1, 1, 1))
	var got []string
	var before *store.DeadLetterPos
	for range 10 {
		page, err := s.DeadLettersBefore(ctx, "A", before, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page {
			got = append(got, fmt.Sprintf("%d/%d", d.Epoch, d.Seq))
		}
		if len(page) < 2 {
			break
		}
		before = &store.DeadLetterPos{Epoch: page[len(page)-1].Epoch, Seq: page[len(page)-1].Seq}
	}
	if fmt.Sprint(got) != "[1/1 0/6 0/4 0/2]" {
		t.Errorf("pages of A's dead letters: %v, want [1/1 0/6 0/4 0/2]", got)
	}
}
