package postgres

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/lifecycle"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Every migration must have a case here that checks what it created.
func TestMigrations(t *testing.T) {
	// The newer migrations are found by name: their numbers are the ones
	// they have when the migrations meet.
	num := func(name string) int { return migrationNumber(t, name) }
	checks := map[int]func(t *testing.T, db *pgxpool.Pool){
		1: func(t *testing.T, db *pgxpool.Pool) {
			for _, tbl := range []string{"outlets", "events", "events_default", "held_events", "dead_letters", "pending_ranges",
				"conflicts", "downlink", "downlink_head", "counters", "cases", "serials", "serial_once"} {
				mustHaveTable(t, db, tbl)
			}
			var strategy string
			if err := db.QueryRow(context.Background(), `SELECT partstrat::text FROM pg_partitioned_table WHERE partrelid = 'events'::regclass`).Scan(&strategy); err != nil || strategy != "r" {
				t.Errorf("events is not partitioned by range: %q %v", strategy, err)
			}
			var key string
			if err := db.QueryRow(context.Background(), `SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype = 'p'`).Scan(&key); err != nil || key != "PRIMARY KEY (origin, epoch, seq, hlc)" {
				t.Errorf("events key %q %v", key, err)
			}
			var head int64
			if err := db.QueryRow(context.Background(), `SELECT seq FROM downlink_head`).Scan(&head); err != nil || head != 0 {
				t.Errorf("downlink head %d %v, want one row at 0", head, err)
			}
			// Sequences, stamps and milliseconds are 64-bit everywhere.
			rows, err := db.Query(context.Background(), `SELECT table_name || '.' || column_name FROM information_schema.columns
				WHERE table_schema = 'public' AND data_type = 'integer' AND column_name <> 'v' AND table_name <> 'schema_version'`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var col string
				rows.Scan(&col)
				t.Errorf("column %s is 32-bit", col)
			}
		},
		2: func(t *testing.T, db *pgxpool.Pool) {
			for _, tbl := range []string{"accounts", "sessions", "api_tokens", "audit"} {
				mustHaveTable(t, db, tbl)
			}
			ctx := context.Background()
			if _, err := db.Exec(ctx, `INSERT INTO api_tokens (name, scope, hash, created_at) VALUES ('t1', 'read', 'h', 1)`); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(ctx, `INSERT INTO api_tokens (name, scope, hash, created_at) VALUES ('t2', 'read', 'h', 1)`); err == nil {
				t.Error("two tokens with one hash were taken")
			}
			var typ string
			if err := db.QueryRow(ctx, `SELECT data_type FROM information_schema.columns WHERE table_name = 'audit' AND column_name = 'id'`).Scan(&typ); err != nil || typ != "bigint" {
				t.Errorf("audit.id is %q (%v), want bigint", typ, err)
			}
		},
		5: func(t *testing.T, db *pgxpool.Pool) {
			mustHaveTable(t, db, "settings")
			var cols int
			if err := db.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.columns
				WHERE table_name = 'cases' AND column_name IN ('owner', 'due')`).Scan(&cols); err != nil || cols != 2 {
				t.Errorf("cases has %d of owner and due (%v)", cols, err)
			}
			if err := db.QueryRow(context.Background(), `SELECT to_regclass('cases_due') IS NOT NULL`).Scan(new(bool)); err != nil {
				t.Error(err)
			}
		},
		3: func(t *testing.T, db *pgxpool.Pool) {
			mustHaveTable(t, db, "parcels")
			var n int
			if err := db.QueryRow(context.Background(), `SELECT count(*) FROM information_schema.columns
				WHERE table_name = 'outlets' AND column_name IN ('region', 'city', 'head', 'oldest_unsynced', 'rejects')`).Scan(&n); err != nil || n != 5 {
				t.Errorf("outlets has %d of the 5 new columns (%v)", n, err)
			}
			// The parcel held before the migration is indexed in its state
			// at KEEP, since its shelving; head office's event is not.
			var got []string
			rows, err := db.Query(context.Background(), `SELECT waybill || ' ' || outlet || ' ' || state || ' ' || since FROM parcels ORDER BY waybill, outlet`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var r string
				rows.Scan(&r)
				got = append(got, r)
			}
			if want := []string{"SF10000001 KEEP in_stock 6000"}; !slices.Equal(got, want) {
				t.Errorf("parcel index %q, want %q", got, want)
			}
		},
		6: func(t *testing.T, db *pgxpool.Pool) {
			// The counters held before it are summed per outlet.
			rows, err := db.Query(context.Background(), `SELECT day || ' ' || outlet || ' ' || counts FROM measure_outlet_days ORDER BY day, outlet`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var r string
				rows.Scan(&r)
				got = append(got, r)
			}
			if want := []string{"5 KEEP parcels.inbound:5,parcels.picked_up:1", "6 KEEP parcels.inbound:4"}; !slices.Equal(got, want) {
				t.Errorf("per-outlet sums %q, want %q", got, want)
			}
			// The facts' index carries every column, for index-only reads.
			var def string
			if err := db.QueryRow(context.Background(), `SELECT pg_get_indexdef('measure_facts_at'::regclass)`).Scan(&def); err != nil ||
				!strings.Contains(def, "(kind, at, id) INCLUDE (outlet, person, label, reply_at, result_at, escalations, satisfaction, claim, amount_cents)") {
				t.Errorf("measure_facts_at is %q (%v)", def, err)
			}
		},
		num("guessing limits shared by every hub"): func(t *testing.T, db *pgxpool.Pool) {
			mustHaveTable(t, db, "tries")
			// Ended windows are deleted by ends_at: its index.
			var def string
			if err := db.QueryRow(context.Background(), `SELECT indexdef FROM pg_indexes WHERE indexname = $1`, "tries_ends").Scan(&def); err != nil || !strings.Contains(def, "ends_at") {
				t.Errorf("tries_ends is %q (%v), want an index on ends_at", def, err)
			}
		},
		num("satisfaction surveys: definitions, rules per trigger, invitations, opt-outs"): func(t *testing.T, db *pgxpool.Pool) {
			for _, tbl := range []string{"survey_defs", "survey_rules", "survey_invites", "survey_optouts"} {
				mustHaveTable(t, db, tbl)
			}
		},
		7: func(t *testing.T, db *pgxpool.Pool) {
			for _, tbl := range []string{"customers", "customer_outlets", "customer_days", "customer_cases", "customer_moves", "customers_class"} {
				mustHaveTable(t, db, tbl)
			}
		},
		num("head office's calendar of promotions and holidays, seeded"): func(t *testing.T, db *pgxpool.Pool) {
			mustHaveTable(t, db, "calendar")
			var n int
			if err := db.QueryRow(context.Background(), `SELECT count(*) FROM calendar WHERE name_zh = '春节'`).Scan(&n); err != nil || n != 6 {
				t.Errorf("%d Spring Festivals seeded (%v), want 6 (2023-2028)", n, err)
			}
		},
		num("list incident reports"): func(t *testing.T, db *pgxpool.Pool) {
			// An incident a hub before them kept as events of no kind is
			// listed, head office's step folded in; a part alone makes no row.
			var state, outlet, label string
			var open bool
			err := db.QueryRow(context.Background(), `SELECT state, outlet, label, open FROM cases WHERE kind = 'incident' AND id = 'I8'`).Scan(&state, &outlet, &label, &open)
			if err != nil || state != "acknowledged" || outlet != "KEEP" || label != "power" || !open {
				t.Errorf("backfilled row = %s %s %s %v (%v)", state, outlet, label, open, err)
			}
			var n int
			if err := db.QueryRow(context.Background(), `SELECT count(*) FROM cases WHERE kind = 'incident'`).Scan(&n); err != nil || n != 1 {
				t.Errorf("%d incident rows, %v; want 1", n, err)
			}
		},
		num("notices to every outlet in bounded steps, a cap per outlet, the customer's language"): func(t *testing.T, db *pgxpool.Pool) {
			mustHaveTable(t, db, "notice_jobs")
			mustHaveTable(t, db, "notice_capped")
			// A profile from before has the default language.
			var lang string
			if err := db.QueryRow(context.Background(), `SELECT lang FROM customers WHERE id = 'cust13'`).Scan(&lang); err != nil || lang != store.DefaultLang {
				t.Errorf("language of a profile from before: %q (%v), want %q", lang, err, store.DefaultLang)
			}
		},
		num("the customer-message outbox"): func(t *testing.T, db *pgxpool.Pool) {
			mustHaveTable(t, db, "outbox")
			ctx := context.Background()
			for range 2 {
				if _, err := db.Exec(ctx, `INSERT INTO outbox (key, kind, subject, customer, lang, params, state, attempts, next_at, created_at, done_at, last_error, claim, claimed_until)
					VALUES ('k1', 'notice.start', 'N1', 'c1', '', '', 'pending', 0, 1, 1, 0, '', '', 0) ON CONFLICT (key) DO NOTHING`); err != nil {
					t.Fatal(err)
				}
			}
			var n int
			if err := db.QueryRow(ctx, `SELECT count(*) FROM outbox`).Scan(&n); err != nil || n != 1 {
				t.Errorf("%d outbox rows after enqueuing one key twice (%v), want 1", n, err)
			}
		},
		4: func(t *testing.T, db *pgxpool.Pool) {
			mustHaveTable(t, db, "measure_facts")
			mustHaveTable(t, db, "measure_tallies")
			mustHaveTable(t, db, "measure_facts_at")
		},
	}
	// By its name: its number is the one it has when the migrations meet.
	for _, m := range migrations {
		if m.name == "find a complaint by its ticket: the case list by outlet and start" {
			checks[m.version] = func(t *testing.T, db *pgxpool.Pool) {
				var def string
				if err := db.QueryRow(context.Background(), `SELECT indexdef FROM pg_indexes WHERE indexname = 'cases_since'`).Scan(&def); err != nil ||
					!strings.Contains(def, "(kind, outlet, since)") {
					t.Errorf("cases_since is %q (%v)", def, err)
				}
			}
		}
	}
	for _, m := range migrations {
		if checks[m.version] == nil {
			t.Errorf("migration %d (%s) has no test case", m.version, m.name)
		}
	}
	ctx := context.Background()
	dsn := newDSN(t)
	db, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// seeds put rows in the database before the migration of their key,
	// for it to carry over or build upon.
	seeds := map[int]string{
		3: `INSERT INTO events (origin, epoch, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
			('KEEP', 0, 1, 'e1', 100, 'clerk', 'parcel.inbound', 1, 'SF10000001', '{"waybill":"SF10000001","hold_days":3,"at":5000}', 5000),
			('KEEP', 0, 2, 'e2', 101, 'clerk', 'parcel.shelved', 1, 'SF10000001', '{"shelf":"A","layer":"1","code":"A-1-1","at":6000}', 6000),
			('hub', 0, 1, 'h1', 102, 'ho', 'parcel.inbound', 1, 'SF10000002', '{"waybill":"SF10000002","hold_days":3,"at":5000}', 5000)`,
		num("list incident reports"): `INSERT INTO events (origin, epoch, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
			('KEEP', 0, 11, 'i1', 100, 'c01', 'incident.reported', 1, 'I8', '{"occurred_at":90,"cause":"power","text":"停电","at":1000}', 1000),
			('KEEP', 0, 12, 'i2', 101, 'c01', 'incident.photo', 1, 'P8', '{"sha256":"00","part":0,"parts":1,"data":""}', 1000),
			('hub', 0, 11, 'h11', 102, 'yj', 'incident.step', 1, 'I8', '{"step":"acknowledge","at":2000}', 2000)`,
		num("notices to every outlet in bounded steps, a cap per outlet, the customer's language"): `INSERT INTO customers (` + store.CustomerColumns + `)
			VALUES ('cust13',1,1,0,0,0,0,0,0,0,0,0,0,0,'KEEP','parcel','SF1','v2:x:p','138****0000','v2:x:n','张*',1,'','',0,0,0)`,
		6: `INSERT INTO measure_tallies (day, outlet, person, name, n) VALUES
			(5, 'KEEP', 'KEEP/c02', 'parcels.picked_up', 1), (5, 'KEEP', 'KEEP/c01', 'parcels.inbound', 2),
			(5, 'KEEP', 'KEEP/c02', 'parcels.inbound', 3), (6, 'KEEP', 'KEEP/c01', 'parcels.inbound', 4),
			(6, 'KEEP', 'KEEP/c01', 'parcels.returned', 0)`,
	}
	for _, m := range migrations {
		if seed, ok := seeds[m.version]; ok {
			if _, err := db.Exec(ctx, seed); err != nil {
				t.Fatal(err)
			}
		}
		if err := migrate(ctx, db, m.version); err != nil {
			t.Fatalf("migrate to %d: %v", m.version, err)
		}
		var have int
		if err := db.QueryRow(ctx, `SELECT max(version) FROM schema_version`).Scan(&have); err != nil || have != m.version {
			t.Fatalf("after migration %d the schema has version %d (%v)", m.version, have, err)
		}
		t.Run(m.name, func(t *testing.T) { checks[m.version](t, db) })
	}
	// Open on the migrated database changes nothing more.
	s := openDSN(t, dsn, nil)
	if n := count(t, s, `SELECT count(*) FROM schema_version`); n != len(migrations) {
		t.Errorf("%d schema_version rows, want %d", n, len(migrations))
	}
}

func mustHaveTable(t *testing.T, db *pgxpool.Pool, name string) {
	t.Helper()
	var ok bool
	if err := db.QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil || !ok {
		t.Errorf("table %s missing (%v)", name, err)
	}
}

// TestNewerSchemaRefused: a database a newer hub migrated is not touched.
func TestNewerSchemaRefused(t *testing.T) {
	dsn := newDSN(t)
	s := openDSN(t, dsn, nil)
	if _, err := s.b.pool.Exec(context.Background(), `INSERT INTO schema_version (version, name) VALUES ($1, 'from the future')`, SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(context.Background(), dsn, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer than this hub's") {
		t.Fatalf("open of a newer schema: %v", err)
	}
}

// TestHubsStartingAtOnceMigrateOnce: several hub processes opening a fresh
// database together all succeed, and each migration runs once.
func TestHubsStartingAtOnceMigrateOnce(t *testing.T) {
	dsn := newDSN(t)
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = Open(context.Background(), dsn, Options{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("hub %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	if n := count(t, stores[0], `SELECT count(*) FROM schema_version`); n != len(migrations) {
		t.Errorf("%d schema_version rows, want %d", n, len(migrations))
	}
	if n := count(t, stores[0], `SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass`); n != monthsBehind+1+monthsAhead+1 {
		t.Errorf("%d partitions of events, want %d months and the default", n, monthsBehind+1+monthsAhead)
	}
}

// TestRelistBackfillsDeadlines: rows listed before migration 5 carry their
// owner and next deadline once a hub opens the database, and a hub opened
// with other limits refolds the open ones by them.
func TestRelistBackfillsDeadlines(t *testing.T) {
	ctx := context.Background()
	dsn := newDSN(t)
	db, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := migrate(ctx, db, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO events (origin, epoch, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
		('KEEP', 0, 1, 'e1', 100, 'clerk', 'complaint.received', 1, 'C10',
		'{"ticket":"T10","channel":"counter","type":"complaint","category":"delay","severity":"routine","text":"late","owner":"li","at":1000}', 1000);
		INSERT INTO cases (kind, id, outlet, state, open, label, since, hlc) VALUES ('complaint', 'C10', 'KEEP', 'received', true, 'complaint', 1000, 100)`); err != nil {
		t.Fatal(err)
	}
	due := func() (string, int64) {
		var owner string
		var d int64
		if err := db.QueryRow(ctx, `SELECT owner, due FROM cases WHERE kind = 'complaint' AND id = 'C10'`).Scan(&owner, &d); err != nil {
			t.Fatal(err)
		}
		return owner, d
	}
	s, err := Open(ctx, dsn, Options{Limits: &lifecycle.Limits{}})
	if err != nil {
		t.Fatal(err)
	}
	if owner, d := due(); owner != "li" || d != 1000+lifecycle.DefaultFirstReply.Milliseconds() {
		t.Errorf("after open: owner %q due %d", owner, d)
	}
	s.Close()
	// A tool opening it beside the hub leaves the deadlines alone.
	tool, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tool.Close()
	s2, err := Open(ctx, dsn, Options{Limits: &lifecycle.Limits{SLA: lifecycle.SLA{FirstReply: time.Hour}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, d := due(); d != 1000+time.Hour.Milliseconds() {
		t.Errorf("after open with a 1 h first reply: due %d", d)
	}
}

// migrationNumber is the version of the migration called name.
func migrationNumber(t testing.TB, name string) int {
	t.Helper()
	for _, m := range migrations {
		if m.name == name {
			return m.version
		}
	}
	t.Fatalf("no migration %q", name)
	return 0
}
