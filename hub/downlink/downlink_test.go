package downlink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// fakeStore holds events by subject, in the order given (not necessarily
// HLC order, so that Events must sort them), and a case list that answers
// every query with its ids.
type fakeStore struct {
	subjects map[string][]syncproto.Event
	rows     []string
}

func (s fakeStore) SubjectEvents(_ context.Context, subject string) ([]syncproto.Event, error) {
	return append([]syncproto.Event(nil), s.subjects[subject]...), nil
}

func (s fakeStore) Cases(context.Context, store.CaseQuery) ([]store.Case, error) {
	var out []store.Case
	for _, id := range s.rows {
		out = append(out, store.Case{ID: id})
	}
	return out, nil
}

// published is one PublishDownAfter call.
type published struct {
	after                                hlc.Timestamp
	target, typ, subject, payload, actor string
}

// downLog records what is published; fail, if set, refuses target.
type downLog struct {
	got  []published
	fail string
}

func (d *downLog) PublishDownAfter(_ context.Context, after hlc.Timestamp, target, typ, subject string, payload json.RawMessage, actor string) (uint64, error) {
	if target == d.fail {
		return 0, errors.New("disk full")
	}
	d.got = append(d.got, published{after, target, typ, subject, string(payload), actor})
	return uint64(len(d.got)), nil
}

func ev(origin string, seq uint64, wall int64, typ string) syncproto.Event {
	return syncproto.Event{ID: fmt.Sprint(origin, seq), Origin: origin, Seq: seq, HLC: hlc.Make(wall, 0), Type: typ, Subject: "C1"}
}

func newSender(t *testing.T, st Store, d Publisher) *Sender {
	t.Helper()
	s, err := New(Options{Store: st, Down: d, Clock: clock.NewManual(time.UnixMilli(1_750_000_000_000))})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewRequiresStoreAndPublisher(t *testing.T) {
	if _, err := New(Options{Store: fakeStore{}}); err == nil {
		t.Error("New without a publisher succeeded")
	}
	if _, err := New(Options{Down: &downLog{}}); err == nil {
		t.Error("New without a store succeeded")
	}
}

// Events keeps only the kind asked for, by its type prefix and dot, and
// returns them in fold order whatever order the store had.
func TestEventsOfOneKindInFoldOrder(t *testing.T) {
	st := fakeStore{subjects: map[string][]syncproto.Event{"C1": {
		ev("SH-002", 1, 300, "complaint.step"),
		ev("SH-001", 2, 100, "exception.reported"),
		ev("SH-001", 1, 100, "complaint.received"),
		ev("hub", 7, 200, "complaint.step"),
		ev("SH-001", 3, 400, "complaints.other"),
	}}}
	evs, err := newSender(t, st, &downLog{}).Events(context.Background(), "complaint", "C1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.ID)
	}
	if want := "[SH-0011 hub7 SH-0021]"; fmt.Sprint(got) != want {
		t.Errorf("events %v, want %s", got, want)
	}
	if n := Newest(evs); n != hlc.Make(300, 0) {
		t.Errorf("newest %v, want the stamp at 300", n)
	}
	if n := Newest(nil); n != 0 {
		t.Errorf("newest of none %v, want zero", n)
	}
}

func TestPublishOnePerTargetAfterTheStamp(t *testing.T) {
	d := &downLog{}
	s := newSender(t, fakeStore{}, d)
	after := hlc.Make(500, 3)
	if err := s.Publish(context.Background(), after, []string{"SH-001", "SH-002"}, "notice.published", "N1", map[string]int{"n": 1}, ""); err != nil {
		t.Fatal(err)
	}
	want := []published{
		{after, "SH-001", "notice.published", "N1", `{"n":1}`, DefaultActor},
		{after, "SH-002", "notice.published", "N1", `{"n":1}`, DefaultActor},
	}
	if fmt.Sprint(d.got) != fmt.Sprint(want) {
		t.Errorf("published %+v\nwant %+v", d.got, want)
	}
	if err := s.Publish(context.Background(), 0, []string{"SH-003"}, "notice.ended", "N1", 1, "wang"); err != nil || d.got[2].actor != "wang" {
		t.Errorf("named actor: %v %+v", err, d.got)
	}

	d.fail = "SH-009"
	err := s.Publish(context.Background(), 0, []string{"SH-009"}, "notice.ended", "N2", 1, "")
	if err == nil || !strings.Contains(err.Error(), "notice.ended N2 to SH-009") || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("refused publication: %v, want it to name the event, the target and the cause", err)
	}
	if err := s.Publish(context.Background(), 0, []string{"SH-001"}, "x.y", "S", func() {}, ""); err == nil {
		t.Error("a payload JSON cannot encode was published")
	}
}

func TestNowIsTheClockGiven(t *testing.T) {
	s := newSender(t, fakeStore{}, &downLog{})
	if s.Now().UnixMilli() != 1_750_000_000_000 || s.NowMs() != 1_750_000_000_000 {
		t.Errorf("now %v / %d, want the given clock", s.Now(), s.NowMs())
	}
}

func lister(t *testing.T, ids ...string) *Sender {
	return newSender(t, fakeStore{rows: ids}, &downLog{})
}

func TestListFoldsEachRowInOrder(t *testing.T) {
	upper := func(_ context.Context, id string) (string, error) {
		if id == "bad" {
			return "", errors.New("fold failed")
		}
		return strings.ToUpper(id), nil
	}
	got, rows, err := List(context.Background(), lister(t, "b", "a", "c"), store.CaseQuery{}, upper)
	if err != nil || fmt.Sprint(got) != "[B A C]" {
		t.Errorf("list %v %v, want [B A C]", got, err)
	}
	if len(rows) != 3 || rows[2].ID != "c" {
		t.Errorf("rows beside the list %+v, want the case rows in order", rows)
	}
	if got, _, err := List(context.Background(), lister(t), store.CaseQuery{}, upper); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty list %#v %v, want an empty, non-nil list (JSON [])", got, err)
	}
	if _, _, err := List(context.Background(), lister(t, "a", "bad"), store.CaseQuery{}, upper); err == nil {
		t.Error("a failed fold was not reported")
	}
}

func TestMillis(t *testing.T) {
	ms, err := Millis("2025-07-01T08:00:00+08:00", "valid_from")
	if err != nil || ms != time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("Millis = %d %v", ms, err)
	}
	_, err = Millis("tomorrow", "expected_at")
	p := problem.As(err)
	if p == nil || p.Code() != problem.RequestBadTime || p.Param("field") != "expected_at" {
		t.Errorf("bad time: %v, want %s naming the field", err, problem.RequestBadTime)
	}
}

func TestPlain(t *testing.T) {
	for s, want := range map[string]bool{"沪西线 A-1": true, "": true, "a\u0007b": false, "a\nb": false, "x\u0085": false} {
		if Plain(s) != want {
			t.Errorf("Plain(%q) = %v, want %v", s, !want, want)
		}
	}
}

func TestNewIDsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id := syncproto.NewID()
		if len(id) != 36 || seen[id] {
			t.Fatalf("id %q repeated or not a UUID", id)
		}
		seen[id] = true
	}
}

// stepLocks is a Locker that records the names it is asked for and
// whether each lock is still held; fail, if set, is its error.
type stepLocks struct {
	names []string
	held  int
	fail  error
}

func (l *stepLocks) Lock(_ context.Context, name string) (func(), error) {
	if l.fail != nil {
		return nil, l.fail
	}
	l.names = append(l.names, name)
	l.held++
	return func() { l.held-- }, nil
}

// TestLockTakesTheStoreStepLock: a step holds the store's lock across hub
// processes from Lock to Unlock; a store that cannot be reached is a
// store.unavailable error and holds nothing, so the next step still runs.
func TestLockTakesTheStoreStepLock(t *testing.T) {
	locks := &stepLocks{}
	s, err := New(Options{Store: fakeStore{}, Down: &downLog{}, Locks: locks})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := s.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		if locks.held != 1 {
			t.Fatalf("step %d: store lock held %d times during the step, want 1", i, locks.held)
		}
		s.Unlock()
		if locks.held != 0 {
			t.Fatalf("step %d: store lock still held after Unlock", i)
		}
	}
	if len(locks.names) != 2 || locks.names[0] != store.LockSteps {
		t.Fatalf("locks taken: %v, want %s twice", locks.names, store.LockSteps)
	}
	locks.fail = problem.New(problem.StoreUnreachable, "db", "postgres://hub@db/yizhan", "detail", "connection refused")
	err = s.Lock(ctx)
	if !problem.Is(err, problem.StoreUnreachable) {
		t.Fatalf("Lock with the store down: %v, want the store's store.unreachable", err)
	}
	locks.fail = nil
	done := make(chan error, 1)
	go func() {
		err := s.Lock(ctx)
		if err == nil {
			s.Unlock()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a failed Lock left the step mutex held")
	}
}
