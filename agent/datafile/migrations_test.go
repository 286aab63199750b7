package datafile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// migrationCase seeds a file as it was just before its migration (at
// version-1, with every earlier migration applied), migrates it to the
// newest version, and checks the result or the error.
type migrationCase struct {
	name    string
	before  func(t *testing.T, tx *bolt.Tx)
	check   func(t *testing.T, tx *bolt.Tx)
	wantErr string
	opts    Options // what Open was given
}

// migrationTests holds each migration's cases; a migration without one
// fails TestEveryMigrationTested.
var migrationTests = map[uint64][]migrationCase{
	1: {{name: "creates the event log", check: func(t *testing.T, tx *bolt.Tx) {
		for _, b := range [][]byte{Meta, Events, Dead, Down} {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
	}}},
	2: {
		{name: "keeps staff, drops their version", before: func(t *testing.T, tx *bolt.Tx) {
			ownerV1(t, tx, Staff, StaffMembers, StaffAttempts)
			put(t, tx.Bucket(Staff).Bucket(StaffMembers), "c01", `{"id":"c01"}`)
		}, check: func(t *testing.T, tx *bolt.Tx) {
			root := tx.Bucket(Staff)
			if string(root.Bucket(StaffMembers).Get([]byte("c01"))) != `{"id":"c01"}` || root.Bucket(StaffAttempts) == nil {
				t.Error("staff lost")
			}
			if root.Bucket(oldOwnerMeta) != nil {
				t.Error("staff/meta/ still there")
			}
		}},
		{name: "a new file gets the staff buckets", check: func(t *testing.T, tx *bolt.Tx) {
			if tx.Bucket(Staff).Bucket(StaffMembers) == nil || tx.Bucket(Staff).Bucket(StaffAttempts) == nil {
				t.Error("staff buckets missing")
			}
		}},
		{name: "refuses a newer staff list", before: func(t *testing.T, tx *bolt.Tx) {
			m := ownerV1(t, tx, Staff)
			PutU64(m, oldOwnerVersion, 9)
		}, wantErr: "newer"},
	},
	3: {
		{name: "keeps print jobs, drops their version", before: func(t *testing.T, tx *bolt.Tx) {
			ownerV1(t, tx, PrintSpool, SpoolJobs, SpoolData)
			put(t, tx.Bucket(PrintSpool).Bucket(SpoolJobs), "\x00\x00\x00\x00\x00\x00\x00\x01", `{"id":1}`)
			put(t, tx.Bucket(PrintSpool).Bucket(SpoolData), "\x00\x00\x00\x00\x00\x00\x00\x01", `^XA^XZ`)
		}, check: func(t *testing.T, tx *bolt.Tx) {
			root := tx.Bucket(PrintSpool)
			if root.Bucket(SpoolJobs).Get(U64Key(1)) == nil || string(root.Bucket(SpoolData).Get(U64Key(1))) != "^XA^XZ" {
				t.Error("print job lost")
			}
			if root.Bucket(oldOwnerMeta) != nil {
				t.Error("print_spool/meta/ still there")
			}
		}},
		{name: "refuses a newer spool", before: func(t *testing.T, tx *bolt.Tx) {
			m := ownerV1(t, tx, PrintSpool)
			PutU64(m, oldOwnerVersion, 2)
		}, wantErr: "newer"},
	},
	4: {{name: "creates the workflow buckets", check: func(t *testing.T, tx *bolt.Tx) {
		for _, b := range [][]byte{WorkflowEvents, WorkflowState, WorkflowList, WorkflowCodes, WorkflowLast4, WorkflowBlobs, WorkflowOpen} {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing", b)
			}
		}
	}}},
	5: {
		{name: "scans become parcel events", before: func(t *testing.T, tx *bolt.Tx) {
			// SF1 was only scanned (seq 1 and 3); RB1 was scanned (seq 2)
			// and taken in at the counter (seq 4), which the old workflow
			// folded alone.
			oldScan(t, tx, 1, "SF1")
			oldScan(t, tx, 2, "RB1")
			oldScan(t, tx, 3, "SF1")
			in := event(4, lifecycle.ParcelInbound, "RB1", lifecycle.InboundV1{Waybill: "RB1", PhoneMasked: "138****5678", HoldDays: 7, At: 1})
			raw, _ := json.Marshal(in)
			put(t, tx.Bucket(Events), string(U64Key(4)), string(raw))
			put(t, tx.Bucket(WorkflowEvents), string(EntityEventKey(parcelKind, "RB1", &in)), string(raw))
			st, _ := json.Marshal(lifecycle.FoldParcel("RB1", []syncproto.Event{in}))
			put(t, tx.Bucket(WorkflowState), string(StateKey(parcelKind, "RB1")), string(st))
			put(t, tx.Bucket(WorkflowList), string(ListKey(parcelKind, in.HLC, "RB1")), "")
			put(t, tx.Bucket(WorkflowOpen), string(StateKey(parcelKind, "RB1")), "")
		}, check: func(t *testing.T, tx *bolt.Tx) {
			if tx.Bucket(oldParcels) != nil || tx.Bucket(oldParcelEvents) != nil {
				t.Error("the old projection is still there")
			}
			sf := state(t, tx, "SF1")
			if sf.State != lifecycle.ParcelStateScanned || sf.Scans != 2 || sf.FirstSeq != 1 || sf.LastSeq != 3 || sf.FirstHLC != stamp(1) || sf.LastHLC != stamp(3) || sf.LastAction != "inbound" {
				t.Errorf("SF1 %+v", sf)
			}
			rb := state(t, tx, "RB1")
			if rb.State != lifecycle.ParcelStateInbound || rb.PhoneMasked != "138****5678" || rb.Scans != 1 || rb.FirstSeq != 2 || len(rb.Conflicts) != 0 {
				t.Errorf("RB1 %+v", rb)
			}
			for w, n := range map[string]int{"SF1": 2, "RB1": 2} {
				evs, _ := EntityEvents(tx.Bucket(WorkflowEvents), parcelKind, w)
				if len(evs) != n {
					t.Errorf("%s has %d events in wf_events, want %d", w, len(evs), n)
				}
			}
			listed := map[string]int{}
			tx.Bucket(WorkflowList).ForEach(func(k, _ []byte) error {
				listed[string(k[len(parcelKind)+1+8:])]++
				return nil
			})
			if listed["SF1"] != 1 || listed["RB1"] != 1 || !has(tx.Bucket(WorkflowList), ListKey(parcelKind, stamp(1), "SF1")) {
				t.Errorf("wf_list %v", listed)
			}
			if !has(tx.Bucket(WorkflowOpen), StateKey(parcelKind, "RB1")) || has(tx.Bucket(WorkflowOpen), StateKey(parcelKind, "SF1")) {
				t.Error("wf_open changed")
			}
		}},
		{name: "a file without scans", check: func(t *testing.T, tx *bolt.Tx) {
			if tx.Bucket(oldParcels) != nil || tx.Bucket(oldParcelEvents) != nil {
				t.Error("the old projection is still there")
			}
			if n := tx.Bucket(WorkflowState).Stats().KeyN; n != 0 {
				t.Errorf("%d states made from nothing", n)
			}
		}},
		{name: "an index entry without its event", before: func(t *testing.T, tx *bolt.Tx) {
			put(t, tx.Bucket(oldParcelEvents), "SF1\x00"+string(U64Key(7)), "")
		}, wantErr: "not in the event log"},
	},
	6: {
		{name: "unshelved parcels join the phone index, others stay as they were", before: func(t *testing.T, tx *bolt.Tx) {
			for _, p := range []lifecycle.Parcel{
				{Waybill: "IN1", State: lifecycle.ParcelStateInbound, PhoneLast4: "5678"},
				{Waybill: "IN2", State: lifecycle.ParcelStateInbound},
				{Waybill: "OUT1", State: lifecycle.ParcelStatePickedUp, PhoneLast4: "5678"},
			} {
				st, _ := json.Marshal(p)
				put(t, tx.Bucket(WorkflowState), string(StateKey(parcelKind, p.Waybill)), string(st))
			}
		}, check: func(t *testing.T, tx *bolt.Tx) {
			b := tx.Bucket(WorkflowLast4)
			if !has(b, []byte("5678\x00IN1")) {
				t.Error("an unshelved parcel is not in the phone index")
			}
			n := 0
			b.ForEach(func(_, _ []byte) error { n++; return nil })
			if n != 1 {
				t.Errorf("phone index holds %d keys, want only IN1's", n)
			}
		}},
		{name: "a broken parcel state is named", before: func(t *testing.T, tx *bolt.Tx) {
			put(t, tx.Bucket(WorkflowState), string(StateKey(parcelKind, "BAD")), "{")
		}, wantErr: "parcel BAD"},
	},
	7: {
		{name: "creates the token list, an empty one on a file with data", before: func(t *testing.T, tx *bolt.Tx) {
			put(t, tx.Bucket(Staff).Bucket(StaffMembers), "c01", `{"id":"c01"}`)
		}, check: func(t *testing.T, tx *bolt.Tx) {
			b := tx.Bucket(APITokens)
			if b == nil {
				t.Fatal("api_tokens/ missing")
			}
			if k, _ := b.Cursor().First(); k != nil {
				t.Errorf("a new token list holds %q", k)
			}
			if tx.Bucket(Staff).Bucket(StaffMembers).Get([]byte("c01")) == nil {
				t.Error("staff lost")
			}
		}},
	},
	9: {
		{name: "an existing file gets an incarnation and keeps its cursors", before: func(t *testing.T, tx *bolt.Tx) {
			PutU64(tx.Bucket(Meta), KeyAckedSeq, 8)
		}, check: func(t *testing.T, tx *bolt.Tx) {
			inc := string(tx.Bucket(Meta).Get(KeyIncarnation))
			if len(inc) != 32 || strings.Trim(inc, "0123456789abcdef") != "" {
				t.Errorf("incarnation %q, want 32 hex digits", inc)
			}
			if GetU64(tx.Bucket(Meta), KeyAckedSeq) != 8 {
				t.Error("acked cursor lost")
			}
		}},
		{name: "an incarnation is never replaced", before: func(t *testing.T, tx *bolt.Tx) {
			put(t, tx.Bucket(Meta), string(KeyIncarnation), "0123456789abcdef0123456789abcdef")
		}, check: func(t *testing.T, tx *bolt.Tx) {
			if got := string(tx.Bucket(Meta).Get(KeyIncarnation)); got != "0123456789abcdef0123456789abcdef" {
				t.Errorf("incarnation replaced by %q", got)
			}
		}},
	},
	12: {{name: "creates the class list, empty, beside the data", before: func(t *testing.T, tx *bolt.Tx) {
		put(t, tx.Bucket(Staff).Bucket(StaffMembers), "c01", `{"id":"c01"}`)
	}, check: func(t *testing.T, tx *bolt.Tx) {
		b := tx.Bucket(CustomerClasses)
		if b == nil {
			t.Fatal("customer_classes/ missing")
		}
		if k, _ := b.Cursor().First(); k != nil {
			t.Errorf("a new class list holds %q", k)
		}
		if tx.Bucket(Staff).Bucket(StaffMembers).Get([]byte("c01")) == nil {
			t.Error("staff lost")
		}
	}}},
	13: {{name: "creates the forecast bucket, empty, beside the classes", before: func(t *testing.T, tx *bolt.Tx) {
		put(t, tx.Bucket(CustomerClasses), "cust", "important_value")
	}, check: func(t *testing.T, tx *bolt.Tx) {
		b := tx.Bucket(Forecast)
		if b == nil {
			t.Fatal("forecast/ missing")
		}
		if k, _ := b.Cursor().First(); k != nil {
			t.Errorf("a new forecast bucket holds %q", k)
		}
		if string(tx.Bucket(CustomerClasses).Get([]byte("cust"))) != "important_value" {
			t.Error("classes lost")
		}
	}}},
	14: {{name: "creates the compaction bases, empty, beside the entities", before: func(t *testing.T, tx *bolt.Tx) {
		put(t, tx.Bucket(WorkflowState), "parcel\x00SF1", `{"waybill":"SF1"}`)
	}, check: func(t *testing.T, tx *bolt.Tx) {
		b := tx.Bucket(WorkflowBase)
		if b == nil {
			t.Fatal("wf_base/ missing")
		}
		if k, _ := b.Cursor().First(); k != nil {
			t.Errorf("a new base bucket holds %q", k)
		}
		if tx.Bucket(WorkflowState).Get([]byte("parcel\x00SF1")) == nil {
			t.Error("state lost")
		}
	}}},
}

func TestFreshFilesHaveTheirOwnIncarnation(t *testing.T) {
	seen := map[string]bool{}
	for range 3 {
		f, err := Open(t.TempDir(), Options{Outlet: "SH-001"})
		if err != nil {
			t.Fatal(err)
		}
		if inc := f.Incarnation(); len(inc) != 32 || seen[inc] {
			t.Errorf("incarnation %q of a fresh file (seen %v)", inc, seen)
		} else {
			seen[inc] = true
		}
		f.Close()
	}
}

func TestEveryMigrationTested(t *testing.T) {
	for i, m := range migrations {
		// Versions 1..9 came one after another; from 10 on they were given
		// out to parts working at once, so one may land before a lower one.
		if (m.version <= 9 && m.version != uint64(i+1)) || (i > 0 && m.version <= migrations[i-1].version) {
			t.Fatalf("migration %d has version %d: versions must be 1, 2, 3... 9, then ascending", i, m.version)
		}
		cases := migrationTests[m.version]
		if len(cases) == 0 {
			t.Fatalf("migration %d (%s) has no test case in migrationTests", m.version, m.name)
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%d %s/%s", m.version, m.name, tc.name), func(t *testing.T) {
				db, err := bolt.Open(filepath.Join(t.TempDir(), FileName), 0o600, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				err = db.Update(func(tx *bolt.Tx) error {
					meta, _ := tx.CreateBucketIfNotExists(Meta)
					PutU64(meta, KeySchemaVersion, m.version-1)
					for _, prev := range migrations[:i] {
						if err := prev.apply(tx, Options{}); err != nil {
							return err
						}
					}
					if tc.before != nil {
						tc.before(t, tx)
					}
					if err := migrate(tx, tc.opts); err != nil {
						return err
					}
					if v := GetU64(tx.Bucket(Meta), KeySchemaVersion); v != SchemaVersion() {
						t.Errorf("schema version %d after migrate", v)
					}
					if tc.check != nil {
						tc.check(t, tx)
					}
					return nil
				})
				if tc.wantErr != "" || tc.check == nil {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
						t.Fatalf("err = %v, want %q", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func stamp(seq uint64) hlc.Timestamp { return hlc.Make(1_700_000_000_000+int64(seq), 0) }

func event(seq uint64, typ, subject string, payload any) syncproto.Event {
	raw, _ := json.Marshal(payload)
	return syncproto.Event{ID: fmt.Sprint("e", seq), Origin: "SH-001", Seq: seq, HLC: stamp(seq), Actor: "c01", Type: typ, V: 1, Subject: subject, Payload: raw}
}

// oldScan stores a scan the way the event log of version 1 did: the event,
// its projection in parcels/ and its index entry in parcel_events/.
func oldScan(t *testing.T, tx *bolt.Tx, seq uint64, waybill string) {
	ev := event(seq, lifecycle.ParcelScanned, waybill, lifecycle.ScannedV1{Barcode: waybill, Action: "inbound"})
	raw, _ := json.Marshal(ev)
	put(t, tx.Bucket(Events), string(U64Key(seq)), string(raw))
	put(t, tx.Bucket(oldParcels), waybill, `{"waybill":"`+waybill+`","status":"in_stock"}`)
	put(t, tx.Bucket(oldParcelEvents), waybill+"\x00"+string(U64Key(seq)), "")
}

// ownerV1 makes root/meta/version = 1 and root's children, as staff and the
// spool did before the one list; it returns root/meta/.
func ownerV1(t *testing.T, tx *bolt.Tx, root []byte, children ...[]byte) *bolt.Bucket {
	r, err := tx.CreateBucketIfNotExists(root)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.CreateBucketIfNotExists(oldOwnerMeta)
	if err != nil {
		t.Fatal(err)
	}
	PutU64(m, oldOwnerVersion, 1)
	for _, c := range children {
		if _, err := r.CreateBucketIfNotExists(c); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// has reports whether k is in b; Get cannot tell an empty value from none.
func has(b *bolt.Bucket, k []byte) bool {
	got, _ := b.Cursor().Seek(k)
	return string(got) == string(k)
}

func put(t *testing.T, b *bolt.Bucket, k, v string) {
	t.Helper()
	if err := b.Put([]byte(k), []byte(v)); err != nil {
		t.Fatal(err)
	}
}

func state(t *testing.T, tx *bolt.Tx, waybill string) lifecycle.Parcel {
	t.Helper()
	var p lifecycle.Parcel
	raw := tx.Bucket(WorkflowState).Get(StateKey(parcelKind, waybill))
	if raw == nil {
		t.Fatalf("no state for %s", waybill)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSecondOpenFailsFast(t *testing.T) {
	dir := t.TempDir()
	f, err := Open(dir, Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Without a lock timeout this would block until the test binary's own
	// timeout; the message can only come from the timeout firing.
	_, err = Open(dir, Options{Outlet: "SH-001"})
	if err == nil || !strings.Contains(err.Error(), "in use by another yizhan-agent") {
		t.Fatalf("second open: %v", err)
	}
}

func TestWrongOutletRefused(t *testing.T) {
	dir := t.TempDir()
	f, err := Open(dir, Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = Open(dir, Options{Outlet: "SH-002"})
	if err == nil || !strings.Contains(err.Error(), "belongs to outlet SH-001") {
		t.Fatalf("open with other outlet: %v", err)
	}
	// A tool that claims nothing sees whose file it is.
	f, err = Open(dir, Options{})
	if err != nil || f.Outlet() != "SH-001" {
		t.Fatalf("open without outlet: %v, outlet %q", err, f.Outlet())
	}
	f.Close()
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	f, err := Open(dir, Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	f.Update(func(tx *bolt.Tx) error { return PutU64(tx.Bucket(Meta), KeySchemaVersion, 999) })
	f.Close()
	if _, err := Open(dir, Options{Outlet: "SH-001"}); err == nil || !strings.Contains(err.Error(), "newer than this agent") {
		t.Fatalf("open newer file: %v", err)
	}
}

// A migration that fails leaves the file exactly at its old version: the
// whole list runs in the transaction that opens the file.
func TestFailedMigrationLeavesFileAsItWas(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	raw, err := os.ReadFile(filepath.Join("testdata", "agent-v1.db"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, raw, 0o600)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	// An index entry whose scan is missing makes migration 5 fail, after
	// migrations 2 to 4 already ran in the same transaction.
	var before int
	db.Update(func(tx *bolt.Tx) error {
		before = tx.Bucket(WorkflowEvents).Stats().KeyN
		return tx.Bucket(oldParcelEvents).Put([]byte("ZZ1\x00"+string(U64Key(999))), nil)
	})
	db.Close()
	if _, err := Open(dir, Options{Outlet: "SH-001"}); err == nil || !strings.Contains(err.Error(), "migration 5") {
		t.Fatalf("open: %v", err)
	}
	db, err = bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.View(func(tx *bolt.Tx) error {
		if v := GetU64(tx.Bucket(Meta), KeySchemaVersion); v != 1 {
			t.Errorf("schema version %d after a failed migration", v)
		}
		if tx.Bucket(oldParcels) == nil || tx.Bucket(Staff).Bucket(oldOwnerMeta) == nil || tx.Bucket(PrintSpool).Bucket(oldOwnerMeta) == nil {
			t.Error("old buckets changed")
		}
		if n := tx.Bucket(WorkflowEvents).Stats().KeyN; n != before {
			t.Errorf("wf_events holds %d events, %d before", n, before)
		}
		return nil
	})
}
