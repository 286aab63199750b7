package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// Scanner is one result row, as database/sql and pgx both hand it over.
type Scanner interface{ Scan(dest ...any) error }

// OutletColumns selects an Outlet from "outlets o" for ScanOutlet: the
// same SQL on every backend, so they count dead letters and conflicts of
// every epoch, and held events of the current one, alike.
const OutletColumns = `o.id, o.acked_seq, o.last_seen, o.down_cursor, o.created_at, o.secret_hash <> '',
	(SELECT count(*) FROM dead_letters d WHERE d.origin = o.id), o.epoch, o.incarnation,
	(SELECT count(*) FROM held_events h WHERE h.origin = o.id AND h.epoch = o.epoch),
	(SELECT count(*) FROM conflicts x WHERE x.origin = o.id), o.clock_offset_ms, o.clock_skewed_events,
	o.region, o.city, o.head, o.oldest_unsynced, o.rejects`

// ScanOutlet reads a row of OutletColumns.
func ScanOutlet(sc Scanner) (Outlet, error) {
	var o Outlet
	var acked, seen, cursor, created, dead, epoch, held, conflicts, skewed, oldest, rejects int64
	var head *int64
	if err := sc.Scan(&o.ID, &acked, &seen, &cursor, &created, &o.HasSecret, &dead, &epoch, &o.Incarnation, &held, &conflicts,
		&o.ClockOffsetMS, &skewed, &o.Region, &o.City, &head, &oldest, &rejects); err != nil {
		return o, err
	}
	o.Rejects = uint64(rejects)
	o.ClockSkewedEvents = uint64(skewed)
	o.AckedSeq, o.DownCursor, o.DeadLetters = uint64(acked), uint64(cursor), uint64(dead)
	o.Epoch, o.Held, o.Conflicts = uint64(epoch), uint64(held), uint64(conflicts)
	if seen > 0 {
		t := time.UnixMilli(seen).UTC()
		o.LastSeen = &t
	}
	o.CreatedAt = time.UnixMilli(created).UTC()
	o.health(head, oldest)
	return o, nil
}

// EventColumns selects an event (of events or held_events) for ScanEvent.
const EventColumns = `origin, seq, id, hlc, actor, type, v, subject, target, payload, order_hlc`

// ScanEvent reads a row of EventColumns; NULL payload and order_hlc are
// none.
func ScanEvent(sc Scanner) (syncproto.Event, error) {
	var e syncproto.Event
	var seq, h, v int64
	var payload *string
	var order *int64
	if err := sc.Scan(&e.Origin, &seq, &e.ID, &h, &e.Actor, &e.Type, &v, &e.Subject, &e.Target, &payload, &order); err != nil {
		return e, err
	}
	if order != nil {
		e.OrderHLC = hlc.Timestamp(*order)
	}
	e.Seq, e.HLC, e.V = uint64(seq), hlc.Timestamp(h), int(v)
	if payload != nil {
		e.Payload = json.RawMessage(*payload)
	}
	return e, nil
}

// ScanRejection reads a dead letter's seq, code and reason.
func ScanRejection(sc Scanner) (syncproto.Rejection, error) {
	var r syncproto.Rejection
	var seq int64
	err := sc.Scan(&seq, &r.Code, &r.Reason)
	r.Seq = uint64(seq)
	return r, err
}

// CaseColumns selects a row of the case list for ScanCase.
const CaseColumns = `kind, id, outlet, state, open, label, since, hlc, owner, due`

// ScanCase reads a row of CaseColumns.
func ScanCase(sc Scanner) (Case, error) {
	var c Case
	var h int64
	err := sc.Scan(&c.Kind, &c.ID, &c.Outlet, &c.State, &c.Open, &c.Label, &c.Since, &h, &c.Owner, &c.Due)
	c.HLC = hlc.Timestamp(h)
	return c, err
}

// Rows is a query's result as database/sql and pgx both give it; the
// caller closes it.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// CollectEventsAfter reads rows of EventColumns followed by the epoch, in
// key order (Tx.EventsAfter), and returns them with the key of the last,
// or after when there is none.
func CollectEventsAfter(rows Rows, after EventKey) ([]syncproto.Event, EventKey, error) {
	var out []syncproto.Event
	for rows.Next() {
		var epoch int64
		e, err := ScanEvent(scanWith{rows, &epoch})
		if err != nil {
			return nil, after, err
		}
		out = append(out, e)
		after = EventKey{Origin: e.Origin, Epoch: uint64(epoch), Seq: e.Seq}
	}
	return out, after, rows.Err()
}

// scanWith scans a row of EventColumns followed by one more column.
type scanWith struct {
	sc   Scanner
	more *int64
}

func (s scanWith) Scan(dest ...any) error { return s.sc.Scan(append(dest, s.more)...) }

// Collect reads every row of rows with scan.
func Collect[T any](rows Rows, scan func(Scanner) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanValue reads a row of one column.
func scanValue[T any](sc Scanner) (T, error) {
	var v T
	return v, sc.Scan(&v)
}

// queryAll runs query through q and reads every row with scan; what says
// what it reads, for the error.
func queryAll[T any](ctx context.Context, q CustomerSQL, scan func(Scanner) (T, error), what, query string, args ...any) ([]T, error) {
	rows, done, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer done()
	vs, err := Collect(rows, scan)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return vs, nil
}

// DeadLetterColumns selects a dead letter for ScanDeadLetter.
const DeadLetterColumns = `origin, epoch, seq, code, reason, event, at`

// ScanDeadLetter reads a row of DeadLetterColumns.
func ScanDeadLetter(sc Scanner) (DeadLetter, error) {
	var d DeadLetter
	var epoch, seq, at int64
	var ev *string
	err := sc.Scan(&d.Origin, &epoch, &seq, &d.Code, &d.Reason, &ev, &at)
	d.Epoch, d.Seq, d.At, d.Event = uint64(epoch), uint64(seq), time.UnixMilli(at).UTC(), bytesOf(ev)
	return d, err
}

// ConflictColumns selects a conflict for ScanConflict.
const ConflictColumns = `origin, epoch, seq, held_id, sent_id, event, at`

// ScanConflict reads a row of ConflictColumns.
func ScanConflict(sc Scanner) (Conflict, error) {
	var x Conflict
	var epoch, seq, at int64
	var ev *string
	err := sc.Scan(&x.Origin, &epoch, &seq, &x.HeldID, &x.SentID, &ev, &at)
	x.Epoch, x.Seq, x.At, x.Event = uint64(epoch), uint64(seq), time.UnixMilli(at).UTC(), bytesOf(ev)
	return x, err
}

// ScanCounters reads rows of (name, n).
func ScanCounters(rows Rows) (map[string]uint64, error) {
	out := map[string]uint64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = uint64(n)
	}
	return out, rows.Err()
}

// bytesOf is a NULL-able text column's bytes, empty for NULL.
func bytesOf(s *string) []byte {
	if s == nil {
		return []byte{}
	}
	return []byte(*s)
}

// CaseSelect is the one SELECT of the case list for q on every backend:
// the query after "SELECT CaseColumns FROM cases", its WHERE, ORDER BY and
// LIMIT, with arg returning the placeholder of each value it binds ("?" or
// "$n"). count drops the order and limit, for CountCases.
func CaseSelect(q CaseQuery, arg func(v any) string, count bool) string {
	where := []string{"kind = " + arg(q.Kind)}
	in := func(col string, vs []string) {
		if len(vs) == 0 {
			where = append(where, "0 = 1")
			return
		}
		ps := make([]string, len(vs))
		for i, v := range vs {
			ps[i] = arg(v)
		}
		where = append(where, col+" IN ("+strings.Join(ps, ", ")+")")
	}
	if q.Outlet != "" {
		where = append(where, "outlet = "+arg(q.Outlet))
	}
	if q.Outlets != nil {
		in("outlet", q.Outlets)
	}
	if q.OpenOnly {
		where = append(where, "open = "+arg(true))
	}
	if len(q.Labels) > 0 {
		in("label", q.Labels)
	}
	if q.SinceBefore != 0 {
		where = append(where, "since <= "+arg(q.SinceBefore))
	}
	if q.SinceFrom != 0 {
		where = append(where, "since >= "+arg(q.SinceFrom))
	}
	if q.IDSuffix != "" {
		if strings.Trim(q.IDSuffix, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
			where = append(where, "0 = 1") // no LIKE wildcard reaches the query
		} else {
			where = append(where, "id LIKE "+arg("%"+q.IDSuffix))
		}
	}
	if q.Owner != "" {
		where = append(where, "owner = "+arg(q.Owner))
	}
	if q.State != "" {
		where = append(where, "state = "+arg(q.State))
	}
	if q.DueBy != 0 {
		where = append(where, "due > "+arg(max(q.DueAfter, 0)), "due <= "+arg(q.DueBy))
	}
	if q.NoDue {
		where = append(where, "due = 0")
	}
	order := " ORDER BY hlc DESC, id"
	if q.Sort == SortDue {
		order = " ORDER BY due, id"
	}
	if a := q.After; a != nil && !count {
		if q.Sort == SortDue {
			where = append(where, "(due > "+arg(a.Due)+" OR (due = "+arg(a.Due)+" AND id > "+arg(a.ID)+"))")
		} else {
			where = append(where, "(hlc < "+arg(int64(a.HLC))+" OR (hlc = "+arg(int64(a.HLC))+" AND id > "+arg(a.ID)+"))")
		}
	}
	sql := " WHERE " + strings.Join(where, " AND ")
	if count {
		return sql
	}
	sql += order
	if q.Limit > 0 {
		sql += " LIMIT " + arg(q.Limit)
	}
	return sql
}

// OutletCountsSQL counts outlets for OutletCounts on every backend; since
// and before are the placeholders of seenSince and staleBefore.
func OutletCountsSQL(since, before string) string {
	return `SELECT count(*),
		coalesce(sum(CASE WHEN o.last_seen >= ` + since + ` THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN o.last_seen < ` + before + ` THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM dead_letters d WHERE d.origin = o.id) THEN 1 ELSE 0 END), 0)
	FROM outlets o`
}

// FactsColumns selects a row of measure_facts for ScanFacts.
const FactsColumns = `kind, id, outlet, person, label, at, reply_at, result_at, escalations, satisfaction, claim, amount_cents`

// FactsArgs are f's values in FactsColumns' order, for an insert.
func FactsArgs(f Facts) []any {
	return []any{f.Kind, f.ID, f.Outlet, f.Person, f.Label, f.At, f.ReplyAt, f.ResultAt, f.Escalations, f.Satisfaction, f.Claim, f.AmountCents}
}

// ScanFacts reads a row of FactsColumns.
func ScanFacts(sc Scanner) (Facts, error) {
	var f Facts
	var esc, sat int64
	err := sc.Scan(&f.Kind, &f.ID, &f.Outlet, &f.Person, &f.Label, &f.At, &f.ReplyAt, &f.ResultAt, &esc, &sat, &f.Claim, &f.AmountCents)
	f.Escalations, f.Satisfaction = int(esc), int(sat)
	return f, err
}

// TallyColumns selects a row of measure_tallies for ScanTally.
const TallyColumns = `day, outlet, person, name, n`

// TalliesSQL is the query of Tallies on every backend, with ph(i) the
// i-th placeholder (from 1); CollectTallies reads its rows.
func TalliesSQL(q RollupQuery, ph func(i int) string) (string, []any) {
	query, order := `SELECT day, outlet, counts FROM measure_outlet_days`, ` ORDER BY day, outlet`
	if q.PerPerson {
		query, order = `SELECT `+TallyColumns+` FROM measure_tallies`, ` ORDER BY day, outlet, person, name`
	}
	query, args := query+` WHERE day >= `+ph(1)+` AND day <= `+ph(2), []any{q.From, q.To}
	if q.Outlet != "" {
		query, args = query+` AND outlet = `+ph(3), append(args, q.Outlet)
	}
	return query + order, args
}

// CollectTallies reads the rows of TalliesSQL(q): per person, or each
// outlet-day's row opened into its counters.
func CollectTallies(rows Rows, q RollupQuery) ([]Tally, error) {
	if q.PerPerson {
		return Collect(rows, ScanTally)
	}
	var out []Tally
	for rows.Next() {
		var d OutletDay
		if err := rows.Scan(&d.Day, &d.Outlet, &d.Counts); err != nil {
			return nil, err
		}
		var err error
		if out, err = d.Tallies(out); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// ScanTally reads a row of TallyColumns.
func ScanTally(sc Scanner) (Tally, error) {
	var t Tally
	err := sc.Scan(&t.Day, &t.Outlet, &t.Person, &t.Name, &t.N)
	return t, err
}

// RegionsSQL counts outlets by region and city, for ScanRegions: the same
// SQL on every backend.
const RegionsSQL = `SELECT region, city, count(*) FROM outlets WHERE region <> '' GROUP BY region, city ORDER BY region, city`

// ScanRegions reads rows of RegionsSQL into regions, each with its named
// cities.
func ScanRegions(rows Rows) ([]Region, error) {
	out := []Region{}
	for rows.Next() {
		var region, city string
		var n int64
		if err := rows.Scan(&region, &city, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Region != region {
			out = append(out, Region{Region: region, Cities: []string{}})
		}
		r := &out[len(out)-1]
		r.Outlets += int(n)
		if city != "" {
			r.Cities = append(r.Cities, city)
		}
	}
	return out, rows.Err()
}

// ParcelColumns selects a row of the parcel index for ScanParcel.
const ParcelColumns = `p.waybill, p.outlet, p.state, p.since`

// ScanParcel reads a row of ParcelColumns.
func ScanParcel(sc Scanner) (ParcelRow, error) {
	var r ParcelRow
	err := sc.Scan(&r.Waybill, &r.Outlet, &r.State, &r.Since)
	return r, err
}

// ParcelSearchSQL is q's query on "parcels p" with its arguments; arg
// writes the nth placeholder (from 1) as the backend does. The waybill
// range [Prefix, PrefixEnd(Prefix)) reads the primary key in order, so a
// page costs its rows, not the index.
func ParcelSearchSQL(q ParcelQuery, arg func(n int) string) (string, []any) {
	var args []any
	next := func(v any) string {
		args = append(args, v)
		return arg(len(args))
	}
	from, where := "parcels p", []string{"p.waybill >= " + next(q.Prefix), "p.state <> ''"}
	if end := PrefixEnd(q.Prefix); end != "" {
		where = append(where, "p.waybill < "+next(end))
	}
	if q.Outlet != "" {
		where = append(where, "p.outlet = "+next(q.Outlet))
	}
	if q.Region != "" {
		from += " JOIN outlets o ON o.id = p.outlet"
		where = append(where, "o.region = "+next(q.Region))
	}
	if q.AfterWaybill != "" {
		w := next(q.AfterWaybill)
		where = append(where, "(p.waybill > "+w+" OR (p.waybill = "+w+" AND p.outlet > "+next(q.AfterOutlet)+"))")
	}
	query := "SELECT " + ParcelColumns + " FROM " + from + " WHERE " + strings.Join(where, " AND ") + " ORDER BY p.waybill, p.outlet"
	if q.Limit > 0 {
		query += " LIMIT " + next(q.Limit)
	}
	return query, args
}

// PrefixEnd is the least string above every string that starts with
// prefix, bytewise; "" when there is none (prefix is all 0xff bytes).
func PrefixEnd(prefix string) string {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return ""
}
