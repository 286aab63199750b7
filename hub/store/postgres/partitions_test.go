package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/storetest"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// at is a one-event batch of origin at seq stamped at t.
func at(origin string, seq uint64, t time.Time) *syncproto.Batch {
	return &syncproto.Batch{Origin: origin, First: seq, Last: seq, Events: []syncproto.Event{{
		ID: fmt.Sprintf("%s-%d", origin, seq), Origin: origin, Seq: seq, HLC: hlc.Make(t.UnixMilli(), 0),
		Actor: "clerk", Type: "parcel.inbound", V: 1, Subject: "WB1", Payload: []byte(`{"n":1}`)}}}
}

func commitOK(t *testing.T, s *Store, bs ...*syncproto.Batch) {
	t.Helper()
	var units []store.Unit
	for _, b := range bs {
		units = append(units, store.Unit{Batch: b})
	}
	res, err := s.Commit(context.Background(), units)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Refused != nil || r.AckedSeq != bs[i].Last {
			t.Fatalf("batch %d: %+v", i, r)
		}
	}
}

// partitionOf names the partition holding origin's event seq.
func partitionOf(t *testing.T, s *Store, origin string, seq uint64) string {
	t.Helper()
	var name string
	if err := s.b.pool.QueryRow(context.Background(), `SELECT tableoid::regclass::text FROM events WHERE origin = $1 AND seq = $2`,
		origin, int64(seq)).Scan(&name); err != nil {
		t.Fatalf("event %s/%d: %v", origin, seq, err)
	}
	return name
}

func monthNames(t *testing.T, s *Store) []string {
	t.Helper()
	ms, err := months(context.Background(), s.b.pool)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.table())
	}
	return out
}

// TestMonthPartitions: Open makes last month to twelve ahead; an event
// lands in its month, or in the default partition outside them; an hour
// later on a clock months ahead the new months exist, and a month made
// where the default partition held rows takes them over.
func TestMonthPartitions(t *testing.T) {
	wall := clock.NewManual(time.Date(2026, 12, 31, 23, 45, 0, 0, time.UTC))
	s := openDSN(t, newDSN(t), wall)
	want := []string{"events_2026_11", "events_2026_12"}
	for m := 1; m <= 12; m++ {
		want = append(want, fmt.Sprintf("events_2027_%02d", m))
	}
	if got := monthNames(t, s); !slices.Equal(got, want) {
		t.Fatalf("months at open: %v\nwant %v", got, want)
	}
	// The first instant of a month belongs to it, the last one before to
	// the month before.
	jan := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	commitOK(t, s, at("A", 1, jan.Add(-time.Millisecond)), at("B", 1, jan))
	y2028 := time.Date(2028, 6, 3, 0, 0, 0, 0, time.UTC)
	commitOK(t, s, at("C", 1, y2028), at("D", 1, time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)))
	for _, c := range []struct {
		origin, want string
	}{{"A", "events_2026_12"}, {"B", "events_2027_01"}, {"C", "events_default"}, {"D", "events_default"}} {
		if got := partitionOf(t, s, c.origin, 1); got != c.want {
			t.Errorf("event of %s in %s, want %s", c.origin, got, c.want)
		}
	}
	// Within the hour nothing is checked again, even past midnight of a
	// new month; after it the new twelfth month exists.
	wall.Advance(30 * time.Minute)
	commitOK(t, s, at("A", 2, jan))
	if got := monthNames(t, s); !slices.Equal(got, want) {
		t.Fatalf("months half an hour later: %v", got)
	}
	wall.Advance(40 * time.Minute)
	commitOK(t, s, at("A", 3, jan))
	if got := monthNames(t, s); !slices.Equal(got, append(slices.Clone(want), "events_2028_01")) {
		t.Fatalf("months an hour later: %v", got)
	}
	// Eighteen months later: months up to 2029-06 exist, and 2028-06 has
	// taken C's event out of the default partition.
	wall.Set(time.Date(2028, 6, 20, 0, 0, 0, 0, time.UTC))
	commitOK(t, s, at("A", 4, wall.Now()))
	got := monthNames(t, s)
	if got[len(got)-1] != "events_2029_06" || !slices.Contains(got, "events_2028_05") || !slices.Contains(got, "events_2028_06") {
		t.Fatalf("months a year and a half later: %v", got)
	}
	if p := partitionOf(t, s, "C", 1); p != "events_2028_06" {
		t.Errorf("C's event is in %s after its month was made, want events_2028_06", p)
	}
	if p := partitionOf(t, s, "D", 1); p != "events_default" {
		t.Errorf("the year-2500 event moved to %s", p)
	}
	// Nothing was lost or doubled on the way, and resends stay replays.
	if n := count(t, s, `SELECT count(*) FROM events`); n != 7 {
		t.Errorf("%d events, want 7", n)
	}
	res, err := s.Commit(context.Background(), []store.Unit{{Batch: at("C", 1, y2028)}})
	if err != nil || !res[0].Replayed {
		t.Errorf("resend of the moved event: %+v %v", res, err)
	}
	if n := count(t, s, `SELECT count(*) FROM events WHERE origin = 'C'`); n != 1 {
		t.Errorf("%d events of C after its resend", n)
	}
}

// TestDropMonthsBefore: retention detaches and drops whole months that end
// by the date given, with their events, and keeps the rest.
func TestDropMonthsBefore(t *testing.T) {
	wall := clock.NewManual(time.Date(2026, 12, 15, 10, 0, 0, 0, time.UTC))
	s := openDSN(t, newDSN(t), wall)
	commitOK(t, s, at("A", 1, time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)), at("B", 1, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)))
	wall.Set(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	commitOK(t, s, at("C", 1, wall.Now()))
	ctx := context.Background()
	// 2027-01-01 keeps January and every month after.
	dropped, err := s.DropMonthsBefore(ctx, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dropped, []string{"events_2026_11", "events_2026_12"}) {
		t.Fatalf("dropped %v", dropped)
	}
	for _, name := range dropped {
		var gone bool
		s.b.pool.QueryRow(ctx, `SELECT to_regclass($1) IS NULL`, name).Scan(&gone)
		if !gone {
			t.Errorf("table %s still exists", name)
		}
	}
	if n := count(t, s, `SELECT count(*) FROM events`); n != 1 {
		t.Errorf("%d events left, want C's", n)
	}
	if got := monthNames(t, s); got[0] != "events_2027_01" {
		t.Errorf("oldest month left %s", got[0])
	}
	// Again: nothing more to drop; a date inside a month keeps it.
	if dropped, err := s.DropMonthsBefore(ctx, time.Date(2027, 1, 20, 0, 0, 0, 0, time.UTC)); err != nil || len(dropped) != 0 {
		t.Errorf("second drop: %v %v", dropped, err)
	}
}

// TestIdempotencyIsAConstraint: the database itself refuses a second row
// with the same (origin, epoch, seq, hlc), whatever the statement.
func TestIdempotencyIsAConstraint(t *testing.T) {
	s := openDSN(t, newDSN(t), nil)
	ctx := context.Background()
	ins := `INSERT INTO events (origin, epoch, seq, id, hlc, actor, type, v, received_at) VALUES ('A', 0, 1, $1, $2, 'c', 't', 1, 0)`
	h := int64(hlc.Make(time.Now().UnixMilli(), 0))
	if _, err := s.b.pool.Exec(ctx, ins, "first", h); err != nil {
		t.Fatal(err)
	}
	_, err := s.b.pool.Exec(ctx, ins, "second", h)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "23505" {
		t.Fatalf("second insert of A/0/1 at the same stamp: %v, want unique_violation", err)
	}
	// In the default partition too (a stamp outside every month).
	far := int64(hlc.Make(time.Date(2600, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 0))
	if _, err := s.b.pool.Exec(ctx, ins, "far", far); err != nil {
		t.Fatal(err)
	}
	if _, err := s.b.pool.Exec(ctx, ins, "far again", far); !errors.As(err, &pe) || pe.Code != "23505" {
		t.Fatalf("second insert in the default partition: %v, want unique_violation", err)
	}
	if n := count(t, s, `SELECT count(*) FROM events WHERE origin = 'A'`); n != 2 {
		t.Errorf("%d rows of A/0/1, want 2 (two stamps)", n)
	}
}

// TestOverlapInOneGroup: a batch that overlaps one before it in the same
// group lies above the acked sequence the outlet's lock read, so the
// fast COPY meets rows already there; the insert falls back, stores each
// event once and tells the new ones apart (each skewed stamp counted once).
func TestOverlapInOneGroup(t *testing.T) {
	s := openDSN(t, newDSN(t), nil)
	y2500 := time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(first, last uint64) *syncproto.Batch {
		b := storetest.Batch("A", first, last)
		for i := range b.Events {
			b.Events[i].HLC = hlc.Make(y2500.UnixMilli(), uint16(b.Events[i].Seq))
		}
		return b
	}
	res, err := s.Commit(context.Background(), []store.Unit{{Batch: mk(1, 4)}, {Batch: mk(3, 7)}})
	if err != nil {
		t.Fatal(err)
	}
	if res[1].AckedSeq != 7 {
		t.Fatalf("acked %d, want 7", res[1].AckedSeq)
	}
	if n := count(t, s, `SELECT count(*) FROM events WHERE origin = 'A'`); n != 7 {
		t.Errorf("%d events of A, want 7", n)
	}
	if o, _ := s.Outlet(context.Background(), "A"); o.ClockSkewedEvents != 7 {
		t.Errorf("%d skewed events counted, want 7", o.ClockSkewedEvents)
	}
}

// TestMonthCheckFailureDoesNotStopCommits: when the hourly check cannot
// make a month (here: another session holds a lock it needs) commits go
// on, the failure is logged, and the month is made a minute later.
func TestMonthCheckFailureDoesNotStopCommits(t *testing.T) {
	var logs bytes.Buffer
	wall := clock.NewManual(time.Date(2026, 12, 31, 23, 45, 0, 0, time.UTC))
	dsn := newDSN(t)
	s, err := Open(context.Background(), dsn, Options{Clock: wall, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.b.monthsLockTimeout = 100 * time.Millisecond
	ctx := context.Background()
	other, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	hold, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hold.Exec(ctx, `LOCK TABLE events_default IN ACCESS SHARE MODE`); err != nil {
		t.Fatal(err)
	}
	wall.Advance(70 * time.Minute)
	commitOK(t, s, at("A", 1, wall.Now()))
	if slices.Contains(monthNames(t, s), "events_2028_01") {
		t.Fatal("the month was made while its lock was held")
	}
	if !strings.Contains(logs.String(), "could not create the coming months' event partitions") {
		t.Errorf("the failed check was not logged: %s", logs.String())
	}
	hold.Rollback(ctx)
	wall.Advance(30 * time.Second)
	commitOK(t, s, at("A", 2, wall.Now()))
	if slices.Contains(monthNames(t, s), "events_2028_01") {
		t.Fatal("checked again within the minute")
	}
	wall.Advance(time.Minute)
	commitOK(t, s, at("A", 3, wall.Now()))
	if !slices.Contains(monthNames(t, s), "events_2028_01") {
		t.Fatalf("the month is still missing a minute later: %v", monthNames(t, s))
	}
}
