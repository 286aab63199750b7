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

func (t *txn) cs() store.CustomerSQL { return pgOn(t.tx) }

func (t *txn) AddCustomers(ctx context.Context, ds []store.Customer) error {
	return t.cs().AddCustomers(ctx, ds)
}

func (t *txn) AddCustomerOutlets(ctx context.Context, os []store.CustomerOutlet) error {
	return t.cs().AddCustomerOutlets(ctx, os)
}

func (t *txn) AddCustomerDays(ctx context.Context, ds []store.CustomerDay) error {
	return t.cs().AddCustomerDays(ctx, ds)
}

func (t *txn) CustomerCase(ctx context.Context, kind, id string) (store.CustomerCase, bool, error) {
	return t.cs().CustomerCase(ctx, kind, id)
}

func (t *txn) PutCustomerCase(ctx context.Context, cc store.CustomerCase) error {
	return t.cs().PutCustomerCase(ctx, cc)
}

func (t *txn) ClassInputs(ctx context.Context, ids []string, fromDay int64) ([]store.Customer, error) {
	return t.cs().ClassInputs(ctx, ids, fromDay)
}

func (t *txn) PutClass(ctx context.Context, id, class string, at, parcels, fees int64, moved bool, from string) error {
	return t.cs().PutClass(ctx, id, class, at, parcels, fees, moved, from)
}

func (t *txn) ClearCustomers(ctx context.Context) error { return t.cs().ClearCustomers(ctx) }

func (t *txn) PutEnterprise(ctx context.Context, id, name string) error {
	return t.cs().PutEnterprise(ctx, id, name)
}

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

func (t *txn) AddCustomerParcels(ctx context.Context, ps []store.CustomerParcel) error {
	return t.cs().AddCustomerParcels(ctx, ps)
}

func (s *backend) CustomerParcels(ctx context.Context, id, kind string, from, to int64, limit int) ([]store.CustomerParcel, error) {
	return pgOn(s.pool).CustomerParcels(ctx, id, kind, from, to, limit)
}

func (s *backend) CustomerCases(ctx context.Context, id string) ([]store.CustomerCase, error) {
	return pgOn(s.pool).CustomerCases(ctx, id)
}

func (t *txn) DeleteClassPushes(ctx context.Context, ps []store.ClassPush) error {
	return t.cs().DeleteClassPushes(ctx, ps)
}

func (s *backend) ClassPushes(ctx context.Context, limit int) ([]store.ClassPush, error) {
	return pgOn(s.pool).ClassPushes(ctx, limit)
}

func (t *txn) AddClassCounts(ctx context.Context, ds []store.ClassCount) error {
	return t.cs().AddClassCounts(ctx, ds)
}

func (t *txn) ClearCustomerContacts(ctx context.Context, before int64, dry bool) (int64, error) {
	return t.cs().ClearContacts(ctx, before, dry)
}
