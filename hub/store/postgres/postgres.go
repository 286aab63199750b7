// Package postgres is head office's store on PostgreSQL through pgx (a
// pgxpool of connections): the store.Backend whose statements store.Core
// runs the commit semantics over, so that several hub processes can share
// one database. It keeps SQLite's tables (see migrations.go), with events
// partitioned by month so that retention drops whole months.
//
// Transactions run at READ COMMITTED; what several hubs must not do at
// once is serialised by locks held to the commit: an outlet's row (SELECT
// ... FOR UPDATE), an advisory lock per case-list entity, and the one row
// of downlink_head, whose update numbers downlink events gap-free and in
// commit order. Batches are written with one multi-row statement each.
// When PostgreSQL cannot be reached every call fails (bounded by its
// context and the connect timeout) and the pool reconnects by itself
// when it is back.
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

var (
	_ store.Store   = (*Store)(nil)
	_ store.Backend = (*backend)(nil)
)

// Options tune Open. The zero value is what the hub uses.
type Options struct {
	// Clock is the wall clock; clock.System if nil. It also decides which
	// month partitions exist.
	Clock clock.Clock
	// MaxSkew is how far ahead of the time it arrives an outlet's stamp
	// may lie before the event is flagged and folded at hlc.Capped of its
	// arrival; hlc.DefaultMaxSkew if zero. The hub's ingest uses the same.
	MaxSkew time.Duration
	// Location is the hub's time zone, whose days the measures count in
	// (store.Options.Location); UTC if nil.
	Location *time.Location
	// Logger is told about partitions created; nil for none.
	Logger *slog.Logger
	// MaxConns is the pool's size; 8 if zero. The hub's writer uses one
	// connection per group commit, the API and the broker's auth checks
	// the others.
	MaxConns int32
	// ConnectTimeout bounds one connection attempt, unless the DSN sets
	// connect_timeout; 5 s if zero.
	ConnectTimeout time.Duration
	// Limits are head office's deadline settings the case list orders its
	// queues by (store.Options.Limits); zero fields are the defaults. Nil
	// is a tool opening the store beside a running hub: the rows keep the
	// deadlines the hub gave them (no store.Core.Relist at Open), and its
	// own writes use the defaults.
	Limits *lifecycle.Limits
}

// Store is the hub's store.Store on one PostgreSQL database: store.Core
// over this package's backend.
type Store struct {
	*store.Core
	b      *backend
	leases leases // lock.go
}

// backend is the store.Backend on one PostgreSQL database.
type backend struct {
	pool  *pgxpool.Pool
	name  string // the database, for messages: no password
	clock clock.Clock
	log   *slog.Logger

	// monthsNext is when Begin next looks for missing month partitions;
	// monthsLockTimeout bounds how long the maintenance waits for a lock.
	monthsMu          sync.Mutex
	monthsNext        time.Time
	monthsLockTimeout time.Duration
}

// Open connects to the database dsn names (postgres://user:pass@host:port/db
// or key=value pairs), migrates it and makes sure the month partitions
// around now exist.
func Open(ctx context.Context, dsn string, opt Options) (*Store, error) {
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	if opt.MaxSkew <= 0 {
		opt.MaxSkew = hlc.DefaultMaxSkew
	}
	if opt.MaxConns <= 0 {
		opt.MaxConns = 8
	}
	if opt.ConnectTimeout <= 0 {
		opt.ConnectTimeout = 5 * time.Second
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgconn's parse error quotes the DSN with its password cut out.
		return nil, fmt.Errorf("%w (want postgres://user:password@host:5432/database): %v", ErrBadDSN, err)
	}
	cfg.MaxConns = opt.MaxConns
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = opt.ConnectTimeout
	}
	name := describe(cfg.ConnConfig)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open hub database %s: %w", name, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open hub database %s: %w (check that PostgreSQL runs there and the user may connect)", name, err)
	}
	if err := migrate(ctx, pool, SchemaVersion()); err != nil {
		pool.Close()
		return nil, fmt.Errorf("hub database %s: %w", name, err)
	}
	b := &backend{pool: pool, name: name, clock: opt.Clock, log: opt.Logger, monthsLockTimeout: 5 * time.Second}
	if err := b.ensureMonths(ctx, opt.Clock.Now()); err != nil {
		pool.Close()
		return nil, fmt.Errorf("hub database %s: %w", name, err)
	}
	b.monthsNext = opt.Clock.Now().Add(checkEvery)
	st := &Store{Core: store.New(b, store.Options{Clock: opt.Clock, MaxSkew: opt.MaxSkew, Limits: store.LimitsOr(opt.Limits), Location: opt.Location}), b: b}
	if opt.Location != nil {
		if err := st.buildRollups(ctx, opt.Logger); err != nil {
			pool.Close()
			return nil, fmt.Errorf("hub database %s: %w", name, err)
		}
	}
	if opt.Limits == nil {
		return st, nil
	}
	if _, err := st.Relist(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("hub database %s: list the cases' deadlines: %w", name, err)
	}
	return st, nil
}

// ErrBadDSN is Open's error for a URL that is not PostgreSQL's.
var ErrBadDSN = errors.New("--store: not a PostgreSQL URL")

// describe names a database for messages and logs, without its password:
// postgres://user@host:port/database.
func describe(c *pgx.ConnConfig) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Describe names the store's database for logs, without its password.
func (s *Store) Describe() string { return s.b.name }

// Ping is /readyz's check: store.unreachable when the database does not
// answer within ctx.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.b.pool.Ping(ctx); err != nil {
		return problem.Wrap(err, problem.StoreUnreachable, "db", s.b.name, "detail", err.Error())
	}
	return nil
}

// Close closes the pool.
func (s *backend) Close() error {
	s.pool.Close()
	return nil
}

// Begin implements store.Backend. Once an hour it first makes sure the
// month partitions ahead exist.
func (s *backend) Begin(ctx context.Context) (store.Tx, error) {
	s.maybeEnsureMonths(ctx)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin transaction on %s: %w", s.name, err)
	}
	return &txn{s: s, tx: tx}, nil
}

// Retryable implements store.Backend: a serialization failure or a
// deadlock another hub's transaction caused, or a pooled connection that
// failed before the statement reached the server (one that died with a
// restarted PostgreSQL), which another connection may simply run.
func (s *backend) Retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return pgconn.SafeToRetry(err)
}

// IsBusy says whether err is PostgreSQL giving up on a lock another
// session holds (lock_timeout, SQLSTATE 55P03): a condition to retry, not
// a fault. The hub sets no lock_timeout, but a DSN may.
func IsBusy(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "55P03"
}

// Unreachable is err as the catalog's store.unreachable when it says the
// server could not be reached or went away (no connection, a connection
// that broke, the server shutting down), else nil: the API answers it 503
// instead of an internal error.
func (s *Store) Unreachable(err error) error {
	var ce *pgconn.ConnectError
	var pe *pgconn.PgError
	var ne net.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce), errors.As(err, &ne), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.As(err, &pe) && (strings.HasPrefix(pe.Code, "08") || strings.HasPrefix(pe.Code, "57P")):
		return problem.Wrap(err, problem.StoreUnreachable, "db", s.b.name, "detail", err.Error())
	}
	return nil
}

// txn is a store.Tx on one pooled connection.
type txn struct {
	s  *backend
	tx pgx.Tx
	// locked is each outlet's stream as LockOutlet read it. The visible
	// events of an epoch never lie above its acked sequence, so rows
	// above it are new unless this transaction wrote them: InsertEvents
	// COPYs those in and falls back to ON CONFLICT only if one was not.
	locked map[string]store.Stream
}

func (t *txn) Commit() error {
	if err := t.tx.Commit(context.Background()); err != nil {
		return fmt.Errorf("commit to %s: %w", t.s.name, err)
	}
	return nil
}

// Rollback runs even when the caller's context is done, so that the
// connection goes back to the pool clean.
func (t *txn) Rollback() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return t.tx.Rollback(ctx)
}

// LockOutlet implements store.Tx: the row is created if missing so that
// there is a row to lock, then locked FOR UPDATE until the transaction
// ends. A second hub's transaction on the same outlet waits here. Both
// statements go in one round trip.
func (t *txn) LockOutlet(ctx context.Context, id string) (store.Stream, error) {
	var b pgx.Batch
	b.Queue(`INSERT INTO outlets (id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, t.s.clock.Now().UnixMilli())
	b.Queue(`SELECT acked_seq, down_cursor, epoch, incarnation, head, oldest_unsynced, rejects FROM outlets WHERE id = $1 FOR UPDATE`, id)
	br := t.tx.SendBatch(ctx, &b)
	var acked, cursor, epoch, rejects int64
	var head *int64
	var st store.Stream
	_, err := br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(&acked, &cursor, &epoch, &st.Incarnation, &head, &st.Oldest, &rejects)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return st, err
	}
	st.Acked, st.Cursor, st.Epoch, st.Rejects = uint64(acked), uint64(cursor), uint64(epoch), uint64(rejects)
	if head != nil {
		st.Head, st.HeadKnown = uint64(*head), true
	}
	if t.locked == nil {
		t.locked = map[string]store.Stream{}
	}
	t.locked[id] = st
	return st, nil
}

func (t *txn) PutOutlet(ctx context.Context, id string, o store.Stream, now int64) error {
	var head *int64
	if o.HeadKnown {
		h := int64(o.Head)
		head = &h
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO outlets (id, acked_seq, last_seen, down_cursor, created_at, incarnation, head, oldest_unsynced, rejects)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
		ON CONFLICT (id) DO UPDATE SET acked_seq = excluded.acked_seq, last_seen = excluded.last_seen,
			down_cursor = excluded.down_cursor, incarnation = excluded.incarnation, head = excluded.head,
			oldest_unsynced = excluded.oldest_unsynced, rejects = excluded.rejects`,
		id, int64(o.Acked), now, int64(o.Cursor), now, o.Incarnation, head, o.Oldest, int64(o.Rejects))
	return err
}

func (t *txn) PutClock(ctx context.Context, id string, offsetMS, skewed int64) error {
	_, err := t.tx.Exec(ctx, `UPDATE outlets SET clock_offset_ms = $1, clock_skewed_events = clock_skewed_events + $2 WHERE id = $3`,
		offsetMS, skewed, id)
	return err
}

func (t *txn) Holding(ctx context.Context, origin string, epoch, first, last uint64) (map[uint64]store.HeldAt, error) {
	// Later sources overwrite earlier ones at one seq, as SQLite's do.
	rows, err := t.tx.Query(ctx, `
		SELECT 0 AS k, seq, id, payload, false FROM events WHERE origin = $1 AND epoch = $2 AND seq BETWEEN $3 AND $4
		UNION ALL
		SELECT 1, seq, id, payload, false FROM held_events WHERE origin = $1 AND epoch = $2 AND seq BETWEEN $3 AND $4
		UNION ALL
		SELECT 2, seq, coalesce(event::jsonb->>'id', ''), NULL, true FROM dead_letters WHERE origin = $1 AND epoch = $2 AND seq BETWEEN $3 AND $4
		ORDER BY k`, origin, int64(epoch), int64(first), int64(last))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	have := map[uint64]store.HeldAt{}
	for rows.Next() {
		var k int
		var seq int64
		var payload *string
		var h store.HeldAt
		if err := rows.Scan(&k, &seq, &h.ID, &payload, &h.Dead); err != nil {
			return nil, err
		}
		if payload != nil {
			h.HasBody, h.Payload = true, []byte(*payload)
		}
		have[uint64(seq)] = h
	}
	return have, rows.Err()
}

const eventCols = `origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc`

// unnestEvents inserts the thirteen arrays of eventCols, one row per
// element, in one statement.
const unnestEvents = `SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::text[], $7::text[],
	$8::int[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::bigint[])`

// InsertEvents implements store.Tx with one INSERT ... SELECT FROM unnest
// for the whole batch; RETURNING names the rows that were new.
func (t *txn) InsertEvents(ctx context.Context, rows []store.Row, held bool) ([]bool, error) {
	n := len(rows)
	var (
		origin, id, actor, typ, subject, target = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		epoch, seq, stamp, received             = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		v                                       = make([]int32, n)
		payload                                 = make([]*string, n)
		order                                   = make([]*int64, n)
	)
	type key struct {
		origin     string
		epoch, seq int64
	}
	at := make(map[key]int, n)
	for i, r := range rows {
		e := r.Event
		if uint64(e.HLC) > math.MaxInt64 || uint64(r.Order) > math.MaxInt64 || e.Seq > math.MaxInt64 || r.Epoch > math.MaxInt64 {
			return nil, fmt.Errorf("event %s/%d: stamp %d or seq does not fit the store", e.Origin, e.Seq, uint64(e.HLC))
		}
		if e.V < math.MinInt32 || e.V > math.MaxInt32 {
			return nil, fmt.Errorf("event %s/%d: version %d does not fit the store", e.Origin, e.Seq, e.V)
		}
		origin[i], epoch[i], seq[i], id[i], stamp[i], actor[i], typ[i] = e.Origin, int64(r.Epoch), int64(e.Seq), e.ID, int64(e.HLC), e.Actor, e.Type
		v[i], subject[i], target[i], received[i] = int32(e.V), e.Subject, e.Target, r.ReceivedAt
		if len(e.Payload) > 0 {
			p := string(e.Payload)
			payload[i] = &p
		}
		if r.Order != 0 {
			o := int64(r.Order)
			order[i] = &o
		}
		at[key{e.Origin, int64(r.Epoch), int64(e.Seq)}] = i
	}
	table := "events"
	if held {
		table = "held_events"
	} else if t.allAbove(rows) {
		row := func(i int) ([]any, error) {
			return []any{origin[i], epoch[i], seq[i], id[i], stamp[i], actor[i], typ[i], v[i], subject[i], target[i], payload[i], received[i], order[i]}, nil
		}
		if ok, err := t.copyEvents(ctx, pgx.CopyFromSlice(n, row)); err != nil {
			return nil, fmt.Errorf("insert %d events: %w", n, err)
		} else if ok {
			fresh := make([]bool, n)
			for i := range fresh {
				fresh[i] = true
			}
			return fresh, nil
		}
	}
	res, err := t.tx.Query(ctx, `INSERT INTO `+table+` (`+eventCols+`) `+unnestEvents+` ON CONFLICT DO NOTHING RETURNING origin, epoch, seq`,
		origin, epoch, seq, id, stamp, actor, typ, v, subject, target, payload, received, order)
	if err != nil {
		return nil, fmt.Errorf("insert %d events: %w", n, err)
	}
	defer res.Close()
	fresh := make([]bool, n)
	for res.Next() {
		var k key
		if err := res.Scan(&k.origin, &k.epoch, &k.seq); err != nil {
			return nil, err
		}
		if i, ok := at[k]; ok {
			fresh[i] = true
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("insert %d events: %w", n, err)
	}
	return fresh, nil
}

// allAbove reports whether every row lies above its outlet's acked
// sequence as LockOutlet read it.
func (t *txn) allAbove(rows []store.Row) bool {
	for _, r := range rows {
		st, ok := t.locked[r.Event.Origin]
		if !ok || st.Epoch != r.Epoch || r.Event.Seq <= st.Acked {
			return false
		}
	}
	return len(rows) > 0
}

// eventColNames are eventCols for COPY.
var eventColNames = strings.Split(eventCols, ", ")

// copyEvents COPYs rows of eventCols into events under a savepoint: COPY
// takes rows at about twice the rate of INSERT ... ON CONFLICT. ok is
// false, with the savepoint rolled back, when a row was there already;
// the caller then inserts the slow way.
func (t *txn) copyEvents(ctx context.Context, rows pgx.CopyFromSource) (ok bool, err error) {
	sp, err := t.tx.Begin(ctx)
	if err != nil {
		return false, err
	}
	_, err = sp.CopyFrom(ctx, pgx.Identifier{"events"}, eventColNames, rows)
	if err == nil {
		return true, sp.Commit(ctx)
	}
	if rerr := sp.Rollback(ctx); rerr != nil {
		return false, errors.Join(err, rerr)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return false, nil
	}
	return false, err
}

// text is b as a TEXT column takes it: PostgreSQL refuses bytes that are
// not UTF-8, and a refused event's JSON may hold them (the payload is
// copied as sent).
func text(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// InsertDeadLetters implements store.Tx in one statement.
func (t *txn) InsertDeadLetters(ctx context.Context, ds []store.DeadLetter) error {
	n := len(ds)
	origin, code, reason, event := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	epoch, seq, at := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, d := range ds {
		origin[i], epoch[i], seq[i], code[i], reason[i], event[i], at[i] = d.Origin, int64(d.Epoch), int64(d.Seq), d.Code, text([]byte(d.Reason)), text(d.Event), d.At.UnixMilli()
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO dead_letters (origin, epoch, seq, code, reason, event, at)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[]) ON CONFLICT DO NOTHING`,
		origin, epoch, seq, code, reason, event, at)
	if err != nil {
		return fmt.Errorf("%d dead letters of %s: %w", n, ds[0].Origin, err)
	}
	return nil
}

func (t *txn) InsertConflict(ctx context.Context, c store.Conflict) (bool, error) {
	tag, err := t.tx.Exec(ctx, `INSERT INTO conflicts (origin, epoch, seq, held_id, sent_id, event, at) VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING`,
		c.Origin, int64(c.Epoch), int64(c.Seq), c.HeldID, text([]byte(c.SentID)), text(c.Event), c.At.UnixMilli())
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

func (t *txn) HasPending(ctx context.Context, origin string, epoch uint64) (bool, error) {
	var ok bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pending_ranges WHERE origin = $1 AND epoch = $2)`, origin, int64(epoch)).Scan(&ok)
	return ok, err
}

func (t *txn) AddPending(ctx context.Context, origin string, epoch, first, last uint64) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO pending_ranges (origin, epoch, first, last) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING`,
		origin, int64(epoch), int64(first), int64(last))
	return err
}

func (t *txn) MaxPending(ctx context.Context, origin string, epoch, upTo uint64) (uint64, bool, error) {
	var m *int64
	if err := t.tx.QueryRow(ctx, `SELECT max(last) FROM pending_ranges WHERE origin = $1 AND epoch = $2 AND first <= $3`,
		origin, int64(epoch), int64(upTo)).Scan(&m); err != nil {
		return 0, false, err
	}
	if m == nil {
		return 0, false, nil
	}
	return uint64(*m), true, nil
}

func (t *txn) DropPending(ctx context.Context, origin string, epoch, upTo uint64) error {
	_, err := t.tx.Exec(ctx, `DELETE FROM pending_ranges WHERE origin = $1 AND epoch = $2 AND first <= $3`, origin, int64(epoch), int64(upTo))
	return err
}

// Release implements store.Tx in one statement: the held rows are deleted,
// inserted into events and returned in seq order.
func (t *txn) Release(ctx context.Context, origin string, epoch, from, through uint64) ([]syncproto.Event, error) {
	return scanEvents(t.tx.Query(ctx, `WITH moved AS (
			DELETE FROM held_events WHERE origin = $1 AND epoch = $2 AND seq > $3 AND seq <= $4 RETURNING `+eventCols+`
		), ins AS (
			INSERT INTO events (`+eventCols+`) SELECT `+eventCols+` FROM moved ON CONFLICT DO NOTHING
		)
		SELECT `+store.EventColumns+` FROM moved ORDER BY seq`,
		origin, int64(epoch), int64(from), int64(through)))
}

// LockSubject implements store.Tx with a transaction-scoped advisory lock
// on the entity's name. Two names that hash alike only wait for each
// other.
func (t *txn) LockSubject(ctx context.Context, kind, id string) error {
	_, err := t.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, kind+"/"+id)
	return err
}

func (t *txn) SubjectEvents(ctx context.Context, subject string) ([]syncproto.Event, error) {
	return subjectEvents(ctx, t.tx, subject)
}

func (t *txn) PutCase(ctx context.Context, c store.Case) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO cases (kind, id, outlet, state, open, label, since, hlc, owner, due) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
		ON CONFLICT (kind, id) DO UPDATE SET outlet = excluded.outlet, state = excluded.state, open = excluded.open,
			label = excluded.label, since = excluded.since, hlc = excluded.hlc, owner = excluded.owner, due = excluded.due`,
		c.Kind, c.ID, c.Outlet, c.State, c.Open, c.Label, c.Since, int64(c.HLC), c.Owner, c.Due)
	return err
}

func (t *txn) PutSetting(ctx context.Context, name, value string) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO settings (name, value) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return err
}

func (t *txn) DeleteCase(ctx context.Context, kind, id string) error {
	_, err := t.tx.Exec(ctx, `DELETE FROM cases WHERE kind = $1 AND id = $2`, kind, id)
	return err
}

// AddCounters implements store.Tx in name order, in one statement: its
// rows are locked in that order, as Tx's lock rules ask.
func (t *txn) AddCounters(ctx context.Context, n map[string]uint64) error {
	names := slices.Sorted(maps.Keys(n))
	adds := make([]int64, len(names))
	for i, k := range names {
		adds[i] = int64(n[k])
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO counters (name, n)
		SELECT name, n FROM unnest($1::text[], $2::bigint[]) WITH ORDINALITY AS u(name, n, i) ORDER BY i
		ON CONFLICT (name) DO UPDATE SET n = counters.n + excluded.n`, names, adds)
	if err != nil {
		return fmt.Errorf("counters %v: %w", names, err)
	}
	return nil
}

// NextDownSeq implements store.Tx: the update locks downlink_head's row
// until the commit, so another hub's append waits and then numbers after
// this one; a rollback gives the number back.
func (t *txn) NextDownSeq(ctx context.Context) (uint64, error) {
	var seq int64
	err := t.tx.QueryRow(ctx, `UPDATE downlink_head SET seq = seq + 1 RETURNING seq`).Scan(&seq)
	return uint64(seq), err
}

func (t *txn) InsertDown(ctx context.Context, seq uint64, target string, event []byte, now int64) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO downlink (seq, target, event, created_at) VALUES ($1,$2,$3,$4)`,
		int64(seq), target, string(event), now)
	return err
}

func (t *txn) ClaimOnce(ctx context.Context, key string, downSeq uint64) (bool, error) {
	tag, err := t.tx.Exec(ctx, `INSERT INTO serial_once (key, down_seq) VALUES ($1, $2) ON CONFLICT DO NOTHING`, key, int64(downSeq))
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}

func (t *txn) Serial(ctx context.Context, name string) (uint64, error) {
	var next int64
	err := t.tx.QueryRow(ctx, `SELECT next FROM serials WHERE name = $1`, name).Scan(&next)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	return uint64(next), err
}

func (t *txn) PutSerial(ctx context.Context, name string, next uint64) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO serials (name, next) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET next = excluded.next`,
		name, int64(next))
	return err
}

// StartIncarnation implements store.Store.
func (s *backend) StartIncarnation(ctx context.Context, outlet, incarnation string) (store.Outlet, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE outlets SET epoch = epoch + 1, incarnation = $1, acked_seq = 0, head = NULL, oldest_unsynced = 0
		WHERE id = $2`, incarnation, outlet)
	if err != nil {
		return store.Outlet{}, fmt.Errorf("start a new incarnation of outlet %s in %s: %w", outlet, s.name, err)
	}
	if tag.RowsAffected() == 0 {
		return store.Outlet{}, fmt.Errorf("outlet %s: %w", outlet, store.ErrNotFound)
	}
	return s.Outlet(ctx, outlet)
}

// Conflicts implements store.Store.
func (s *backend) Conflicts(ctx context.Context, outlet string, limit int) ([]store.Conflict, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.ConflictColumns+` FROM conflicts
		WHERE origin = $1 ORDER BY at DESC, epoch DESC, seq DESC LIMIT $2`, outlet, limit)
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
	q := `INSERT INTO outlets (id, secret_hash, created_at) VALUES ($1,$2,$3)
		ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash WHERE outlets.secret_hash = ''`
	if replace {
		q = `INSERT INTO outlets (id, secret_hash, created_at) VALUES ($1,$2,$3)
		ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash`
	}
	tag, err := s.pool.Exec(ctx, q, id, secretHash, now)
	if err != nil {
		return fmt.Errorf("register outlet %s in %s: %w", id, s.name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("outlet %s: %w", id, store.ErrExists)
	}
	return nil
}

// SecretHash implements store.Store.
func (s *backend) SecretHash(ctx context.Context, id string) (string, error) {
	var h string
	err := s.pool.QueryRow(ctx, `SELECT secret_hash FROM outlets WHERE id = $1`, id).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && h == "") {
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
	where, args := []string{"true"}, []any{}
	if q.Region != "" {
		args = append(args, q.Region)
		where = append(where, fmt.Sprintf("o.region = $%d", len(args)))
	}
	if q.City != "" {
		args = append(args, q.City)
		where = append(where, fmt.Sprintf("o.city = $%d", len(args)))
	}
	if q.IDPrefix != "" {
		args = append(args, q.IDPrefix)
		where = append(where, fmt.Sprintf("left(o.id, length($%d)) = $%[1]d", len(args)))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+store.OutletColumns+` FROM outlets o WHERE `+strings.Join(where, " AND ")+` ORDER BY o.id`, args...)
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
	o, err := store.ScanOutlet(s.pool.QueryRow(ctx, `SELECT `+store.OutletColumns+` FROM outlets o WHERE o.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, fmt.Errorf("outlet %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("read outlet %s: %w", id, err)
	}
	return o, nil
}

// DeadLetters implements store.Store; newest first.
func (s *backend) DeadLetters(ctx context.Context, outlet string, limit int) ([]store.DeadLetter, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+store.DeadLetterColumns+` FROM dead_letters
		WHERE origin = $1 ORDER BY epoch DESC, seq DESC LIMIT $2`, outlet, limit)
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
	rows, err := s.pool.Query(ctx, `SELECT name, n FROM counters`)
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
	return subjectEvents(ctx, s.pool, subject)
}

// StreamEvents implements store.Queries.
func (s *backend) StreamEvents(ctx context.Context, origin string, epoch, from, through uint64, limit int) ([]syncproto.Event, []syncproto.Rejection, error) {
	if from > math.MaxInt64 || through > math.MaxInt64 || limit <= 0 {
		return nil, nil, nil
	}
	evs, err := scanEvents(s.pool.Query(ctx, `SELECT `+store.EventColumns+` FROM events
		WHERE origin = $1 AND epoch = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq LIMIT $5`, origin, int64(epoch), int64(from), int64(through), limit))
	if err != nil {
		return nil, nil, fmt.Errorf("read events %d..%d of %s: %w", from, through, origin, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, code, reason FROM dead_letters
		WHERE origin = $1 AND epoch = $2 AND seq BETWEEN $3 AND $4 ORDER BY seq LIMIT $5`, origin, int64(epoch), int64(from), int64(through), limit)
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
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func subjectEvents(ctx context.Context, q querier, subject string) ([]syncproto.Event, error) {
	// "subject <> ''" lets the planner use the partial index events_subject.
	evs, err := scanEvents(q.Query(ctx, `SELECT `+store.EventColumns+`
		FROM events WHERE subject = $1 AND subject <> '' ORDER BY coalesce(order_hlc, hlc), origin, seq`, subject))
	if err != nil {
		return nil, fmt.Errorf("read events of %s: %w", subject, err)
	}
	return evs, nil
}

// scanEvents reads rows of store.EventColumns.
func scanEvents(rows pgx.Rows, err error) ([]syncproto.Event, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanEvent)
}

// Cases implements store.Store.
func (s *backend) Cases(ctx context.Context, q store.CaseQuery) ([]store.Case, error) {
	var args []any
	query := `SELECT ` + store.CaseColumns + ` FROM cases` + store.CaseSelect(q, placeholder(&args), false)
	rows, err := s.pool.Query(ctx, query, args...)
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

// placeholder binds each value to the next $n of args.
func placeholder(args *[]any) func(v any) string {
	return func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
}

// CountCases implements store.Store.
func (s *backend) CountCases(ctx context.Context, q store.CaseQuery) (int64, error) {
	var args []any
	query := `SELECT count(*) FROM cases` + store.CaseSelect(q, placeholder(&args), true)
	var n int64
	if err := s.pool.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %ss: %w", q.Kind, err)
	}
	return n, nil
}

// OutletCounts implements store.Store.
func (s *backend) OutletCounts(ctx context.Context, seenSince, staleBefore int64) (store.OutletCounts, error) {
	var c store.OutletCounts
	err := s.pool.QueryRow(ctx, store.OutletCountsSQL("$1", "$2"), seenSince, staleBefore).Scan(&c.Total, &c.Seen, &c.Stale, &c.WithDeadLetters)
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
	rows, err := s.pool.Query(ctx, `SELECT `+store.DeadLetterColumns+` FROM dead_letters
		WHERE origin = $1 AND (epoch < $2 OR (epoch = $2 AND seq < $3)) ORDER BY epoch DESC, seq DESC LIMIT $4`, outlet, e, q, limit)
	if err != nil {
		return nil, fmt.Errorf("list dead letters of %s: %w", outlet, err)
	}
	defer rows.Close()
	return store.Collect(rows, store.ScanDeadLetter)
}

// Setting implements store.Store.
func (s *backend) Setting(ctx context.Context, name string) (string, bool, error) {
	var v string
	err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE name = $1`, name).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read setting %s: %w", name, err)
	}
	return v, true, nil
}

// Down implements store.Store.
func (s *backend) Down(ctx context.Context, outlet string, since uint64, maxEvents, maxBytes int) ([]syncproto.Event, uint64, bool, error) {
	// Read the committed head first: its row is locked from NextDownSeq to
	// the commit, so every sequence at or below it is committed and
	// (since, head] is a consistent range even while appends continue.
	var top int64
	if err := s.pool.QueryRow(ctx, `SELECT seq FROM downlink_head`).Scan(&top); err != nil {
		return nil, 0, false, fmt.Errorf("read downlink head: %w", err)
	}
	if uint64(top) <= since {
		return nil, since, false, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, event FROM downlink
		WHERE seq > $1 AND seq <= $2 AND (target = $3 OR target = '*') ORDER BY seq LIMIT $4`,
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
	tag, err := s.pool.Exec(ctx, `UPDATE outlets SET region = coalesce($1, region), city = coalesce($2, city) WHERE id = $3`,
		p.Region, p.City, id)
	if err != nil {
		return store.Outlet{}, fmt.Errorf("set region and city of outlet %s in %s: %w", id, s.name, err)
	}
	if tag.RowsAffected() == 0 {
		return store.Outlet{}, fmt.Errorf("outlet %s: %w", id, store.ErrNotFound)
	}
	return s.Outlet(ctx, id)
}

// Regions implements store.Store.
func (s *backend) Regions(ctx context.Context) ([]store.Region, error) {
	rows, err := s.pool.Query(ctx, store.RegionsSQL)
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
	query, args := store.ParcelSearchSQL(q, func(n int) string { return fmt.Sprintf("$%d", n) })
	rows, err := s.pool.Query(ctx, query, args...)
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

// ParcelsKnown implements store.Tx.
func (t *txn) ParcelsKnown(ctx context.Context, outlet string, waybills []string) (map[string]bool, error) {
	known := map[string]bool{}
	if len(waybills) == 0 {
		return known, nil
	}
	rows, err := t.tx.Query(ctx, `SELECT waybill FROM parcels WHERE outlet = $1 AND waybill = ANY($2)`, outlet, waybills)
	if err != nil {
		return nil, err
	}
	ws, err := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, w := range ws {
		known[w] = true
	}
	return known, err
}

// ParcelEvents implements store.Tx.
func (t *txn) ParcelEvents(ctx context.Context, outlet string, waybills []string) ([]syncproto.Event, error) {
	if len(waybills) == 0 {
		return nil, nil
	}
	return scanEvents(t.tx.Query(ctx, `SELECT `+store.EventColumns+` FROM events
		WHERE origin = $1 AND subject = ANY($2) AND subject <> '' AND type LIKE 'parcel.%'`, outlet, waybills))
}

// PutParcels implements store.Tx in one statement.
func (t *txn) PutParcels(ctx context.Context, rows []store.ParcelRow) error {
	if len(rows) == 0 {
		return nil
	}
	wb, outlet, state := make([]string, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	since := make([]int64, len(rows))
	for i, r := range rows {
		wb[i], outlet[i], state[i], since[i] = r.Waybill, r.Outlet, r.State, r.Since
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO parcels (waybill, outlet, state, since)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
		ON CONFLICT (waybill, outlet) DO UPDATE SET state = excluded.state, since = excluded.since`, wb, outlet, state, since)
	return err
}
