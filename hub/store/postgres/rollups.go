package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// PutFacts implements store.Tx.
func (t *txn) PutFacts(ctx context.Context, f store.Facts) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO measure_facts (`+store.FactsColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)
		ON CONFLICT (kind, id) DO UPDATE SET outlet = excluded.outlet, person = excluded.person, label = excluded.label,
			at = excluded.at, reply_at = excluded.reply_at, result_at = excluded.result_at, escalations = excluded.escalations,
			satisfaction = excluded.satisfaction, claim = excluded.claim, amount_cents = excluded.amount_cents`,
		store.FactsArgs(f)...)
	return err
}

// DeleteFacts implements store.Tx.
func (t *txn) DeleteFacts(ctx context.Context, kind, id string) error {
	_, err := t.tx.Exec(ctx, `DELETE FROM measure_facts WHERE kind = $1 AND id = $2`, kind, id)
	return err
}

// AddTallies implements store.Tx in one statement, in the order given
// (Core's key order), so rows lock in that order.
func (t *txn) AddTallies(ctx context.Context, ts []store.Tally) error {
	days, ns := make([]int64, len(ts)), make([]int64, len(ts))
	outlets, persons, names := make([]string, len(ts)), make([]string, len(ts)), make([]string, len(ts))
	for i, x := range ts {
		days[i], outlets[i], persons[i], names[i], ns[i] = x.Day, x.Outlet, x.Person, x.Name, x.N
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO measure_tallies (day, outlet, person, name, n)
		SELECT day, outlet, person, name, n FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])
			WITH ORDINALITY AS u(day, outlet, person, name, n, i) ORDER BY i
		ON CONFLICT (day, outlet, person, name) DO UPDATE SET n = measure_tallies.n + excluded.n`,
		days, outlets, persons, names, ns)
	if err != nil {
		return fmt.Errorf("%d tallies: %w", len(ts), err)
	}
	// Each outlet-day's row: made if new, locked, read, added to, in key
	// order, three statements for all of them.
	deltas, err := store.OutletDays(ts)
	if err != nil {
		return err
	}
	days, outlets = make([]int64, len(deltas)), make([]string, len(deltas))
	for i, d := range deltas {
		days[i], outlets[i] = d.Day, d.Outlet
	}
	if _, err := t.tx.Exec(ctx, `INSERT INTO measure_outlet_days (day, outlet, counts)
		SELECT day, outlet, '' FROM unnest($1::bigint[], $2::text[]) WITH ORDINALITY AS u(day, outlet, i) ORDER BY i
		ON CONFLICT (day, outlet) DO NOTHING`, days, outlets); err != nil {
		return fmt.Errorf("counters of %d outlet-days: %w", len(deltas), err)
	}
	rows, err := t.tx.Query(ctx, `SELECT m.day, m.outlet, m.counts FROM measure_outlet_days m
		JOIN unnest($1::bigint[], $2::text[]) AS u(day, outlet) ON m.day = u.day AND m.outlet = u.outlet
		ORDER BY m.day, m.outlet FOR UPDATE OF m`, days, outlets)
	if err != nil {
		return fmt.Errorf("counters of %d outlet-days: %w", len(deltas), err)
	}
	have, err := pgx.CollectRows(rows, pgx.RowToStructByPos[store.OutletDay])
	if err != nil {
		return fmt.Errorf("counters of %d outlet-days: %w", len(deltas), err)
	}
	if len(have) != len(deltas) {
		return fmt.Errorf("counters of %d outlet-days: %d rows", len(deltas), len(have))
	}
	counts := make([]string, len(deltas))
	for i, d := range deltas {
		// Both in (day, outlet) order.
		if have[i].Day != d.Day || have[i].Outlet != d.Outlet {
			return fmt.Errorf("counters of %s on day %d: read %s on day %d", d.Outlet, d.Day, have[i].Outlet, have[i].Day)
		}
		sum, err := have[i].Add(d)
		if err != nil {
			return err
		}
		counts[i] = sum.Counts
	}
	if _, err := t.tx.Exec(ctx, `UPDATE measure_outlet_days m SET counts = u.counts
		FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(day, outlet, counts)
		WHERE m.day = u.day AND m.outlet = u.outlet`, days, outlets, counts); err != nil {
		return fmt.Errorf("counters of %d outlet-days: %w", len(deltas), err)
	}
	return nil
}

// Stamps implements store.Tx.
func (t *txn) Stamps(ctx context.Context, typ string, subjects []string) ([]store.SubjectStamp, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	rows, err := t.tx.Query(ctx, `SELECT subject, origin, coalesce(order_hlc, hlc) FROM events
		WHERE subject = ANY($1) AND subject <> '' AND type = $2`, subjects, typ)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.SubjectStamp
	for rows.Next() {
		var x store.SubjectStamp
		var h int64
		if err := rows.Scan(&x.Subject, &x.Origin, &h); err != nil {
			return nil, err
		}
		x.Stamp = hlc.Timestamp(h)
		out = append(out, x)
	}
	return out, rows.Err()
}

// ClearRollups implements store.Tx.
func (t *txn) ClearRollups(ctx context.Context) error {
	_, err := t.tx.Exec(ctx, `TRUNCATE measure_facts, measure_tallies, measure_outlet_days`)
	return err
}

// EventsAfter implements store.Tx.
func (t *txn) EventsAfter(ctx context.Context, after store.EventKey, limit int) ([]syncproto.Event, store.EventKey, error) {
	rows, err := t.tx.Query(ctx, `SELECT `+store.EventColumns+`, epoch FROM events
		WHERE (origin, epoch, seq) > ($1, $2, $3) ORDER BY origin, epoch, seq LIMIT $4`,
		after.Origin, int64(after.Epoch), int64(after.Seq), limit)
	if err != nil {
		return nil, after, err
	}
	defer rows.Close()
	return store.CollectEventsAfter(rows, after)
}

// Facts implements store.Queries.
func (s *backend) Facts(ctx context.Context, kind string, q store.RollupQuery) ([]store.Facts, error) {
	query, args := `SELECT `+store.FactsColumns+` FROM measure_facts WHERE kind = $1 AND at >= $2 AND at < $3`, []any{kind, q.From, q.To}
	if q.Outlet != "" {
		query, args = query+` AND outlet = $4`, append(args, q.Outlet)
	}
	rows, err := s.pool.Query(ctx, query+` ORDER BY at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read measures of %ss: %w", kind, err)
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanFacts)
}

// Tallies implements store.Queries.
func (s *backend) Tallies(ctx context.Context, q store.RollupQuery) ([]store.Tally, error) {
	query, args := store.TalliesSQL(q, func(i int) string { return "$" + strconv.Itoa(i) })
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read measures' counters: %w", err)
	}
	defer rows.Close()
	return store.CollectTallies(rows, q)
}

// buildRollups runs store.Core.BuildRollups and BuildCustomers under a session lock, so that
// hubs starting at once on one database build them once: the second finds
// them built when the first lets go.
func (s *Store) buildRollups(ctx context.Context, log *slog.Logger) error {
	unlock, err := s.Lock(ctx, "rollups")
	if err != nil {
		return err
	}
	defer unlock()
	if err := s.BuildRollups(ctx, log); err != nil {
		return err
	}
	return s.BuildCustomers(ctx, log)
}
