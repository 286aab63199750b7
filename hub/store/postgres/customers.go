package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/yizhan/yizhan/hub/store"
)

// pgOn runs store.CustomerSQL's statements, placeholders rewritten, on a
// pool or a transaction.
func pgOn(db interface {
	Exec(ctx context.Context, q string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, q string, args ...any) (pgx.Rows, error)
}) store.CustomerSQL {
	return store.CustomerSQL{
		Exec: func(ctx context.Context, q string, args ...any) (int64, error) {
			tag, err := db.Exec(ctx, store.Dollars(q), args...)
			return tag.RowsAffected(), err
		},
		Query: func(ctx context.Context, q string, args ...any) (store.Rows, func(), error) {
			rows, err := db.Query(ctx, store.Dollars(q), args...)
			if err != nil {
				return nil, nil, err
			}
			return rows, rows.Close, nil
		},
	}
}

// Customers implements store.Tx.Customers.
func (t *txn) Customers() store.CustomerSQL { return t.cs() }

func (t *txn) cs() store.CustomerSQL { return pgOn(t.tx) }

func (s *backend) Customer(ctx context.Context, id string) (store.Customer, error) {
	return pgOn(s.pool).Customer(ctx, id)
}

func (s *backend) CustomerOutlets(ctx context.Context, id string) ([]store.CustomerOutlet, error) {
	return pgOn(s.pool).CustomerOutlets(ctx, id)
}

func (s *backend) Customers(ctx context.Context, q store.CustomerQuery) ([]store.Customer, error) {
	return pgOn(s.pool).Customers(ctx, q)
}

func (s *backend) ClassCounts(ctx context.Context) (map[string]int64, error) {
	return pgOn(s.pool).ClassCounts(ctx)
}

func (s *backend) ClassMoves(ctx context.Context, since int64) ([]store.ClassMove, error) {
	return pgOn(s.pool).ClassMoves(ctx, since)
}

func (s *backend) CustomerParcels(ctx context.Context, id, kind string, from, to int64, limit int) ([]store.CustomerParcel, error) {
	return pgOn(s.pool).CustomerParcels(ctx, id, kind, from, to, limit)
}

func (s *backend) CustomerCases(ctx context.Context, id string) ([]store.CustomerCase, error) {
	return pgOn(s.pool).CustomerCases(ctx, id)
}

func (s *backend) ClassPushes(ctx context.Context, limit int) ([]store.ClassPush, error) {
	return pgOn(s.pool).ClassPushes(ctx, limit)
}

// The calendar's statements (store.CalendarSQL).

func (s *backend) CalendarEvents(ctx context.Context, q store.CalendarQuery) ([]store.CalendarEvent, error) {
	return store.CalendarSQL(pgOn(s.pool)).CalendarEvents(ctx, q)
}

func (s *backend) PutCalendarEvent(ctx context.Context, e store.CalendarEvent) error {
	return store.CalendarSQL(pgOn(s.pool)).PutCalendarEvent(ctx, e)
}

func (s *backend) DeleteCalendarEvent(ctx context.Context, id string) error {
	return store.CalendarSQL(pgOn(s.pool)).DeleteCalendarEvent(ctx, id)
}

// Autocommit implements store.Backend.
func (s *backend) Autocommit() store.CustomerSQL { return pgOn(s.pool) }
