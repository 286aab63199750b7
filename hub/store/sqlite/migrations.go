package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Schema, as of the last migration. Change this comment with every migration.
//
//	outlets        id PK, secret_hash, acked_seq (of the current epoch),
//	               last_seen (unix ms), down_cursor (Since of its last Pull),
//	               created_at, epoch, incarnation (adopted for the epoch, ''
//	               until seen); since migration 5; clock_offset_ms,
//	               clock_skewed_events since migration 6
//	events         (origin, epoch, seq) PK, id, hlc, actor, type, v, subject,
//	               target, payload (JSON text), received_at; index on
//	               subject. Only visible events: contiguous ones, and head
//	               office's (origin "hub", epoch 0, seq = downlink seq)
//	               Since migration 6 order_hlc: the stamp it folds by when
//	               hlc lay beyond the skew bound at received_at, else NULL
//	held_events    the same columns: events beyond acked_seq, moved into
//	               events when the gap before them closes (migration 5)
//	dead_letters   (origin, epoch, seq) PK, code, reason, event (JSON), at
//	pending_ranges (origin, epoch, first, last): batches held beyond
//	               acked_seq, consumed when the gap before them closes
//	conflicts      (origin, epoch, seq) PK, held_id, sent_id, event (the
//	               refused version's JSON), at (migration 5)
//	downlink       seq PK (hub-wide), target (outlet id or "*"), event (JSON),
//	               created_at; index on (target, seq)
//	counters       name PK, n
//	cases          (kind, id) PK, outlet, state, open, label, since (unix ms),
//	               hlc (first event): the case list, one row per exception,
//	               complaint, notice and template, rewritten by store.Summarize
//	               in the transaction that stores any of its events; indexes
//	               on (kind, open, hlc) and (kind, outlet, open, hlc); since
//	               migration 4 also manifests, handovers, tariff and
//	               prohibited-items versions
//	serials        name PK, next: hub-wide serial counters (waybill blocks),
//	               advanced in the transaction that appends the event
//	serial_once    key PK, down_seq: allocations that happen at most once,
//	               e.g. one block per outlet request
//	               Since migration 10 cases also has owner (an exception's
//	               or complaint's assignee) and due (its next deadline not
//	               yet met, unix ms, 0 for none), index on (kind, open, due);
//	               rows from before it are refolded by store.Core.Relist
//	               at Open, which records the limits it used in settings
//	settings       name PK, value: what the store keeps about itself
//	               (migration 10)
//	accounts       id PK, name, role, disabled, password_hash (argon2id,
//	               hub/accounts), created_at, last_login_at, failures,
//	               locks, locked_until (unix ms; 0 none) (migration 7)
//	sessions       hash PK (SHA-256 of the cookie's token), account,
//	               created_at, last_seen, client; indexes on account and
//	               last_seen (migration 7)
//	api_tokens     name PK, scope, hash (SHA-256 of the secret) UNIQUE,
//	               created_at, created_by (migration 7)
//	audit          id PK (increasing, the listing's cursor), at, origin
//	               ("hub" or an outlet), actor, role, action, subject,
//	               detail, client, event_id (an outlet's audit event); indexes
//	               on at and (actor, id) (migration 7)
//	measure_facts  (kind, id) PK, outlet, person, label, at, reply_at,
//	               result_at (hub-corrected unix ms, 0 for not yet),
//	               escalations, satisfaction, claim, amount_cents: one row
//	               per complaint and exception (store.Facts), rewritten with
//	               its case row; index on (kind, at) (migration 9)
//	measure_tallies (day, outlet, person, name) PK, n: parcel and handover
//	               counters per civil day of the hub's zone (store.Tally),
//	               added once per event made visible (migration 9); both
//	               filled for older events by store.Core.BuildRollups
//	               Since migration 11 the index on measure_facts is
//	               (kind, at, id) with every other column, so the measures'
//	               read of a range never visits the table
//	measure_outlet_days (day, outlet) PK, counts: measure_tallies summed
//	               over persons, every counter of the outlet's day in one
//	               text (store.OutletDay), added to in the same transaction
//	               (migration 11)
//	customers      id PK (the customer id: a keyed hash of the phone),
//	               first_seen, last_seen, received, sent, fees_fen,
//	               complaints, complaints_open, sat_sum, sat_n, sat_last,
//	               sat_at, exceptions, exceptions_open, the latest sealed
//	               contact (contact_outlet, contact_kind, contact_record,
//	               phone_sealed, phone_masked, name_sealed, name_masked,
//	               contact_at), enterprise, class, class_at, window_parcels,
//	               window_fees: store.Customer, added to at commit; indexes
//	               on (class, id) and last_seen (migration 12)
//	customer_outlets (customer, outlet) PK, n, last_seen; index on
//	               (outlet, customer) (migration 12)
//	customer_days  (customer, day) PK, parcels, fees: the classes' window;
//	               index on day (migration 12)
//	customer_cases (kind, id) PK, customer, open, satisfaction: what each
//	               complaint and exception last gave its customer (12)
//	customer_moves (customer, at) PK, from_class, to_class; index on at (12)
//	customer_parcels (customer, kind ('received' or 'sent'), outlet,
//	               waybill) PK, at, fees: each customer's parcels, for the
//	               profile's history and the monthly statement; index on
//	               (customer, at) (12). customer_cases has an index on
//	               customer.
//	class_counts   class PK, n: customers per class, moved with every
//	               class change in its transaction (12)
//	class_pushes   (outlet, customer) PK, class: classes still to send to
//	               outlets (a change, or a customer new at the outlet),
//	               deleted once sent (12)
//	               All of them filled for older events by
//	               store.Core.BuildCustomers
//	calendar       id PK, name_zh, name_en, kind ('promotion' or 'holiday'),
//	               first_day, last_day (DayOf days), uplift (head office's
//	               override, 0 to learn it), updated_at, updated_by ('' for
//	               the seed); index on (first_day, id); seeded with
//	               store.DefaultCalendar (migration 14)
//	outbox         key PK, kind, subject, customer, lang, params (JSON
//	               text), state (pending, sent, delivered, failed),
//	               attempts, next_at, created_at, done_at (unix ms),
//	               last_error, claim, claimed_until: customer messages
//	               (store.OutboxRow), one per key; indexes on (state,
//	               next_at) and (subject, kind, state) (migration 16);
//	               with it, an index on parcels (outlet, state): a
//	               notice's customers at an outlet
//
//	outlets (8)    region, city (index on both), head (the highest seq its
//	               agent reported, NULL until one did), oldest_unsynced
//	               (unix ms of its oldest unacknowledged event as
//	               reported, 0 for none), rejects
//	parcels        (waybill, outlet) PK, state ('' for a waybill only
//	               scanned), since (unix ms): the parcel index, one row per
//	               waybill an outlet has parcel events of, rewritten by
//	               store.ParcelRows in the transaction that stores any of
//	               them (migration 8)
//	cases_since    index on cases (kind, outlet, since): a ticket names its
//	               outlet and day, and the progress page finds its
//	               complaint among that day's (migration 13)
//	cases (15)     also lists incident reports (kind incident), backfilled
//	               from the incident events a hub before them kept as
//	               events of no kind
//	survey_defs    (id, version) PK, body (store.SurveyDef as JSON),
//	               created_at: survey definitions, a version edited only
//	               until an invitation names it (migration 17)
//	survey_rules   trigger_name PK, survey, share (0–100), every_days,
//	               expiry_minutes: the sampling rule per trigger (17)
//	survey_invites id PK (store.InviteID), customer, trigger_name, source,
//	               outlet, survey, version, created_at, expires_at,
//	               used_at (0 until answered; its message is in the
//	               outbox); indexes on (customer, created_at) and
//	               (survey, version) (17)
//	survey_optouts customer PK, invite, at; index on invite (17)
//	tries          (key, start) PK, ends_at, n: the public pages' guessing
//	               counters per fixed window (store.TrySQL), deleted once
//	               ended; index on ends_at (migration 18)
//	customers (19) also lang ('zh' or 'en', head office's choice): the
//	               language its messages are rendered in; outbox state
//	               may also be cancelled (a notice's start message its
//	               end overtook)
//	notice_jobs    (notice, kind ('start', 'end', 'survey')) PK, after_key
//	               (the last outlet or message key done), done, created_at:
//	               a notice to every outlet's messages and invitations,
//	               worked in bounded steps (store.Core.AdvanceNotices);
//	               index on (done, created_at) (19)
//	notice_capped  (notice, outlet) PK, n: customers a notice's start
//	               messages left out at an outlet over [gateway]
//	               max_per_outlet (19)
//
// The version is PRAGMA user_version.
type migration struct {
	version int
	name    string
	sql     string
	// fn, if set, runs after sql in the same transaction, for data that
	// needs Go to compute.
	fn func(ctx context.Context, tx *sql.Tx) error
}

var migrations = []migration{
	{1, "create outlets, events, dead letters, pending ranges, downlink", `
CREATE TABLE outlets (
	id          TEXT PRIMARY KEY,
	secret_hash TEXT NOT NULL DEFAULT '',
	acked_seq   INTEGER NOT NULL DEFAULT 0,
	last_seen   INTEGER NOT NULL DEFAULT 0,
	down_cursor INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL
);
CREATE TABLE events (
	origin      TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	id          TEXT NOT NULL,
	hlc         INTEGER NOT NULL,
	actor       TEXT NOT NULL,
	type        TEXT NOT NULL,
	v           INTEGER NOT NULL,
	subject     TEXT NOT NULL DEFAULT '',
	target      TEXT NOT NULL DEFAULT '',
	payload     TEXT,
	received_at INTEGER NOT NULL,
	PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
CREATE INDEX events_subject ON events (subject) WHERE subject <> '';
CREATE TABLE dead_letters (
	origin TEXT NOT NULL,
	seq    INTEGER NOT NULL,
	code   TEXT NOT NULL,
	reason TEXT NOT NULL,
	event  TEXT,
	at     INTEGER NOT NULL,
	PRIMARY KEY (origin, seq)
) WITHOUT ROWID;
CREATE TABLE pending_ranges (
	origin TEXT NOT NULL,
	first  INTEGER NOT NULL,
	last   INTEGER NOT NULL,
	PRIMARY KEY (origin, first, last)
) WITHOUT ROWID;
CREATE TABLE downlink (
	seq        INTEGER PRIMARY KEY,
	target     TEXT NOT NULL,
	event      TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX downlink_target ON downlink (target, seq);
`, nil},
	{2, "add counters", `
CREATE TABLE counters (
	name TEXT PRIMARY KEY,
	n    INTEGER NOT NULL
) WITHOUT ROWID;
`, nil},
	{3, "add the case list", `
CREATE TABLE cases (
	kind   TEXT NOT NULL,
	id     TEXT NOT NULL,
	outlet TEXT NOT NULL DEFAULT '',
	state  TEXT NOT NULL,
	open   INTEGER NOT NULL,
	label  TEXT NOT NULL DEFAULT '',
	since  INTEGER NOT NULL,
	hlc    INTEGER NOT NULL,
	PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX cases_open ON cases (kind, open, hlc);
CREATE INDEX cases_outlet ON cases (kind, outlet, open, hlc);
`, backfillCases},
	{4, "list manifests, handovers, tariffs and prohibited lists; add serial counters", `
CREATE TABLE serials (
	name TEXT PRIMARY KEY,
	next INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE serial_once (
	key      TEXT PRIMARY KEY,
	down_seq INTEGER NOT NULL
) WITHOUT ROWID;
`, backfill(lifecycle.KindManifest, lifecycle.KindHandover, lifecycle.KindTariff, lifecycle.KindProhibited)},
	{5, "key events on (origin, epoch, seq); hold events beyond the contiguous point apart; record conflicts", `
ALTER TABLE outlets ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outlets ADD COLUMN incarnation TEXT NOT NULL DEFAULT '';
CREATE TABLE events5 (
	origin      TEXT NOT NULL,
	epoch       INTEGER NOT NULL DEFAULT 0,
	seq         INTEGER NOT NULL,
	id          TEXT NOT NULL,
	hlc         INTEGER NOT NULL,
	actor       TEXT NOT NULL,
	type        TEXT NOT NULL,
	v           INTEGER NOT NULL,
	subject     TEXT NOT NULL DEFAULT '',
	target      TEXT NOT NULL DEFAULT '',
	payload     TEXT,
	received_at INTEGER NOT NULL,
	PRIMARY KEY (origin, epoch, seq)
) WITHOUT ROWID;
INSERT INTO events5 (origin, epoch, seq, id, hlc, actor, type, v, subject, target, payload, received_at)
	SELECT origin, 0, seq, id, hlc, actor, type, v, subject, target, payload, received_at FROM events;
DROP TABLE events;
ALTER TABLE events5 RENAME TO events;
CREATE INDEX events_subject ON events (subject) WHERE subject <> '';
CREATE TABLE held_events (
	origin      TEXT NOT NULL,
	epoch       INTEGER NOT NULL,
	seq         INTEGER NOT NULL,
	id          TEXT NOT NULL,
	hlc         INTEGER NOT NULL,
	actor       TEXT NOT NULL,
	type        TEXT NOT NULL,
	v           INTEGER NOT NULL,
	subject     TEXT NOT NULL DEFAULT '',
	target      TEXT NOT NULL DEFAULT '',
	payload     TEXT,
	received_at INTEGER NOT NULL,
	PRIMARY KEY (origin, epoch, seq)
) WITHOUT ROWID;
INSERT INTO held_events SELECT * FROM events e
	WHERE EXISTS (SELECT 1 FROM outlets o WHERE o.id = e.origin AND e.seq > o.acked_seq);
DELETE FROM events WHERE EXISTS (SELECT 1 FROM outlets o WHERE o.id = events.origin AND events.seq > o.acked_seq);
CREATE TABLE dead5 (
	origin TEXT NOT NULL,
	epoch  INTEGER NOT NULL DEFAULT 0,
	seq    INTEGER NOT NULL,
	code   TEXT NOT NULL,
	reason TEXT NOT NULL,
	event  TEXT,
	at     INTEGER NOT NULL,
	PRIMARY KEY (origin, epoch, seq)
) WITHOUT ROWID;
INSERT INTO dead5 (origin, epoch, seq, code, reason, event, at) SELECT origin, 0, seq, code, reason, event, at FROM dead_letters;
DROP TABLE dead_letters;
ALTER TABLE dead5 RENAME TO dead_letters;
CREATE TABLE pending5 (
	origin TEXT NOT NULL,
	epoch  INTEGER NOT NULL DEFAULT 0,
	first  INTEGER NOT NULL,
	last   INTEGER NOT NULL,
	PRIMARY KEY (origin, epoch, first, last)
) WITHOUT ROWID;
INSERT INTO pending5 (origin, epoch, first, last) SELECT origin, 0, first, last FROM pending_ranges;
DROP TABLE pending_ranges;
ALTER TABLE pending5 RENAME TO pending_ranges;
CREATE TABLE conflicts (
	origin  TEXT NOT NULL,
	epoch   INTEGER NOT NULL,
	seq     INTEGER NOT NULL,
	held_id TEXT NOT NULL,
	sent_id TEXT NOT NULL,
	event   TEXT,
	at      INTEGER NOT NULL,
	PRIMARY KEY (origin, epoch, seq)
) WITHOUT ROWID;
`, refreshHeld},
	{6, "fold stamps beyond the skew bound at the bound; flag outlets' clocks", `
ALTER TABLE events ADD COLUMN order_hlc INTEGER;
ALTER TABLE held_events ADD COLUMN order_hlc INTEGER;
ALTER TABLE outlets ADD COLUMN clock_offset_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outlets ADD COLUMN clock_skewed_events INTEGER NOT NULL DEFAULT 0;
`, capStamps},
	{7, "head-office accounts, sessions, API tokens and the audit trail", `
CREATE TABLE accounts (
	id            TEXT PRIMARY KEY,
	name          TEXT NOT NULL,
	role          TEXT NOT NULL,
	disabled      INTEGER NOT NULL DEFAULT 0,
	password_hash TEXT NOT NULL,
	created_at    INTEGER NOT NULL,
	last_login_at INTEGER NOT NULL DEFAULT 0,
	failures      INTEGER NOT NULL DEFAULT 0,
	locks         INTEGER NOT NULL DEFAULT 0,
	locked_until  INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE sessions (
	hash       TEXT PRIMARY KEY,
	account    TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	client     TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_account ON sessions (account);
CREATE INDEX sessions_seen ON sessions (last_seen);
CREATE TABLE api_tokens (
	name       TEXT PRIMARY KEY,
	scope      TEXT NOT NULL,
	hash       TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	created_by TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE TABLE audit (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	at       INTEGER NOT NULL,
	origin   TEXT NOT NULL,
	actor    TEXT NOT NULL DEFAULT '',
	role     TEXT NOT NULL DEFAULT '',
	action   TEXT NOT NULL,
	subject  TEXT NOT NULL DEFAULT '',
	detail   TEXT NOT NULL DEFAULT '',
	client   TEXT NOT NULL DEFAULT '',
	event_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit (at);
CREATE INDEX audit_actor ON audit (actor, id);
`, nil},
	{8, "group outlets by region and city; keep their reported backlog and rejects; index parcels by waybill and outlet", `
ALTER TABLE outlets ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE outlets ADD COLUMN city TEXT NOT NULL DEFAULT '';
ALTER TABLE outlets ADD COLUMN head INTEGER;
ALTER TABLE outlets ADD COLUMN oldest_unsynced INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outlets ADD COLUMN rejects INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outlets_region ON outlets (region, city);
CREATE TABLE parcels (
	waybill TEXT NOT NULL,
	outlet  TEXT NOT NULL,
	state   TEXT NOT NULL,
	since   INTEGER NOT NULL,
	PRIMARY KEY (waybill, outlet)
) WITHOUT ROWID;
`, backfillParcels},
	{9, "add the measures' rollups", `
CREATE TABLE measure_facts (
	kind         TEXT NOT NULL,
	id           TEXT NOT NULL,
	outlet       TEXT NOT NULL,
	person       TEXT NOT NULL,
	label        TEXT NOT NULL,
	at           INTEGER NOT NULL,
	reply_at     INTEGER NOT NULL,
	result_at    INTEGER NOT NULL,
	escalations  INTEGER NOT NULL,
	satisfaction INTEGER NOT NULL,
	claim        INTEGER NOT NULL,
	amount_cents INTEGER NOT NULL,
	PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE INDEX measure_facts_at ON measure_facts (kind, at);
CREATE TABLE measure_tallies (
	day    INTEGER NOT NULL,
	outlet TEXT NOT NULL,
	person TEXT NOT NULL,
	name   TEXT NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (day, outlet, person, name)
) WITHOUT ROWID;
`, nil},
	{10, "order the queues by deadline: the case rows' owner and next deadline; the store's settings", `
ALTER TABLE cases ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN due INTEGER NOT NULL DEFAULT 0;
CREATE INDEX cases_due ON cases (kind, open, due);
CREATE TABLE settings (
	name  TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;
`, nil},
	{11, "measures read a range from one covering index and a row of counters per outlet and day", `
DROP INDEX measure_facts_at;
CREATE INDEX measure_facts_at ON measure_facts (kind, at, id, outlet, person, label, reply_at, result_at,
	escalations, satisfaction, claim, amount_cents);
CREATE TABLE measure_outlet_days (
	day    INTEGER NOT NULL,
	outlet TEXT NOT NULL,
	counts TEXT NOT NULL,
	PRIMARY KEY (day, outlet)
) WITHOUT ROWID;
INSERT INTO measure_outlet_days (day, outlet, counts)
	SELECT day, outlet, group_concat(name || ':' || n, ',' ORDER BY name) FROM (
		SELECT day, outlet, name, sum(n) AS n FROM measure_tallies GROUP BY day, outlet, name HAVING sum(n) <> 0)
	GROUP BY day, outlet;
`, nil},
	{12, "head office's customer profiles: counts, sealed contact, outlets, days, classes and their moves", `
CREATE TABLE customers (
	id              TEXT PRIMARY KEY,
	first_seen      INTEGER NOT NULL,
	last_seen       INTEGER NOT NULL,
	received        INTEGER NOT NULL,
	sent            INTEGER NOT NULL,
	fees_fen        INTEGER NOT NULL,
	complaints      INTEGER NOT NULL,
	complaints_open INTEGER NOT NULL,
	sat_sum         INTEGER NOT NULL,
	sat_n           INTEGER NOT NULL,
	sat_last        INTEGER NOT NULL,
	sat_at          INTEGER NOT NULL,
	exceptions      INTEGER NOT NULL,
	exceptions_open INTEGER NOT NULL,
	contact_outlet  TEXT NOT NULL,
	contact_kind    TEXT NOT NULL,
	contact_record  TEXT NOT NULL,
	phone_sealed    TEXT NOT NULL,
	phone_masked    TEXT NOT NULL,
	name_sealed     TEXT NOT NULL,
	name_masked     TEXT NOT NULL,
	contact_at      INTEGER NOT NULL,
	enterprise      TEXT NOT NULL,
	class           TEXT NOT NULL,
	class_at        INTEGER NOT NULL,
	window_parcels  INTEGER NOT NULL,
	window_fees     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX customers_class ON customers (class, id);
CREATE INDEX customers_last_seen ON customers (last_seen);
CREATE TABLE customer_outlets (
	customer  TEXT NOT NULL,
	outlet    TEXT NOT NULL,
	n         INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	PRIMARY KEY (customer, outlet)
) WITHOUT ROWID;
CREATE INDEX customer_outlets_outlet ON customer_outlets (outlet, customer);
CREATE TABLE customer_days (
	customer TEXT NOT NULL,
	day      INTEGER NOT NULL,
	parcels  INTEGER NOT NULL,
	fees     INTEGER NOT NULL,
	PRIMARY KEY (customer, day)
) WITHOUT ROWID;
CREATE INDEX customer_days_day ON customer_days (day);
CREATE TABLE customer_cases (
	kind         TEXT NOT NULL,
	id           TEXT NOT NULL,
	customer     TEXT NOT NULL,
	open         INTEGER NOT NULL,
	satisfaction INTEGER NOT NULL,
	PRIMARY KEY (kind, id)
) WITHOUT ROWID;
CREATE TABLE customer_moves (
	customer   TEXT NOT NULL,
	at         INTEGER NOT NULL,
	from_class TEXT NOT NULL,
	to_class   TEXT NOT NULL,
	PRIMARY KEY (customer, at)
) WITHOUT ROWID;
CREATE INDEX customer_moves_at ON customer_moves (at);
CREATE INDEX customer_cases_customer ON customer_cases (customer);
CREATE TABLE customer_parcels (
	customer TEXT NOT NULL,
	kind     TEXT NOT NULL,
	outlet   TEXT NOT NULL,
	waybill  TEXT NOT NULL,
	at       INTEGER NOT NULL,
	fees     INTEGER NOT NULL,
	PRIMARY KEY (customer, kind, outlet, waybill)
) WITHOUT ROWID;
CREATE INDEX customer_parcels_at ON customer_parcels (customer, at);
CREATE TABLE class_counts (
	class TEXT PRIMARY KEY,
	n     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE class_pushes (
	outlet   TEXT NOT NULL,
	customer TEXT NOT NULL,
	class    TEXT NOT NULL,
	PRIMARY KEY (outlet, customer)
) WITHOUT ROWID;
`, nil},
	{13, "find a complaint by its ticket: the case list by outlet and start", `
CREATE INDEX cases_since ON cases (kind, outlet, since);
`, nil},
	{14, "head office's calendar of promotions and holidays, seeded", `
CREATE TABLE calendar (
	id         TEXT PRIMARY KEY,
	name_zh    TEXT NOT NULL,
	name_en    TEXT NOT NULL,
	kind       TEXT NOT NULL,
	first_day  INTEGER NOT NULL,
	last_day   INTEGER NOT NULL,
	uplift     REAL NOT NULL,
	updated_at INTEGER NOT NULL,
	updated_by TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX calendar_first ON calendar (first_day, id);
`, func(ctx context.Context, tx *sql.Tx) error { return store.CalendarSQL(sqlOn(tx)).SeedCalendar(ctx) }},
	{15, "list incident reports", ``, backfill(lifecycle.KindIncident)},
	{16, "the customer-message outbox", `
CREATE TABLE outbox (
	key           TEXT PRIMARY KEY,
	kind          TEXT NOT NULL,
	subject       TEXT NOT NULL,
	customer      TEXT NOT NULL,
	lang          TEXT NOT NULL,
	params        TEXT NOT NULL,
	state         TEXT NOT NULL,
	attempts      INTEGER NOT NULL,
	next_at       INTEGER NOT NULL,
	created_at    INTEGER NOT NULL,
	done_at       INTEGER NOT NULL,
	last_error    TEXT NOT NULL,
	claim         TEXT NOT NULL,
	claimed_until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX outbox_due ON outbox (state, next_at);
CREATE INDEX outbox_subject ON outbox (subject, kind, state);
CREATE INDEX parcels_outlet ON parcels (outlet, state);
`, nil},
	{17, "satisfaction surveys: definitions, rules per trigger, invitations, opt-outs", `
CREATE TABLE survey_defs (
	id         TEXT NOT NULL,
	version    INTEGER NOT NULL,
	body       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (id, version)
) WITHOUT ROWID;
CREATE TABLE survey_rules (
	trigger_name TEXT PRIMARY KEY,
	survey       TEXT NOT NULL,
	share        INTEGER NOT NULL,
	every_days   INTEGER NOT NULL,
	expiry_minutes  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE survey_invites (
	id           TEXT PRIMARY KEY,
	customer     TEXT NOT NULL,
	trigger_name TEXT NOT NULL,
	source       TEXT NOT NULL,
	outlet       TEXT NOT NULL,
	survey       TEXT NOT NULL,
	version      INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	used_at      INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX survey_invites_customer ON survey_invites (customer, created_at);
CREATE INDEX survey_invites_def ON survey_invites (survey, version);
CREATE TABLE survey_optouts (
	customer TEXT PRIMARY KEY,
	invite   TEXT NOT NULL,
	at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX survey_optouts_invite ON survey_optouts (invite);
`, nil},
	{18, "guessing limits shared by every hub", `
CREATE TABLE tries (
	key     TEXT NOT NULL,
	start   INTEGER NOT NULL,
	ends_at INTEGER NOT NULL,
	n       INTEGER NOT NULL,
	PRIMARY KEY (key, start)
) WITHOUT ROWID;
CREATE INDEX tries_ends ON tries (ends_at);
`, nil},
	{19, "notices to every outlet in bounded steps, a cap per outlet, the customer's language", `
ALTER TABLE customers ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh';
CREATE TABLE notice_jobs (
	notice     TEXT NOT NULL,
	kind       TEXT NOT NULL,
	after_key  TEXT NOT NULL,
	done       INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (notice, kind)
) WITHOUT ROWID;
CREATE INDEX notice_jobs_todo ON notice_jobs (done, created_at);
CREATE TABLE notice_capped (
	notice TEXT NOT NULL,
	outlet TEXT NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (notice, outlet)
) WITHOUT ROWID;
`, nil},
}

// backfillParcels builds the parcel index from the events already held.
func backfillParcels(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT origin, subject FROM events
		WHERE subject <> '' AND type LIKE 'parcel.%' AND origin <> ? ORDER BY origin, subject`, syncproto.HubOrigin)
	if err != nil {
		return err
	}
	by := map[string][]string{}
	for rows.Next() {
		var o, w string
		if err := rows.Scan(&o, &w); err != nil {
			rows.Close()
			return err
		}
		by[o] = append(by[o], w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	t := &txn{tx: tx, capped: true}
	for _, o := range slices.Sorted(maps.Keys(by)) {
		for chunk := range slices.Chunk(by[o], 500) {
			if err := store.RefreshParcels(ctx, t, o, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

// hasOrderHLC reports whether events has migration 6's order_hlc yet: the
// migrations before it fold without.
func hasOrderHLC(ctx context.Context, tx *sql.Tx) (bool, error) {
	var ok bool
	err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM pragma_table_info('events') WHERE name = 'order_hlc'`).Scan(&ok)
	return ok, err
}

// capStamps repairs what an older hub let in: a stamp beyond the default
// skew bound at its arrival (a PC set to 2500, a head-office step that
// inherited it, one that wrapped negative) is folded at its cap from now
// on, and the entities it belongs to are listed again.
func capStamps(ctx context.Context, tx *sql.Tx) error {
	bound := hlc.DefaultMaxSkew.Milliseconds()
	capped := fmt.Sprintf("(((received_at + %d) << 16) | 65535)", bound)
	for _, table := range []string{"events", "held_events"} {
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET order_hlc = `+capped+` WHERE hlc < 0 OR hlc > `+capped); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outlets SET clock_skewed_events =
		(SELECT count(*) FROM events e WHERE e.origin = outlets.id AND e.order_hlc IS NOT NULL) +
		(SELECT count(*) FROM held_events h WHERE h.origin = outlets.id AND h.order_hlc IS NOT NULL)`); err != nil {
		return err
	}
	todo, err := caseKeysOf(ctx, tx, `SELECT DISTINCT type, subject FROM events WHERE order_hlc IS NOT NULL AND subject <> ''`)
	if err != nil {
		return err
	}
	for k := range todo {
		if err := refreshCase(ctx, tx, k); err != nil {
			return err
		}
	}
	return nil
}

// refreshHeld rewrites the case rows of entities that events moved to
// held_events were about: before migration 5, events beyond an outlet's
// contiguous point showed in head office's views.
func refreshHeld(ctx context.Context, tx *sql.Tx) error {
	todo, err := caseKeysOf(ctx, tx, `SELECT DISTINCT type, subject FROM held_events WHERE subject <> ''`)
	if err != nil {
		return err
	}
	capped, err := hasOrderHLC(ctx, tx)
	if err != nil {
		return err
	}
	for k := range todo {
		if err := refreshCaseOf(ctx, tx, k, capped); err != nil {
			return err
		}
	}
	return nil
}

// backfillCases builds the case list from the events already held.
//
// Each migration that starts listing kinds names them itself, fixed at the
// version it belongs to: a kind the lifecycle table lists later needs a
// migration of its own that backfills it (a test holds the two together).
var backfillCases = backfill(lifecycle.KindException, lifecycle.KindComplaint, lifecycle.KindNotice, lifecycle.KindTemplate)

// backfill lists the entities of kinds from the events already held.
func backfill(kinds ...string) func(ctx context.Context, tx *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error { return backfillKinds(ctx, tx, kinds) }
}

func backfillKinds(ctx context.Context, tx *sql.Tx, kinds []string) error {
	like := make([]string, len(kinds))
	args := make([]any, len(kinds))
	for i, k := range kinds {
		like[i], args[i] = "type LIKE ?", k+".%"
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT type, subject FROM events
		WHERE subject <> '' AND (`+strings.Join(like, " OR ")+`)`, args...)
	if err != nil {
		return err
	}
	todo := map[store.CaseKey]bool{}
	for rows.Next() {
		var typ, subject string
		if err := rows.Scan(&typ, &subject); err != nil {
			rows.Close()
			return err
		}
		if kind := store.CaseKind(typ); kind != "" && slices.Contains(kinds, kind) {
			todo[store.CaseKey{Kind: kind, ID: subject}] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	capped, err := hasOrderHLC(ctx, tx)
	if err != nil {
		return err
	}
	for k := range todo {
		if err := refreshCaseOf(ctx, tx, k, capped); err != nil {
			return err
		}
	}
	return nil
}

// SchemaVersion is the version a database has after Open.
func SchemaVersion() int { return migrations[len(migrations)-1].version }

// migrate runs the missing migrations in one immediate transaction, so two
// processes opening a fresh file do not both apply them.
func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > SchemaVersion() {
		return fmt.Errorf("database has schema version %d, newer than this hub's %d: run the newer hub or restore a backup", have, SchemaVersion())
	}
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		if m.fn != nil {
			if err := m.fn(ctx, tx); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		// PRAGMA takes no bind parameters; the value is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			return fmt.Errorf("migration %d: set version: %w", m.version, err)
		}
	}
	return tx.Commit()
}

// caseKeysOf returns the case rows that the (type, subject) pairs query
// selects are about.
func caseKeysOf(ctx context.Context, tx *sql.Tx, query string) (map[store.CaseKey]bool, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	todo := map[store.CaseKey]bool{}
	for rows.Next() {
		var typ, subject string
		if err := rows.Scan(&typ, &subject); err != nil {
			return nil, err
		}
		if kind := store.CaseKind(typ); kind != "" {
			todo[store.CaseKey{Kind: kind, ID: subject}] = true
		}
	}
	return todo, rows.Err()
}
