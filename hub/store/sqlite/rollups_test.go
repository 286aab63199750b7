package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// A store holding events but no rollups (as the migration leaves one)
// rebuilds them when it opens, in chunks with progress in the log, to
// what the commits had counted.
func TestRollupsBackfilledOnOpen(t *testing.T) {
	s, path := openTest(t)
	day := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	const n = 5500 // more than one chunk
	for first := uint64(1); first <= n; first += 500 {
		b := &syncproto.Batch{Origin: "SH-001", First: first, Last: first + 499}
		for seq := first; seq <= b.Last; seq++ {
			p := (seq - 1) / 2
			typ, at := lifecycle.ParcelInbound, day+int64(p)*60_000
			if seq%2 == 0 {
				typ, at = lifecycle.ParcelPickedUp, at+int64(p%7)*3600_000
			}
			b.Events = append(b.Events, syncproto.Event{ID: fmt.Sprintf("e%d", seq), Origin: "SH-001", Seq: seq, HLC: hlc.Make(at, 0),
				Actor: "c01", Type: typ, V: 1, Subject: fmt.Sprintf("SF%d", p), Payload: []byte(`{"at":1}`)})
		}
		commit(t, s, b)
	}
	recv := syncproto.Event{ID: "c1", Origin: "SH-001", Seq: n + 1, HLC: hlc.Make(day, 0), Actor: "c01", Type: lifecycle.ComplaintReceived, V: 1, Subject: "C1",
		Payload: []byte(`{"ticket":"T1","channel":"counter","type":"complaint","category":"delay","severity":"routine","text":"x","at":1}`)}
	if res := commit(t, s, &syncproto.Batch{Origin: "SH-001", First: n + 1, Last: n + 1, Events: []syncproto.Event{recv}}); len(res[0].Rejected) > 0 || res[0].Refused != nil || res[0].AckedSeq != n+1 {
		t.Fatalf("complaint refused: %+v", res[0])
	}
	q := store.RollupQuery{From: 0, To: 1 << 50}
	tallies, err := s.Tallies(context.Background(), q)
	if err != nil || len(tallies) < 3 {
		t.Fatalf("tallies %v %v", tallies, err)
	}
	facts, err := s.Facts(context.Background(), lifecycle.KindComplaint, q)
	if err != nil || len(facts) != 1 {
		t.Fatalf("facts %v %v", facts, err)
	}
	s.Close()

	// What migrations 9 and 11 leave on a store from before them: the
	// events, no rollups, no mark.
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`DELETE FROM measure_tallies; DELETE FROM measure_outlet_days; DELETE FROM measure_facts; DELETE FROM serials WHERE name = 'rollups.built'`); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	// A tool opening the store (no zone) leaves the rollups to the hub.
	tool, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ts, err := tool.Tallies(context.Background(), q); err != nil || len(ts) != 0 {
		t.Errorf("a tool's open built tallies %v (%v)", ts, err)
	}
	tool.Close()

	var logs bytes.Buffer
	s2, err := Open(context.Background(), path, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	again, err := s2.Tallies(context.Background(), q)
	if err != nil || !reflect.DeepEqual(again, tallies) {
		t.Errorf("rebuilt tallies %v (%v), want %v", again, err, tallies)
	}
	if f, err := s2.Facts(context.Background(), lifecycle.KindComplaint, q); err != nil || !reflect.DeepEqual(f, facts) {
		t.Errorf("rebuilt facts %v (%v), want %v", f, err, facts)
	}
	for _, want := range []string{"building measures from the stored events", "events=5000", "measures built", fmt.Sprintf("events=%d cases=1", n+1)} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	// Built once: the next open does not rebuild.
	s2.Close()
	logs.Reset()
	s3, err := Open(context.Background(), path, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	s3.Close()
	if strings.Contains(logs.String(), "building") {
		t.Errorf("rollups rebuilt on a store that has them:\n%s", logs.String())
	}
}
