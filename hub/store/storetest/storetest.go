// Package storetest is the one test suite every hub store backend must
// pass: the exactly-once commit semantics of package store, the case list,
// the downlink log and serial blocks, through the store.Store interface
// only, plus what several hub processes writing one database at once must
// keep (concurrent commits of one outlet, downlink sequences from two
// writers, locks and leases across stores), and head office's accounts,
// sessions, tokens and audit trail (accounts.go). A backend's own tests call Run
// with how to open it.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Backend says how to open the store under test.
type Backend struct {
	// Open returns a store on a new, empty database whose wall clock is
	// wall (clock.System if nil). The test closes it when it ends.
	Open func(t testing.TB, wall clock.Clock) store.Store
	// Reopen closes s and opens its database again, as a restarted hub.
	Reopen func(t testing.TB, s store.Store) store.Store
	// Another opens a second store on s's database, as another hub
	// process would; nil for a backend that one process owns.
	Another func(t testing.TB, s store.Store) store.Store
	// OpenIn is Open with the hub's time zone loc, whose days the
	// measures count in.
	OpenIn func(t testing.TB, wall clock.Clock, loc *time.Location) store.Store
	// ReopenIn is Reopen in the time zone loc.
	ReopenIn func(t testing.TB, s store.Store, loc *time.Location) store.Store
}

// pair opens a store on a new database and another on the same one, as
// another hub process, or the same store again for a backend one process
// owns.
func (b Backend) pair(t testing.TB) (store.Store, store.Store) {
	s := b.Open(t, nil)
	if b.Another == nil {
		return s, s
	}
	return s, b.Another(t, s)
}

// Run runs the whole suite against b.
func Run(t *testing.T, b Backend) {
	for _, tc := range []struct {
		name string
		f    func(*testing.T, Backend)
	}{
		{"CommitContiguity", testCommitContiguity},
		{"CommitGroupOfBatches", testCommitGroupOfBatches},
		{"RejectCountersAndPull", testRejectCountersAndPull},
		{"ReopenKeepsData", testReopenKeepsData},
		{"OutletSecrets", testOutletSecrets},
		{"Down", testDown},
		{"SubjectEventsInHLCOrder", testSubjectEventsInHLCOrder},
		{"CaseList", testCaseList},
		{"AppendDownAlloc", testAppendDownAlloc},
		{"SkewedStampsKeptFlaggedAndCapped", testSkewedStampsKeptFlaggedAndCapped},
		{"ReplacedDataDirectoryRefusedUntilNewIncarnation", testReplacedDataDirectoryRefusedUntilNewIncarnation},
		{"UpgradedOutletAdoptedWithoutOperator", testUpgradedOutletAdoptedWithoutOperator},
		{"SameSeqOtherContentIsAConflict", testSameSeqOtherContentIsAConflict},
		{"FarAheadRefusedAndHeldInvisible", testFarAheadRefusedAndHeldInvisible},
		{"ConcurrentCommitsOfOneOutlet", testConcurrentCommitsOfOneOutlet},
		{"DownlinkFromTwoWriters", testDownlinkFromTwoWriters},
		{"LockAcrossStores", testLockAcrossStores},
		{"LeaseAcrossStores", testLeaseAcrossStores},
		{"Accounts", testAccounts},
		{"AccountUpdatesAcrossStores", testAccountUpdatesAcrossStores},
		{"SessionsAcrossStores", testSessionsAcrossStores},
		{"Tokens", testTokens},
		{"AuditTrail", testAuditTrail},
		{"Measures", testMeasures},
		{"RollupsRebuiltInAnotherZone", testRollupsRebuiltInAnotherZone},
		{"OutletTalliesSumPersons", testOutletTalliesSumPersons},
		{"OutletPlacesAndFilters", testOutletPlacesAndFilters},
		{"OutletHealthReportedAndClamped", testOutletHealthReportedAndClamped},
		{"ParcelIndex", testParcelIndex},
		{"StreamEvents", testStreamEvents},
		{"Calendar", testCalendar},
		{"PurgePersonal", testPurgePersonal},
		{"Incidents", testIncidents},
		{"Outbox", testOutbox},
		{"OutboxClaimAcrossStores", testOutboxClaimAcrossStores},
		{"NoticeMessages", testNoticeMessages},
		{"NoticeMessagesToEveryOutlet", testNoticeMessagesToEveryOutlet},
		{"NoticeMessagesCapped", testNoticeMessagesCapped},
		{"NoticeMessagesValidFrom", testNoticeMessagesValidFrom},
		{"Tries", testTries},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, b) })
	}
	for _, tc := range customerTests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, b) })
	}
	for _, tc := range surveyTests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, b) })
	}
	for _, tc := range listTests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, b) })
	}
}

func commit(t *testing.T, s store.Store, bs ...*syncproto.Batch) []store.Result {
	t.Helper()
	var units []store.Unit
	for _, b := range bs {
		units = append(units, store.Unit{Batch: b})
	}
	res, err := s.Commit(context.Background(), units)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// visible returns the visible events of origin among the subjects Batch
// gives its events (WB0..WB6) whose id starts with prefix.
func visible(t *testing.T, s store.Store, origin, prefix string) int {
	t.Helper()
	n := 0
	for i := range 7 {
		evs, err := s.SubjectEvents(context.Background(), fmt.Sprintf("WB%d", i))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if (origin == "" || e.Origin == origin) && strings.HasPrefix(e.ID, prefix) {
				n++
			}
		}
	}
	return n
}

// deadLetters counts origin's dead letters.
func deadLetters(t *testing.T, s store.Store, origin string) int {
	t.Helper()
	dl, err := s.DeadLetters(context.Background(), origin, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return len(dl)
}

const (
	incA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	incB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// Batch builds events first..last of origin; seqs in bad get no actor, so
// syncproto.CheckEvent refuses them.
func Batch(origin string, first, last uint64, bad ...uint64) *syncproto.Batch {
	b := &syncproto.Batch{Origin: origin, First: first, Last: last}
	for s := first; s <= last; s++ {
		e := syncproto.Event{
			ID: fmt.Sprintf("%s-%d", origin, s), Origin: origin, Seq: s,
			HLC: hlc.Make(1_700_000_000_000+int64(s), 0), Actor: "clerk", Type: "parcel.inbound", V: 1,
			Subject: fmt.Sprintf("WB%d", s%7), Payload: []byte(`{"n":1}`),
		}
		for _, x := range bad {
			if x == s {
				e.Actor = ""
			}
		}
		b.Events = append(b.Events, e)
	}
	return b
}

func testCommitContiguity(t *testing.T, be Backend) {
	type step struct {
		first, last uint64
		bad         []uint64
		wantAcked   uint64
	}
	for _, tc := range []struct {
		name       string
		steps      []step
		wantEvents int
		wantDead   int
	}{
		{"in order", []step{{1, 3, nil, 3}, {4, 6, nil, 6}}, 6, 0},
		{"same batch twice", []step{{1, 3, nil, 3}, {1, 3, nil, 3}}, 3, 0},
		{"overlapping", []step{{1, 4, nil, 4}, {3, 7, nil, 7}, {2, 5, nil, 7}}, 7, 0},
		{"out of order", []step{{4, 6, nil, 0}, {1, 3, nil, 6}}, 6, 0},
		{"two gaps closing", []step{{7, 9, nil, 0}, {4, 5, nil, 0}, {1, 3, nil, 5}, {6, 6, nil, 9}}, 9, 0},
		{"stale range covered by a resend", []step{{4, 6, nil, 0}, {1, 6, nil, 6}, {7, 8, nil, 8}}, 8, 0},
		{"dead letters advance contiguity", []step{{1, 3, []uint64{2}, 3}, {4, 5, []uint64{4, 5}, 5}}, 2, 3},
		{"dead letter in a held range", []step{{3, 4, []uint64{3}, 0}, {1, 2, nil, 4}}, 3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := be.Open(t, nil)
			for i, st := range tc.steps {
				res := commit(t, s, Batch("SH-001", st.first, st.last, st.bad...))
				if res[0].AckedSeq != st.wantAcked {
					t.Fatalf("step %d (%d..%d): acked %d, want %d", i, st.first, st.last, res[0].AckedSeq, st.wantAcked)
				}
				if len(res[0].Rejected) != len(st.bad) {
					t.Fatalf("step %d: rejected %v, want seqs %v", i, res[0].Rejected, st.bad)
				}
			}
			if n := visible(t, s, "", ""); n != tc.wantEvents {
				t.Errorf("events = %d, want %d", n, tc.wantEvents)
			}
			if n := deadLetters(t, s, "SH-001"); n != tc.wantDead {
				t.Errorf("dead letters = %d, want %d", n, tc.wantDead)
			}
			o, err := s.Outlet(context.Background(), "SH-001")
			if err != nil {
				t.Fatal(err)
			}
			if o.DeadLetters != uint64(tc.wantDead) {
				t.Errorf("outlet dead letters = %d, want %d", o.DeadLetters, tc.wantDead)
			}
		})
	}
}

func testCommitGroupOfBatches(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	// Several outlets and out-of-order batches in one transaction.
	res := commit(t, s, Batch("A", 3, 4), Batch("B", 1, 2), Batch("A", 1, 2), Batch("A", 1, 2), Batch("B", 5, 5))
	want := []uint64{4, 2, 4, 4, 2}
	for i, r := range res {
		if r.AckedSeq != want[i] {
			t.Errorf("unit %d: acked %d, want %d", i, r.AckedSeq, want[i])
		}
	}
	if !res[3].Replayed {
		t.Errorf("second copy of A 1..2 in the same group should count as replayed")
	}
	c, err := s.Counters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c[store.CounterReplayed] != 1 {
		t.Errorf("replayed counter = %d, want 1", c[store.CounterReplayed])
	}
}

func testRejectCountersAndPull(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	_, err := s.Commit(ctx, []store.Unit{
		{Count: map[string]uint64{"reject.malformed": 2}},
		{Batch: Batch("A", 1, 2, 1)},
		{Pull: &syncproto.Pull{Origin: "A", Since: 7}},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := s.Counters(ctx)
	if c["reject.malformed"] != 2 || c["reject.invalid_event"] != 1 {
		t.Errorf("counters = %v", c)
	}
	o, err := s.Outlet(ctx, "A")
	if err != nil {
		t.Fatal(err)
	}
	if o.DownCursor != 7 || o.AckedSeq != 2 || o.LastSeen == nil {
		t.Errorf("outlet = %+v", o)
	}
}

func testReopenKeepsData(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	commit(t, s, Batch("A", 1, 5, 3), Batch("A", 8, 9))
	h, _ := store.HashSecret("s3cret")
	if err := s.AddOutlet(ctx, "B", h, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendDown(ctx, &syncproto.Event{ID: "n1", Origin: "hub", Type: "notice.published", Actor: "ops", V: 1, HLC: 1, Target: "*"}); err != nil {
		t.Fatal(err)
	}
	s2 := be.Reopen(t, s)
	res, err := s2.Commit(ctx, []store.Unit{{Batch: Batch("A", 6, 7)}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].AckedSeq != 9 {
		t.Errorf("after reopen, closing the gap gives acked %d, want 9 (held range lost?)", res[0].AckedSeq)
	}
	got, err := s2.SecretHash(ctx, "B")
	if err != nil || !store.CheckSecret(got, "s3cret") {
		t.Errorf("secret of B after reopen: %v", err)
	}
	evs, through, _, err := s2.Down(ctx, "B", 0, 10, 1<<20)
	if err != nil || len(evs) != 1 || through != 1 {
		t.Errorf("downlink after reopen: %d events through %d, %v", len(evs), through, err)
	}
	dl, _ := s2.DeadLetters(ctx, "A", 10)
	if len(dl) != 1 || dl[0].Seq != 3 || dl[0].Code != syncproto.CodeInvalidEvent {
		t.Errorf("dead letters after reopen: %+v", dl)
	}
}

func testOutletSecrets(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	h1, _ := store.HashSecret("one")
	h2, _ := store.HashSecret("two")
	if err := s.AddOutlet(ctx, "A", h1, false); err != nil {
		t.Fatal(err)
	}
	if err := s.AddOutlet(ctx, "A", h2, false); !errors.Is(err, store.ErrExists) {
		t.Fatalf("second add: %v, want ErrExists", err)
	}
	if err := s.AddOutlet(ctx, "A", h2, true); err != nil {
		t.Fatal(err)
	}
	got, _ := s.SecretHash(ctx, "A")
	if store.CheckSecret(got, "one") || !store.CheckSecret(got, "two") {
		t.Errorf("replace did not rotate the secret")
	}
	if _, err := s.SecretHash(ctx, "nobody"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown outlet: %v", err)
	}
	// An outlet first seen through an external broker has no secret yet and
	// can still be given one without --replace.
	commit(t, s, Batch("C", 1, 1))
	if _, err := s.SecretHash(ctx, "C"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("traffic-only outlet must not authenticate: %v", err)
	}
	if err := s.AddOutlet(ctx, "C", h1, false); err != nil {
		t.Errorf("give traffic-only outlet a secret: %v", err)
	}
}

func testDown(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	for i, target := range []string{"A", "*", "B", "A", "*"} {
		e := &syncproto.Event{ID: fmt.Sprint("n", i), Origin: "hub", Type: "notice.published", Actor: "ops", V: 1, HLC: hlc.Timestamp(i + 1), Target: target}
		if seq, err := s.AppendDown(ctx, e); err != nil || seq != uint64(i+1) {
			t.Fatalf("append %d: seq %d, %v", i, seq, err)
		}
	}
	for _, tc := range []struct {
		name        string
		outlet      string
		since       uint64
		max         int
		wantSeqs    []uint64
		wantThrough uint64
		wantMore    bool
	}{
		{"A all", "A", 0, 10, []uint64{1, 2, 4, 5}, 5, false},
		{"B all", "B", 0, 10, []uint64{2, 3, 5}, 5, false},
		{"C only broadcasts", "C", 0, 10, []uint64{2, 5}, 5, false},
		{"A bounded", "A", 0, 2, []uint64{1, 2}, 2, true},
		{"A from cursor", "A", 2, 10, []uint64{4, 5}, 5, false},
		{"B nothing new past its own", "B", 3, 1, []uint64{5}, 5, false},
		{"up to date", "A", 5, 10, nil, 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			evs, through, more, err := s.Down(ctx, tc.outlet, tc.since, tc.max, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []uint64
			for _, e := range evs {
				seqs = append(seqs, e.Seq)
			}
			if fmt.Sprint(seqs) != fmt.Sprint(tc.wantSeqs) || through != tc.wantThrough || more != tc.wantMore {
				t.Errorf("got %v through %d more %v, want %v through %d more %v", seqs, through, more, tc.wantSeqs, tc.wantThrough, tc.wantMore)
			}
		})
	}
}

func testSubjectEventsInHLCOrder(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	a := Batch("A", 1, 1)
	a.Events[0].HLC, a.Events[0].Subject = 300, "WB1"
	b := Batch("B", 1, 2)
	b.Events[0].HLC, b.Events[0].Subject = 100, "WB1"
	b.Events[1].HLC, b.Events[1].Subject = 200, "WB1"
	commit(t, s, a, b)
	evs, err := s.SubjectEvents(context.Background(), "WB1")
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].HLC != 100 || evs[1].HLC != 200 || evs[2].Origin != "A" || string(evs[2].Payload) != `{"n":1}` {
		t.Errorf("events = %+v", evs)
	}
}

// caseEvent is an exception or complaint event of origin for subject id.
func caseEvent(origin string, seq uint64, h hlc.Timestamp, typ, id, payload string) syncproto.Event {
	return syncproto.Event{ID: fmt.Sprintf("%s-%d", origin, seq), Origin: origin, Seq: seq, HLC: h, Actor: "clerk",
		Type: typ, V: 1, Subject: id, Payload: []byte(payload)}
}

func testCaseList(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	a := &syncproto.Batch{Origin: "A", First: 1, Last: 4, Events: []syncproto.Event{
		caseEvent("A", 1, 100, "exception.reported", "X1", `{"waybill":"WB1","kind":"delayed","owner":"li","at":1000}`),
		caseEvent("A", 2, 200, "complaint.received", "C1", `{"ticket":"T1","channel":"counter","type":"complaint","category":"delay","severity":"routine","text":"late","at":2000}`),
		caseEvent("A", 3, 300, "exception.reported", "X2", `{"waybill":"WB2","kind":"damaged","owner":"li","at":3000}`),
		// A step before its report (not possible from one outlet, but the
		// list must not invent an entity from it).
		caseEvent("A", 4, 400, "exception.step", "X9", `{"step":"start_handling","at":4000}`),
	}}
	b := &syncproto.Batch{Origin: "B", First: 1, Last: 1, Events: []syncproto.Event{
		caseEvent("B", 1, 150, "exception.reported", "X3", `{"waybill":"WB3","kind":"lost","owner":"wu","at":1500}`),
	}}
	commit(t, s, a, b)
	// The outlet takes X2 through to closed in a later batch.
	commit(t, s, &syncproto.Batch{Origin: "A", First: 5, Last: 7, Events: []syncproto.Event{
		caseEvent("A", 5, 500, "exception.step", "X2", `{"step":"start_handling","at":5000}`),
		caseEvent("A", 6, 600, "exception.step", "X2", `{"step":"inform_customer","at":6000}`),
		caseEvent("A", 7, 700, "exception.step", "X2", `{"step":"close","at":7000}`),
	}})
	if _, err := s.AppendDown(ctx, &syncproto.Event{ID: "h1", Origin: "hub", Type: "exception.step", Actor: "ops", V: 1, HLC: 800,
		Target: "A", Subject: "X1", Payload: []byte(`{"step":"assign","owner":"zhao","at":8000}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendDown(ctx, &syncproto.Event{ID: "h2", Origin: "hub", Type: "notice.published", Actor: "ops", V: 1, HLC: 900,
		Target: "*", Subject: "N1", Payload: []byte(`{"title":"t","text":"x","severity":"info","valid_from":9000}`)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		q    store.CaseQuery
		want string
	}{
		{"all exceptions newest first", store.CaseQuery{Kind: "exception"}, "[X2 X3 X1]"},
		{"open exceptions", store.CaseQuery{Kind: "exception", OpenOnly: true}, "[X3 X1]"},
		{"of one outlet", store.CaseQuery{Kind: "exception", Outlet: "A"}, "[X2 X1]"},
		{"delayed or lost, old enough", store.CaseQuery{Kind: "exception", Labels: []string{"delayed", "lost"}, SinceBefore: 1200}, "[X1]"},
		{"limit", store.CaseQuery{Kind: "exception", Limit: 1}, "[X2]"},
		{"since from", store.CaseQuery{Kind: "exception", SinceFrom: 1500}, "[X2 X3]"},
		{"a day", store.CaseQuery{Kind: "exception", SinceFrom: 1000, SinceBefore: 1499}, "[X1]"},
		{"id suffix", store.CaseQuery{Kind: "exception", IDSuffix: "2"}, "[X2]"},
		{"id suffix and outlet", store.CaseQuery{Kind: "exception", Outlet: "B", IDSuffix: "2"}, "[]"},
		{"a wildcard is no suffix", store.CaseQuery{Kind: "exception", IDSuffix: "%"}, "[]"},
		{"an underscore is no suffix", store.CaseQuery{Kind: "exception", IDSuffix: "X_"}, "[]"},
		{"complaints", store.CaseQuery{Kind: "complaint", OpenOnly: true}, "[C1]"},
		{"notices", store.CaseQuery{Kind: "notice"}, "[N1]"},
		{"templates", store.CaseQuery{Kind: "template"}, "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs, err := s.Cases(ctx, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			if got := fmt.Sprint(ids); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	cs, _ := s.Cases(ctx, store.CaseQuery{Kind: "exception", Outlet: "A"})
	if cs[0].State != "closed" || cs[0].Open || cs[1].State != "reported" || cs[1].Label != "delayed" || cs[1].Since != 1000 {
		t.Errorf("rows = %+v", cs)
	}
}

func testAppendDownAlloc(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	var got [][2]uint64
	fill := func(e *syncproto.Event, first, last uint64) error {
		got = append(got, [2]uint64{first, last})
		e.Payload = json.RawMessage(fmt.Sprintf(`{"first":%d,"last":%d}`, first, last))
		return nil
	}
	for _, tc := range []struct {
		name  string
		count uint64
		once  string
		want  error
	}{
		{"first block", 4, "r1", nil},
		{"next block", 3, "", nil},
		{"same request again", 4, "r1", store.ErrExists},
		{"past the end", 4, "r2", store.ErrSerialsExhausted},
		{"the rest", 3, "r2", nil},
		{"nothing left", 1, "", store.ErrSerialsExhausted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &syncproto.Event{ID: tc.name, Origin: syncproto.HubOrigin, HLC: 1, Actor: "ho", Type: "waybill_block.allocated", V: 1, Subject: "A", Target: "A"}
			_, err := s.AppendDownAlloc(ctx, e, store.SerialAlloc{Counter: "c", Count: tc.count, Max: 9, Once: tc.once, Fill: fill})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if fmt.Sprint(got) != "[[0 3] [4 6] [7 9]]" {
		t.Errorf("blocks %v", got)
	}
	evs, _, _, _ := s.Down(ctx, "A", 0, 100, 1<<20)
	if len(evs) != 3 {
		t.Errorf("%d events stored, want 3: a refused allocation stores nothing", len(evs))
	}
	// A claim without serials makes the event happen once per key; it
	// shares the keys' table with the allocations, not their counters.
	for i, want := range []error{nil, store.ErrExists, store.ErrExists} {
		e := &syncproto.Event{ID: fmt.Sprint("claim", i), Origin: syncproto.HubOrigin, HLC: 1, Actor: "ho", Type: "complaint.received", V: 1, Subject: "C1", Target: "A"}
		_, err := s.AppendDownAlloc(ctx, e, store.SerialAlloc{Once: "channel:wechat:m1", Fill: func(e *syncproto.Event, first, last uint64) error {
			if first != 0 || last != 0 {
				t.Errorf("a claim got serials %d..%d", first, last)
			}
			e.Payload = json.RawMessage(`{}`)
			return nil
		}})
		if !errors.Is(err, want) {
			t.Fatalf("claim %d: err = %v, want %v", i, err, want)
		}
	}
	if evs, _ := s.SubjectEvents(ctx, "C1"); len(evs) != 1 {
		t.Errorf("%d events of the claimed subject, want 1", len(evs))
	}
	// A setting of head office's is written whole and read back; a
	// second write replaces it.
	for _, v := range []string{`["delay"]`, `[]`} {
		if err := s.PutSetting(ctx, "channels.autosend", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := s.Setting(ctx, "channels.autosend"); err != nil || !ok || got != v {
			t.Errorf("setting read back %q %v %v, want %q", got, ok, err, v)
		}
	}
	if _, ok, err := s.Setting(ctx, "channels.never"); err != nil || ok {
		t.Errorf("a setting never written reads %v %v", ok, err)
	}
}

// TestSkewedStampsKeptFlaggedAndCapped: an outlet stamp beyond the skew bound
// at its arrival is stored as sent, folds at its cap and flags the outlet;
// a stamp no clock reads is dead-lettered; nothing is stored negative.
func testSkewedStampsKeptFlaggedAndCapped(t *testing.T, be Backend) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s := be.Open(t, clock.NewManual(now))
	y2500 := hlc.Make(time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 0)
	b := Batch("SH-A", 1, 3)
	b.Events[0].HLC, b.Events[0].Subject = y2500, "N1"
	b.Events[1].HLC, b.Events[1].Subject = ^hlc.Timestamp(0), "N1"
	b.Events[2].HLC, b.Events[2].Subject = hlc.Make(now.UnixMilli()-5, 0), "N1"
	res := commit(t, s, b)
	if res[0].AckedSeq != 3 || len(res[0].Rejected) != 1 || res[0].Rejected[0].Seq != 2 || res[0].Rejected[0].Code != syncproto.CodeInvalidEvent {
		t.Fatalf("result %+v: want seq 2 refused as invalid_event", res[0])
	}
	evs, err := s.SubjectEvents(context.Background(), "N1")
	if err != nil || len(evs) != 2 {
		t.Fatalf("N1 events %+v %v", evs, err)
	}
	if evs[0].Seq != 3 || evs[1].Seq != 1 {
		t.Fatalf("fold order %d, %d; want the sane event first", evs[0].Seq, evs[1].Seq)
	}
	if evs[1].HLC != y2500 || evs[1].OrderHLC != hlc.Ceiling(now, hlc.DefaultMaxSkew) || evs[0].OrderHLC != 0 {
		t.Fatalf("year-2500 event hlc %v order %v, sane one order %v", evs[1].HLC, evs[1].OrderHLC, evs[0].OrderHLC)
	}
	o, err := s.Outlet(context.Background(), "SH-A")
	if err != nil || o.ClockSkewedEvents != 1 || o.ClockOffsetMS != y2500.WallMillis()-now.UnixMilli() {
		t.Fatalf("outlet row %+v %v: want one skewed event and the offset of its newest stamp", o, err)
	}
	// A held range sent again (a gap before it) is flagged once.
	held := Batch("SH-A", 5, 5)
	held.Events[0].HLC = y2500
	commit(t, s, held)
	commit(t, s, held)
	if o, _ := s.Outlet(context.Background(), "SH-A"); o.ClockSkewedEvents != 2 {
		t.Fatalf("%d skewed events after a held range came twice, want 2", o.ClockSkewedEvents)
	}
	// A stamp past int64 never reaches the column, whatever path it takes.
	down := syncproto.Event{ID: "d1", Origin: syncproto.HubOrigin, HLC: ^hlc.Timestamp(0), Actor: "ho", Type: "notice.ended", V: 1, Subject: "N1", Target: "*"}
	if _, err := s.AppendDown(context.Background(), &down); err == nil {
		t.Fatal("AppendDown stored a stamp past int64")
	}
	if evs, _ := s.SubjectEvents(context.Background(), "N1"); len(evs) != 2 {
		t.Fatalf("N1 has %d events after the refused append, want 2", len(evs))
	}
}

// of gives b an incarnation and, with tag, event ids of another data
// directory.
func of(b *syncproto.Batch, inc, tag string) *syncproto.Batch {
	b.Incarnation = inc
	if tag != "" {
		for i := range b.Events {
			b.Events[i].ID = fmt.Sprintf("%s-%s-%d", tag, b.Origin, b.Events[i].Seq)
		}
	}
	return b
}

func testReplacedDataDirectoryRefusedUntilNewIncarnation(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	if err := s.AddOutlet(ctx, "A", "h", false); err != nil {
		t.Fatal(err)
	}
	if r := commit(t, s, of(Batch("A", 1, 8), incA, ""))[0]; r.AckedSeq != 8 || r.Refused != nil || r.Incarnation != incA {
		t.Fatalf("first incarnation not adopted: %+v", r)
	}
	// A fresh directory: seq 1..8 again, other events.
	r := commit(t, s, of(Batch("A", 1, 8), incB, "fresh"))[0]
	if r.Refused == nil || r.Refused.Code != syncproto.CodeIncarnation || r.AckedSeq != 0 || r.Incarnation != incB {
		t.Fatalf("fresh directory not refused: %+v", r)
	}
	if r.Refused.Params["held"] != uint64(8) {
		t.Errorf("refusal params %v, want held 8", r.Refused.Params)
	}
	// A pull from it hears the same.
	res, err := s.Commit(ctx, []store.Unit{{Pull: &syncproto.Pull{Origin: "A", Incarnation: incB}}})
	if err != nil || res[0].Refused == nil || res[0].Refused.Code != syncproto.CodeIncarnation {
		t.Fatalf("pull of the refused incarnation: %+v %v", res, err)
	}
	if n := visible(t, s, "A", ""); n != 8 {
		t.Fatalf("hub holds %d events of A, want the first 8", n)
	}
	if c, _ := s.Counters(ctx); c["reject.incarnation"] != 2 {
		t.Errorf("counters %v", c)
	}
	o, err := s.StartIncarnation(ctx, "A", "")
	if err != nil || o.Epoch != 1 || o.AckedSeq != 0 || o.Incarnation != "" {
		t.Fatalf("start incarnation: %+v %v", o, err)
	}
	if _, err := s.StartIncarnation(ctx, "NOPE", ""); err == nil {
		t.Error("new incarnation of an unknown outlet")
	}
	// The old directory, still running, is not adopted: it does not start at 1.
	if r := commit(t, s, of(Batch("A", 9, 10), incA, ""))[0]; r.AckedSeq != 0 || r.Incarnation != incA {
		t.Fatalf("old directory after the new epoch: %+v", r)
	}
	if r := commit(t, s, of(Batch("A", 1, 8), incB, "fresh"))[0]; r.AckedSeq != 8 || r.Refused != nil || r.Incarnation != incB {
		t.Fatalf("new incarnation not taken: %+v", r)
	}
	if r := commit(t, s, of(Batch("A", 1, 8), incA, ""))[0]; r.Refused == nil || r.Refused.Code != syncproto.CodeIncarnation {
		t.Fatalf("old incarnation taken after the new one: %+v", r)
	}
	if n := visible(t, s, "A", ""); n != 16 {
		t.Fatalf("hub holds %d events of A, want 8 of each epoch", n)
	}
	if n := visible(t, s, "A", "fresh-"); n != 8 {
		t.Fatalf("%d of the new directory's events in epoch 1", n)
	}
}

func testUpgradedOutletAdoptedWithoutOperator(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	// An agent from before incarnations synced 1..8 (legacy stream "").
	if r := commit(t, s, Batch("A", 1, 8))[0]; r.AckedSeq != 8 {
		t.Fatal(r)
	}
	// Its migrated file resends 5..10 (an ack it missed) under its new id.
	if r := commit(t, s, of(Batch("A", 5, 10), incA, ""))[0]; r.AckedSeq != 10 || r.Refused != nil || r.Incarnation != incA {
		t.Fatalf("migrated agent not adopted: %+v", r)
	}
	// Another outlet's migrated agent continues exactly at the acked point.
	commit(t, s, Batch("B", 1, 3))
	if r := commit(t, s, of(Batch("B", 4, 4), incA, ""))[0]; r.AckedSeq != 4 || r.Refused != nil {
		t.Fatalf("continuation not adopted: %+v", r)
	}
	// A fresh directory of a legacy outlet is refused, not adopted.
	commit(t, s, Batch("C", 1, 8))
	if r := commit(t, s, of(Batch("C", 1, 8), incB, "fresh"))[0]; r.Refused == nil || r.Refused.Code != syncproto.CodeIncarnation {
		t.Fatalf("fresh directory of a legacy outlet: %+v", r)
	}
	// And a new outlet's first incarnation is adopted at seq 1.
	if r := commit(t, s, of(Batch("D", 1, 2), incB, ""))[0]; r.AckedSeq != 2 || r.Refused != nil {
		t.Fatalf("new outlet: %+v", r)
	}
}

func testSameSeqOtherContentIsAConflict(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	commit(t, s, of(Batch("A", 1, 8), incA, ""))
	for _, tc := range []struct {
		name string
		b    *syncproto.Batch
	}{
		{"other id", of(Batch("A", 3, 4), incA, "forged")},
		{"other payload", func() *syncproto.Batch {
			b := of(Batch("A", 5, 5), incA, "")
			b.Events[0].Payload = []byte(`{"n":2}`)
			return b
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // a resend is refused again, counted once
				r := commit(t, s, tc.b)[0]
				if r.Refused == nil || r.Refused.Code != syncproto.CodeConflict || r.AckedSeq >= tc.b.First {
					t.Fatalf("conflict acked or not refused: %+v", r)
				}
			}
		})
	}
	if c, _ := s.Counters(ctx); c[store.CounterConflict] != 2 {
		t.Errorf("conflict counter %d, want 2", c[store.CounterConflict])
	}
	cs, err := s.Conflicts(ctx, "A", 10)
	if err != nil || len(cs) != 2 {
		t.Fatalf("conflicts %+v %v", cs, err)
	}
	found := false
	for _, x := range cs {
		if x.Seq == 3 && x.HeldID == "A-3" && x.SentID == "forged-A-3" && len(x.Event) > 0 {
			found = true
		}
	}
	if !found {
		t.Errorf("no record of both versions of seq 3: %+v", cs)
	}
	if o, _ := s.Outlet(ctx, "A"); o.Conflicts != 2 || o.AckedSeq != 8 {
		t.Errorf("outlet %+v", o)
	}
	// An honest replay is still a replay.
	if r := commit(t, s, of(Batch("A", 1, 8), incA, ""))[0]; !r.Replayed || r.Refused != nil || r.AckedSeq != 8 {
		t.Errorf("honest replay: %+v", r)
	}
}

func exceptionBatch(origin string, seq uint64, id string) *syncproto.Batch {
	b := Batch(origin, seq, seq)
	b.Events[0].Type, b.Events[0].Subject = lifecycle.ExceptionReported, id
	b.Events[0].Payload = []byte(`{"waybill":"SF9","kind":"damaged","owner":"c01","at":1}`)
	return b
}

func testFarAheadRefusedAndHeldInvisible(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	commit(t, s, of(Batch("A", 1, 8), incA, ""))
	far := of(Batch("A", 1<<40, 1<<40+9), incA, "")
	r := commit(t, s, far)[0]
	if r.Refused == nil || r.Refused.Code != syncproto.CodeBeyondWindow || r.AckedSeq != 8 {
		t.Fatalf("far-future batch: %+v", r)
	}
	if o, _ := s.Outlet(ctx, "A"); o.Held != 0 || o.AckedSeq != 8 {
		t.Fatalf("far-future batch left %d held events (acked %d)", o.Held, o.AckedSeq)
	}
	// Within the window but beyond a gap: held, invisible.
	ex := of(exceptionBatch("A", 12, "EX-HELD"), incA, "")
	if r := commit(t, s, ex)[0]; !r.Held || r.AckedSeq != 8 {
		t.Fatalf("batch beyond a gap: %+v", r)
	}
	if evs, _ := s.SubjectEvents(ctx, "EX-HELD"); len(evs) != 0 {
		t.Fatalf("held event visible: %+v", evs)
	}
	if cs, _ := s.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindException}); len(cs) != 0 {
		t.Fatalf("held exception listed: %+v", cs)
	}
	if o, _ := s.Outlet(ctx, "A"); o.Held != 1 {
		t.Errorf("outlet held %d, want 1", o.Held)
	}
	// The gap closes: visible, listed, and released to the caller.
	r = commit(t, s, of(Batch("A", 9, 11), incA, ""))[0]
	if r.AckedSeq != 12 || len(r.Released) != 1 || r.Released[0].Subject != "EX-HELD" {
		t.Fatalf("gap closed: %+v", r)
	}
	if evs, _ := s.SubjectEvents(ctx, "EX-HELD"); len(evs) != 1 {
		t.Fatalf("released event not visible: %+v", evs)
	}
	if cs, _ := s.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindException}); len(cs) != 1 || cs[0].ID != "EX-HELD" {
		t.Fatalf("released exception not listed: %+v", cs)
	}
	if o, _ := s.Outlet(ctx, "A"); o.Held != 0 {
		t.Errorf("%d held events left", o.Held)
	}
	// An outlet with no incarnation adopted yet is refused just the same.
	if r := commit(t, s, of(Batch("NEW", 1<<40, 1<<40), incB, ""))[0]; r.Refused == nil || r.Refused.Code != syncproto.CodeBeyondWindow {
		t.Fatalf("far-future first batch of a new outlet: %+v", r)
	}
	// A configured window.
	res, err := s.Commit(ctx, []store.Unit{{Batch: of(Batch("A", 20, 21), incA, ""), Window: 5}})
	if err != nil || res[0].Refused == nil || res[0].Refused.Code != syncproto.CodeBeyondWindow {
		t.Fatalf("window 5: %+v %v", res, err)
	}
}

// testConcurrentCommitsOfOneOutlet: two hub processes take resends of the
// same outlets' batches at once, in groups that name the outlets in
// opposite orders. Every event is held once, every ack counts exactly
// what is held, and no two commits wait on each other forever.
func testConcurrentCommitsOfOneOutlet(t *testing.T, be Backend) {
	s1 := be.Open(t, nil)
	s2 := be.Another(t, s1)
	const last, size = 120, 10
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w, s := range []store.Store{s1, s2, s1, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for first := uint64(1); first <= last; first += size {
				units := []store.Unit{{Batch: Batch("A", first, first+size-1)}, {Batch: Batch("B", first, first+size-1)}}
				if w%2 == 1 {
					units[0], units[1] = units[1], units[0]
				}
				res, err := s.Commit(context.Background(), units)
				if err != nil {
					errs <- fmt.Errorf("writer %d, batch %d: %w", w, first, err)
					return
				}
				for _, r := range res {
					// Each writer commits its batches in order, so the ack
					// covers at least this batch, whoever stored it.
					if r.AckedSeq < first+size-1 || r.Refused != nil {
						errs <- fmt.Errorf("writer %d, batch %d: %+v", w, first, r)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, origin := range []string{"A", "B"} {
		o, err := s2.Outlet(context.Background(), origin)
		if err != nil || o.AckedSeq != last || o.Held != 0 {
			t.Fatalf("outlet %s: %+v %v", origin, o, err)
		}
		if n := visible(t, s1, origin, ""); n != last {
			t.Errorf("outlet %s: %d events visible, want %d, each once", origin, n, last)
		}
	}
	c, err := s1.Counters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Four writers sent each batch of two outlets: one stored it, three
	// found it held already.
	if got, want := c[store.CounterReplayed], uint64(3*2*last/size); got != want {
		t.Errorf("replayed batches = %d, want %d", got, want)
	}
}

// testDownlinkFromTwoWriters: two hub processes append downlink events at
// once. The sequences are 1..n with no gap and none twice, and a reader
// never sees a sequence before one below it is committed.
func testDownlinkFromTwoWriters(t *testing.T, be Backend) {
	s1 := be.Open(t, nil)
	s2 := be.Another(t, s1)
	const each = 40
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	stop := make(chan struct{})
	go func() {
		// A puller reads while the appends run: what it gets is always a
		// whole prefix.
		defer close(errs)
		for {
			select {
			case <-stop:
				return
			default:
			}
			evs, through, _, err := s1.Down(ctx, "A", 0, 10*each, 1<<24)
			if err != nil {
				errs <- err
				return
			}
			if uint64(len(evs)) != through {
				errs <- fmt.Errorf("a pull got %d events through %d: a gap was visible", len(evs), through)
				return
			}
			for i, e := range evs {
				if e.Seq != uint64(i+1) {
					errs <- fmt.Errorf("pull event %d has seq %d", i, e.Seq)
					return
				}
			}
		}
	}()
	seqs := make(chan uint64, 2*each)
	for w, s := range []store.Store{s1, s2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				e := &syncproto.Event{ID: fmt.Sprintf("w%d-%d", w, i), Origin: syncproto.HubOrigin, HLC: hlc.Make(1_700_000_000_000, uint16(i)),
					Actor: "ho", Type: lifecycle.NoticePublished, V: 1, Subject: fmt.Sprintf("N-%d-%d", w, i), Target: syncproto.TargetAll,
					Payload: json.RawMessage(`{"title":"t","text":"x","severity":"info","valid_from":1}`)}
				seq, err := s.AppendDown(ctx, e)
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				seqs <- seq
			}
		}()
	}
	wg.Wait()
	close(stop)
	for err := range errs {
		t.Fatal(err)
	}
	close(seqs)
	seen := map[uint64]bool{}
	for q := range seqs {
		if seen[q] {
			t.Fatalf("seq %d handed out twice", q)
		}
		seen[q] = true
	}
	for q := uint64(1); q <= 2*each; q++ {
		if !seen[q] {
			t.Fatalf("seq %d never handed out: %d seqs", q, len(seen))
		}
	}
	evs, through, more, err := s2.Down(ctx, "A", 0, 10*each, 1<<24)
	if err != nil || len(evs) != 2*each || through != 2*each || more {
		t.Fatalf("down: %d events through %d more %v, %v", len(evs), through, more, err)
	}
	if cs, _ := s2.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindNotice}); len(cs) != 2*each {
		t.Errorf("%d notices listed, want %d", len(cs), 2*each)
	}
}

// testStreamEvents: an outlet's own events come back by (origin, epoch,
// seq) range, in order and bounded, with its dead letters as rejections,
// and never another outlet's or another epoch's.
func testStreamEvents(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	for _, id := range []string{"A", "B"} {
		if err := s.AddOutlet(ctx, id, "h", false); err != nil {
			t.Fatal(err)
		}
	}
	if r := commit(t, s, of(Batch("A", 1, 12, 5), incA, ""), of(Batch("B", 1, 12), incB, ""))[0]; r.AckedSeq != 12 || len(r.Rejected) != 1 {
		t.Fatalf("commit: %+v", r)
	}
	evs, rej, err := s.StreamEvents(ctx, "A", 0, 3, 9, 100)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, e := range evs {
		if e.Origin != "A" {
			t.Fatalf("event of %s in A's stream", e.Origin)
		}
		seqs = append(seqs, e.Seq)
	}
	if fmt.Sprint(seqs) != "[3 4 6 7 8 9]" || len(rej) != 1 || rej[0].Seq != 5 || rej[0].Code == "" {
		t.Fatalf("events %v, rejected %+v", seqs, rej)
	}
	want := Batch("A", 3, 3).Events[0]
	if got := evs[0]; got.ID != want.ID || got.HLC != want.HLC || got.Type != want.Type || string(got.Payload) != string(want.Payload) || got.Subject != want.Subject {
		t.Fatalf("event 3 came back as %+v, was %+v", got, want)
	}
	if evs, _, err := s.StreamEvents(ctx, "A", 0, 1, 12, 4); err != nil || len(evs) != 4 || evs[3].Seq != 4 {
		t.Fatalf("limit 4: %d events, %v", len(evs), err)
	}
	if evs, rej, err := s.StreamEvents(ctx, "A", 1, 1, 12, 100); err != nil || len(evs)+len(rej) != 0 {
		t.Fatalf("epoch 1 holds nothing yet: %d, %d, %v", len(evs), len(rej), err)
	}
	if evs, _, err := s.StreamEvents(ctx, "A", 0, 13, 1<<63+5, 100); err != nil || len(evs) != 0 {
		t.Fatalf("past the end: %d, %v", len(evs), err)
	}
}
