package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/storetest"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hub.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func commit(t *testing.T, s *Store, bs ...*syncproto.Batch) []store.Result {
	t.Helper()
	var units []store.Unit
	for _, b := range bs {
		units = append(units, store.Unit{Batch: b})
	}
	res, err := s.Commit(context.Background(), units)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func countRows(t *testing.T, s *Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.b.r.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Every migration must have a case here that checks what it created, and
// migrating a database from the previous version must keep its rows.
// seedAt is when migration 9's seeded complaint was received.
var seedAt = time.Date(2026, 7, 1, 2, 0, 0, 0, time.UTC).UnixMilli()

func TestMigrations(t *testing.T) {
	// The newer migrations are found by name: their numbers are the ones
	// they have when the migrations meet.
	num := func(name string) int { return migrationNumber(t, name) }
	checks := map[int]func(t *testing.T, db *sql.DB){
		1: func(t *testing.T, db *sql.DB) {
			for _, tbl := range []string{"outlets", "events", "dead_letters", "pending_ranges", "downlink"} {
				mustHaveTable(t, db, tbl)
			}
		},
		2: func(t *testing.T, db *sql.DB) { mustHaveTable(t, db, "counters") },
		3: func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "cases")
			// The complaint held before the migration is listed by it.
			var state, outlet string
			var open bool
			if err := db.QueryRow(`SELECT state, outlet, open FROM cases WHERE kind = 'complaint' AND id = 'C1'`).Scan(&state, &outlet, &open); err != nil {
				t.Fatalf("complaint held before the migration is not listed: %v", err)
			}
			if state != "received" || outlet != "KEEP" || !open {
				t.Errorf("backfilled row = %s %s %v", state, outlet, open)
			}
		},
		num("list incident reports"): func(t *testing.T, db *sql.DB) {
			// An incident a hub before them kept as events of no kind is
			// listed, with head office's step folded in; a part on its
			// own makes no row.
			var state, outlet, label string
			var open int
			if err := db.QueryRow(`SELECT state, outlet, label, open FROM cases WHERE kind = 'incident' AND id = 'I13'`).Scan(&state, &outlet, &label, &open); err != nil {
				t.Fatalf("incident held before the migration is not listed: %v", err)
			}
			if state != "acknowledged" || outlet != "KEEP" || label != "power" || open != 1 {
				t.Errorf("backfilled row = %s %s %s %d", state, outlet, label, open)
			}
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM cases WHERE kind = 'incident'`).Scan(&n); err != nil || n != 1 {
				t.Errorf("%d incident rows, %v; want 1", n, err)
			}
		},
		4: func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "serials")
			mustHaveTable(t, db, "serial_once")
			// The manifest held before the migration is listed under its target.
			var state, outlet, label string
			if err := db.QueryRow(`SELECT state, outlet, label FROM cases WHERE kind = 'manifest' AND id = 'M1'`).Scan(&state, &outlet, &label); err != nil {
				t.Fatalf("manifest held before the migration is not listed: %v", err)
			}
			if state != "published" || outlet != "KEEP" || label != "L1" {
				t.Errorf("backfilled row = %s %s %s", state, outlet, label)
			}
		},
		5: func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "held_events")
			mustHaveTable(t, db, "conflicts")
			var visible, held, dead, pending int
			db.QueryRow(`SELECT count(*) FROM events WHERE origin = 'KEEP' AND epoch = 0`).Scan(&visible)
			db.QueryRow(`SELECT count(*) FROM held_events WHERE origin = 'KEEP' AND epoch = 0 AND seq = 50`).Scan(&held)
			db.QueryRow(`SELECT count(*) FROM dead_letters WHERE origin = 'KEEP' AND epoch = 0 AND seq = 40`).Scan(&dead)
			db.QueryRow(`SELECT count(*) FROM pending_ranges WHERE origin = 'KEEP' AND epoch = 0 AND first = 50`).Scan(&pending)
			if visible != 2 || held != 1 || dead != 1 || pending != 1 {
				t.Errorf("after migration: %d visible (want 41, 42), %d held (want 50), %d dead letters, %d pending ranges", visible, held, dead, pending)
			}
			// The exception only a held event created is no longer listed.
			var n int
			db.QueryRow(`SELECT count(*) FROM cases WHERE kind = 'exception' AND id = 'EX1'`).Scan(&n)
			if n != 0 {
				t.Error("an exception known only from an event beyond the contiguous point is still listed")
			}
			var epoch int
			var inc string
			if err := db.QueryRow(`SELECT epoch, incarnation FROM outlets WHERE id = 'KEEP'`).Scan(&epoch, &inc); err != nil || epoch != 0 || inc != "" {
				t.Errorf("outlet epoch %d incarnation %q: %v", epoch, inc, err)
			}
		},
		6: func(t *testing.T, db *sql.DB) {
			// The year-2500 stamp and the wrapped one fold at their cap from
			// now on; the sane one is left alone.
			capped := int64(hlc.Make(1000+hlc.DefaultMaxSkew.Milliseconds(), 65535))
			rows, err := db.Query(`SELECT seq, hlc, order_hlc FROM events WHERE origin = 'KEEP' ORDER BY seq`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			want := map[int64]sql.NullInt64{1: {Int64: capped, Valid: true}, 2: {Int64: capped, Valid: true}, 3: {}}
			for rows.Next() {
				var seq, h int64
				var order sql.NullInt64
				if err := rows.Scan(&seq, &h, &order); err != nil {
					t.Fatal(err)
				}
				if order != want[seq] {
					t.Errorf("event %d (hlc %d): order_hlc %+v, want %+v", seq, h, order, want[seq])
				}
			}
			var skewed, caseHLC int64
			if err := db.QueryRow(`SELECT clock_skewed_events FROM outlets WHERE id = 'KEEP'`).Scan(&skewed); err != nil || skewed != 2 {
				t.Errorf("KEEP flags %d skewed events (%v), want 2", skewed, err)
			}
			if err := db.QueryRow(`SELECT hlc FROM cases WHERE kind = 'complaint' AND id = 'C5'`).Scan(&caseHLC); err != nil || caseHLC != capped {
				t.Errorf("case list row of C5 at hlc %d (%v), want the cap %d", caseHLC, err, capped)
			}
		},
		7: func(t *testing.T, db *sql.DB) {
			// The new tables exist, empty; a token's hash is unique and the
			// audit ids only increase (the listing's cursor).
			for _, tbl := range []string{"accounts", "sessions", "api_tokens", "audit"} {
				var n int
				if err := db.QueryRow(`SELECT count(*) FROM ` + tbl).Scan(&n); err != nil || n != 0 {
					t.Errorf("%s: %d rows, %v", tbl, n, err)
				}
			}
			for tbl, want := range map[string]string{"api_tokens": "hash       TEXT NOT NULL UNIQUE", "audit": "AUTOINCREMENT"} {
				var ddl string
				if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = ?`, tbl).Scan(&ddl); err != nil || !strings.Contains(ddl, want) {
					t.Errorf("%s is %q (%v), want %q in it", tbl, ddl, err, want)
				}
			}
		},
		num("head office's calendar of promotions and holidays, seeded"): func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "calendar")
			// Seeded: every default event, Double 11 of 2025 among them.
			var n, first int64
			if err := db.QueryRow(`SELECT count(*) FROM calendar`).Scan(&n); err != nil || n != int64(len(store.DefaultCalendar())) {
				t.Errorf("%d calendar events (%v), want the %d seeded", n, err, len(store.DefaultCalendar()))
			}
			want := time.Date(2025, 11, 11, 0, 0, 0, 0, time.UTC).Unix() / 86400
			if err := db.QueryRow(`SELECT first_day FROM calendar WHERE id = 'double11-2025' AND name_zh = '双11'`).Scan(&first); err != nil || first != want {
				t.Errorf("Double 11 2025 begins on day %d (%v), want %d", first, err, want)
			}
		},
		num("guessing limits shared by every hub"): func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "tries")
			// Ended windows are deleted by ends_at: its index.
			var def string
			if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = ?`, "tries_ends").Scan(&def); err != nil || !strings.Contains(def, "ends_at") {
				t.Errorf("tries_ends is %q (%v), want an index on ends_at", def, err)
			}
		},
		num("satisfaction surveys: definitions, rules per trigger, invitations, opt-outs"): func(t *testing.T, db *sql.DB) {
			for _, tbl := range []string{"survey_defs", "survey_rules", "survey_invites", "survey_optouts"} {
				mustHaveTable(t, db, tbl)
			}
		},
		num("notices to every outlet in bounded steps, a cap per outlet, the customer's language"): func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "notice_jobs")
			mustHaveTable(t, db, "notice_capped")
			// A profile from before has the default language.
			var lang string
			if err := db.QueryRow(`SELECT lang FROM customers WHERE id = 'cust18'`).Scan(&lang); err != nil || lang != store.DefaultLang {
				t.Errorf("language of a profile from before: %q (%v), want %q", lang, err, store.DefaultLang)
			}
		},
		num("the customer-message outbox"): func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "outbox")
			// Keyed by the message key; the sender's and the counts' indexes.
			for name, want := range map[string]string{"outbox": "key           TEXT PRIMARY KEY", "outbox_due": "(state, next_at)", "outbox_subject": "(subject, kind, state)",
				"parcels_outlet": "(outlet, state)"} {
				var def string
				if err := db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = ?`, name).Scan(&def); err != nil || !strings.Contains(def, want) {
					t.Errorf("%s is %q (%v), want %q in it", name, def, err, want)
				}
			}
		},
		12: func(t *testing.T, db *sql.DB) {
			for _, tbl := range []string{"customers", "customer_outlets", "customer_days", "customer_cases", "customer_moves"} {
				mustHaveTable(t, db, tbl)
			}
			// The events held before the migration are folded at Open
			// (BuildCustomers): one intake and its pickup, one shipment,
			// one complaint at another outlet.
			var received, sent, fees, complaints int64
			var outlet, class string
			if err := db.QueryRow(`SELECT received, sent, fees_fen, complaints, contact_outlet, class FROM customers WHERE id = 'cust12'`).
				Scan(&received, &sent, &fees, &complaints, &outlet, &class); err != nil ||
				received != 1 || sent != 1 || fees != 700 || complaints != 1 || outlet != "KEEP" || class == "" {
				t.Errorf("customer cust12: received %d sent %d fees %d complaints %d contact at %q class %q (%v)", received, sent, fees, complaints, outlet, class, err)
			}
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM customer_outlets WHERE customer = 'cust12'`).Scan(&n); err != nil || n != 2 {
				t.Errorf("%d outlets of cust12 (%v), want 2", n, err)
			}
		},
		10: func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "settings")
			// The rows listed before the migration carry their owner and
			// next deadline after Open (Relist, at the default limits).
			for _, want := range []struct {
				kind, id, owner string
				due             int64
			}{
				{"complaint", "C10", "li", 1000 + lifecycle.DefaultFirstReply.Milliseconds()},
				{"exception", "X10", "c01", 1000 + lifecycle.DefaultExceptionDeadlines["damaged"].Milliseconds()},
			} {
				var owner string
				var due int64
				if err := db.QueryRow(`SELECT owner, due FROM cases WHERE kind = ? AND id = ?`, want.kind, want.id).Scan(&owner, &due); err != nil ||
					owner != want.owner || due != want.due {
					t.Errorf("%s %s: owner %q due %d (%v), want %q %d", want.kind, want.id, owner, due, err, want.owner, want.due)
				}
			}
			var limits string
			if err := db.QueryRow(`SELECT value FROM settings WHERE name = 'case_limits'`).Scan(&limits); err != nil || limits == "" {
				t.Errorf("the limits the rows were folded with are not recorded: %q %v", limits, err)
			}
		},
		8: func(t *testing.T, db *sql.DB) {
			mustHaveTable(t, db, "parcels")
			var region, city string
			var head sql.NullInt64
			if err := db.QueryRow(`SELECT region, city, head FROM outlets WHERE id = 'KEEP'`).Scan(&region, &city, &head); err != nil ||
				region != "" || city != "" || head.Valid {
				t.Errorf("outlet KEEP region %q city %q head %+v (%v), want none yet", region, city, head, err)
			}
			// The parcel held before the migration is indexed in its state
			// at KEEP, since its shelving; head office's event is not.
			rows, err := db.Query(`SELECT waybill, outlet, state, since FROM parcels ORDER BY waybill, outlet`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var w, o, st string
				var since int64
				rows.Scan(&w, &o, &st, &since)
				got = append(got, fmt.Sprintf("%s %s %s %d", w, o, st, since))
			}
			if want := []string{"SF10000001 KEEP in_stock 6000"}; !slices.Equal(got, want) {
				t.Errorf("parcel index %q, want %q", got, want)
			}
		},
		11: func(t *testing.T, db *sql.DB) {
			// The counters held before it are summed per outlet.
			rows, err := db.Query(`SELECT day, outlet, counts FROM measure_outlet_days ORDER BY day, outlet`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var day int64
				var outlet, counts string
				rows.Scan(&day, &outlet, &counts)
				got = append(got, fmt.Sprintf("%d %s %s", day, outlet, counts))
			}
			if want := []string{"5 KEEP parcels.inbound:5,parcels.picked_up:1", "6 KEEP parcels.inbound:4"}; !slices.Equal(got, want) {
				t.Errorf("per-outlet sums %q, want %q", got, want)
			}
			// A range of facts is read from the index alone.
			var plan strings.Builder
			prows, err := db.Query(`EXPLAIN QUERY PLAN SELECT ` + store.FactsColumns + ` FROM measure_facts
				WHERE kind = 'complaint' AND at >= 0 AND at < 5 AND outlet = 'KEEP' ORDER BY at, id`)
			if err != nil {
				t.Fatal(err)
			}
			defer prows.Close()
			for prows.Next() {
				var id, parent, unused int
				var detail string
				prows.Scan(&id, &parent, &unused, &detail)
				plan.WriteString(detail + "; ")
			}
			if p := plan.String(); !strings.Contains(p, "COVERING INDEX measure_facts_at") || strings.Contains(p, "TEMP B-TREE") {
				t.Errorf("facts of a range read by %q, want the covering index in its order", p)
			}
			var n int
			if err := db.QueryRow(`SELECT count(*) FROM measure_facts WHERE kind = 'complaint' AND at >= 0 AND at < 5`).Scan(&n); err != nil || n != 1 {
				t.Errorf("%d facts in the range (%v), want the one held before", n, err)
			}
		},
		9: func(t *testing.T, db *sql.DB) {
			// Opening the migrated file built the measures of the events
			// it held: the complaint's facts and the parcel's counters.
			var at, reply int64
			var person string
			if err := db.QueryRow(`SELECT at, reply_at, person FROM measure_facts WHERE kind = 'complaint' AND id = 'C9'`).Scan(&at, &reply, &person); err != nil ||
				at != seedAt || reply-at != 2*3600_000 || person != "hub/alice" {
				t.Errorf("facts of C9: at %d reply %d by %q (%v); want at %d, a reply 2 h later by hub/alice", at, reply, person, err, seedAt)
			}
			got := map[string]int64{}
			rows, err := db.Query(`SELECT name, sum(n) FROM measure_tallies GROUP BY name`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var name string
				var n int64
				rows.Scan(&name, &n)
				got[name] = n
			}
			dwell := store.TallyDwellPrefix + fmt.Sprint(store.DwellBucket(24*3600_000))
			if got[store.TallyInbound] != 1 || got[store.TallyPickedUp] != 1 || got[dwell] != 1 || len(got) != 3 {
				t.Errorf("tallies %v: want one inbound, one pickup and one dwell of a day (%s)", got, dwell)
			}
			var built int64
			if err := db.QueryRow(`SELECT next FROM serials WHERE name = 'rollups.built'`).Scan(&built); err != nil || built == 0 {
				t.Errorf("rollups not marked built: %d %v", built, err)
			}
		},
	}
	// seeds put rows in a database at the version before the key, for the
	// migration to carry over or build upon.
	seeds := map[int]string{
		12: fmt.Sprintf(`INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
			('KEEP', 1, 'e1', %[1]d, 'c01', 'parcel.inbound', 1, 'SF12', '{"waybill":"SF12","customer":"cust12","phone_sealed":"v2:k:p","at":1}', 1),
			('KEEP', 2, 'e2', %[2]d, 'c01', 'parcel.picked_up', 1, 'SF12', '{"at":2}', 1),
			('KEEP', 3, 'e3', %[3]d, 'c01', 'shipment.accepted', 1, 'SN12', '{"number":"SN12","sender":{"customer":"cust12","phone_sealed":"v2:k:s"},"quote":{"total_fen":700},"at":3}', 1),
			('OTHER', 1, 'o1', %[2]d, 'c02', 'complaint.received', 1, 'C12',
			'{"ticket":"T12","channel":"counter","type":"complaint","category":"delay","severity":"routine","customer":"cust12","text":"late","at":1}', 1);
			INSERT INTO cases (kind, id, outlet, state, open, label, since, hlc) VALUES ('complaint', 'C12', 'OTHER', 'received', 1, 'complaint', 1, %[2]d)`,
			int64(hlc.Make(seedAt, 0)), int64(hlc.Make(seedAt+3600_000, 0)), int64(hlc.Make(seedAt+7200_000, 0))),
		num("list incident reports"): `INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
			('KEEP', 1, 'e1', 100, 'c01', 'incident.reported', 1, 'I13', '{"occurred_at":90,"cause":"power","text":"停电","at":1000}', 1000),
			('KEEP', 2, 'e2', 101, 'c01', 'incident.photo', 1, 'P13', '{"sha256":"00","part":0,"parts":1,"data":""}', 1000),
			('hub', 1, 'h1', 102, 'yj', 'incident.step', 1, 'I13', '{"step":"acknowledge","at":2000}', 2000)`,
		3: `INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, payload, received_at)
			VALUES ('KEEP', 1, 'e1', 100, 'clerk', 'complaint.received', 1, 'C1',
			'{"ticket":"T1","channel":"counter","type":"complaint","category":"delay","severity":"routine","text":"late","at":1000}', 1)`,
		4: `INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, target, payload, received_at)
			VALUES ('hub', 1, 'm1', 100, 'ho', 'manifest.published', 1, 'M1', 'KEEP', '{"waybills":["SF1"],"line":"L1","expected_at":5,"at":1}', 1)`,
		5: `INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
			('KEEP', 41, 'e41', 100, 'clerk', 'parcel.inbound', 1, 'SF1', '{}', 1),
			('KEEP', 42, 'e42', 101, 'clerk', 'parcel.inbound', 1, 'SF1', '{}', 1),
			('KEEP', 50, 'e50', 102, 'clerk', 'exception.reported', 1, 'EX1', '{"waybill":"SF1","kind":"damaged","owner":"c01","at":1}', 1);
			INSERT INTO dead_letters (origin, seq, code, reason, event, at) VALUES ('KEEP', 40, 'invalid_event', 'no actor', '{"id":"e40"}', 1);
			INSERT INTO pending_ranges (origin, first, last) VALUES ('KEEP', 50, 50);
			INSERT INTO cases (kind, id, outlet, state, open, label, since, hlc) VALUES ('exception', 'EX1', 'KEEP', 'reported', 1, 'damaged', 1, 102)`,
		6: fmt.Sprintf(`INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
			('KEEP', 1, 'e1', %d, 'clerk', 'complaint.received', 1, 'C5',
			'{"ticket":"T5","channel":"counter","type":"complaint","category":"delay","severity":"routine","text":"late","at":1000}', 1000),
			('KEEP', 2, 'e2', -5, 'clerk', 'complaint.step', 1, 'C5', '{}', 1000),
			('KEEP', 3, 'e3', 100, 'clerk', 'scan.recorded', 1, 'SF1', '{}', 1000)`,
			int64(hlc.Make(time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 0))),
		10: `INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
			('KEEP', 1, 'e1', 100, 'clerk', 'complaint.received', 1, 'C10',
			'{"ticket":"T10","channel":"counter","type":"complaint","category":"delay","severity":"routine","text":"late","owner":"li","at":1000}', 1000),
			('KEEP', 2, 'e2', 101, 'clerk', 'exception.reported', 1, 'X10', '{"waybill":"SF1","kind":"damaged","owner":"c01","at":1000}', 1000);
			INSERT INTO cases (kind, id, outlet, state, open, label, since, hlc) VALUES
			('complaint', 'C10', 'KEEP', 'received', 1, 'complaint', 1000, 100),
			('exception', 'X10', 'KEEP', 'reported', 1, 'damaged', 1000, 101)`,
		8: `INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
			('KEEP', 1, 'e1', 100, 'clerk', 'parcel.inbound', 1, 'SF10000001', '{"waybill":"SF10000001","hold_days":3,"at":5000}', 5000),
			('KEEP', 2, 'e2', 101, 'clerk', 'parcel.shelved', 1, 'SF10000001', '{"shelf":"A","layer":"1","code":"A-1-1","at":6000}', 6000),
			('hub', 1, 'h1', 102, 'ho', 'parcel.inbound', 1, 'SF10000002', '{"waybill":"SF10000002","hold_days":3,"at":5000}', 5000)`,
		9: fmt.Sprintf(`INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, payload, received_at) VALUES
			('KEEP', 1, 'e1', %[1]d, 'c01', 'complaint.received', 1, 'C9',
			'{"ticket":"T9","channel":"counter","type":"complaint","category":"delay","severity":"routine","text":"late","at":1}', 1),
			('KEEP', 2, 'e2', %[1]d, 'c01', 'parcel.inbound', 1, 'SF9', '{"waybill":"SF9","at":1}', 1),
			('KEEP', 3, 'e3', %[3]d, 'c01', 'parcel.picked_up', 1, 'SF9', '{"at":1}', 1),
			('hub', 1, 'h1', %[2]d, 'alice', 'complaint.step', 1, 'C9', '{"step":"acknowledge","at":1}', 1);
			INSERT INTO cases (kind, id, outlet, state, open, label, since, hlc) VALUES ('complaint', 'C9', 'KEEP', 'acknowledged', 1, 'complaint', 1, %[1]d)`,
			int64(hlc.Make(seedAt, 0)), int64(hlc.Make(seedAt+2*3600_000, 0)), int64(hlc.Make(seedAt+24*3600_000, 0))),
	}
	// Rollups marked built for UTC (store.zoneMark), so that Open keeps
	// migration 11's seeded counters instead of rebuilding them from
	// the (absent) events.
	h := fnv.New64a()
	h.Write([]byte("UTC"))
	seeds[11] = fmt.Sprintf(`INSERT INTO serials (name, next) VALUES ('rollups.built', %d);
		INSERT INTO measure_tallies (day, outlet, person, name, n) VALUES
		(5, 'KEEP', 'KEEP/c02', 'parcels.picked_up', 1), (5, 'KEEP', 'KEEP/c01', 'parcels.inbound', 2),
		(5, 'KEEP', 'KEEP/c02', 'parcels.inbound', 3), (6, 'KEEP', 'KEEP/c01', 'parcels.inbound', 4),
		(6, 'KEEP', 'KEEP/c01', 'parcels.returned', 0);
		INSERT INTO measure_facts (kind, id, outlet, person, label, at, reply_at, result_at, escalations, satisfaction, claim, amount_cents)
		VALUES ('complaint', 'C11', 'KEEP', 'KEEP/c01', 'complaint', 1, 0, 0, 0, 0, 0, 0)`, h.Sum64()>>1|1)
	seeds[num("notices to every outlet in bounded steps, a cap per outlet, the customer's language")] = `INSERT INTO customers (` + store.CustomerColumns + `)
		VALUES ('cust18',1,1,0,0,0,0,0,0,0,0,0,0,0,'KEEP','parcel','SF1','v2:x:p','138****0000','v2:x:n','张*',1,'','',0,0,0);
		INSERT INTO settings (name, value) VALUES ('customers.built', '1')`
	// By its name: its number is the one it has when the migrations meet.
	for _, m := range migrations {
		if m.name == "find a complaint by its ticket: the case list by outlet and start" {
			checks[m.version] = func(t *testing.T, db *sql.DB) {
				// The progress page's query for a ticket reads the index.
				arg := func(any) string { return "?" }
				q := store.CaseQuery{Kind: "complaint", Outlet: "KEEP", SinceFrom: 1, SinceBefore: 2, IDSuffix: "abc123", Limit: 2}
				rows, err := db.Query(`EXPLAIN QUERY PLAN SELECT id FROM cases`+store.CaseSelect(q, arg, false), "complaint", "KEEP", 1, 2, "%abc123", 2)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var plan []string
				for rows.Next() {
					var id, parent, unused int
					var detail string
					rows.Scan(&id, &parent, &unused, &detail)
					plan = append(plan, detail)
				}
				if !strings.Contains(strings.Join(plan, "; "), "cases_since") {
					t.Errorf("a ticket's query does not use cases_since: %v", plan)
				}
			}
		}
	}
	for _, m := range migrations {
		check, ok := checks[m.version]
		if !ok {
			t.Errorf("migration %d (%s) has no test case", m.version, m.name)
			continue
		}
		t.Run(fmt.Sprint(m.version), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hub.db")
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// Bring a database to the previous version by hand, with a row.
			for _, prev := range migrations {
				if prev.version >= m.version {
					break
				}
				if _, err := db.Exec(prev.sql); err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", prev.version)); err != nil {
					t.Fatal(err)
				}
			}
			if m.version > 1 {
				if _, err := db.Exec(`INSERT INTO outlets (id, acked_seq, created_at) VALUES ('KEEP', 42, 1)`); err != nil {
					t.Fatal(err)
				}
			}
			if seed, ok := seeds[m.version]; ok {
				if _, err := db.Exec(seed); err != nil {
					t.Fatal(err)
				}
			}
			db.Close()
			// As the hub opens it: with its limits, so Relist runs.
			s, err := Open(context.Background(), path, Options{Limits: &lifecycle.Limits{}, Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			check(t, s.b.r)
			var v int
			s.b.r.QueryRow("PRAGMA user_version").Scan(&v)
			if v != SchemaVersion() {
				t.Errorf("version %d after open, want %d", v, SchemaVersion())
			}
			if m.version > 1 {
				if o, err := s.Outlet(context.Background(), "KEEP"); err != nil || o.AckedSeq != 42 {
					t.Errorf("row lost in migration: %+v %v", o, err)
				}
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	_, path := openTest(t)
	db, _ := sql.Open("sqlite", "file:"+path)
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(context.Background(), path, Options{}); err == nil {
		t.Fatal("opened a database with a newer schema")
	}
}

func mustHaveTable(t *testing.T, db *sql.DB, name string) {
	t.Helper()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil || n != 1 {
		t.Errorf("table %s missing (%v)", name, err)
	}
}

// A database from before the case list holds one entity of every kind the
// lifecycle table lists; after migrating, every one of them is listed. A
// kind the table starts listing needs a migration that backfills it.
func TestMigrationsBackfillEveryListedKind(t *testing.T) {
	seeds := map[string]struct{ origin, typ, payload string }{
		lifecycle.KindException:  {"KEEP", lifecycle.ExceptionReported, `{"waybill":"SF1","kind":"damaged","at":1000}`},
		lifecycle.KindComplaint:  {"KEEP", lifecycle.ComplaintReceived, `{"ticket":"T1","type":"complaint","text":"late","at":1000}`},
		lifecycle.KindNotice:     {"hub", lifecycle.NoticePublished, `{"title":"t","text":"x","severity":"info","valid_from":1000}`},
		lifecycle.KindTemplate:   {"hub", lifecycle.TemplatePublished, `{"title":"t","text":"x"}`},
		lifecycle.KindManifest:   {"hub", lifecycle.ManifestPublished, `{"waybills":["SF1"],"line":"L1","at":1000}`},
		lifecycle.KindHandover:   {"KEEP", lifecycle.HandoverOpened, `{"courier":"k07","at":1000}`},
		lifecycle.KindTariff:     {"hub", lifecycle.TariffPublished, `{"version":"v1"}`},
		lifecycle.KindProhibited: {"hub", lifecycle.ProhibitedPublished, `{"version":"p1","items":[]}`},
		lifecycle.KindIncident:   {"KEEP", lifecycle.IncidentReported, `{"occurred_at":900,"cause":"weather","text":"x","at":1000}`},
	}
	path := filepath.Join(t.TempDir(), "hub.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:2] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec("PRAGMA user_version = 2"); err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, k := range lifecycle.Kinds() {
		if k.Row == nil {
			continue
		}
		listed = append(listed, k.Name)
		s, ok := seeds[k.Name]
		if !ok {
			t.Errorf("the table lists %s: add a seed here and a migration that backfills it", k.Name)
			continue
		}
		if _, err := db.Exec(`INSERT INTO events (origin, seq, id, hlc, actor, type, v, subject, target, payload, received_at)
			VALUES (?, ?, ?, 100, 'a', ?, 1, ?, 'KEEP', ?, 1)`, s.origin, len(listed), "e-"+k.Name, s.typ, "id-"+k.Name, s.payload); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, kind := range listed {
		cs, err := st.Cases(context.Background(), store.CaseQuery{Kind: kind})
		if err != nil || len(cs) != 1 || cs[0].ID != "id-"+kind {
			t.Errorf("%s held before the case list is not listed after migrating: %+v %v", kind, cs, err)
		}
	}
	if len(listed) != len(seeds) {
		t.Errorf("the table lists %v; seeds for %d kinds", listed, len(seeds))
	}
}

// TestNoStampStoredNegative: the INTEGER column holds what the HLC
// type holds only below 2^63; a stamp past it is refused on every path,
// never wrapped.
func TestNoStampStoredNegative(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	b := storetest.Batch("SH-A", 1, 2)
	b.Events[0].HLC = ^hlc.Timestamp(0)
	if res := commit(t, s, b); len(res[0].Rejected) != 1 || res[0].Rejected[0].Seq != 1 {
		t.Fatalf("result %+v: want seq 1 refused", res[0])
	}
	down := syncproto.Event{ID: "d1", Origin: syncproto.HubOrigin, HLC: ^hlc.Timestamp(0), Actor: "ho", Type: "notice.ended", V: 1, Subject: "N1", Target: "*"}
	if _, err := s.AppendDown(ctx, &down); err == nil {
		t.Fatal("AppendDown stored a stamp past int64")
	}
	if n := countRows(t, s, `SELECT count(*) FROM events WHERE hlc < 0`); n != 0 {
		t.Fatalf("%d events stored with a negative stamp", n)
	}
	if n := countRows(t, s, `SELECT count(*) FROM events`); n != 1 {
		t.Fatalf("%d events stored, want the one sane event", n)
	}
}

// TestInsertEventsChunks: rows are inserted in multi-row statements of
// several sizes; every row lands with its own values, and fresh names
// exactly the rows that were not stored before.
func TestInsertEventsChunks(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	rowsOf := func(b *syncproto.Batch) []store.Row {
		rows := make([]store.Row, len(b.Events))
		for i := range b.Events {
			rows[i] = store.Row{Event: &b.Events[i], ReceivedAt: int64(b.Events[i].Seq)}
		}
		return rows
	}
	insert := func(rows []store.Row, held bool) []bool {
		t.Helper()
		tx, err := s.b.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fresh, err := tx.InsertEvents(ctx, rows, held)
		if err != nil {
			tx.Rollback()
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	for _, held := range []bool{false, true} {
		origin := fmt.Sprintf("SH-%v", held)
		// 1..100 first, then 1..300 again: 100 old rows, 200 new ones,
		// across statements of 128, 128, 32, 8 and 4 rows.
		for i, f := range insert(rowsOf(storetest.Batch(origin, 1, 100)), held) {
			if !f {
				t.Fatalf("held=%v: row %d of a fresh insert not fresh", held, i)
			}
		}
		all := rowsOf(storetest.Batch(origin, 1, 300))
		all = append(all, all[299]) // the same key twice: only the first is new
		fresh := insert(all, held)
		for i, f := range fresh {
			if want := i >= 100 && i < 300; f != want {
				t.Fatalf("held=%v: fresh[%d] = %v, want %v", held, i, f, want)
			}
		}
		table := "events"
		if held {
			table = "held_events"
		}
		var n, bad int
		if err := s.b.r.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE received_at <> seq OR id <> origin || '-' || seq)
			FROM `+table+` WHERE origin = ?`, origin).Scan(&n, &bad); err != nil {
			t.Fatal(err)
		}
		if n != 300 || bad != 0 {
			t.Fatalf("held=%v: %s holds %d rows, %d with another row's values; want 300, 0", held, table, n, bad)
		}
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
