package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Schema, as of the last migration. Change this comment with every
// migration. The tables and columns are SQLite's (hub/store/sqlite), with
// BIGINT wherever a sequence, an HLC stamp or a Unix millisecond goes and
// COLLATE "C" on the text keys, so that ties order bytewise as in SQLite
// and in Go whatever locale the cluster was created with.
//
//	schema_version (version PK, name, applied_at): one row per migration
//	               applied; the schema's version is the highest
//	outlets        id PK, secret_hash, acked_seq (of the current epoch),
//	               last_seen (unix ms), down_cursor (Since of its last Pull),
//	               created_at, epoch, incarnation (adopted for the epoch, ''
//	               until seen), clock_offset_ms, clock_skewed_events
//	events         origin, epoch, seq, id, hlc, actor, type, v, subject,
//	               target, payload (JSON text, byte-exact: the conflict check
//	               compares payload bytes), received_at, order_hlc (the stamp
//	               it folds by when hlc lay beyond the skew bound at
//	               received_at, else NULL). Only visible events: contiguous
//	               ones, and head office's (origin "hub", epoch 0, seq =
//	               downlink seq). Index on subject.
//	               PARTITION BY RANGE (hlc), one partition a month named
//	               events_YYYY_MM from hlc.Make(first ms of the month, 0) to
//	               that of the next, and events_default for stamps outside
//	               them (a PC clock years off). Months from the current one
//	               less one to twelve ahead exist from Open on (ensureMonths);
//	               retention drops whole months (DropMonthsBefore).
//	               PRIMARY KEY (origin, epoch, seq, hlc): PostgreSQL wants the
//	               partition key in every unique constraint. An event's hlc
//	               is part of its content, so every resend of one event maps
//	               to the same partition and the key keeps (origin, epoch,
//	               seq) idempotent for it; another event under the same
//	               (origin, epoch, seq) is refused by store.Core's conflict
//	               check, under the outlet's row lock, before any insert.
//	held_events    the same columns, PK (origin, epoch, seq), not
//	               partitioned: events beyond acked_seq, moved into events
//	               when the gap before them closes
//	dead_letters   (origin, epoch, seq) PK, code, reason, event (JSON), at
//	pending_ranges (origin, epoch, first, last) PK: batches held beyond
//	               acked_seq, consumed when the gap before them closes
//	conflicts      (origin, epoch, seq) PK, held_id, sent_id, event (the
//	               refused version's JSON), at
//	downlink       seq PK (hub-wide), target (outlet id or "*"), event (JSON),
//	               created_at; index on (target, seq)
//	downlink_head  one row, seq: the highest downlink seq taken. Its row
//	               lock, held from NextDownSeq to the commit, keeps the
//	               sequences gap-free and committed in order across hubs
//	counters       name PK, n
//	cases          (kind, id) PK, outlet, state, open (boolean), label, since
//	               (unix ms), hlc (first event): the case list, rewritten by
//	               store.Summarize in the transaction that stores any of its
//	               events; indexes on (kind, open, hlc) and (kind, outlet,
//	               open, hlc)
//	measure_facts  (kind, id) PK, outlet, person, label, at, reply_at,
//	               result_at, escalations, satisfaction, claim (boolean),
//	               amount_cents: store.Facts, one row per complaint and
//	               exception; index on (kind, at) (migration 4)
//	measure_tallies (day, outlet, person, name) PK, n: store.Tally, parcel
//	               and handover counters per civil day of the hub's zone
//	               (migration 4)
//	serials        name PK, next: hub-wide serial counters (waybill blocks)
//	serial_once    key PK, down_seq: allocations that happen at most once
//	accounts, sessions, api_tokens, audit (migration 2): as SQLite's
//	               migration 7; disabled is a boolean, audit.id a BIGSERIAL.
//	               Ids are taken in nextval order, not commit order, so the
//	               audit listing's cursor may pass a row whose transaction
//	               commits a moment later; it is there on the next listing.
//	               Since migration 5 cases also has owner and due (the next
//	               deadline not yet met, unix ms, 0 for none), index on
//	               (kind, open, due); rows from before it are refolded by
//	               store.Core.Relist at Open, which records the limits it
//	               used in settings
//	settings       name PK, value: what the store keeps about itself
//	               (migration 5)
//	               Since migration 6 the index on measure_facts is
//	               (kind, at, id) including every other column, for
//	               index-only reads of a range
//	measure_outlet_days (day, outlet) PK, counts: measure_tallies summed
//	               over persons, every counter of the outlet's day in one
//	               text (store.OutletDay), added to in the same transaction
//	               (migration 6)
//	outlets (3)    region, city (index on both), head (the highest seq its
//	               agent reported, NULL until one did), oldest_unsynced
//	               (unix ms, 0 for none), rejects
//	parcels        (waybill, outlet) PK, state ('' for a waybill only
//	               scanned), since (unix ms): the parcel index, rewritten by
//	               store.ParcelRows in the transaction that stores any of
//	               the waybill's parcel events at the outlet (migration 3)
//	cases (10)     also lists incident reports (kind incident), backfilled
//	               from the incident events a hub before them kept as
//	               events of no kind
//	customers, customer_outlets, customer_days, customer_cases,
//	customer_moves, customer_parcels, class_counts, class_pushes (migration 7): as SQLite's migration 12, open a BIGINT
//	               0 or 1 as there, so both backends run store.CustomerSQL
//	cases_since    index on cases (kind, outlet, since) (migration 8): as
//	               SQLite's migration 13, for the progress page's ticket
//	calendar (9)   as SQLite's migration 14, uplift a DOUBLE PRECISION
//	outbox (11)    as SQLite's migration 16: customer messages, one per
//	               key, claimed with FOR UPDATE SKIP LOCKED; an index on
//	               parcels (outlet, state)
//	survey_defs, survey_rules, survey_invites, survey_optouts (migration
//	               12): as SQLite's migration of the same name, so both
//	               backends run store.SurveySQL
//	tries (13)     as SQLite's migration of the same name: the public
//	               pages' guessing counters, shared by every hub on the
//	               database (store.TrySQL)
//	customers.lang, notice_jobs, notice_capped (migration 14): as
//	               SQLite's migration of the same name
type migration struct {
	version int
	name    string
	sql     string
	// fn, if set, runs after sql in the same transaction, for data that
	// needs Go to compute.
	fn func(ctx context.Context, tx pgx.Tx) error
}

var migrations = []migration{
	{1, "create outlets, events partitioned by month, held events, dead letters, pending ranges, conflicts, downlink, counters, cases, serials", `
CREATE TABLE outlets (
	id                  TEXT COLLATE "C" PRIMARY KEY,
	secret_hash         TEXT NOT NULL DEFAULT '',
	acked_seq           BIGINT NOT NULL DEFAULT 0,
	last_seen           BIGINT NOT NULL DEFAULT 0,
	down_cursor         BIGINT NOT NULL DEFAULT 0,
	created_at          BIGINT NOT NULL,
	epoch               BIGINT NOT NULL DEFAULT 0,
	incarnation         TEXT NOT NULL DEFAULT '',
	clock_offset_ms     BIGINT NOT NULL DEFAULT 0,
	clock_skewed_events BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE events (
	origin      TEXT COLLATE "C" NOT NULL,
	epoch       BIGINT NOT NULL DEFAULT 0,
	seq         BIGINT NOT NULL,
	id          TEXT COLLATE "C" NOT NULL,
	hlc         BIGINT NOT NULL,
	actor       TEXT NOT NULL,
	type        TEXT COLLATE "C" NOT NULL,
	v           INTEGER NOT NULL,
	subject     TEXT COLLATE "C" NOT NULL DEFAULT '',
	target      TEXT NOT NULL DEFAULT '',
	payload     TEXT,
	received_at BIGINT NOT NULL,
	order_hlc   BIGINT,
	PRIMARY KEY (origin, epoch, seq, hlc)
) PARTITION BY RANGE (hlc);
CREATE TABLE events_default PARTITION OF events DEFAULT;
CREATE INDEX events_subject ON events (subject) WHERE subject <> '';
CREATE TABLE held_events (
	origin      TEXT COLLATE "C" NOT NULL,
	epoch       BIGINT NOT NULL,
	seq         BIGINT NOT NULL,
	id          TEXT COLLATE "C" NOT NULL,
	hlc         BIGINT NOT NULL,
	actor       TEXT NOT NULL,
	type        TEXT COLLATE "C" NOT NULL,
	v           INTEGER NOT NULL,
	subject     TEXT COLLATE "C" NOT NULL DEFAULT '',
	target      TEXT NOT NULL DEFAULT '',
	payload     TEXT,
	received_at BIGINT NOT NULL,
	order_hlc   BIGINT,
	PRIMARY KEY (origin, epoch, seq)
);
CREATE TABLE dead_letters (
	origin TEXT COLLATE "C" NOT NULL,
	epoch  BIGINT NOT NULL,
	seq    BIGINT NOT NULL,
	code   TEXT NOT NULL,
	reason TEXT NOT NULL,
	event  TEXT,
	at     BIGINT NOT NULL,
	PRIMARY KEY (origin, epoch, seq)
);
CREATE TABLE pending_ranges (
	origin TEXT COLLATE "C" NOT NULL,
	epoch  BIGINT NOT NULL,
	first  BIGINT NOT NULL,
	last   BIGINT NOT NULL,
	PRIMARY KEY (origin, epoch, first, last)
);
CREATE TABLE conflicts (
	origin  TEXT COLLATE "C" NOT NULL,
	epoch   BIGINT NOT NULL,
	seq     BIGINT NOT NULL,
	held_id TEXT NOT NULL,
	sent_id TEXT NOT NULL,
	event   TEXT,
	at      BIGINT NOT NULL,
	PRIMARY KEY (origin, epoch, seq)
);
CREATE TABLE downlink (
	seq        BIGINT PRIMARY KEY,
	target     TEXT COLLATE "C" NOT NULL,
	event      TEXT NOT NULL,
	created_at BIGINT NOT NULL
);
CREATE INDEX downlink_target ON downlink (target, seq);
CREATE TABLE downlink_head (
	one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
	seq BIGINT NOT NULL
);
INSERT INTO downlink_head (seq) VALUES (0);
CREATE TABLE counters (
	name TEXT COLLATE "C" PRIMARY KEY,
	n    BIGINT NOT NULL
);
CREATE TABLE cases (
	kind   TEXT COLLATE "C" NOT NULL,
	id     TEXT COLLATE "C" NOT NULL,
	outlet TEXT COLLATE "C" NOT NULL DEFAULT '',
	state  TEXT NOT NULL,
	open   BOOLEAN NOT NULL,
	label  TEXT COLLATE "C" NOT NULL DEFAULT '',
	since  BIGINT NOT NULL,
	hlc    BIGINT NOT NULL,
	PRIMARY KEY (kind, id)
);
CREATE INDEX cases_open ON cases (kind, open, hlc);
CREATE INDEX cases_outlet ON cases (kind, outlet, open, hlc);
CREATE TABLE serials (
	name TEXT COLLATE "C" PRIMARY KEY,
	next BIGINT NOT NULL
);
CREATE TABLE serial_once (
	key      TEXT COLLATE "C" PRIMARY KEY,
	down_seq BIGINT NOT NULL
);
`, nil},
	{2, "head-office accounts, sessions, API tokens and the audit trail", `
CREATE TABLE accounts (
	id            TEXT COLLATE "C" PRIMARY KEY,
	name          TEXT NOT NULL,
	role          TEXT COLLATE "C" NOT NULL,
	disabled      BOOLEAN NOT NULL DEFAULT false,
	password_hash TEXT NOT NULL,
	created_at    BIGINT NOT NULL,
	last_login_at BIGINT NOT NULL DEFAULT 0,
	failures      BIGINT NOT NULL DEFAULT 0,
	locks         BIGINT NOT NULL DEFAULT 0,
	locked_until  BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE sessions (
	hash       TEXT COLLATE "C" PRIMARY KEY,
	account    TEXT COLLATE "C" NOT NULL,
	created_at BIGINT NOT NULL,
	last_seen  BIGINT NOT NULL,
	client     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account);
CREATE INDEX sessions_seen ON sessions (last_seen);
CREATE TABLE api_tokens (
	name       TEXT COLLATE "C" PRIMARY KEY,
	scope      TEXT COLLATE "C" NOT NULL,
	hash       TEXT COLLATE "C" NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	created_by TEXT NOT NULL DEFAULT ''
);
CREATE TABLE audit (
	id       BIGSERIAL PRIMARY KEY,
	at       BIGINT NOT NULL,
	origin   TEXT COLLATE "C" NOT NULL,
	actor    TEXT COLLATE "C" NOT NULL DEFAULT '',
	role     TEXT NOT NULL DEFAULT '',
	action   TEXT COLLATE "C" NOT NULL,
	subject  TEXT NOT NULL DEFAULT '',
	detail   TEXT NOT NULL DEFAULT '',
	client   TEXT NOT NULL DEFAULT '',
	event_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_actor ON audit (actor, id);
`, nil},
	{3, "group outlets by region and city; keep their reported backlog and rejects; index parcels by waybill and outlet", `
ALTER TABLE outlets ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE outlets ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE outlets ADD COLUMN head BIGINT;
ALTER TABLE outlets ADD COLUMN oldest_unsynced BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outlets ADD COLUMN rejects BIGINT NOT NULL DEFAULT 0;
CREATE INDEX outlets_region ON outlets (region, city);
CREATE TABLE parcels (
	waybill TEXT COLLATE "C" NOT NULL,
	outlet  TEXT COLLATE "C" NOT NULL,
	state   TEXT NOT NULL,
	since   BIGINT NOT NULL,
	PRIMARY KEY (waybill, outlet)
);
`, backfillParcels},
	{4, "add the measures' rollups", `
CREATE TABLE measure_facts (
	kind         TEXT COLLATE "C" NOT NULL,
	id           TEXT COLLATE "C" NOT NULL,
	outlet       TEXT COLLATE "C" NOT NULL,
	person       TEXT COLLATE "C" NOT NULL,
	label        TEXT COLLATE "C" NOT NULL,
	at           BIGINT NOT NULL,
	reply_at     BIGINT NOT NULL,
	result_at    BIGINT NOT NULL,
	escalations  BIGINT NOT NULL,
	satisfaction BIGINT NOT NULL,
	claim        BOOLEAN NOT NULL,
	amount_cents BIGINT NOT NULL,
	PRIMARY KEY (kind, id)
);
CREATE INDEX measure_facts_at ON measure_facts (kind, at);
CREATE TABLE measure_tallies (
	day    BIGINT NOT NULL,
	outlet TEXT COLLATE "C" NOT NULL,
	person TEXT COLLATE "C" NOT NULL,
	name   TEXT COLLATE "C" NOT NULL,
	n      BIGINT NOT NULL,
	PRIMARY KEY (day, outlet, person, name)
);
`, nil},
	{5, "order the queues by deadline: the case rows' owner and next deadline; the store's settings", `
ALTER TABLE cases ADD COLUMN owner TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN due BIGINT NOT NULL DEFAULT 0;
CREATE INDEX cases_due ON cases (kind, open, due);
CREATE TABLE settings (
	name  TEXT COLLATE "C" PRIMARY KEY,
	value TEXT NOT NULL
);
`, nil},
	{6, "measures read a range from one covering index and a row of counters per outlet and day", `
DROP INDEX measure_facts_at;
CREATE INDEX measure_facts_at ON measure_facts (kind, at, id) INCLUDE (outlet, person, label, reply_at, result_at,
	escalations, satisfaction, claim, amount_cents);
CREATE TABLE measure_outlet_days (
	day    BIGINT NOT NULL,
	outlet TEXT COLLATE "C" NOT NULL,
	counts TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (day, outlet)
);
INSERT INTO measure_outlet_days (day, outlet, counts)
	SELECT day, outlet, string_agg(name || ':' || n, ',' ORDER BY name) FROM (
		SELECT day, outlet, name, sum(n) AS n FROM measure_tallies GROUP BY day, outlet, name HAVING sum(n) <> 0) AS s
	GROUP BY day, outlet;
`, nil},
	{7, "head office's customer profiles: counts, sealed contact, outlets, days, classes and their moves", `
CREATE TABLE customers (
	id              TEXT COLLATE "C" PRIMARY KEY,
	first_seen      BIGINT NOT NULL,
	last_seen       BIGINT NOT NULL,
	received        BIGINT NOT NULL,
	sent            BIGINT NOT NULL,
	fees_fen        BIGINT NOT NULL,
	complaints      BIGINT NOT NULL,
	complaints_open BIGINT NOT NULL,
	sat_sum         BIGINT NOT NULL,
	sat_n           BIGINT NOT NULL,
	sat_last        BIGINT NOT NULL,
	sat_at          BIGINT NOT NULL,
	exceptions      BIGINT NOT NULL,
	exceptions_open BIGINT NOT NULL,
	contact_outlet  TEXT COLLATE "C" NOT NULL,
	contact_kind    TEXT COLLATE "C" NOT NULL,
	contact_record  TEXT COLLATE "C" NOT NULL,
	phone_sealed    TEXT NOT NULL,
	phone_masked    TEXT NOT NULL,
	name_sealed     TEXT NOT NULL,
	name_masked     TEXT NOT NULL,
	contact_at      BIGINT NOT NULL,
	enterprise      TEXT NOT NULL,
	class           TEXT COLLATE "C" NOT NULL,
	class_at        BIGINT NOT NULL,
	window_parcels  BIGINT NOT NULL,
	window_fees     BIGINT NOT NULL
);
CREATE INDEX customers_class ON customers (class, id);
CREATE INDEX customers_last_seen ON customers (last_seen);
CREATE TABLE customer_outlets (
	customer  TEXT COLLATE "C" NOT NULL,
	outlet    TEXT COLLATE "C" NOT NULL,
	n         BIGINT NOT NULL,
	last_seen BIGINT NOT NULL,
	PRIMARY KEY (customer, outlet)
);
CREATE INDEX customer_outlets_outlet ON customer_outlets (outlet, customer);
CREATE TABLE customer_days (
	customer TEXT COLLATE "C" NOT NULL,
	day      BIGINT NOT NULL,
	parcels  BIGINT NOT NULL,
	fees     BIGINT NOT NULL,
	PRIMARY KEY (customer, day)
);
CREATE INDEX customer_days_day ON customer_days (day);
CREATE TABLE customer_cases (
	kind         TEXT COLLATE "C" NOT NULL,
	id           TEXT COLLATE "C" NOT NULL,
	customer     TEXT COLLATE "C" NOT NULL,
	open         BIGINT NOT NULL,
	satisfaction BIGINT NOT NULL,
	PRIMARY KEY (kind, id)
);
CREATE TABLE customer_moves (
	customer   TEXT COLLATE "C" NOT NULL,
	at         BIGINT NOT NULL,
	from_class TEXT COLLATE "C" NOT NULL,
	to_class   TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (customer, at)
);
CREATE INDEX customer_moves_at ON customer_moves (at);
CREATE INDEX customer_cases_customer ON customer_cases (customer);
CREATE TABLE customer_parcels (
	customer TEXT COLLATE "C" NOT NULL,
	kind     TEXT COLLATE "C" NOT NULL,
	outlet   TEXT COLLATE "C" NOT NULL,
	waybill  TEXT COLLATE "C" NOT NULL,
	at       BIGINT NOT NULL,
	fees     BIGINT NOT NULL,
	PRIMARY KEY (customer, kind, outlet, waybill)
);
CREATE INDEX customer_parcels_at ON customer_parcels (customer, at);
CREATE TABLE class_counts (
	class TEXT COLLATE "C" PRIMARY KEY,
	n     BIGINT NOT NULL
);
CREATE TABLE class_pushes (
	outlet   TEXT COLLATE "C" NOT NULL,
	customer TEXT COLLATE "C" NOT NULL,
	class    TEXT COLLATE "C" NOT NULL,
	PRIMARY KEY (outlet, customer)
);
`, nil},
	{8, "find a complaint by its ticket: the case list by outlet and start", `
CREATE INDEX cases_since ON cases (kind, outlet, since);
`, nil},
	{9, "head office's calendar of promotions and holidays, seeded", `
CREATE TABLE calendar (
	id         TEXT COLLATE "C" PRIMARY KEY,
	name_zh    TEXT NOT NULL,
	name_en    TEXT NOT NULL,
	kind       TEXT NOT NULL,
	first_day  BIGINT NOT NULL,
	last_day   BIGINT NOT NULL,
	uplift     DOUBLE PRECISION NOT NULL,
	updated_at BIGINT NOT NULL,
	updated_by TEXT NOT NULL
);
CREATE INDEX calendar_first ON calendar (first_day, id);
`, func(ctx context.Context, tx pgx.Tx) error { return store.CalendarSQL(pgOn(tx)).SeedCalendar(ctx) }},
	{10, "list incident reports", ``, backfillIncidents},
	{11, "the customer-message outbox", `
CREATE TABLE outbox (
	key           TEXT COLLATE "C" PRIMARY KEY,
	kind          TEXT COLLATE "C" NOT NULL,
	subject       TEXT COLLATE "C" NOT NULL,
	customer      TEXT COLLATE "C" NOT NULL,
	lang          TEXT NOT NULL,
	params        TEXT NOT NULL,
	state         TEXT COLLATE "C" NOT NULL,
	attempts      BIGINT NOT NULL,
	next_at       BIGINT NOT NULL,
	created_at    BIGINT NOT NULL,
	done_at       BIGINT NOT NULL,
	last_error    TEXT NOT NULL,
	claim         TEXT NOT NULL,
	claimed_until BIGINT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_subject ON outbox (subject, kind, state);
CREATE INDEX parcels_outlet ON parcels (outlet, state);
`, nil},
	{12, "satisfaction surveys: definitions, rules per trigger, invitations, opt-outs", `
CREATE TABLE survey_defs (
	id         TEXT COLLATE "C" NOT NULL,
	version    BIGINT NOT NULL,
	body       TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (id, version)
);
CREATE TABLE survey_rules (
	trigger_name TEXT COLLATE "C" PRIMARY KEY,
	survey       TEXT COLLATE "C" NOT NULL,
	share        BIGINT NOT NULL,
	every_days   BIGINT NOT NULL,
	expiry_minutes  BIGINT NOT NULL
);
CREATE TABLE survey_invites (
	id           TEXT COLLATE "C" PRIMARY KEY,
	customer     TEXT COLLATE "C" NOT NULL,
	trigger_name TEXT COLLATE "C" NOT NULL,
	source       TEXT COLLATE "C" NOT NULL,
	outlet       TEXT COLLATE "C" NOT NULL,
	survey       TEXT COLLATE "C" NOT NULL,
	version      BIGINT NOT NULL,
	created_at   BIGINT NOT NULL,
	expires_at   BIGINT NOT NULL,
	used_at      BIGINT NOT NULL
);
CREATE INDEX survey_invites_customer ON survey_invites (customer, created_at);
CREATE INDEX survey_invites_def ON survey_invites (survey, version);
CREATE TABLE survey_optouts (
	customer TEXT COLLATE "C" PRIMARY KEY,
	invite   TEXT COLLATE "C" NOT NULL,
	at       BIGINT NOT NULL
);
CREATE INDEX survey_optouts_invite ON survey_optouts (invite);
`, nil},
	{13, "guessing limits shared by every hub", `
CREATE TABLE tries (
	key     TEXT COLLATE "C" NOT NULL,
	start   BIGINT NOT NULL,
	ends_at BIGINT NOT NULL,
	n       BIGINT NOT NULL,
	PRIMARY KEY (key, start)
);
CREATE INDEX tries_ends ON tries (ends_at);
`, nil},
	{14, "notices to every outlet in bounded steps, a cap per outlet, the customer's language", `
ALTER TABLE customers ADD COLUMN lang TEXT COLLATE "C" NOT NULL DEFAULT 'zh';
CREATE TABLE notice_jobs (
	notice     TEXT COLLATE "C" NOT NULL,
	kind       TEXT COLLATE "C" NOT NULL,
	after_key  TEXT COLLATE "C" NOT NULL,
	done       BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (notice, kind)
);
CREATE INDEX notice_jobs_todo ON notice_jobs (done, created_at);
CREATE TABLE notice_capped (
	notice TEXT COLLATE "C" NOT NULL,
	outlet TEXT COLLATE "C" NOT NULL,
	n      BIGINT NOT NULL,
	PRIMARY KEY (notice, outlet)
);
`, nil},
}

// backfillIncidents lists the incident reports a hub before them kept as
// events of no kind.
func backfillIncidents(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT DISTINCT subject FROM events WHERE subject <> '' AND type LIKE 'incident.%' ORDER BY subject`)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	t := &txn{tx: tx}
	for _, id := range ids {
		if err := store.RefreshCase(ctx, t, store.CaseKey{Kind: lifecycle.KindIncident, ID: id}, lifecycle.Limits{}); err != nil {
			return err
		}
	}
	return nil
}

// backfillParcels builds the parcel index from the events already held.
func backfillParcels(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT DISTINCT origin, subject FROM events
		WHERE subject <> '' AND type LIKE 'parcel.%' AND origin <> $1 ORDER BY origin, subject`, syncproto.HubOrigin)
	if err != nil {
		return err
	}
	type pair struct{ Origin, Subject string }
	pairs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[pair])
	if err != nil {
		return err
	}
	by := map[string][]string{}
	for _, p := range pairs {
		by[p.Origin] = append(by[p.Origin], p.Subject)
	}
	t := &txn{tx: tx}
	for _, o := range slices.Sorted(maps.Keys(by)) {
		for chunk := range slices.Chunk(by[o], 500) {
			if err := store.RefreshParcels(ctx, t, o, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

// SchemaVersion is the version a database has after Open.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// lockMigrate is the advisory lock key every hub process takes to migrate,
// so that several starting at once on a fresh database migrate it once.
// ("yizhan" in ASCII.)
const lockMigrate = 0x79697a68616e

// migrate runs the missing migrations in one transaction under an
// advisory lock: another hub starting at once waits, then finds them done.
func migrate(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, upTo int) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(lockMigrate)); err != nil {
		return fmt.Errorf("lock for migration: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version    INTEGER PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_version`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > SchemaVersion() {
		return fmt.Errorf("database has schema version %d, newer than this hub's %d: run the newer hub or restore a backup", have, SchemaVersion())
	}
	for _, m := range migrations {
		if m.version <= have || m.version > upTo {
			continue
		}
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		if m.fn != nil {
			if err := m.fn(ctx, tx); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_version (version, name) VALUES ($1, $2)`, m.version, m.name); err != nil {
			return fmt.Errorf("migration %d: record version: %w", m.version, err)
		}
	}
	return tx.Commit(ctx)
}
