package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// CustomerSQL writes and reads the customer profiles' tables with the
// same statements on every backend (their DDL is each backend's
// migration): a backend hands it its transaction's or pool's Exec and
// Query, with "?" placeholders rewritten as it needs (Dollars).
type CustomerSQL struct {
	// Exec runs a statement and returns the rows it changed.
	Exec func(ctx context.Context, q string, args ...any) (int64, error)
	// Query runs a query; close ends its rows.
	Query func(ctx context.Context, q string, args ...any) (rows Rows, close func(), err error)
}

// Dollars rewrites "?" placeholders as PostgreSQL's $1, $2… (the
// statements here hold no "?" in literals).
func Dollars(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CustomerColumns are the columns a profile is added with; readColumns
// (with the language head office sets, never added to) select a Customer
// for scanCustomer.
const CustomerColumns = `id, first_seen, last_seen, received, sent, fees_fen, complaints, complaints_open,
	sat_sum, sat_n, sat_last, sat_at, exceptions, exceptions_open,
	contact_outlet, contact_kind, contact_record, phone_sealed, phone_masked, name_sealed, name_masked, contact_at,
	enterprise, class, class_at, window_parcels, window_fees`

const readColumns = CustomerColumns + `, lang`

func scanCustomer(sc Scanner) (Customer, error) {
	var c Customer
	k := &c.Contact
	err := sc.Scan(&c.ID, &c.FirstSeen, &c.LastSeen, &c.Received, &c.Sent, &c.FeesFen, &c.Complaints, &c.ComplaintsOpen,
		&c.SatisfactionSum, &c.SatisfactionN, &c.LastSatisfaction, &c.LastSatisfactionAt, &c.Exceptions, &c.ExceptionsOpen,
		&k.Outlet, &k.Kind, &k.Record, &k.PhoneSealed, &k.PhoneMasked, &k.NameSealed, &k.NameMasked, &k.At,
		&c.Enterprise, &c.Class, &c.ClassAt, &c.WindowParcels, &c.WindowFees, &c.Lang)
	return c, err
}

// newer keeps the row's contact unless the delta brings a newer one.
const newerContact = `excluded.contact_at >= customers.contact_at AND (excluded.phone_sealed <> '' OR excluded.name_sealed <> '')`

var addCustomerSQL = `INSERT INTO customers (` + CustomerColumns + `)
	VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'','',0,0,0)
	ON CONFLICT (id) DO UPDATE SET
		first_seen = CASE WHEN customers.first_seen = 0 OR (excluded.first_seen <> 0 AND excluded.first_seen < customers.first_seen)
			THEN excluded.first_seen ELSE customers.first_seen END,
		last_seen = CASE WHEN excluded.last_seen > customers.last_seen THEN excluded.last_seen ELSE customers.last_seen END,
		received = customers.received + excluded.received,
		sent = customers.sent + excluded.sent,
		fees_fen = customers.fees_fen + excluded.fees_fen,
		complaints = customers.complaints + excluded.complaints,
		complaints_open = customers.complaints_open + excluded.complaints_open,
		sat_sum = customers.sat_sum + excluded.sat_sum,
		sat_n = customers.sat_n + excluded.sat_n,
		sat_last = CASE WHEN excluded.sat_at > 0 AND excluded.sat_at >= customers.sat_at THEN excluded.sat_last ELSE customers.sat_last END,
		sat_at = CASE WHEN excluded.sat_at > customers.sat_at THEN excluded.sat_at ELSE customers.sat_at END,
		exceptions = customers.exceptions + excluded.exceptions,
		exceptions_open = customers.exceptions_open + excluded.exceptions_open,
		contact_outlet = CASE WHEN ` + newerContact + ` THEN excluded.contact_outlet ELSE customers.contact_outlet END,
		contact_kind = CASE WHEN ` + newerContact + ` THEN excluded.contact_kind ELSE customers.contact_kind END,
		contact_record = CASE WHEN ` + newerContact + ` THEN excluded.contact_record ELSE customers.contact_record END,
		phone_sealed = CASE WHEN ` + newerContact + ` THEN excluded.phone_sealed ELSE customers.phone_sealed END,
		phone_masked = CASE WHEN ` + newerContact + ` THEN excluded.phone_masked ELSE customers.phone_masked END,
		name_sealed = CASE WHEN ` + newerContact + ` THEN excluded.name_sealed ELSE customers.name_sealed END,
		name_masked = CASE WHEN ` + newerContact + ` THEN excluded.name_masked ELSE customers.name_masked END,
		contact_at = CASE WHEN ` + newerContact + ` THEN excluded.contact_at ELSE customers.contact_at END`

// The fixed statements, which a backend may prepare once (CustomerStatements).
const (
	addCustomerOutletSQL = `INSERT INTO customer_outlets (customer, outlet, n, last_seen) VALUES (?,?,?,?)
			ON CONFLICT (customer, outlet) DO UPDATE SET n = customer_outlets.n + excluded.n,
				last_seen = CASE WHEN excluded.last_seen > customer_outlets.last_seen THEN excluded.last_seen ELSE customer_outlets.last_seen END`
	addCustomerDaySQL = `INSERT INTO customer_days (customer, day, parcels, fees) VALUES (?,?,?,?)
			ON CONFLICT (customer, day) DO UPDATE SET parcels = customer_days.parcels + excluded.parcels, fees = customer_days.fees + excluded.fees`
	addCustomerParcelSQL = `INSERT INTO customer_parcels (customer, kind, outlet, waybill, at, fees) VALUES (?,?,?,?,?,?)
			ON CONFLICT (customer, kind, outlet, waybill) DO NOTHING`
	customerCaseSQL    = `SELECT customer, open, satisfaction FROM customer_cases WHERE kind = ? AND id = ?`
	putCustomerCaseSQL = `INSERT INTO customer_cases (kind, id, customer, open, satisfaction) VALUES (?,?,?,?,?)
		ON CONFLICT (kind, id) DO UPDATE SET customer = excluded.customer, open = excluded.open, satisfaction = excluded.satisfaction`
	putClassSQL = `UPDATE customers SET class = ?, class_at = ?, window_parcels = ?, window_fees = ? WHERE id = ?`
	addMoveSQL  = `INSERT INTO customer_moves (customer, at, from_class, to_class) VALUES (?,?,?,?)
		ON CONFLICT (customer, at) DO UPDATE SET to_class = excluded.to_class`
	addClassCountSQL = `INSERT INTO class_counts (class, n) VALUES (?, ?)
		ON CONFLICT (class) DO UPDATE SET n = class_counts.n + excluded.n`
	// pushClassSQL queues a customer's new class for every outlet it
	// was seen at; pushNewOutletSQL its class for an outlet new to it.
	pushClassSQL = `INSERT INTO class_pushes (outlet, customer, class)
		SELECT outlet, customer, ? FROM customer_outlets WHERE customer = ?
		ON CONFLICT (outlet, customer) DO UPDATE SET class = excluded.class`
	pushNewOutletSQL = `INSERT INTO class_pushes (outlet, customer, class)
		SELECT ?, c.id, c.class FROM customers c WHERE c.id = ?
			AND NOT EXISTS (SELECT 1 FROM customer_outlets o WHERE o.customer = c.id AND o.outlet = ?)
		ON CONFLICT (outlet, customer) DO NOTHING`
)

// CustomerStatements are the statements CustomerSQL runs most, with a
// fixed text: a backend may prepare them at open.
var CustomerStatements = []string{addCustomerSQL, addCustomerOutletSQL, addCustomerDaySQL, addCustomerParcelSQL,
	customerCaseSQL, putCustomerCaseSQL, putClassSQL, addMoveSQL, pushClassSQL, pushNewOutletSQL, addClassCountSQL}

// AddCustomers adds deltas to the profiles, creating them: each delta's
// counts are added, its first and last seen widen the row's, its contact
// replaces an older.
func (q CustomerSQL) AddCustomers(ctx context.Context, ds []Customer) error {
	for _, c := range ds {
		k := c.Contact
		if _, err := q.Exec(ctx, addCustomerSQL, c.ID, c.FirstSeen, c.LastSeen, c.Received, c.Sent, c.FeesFen, c.Complaints, c.ComplaintsOpen,
			c.SatisfactionSum, c.SatisfactionN, c.LastSatisfaction, c.LastSatisfactionAt, c.Exceptions, c.ExceptionsOpen,
			k.Outlet, k.Kind, k.Record, k.PhoneSealed, k.PhoneMasked, k.NameSealed, k.NameMasked, k.At); err != nil {
			return fmt.Errorf("customer %s: %w", c.ID, err)
		}
	}
	return nil
}

// AddCustomerOutlets adds to the customers' counts per outlet.
func (q CustomerSQL) AddCustomerOutlets(ctx context.Context, os []CustomerOutlet) error {
	for _, o := range os {
		// A customer new at the outlet: its class goes there.
		if _, err := q.Exec(ctx, pushNewOutletSQL, o.Outlet, o.Customer, o.Outlet); err != nil {
			return fmt.Errorf("customer %s new at %s: %w", o.Customer, o.Outlet, err)
		}
		if _, err := q.Exec(ctx, addCustomerOutletSQL,
			o.Customer, o.Outlet, o.N, o.LastSeen); err != nil {
			return fmt.Errorf("customer %s at %s: %w", o.Customer, o.Outlet, err)
		}
	}
	return nil
}

// AddCustomerDays adds to the customers' parcels and fees per day.
func (q CustomerSQL) AddCustomerDays(ctx context.Context, ds []CustomerDay) error {
	for _, d := range ds {
		if _, err := q.Exec(ctx, addCustomerDaySQL,
			d.Customer, d.Day, d.Parcels, d.Fees); err != nil {
			return fmt.Errorf("customer %s on day %d: %w", d.Customer, d.Day, err)
		}
	}
	return nil
}

// AddCustomerParcels records the customers' parcels for their history
// and statements.
func (q CustomerSQL) AddCustomerParcels(ctx context.Context, ps []CustomerParcel) error {
	for _, p := range ps {
		if _, err := q.Exec(ctx, addCustomerParcelSQL, p.Customer, p.Kind, p.Outlet, p.Waybill, p.At, p.Fees); err != nil {
			return fmt.Errorf("parcel %s of customer %s: %w", p.Waybill, p.Customer, err)
		}
	}
	return nil
}

// CustomerParcels implements Queries.CustomerParcels.
func (q CustomerSQL) CustomerParcels(ctx context.Context, id, kind string, from, to int64, limit int) ([]CustomerParcel, error) {
	query, args := `SELECT customer, kind, outlet, waybill, at, fees FROM customer_parcels WHERE customer = ? AND at >= ? AND at < ?`, []any{id, from, to}
	if kind != "" {
		query, args = query+` AND kind = ?`, append(args, kind)
	}
	rows, done, err := q.Query(ctx, query+` ORDER BY at DESC, waybill LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("read customer's parcels: %w", err)
	}
	defer done()
	return Collect(rows, func(sc Scanner) (CustomerParcel, error) {
		var p CustomerParcel
		return p, sc.Scan(&p.Customer, &p.Kind, &p.Outlet, &p.Waybill, &p.At, &p.Fees)
	})
}

// CustomerCases implements Queries.CustomerCases.
func (q CustomerSQL) CustomerCases(ctx context.Context, id string) ([]CustomerCase, error) {
	rows, done, err := q.Query(ctx, `SELECT kind, id, customer, open, satisfaction FROM customer_cases WHERE customer = ? ORDER BY kind, id`, id)
	if err != nil {
		return nil, fmt.Errorf("read customer's cases: %w", err)
	}
	defer done()
	return Collect(rows, func(sc Scanner) (CustomerCase, error) {
		var c CustomerCase
		var open int64
		err := sc.Scan(&c.Kind, &c.ID, &c.Customer, &open, &c.Satisfaction)
		c.Open = open != 0
		return c, err
	})
}

// CustomerCase reads what a complaint or exception last gave its
// customer (ok false for nothing yet).
func (q CustomerSQL) CustomerCase(ctx context.Context, kind, id string) (CustomerCase, bool, error) {
	rows, done, err := q.Query(ctx, customerCaseSQL, kind, id)
	if err != nil {
		return CustomerCase{}, false, err
	}
	defer done()
	cc := CustomerCase{Kind: kind, ID: id}
	if !rows.Next() {
		return cc, false, rows.Err()
	}
	var open int64
	if err := rows.Scan(&cc.Customer, &open, &cc.Satisfaction); err != nil {
		return cc, false, err
	}
	cc.Open = open != 0
	return cc, true, nil
}

// PutCustomerCase writes what a complaint or exception last gave its
// customer.
func (q CustomerSQL) PutCustomerCase(ctx context.Context, cc CustomerCase) error {
	open := 0
	if cc.Open {
		open = 1
	}
	_, err := q.Exec(ctx, putCustomerCaseSQL,
		cc.Kind, cc.ID, cc.Customer, open, cc.Satisfaction)
	return err
}

// ClassInputs reads the customers' last seen and class, with the parcels
// and fees of their days from fromDay on, by id.
func (q CustomerSQL) ClassInputs(ctx context.Context, ids []string, fromDay int64) ([]Customer, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{fromDay, fromDay}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, done, err := q.Query(ctx, `SELECT c.id, c.last_seen, c.class,
		CAST(coalesce((SELECT sum(d.parcels) FROM customer_days d WHERE d.customer = c.id AND d.day >= ?), 0) AS BIGINT),
		CAST(coalesce((SELECT sum(d.fees) FROM customer_days d WHERE d.customer = c.id AND d.day >= ?), 0) AS BIGINT)
		FROM customers c WHERE c.id IN (?`+strings.Repeat(",?", len(ids)-1)+`) ORDER BY c.id`, args...)
	if err != nil {
		return nil, err
	}
	defer done()
	return Collect(rows, func(sc Scanner) (Customer, error) {
		var c Customer
		return c, sc.Scan(&c.ID, &c.LastSeen, &c.Class, &c.WindowParcels, &c.WindowFees)
	})
}

// PutClass sets a customer's class and window figures; moved records the
// change from from.
func (q CustomerSQL) PutClass(ctx context.Context, id, class string, at, parcels, fees int64, moved bool, from string) error {
	if _, err := q.Exec(ctx, putClassSQL,
		class, at, parcels, fees, id); err != nil {
		return err
	}
	if !moved {
		return nil
	}
	if _, err := q.Exec(ctx, addMoveSQL, id, at, from, class); err != nil {
		return err
	}
	_, err := q.Exec(ctx, pushClassSQL, class, id)
	return err
}

// ClassPushes implements Queries.ClassPushes.
func (q CustomerSQL) ClassPushes(ctx context.Context, limit int) ([]ClassPush, error) {
	rows, done, err := q.Query(ctx, `SELECT outlet, customer, class FROM class_pushes WHERE class <> '' ORDER BY outlet, customer LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("read classes to send: %w", err)
	}
	defer done()
	return Collect(rows, func(sc Scanner) (ClassPush, error) {
		var p ClassPush
		return p, sc.Scan(&p.Outlet, &p.Customer, &p.Class)
	})
}

// DeleteClassPushes drops sent classes: only rows still holding the
// class sent, so a change meanwhile is sent too.
func (q CustomerSQL) DeleteClassPushes(ctx context.Context, ps []ClassPush) error {
	for _, p := range ps {
		if _, err := q.Exec(ctx, `DELETE FROM class_pushes WHERE outlet = ? AND customer = ? AND class = ?`, p.Outlet, p.Customer, p.Class); err != nil {
			return err
		}
	}
	return nil
}

// ClearCustomers deletes every profile, for a rebuild.
func (q CustomerSQL) ClearCustomers(ctx context.Context) error {
	for _, t := range []string{"customers", "customer_outlets", "customer_days", "customer_cases", "customer_moves", "customer_parcels", "class_pushes", "class_counts"} {
		if _, err := q.Exec(ctx, `DELETE FROM `+t); err != nil {
			return fmt.Errorf("clear %s: %w", t, err)
		}
	}
	return nil
}

// PutEnterprise names a customer's enterprise account; ErrNotFound for
// no profile.
func (q CustomerSQL) PutEnterprise(ctx context.Context, id, name string) error {
	n, err := q.Exec(ctx, `UPDATE customers SET enterprise = ? WHERE id = ?`, name, id)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return err
}

// PutLang sets the language of a customer's messages (CustomerLangs);
// ErrNotFound for no profile.
func (q CustomerSQL) PutLang(ctx context.Context, id, lang string) error {
	if !slices.Contains(CustomerLangs, lang) {
		return fmt.Errorf("customer language %q: want one of %v", lang, CustomerLangs)
	}
	n, err := q.Exec(ctx, `UPDATE customers SET lang = ? WHERE id = ?`, lang, id)
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return err
}

// ClearContacts removes the latest contact (sealed and masked phone and
// name, and where they lie) of every customer whose contact is older than
// before (Unix ms): the retention purge's share of the profiles. With dry
// it only counts them.
func (q CustomerSQL) ClearContacts(ctx context.Context, before int64, dry bool) (int64, error) {
	const where = ` WHERE contact_at < ? AND (phone_sealed <> '' OR name_sealed <> '' OR phone_masked <> '' OR name_masked <> '')`
	if dry {
		rows, done, err := q.Query(ctx, `SELECT count(*) FROM customers`+where, before)
		if err != nil {
			return 0, fmt.Errorf("count contacts to purge: %w", err)
		}
		defer done()
		var n int64
		if rows.Next() {
			err = rows.Scan(&n)
		}
		return n, err
	}
	n, err := q.Exec(ctx, `UPDATE customers SET contact_outlet = '', contact_kind = '', contact_record = '',
		phone_sealed = '', phone_masked = '', name_sealed = '', name_masked = '', contact_at = 0`+where, before)
	if err != nil {
		return 0, fmt.Errorf("purge contacts: %w", err)
	}
	return n, nil
}

// Customer implements Queries.Customer.
func (q CustomerSQL) Customer(ctx context.Context, id string) (Customer, error) {
	rows, done, err := q.Query(ctx, `SELECT `+readColumns+` FROM customers WHERE id = ?`, id)
	if err != nil {
		return Customer{}, fmt.Errorf("read customer: %w", err)
	}
	defer done()
	cs, err := Collect(rows, scanCustomer)
	if err != nil {
		return Customer{}, fmt.Errorf("read customer: %w", err)
	}
	if len(cs) == 0 {
		return Customer{}, ErrNotFound
	}
	return cs[0], nil
}

// CustomerOutlets implements Queries.CustomerOutlets.
func (q CustomerSQL) CustomerOutlets(ctx context.Context, id string) ([]CustomerOutlet, error) {
	rows, done, err := q.Query(ctx, `SELECT customer, outlet, n, last_seen FROM customer_outlets WHERE customer = ? ORDER BY outlet`, id)
	if err != nil {
		return nil, fmt.Errorf("read customer's outlets: %w", err)
	}
	defer done()
	return Collect(rows, func(sc Scanner) (CustomerOutlet, error) {
		var o CustomerOutlet
		return o, sc.Scan(&o.Customer, &o.Outlet, &o.N, &o.LastSeen)
	})
}

// Customers implements Queries.Customers.
func (q CustomerSQL) Customers(ctx context.Context, f CustomerQuery) ([]Customer, error) {
	where, args := []string{"c.id > ?"}, []any{f.After}
	if f.Class != "" {
		where, args = append(where, "c.class = ?"), append(args, f.Class)
	}
	if f.Outlet != "" {
		where, args = append(where, "EXISTS (SELECT 1 FROM customer_outlets o WHERE o.customer = c.id AND o.outlet = ?)"), append(args, f.Outlet)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	rows, done, err := q.Query(ctx, `SELECT `+readColumns+` FROM customers c WHERE `+strings.Join(where, " AND ")+` ORDER BY c.id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	defer done()
	return Collect(rows, scanCustomer)
}

// AddClassCounts adds to the customers per class, in class order.
func (q CustomerSQL) AddClassCounts(ctx context.Context, ds []ClassCount) error {
	for _, d := range ds {
		if _, err := q.Exec(ctx, addClassCountSQL, d.Class, d.N); err != nil {
			return fmt.Errorf("count of class %s: %w", d.Class, err)
		}
	}
	return nil
}

// ClassCounts implements Queries.ClassCounts: the kept counts, one row a
// class, whatever the number of customers.
func (q CustomerSQL) ClassCounts(ctx context.Context) (map[string]int64, error) {
	rows, done, err := q.Query(ctx, `SELECT class, n FROM class_counts WHERE n <> 0`)
	if err != nil {
		return nil, fmt.Errorf("count customers by class: %w", err)
	}
	defer done()
	out := map[string]int64{}
	for rows.Next() {
		var c string
		var n int64
		if err := rows.Scan(&c, &n); err != nil {
			return nil, err
		}
		out[c] = n
	}
	return out, rows.Err()
}

// ClassMoves implements Queries.ClassMoves.
func (q CustomerSQL) ClassMoves(ctx context.Context, since int64) ([]ClassMove, error) {
	rows, done, err := q.Query(ctx, `SELECT customer, from_class, to_class, at FROM customer_moves WHERE at >= ? ORDER BY customer, at`, since)
	if err != nil {
		return nil, fmt.Errorf("read class moves: %w", err)
	}
	defer done()
	return Collect(rows, func(sc Scanner) (ClassMove, error) {
		var m ClassMove
		return m, sc.Scan(&m.Customer, &m.From, &m.To, &m.At)
	})
}
