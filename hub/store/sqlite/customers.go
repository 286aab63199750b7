package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/yizhan/yizhan/hub/store"
)

// sqlOn runs store.CustomerSQL's statements on one of database/sql's
// connections or transactions.
func sqlOn(db interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}) store.CustomerSQL {
	return store.CustomerSQL{
		Exec: func(ctx context.Context, q string, args ...any) (int64, error) {
			r, err := db.ExecContext(ctx, q, args...)
			if err != nil {
				return 0, err
			}
			return r.RowsAffected()
		},
		Query: func(ctx context.Context, q string, args ...any) (store.Rows, func(), error) {
			rows, err := db.QueryContext(ctx, q, args...)
			if err != nil {
				return nil, nil, err
			}
			return rows, func() { rows.Close() }, nil
		},
	}
}

// Customers implements store.Tx.Customers.
func (t *txn) Customers() store.CustomerSQL { return t.cs() }

// cs runs the statements in the transaction, the fixed ones prepared at
// Open on the write connection: their upserts are long, and compiling
// them again for every customer of every commit cost more than running
// them. A migration's transaction (no backend yet) runs them as they are.
func (t *txn) cs() store.CustomerSQL {
	if t.s == nil {
		return sqlOn(t.tx)
	}
	return sqlOn(preparedTx{t})
}

// prepareCustomers prepares store.CustomerStatements on w.
func (s *backend) prepareCustomers(ctx context.Context) error {
	s.customerStmts = map[string]*sql.Stmt{}
	for _, q := range store.CustomerStatements {
		st, err := s.w.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %.40s…: %w", q, err)
		}
		s.customerStmts[q] = st
	}
	return nil
}

// preparedTx runs statements through the backend's prepared ones, the
// others as they are.
type preparedTx struct{ t *txn }

func (p preparedTx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := p.t.s.customerStmts[q]; ok {
		return p.t.tx.StmtContext(ctx, st), nil
	}
	return nil, nil
}

func (p preparedTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, q)
	if err != nil || st == nil {
		return p.t.tx.ExecContext(ctx, q, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (p preparedTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, q)
	if err != nil || st == nil {
		return p.t.tx.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (s *backend) Customer(ctx context.Context, id string) (store.Customer, error) {
	return sqlOn(s.r).Customer(ctx, id)
}

func (s *backend) CustomerOutlets(ctx context.Context, id string) ([]store.CustomerOutlet, error) {
	return sqlOn(s.r).CustomerOutlets(ctx, id)
}

func (s *backend) Customers(ctx context.Context, q store.CustomerQuery) ([]store.Customer, error) {
	return sqlOn(s.r).Customers(ctx, q)
}

func (s *backend) ClassCounts(ctx context.Context) (map[string]int64, error) {
	return sqlOn(s.r).ClassCounts(ctx)
}

func (s *backend) ClassMoves(ctx context.Context, since int64) ([]store.ClassMove, error) {
	return sqlOn(s.r).ClassMoves(ctx, since)
}

func (s *backend) CustomerParcels(ctx context.Context, id, kind string, from, to int64, limit int) ([]store.CustomerParcel, error) {
	return sqlOn(s.r).CustomerParcels(ctx, id, kind, from, to, limit)
}

func (s *backend) CustomerCases(ctx context.Context, id string) ([]store.CustomerCase, error) {
	return sqlOn(s.r).CustomerCases(ctx, id)
}

func (s *backend) ClassPushes(ctx context.Context, limit int) ([]store.ClassPush, error) {
	return sqlOn(s.r).ClassPushes(ctx, limit)
}

// The calendar's statements (store.CalendarSQL).

func (s *backend) CalendarEvents(ctx context.Context, q store.CalendarQuery) ([]store.CalendarEvent, error) {
	return store.CalendarSQL(sqlOn(s.r)).CalendarEvents(ctx, q)
}

func (s *backend) PutCalendarEvent(ctx context.Context, e store.CalendarEvent) error {
	return store.CalendarSQL(sqlOn(s.w)).PutCalendarEvent(ctx, e)
}

func (s *backend) DeleteCalendarEvent(ctx context.Context, id string) error {
	return store.CalendarSQL(sqlOn(s.w)).DeleteCalendarEvent(ctx, id)
}

// Autocommit implements store.Backend.
func (s *backend) Autocommit() store.CustomerSQL { return sqlOn(s.w) }
