// Package sqlite is the hub's embedded store on modernc.org/sqlite (pure Go):
// the store.Backend whose statements store.Core runs the commit semantics
// over. WAL mode, synchronous=FULL so a commit the hub acknowledges survives power
// loss, one write connection used for group commits and a small pool of
// read-only connections for the API, the broker's auth checks and pulls.
//
// Other processes (e.g. `yizhan-hub outlet add`) may open the same file while
// the hub runs: writers wait on busy_timeout instead of failing.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"math/bits"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	msqlite "modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

var (
	_ store.Store   = (*Store)(nil)
	_ store.Backend = (*backend)(nil)
)

// Options tune Open. The zero value is what the hub uses.
type Options struct {
	// BusyTimeout is how long a writer waits for another process's lock.
	BusyTimeout time.Duration
	// Readers is the size of the read-only connection pool.
	Readers int
	// Clock is the wall clock; clock.System if nil.
	Clock clock.Clock
	// Logger is told when Open tightens the file's permissions; nil for
	// none.
	Logger *slog.Logger
	// MaxSkew is how far ahead of the time it arrives an outlet's stamp
	// may lie before the event is flagged and folded at hlc.Capped of its
	// arrival; hlc.DefaultMaxSkew if zero. The hub's ingest uses the same.
	MaxSkew time.Duration
	// Limits are head office's deadline settings the case list orders its
	// queues by (store.Options.Limits); zero fields are the defaults. Nil
	// is a tool opening the store beside a running hub: the rows keep the
	// deadlines the hub gave them (no store.Core.Relist at Open), and its
	// own writes use the defaults.
	Limits *lifecycle.Limits
	// Location is the hub's time zone, whose days the measures count in
	// (store.Options.Location). Nil is a tool opening the store beside a
	// running hub, as with Limits: its rollups are left as that hub built
	// them (no store.Core.BuildRollups at Open), counted in UTC if it
	// writes.
	Location *time.Location
}

// Store is the hub's store.Store on one SQLite file: store.Core over
// this package's backend.
type Store struct {
	*store.Core
	b *backend
	*locker
}

// backend is the store.Backend on one SQLite file.
type backend struct {
	path  string
	w     *sql.DB // exactly one connection: SQLite has one writer anyway
	r     *sql.DB
	clock clock.Clock

	insDead, insPending, maxPending, delPending, hasPending           *sql.Stmt
	getOutlet, putOutlet, addCounter, insConflict, putClock, addTally *sql.Stmt
	getOutletDay, putOutletDay                                        *sql.Stmt
	// insEvents[i] and insHeld[i] insert 1<<i rows (insertChunk), and
	// putParcels[i] upserts 1<<i parcel index rows.
	insEvents, insHeld, putParcels []*sql.Stmt
	// customerStmts are store.CustomerSQL's statements on w, prepared at
	// first use (customers.go).
	customerStmts map[string]*sql.Stmt
}

// Open opens or creates the database at path and migrates it.
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	if opt.BusyTimeout == 0 {
		opt.BusyTimeout = 10 * time.Second
	}
	if opt.Readers == 0 {
		opt.Readers = 4
	}
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	if opt.MaxSkew <= 0 {
		opt.MaxSkew = hlc.DefaultMaxSkew
	}
	if err := private(path, opt.Logger); err != nil {
		return nil, err
	}
	dsn := func(extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", opt.BusyTimeout.Milliseconds()))
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		for _, e := range extra {
			k, v, _ := strings.Cut(e, "=")
			q.Add(k, v)
		}
		return "file:" + path + "?" + q.Encode()
	}
	// A multi-row INSERT keeps a statement journal, to undo a statement
	// that fails halfway; in memory it costs no file writes. secure_delete
	// zeroes what a write frees, so purged personal data leaves the file
	// (store.PurgePersonal).
	w, err := sql.Open("sqlite", dsn("_txlock=immediate", "_pragma=temp_store(MEMORY)", "_pragma=secure_delete(ON)"))
	if err != nil {
		return nil, fmt.Errorf("open hub database %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open hub database %s: %w (check the directory exists and is writable)", path, err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("hub database %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn("_pragma=query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open hub database %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(opt.Readers)
	r.SetMaxIdleConns(opt.Readers)
	b := &backend{path: path, w: w, r: r, clock: opt.Clock}
	if err := b.prepare(ctx); err != nil {
		b.Close()
		return nil, err
	}
	st := &Store{Core: store.New(b, store.Options{Clock: opt.Clock, MaxSkew: opt.MaxSkew, Limits: store.LimitsOr(opt.Limits), Location: opt.Location}), b: b, locker: &locker{path: path}}
	// One process at a time writes the file: a rebuild cannot interleave.
	if opt.Location != nil {
		if err := st.BuildRollups(ctx, opt.Logger); err != nil {
			b.Close()
			return nil, fmt.Errorf("hub database %s: %w", path, err)
		}
		if err := st.BuildCustomers(ctx, opt.Logger); err != nil {
			b.Close()
			return nil, fmt.Errorf("hub database %s: %w", path, err)
		}
	}
	if opt.Limits == nil {
		return st, nil
	}
	if _, err := st.Relist(ctx); err != nil {
		b.Close()
		return nil, fmt.Errorf("hub database %s: list the cases' deadlines: %w", path, err)
	}
	return st, nil
}

// Close gives up this process's leases and closes the database.
func (s *Store) Close() error {
	s.locker.close()
	return s.Core.Close()
}

// Ping reports whether the database file is still there and answers a
// read: the hub's health probe calls it every few seconds. A failed write
// (a disk turned read-only) shows in the commits' own errors.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := os.Stat(s.b.path); err != nil {
		return fmt.Errorf("hub database %s: %w", s.b.path, err)
	}
	var n int
	if err := s.b.r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master`).Scan(&n); err != nil {
		return fmt.Errorf("read hub database %s: %w", s.b.path, err)
	}
	return nil
}

const eventCols = `origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc`

func (s *backend) prepare(ctx context.Context) error {
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&s.putClock, `UPDATE outlets SET clock_offset_ms = ?, clock_skewed_events = clock_skewed_events + ? WHERE id = ?`},
		{&s.insDead, `INSERT INTO dead_letters (origin, epoch, seq, code, reason, event, at) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`},
		{&s.insPending, `INSERT INTO pending_ranges (origin, epoch, first, last) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`},
		{&s.maxPending, `SELECT max(last) FROM pending_ranges WHERE origin = ? AND epoch = ? AND first <= ?`},
		{&s.delPending, `DELETE FROM pending_ranges WHERE origin = ? AND epoch = ? AND first <= ?`},
		{&s.hasPending, `SELECT EXISTS (SELECT 1 FROM pending_ranges WHERE origin = ? AND epoch = ?)`},
		{&s.getOutlet, `SELECT acked_seq, down_cursor, epoch, incarnation, head, oldest_unsynced, rejects FROM outlets WHERE id = ?`},
		{&s.putOutlet, `INSERT INTO outlets (id, acked_seq, last_seen, down_cursor, created_at, incarnation, head, oldest_unsynced, rejects)
			VALUES (?,?,?,?,?,?,?,?,?)
			ON CONFLICT (id) DO UPDATE SET acked_seq = excluded.acked_seq, last_seen = excluded.last_seen,
				down_cursor = excluded.down_cursor, incarnation = excluded.incarnation, head = excluded.head,
				oldest_unsynced = excluded.oldest_unsynced, rejects = excluded.rejects`},
		{&s.addCounter, `INSERT INTO counters (name, n) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = n + excluded.n`},
		{&s.addTally, `INSERT INTO measure_tallies (day, outlet, person, name, n) VALUES (?,?,?,?,?)
			ON CONFLICT (day, outlet, person, name) DO UPDATE SET n = n + excluded.n`},
		{&s.getOutletDay, `SELECT counts FROM measure_outlet_days WHERE day = ? AND outlet = ?`},
		{&s.putOutletDay, `INSERT INTO measure_outlet_days (day, outlet, counts) VALUES (?,?,?)
			ON CONFLICT (day, outlet) DO UPDATE SET counts = excluded.counts`},
		{&s.insConflict, `INSERT INTO conflicts (origin, epoch, seq, held_id, sent_id, event, at) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`},
	} {
		st, err := s.w.PrepareContext(ctx, p.q)
		if err != nil {
			return fmt.Errorf("prepare statement on %s: %w", s.path, err)
		}
		*p.st = st
	}
	for n := 1; n <= insertChunk; n *= 2 {
		for _, t := range []struct {
			table string
			into  *[]*sql.Stmt
		}{{"events", &s.insEvents}, {"held_events", &s.insHeld}} {
			st, err := s.w.PrepareContext(ctx, insertEventsSQL(t.table, n))
			if err != nil {
				return fmt.Errorf("prepare statement on %s: %w", s.path, err)
			}
			*t.into = append(*t.into, st)
		}
		st, err := s.w.PrepareContext(ctx, putParcelsSQL(n))
		if err != nil {
			return fmt.Errorf("prepare statement on %s: %w", s.path, err)
		}
		s.putParcels = append(s.putParcels, st)
	}
	return s.prepareCustomers(ctx)
}

// private makes the database and its -wal and -shm files readable by the
// hub's user only: they hold every outlet's events and secret hashes.
// SQLite creates -wal and -shm with the database file's mode, so a new
// database is created 0600 before SQLite opens it; existing files with
// wider modes are tightened, and the change is logged.
func private(path string, log *slog.Logger) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open hub database %s: %w (check the directory exists and is writable)", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("hub database %s: %w", p, err)
		}
		if fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		if err := os.Chmod(p, 0o600); err != nil {
			return fmt.Errorf("make hub database %s private (mode %v): %w", p, fi.Mode().Perm(), err)
		}
		if log != nil {
			log.Warn("hub database file was readable by others; made it private", "file", p, "was", fi.Mode().Perm().String(), "now", "-rw-------")
		}
	}
	return nil
}

// IsBusy says whether err is SQLite finding the database locked by another
// connection or process (SQLITE_BUSY, SQLITE_LOCKED) once busy_timeout ran
// out: a condition to retry, not a fault.
func IsBusy(err error) bool {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// Close closes both connection pools.
func (s *backend) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// Begin implements store.Backend: the write connection begins IMMEDIATE
// transactions, so the database lock is held from here to the commit and
// every Tx lock is a plain read.
func (s *backend) Begin(ctx context.Context) (store.Tx, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin transaction on %s: %w", s.path, err)
	}
	return &txn{s: s, tx: tx, capped: true}, nil
}

// Retryable implements store.Backend. SQLite has one writer: a busy
// database waited busy_timeout already, and the API answers it with 503.
func (s *backend) Retryable(error) bool { return false }

// txn is a store.Tx on the write connection.
type txn struct {
	s  *backend
	tx *sql.Tx
	// capped is false in migrations that run before events had order_hlc;
	// beforeDue is true in those that run before cases had owner and due
	// (migration 10).
	capped, beforeDue bool
}

func (t *txn) stmt(ctx context.Context, p *sql.Stmt) *sql.Stmt { return t.tx.StmtContext(ctx, p) }

func (t *txn) Commit() error {
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("commit to %s: %w", t.s.path, err)
	}
	return nil
}

func (t *txn) Rollback() error { return t.tx.Rollback() }

func (t *txn) LockOutlet(ctx context.Context, id string) (store.Stream, error) {
	var acked, cursor, epoch, rejects int64
	var head sql.NullInt64
	var st store.Stream
	err := t.stmt(ctx, t.s.getOutlet).QueryRowContext(ctx, id).Scan(&acked, &cursor, &epoch, &st.Incarnation, &head, &st.Oldest, &rejects)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return st, err
	}
	st.Acked, st.Cursor, st.Epoch, st.Rejects = uint64(acked), uint64(cursor), uint64(epoch), uint64(rejects)
	st.Head, st.HeadKnown = uint64(head.Int64), head.Valid
	return st, nil
}

func (t *txn) PutOutlet(ctx context.Context, id string, o store.Stream, now int64) error {
	var head any
	if o.HeadKnown {
		head = int64(o.Head)
	}
	_, err := t.stmt(ctx, t.s.putOutlet).ExecContext(ctx, id, int64(o.Acked), now, int64(o.Cursor), now, o.Incarnation,
		head, o.Oldest, int64(o.Rejects))
	return err
}

func (t *txn) PutClock(ctx context.Context, id string, offsetMS, skewed int64) error {
	_, err := t.stmt(ctx, t.s.putClock).ExecContext(ctx, offsetMS, skewed, id)
	return err
}

func (t *txn) Holding(ctx context.Context, origin string, epoch, first, last uint64) (map[uint64]store.HeldAt, error) {
	have := map[uint64]store.HeldAt{}
	for _, q := range []struct {
		sql  string
		dead bool
	}{
		{`SELECT seq, id, payload FROM events WHERE origin = ? AND epoch = ? AND seq BETWEEN ? AND ?`, false},
		{`SELECT seq, id, payload FROM held_events WHERE origin = ? AND epoch = ? AND seq BETWEEN ? AND ?`, false},
		{`SELECT seq, coalesce(json_extract(event, '$.id'), ''), NULL FROM dead_letters WHERE origin = ? AND epoch = ? AND seq BETWEEN ? AND ?`, true},
	} {
		rows, err := t.tx.QueryContext(ctx, q.sql, origin, int64(epoch), int64(first), int64(last))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var seq int64
			var payload sql.NullString
			h := store.HeldAt{Dead: q.dead}
			if err := rows.Scan(&seq, &h.ID, &payload); err != nil {
				rows.Close()
				return nil, err
			}
			h.HasBody, h.Payload = payload.Valid, []byte(payload.String)
			have[uint64(seq)] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return have, nil
}

// insertChunk is the most rows one INSERT statement carries. One statement
// for many rows saves database/sql's and SQLite's cost per statement; 13
// values a row stay far below SQLite's limit on parameters. Statements for
// every power of two up to it are prepared at Open (the write connection is
// the transaction's, so none can be prepared on it later), and a group of
// rows takes the largest that fits, then the next.
const insertChunk = 128

// InsertEvents implements store.Tx with multi-row INSERTs. When a
// statement inserts every row it carries, all are new; when it inserts
// fewer, it is undone to a savepoint and its rows are inserted one by one,
// each one's count of changes saying whether it was new. Reading the new
// keys back with RETURNING costs more than the savepoint.
func (t *txn) InsertEvents(ctx context.Context, rows []store.Row, held bool) ([]bool, error) {
	fresh := make([]bool, len(rows))
	stmts := t.s.insEvents
	if held {
		stmts = t.s.insHeld
	}
	args := make([]any, 0, 13*min(len(rows), insertChunk))
	for start := 0; start < len(rows); {
		n := insertChunk
		for n > len(rows)-start {
			n /= 2
		}
		chunk := rows[start : start+n]
		args = args[:0]
		for _, r := range chunk {
			args = appendEventArgs(args, r)
		}
		if _, err := t.tx.ExecContext(ctx, "SAVEPOINT insert_events"); err != nil {
			return nil, err
		}
		first, last := chunk[0].Event, chunk[n-1].Event
		res, err := t.stmt(ctx, stmts[bits.TrailingZeros(uint(n))]).ExecContext(ctx, args...)
		if err != nil {
			return nil, fmt.Errorf("events %s/%d..%s/%d: %w", first.Origin, first.Seq, last.Origin, last.Seq, err)
		}
		if k, _ := res.RowsAffected(); k == int64(n) {
			for i := range chunk {
				fresh[start+i] = true
			}
		} else if _, err := t.tx.ExecContext(ctx, "ROLLBACK TO insert_events"); err != nil {
			return nil, err
		} else {
			one := t.stmt(ctx, stmts[0])
			for i, r := range chunk {
				res, err := one.ExecContext(ctx, appendEventArgs(args[:0], r)...)
				if err != nil {
					return nil, fmt.Errorf("event %s/%d: %w", r.Event.Origin, r.Event.Seq, err)
				}
				k, _ := res.RowsAffected()
				fresh[start+i] = k == 1
			}
		}
		if _, err := t.tx.ExecContext(ctx, "RELEASE insert_events"); err != nil {
			return nil, err
		}
		start += n
	}
	return fresh, nil
}

// appendEventArgs appends one row's values in eventCols order.
func appendEventArgs(args []any, r store.Row) []any {
	e := r.Event
	var payload, order any
	if len(e.Payload) > 0 {
		payload = string(e.Payload)
	}
	if r.Order != 0 {
		order = int64(r.Order)
	}
	return append(args, e.Origin, int64(r.Epoch), int64(e.Seq), e.ID, int64(e.HLC), e.Actor, e.Type, e.V,
		e.Subject, e.Target, payload, r.ReceivedAt, order)
}

// insertEventsSQL is the INSERT of n event rows into table.
func insertEventsSQL(table string, n int) string {
	var q strings.Builder
	q.WriteString("INSERT INTO " + table + " (" + eventCols + ") VALUES ")
	for i := range n {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?)")
	}
	q.WriteString(" ON CONFLICT DO NOTHING")
	return q.String()
}

func (t *txn) InsertDeadLetters(ctx context.Context, ds []store.DeadLetter) error {
	ins := t.stmt(ctx, t.s.insDead)
	for _, d := range ds {
		if _, err := ins.ExecContext(ctx, d.Origin, int64(d.Epoch), int64(d.Seq), d.Code, d.Reason, string(d.Event), d.At.UnixMilli()); err != nil {
			return fmt.Errorf("dead letter %s/%d: %w", d.Origin, d.Seq, err)
		}
	}
	return nil
}

func (t *txn) InsertConflict(ctx context.Context, c store.Conflict) (bool, error) {
	res, err := t.stmt(ctx, t.s.insConflict).ExecContext(ctx, c.Origin, int64(c.Epoch), int64(c.Seq), c.HeldID, c.SentID, string(c.Event), c.At.UnixMilli())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (t *txn) HasPending(ctx context.Context, origin string, epoch uint64) (bool, error) {
	var ok bool
	err := t.stmt(ctx, t.s.hasPending).QueryRowContext(ctx, origin, int64(epoch)).Scan(&ok)
	return ok, err
}

func (t *txn) AddPending(ctx context.Context, origin string, epoch, first, last uint64) error {
	_, err := t.stmt(ctx, t.s.insPending).ExecContext(ctx, origin, int64(epoch), int64(first), int64(last))
	return err
}

func (t *txn) MaxPending(ctx context.Context, origin string, epoch, upTo uint64) (uint64, bool, error) {
	var m sql.NullInt64
	if err := t.stmt(ctx, t.s.maxPending).QueryRowContext(ctx, origin, int64(epoch), int64(upTo)).Scan(&m); err != nil {
		return 0, false, err
	}
	return uint64(m.Int64), m.Valid, nil
}

func (t *txn) DropPending(ctx context.Context, origin string, epoch, upTo uint64) error {
	_, err := t.stmt(ctx, t.s.delPending).ExecContext(ctx, origin, int64(epoch), int64(upTo))
	return err
}

func (t *txn) Release(ctx context.Context, origin string, epoch, from, through uint64) ([]syncproto.Event, error) {
	evs, err := scanEvents(t.tx.QueryContext(ctx, `SELECT `+store.EventColumns+`
		FROM held_events WHERE origin = ? AND epoch = ? AND seq > ? AND seq <= ? ORDER BY seq`,
		origin, int64(epoch), int64(from), int64(through)))
	if err != nil || len(evs) == 0 {
		return nil, err
	}
	if _, err := t.tx.ExecContext(ctx, `INSERT INTO events (`+eventCols+`) SELECT `+eventCols+` FROM held_events
		WHERE origin = ? AND epoch = ? AND seq > ? AND seq <= ? ON CONFLICT DO NOTHING`,
		origin, int64(epoch), int64(from), int64(through)); err != nil {
		return nil, err
	}
	if _, err := t.tx.ExecContext(ctx, `DELETE FROM held_events WHERE origin = ? AND epoch = ? AND seq > ? AND seq <= ?`,
		origin, int64(epoch), int64(from), int64(through)); err != nil {
		return nil, err
	}
	return evs, nil
}

// LockSubject implements store.Tx: the database lock already holds it.
func (t *txn) LockSubject(context.Context, string, string) error { return nil }

func (t *txn) SubjectEvents(ctx context.Context, subject string) ([]syncproto.Event, error) {
	return subjectEventsOf(ctx, t.tx, subject, t.capped)
}

func (t *txn) PutCase(ctx context.Context, c store.Case) error {
	if t.beforeDue {
		_, err := t.tx.ExecContext(ctx, `INSERT INTO cases (kind, id, outlet, state, open, label, since, hlc) VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (kind, id) DO UPDATE SET outlet = excluded.outlet, state = excluded.state, open = excluded.open,
			label = excluded.label, since = excluded.since, hlc = excluded.hlc`,
			c.Kind, c.ID, c.Outlet, c.State, c.Open, c.Label, c.Since, int64(c.HLC))
		return err
	}
	_, err := t.tx.ExecContext(ctx, `INSERT INTO cases (kind, id, outlet, state, open, label, since, hlc, owner, due) VALUES (?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (kind, id) DO UPDATE SET outlet = excluded.outlet, state = excluded.state, open = excluded.open,
			label = excluded.label, since = excluded.since, hlc = excluded.hlc, owner = excluded.owner, due = excluded.due`,
		c.Kind, c.ID, c.Outlet, c.State, c.Open, c.Label, c.Since, int64(c.HLC), c.Owner, c.Due)
	return err
}

func (t *txn) PutSetting(ctx context.Context, name, value string) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

func (t *txn) DeleteCase(ctx context.Context, kind, id string) error {
	_, err := t.tx.ExecContext(ctx, `DELETE FROM cases WHERE kind = ? AND id = ?`, kind, id)
	return err
}

func (t *txn) AddCounters(ctx context.Context, n map[string]uint64) error {
	add := t.stmt(ctx, t.s.addCounter)
	for _, k := range slices.Sorted(maps.Keys(n)) {
		if _, err := add.ExecContext(ctx, k, int64(n[k])); err != nil {
			return fmt.Errorf("counter %s: %w", k, err)
		}
	}
	return nil
}

// NextDownSeq implements store.Tx: max(seq)+1 under the database lock.
func (t *txn) NextDownSeq(ctx context.Context) (uint64, error) {
	var top int64
	err := t.tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM downlink`).Scan(&top)
	return uint64(top) + 1, err
}

func (t *txn) InsertDown(ctx context.Context, seq uint64, target string, event []byte, now int64) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO downlink (seq, target, event, created_at) VALUES (?,?,?,?)`,
		int64(seq), target, string(event), now)
	return err
}

func (t *txn) ClaimOnce(ctx context.Context, key string, downSeq uint64) (bool, error) {
	res, err := t.tx.ExecContext(ctx, `INSERT INTO serial_once (key, down_seq) VALUES (?, ?) ON CONFLICT DO NOTHING`, key, int64(downSeq))
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

func (t *txn) Serial(ctx context.Context, name string) (uint64, error) {
	var next int64
	err := t.tx.QueryRowContext(ctx, `SELECT next FROM serials WHERE name = ?`, name).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return uint64(next), err
}

func (t *txn) PutSerial(ctx context.Context, name string, next uint64) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO serials (name, next) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET next = excluded.next`,
		name, int64(next))
	return err
}

// StartIncarnation implements store.Store.
func (s *backend) StartIncarnation(ctx context.Context, outlet, incarnation string) (store.Outlet, error) {
	r, err := s.w.ExecContext(ctx, `UPDATE outlets SET epoch = epoch + 1, incarnation = ?, acked_seq = 0, head = NULL, oldest_unsynced = 0
		WHERE id = ?`, incarnation, outlet)
	if err != nil {
		return store.Outlet{}, fmt.Errorf("start a new incarnation of outlet %s in %s: %w", outlet, s.path, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return store.Outlet{}, fmt.Errorf("outlet %s: %w", outlet, store.ErrNotFound)
	}
	return s.outletFrom(ctx, s.w, outlet)
}

// Conflicts implements store.Store.
func (s *backend) Conflicts(ctx context.Context, outlet string, limit int) ([]store.Conflict, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+store.ConflictColumns+` FROM conflicts
		WHERE origin = ? ORDER BY at DESC, epoch DESC, seq DESC LIMIT ?`, outlet, limit)
	if err != nil {
		return nil, fmt.Errorf("read conflicts of %s: %w", outlet, err)
	}
	defer rows.Close()
	out, err := store.Collect(rows, store.ScanConflict)
	if err != nil {
		return nil, fmt.Errorf("read conflicts of %s: %w", outlet, err)
	}
	return out, nil
}

// AddOutlet implements store.Store.
func (s *backend) AddOutlet(ctx context.Context, id, secretHash string, replace bool) error {
	now := s.clock.Now().UnixMilli()
	q := `INSERT INTO outlets (id, secret_hash, created_at) VALUES (?,?,?)
		ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash WHERE outlets.secret_hash = ''`
	if replace {
		q = `INSERT INTO outlets (id, secret_hash, created_at) VALUES (?,?,?)
		ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash`
	}
	r, err := s.w.ExecContext(ctx, q, id, secretHash, now)
	if err != nil {
		return fmt.Errorf("register outlet %s in %s: %w", id, s.path, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("outlet %s: %w", id, store.ErrExists)
	}
	return nil
}

// SecretHash implements store.Store.
func (s *backend) SecretHash(ctx context.Context, id string) (string, error) {
	var h string
	err := s.r.QueryRowContext(ctx, `SELECT secret_hash FROM outlets WHERE id = ?`, id).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && h == "") {
		return "", fmt.Errorf("outlet %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("read outlet %s: %w", id, err)
	}
	return h, nil
}

// Outlets implements store.Store.
func (s *backend) Outlets(ctx context.Context) ([]store.Outlet, error) {
	return s.FindOutlets(ctx, store.OutletQuery{})
}

// FindOutlets implements store.Store.
func (s *backend) FindOutlets(ctx context.Context, q store.OutletQuery) ([]store.Outlet, error) {
	where, args := []string{"1"}, []any{}
	if q.Region != "" {
		where, args = append(where, "o.region = ?"), append(args, q.Region)
	}
	if q.City != "" {
		where, args = append(where, "o.city = ?"), append(args, q.City)
	}
	if q.IDPrefix != "" {
		where, args = append(where, "substr(o.id, 1, length(?)) = ?"), append(args, q.IDPrefix, q.IDPrefix)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+store.OutletColumns+` FROM outlets o WHERE `+strings.Join(where, " AND ")+` ORDER BY o.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list outlets: %w", err)
	}
	defer rows.Close()
	var out []store.Outlet
	for rows.Next() {
		o, err := store.ScanOutlet(rows)
		if err != nil {
			return nil, fmt.Errorf("list outlets: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Outlet implements store.Store.
func (s *backend) Outlet(ctx context.Context, id string) (store.Outlet, error) {
	return s.outletFrom(ctx, s.r, id)
}

func (s *backend) outletFrom(ctx context.Context, db *sql.DB, id string) (store.Outlet, error) {
	o, err := store.ScanOutlet(db.QueryRowContext(ctx, `SELECT `+store.OutletColumns+` FROM outlets o WHERE o.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("outlet %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("read outlet %s: %w", id, err)
	}
	return o, nil
}

// DeadLetters implements store.Store; newest first.
func (s *backend) DeadLetters(ctx context.Context, outlet string, limit int) ([]store.DeadLetter, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+store.DeadLetterColumns+` FROM dead_letters
		WHERE origin = ? ORDER BY epoch DESC, seq DESC LIMIT ?`, outlet, limit)
	if err != nil {
		return nil, fmt.Errorf("read dead letters of %s: %w", outlet, err)
	}
	defer rows.Close()
	out, err := store.Collect(rows, store.ScanDeadLetter)
	if err != nil {
		return nil, fmt.Errorf("read dead letters of %s: %w", outlet, err)
	}
	return out, nil
}

// Counters implements store.Store.
func (s *backend) Counters(ctx context.Context) (map[string]uint64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, n FROM counters`)
	if err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	defer rows.Close()
	out, err := store.ScanCounters(rows)
	if err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	return out, nil
}

// SubjectEvents implements store.Store.
func (s *backend) SubjectEvents(ctx context.Context, subject string) ([]syncproto.Event, error) {
	return subjectEvents(ctx, s.r, subject)
}

// StreamEvents implements store.Queries.
func (s *backend) StreamEvents(ctx context.Context, origin string, epoch, from, through uint64, limit int) ([]syncproto.Event, []syncproto.Rejection, error) {
	if from > math.MaxInt64 || through > math.MaxInt64 || limit <= 0 {
		return nil, nil, nil
	}
	evs, err := scanEvents(s.r.QueryContext(ctx, `SELECT `+store.EventColumns+` FROM events
		WHERE origin = ? AND epoch = ? AND seq BETWEEN ? AND ? ORDER BY seq LIMIT ?`, origin, epoch, int64(from), int64(through), limit))
	if err != nil {
		return nil, nil, fmt.Errorf("read events %d..%d of %s: %w", from, through, origin, err)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seq, code, reason FROM dead_letters
		WHERE origin = ? AND epoch = ? AND seq BETWEEN ? AND ? ORDER BY seq LIMIT ?`, origin, epoch, int64(from), int64(through), limit)
	if err != nil {
		return nil, nil, fmt.Errorf("read dead letters %d..%d of %s: %w", from, through, origin, err)
	}
	defer rows.Close()
	rej, err := store.Collect(rows, store.ScanRejection)
	if err != nil {
		return nil, nil, fmt.Errorf("read dead letters %d..%d of %s: %w", from, through, origin, err)
	}
	return evs, rej, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func subjectEvents(ctx context.Context, q querier, subject string) ([]syncproto.Event, error) {
	return subjectEventsOf(ctx, q, subject, true)
}

// subjectEventsOf is subjectEvents; a migration that runs before
// migration 6 passes capped false, as its table has no order_hlc yet.
func subjectEventsOf(ctx context.Context, q querier, subject string, capped bool) ([]syncproto.Event, error) {
	order := "order_hlc"
	if !capped {
		order = "NULL"
	}
	// "subject <> ''" lets SQLite use the partial index events_subject.
	evs, err := scanEvents(q.QueryContext(ctx, `SELECT origin, seq, id, hlc, actor, type, v, subject, target, payload, `+order+`
		FROM events WHERE subject = ? AND subject <> '' ORDER BY coalesce(`+order+`, hlc), origin, seq`, subject))
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", subject, err)
	}
	return evs, nil
}

// column is t as the INTEGER column holds it. syncproto.CheckEvent keeps
// every stamp below hlc.HorizonMillis, which fits; this refuses, rather
// than wraps negative, one that got past it.
func column(t hlc.Timestamp) (int64, error) {
	if uint64(t) > math.MaxInt64 {
		return 0, fmt.Errorf("HLC stamp %d does not fit the store", uint64(t))
	}
	return int64(t), nil
}

// scanEvents reads rows of store.EventColumns.
func scanEvents(rows *sql.Rows, err error) ([]syncproto.Event, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanEvent)
}

// refreshCaseOf rewrites one entity's case-list row inside a migration's
// transaction; capped as for subjectEventsOf.
func refreshCaseOf(ctx context.Context, tx *sql.Tx, k store.CaseKey, capped bool) error {
	var due bool
	if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM pragma_table_info('cases') WHERE name = 'due'`).Scan(&due); err != nil {
		return err
	}
	return store.RefreshCase(ctx, &txn{tx: tx, capped: capped, beforeDue: !due}, k, lifecycle.Limits{})
}

// refreshCase is refreshCaseOf for a migration after order_hlc exists.
func refreshCase(ctx context.Context, tx *sql.Tx, k store.CaseKey) error {
	return refreshCaseOf(ctx, tx, k, true)
}

// Cases implements store.Store.
func (s *backend) Cases(ctx context.Context, q store.CaseQuery) ([]store.Case, error) {
	var args []any
	query := `SELECT ` + store.CaseColumns + ` FROM cases` + store.CaseSelect(q, func(v any) string {
		args = append(args, v)
		return "?"
	}, false)
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", q.Kind, err)
	}
	defer rows.Close()
	out, err := store.Collect(rows, store.ScanCase)
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", q.Kind, err)
	}
	return out, nil
}

// CountCases implements store.Store.
func (s *backend) CountCases(ctx context.Context, q store.CaseQuery) (int64, error) {
	var args []any
	query := `SELECT count(*) FROM cases` + store.CaseSelect(q, func(v any) string {
		args = append(args, v)
		return "?"
	}, true)
	var n int64
	if err := s.r.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %ss: %w", q.Kind, err)
	}
	return n, nil
}

// OutletCounts implements store.Store.
func (s *backend) OutletCounts(ctx context.Context, seenSince, staleBefore int64) (store.OutletCounts, error) {
	var c store.OutletCounts
	err := s.r.QueryRowContext(ctx, store.OutletCountsSQL("?", "?"), seenSince, staleBefore).Scan(&c.Total, &c.Seen, &c.Stale, &c.WithDeadLetters)
	if err != nil {
		return c, fmt.Errorf("count outlets: %w", err)
	}
	return c, nil
}

// DeadLettersBefore implements store.Store.
func (s *backend) DeadLettersBefore(ctx context.Context, outlet string, before *store.DeadLetterPos, limit int) ([]store.DeadLetter, error) {
	e, q := int64(math.MaxInt64), int64(math.MaxInt64)
	if before != nil {
		e, q = int64(before.Epoch), int64(before.Seq)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+store.DeadLetterColumns+` FROM dead_letters
		WHERE origin = ? AND (epoch < ? OR (epoch = ? AND seq < ?)) ORDER BY epoch DESC, seq DESC LIMIT ?`, outlet, e, e, q, limit)
	if err != nil {
		return nil, fmt.Errorf("list dead letters of %s: %w", outlet, err)
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanDeadLetter)
}

// Setting implements store.Store.
func (s *backend) Setting(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, true, nil
}

// Down implements store.Store.
func (s *backend) Down(ctx context.Context, outlet string, since uint64, maxEvents, maxBytes int) ([]syncproto.Event, uint64, bool, error) {
	// Read the head first: every sequence at or below it is committed, so
	// (since, head] is a consistent range even while appends continue.
	var top int64
	if err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM downlink`).Scan(&top); err != nil {
		return nil, 0, false, fmt.Errorf("read downlink head: %w", err)
	}
	if uint64(top) <= since {
		return nil, since, false, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT seq, event FROM downlink
		WHERE seq > ? AND seq <= ? AND (target = ? OR target = '*') ORDER BY seq LIMIT ?`,
		int64(since), top, outlet, maxEvents+1)
	if err != nil {
		return nil, 0, false, fmt.Errorf("read downlink of %s: %w", outlet, err)
	}
	defer rows.Close()
	var out []syncproto.Event
	size := 0
	for rows.Next() {
		var seq int64
		var js string
		if err := rows.Scan(&seq, &js); err != nil {
			return nil, 0, false, fmt.Errorf("read downlink of %s: %w", outlet, err)
		}
		if len(out) == maxEvents || (len(out) > 0 && size+len(js) > maxBytes) {
			return out, out[len(out)-1].Seq, true, nil
		}
		var e syncproto.Event
		if err := json.Unmarshal([]byte(js), &e); err != nil {
			return nil, 0, false, fmt.Errorf("downlink event %d is corrupt: %w", seq, err)
		}
		size += len(js)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, false, fmt.Errorf("read downlink of %s: %w", outlet, err)
	}
	return out, uint64(top), false, nil
}

// SetPlace implements store.Store.
func (s *backend) SetPlace(ctx context.Context, id string, p store.Place) (store.Outlet, error) {
	r, err := s.w.ExecContext(ctx, `UPDATE outlets SET region = coalesce(?, region), city = coalesce(?, city) WHERE id = ?`,
		p.Region, p.City, id)
	if err != nil {
		return store.Outlet{}, fmt.Errorf("set region and city of outlet %s in %s: %w", id, s.path, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return store.Outlet{}, fmt.Errorf("outlet %s: %w", id, store.ErrNotFound)
	}
	return s.outletFrom(ctx, s.w, id)
}

// Regions implements store.Store.
func (s *backend) Regions(ctx context.Context) ([]store.Region, error) {
	rows, err := s.r.QueryContext(ctx, store.RegionsSQL)
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	defer rows.Close()
	out, err := store.ScanRegions(rows)
	if err != nil {
		return nil, fmt.Errorf("list regions: %w", err)
	}
	return out, nil
}

// SearchParcels implements store.Store.
func (s *backend) SearchParcels(ctx context.Context, q store.ParcelQuery) ([]store.ParcelRow, error) {
	query, args := store.ParcelSearchSQL(q, func(n int) string { return fmt.Sprintf("?%d", n) })
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("search parcels %q: %w", q.Prefix, err)
	}
	defer rows.Close()
	out, err := store.Collect(rows, store.ScanParcel)
	if err != nil {
		return nil, fmt.Errorf("search parcels %q: %w", q.Prefix, err)
	}
	return out, nil
}

// inList is "(?,?,…)" for n values and the values as arguments after
// head.
func inList(head []any, vs []string) (string, []any) {
	args := append(head, make([]any, 0, len(vs))...)
	for _, v := range vs {
		args = append(args, v)
	}
	return "(?" + strings.Repeat(",?", len(vs)-1) + ")", args
}

// ParcelsKnown implements store.Tx.
func (t *txn) ParcelsKnown(ctx context.Context, outlet string, waybills []string) (map[string]bool, error) {
	known := map[string]bool{}
	if len(waybills) == 0 {
		return known, nil
	}
	in, args := inList([]any{outlet}, waybills)
	rows, err := t.tx.QueryContext(ctx, `SELECT waybill FROM parcels WHERE outlet = ? AND waybill IN `+in, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			return nil, err
		}
		known[w] = true
	}
	return known, rows.Err()
}

// ParcelEvents implements store.Tx.
func (t *txn) ParcelEvents(ctx context.Context, outlet string, waybills []string) ([]syncproto.Event, error) {
	if len(waybills) == 0 {
		return nil, nil
	}
	in, args := inList([]any{outlet}, waybills)
	// "subject <> ''" lets SQLite use the partial index events_subject.
	return scanEvents(t.tx.QueryContext(ctx, `SELECT `+store.EventColumns+` FROM events
		WHERE origin = ? AND subject IN `+in+` AND subject <> '' AND type LIKE 'parcel.%'`, args...))
}

// PutParcels implements store.Tx with the multi-row upserts prepared at
// Open (insertChunk rows at most), as InsertEvents does.
func (t *txn) PutParcels(ctx context.Context, rows []store.ParcelRow) error {
	args := make([]any, 0, 4*min(len(rows), insertChunk))
	for start := 0; start < len(rows); {
		n := insertChunk
		for n > len(rows)-start {
			n /= 2
		}
		args = args[:0]
		for _, r := range rows[start : start+n] {
			args = append(args, r.Waybill, r.Outlet, r.State, r.Since)
		}
		var err error
		if t.s == nil { // a migration's transaction: nothing prepared
			_, err = t.tx.ExecContext(ctx, putParcelsSQL(n), args...)
		} else {
			_, err = t.stmt(ctx, t.s.putParcels[bits.TrailingZeros(uint(n))]).ExecContext(ctx, args...)
		}
		if err != nil {
			return err
		}
		start += n
	}
	return nil
}

// putParcelsSQL is the upsert of n parcel index rows.
func putParcelsSQL(n int) string {
	return `INSERT INTO parcels (waybill, outlet, state, since) VALUES (?,?,?,?)` + strings.Repeat(",(?,?,?,?)", n-1) + `
		ON CONFLICT (waybill, outlet) DO UPDATE SET state = excluded.state, since = excluded.since`
}
