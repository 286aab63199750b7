package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// PutFacts implements store.Tx.
func (t *txn) PutFacts(ctx context.Context, f store.Facts) error {
	_, err := t.tx.ExecContext(ctx, `INSERT OR REPLACE INTO measure_facts (`+store.FactsColumns+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`,
		store.FactsArgs(f)...)
	return err
}

// DeleteFacts implements store.Tx.
func (t *txn) DeleteFacts(ctx context.Context, kind, id string) error {
	_, err := t.tx.ExecContext(ctx, `DELETE FROM measure_facts WHERE kind = ? AND id = ?`, kind, id)
	return err
}

// AddTallies implements store.Tx.
func (t *txn) AddTallies(ctx context.Context, ts []store.Tally) error {
	add := t.stmt(ctx, t.s.addTally)
	for _, x := range ts {
		if _, err := add.ExecContext(ctx, x.Day, x.Outlet, x.Person, x.Name, x.N); err != nil {
			return fmt.Errorf("tally %s of %s on day %d: %w", x.Name, x.Outlet, x.Day, err)
		}
	}
	days, err := store.OutletDays(ts)
	if err != nil {
		return err
	}
	get, put := t.stmt(ctx, t.s.getOutletDay), t.stmt(ctx, t.s.putOutletDay)
	for _, delta := range days {
		have := store.OutletDay{Day: delta.Day, Outlet: delta.Outlet}
		if err := get.QueryRowContext(ctx, delta.Day, delta.Outlet).Scan(&have.Counts); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("counters of %s on day %d: %w", delta.Outlet, delta.Day, err)
		}
		sum, err := have.Add(delta)
		if err != nil {
			return err
		}
		if _, err := put.ExecContext(ctx, sum.Day, sum.Outlet, sum.Counts); err != nil {
			return fmt.Errorf("counters of %s on day %d: %w", sum.Outlet, sum.Day, err)
		}
	}
	return nil
}

// Stamps implements store.Tx; "subject <> ”" lets SQLite use the
// partial index events_subject.
func (t *txn) Stamps(ctx context.Context, typ string, subjects []string) ([]store.SubjectStamp, error) {
	if len(subjects) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(subjects)+1)
	args = append(args, typ)
	for _, s := range subjects {
		args = append(args, s)
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT subject, origin, coalesce(order_hlc, hlc) FROM events
		WHERE type = ? AND subject IN (?`+strings.Repeat(",?", len(subjects)-1)+`) AND subject <> ''`, args...)
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
	_, err := t.tx.ExecContext(ctx, `DELETE FROM measure_facts; DELETE FROM measure_tallies; DELETE FROM measure_outlet_days`)
	return err
}

// EventsAfter implements store.Tx.
func (t *txn) EventsAfter(ctx context.Context, after store.EventKey, limit int) ([]syncproto.Event, store.EventKey, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT `+store.EventColumns+`, epoch FROM events
		WHERE (origin, epoch, seq) > (?, ?, ?) ORDER BY origin, epoch, seq LIMIT ?`,
		after.Origin, int64(after.Epoch), int64(after.Seq), limit)
	if err != nil {
		return nil, after, err
	}
	defer rows.Close()
	return store.CollectEventsAfter(rows, after)
}

// Facts implements store.Queries.
func (s *backend) Facts(ctx context.Context, kind string, q store.RollupQuery) ([]store.Facts, error) {
	query, args := `SELECT `+store.FactsColumns+` FROM measure_facts WHERE kind = ? AND at >= ? AND at < ?`, []any{kind, q.From, q.To}
	if q.Outlet != "" {
		query, args = query+` AND outlet = ?`, append(args, q.Outlet)
	}
	rows, err := s.r.QueryContext(ctx, query+` ORDER BY at, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("read measures of %ss: %w", kind, err)
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanFacts)
}

// Tallies implements store.Queries.
func (s *backend) Tallies(ctx context.Context, q store.RollupQuery) ([]store.Tally, error) {
	query, args := store.TalliesSQL(q, func(int) string { return "?" })
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read measures' counters: %w", err)
	}
	defer rows.Close()
	return store.CollectTallies(rows, q)
}
