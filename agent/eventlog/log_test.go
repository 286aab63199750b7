package eventlog

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
)

func scanDraft(waybill string) Draft {
	p, _ := json.Marshal(ScanPayload{Barcode: waybill, Action: "inbound"})
	return Draft{Actor: "clerk-1", Type: TypeScanned, Subject: waybill, Payload: p}
}

func openT(t testing.TB, dir string, o Options) *Log {
	t.Helper()
	if o.Outlet == "" {
		o.Outlet = "SH-001"
	}
	l, err := Open(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestAppendConcurrentThenReopen(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Options{})
	const writers, each = 32, 50
	var wg sync.WaitGroup
	seen := make(chan uint64, writers*each)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				ev, err := l.Append(context.Background(), scanDraft(fmt.Sprintf("W%02dP%03d", w, i)))
				if err != nil {
					t.Error(err)
					return
				}
				seen <- ev.Seq
			}
		}(w)
	}
	wg.Wait()
	close(seen)
	got := map[uint64]bool{}
	for s := range seen {
		if got[s] {
			t.Fatalf("seq %d issued twice", s)
		}
		got[s] = true
	}
	if len(got) != writers*each {
		t.Fatalf("%d seqs", len(got))
	}
	l.Close()

	l2 := openT(t, dir, Options{})
	if c := l2.Counters(); c.LastSeq != writers*each || c.Backlog != writers*each {
		t.Fatalf("after reopen: %+v", c)
	}
	raws, err := l2.ReadRaw(1, 1<<30, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var prev syncproto.Event
	for i, raw := range raws {
		var ev syncproto.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Seq != uint64(i+1) || ev.Origin != "SH-001" || ev.ID == "" {
			t.Fatalf("event %d: %+v", i, ev)
		}
		if i > 0 && ev.HLC <= prev.HLC {
			t.Fatalf("HLC not increasing with seq at %d", ev.Seq)
		}
		prev = ev
	}
	next, err := l2.Append(context.Background(), scanDraft("AFTER"))
	if err != nil || next.Seq != writers*each+1 || next.HLC <= prev.HLC {
		t.Fatalf("append after reopen: %+v %v", next, err)
	}
}

func TestInvalidDraftRejectedAloneInGroup(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	bad := scanDraft("X")
	bad.Actor = "" // CheckEvent refuses an event with no actor
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			d := scanDraft(fmt.Sprint("P", i))
			if i == 5 {
				d = bad
			}
			_, errs[i] = l.Append(context.Background(), d)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if (err != nil) != (i == 5) {
			t.Fatalf("append %d: %v", i, err)
		}
	}
	if c := l.Counters(); c.LastSeq != 9 {
		t.Fatalf("last seq %d, want 9 (no hole for the refused one)", c.LastSeq)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	dir := t.TempDir()
	openT(t, dir, Options{})
	// Without a lock timeout this would block until the test binary's own
	// timeout; the message can only come from the timeout firing.
	_, err := Open(dir, Options{Outlet: "SH-001"})
	if err == nil || !strings.Contains(err.Error(), "in use by another yizhan-agent") {
		t.Fatalf("second open: %v", err)
	}
}

func TestWrongOutletRefused(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Options{Outlet: "SH-001"})
	l.Close()
	_, err := Open(dir, Options{Outlet: "SH-002"})
	if err == nil || !strings.Contains(err.Error(), "belongs to outlet SH-001") {
		t.Fatalf("open with other outlet: %v", err)
	}
}

func TestAcknowledgeAndDeadLetters(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	for i := 0; i < 10; i++ {
		if _, err := l.Append(context.Background(), scanDraft(fmt.Sprint("P", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Acknowledge(6, []syncproto.Rejection{{Seq: 4, Code: "invalid_event", Reason: "bad"}}); err != nil {
		t.Fatal(err)
	}
	if err := l.Acknowledge(3, nil); err != nil { // a late, older ack must not move back
		t.Fatal(err)
	}
	if err := l.Acknowledge(6, []syncproto.Rejection{{Seq: 4, Code: "invalid_event", Reason: "bad"}}); err != nil {
		t.Fatal(err) // replayed ack: no second dead letter
	}
	c := l.Counters()
	if c.AckedSeq != 6 || c.Backlog != 4 || c.DeadLetter != 1 {
		t.Fatalf("counters %+v", c)
	}
	dl, err := l.DeadLetters(10)
	if err != nil || len(dl) != 1 || dl[0].Seq != 4 || dl[0].Reason != "bad" || len(dl[0].Event) == 0 {
		t.Fatalf("dead letters %+v %v", dl, err)
	}
	if err := l.Acknowledge(99, nil); err != nil {
		t.Fatal(err)
	}
	if c := l.Counters(); c.AckedSeq != 6 {
		t.Fatalf("ack beyond last seq moved cursor to %d", c.AckedSeq)
	}
}

func TestApplyDown(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	ev := func(seq uint64, target string) syncproto.Event {
		return syncproto.Event{ID: fmt.Sprint("h", seq), Origin: syncproto.HubOrigin, Seq: seq, HLC: 1, Actor: "hq", Type: "notice.published", V: 1, Target: target}
	}
	cases := []struct {
		name    string
		d       syncproto.Down
		wantN   int
		wantCur uint64
		wantErr bool
	}{
		{"first", syncproto.Down{From: 0, Through: 5, Events: []syncproto.Event{ev(2, "*"), ev(5, "SH-001")}}, 2, 5, false},
		{"gap refused", syncproto.Down{From: 7, Through: 9, Events: []syncproto.Event{ev(9, "*")}}, 0, 5, true},
		{"replay", syncproto.Down{From: 0, Through: 5, Events: []syncproto.Event{ev(2, "*"), ev(5, "SH-001")}}, 0, 5, false},
		{"overlap", syncproto.Down{From: 3, Through: 8, Events: []syncproto.Event{ev(5, "SH-001"), ev(8, "*")}}, 1, 8, false},
		{"other outlet ignored", syncproto.Down{From: 8, Through: 10, Events: []syncproto.Event{ev(10, "SH-002")}}, 0, 10, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := l.ApplyDown(&tc.d)
			if (err != nil) != tc.wantErr || n != tc.wantN || l.Counters().DownCursor != tc.wantCur {
				t.Fatalf("n=%d err=%v cursor=%d", n, err, l.Counters().DownCursor)
			}
		})
	}
	evs, _ := l.DownEvents(10)
	if len(evs) != 3 {
		t.Fatalf("%d downlink events stored", len(evs))
	}
}

func TestHLCFloorAcrossRestartWithClockSetBack(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	l := openT(t, dir, Options{Now: func() time.Time { return now.Add(6 * time.Hour) }})
	a, _ := l.Append(context.Background(), scanDraft("A"))
	l.Close()
	l2 := openT(t, dir, Options{Now: func() time.Time { return now.Add(-6 * time.Hour) }})
	b, _ := l2.Append(context.Background(), scanDraft("B"))
	if b.HLC <= a.HLC {
		t.Fatalf("HLC went back after the clock was set back: %v then %v", a.HLC, b.HLC)
	}
}

func TestParcelProjection(t *testing.T) {
	l := openT(t, t.TempDir(), Options{})
	for _, w := range []string{"SF1", "SF2", "SF1"} {
		if _, err := l.Append(context.Background(), scanDraft(w)); err != nil {
			t.Fatal(err)
		}
	}
	p, evs, err := l.Parcel("SF1")
	if err != nil || p.Scans != 2 || p.Status != "in_stock" || len(evs) != 2 || evs[0].Seq != 1 || evs[1].Seq != 3 {
		t.Fatalf("parcel %+v events %d err %v", p, len(evs), err)
	}
	if _, _, err := l.Parcel("SF"); err != ErrNotFound {
		t.Fatalf("prefix of a waybill found: %v", err)
	}
}

// migrationTests names the test that covers each migration; a migration
// without one fails TestEveryMigrationTested.
var migrationTests = map[uint64]func(t *testing.T, tx *bolt.Tx){
	1: func(t *testing.T, tx *bolt.Tx) {
		for _, b := range [][]byte{bucketMeta, bucketEvents, bucketParcels, bucketParcelEvents, bucketDead, bucketDown} {
			if tx.Bucket(b) == nil {
				t.Errorf("bucket %s missing after migration 1", b)
			}
		}
	},
}

func TestEveryMigrationTested(t *testing.T) {
	for i, m := range migrations {
		if m.version != uint64(i+1) {
			t.Fatalf("migration %d has version %d: versions must be 1, 2, 3... in order", i, m.version)
		}
		check, ok := migrationTests[m.version]
		if !ok {
			t.Fatalf("migration %d (%s) has no test case in migrationTests", m.version, m.name)
		}
		t.Run(m.name, func(t *testing.T) {
			db, err := bolt.Open(t.TempDir()+"/m.db", 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			err = db.Update(func(tx *bolt.Tx) error {
				meta, _ := tx.CreateBucketIfNotExists(bucketMeta)
				putU64(meta, keySchemaVersion, m.version-1)
				for _, prev := range migrations[:i] {
					if err := prev.apply(tx); err != nil {
						return err
					}
				}
				if err := migrate(tx); err != nil {
					return err
				}
				if v := getU64(tx.Bucket(bucketMeta), keySchemaVersion); v != SchemaVersion() {
					t.Errorf("schema version %d after migrate", v)
				}
				check(t, tx)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, dir, Options{})
	l.db.Update(func(tx *bolt.Tx) error { return putU64(tx.Bucket(bucketMeta), keySchemaVersion, 999) })
	l.Close()
	if _, err := Open(dir, Options{Outlet: "SH-001"}); err == nil || !strings.Contains(err.Error(), "newer than this agent") {
		t.Fatalf("open newer file: %v", err)
	}
}

// TestCrashKeepsEveryAcknowledgedAppend kills a real process that appends as
// fast as it can and prints each seq after Append returned, then checks every
// printed seq is in the reopened file.
func TestCrashKeepsEveryAcknowledgedAppend(t *testing.T) {
	if dir := os.Getenv("YZ_EVENTLOG_CRASH_CHILD"); dir != "" {
		l, err := Open(dir, Options{Outlet: "SH-001"})
		if err != nil {
			fmt.Println("ERR", err)
			os.Exit(1)
		}
		var mu sync.Mutex
		for w := 0; w < 8; w++ {
			go func() {
				for i := 0; ; i++ {
					ev, err := l.Append(context.Background(), scanDraft(fmt.Sprint("C", i)))
					if err != nil {
						return
					}
					mu.Lock()
					fmt.Println(ev.Seq)
					mu.Unlock()
				}
			}()
		}
		select {}
	}
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsEveryAcknowledgedAppend$")
		cmd.Env = append(os.Environ(), "YZ_EVENTLOG_CRASH_CHILD="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var acked []uint64
		for sc.Scan() && len(acked) < 300*(round+1) {
			s, err := strconv.ParseUint(sc.Text(), 10, 64)
			if err != nil {
				t.Fatalf("child: %s", sc.Text())
			}
			acked = append(acked, s)
		}
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		l, err := Open(dir, Options{Outlet: "SH-001"})
		if err != nil {
			t.Fatal(err)
		}
		last := l.Counters().LastSeq
		raws, _ := l.ReadRaw(1, 1<<30, 1<<30)
		l.Close()
		if uint64(len(raws)) != last {
			t.Fatalf("round %d: %d events stored but last_seq %d", round, len(raws), last)
		}
		for _, s := range acked {
			if s > last {
				t.Fatalf("round %d: seq %d was acknowledged but is not on disk (last %d)", round, s, last)
			}
		}
		t.Logf("round %d: %d acknowledged appends seen, %d on disk", round, len(acked), last)
	}
}
