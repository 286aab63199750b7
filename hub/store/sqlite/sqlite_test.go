package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// batch builds events first..last of origin; seqs in bad get no actor, so
// syncproto.CheckEvent refuses them.
func batch(origin string, first, last uint64, bad ...uint64) *syncproto.Batch {
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

func commit(t *testing.T, s *Store, bs ...*syncproto.Batch) []store.Result {
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

func countRows(t *testing.T, s *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.r.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCommitContiguity(t *testing.T) {
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
			s, _ := openTest(t)
			for i, st := range tc.steps {
				res := commit(t, s, batch("SH-001", st.first, st.last, st.bad...))
				if res[0].AckedSeq != st.wantAcked {
					t.Fatalf("step %d (%d..%d): acked %d, want %d", i, st.first, st.last, res[0].AckedSeq, st.wantAcked)
				}
				if len(res[0].Rejected) != len(st.bad) {
					t.Fatalf("step %d: rejected %v, want seqs %v", i, res[0].Rejected, st.bad)
				}
			}
			if n := countRows(t, s, `SELECT count(*) FROM events`); n != tc.wantEvents {
				t.Errorf("events = %d, want %d", n, tc.wantEvents)
			}
			if n := countRows(t, s, `SELECT count(*) FROM dead_letters`); n != tc.wantDead {
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

func TestCommitGroupOfBatches(t *testing.T) {
	s, _ := openTest(t)
	// Several outlets and out-of-order batches in one transaction.
	res := commit(t, s, batch("A", 3, 4), batch("B", 1, 2), batch("A", 1, 2), batch("A", 1, 2), batch("B", 5, 5))
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

func TestRejectCountersAndPull(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	_, err := s.Commit(ctx, []store.Unit{
		{Count: map[string]uint64{"reject.malformed": 2}},
		{Batch: batch("A", 1, 2, 1)},
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

func TestReopenKeepsData(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	commit(t, s, batch("A", 1, 5, 3), batch("A", 8, 9))
	h, _ := store.HashSecret("s3cret")
	if err := s.AddOutlet(ctx, "B", h, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AppendDown(ctx, &syncproto.Event{ID: "n1", Origin: "hub", Type: "notice.published", Actor: "ops", V: 1, HLC: 1, Target: "*"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	res, err := s2.Commit(ctx, []store.Unit{{Batch: batch("A", 6, 7)}})
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

func TestOutletSecrets(t *testing.T) {
	s, _ := openTest(t)
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
	commit(t, s, batch("C", 1, 1))
	if _, err := s.SecretHash(ctx, "C"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("traffic-only outlet must not authenticate: %v", err)
	}
	if err := s.AddOutlet(ctx, "C", h1, false); err != nil {
		t.Errorf("give traffic-only outlet a secret: %v", err)
	}
}

func TestDown(t *testing.T) {
	s, _ := openTest(t)
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

func TestSubjectEventsInHLCOrder(t *testing.T) {
	s, _ := openTest(t)
	a := batch("A", 1, 1)
	a.Events[0].HLC, a.Events[0].Subject = 300, "WB1"
	b := batch("B", 1, 2)
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

func TestCaseList(t *testing.T) {
	s, _ := openTest(t)
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

// Every migration must have a case here that checks what it created, and
// migrating a database from the previous version must keep its rows.
func TestMigrations(t *testing.T) {
	checks := map[int]func(t *testing.T, db *sql.DB){
		1: func(t *testing.T, db *sql.DB) {
			for _, tbl := range []string{"outlets", "events", "dead_letters", "pending_ranges", "downlink"} {
				mustHaveTable(t, db, tbl)
			}
		},
		2: func(t *testing.T, db *sql.DB) { mustHaveTable(t, db, "counters") },
		3: func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "cases")
			// The complaint held before the migration is listed by it.
			var state, outlet string
			var open bool
			if err := db.QueryRow(`SELECT state, outlet, open FROM cases WHERE kind = 'complaint' AND id = 'C1'`).Scan(&state, &outlet, &open); err != nil {
				t.Fatalf("complaint held before the migration is not listed: %v", err)
			}
			if state != "received" || outlet != "KEEP" || !open {
				t.Errorf("backfilled row = %s %s %v", state, outlet, open)
			}
		},
		4: func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "serials")
			mustHaveTable(t, db, "serial_once")
			// The manifest held before the migration is listed under its target.
			var state, outlet, label string
			if err := db.QueryRow(`SELECT state, outlet, label FROM cases WHERE kind = 'manifest' AND id = 'M1'`).Scan(&state, &outlet, &label); err != nil {
				t.Fatalf("manifest held before the migration is not listed: %v", err)
			}
			if state != "published" || outlet != "KEEP" || label != "L1" {
				t.Errorf("backfilled row = %s %s %s", state, outlet, label)
			}
		},
		5: func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "held_events")
			mustHaveTable(t, db, "conflicts")
			var visible, held, dead, pending int
			db.QueryRow(`SELECT count(*) FROM events WHERE origin = 'KEEP' AND epoch = 0`).Scan(&visible)
			db.QueryRow(`SELECT count(*) FROM held_events WHERE origin = 'KEEP' AND epoch = 0 AND seq = 50`).Scan(&held)
			db.QueryRow(`SELECT count(*) FROM dead_letters WHERE origin = 'KEEP' AND epoch = 0 AND seq = 40`).Scan(&dead)
			db.QueryRow(`SELECT count(*) FROM pending_ranges WHERE origin = 'KEEP' AND epoch = 0 AND first = 50`).Scan(&pending)
			if visible != 2 || held != 1 || dead != 1 || pending != 1 {
				t.Errorf("after migration: %d visible (want 41, 42), %d held (want 50), %d dead letters, %d pending ranges", visible, held, dead, pending)
			}
			// The exception only a held event created is no longer listed.
			var n int
			db.QueryRow(`SELECT count(*) FROM cases WHERE kind = 'exception' AND id = 'EX1'`).Scan(&n)
			if n != 0 {
				t.Error("an exception known only from an event beyond the contiguous point is still listed")
			}
			var epoch int
			var inc string
			if err := db.QueryRow(`SELECT epoch, incarnation FROM outlets WHERE id = 'KEEP'`).Scan(&epoch, &inc); err != nil || epoch != 0 || inc != "" {
				t.Errorf("outlet epoch %d incarnation %q: %v", epoch, inc, err)
			}
		},
		6: func(t *testing.T, db *sql.DB) {
			// The year-2500 stamp and the wrapped one fold at their cap from
			// now on; the sane one is left alone.
			capped := int64(hlc.Make(1000+hlc.DefaultMaxSkew.Milliseconds(), 65535))
			rows, err := db.Query(`SELECT seq, hlc, order_hlc FROM events WHERE origin = 'KEEP' ORDER BY seq`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			want := map[int64]sql.NullInt64{1: {Int64: capped, Valid: true}, 2: {Int64: capped, Valid: true}, 3: {}}
			for rows.Next() {
				var seq, h int64
				var order sql.NullInt64
				if err := rows.Scan(&seq, &h, &order); err != nil {
					t.Fatal(err)
				}
				if order != want[seq] {
					t.Errorf("event %d (hlc %d): order_hlc %+v, want %+v", seq, h, order, want[seq])
				}
			}
			var skewed, caseHLC int64
			if err := db.QueryRow(`SELECT clock_skewed_events FROM outlets WHERE id = 'KEEP'`).Scan(&skewed); err != nil || skewed != 2 {
				t.Errorf("KEEP flags %d skewed events (%v), want 2", skewed, err)
			}
			if err := db.QueryRow(`SELECT hlc FROM cases WHERE kind = 'complaint' AND id = 'C5'`).Scan(&caseHLC); err != nil || caseHLC != capped {
				t.Errorf("case list row of C5 at hlc %d (%v), want the cap %d", caseHLC, err, capped)
			}
		},
	}
	// seeds put rows in a database at the version before the key, for the
	// migration to carry over or build upon.
	seeds := map[int]string{
		3: `INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, payload, received_at)
			VALUES ('KEEP', 1, 'e1', 100, 'clerk', 'complaint.received', 1, 'C1',
			'{"ticket":"T1","channel":"counter","type":"complaint","category":"delay","severity":"routine","text":"late","at":1000}', 1)`,
		4: `INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, target, payload, received_at)
			VALUES ('hub', 1, 'm1', 100, 'ho', 'manifest.published', 1, 'M1', 'KEEP', '{"waybills":["SF1"],"line":"L1","expected_at":5,"at":1}', 1)`,
		5: `INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
			('KEEP', 41, 'e41', 100, 'clerk', 'parcel.inbound', 1, 'SF1', '{}', 1),
			('KEEP', 42, 'e42', 101, 'clerk', 'parcel.inbound', 1, 'SF1', '{}', 1),
			('KEEP', 50, 'e50', 102, 'clerk', 'exception.reported', 1, 'EX1', '{"waybill":"SF1","kind":"damaged","owner":"c01","at":1}', 1);
			INSERT INTO dead_letters (origin, seq, code, reason, event, at) VALUES ('KEEP', 40, 'invalid_event', 'no actor', '{"id":"e40"}', 1);
			INSERT INTO pending_ranges (origin, first, last) VALUES ('KEEP', 50, 50);
			INSERT INTO cases (kind, id, outlet, state, open, label, since, hlc) VALUES ('exception', 'EX1', 'KEEP', 'reported', 1, 'damaged', 1, 102)`,
		6: fmt.Sprintf(`INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
			('KEEP', 1, 'e1', %d, 'clerk', 'complaint.received', 1, 'C5',
			'{"ticket":"T5","channel":"counter","type":"complaint","category":"delay","severity":"routine","text":"late","at":1000}', 1000),
			('KEEP', 2, 'e2', -5, 'clerk', 'complaint.step', 1, 'C5', '{}', 1000),
			('KEEP', 3, 'e3', 100, 'clerk', 'scan.recorded', 1, 'SF1', '{}', 1000)`,
			int64(hlc.Make(time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 0))),
	}
	for _, m := range migrations {
		check, ok := checks[m.version]
		if !ok {
			t.Errorf("migration %d (%s) has no test case", m.version, m.name)
			continue
		}
		t.Run(fmt.Sprint(m.version), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hub.db")
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// Bring a database to the previous version by hand, with a row.
			for _, prev := range migrations[:m.version-1] {
				if _, err := db.Exec(prev.sql); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", prev.version)); err != nil {
					t.Fatal(err)
				}
			}
			if m.version > 1 {
				if _, err := db.Exec(`INSERT INTO outlets (id, acked_seq, created_at) VALUES ('KEEP', 42, 1)`); err != nil {
					t.Fatal(err)
				}
			}
			if seed, ok := seeds[m.version]; ok {
				if _, err := db.Exec(seed); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			s, err := Open(context.Background(), path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			check(t, s.r)
			var v int
			s.r.QueryRow("PRAGMA user_version").Scan(&v)
			if v != SchemaVersion() {
				t.Errorf("version %d after open, want %d", v, SchemaVersion())
			}
			if m.version > 1 {
				if o, err := s.Outlet(context.Background(), "KEEP"); err != nil || o.AckedSeq != 42 {
					t.Errorf("row lost in migration: %+v %v", o, err)
				}
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	_, path := openTest(t)
	db, _ := sql.Open("sqlite", "file:"+path)
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), path, Options{}); err == nil {
		t.Fatal("opened a database with a newer schema")
	}
}

func mustHaveTable(t *testing.T, db *sql.DB, name string) {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil || n != 1 {
		t.Errorf("table %s missing (%v)", name, err)
	}
}

func TestAppendDownAlloc(t *testing.T) {
	s, _ := openTest(t)
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
}

// A database from before the case list holds one entity of every kind the
// lifecycle table lists; after migrating, every one of them is listed. A
// kind the table starts listing needs a migration that backfills it.
func TestMigrationsBackfillEveryListedKind(t *testing.T) {
	seeds := map[string]struct{ origin, typ, payload string }{
		lifecycle.KindException:  {"KEEP", lifecycle.ExceptionReported, `{"waybill":"SF1","kind":"damaged","at":1000}`},
		lifecycle.KindComplaint:  {"KEEP", lifecycle.ComplaintReceived, `{"ticket":"T1","type":"complaint","text":"late","at":1000}`},
		lifecycle.KindNotice:     {"hub", lifecycle.NoticePublished, `{"title":"t","text":"x","severity":"info","valid_from":1000}`},
		lifecycle.KindTemplate:   {"hub", lifecycle.TemplatePublished, `{"title":"t","text":"x"}`},
		lifecycle.KindManifest:   {"hub", lifecycle.ManifestPublished, `{"waybills":["SF1"],"line":"L1","at":1000}`},
		lifecycle.KindHandover:   {"KEEP", lifecycle.HandoverOpened, `{"courier":"k07","at":1000}`},
		lifecycle.KindTariff:     {"hub", lifecycle.TariffPublished, `{"version":"v1"}`},
		lifecycle.KindProhibited: {"hub", lifecycle.ProhibitedPublished, `{"version":"p1","items":[]}`},
	}
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:2] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("PRAGMA user_version = 2"); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, k := range lifecycle.Kinds() {
		if k.Row == nil {
			continue
		}
		listed = append(listed, k.Name)
		s, ok := seeds[k.Name]
		if !ok {
			t.Errorf("the table lists %s: add a seed here and a migration that backfills it", k.Name)
			continue
		}
		if _, err := db.Exec(`INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, target, payload, received_at)
			VALUES (?, ?, ?, 100, 'a', ?, 1, ?, 'KEEP', ?, 1)`, s.origin, len(listed), "e-"+k.Name, s.typ, "id-"+k.Name, s.payload); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, kind := range listed {
		cs, err := st.Cases(context.Background(), store.CaseQuery{Kind: kind})
		if err != nil || len(cs) != 1 || cs[0].ID != "id-"+kind {
			t.Errorf("%s held before the case list is not listed after migrating: %+v %v", kind, cs, err)
		}
	}
	if len(listed) != len(seeds) {
		t.Errorf("the table lists %v; seeds for %d kinds", listed, len(seeds))
	}
}

// TestSkewedStampsKeptFlaggedAndCapped: an outlet stamp beyond the skew bound
// at its arrival is stored as sent, folds at its cap and flags the outlet;
// a stamp no clock reads is dead-lettered; nothing is stored negative.
func TestSkewedStampsKeptFlaggedAndCapped(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), Options{Clock: clock.NewManual(now)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	y2500 := hlc.Make(time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 0)
	b := batch("SH-A", 1, 3)
	b.Events[0].HLC, b.Events[0].Subject = y2500, "N1"
	b.Events[1].HLC, b.Events[1].Subject = ^hlc.Timestamp(0), "N1"
	b.Events[2].HLC, b.Events[2].Subject = hlc.Make(now.UnixMilli()-5, 0), "N1"
	res := commit(t, s, b)
	if res[0].AckedSeq != 3 || len(res[0].Rejected) != 1 || res[0].Rejected[0].Seq != 2 || res[0].Rejected[0].Code != syncproto.CodeInvalidEvent {
		t.Fatalf("result %+v: want seq 2 refused as invalid_event", res[0])
	}
	if n := countRows(t, s, `SELECT count(*) FROM events WHERE hlc < 0`); n != 0 {
		t.Fatalf("%d events stored with a negative stamp", n)
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
	held := batch("SH-A", 5, 5)
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
	if n := countRows(t, s, `SELECT count(*) FROM events WHERE hlc < 0`); n != 0 {
		t.Fatalf("%d events stored with a negative stamp", n)
	}
}
