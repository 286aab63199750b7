// Package sqlite is the hub's embedded store on modernc.org/sqlite (pure Go):
// WAL mode, synchronous=FULL so a commit the hub acknowledges survives power
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
	"math"
	"net/url"
	"os"
	"strings"
	"time"

	msqlite "modernc.org/sqlite" // also registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

var _ store.Store = (*Store)(nil)

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
}

// Store is a store.Store on one SQLite file.
type Store struct {
	path  string
	w     *sql.DB // exactly one connection: SQLite has one writer anyway
	r     *sql.DB
	clock clock.Clock

	insEvent, insHeld, insDead, insPending, maxPending, delPending, hasPending *sql.Stmt
	getOutlet, putOutlet, addCounter, insConflict, putClock                    *sql.Stmt
	maxSkew                                                                    time.Duration
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
	w, err := sql.Open("sqlite", dsn("_txlock=immediate"))
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
	s := &Store{path: path, w: w, r: r, clock: opt.Clock, maxSkew: opt.MaxSkew}
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

const eventCols = `origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at, order_hlc`

func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&s.insEvent, `INSERT INTO events (` + eventCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`},
		{&s.insHeld, `INSERT INTO held_events (` + eventCols + `) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`},
		{&s.putClock, `UPDATE outlets SET clock_offset_ms = ?, clock_skewed_events = clock_skewed_events + ? WHERE id = ?`},
		{&s.insDead, `INSERT INTO dead_letters (origin, epoch, seq, code, reason, event, at) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`},
		{&s.insPending, `INSERT INTO pending_ranges (origin, epoch, first, last) VALUES (?,?,?,?) ON CONFLICT DO NOTHING`},
		{&s.maxPending, `SELECT max(last) FROM pending_ranges WHERE origin = ? AND epoch = ? AND first <= ?`},
		{&s.delPending, `DELETE FROM pending_ranges WHERE origin = ? AND epoch = ? AND first <= ?`},
		{&s.hasPending, `SELECT EXISTS (SELECT 1 FROM pending_ranges WHERE origin = ? AND epoch = ?)`},
		{&s.getOutlet, `SELECT acked_seq, down_cursor, epoch, incarnation FROM outlets WHERE id = ?`},
		{&s.putOutlet, `INSERT INTO outlets (id, acked_seq, last_seen, down_cursor, created_at, incarnation) VALUES (?,?,?,?,?,?)
			ON CONFLICT (id) DO UPDATE SET acked_seq = excluded.acked_seq, last_seen = excluded.last_seen,
				down_cursor = excluded.down_cursor, incarnation = excluded.incarnation`},
		{&s.addCounter, `INSERT INTO counters (name, n) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET n = n + excluded.n`},
		{&s.insConflict, `INSERT INTO conflicts (origin, epoch, seq, held_id, sent_id, event, at) VALUES (?,?,?,?,?,?,?) ON CONFLICT DO NOTHING`},
	} {
		st, err := s.w.PrepareContext(ctx, p.q)
		if err != nil {
			return fmt.Errorf("prepare statement on %s: %w", s.path, err)
		}
		*p.st = st
	}
	return nil
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
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// outletState is one outlet's row while a group transaction runs.
type outletState struct {
	acked, cursor, epoch uint64
	inc                  string
	pending              bool // pending_ranges may hold rows for its epoch
	// clock: the newest stamp of its last new batch less the time it
	// arrived, and how many of its events lay beyond the skew bound.
	clockSet bool
	offsetMS int64
	skewed   int64
}

// commitTx is one group commit's transaction and what it gathers.
type commitTx struct {
	s       *Store
	ctx     context.Context
	tx      *sql.Tx
	now     int64
	nowT    time.Time
	counts  map[string]uint64
	touched map[caseKey]bool
	stmt    func(*sql.Stmt) *sql.Stmt
}

// Commit implements store.Store with the semantics documented there.
func (s *Store) Commit(ctx context.Context, units []store.Unit) ([]store.Result, error) {
	nowT := s.clock.Now()
	now := nowT.UnixMilli()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin commit on %s: %w", s.path, err)
	}
	defer tx.Rollback()
	c := &commitTx{s: s, ctx: ctx, tx: tx, now: now, nowT: nowT, counts: map[string]uint64{}, touched: map[caseKey]bool{},
		stmt: func(p *sql.Stmt) *sql.Stmt { return tx.StmtContext(ctx, p) }}

	states := map[string]*outletState{}
	get := func(id string) (*outletState, error) {
		if o, ok := states[id]; ok {
			return o, nil
		}
		o := &outletState{}
		var acked, cursor, epoch int64
		err := c.stmt(s.getOutlet).QueryRowContext(ctx, id).Scan(&acked, &cursor, &epoch, &o.inc)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read outlet %s: %w", id, err)
		}
		o.acked, o.cursor, o.epoch = uint64(acked), uint64(cursor), uint64(epoch)
		if err := c.stmt(s.hasPending).QueryRowContext(ctx, id, epoch).Scan(&o.pending); err != nil {
			return nil, fmt.Errorf("read pending ranges of %s: %w", id, err)
		}
		states[id] = o
		return o, nil
	}
	res := make([]store.Result, len(units))
	origins := make([]string, len(units))
	for i, u := range units {
		for k, n := range u.Count {
			c.counts[k] += n
		}
		if p := u.Pull; p != nil {
			o, err := get(p.Origin)
			if err != nil {
				return nil, err
			}
			o.cursor = p.Since
			origins[i] = p.Origin
			if o.inc != "" && p.Incarnation != o.inc {
				res[i] = store.Result{Incarnation: p.Incarnation, Refused: syncproto.IncarnationRefused(o.acked)}
				origins[i] = ""
				c.counts[store.CounterRejectPrefix+syncproto.CodeIncarnation]++
			}
		}
		b := u.Batch
		if b == nil {
			continue
		}
		origins[i] = b.Origin
		o, err := get(b.Origin)
		if err != nil {
			return nil, err
		}
		window := u.Window
		if window == 0 {
			window = syncproto.DefaultWindow
		}
		r, fixed, err := c.batch(b, o, window)
		if err != nil {
			return nil, err
		}
		res[i] = r
		if fixed {
			origins[i] = ""
		}
		if r.Refused != nil && r.Refused.Code != syncproto.CodeConflict {
			// Conflicts are counted once each, by firstMismatch.
			c.counts[store.CounterRejectPrefix+r.Refused.Code]++
		}
	}
	for id, o := range states {
		if _, err := c.stmt(s.putOutlet).ExecContext(ctx, id, int64(o.acked), now, int64(o.cursor), now, o.inc); err != nil {
			return nil, fmt.Errorf("update outlet %s: %w", id, err)
		}
		if o.clockSet {
			if _, err := c.stmt(s.putClock).ExecContext(ctx, o.offsetMS, o.skewed, id); err != nil {
				return nil, fmt.Errorf("update clock of outlet %s: %w", id, err)
			}
		}
	}
	for k := range c.touched {
		if err := refreshCase(ctx, tx, k); err != nil {
			return nil, err
		}
	}
	if len(c.counts) > 0 {
		add := c.stmt(s.addCounter)
		for k, n := range c.counts {
			if _, err := add.ExecContext(ctx, k, int64(n)); err != nil {
				return nil, fmt.Errorf("update counter %s: %w", k, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit to %s: %w", s.path, err)
	}
	for i, id := range origins {
		if id != "" {
			res[i].AckedSeq = states[id].acked
			res[i].Incarnation = states[id].inc
		}
	}
	return res, nil
}

// batch applies one checked batch to its outlet's state. fixed reports that
// the result's AckedSeq and Incarnation are final: a refusal, whose ack
// must not count the refused stream's events by the adopted one's.
func (c *commitTx) batch(b *syncproto.Batch, o *outletState, window uint64) (r store.Result, fixed bool, err error) {
	refuse := func(p *syncproto.Problem, acked uint64) (store.Result, bool, error) {
		return store.Result{Incarnation: b.Incarnation, AckedSeq: acked, Refused: p}, true, nil
	}
	if b.Incarnation != o.inc {
		if o.inc != "" {
			return refuse(syncproto.IncarnationRefused(o.acked), 0)
		}
		// No incarnation adopted for this epoch yet: adopt this one only
		// if it continues what the epoch holds.
		if b.First > o.acked+1 {
			if err := syncproto.CheckWindow(b, o.acked, window); err != nil {
				return refuse(syncproto.BeyondWindow(b.First, o.acked, window), 0)
			}
			// Its start is still in flight; the agent sends it again.
			return store.Result{Incarnation: b.Incarnation}, true, nil
		}
		if seq, _, err := c.firstMismatch(b, o, false); err != nil {
			return r, false, err
		} else if seq != 0 {
			return refuse(syncproto.IncarnationRefused(o.acked), 0)
		}
		o.inc = b.Incarnation
	} else if b.First <= o.acked || o.pending {
		seq, held, err := c.firstMismatch(b, o, true)
		if err != nil {
			return r, false, err
		}
		if seq != 0 {
			return refuse(syncproto.Conflict(seq, held, b.Events[seq-b.First].ID), min(o.acked, seq-1))
		}
	}
	if err := syncproto.CheckWindow(b, o.acked, window); err != nil {
		return refuse(syncproto.BeyondWindow(b.First, o.acked, window), o.acked)
	}
	ok, rej := store.Classify(b)
	r.Rejected = rej
	if b.Last <= o.acked {
		r.Replayed = true
		c.counts[store.CounterReplayed]++
		return r, false, nil
	}
	held := b.First > o.acked+1
	ins := c.stmt(c.s.insEvent)
	if held {
		ins = c.stmt(c.s.insHeld)
	}
	var top hlc.Timestamp
	for _, e := range ok {
		var payload any
		if len(e.Payload) > 0 {
			payload = string(e.Payload)
		}
		stamp, err := column(e.HLC)
		if err != nil {
			return r, false, fmt.Errorf("insert event %s/%d: %w", e.Origin, e.Seq, err)
		}
		// A stamp beyond the bound is kept as sent and folded at its cap.
		var order any
		if capped := hlc.Capped(e.HLC, c.nowT, c.s.maxSkew); capped != e.HLC {
			order = int64(capped)
		}
		top = max(top, e.HLC)
		res, err := ins.ExecContext(c.ctx, e.Origin, int64(o.epoch), int64(e.Seq), e.ID, stamp, e.Actor, e.Type, e.V,
			e.Subject, e.Target, payload, c.now, order)
		if err != nil {
			return r, false, fmt.Errorf("insert event %s/%d: %w", e.Origin, e.Seq, err)
		}
		if n, _ := res.RowsAffected(); n == 1 && order != nil {
			o.skewed++ // once per event, not per resend of a held range
		}
		if kind := store.CaseKind(e.Type); kind != "" && e.Subject != "" && !held {
			c.touched[caseKey{kind, e.Subject}] = true
		}
	}
	if top != 0 {
		o.clockSet, o.offsetMS = true, top.WallMillis()-c.now
	}
	if len(rej) > 0 {
		bySeq := make(map[uint64]*syncproto.Event, len(rej))
		for i := range b.Events {
			bySeq[b.Events[i].Seq] = &b.Events[i]
		}
		insDead := c.stmt(c.s.insDead)
		for _, x := range rej {
			js, _ := json.Marshal(bySeq[x.Seq])
			if _, err := insDead.ExecContext(c.ctx, b.Origin, int64(o.epoch), int64(x.Seq), x.Code, x.Reason, string(js), c.now); err != nil {
				return r, false, fmt.Errorf("insert dead letter %s/%d: %w", b.Origin, x.Seq, err)
			}
			c.counts[store.CounterRejectPrefix+x.Code]++
		}
	}
	if held {
		// A gap before this batch: hold its range until the gap closes.
		if _, err := c.stmt(c.s.insPending).ExecContext(c.ctx, b.Origin, int64(o.epoch), int64(b.First), int64(b.Last)); err != nil {
			return r, false, fmt.Errorf("record range %d..%d of %s: %w", b.First, b.Last, b.Origin, err)
		}
		o.pending = true
		r.Held = true
		return r, false, nil
	}
	before := o.acked
	o.acked = max(o.acked, b.Last)
	if o.pending {
		if err := advance(c.ctx, c.stmt(c.s.maxPending), c.stmt(c.s.delPending), b.Origin, o); err != nil {
			return r, false, err
		}
		if r.Released, err = c.release(b, o.epoch, before, o.acked); err != nil {
			return r, false, err
		}
	}
	return r, false, nil
}

// firstMismatch returns the lowest seq of b that the epoch holds with
// another id or payload (an event, a held event, or a dead letter by id),
// and the id held there; 0 if every shared event is the same. record keeps
// the pair as a conflict: the same stream sent two versions of one event.
func (c *commitTx) firstMismatch(b *syncproto.Batch, o *outletState, record bool) (uint64, string, error) {
	type held struct {
		id      string
		payload sql.NullString
		dead    bool
	}
	have := map[uint64]held{}
	for _, q := range []struct {
		sql  string
		dead bool
	}{
		{`SELECT seq, id, payload FROM events WHERE origin = ? AND epoch = ? AND seq BETWEEN ? AND ?`, false},
		{`SELECT seq, id, payload FROM held_events WHERE origin = ? AND epoch = ? AND seq BETWEEN ? AND ?`, false},
		{`SELECT seq, coalesce(json_extract(event, '$.id'), ''), NULL FROM dead_letters WHERE origin = ? AND epoch = ? AND seq BETWEEN ? AND ?`, true},
	} {
		rows, err := c.tx.QueryContext(c.ctx, q.sql, b.Origin, int64(o.epoch), int64(b.First), int64(b.Last))
		if err != nil {
			return 0, "", fmt.Errorf("read held events %d..%d of %s: %w", b.First, b.Last, b.Origin, err)
		}
		for rows.Next() {
			var seq int64
			var h held
			if err := rows.Scan(&seq, &h.id, &h.payload); err != nil {
				rows.Close()
				return 0, "", fmt.Errorf("read held events of %s: %w", b.Origin, err)
			}
			h.dead = q.dead
			have[uint64(seq)] = h
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, "", err
		}
	}
	if len(have) == 0 {
		return 0, "", nil
	}
	for i := range b.Events {
		e := &b.Events[i]
		h, ok := have[e.Seq]
		if !ok {
			continue
		}
		same := h.id == e.ID
		if same && !h.dead {
			same = h.payload.Valid == (len(e.Payload) > 0) && h.payload.String == string(e.Payload)
		}
		if !same && !record {
			return e.Seq, h.id, nil
		}
		if !same {
			js, _ := json.Marshal(e)
			res, err := c.stmt(c.s.insConflict).ExecContext(c.ctx, b.Origin, int64(o.epoch), int64(e.Seq), h.id, e.ID, string(js), c.now)
			if err != nil {
				return 0, "", fmt.Errorf("record conflict %s/%d: %w", b.Origin, e.Seq, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				c.counts[store.CounterConflict]++
			}
			return e.Seq, h.id, nil
		}
	}
	return 0, "", nil
}

// release makes the held events in (from, through] of origin's epoch
// visible and returns those not in b (b's own are the caller's to report).
func (c *commitTx) release(b *syncproto.Batch, epoch, from, through uint64) ([]syncproto.Event, error) {
	evs, err := scanEvents(c.tx.QueryContext(c.ctx, `SELECT origin, seq, id, hlc, actor, type, v, subject, target, payload, order_hlc
		FROM held_events WHERE origin = ? AND epoch = ? AND seq > ? AND seq <= ? ORDER BY seq`,
		b.Origin, int64(epoch), int64(from), int64(through)))
	if err != nil {
		return nil, fmt.Errorf("read held events of %s: %w", b.Origin, err)
	}
	if len(evs) == 0 {
		return nil, nil
	}
	if _, err := c.tx.ExecContext(c.ctx, `INSERT INTO events (`+eventCols+`) SELECT `+eventCols+` FROM held_events
		WHERE origin = ? AND epoch = ? AND seq > ? AND seq <= ? ON CONFLICT DO NOTHING`,
		b.Origin, int64(epoch), int64(from), int64(through)); err != nil {
		return nil, fmt.Errorf("release held events of %s: %w", b.Origin, err)
	}
	if _, err := c.tx.ExecContext(c.ctx, `DELETE FROM held_events WHERE origin = ? AND epoch = ? AND seq > ? AND seq <= ?`,
		b.Origin, int64(epoch), int64(from), int64(through)); err != nil {
		return nil, fmt.Errorf("release held events of %s: %w", b.Origin, err)
	}
	out := evs[:0]
	for _, e := range evs {
		if kind := store.CaseKind(e.Type); kind != "" && e.Subject != "" {
			c.touched[caseKey{kind, e.Subject}] = true
		}
		if e.Seq < b.First || e.Seq > b.Last {
			out = append(out, e)
		}
	}
	return out, nil
}

// advance moves o.acked over held ranges that now touch it and drops them.
func advance(ctx context.Context, maxPending, delPending *sql.Stmt, origin string, o *outletState) error {
	found := false
	for {
		var m sql.NullInt64
		if err := maxPending.QueryRowContext(ctx, origin, int64(o.epoch), int64(o.acked+1)).Scan(&m); err != nil {
			return fmt.Errorf("read pending ranges of %s: %w", origin, err)
		}
		if !m.Valid {
			break
		}
		found = true
		if uint64(m.Int64) <= o.acked {
			break
		}
		o.acked = uint64(m.Int64)
	}
	if found {
		if _, err := delPending.ExecContext(ctx, origin, int64(o.epoch), int64(o.acked+1)); err != nil {
			return fmt.Errorf("drop consumed ranges of %s: %w", origin, err)
		}
	}
	return nil
}

// StartIncarnation implements store.Store.
func (s *Store) StartIncarnation(ctx context.Context, outlet, incarnation string) (store.Outlet, error) {
	r, err := s.w.ExecContext(ctx, `UPDATE outlets SET epoch = epoch + 1, incarnation = ?, acked_seq = 0 WHERE id = ?`, incarnation, outlet)
	if err != nil {
		return store.Outlet{}, fmt.Errorf("start a new incarnation of outlet %s in %s: %w", outlet, s.path, err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return store.Outlet{}, fmt.Errorf("outlet %s: %w", outlet, store.ErrNotFound)
	}
	return s.outletFrom(ctx, s.w, outlet)
}

// Conflicts implements store.Store.
func (s *Store) Conflicts(ctx context.Context, outlet string, limit int) ([]store.Conflict, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT origin, epoch, seq, held_id, sent_id, event, at FROM conflicts
		WHERE origin = ? ORDER BY at DESC, epoch DESC, seq DESC LIMIT ?`, outlet, limit)
	if err != nil {
		return nil, fmt.Errorf("read conflicts of %s: %w", outlet, err)
	}
	defer rows.Close()
	var out []store.Conflict
	for rows.Next() {
		var x store.Conflict
		var epoch, seq, at int64
		var ev sql.NullString
		if err := rows.Scan(&x.Origin, &epoch, &seq, &x.HeldID, &x.SentID, &ev, &at); err != nil {
			return nil, fmt.Errorf("read conflicts of %s: %w", outlet, err)
		}
		x.Epoch, x.Seq, x.At, x.Event = uint64(epoch), uint64(seq), time.UnixMilli(at).UTC(), []byte(ev.String)
		out = append(out, x)
	}
	return out, rows.Err()
}

// AddOutlet implements store.Store.
func (s *Store) AddOutlet(ctx context.Context, id, secretHash string, replace bool) error {
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
func (s *Store) SecretHash(ctx context.Context, id string) (string, error) {
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

const outletCols = `o.id, o.acked_seq, o.last_seen, o.down_cursor, o.created_at, o.secret_hash <> '',
	(SELECT count(*) FROM dead_letters d WHERE d.origin = o.id), o.epoch, o.incarnation,
	(SELECT count(*) FROM held_events h WHERE h.origin = o.id AND h.epoch = o.epoch),
	(SELECT count(*) FROM conflicts x WHERE x.origin = o.id), o.clock_offset_ms, o.clock_skewed_events`

func scanOutlet(sc interface{ Scan(...any) error }) (store.Outlet, error) {
	var o store.Outlet
	var acked, seen, cursor, created, dead, epoch, held, conflicts, skewed int64
	if err := sc.Scan(&o.ID, &acked, &seen, &cursor, &created, &o.HasSecret, &dead, &epoch, &o.Incarnation, &held, &conflicts,
		&o.ClockOffsetMS, &skewed); err != nil {
		return o, err
	}
	o.ClockSkewedEvents = uint64(skewed)
	o.AckedSeq, o.DownCursor, o.DeadLetters = uint64(acked), uint64(cursor), uint64(dead)
	o.Epoch, o.Held, o.Conflicts = uint64(epoch), uint64(held), uint64(conflicts)
	if seen > 0 {
		t := time.UnixMilli(seen).UTC()
		o.LastSeen = &t
	}
	o.CreatedAt = time.UnixMilli(created).UTC()
	return o, nil
}

// Outlets implements store.Store.
func (s *Store) Outlets(ctx context.Context) ([]store.Outlet, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+outletCols+` FROM outlets o ORDER BY o.id`)
	if err != nil {
		return nil, fmt.Errorf("list outlets: %w", err)
	}
	defer rows.Close()
	var out []store.Outlet
	for rows.Next() {
		o, err := scanOutlet(rows)
		if err != nil {
			return nil, fmt.Errorf("list outlets: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Outlet implements store.Store.
func (s *Store) Outlet(ctx context.Context, id string) (store.Outlet, error) {
	return s.outletFrom(ctx, s.r, id)
}

func (s *Store) outletFrom(ctx context.Context, db *sql.DB, id string) (store.Outlet, error) {
	o, err := scanOutlet(db.QueryRowContext(ctx, `SELECT `+outletCols+` FROM outlets o WHERE o.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("outlet %s: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("read outlet %s: %w", id, err)
	}
	return o, nil
}

// DeadLetters implements store.Store; newest first.
func (s *Store) DeadLetters(ctx context.Context, outlet string, limit int) ([]store.DeadLetter, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT origin, epoch, seq, code, reason, event, at FROM dead_letters
		WHERE origin = ? ORDER BY epoch DESC, seq DESC LIMIT ?`, outlet, limit)
	if err != nil {
		return nil, fmt.Errorf("read dead letters of %s: %w", outlet, err)
	}
	defer rows.Close()
	var out []store.DeadLetter
	for rows.Next() {
		var d store.DeadLetter
		var epoch, seq, at int64
		var ev sql.NullString
		if err := rows.Scan(&d.Origin, &epoch, &seq, &d.Code, &d.Reason, &ev, &at); err != nil {
			return nil, fmt.Errorf("read dead letters of %s: %w", outlet, err)
		}
		d.Epoch, d.Seq, d.At, d.Event = uint64(epoch), uint64(seq), time.UnixMilli(at).UTC(), []byte(ev.String)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Counters implements store.Store.
func (s *Store) Counters(ctx context.Context) (map[string]uint64, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, n FROM counters`)
	if err != nil {
		return nil, fmt.Errorf("read counters: %w", err)
	}
	defer rows.Close()
	out := map[string]uint64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("read counters: %w", err)
		}
		out[k] = uint64(n)
	}
	return out, rows.Err()
}

// SubjectEvents implements store.Store.
func (s *Store) SubjectEvents(ctx context.Context, subject string) ([]syncproto.Event, error) {
	return subjectEvents(ctx, s.r, subject)
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

// scanEvents reads rows of (origin, seq, id, hlc, actor, type, v, subject,
// target, payload, order_hlc).
func scanEvents(rows *sql.Rows, err error) ([]syncproto.Event, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []syncproto.Event
	for rows.Next() {
		var e syncproto.Event
		var seq, h int64
		var payload sql.NullString
		var order sql.NullInt64
		if err := rows.Scan(&e.Origin, &seq, &e.ID, &h, &e.Actor, &e.Type, &e.V, &e.Subject, &e.Target, &payload, &order); err != nil {
			return nil, err
		}
		if order.Valid {
			e.OrderHLC = hlc.Timestamp(order.Int64)
		}
		e.Seq, e.HLC = uint64(seq), hlc.Timestamp(h)
		if payload.Valid {
			e.Payload = json.RawMessage(payload.String)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// caseKey names one entity of the case list.
type caseKey struct{ kind, id string }

// refreshCase re-folds one entity from its events inside tx and rewrites its
// case-list row. An entity has tens of events, so this stays cheap next to
// the batch that touched it.
func refreshCase(ctx context.Context, tx *sql.Tx, k caseKey) error {
	return refreshCaseOf(ctx, tx, k, true)
}

// refreshCaseOf is refreshCase; capped as for subjectEventsOf.
func refreshCaseOf(ctx context.Context, tx *sql.Tx, k caseKey, capped bool) error {
	evs, err := subjectEventsOf(ctx, tx, k.id, capped)
	if err != nil {
		return err
	}
	c, ok := store.Summarize(k.kind, k.id, evs)
	if !ok {
		// Its creating event is not visible (yet): no row, and none left
		// from before events beyond a gap were held apart.
		if _, err := tx.ExecContext(ctx, `DELETE FROM cases WHERE kind = ? AND id = ?`, k.kind, k.id); err != nil {
			return fmt.Errorf("update case list for %s %s: %w", k.kind, k.id, err)
		}
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO cases (kind, id, outlet, state, open, label, since, hlc) VALUES (?,?,?,?,?,?,?,?)
		ON CONFLICT (kind, id) DO UPDATE SET outlet = excluded.outlet, state = excluded.state, open = excluded.open,
			label = excluded.label, since = excluded.since, hlc = excluded.hlc`,
		c.Kind, c.ID, c.Outlet, c.State, c.Open, c.Label, c.Since, int64(c.HLC)); err != nil {
		return fmt.Errorf("update case list for %s %s: %w", k.kind, k.id, err)
	}
	return nil
}

// Cases implements store.Store.
func (s *Store) Cases(ctx context.Context, q store.CaseQuery) ([]store.Case, error) {
	where, args := []string{"kind = ?"}, []any{q.Kind}
	if q.Outlet != "" {
		where, args = append(where, "outlet = ?"), append(args, q.Outlet)
	}
	if q.OpenOnly {
		where = append(where, "open = 1")
	}
	if len(q.Labels) > 0 {
		where = append(where, "label IN (?"+strings.Repeat(",?", len(q.Labels)-1)+")")
		for _, l := range q.Labels {
			args = append(args, l)
		}
	}
	if q.SinceBefore != 0 {
		where, args = append(where, "since <= ?"), append(args, q.SinceBefore)
	}
	query := `SELECT kind, id, outlet, state, open, label, since, hlc FROM cases WHERE ` +
		strings.Join(where, " AND ") + ` ORDER BY hlc DESC, id`
	if q.Limit > 0 {
		query, args = query+" LIMIT ?", append(args, q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list %ss: %w", q.Kind, err)
	}
	defer rows.Close()
	var out []store.Case
	for rows.Next() {
		var c store.Case
		var h int64
		if err := rows.Scan(&c.Kind, &c.ID, &c.Outlet, &c.State, &c.Open, &c.Label, &c.Since, &h); err != nil {
			return nil, fmt.Errorf("list %ss: %w", q.Kind, err)
		}
		c.HLC = hlc.Timestamp(h)
		out = append(out, c)
	}
	return out, rows.Err()
}

// AppendDown implements store.Store.
func (s *Store) AppendDown(ctx context.Context, e *syncproto.Event) (uint64, error) {
	return s.AppendDownAlloc(ctx, e, store.SerialAlloc{})
}

// AppendDownAlloc implements store.Store. A zero a allocates nothing. The
// write connection begins IMMEDIATE transactions, so two allocations
// serialise on the database lock, across processes too.
func (s *Store) AppendDownAlloc(ctx context.Context, e *syncproto.Event, a store.SerialAlloc) (uint64, error) {
	if e.Origin != syncproto.HubOrigin {
		return 0, fmt.Errorf("downlink event has origin %q, want %q", e.Origin, syncproto.HubOrigin)
	}
	now := s.clock.Now().UnixMilli()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin downlink append on %s: %w", s.path, err)
	}
	defer tx.Rollback()
	var top int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM downlink`).Scan(&top); err != nil {
		return 0, fmt.Errorf("read downlink head: %w", err)
	}
	e.Seq = uint64(top) + 1
	if a.Fill != nil {
		if err := allocate(ctx, tx, e, a); err != nil {
			return 0, err
		}
	}
	js, err := json.Marshal(e)
	if err != nil {
		return 0, fmt.Errorf("encode downlink event: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO downlink (seq, target, event, created_at) VALUES (?,?,?,?)`,
		int64(e.Seq), e.Target, string(js), now); err != nil {
		return 0, fmt.Errorf("append downlink event: %w", err)
	}
	var payload any
	if len(e.Payload) > 0 {
		payload = string(e.Payload)
	}
	stamp, err := column(e.HLC)
	if err != nil {
		return 0, fmt.Errorf("insert hub event %d: %w", e.Seq, err)
	}
	if _, err := tx.StmtContext(ctx, s.insEvent).ExecContext(ctx, e.Origin, 0, int64(e.Seq), e.ID, stamp, e.Actor, e.Type, e.V,
		e.Subject, e.Target, payload, now, nil); err != nil {
		return 0, fmt.Errorf("insert hub event %d: %w", e.Seq, err)
	}
	if kind := store.CaseKind(e.Type); kind != "" && e.Subject != "" {
		if err := refreshCase(ctx, tx, caseKey{kind, e.Subject}); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit downlink event to %s: %w", s.path, err)
	}
	return e.Seq, nil
}

// allocate takes a's block from its counter inside tx and fills e.
func allocate(ctx context.Context, tx *sql.Tx, e *syncproto.Event, a store.SerialAlloc) error {
	if a.Count == 0 || a.Counter == "" || a.Max > math.MaxInt64-1 {
		return fmt.Errorf("allocate %q: count %d or max %d out of range", a.Counter, a.Count, a.Max)
	}
	if a.Once != "" {
		res, err := tx.ExecContext(ctx, `INSERT INTO serial_once (key, down_seq) VALUES (?, ?) ON CONFLICT DO NOTHING`, a.Once, int64(e.Seq))
		if err != nil {
			return fmt.Errorf("allocate %s once for %s: %w", a.Counter, a.Once, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("allocation for %s: %w", a.Once, store.ErrExists)
		}
	}
	var next int64
	err := tx.QueryRowContext(ctx, `SELECT next FROM serials WHERE name = ?`, a.Counter).Scan(&next)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read serial counter %s: %w", a.Counter, err)
	}
	first := uint64(next)
	if first > a.Max || a.Max-first+1 < a.Count {
		return fmt.Errorf("%w: %s has %d left, %d wanted", store.ErrSerialsExhausted, a.Counter, a.Max+1-min(first, a.Max+1), a.Count)
	}
	last := first + a.Count - 1
	if err := a.Fill(e, first, last); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO serials (name, next) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET next = excluded.next`,
		a.Counter, int64(last+1)); err != nil {
		return fmt.Errorf("advance serial counter %s: %w", a.Counter, err)
	}
	return nil
}

// Down implements store.Store.
func (s *Store) Down(ctx context.Context, outlet string, since uint64, maxEvents, maxBytes int) ([]syncproto.Event, uint64, bool, error) {
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
