package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

func msg(key, subject, customer string) store.Message {
	return store.Message{Key: key, Kind: "notice.start", Subject: subject, Customer: customer, Params: `{"title":"t"}`}
}

func counts(t *testing.T, s store.Store, subject string) map[string]int64 {
	t.Helper()
	cs, err := s.MessageCounts(context.Background(), subject)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, c := range cs {
		out[c.Kind+"/"+c.State] += c.N
	}
	return out
}

// testOutbox: a key is enqueued once; a claim hands out due messages once
// until it runs out; a retry waits for its time and fails at the cap; an
// outcome under a lost claim is refused; a resend reaches the same
// customers once.
func testOutbox(t *testing.T, be Backend) {
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 8, 1, 8, 0, 0, 0, time.UTC))
	s := be.Open(t, clk)
	n, err := s.Enqueue(ctx, []store.Message{msg("notice:N1:start:c1", "N1", "c1"), msg("notice:N1:start:c2", "N1", "c2"), msg("notice:N1:start:c1", "N1", "c1")})
	if err != nil || n != 2 {
		t.Fatalf("enqueue 3 with a key twice: %d new (%v), want 2", n, err)
	}
	if n, err := s.Enqueue(ctx, []store.Message{msg("notice:N1:start:c2", "N1", "c2")}); err != nil || n != 0 {
		t.Fatalf("enqueue a key again: %d new (%v), want 0", n, err)
	}
	if _, err := s.Enqueue(ctx, []store.Message{{Key: "k", Kind: "notice.start"}}); err == nil {
		t.Error("a message without a customer was enqueued")
	}
	now := func() int64 { return clk.Now().UnixMilli() }
	got, err := s.ClaimMessages(ctx, "A", now()+60_000, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("claim: %d (%v), want 2", len(got), err)
	}
	if got[0].Attempts != 1 || got[0].Claim != "A" || got[0].Params != `{"title":"t"}` || got[0].Customer == "" {
		t.Errorf("claimed row %+v", got[0])
	}
	// A held claim hands out nothing more.
	if more, err := s.ClaimMessages(ctx, "B", now()+60_000, 10); err != nil || len(more) != 0 {
		t.Fatalf("second claim while the first holds: %d (%v), want 0", len(more), err)
	}
	c1, c2 := got[0], got[1]
	if c1.Customer != "c1" {
		c1, c2 = c2, c1
	}
	if err := s.FinishMessage(ctx, store.Outcome{Key: c1.Key, Claim: "A", State: store.MessageSent}, 3); err != nil {
		t.Fatal(err)
	}
	// Sent once: the claim's second report is refused.
	if err := s.FinishMessage(ctx, store.Outcome{Key: c1.Key, Claim: "A", State: store.MessageSent}, 3); !errors.Is(err, store.ErrClaimLost) {
		t.Errorf("second outcome of a sent message: %v, want ErrClaimLost", err)
	}
	// c2 fails for now: due again in a minute, not before.
	if err := s.FinishMessage(ctx, store.Outcome{Key: c2.Key, Claim: "A", State: store.MessagePending, RetryAt: now() + 60_000, Error: "503"}, 3); err != nil {
		t.Fatal(err)
	}
	if more, _ := s.ClaimMessages(ctx, "B", now()+60_000, 10); len(more) != 0 {
		t.Fatalf("a retry was claimed before its time: %+v", more)
	}
	clk.Advance(61 * time.Second)
	// Claimed by B, whose hub then dies: the claim runs out and C takes it.
	if b, _ := s.ClaimMessages(ctx, "B", now()+30_000, 10); len(b) != 1 || b[0].Key != c2.Key || b[0].Attempts != 2 || b[0].LastError != "503" {
		t.Fatalf("retry claim: %+v", b)
	}
	clk.Advance(31 * time.Second)
	cc, err := s.ClaimMessages(ctx, "C", now()+30_000, 10)
	if err != nil || len(cc) != 1 || cc[0].Attempts != 3 {
		t.Fatalf("claim after B's ran out: %+v (%v)", cc, err)
	}
	if err := s.FinishMessage(ctx, store.Outcome{Key: c2.Key, Claim: "B", State: store.MessageSent}, 3); !errors.Is(err, store.ErrClaimLost) {
		t.Errorf("outcome under a claim that ran out: %v, want ErrClaimLost", err)
	}
	// Its third attempt fails too: the cap of 3 makes it failed.
	if err := s.FinishMessage(ctx, store.Outcome{Key: c2.Key, Claim: "C", State: store.MessagePending, RetryAt: now() + 60_000, Error: "timeout"}, 3); err != nil {
		t.Fatal(err)
	}
	row, err := s.OutboxMessage(ctx, c2.Key)
	if err != nil || row.State != store.MessageFailed || row.LastError != "timeout" || row.DoneAt != now() {
		t.Errorf("message past its cap: %+v (%v), want failed", row, err)
	}
	clk.Advance(time.Hour)
	if more, _ := s.ClaimMessages(ctx, "D", now()+30_000, 10); len(more) != 0 {
		t.Errorf("a failed message was claimed: %+v", more)
	}
	if ok, err := s.DeliverMessage(ctx, c1.Key); err != nil || !ok {
		t.Errorf("receipt of a sent message: %v %v", ok, err)
	}
	if ok, _ := s.DeliverMessage(ctx, c1.Key); ok {
		t.Error("a second receipt counted again")
	}
	if ok, _ := s.DeliverMessage(ctx, c2.Key); ok {
		t.Error("a receipt of a failed message counted")
	}
	if got, want := counts(t, s, "N1"), map[string]int64{"notice.start/delivered": 1, "notice.start/failed": 1}; !maps(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
	if _, err := s.OutboxMessage(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
}

func maps(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// testOutboxClaimAcrossStores: two hub processes claiming at once from one
// database each get every message at most once, and together all.
func testOutboxClaimAcrossStores(t *testing.T, be Backend) {
	if be.Another == nil {
		t.Skip("one process owns this backend's database")
	}
	ctx := context.Background()
	a := be.Open(t, nil)
	b := be.Another(t, a)
	const total = 300
	ms := make([]store.Message, total)
	for i := range ms {
		ms[i] = msg(fmt.Sprintf("notice:N2:start:c%03d", i), "N2", fmt.Sprintf("c%03d", i))
	}
	if n, err := a.Enqueue(ctx, ms); err != nil || n != total {
		t.Fatalf("enqueue: %d %v", n, err)
	}
	var mu sync.Mutex
	seen := map[string]string{}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for name, s := range map[string]store.Store{"a": a, "b": b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				rs, err := s.ClaimMessages(ctx, name, time.Now().Add(time.Hour).UnixMilli(), 7)
				if err != nil {
					errs <- err
					return
				}
				if len(rs) == 0 {
					return
				}
				mu.Lock()
				for _, r := range rs {
					if by, ok := seen[r.Key]; ok {
						errs <- fmt.Errorf("%s claimed by %s and %s", r.Key, by, name)
					}
					seen[r.Key] = name
				}
				mu.Unlock()
				for _, r := range rs {
					if err := s.FinishMessage(ctx, store.Outcome{Key: r.Key, Claim: name, State: store.MessageSent}, 5); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if len(seen) != total {
		t.Errorf("%d of %d messages claimed", len(seen), total)
	}
	by := map[string]int{}
	for _, v := range seen {
		by[v]++
	}
	t.Logf("claimed by store: %v", by)
	if got := counts(t, b, "N2"); got["notice.start/sent"] != total || len(got) != 1 {
		t.Errorf("counts %v, want %d sent", got, total)
	}
}

// noticeEvent is head office's notice event of typ to target.
func noticeEvent(id, typ, target string, at time.Time, payload any) *syncproto.Event {
	js, _ := json.Marshal(payload)
	return &syncproto.Event{ID: syncproto.NewID(), Origin: syncproto.HubOrigin, HLC: hlc.Make(at.UnixMilli(), 0), Actor: "hub/zhao",
		Type: typ, V: 1, Subject: id, Target: target, Payload: js}
}

// testNoticeMessages: a notice appended to an outlet enqueues one start
// message per customer with a parcel waiting there (not one picked up,
// not one at another outlet, once for two parcels, once when a second hub
// appends it again, none for a customer id too long to be one, which does
// not stop the others), its end one recovery message to each of them; a
// notice to every outlet or opted out enqueues none.
func testNoticeMessages(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := be.OpenIn(t, clock.NewManual(t0.Add(time.Hour)), time.UTC)
	const x, y, z, w = "c0ffee00000000000000000000000001", "c0ffee00000000000000000000000002", "c0ffee00000000000000000000000003", "c0ffee00000000000000000000000004"
	commit(t, s, cbatch("SH-A", 1, cin(t0, "WB1", x, "v2:a:1"), cin(t0, "WB2", x, "v2:a:2"), cin(t0, "WB3", y, "v2:a:3"),
		ev{t0, lifecycle.ParcelShelved, "WB3", lifecycle.ShelvedV1{Shelf: "1", Layer: "1", Code: "1-1-0001", At: t0.UnixMilli()}}, cpick(t0.Add(time.Minute), "WB3"),
		cin(t0, "WB4", w, "v2:a:4"), cin(t0, "WB6", strings.Repeat("f", 300), "v2:a:6")))
	commit(t, s, cbatch("SH-B", 1, cin(t0, "WB5", z, "v2:b:1")))
	pub := lifecycle.NoticePublishedV1{Title: "暴雨", Text: "停运", Severity: "warning", Scope: []string{"SH-A"}, ValidFrom: t0.UnixMilli(), ValidTo: t0.Add(48 * time.Hour).UnixMilli()}
	if _, err := s.AppendDown(ctx, noticeEvent("N1", lifecycle.NoticePublished, "SH-A", t0.Add(time.Hour), pub)); err != nil {
		t.Fatal(err)
	}
	keys := func(want ...string) {
		t.Helper()
		for _, k := range want {
			if _, err := s.OutboxMessage(ctx, k); err != nil {
				t.Errorf("message %s: %v", k, err)
			}
		}
	}
	keys(store.NoticeMessageKey("N1", store.NoticeStartMessage, x), store.NoticeMessageKey("N1", store.NoticeStartMessage, w))
	if got := counts(t, s, "N1"); !maps(got, map[string]int64{"notice.start/pending": 2}) {
		t.Errorf("after publishing: %v, want 2 start messages (x and w)", got)
	}
	r, err := s.OutboxMessage(ctx, store.NoticeMessageKey("N1", store.NoticeStartMessage, x))
	var p store.NoticeMessageParams
	if err != nil || json.Unmarshal([]byte(r.Params), &p) != nil || p.Title != "暴雨" || p.Text != "停运" || p.Until != pub.ValidTo || r.Lang != store.DefaultLang {
		t.Errorf("start message %+v (%v)", r, err)
	}
	// Another hub appending the same notice to the outlet again adds nothing.
	if be.Another != nil {
		b := be.Another(t, s)
		if _, err := b.AppendDown(ctx, noticeEvent("N1", lifecycle.NoticePublished, "SH-A", t0.Add(time.Hour), pub)); err != nil {
			t.Fatal(err)
		}
	}
	if got := counts(t, s, "N1"); !maps(got, map[string]int64{"notice.start/pending": 2}) {
		t.Errorf("after appending again: %v", got)
	}
	// They go out before the end (one that had not is cancelled:
	// testNoticeMessagesValidFrom).
	rs, err := s.ClaimMessages(ctx, "A", t0.Add(2*time.Hour).UnixMilli(), 10)
	if err != nil || len(rs) != 2 {
		t.Fatalf("claim the start messages: %d (%v)", len(rs), err)
	}
	for _, r := range rs {
		if err := s.FinishMessage(ctx, store.Outcome{Key: r.Key, Claim: "A", State: store.MessageSent}, 3); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.AppendDown(ctx, noticeEvent("N1", lifecycle.NoticeEnded, "SH-A", t0.Add(2*time.Hour), lifecycle.NoticeEndedV1{Text: "恢复", At: t0.Add(2 * time.Hour).UnixMilli()})); err != nil {
		t.Fatal(err)
	}
	advanceNotices(t, s)
	keys(store.NoticeMessageKey("N1", store.NoticeEndMessage, x), store.NoticeMessageKey("N1", store.NoticeEndMessage, w))
	if got := counts(t, s, "N1"); !maps(got, map[string]int64{"notice.start/sent": 2, "notice.end/pending": 2}) {
		t.Errorf("after the end: %v", got)
	}
	r, err = s.OutboxMessage(ctx, store.NoticeMessageKey("N1", store.NoticeEndMessage, w))
	if err != nil || json.Unmarshal([]byte(r.Params), &p) != nil || p.Title != "暴雨" || p.Recovery != "恢复" || r.Customer != w {
		t.Errorf("end message %+v (%v)", r, err)
	}
	// Opted out, to one outlet or to every one: nobody.
	quiet := pub
	quiet.NoCustomerMessages = true
	for id, target := range map[string]string{"N2": syncproto.TargetAll, "N3": "SH-A"} {
		if _, err := s.AppendDown(ctx, noticeEvent(id, lifecycle.NoticePublished, target, t0.Add(time.Hour), quiet)); err != nil {
			t.Fatal(err)
		}
		advanceNotices(t, s)
		if got := counts(t, s, id); len(got) != 0 {
			t.Errorf("notice %s enqueued %v", id, got)
		}
	}
}

// advanceNotices runs AdvanceNotices until no step is left and returns
// how many steps it took.
func advanceNotices(t *testing.T, s store.Store) int {
	t.Helper()
	for n := 1; ; n++ {
		more, err := s.AdvanceNotices(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			return n
		}
		if n > 1000 {
			t.Fatal("AdvanceNotices never finished")
		}
	}
}

// capper is a store whose cap per outlet a test sets.
type capper interface{ SetMaxPerOutlet(int) }

// testNoticeMessagesToEveryOutlet: a notice to every outlet ("*")
// enqueues nothing in its own transaction, then a start message per
// customer at every registered outlet in bounded steps, any hub taking
// the next, once per customer (a customer at two outlets, a second pass:
// still once), each in its customer's language; its end cancels the start
// message not gone out, sends the recovery message to the others and
// invites the customers seen since it took effect, across every outlet.
func testNoticeMessagesToEveryOutlet(t *testing.T, be Backend) {
	ctx := context.Background()
	// Near the wall clock: another hub's store (Backend.Another) runs on
	// it, and what it enqueues must be due on this one's.
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	clk := clock.NewManual(t0.Add(time.Hour + time.Minute))
	s := surveyWithRules(t, be, clk, 0, 7*24*60, lifecycle.SurveyOnNoticeEnded)
	const outlets = 40 // more than one step's worth
	customer := func(i int) string { return fmt.Sprintf("c0ffee0000000000000000000000%04d", i) }
	for i := range outlets {
		o := fmt.Sprintf("SH-%03d", i)
		evs := []ev{cin(t0, fmt.Sprintf("WB%d", i), customer(i), fmt.Sprintf("v2:%d:1", i))}
		if i == 7 {
			// The customer of outlet 0 waits here too.
			evs = append(evs, cin(t0, "WBX", customer(0), "v2:x:1"))
		}
		commit(t, s, cbatch(o, 1, evs...))
	}
	if err := s.SetCustomerLang(ctx, customer(3), "en"); err != nil {
		t.Fatal(err)
	}
	pub := lifecycle.NoticePublishedV1{Title: "全网系统升级", Text: "暂停派送", Severity: "warning", ValidFrom: t0.UnixMilli()}
	if _, err := s.AppendDown(ctx, noticeEvent("NA", lifecycle.NoticePublished, syncproto.TargetAll, t0.Add(time.Hour), pub)); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, s, "NA"); len(got) != 0 {
		t.Errorf("the publication's own transaction enqueued %v, want nothing yet", got)
	}
	// One step on this hub, the rest wherever: another hub goes on from
	// where this one left off.
	if more, err := s.AdvanceNotices(ctx); err != nil || !more {
		t.Fatalf("first step: more %v (%v), want more steps", more, err)
	}
	if got := counts(t, s, "NA")["notice.start/pending"]; got == 0 || got >= outlets {
		t.Errorf("after one step %d start messages, want some, not all", got)
	}
	other := s
	if be.Another != nil {
		other = be.Another(t, s)
	}
	// Both hubs at once: each step is taken by one of them.
	var wg sync.WaitGroup
	steps := make([]int, 2)
	for i, st := range []store.Store{s, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; n < 1000; n++ {
				more, err := st.AdvanceNotices(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if !more {
					steps[i] = n
					return
				}
			}
		}()
	}
	wg.Wait()
	if steps[0]+steps[1] < 3 {
		t.Errorf("the rest took %v steps, want more than one", steps)
	}
	if got := counts(t, s, "NA"); !maps(got, map[string]int64{"notice.start/pending": outlets}) {
		t.Errorf("after every step: %v, want %d start messages", got, outlets)
	}
	for i := range outlets {
		r, err := s.OutboxMessage(ctx, store.NoticeMessageKey("NA", store.NoticeStartMessage, customer(i)))
		want := store.DefaultLang
		if i == 3 {
			want = "en"
		}
		if err != nil || r.Lang != want {
			t.Errorf("start message to %s: %+v (%v), want lang %s", customer(i), r, err, want)
		}
	}
	// A notice to every outlet appended again (another hub) adds nothing.
	if _, err := s.AppendDown(ctx, noticeEvent("NA", lifecycle.NoticePublished, syncproto.TargetAll, t0.Add(time.Hour), pub)); err != nil {
		t.Fatal(err)
	}
	advanceNotices(t, s)
	if got := counts(t, s, "NA")["notice.start/pending"]; got != outlets {
		t.Errorf("appended again: %d start messages", got)
	}
	// All but customer 5's go out; the end overtakes that one.
	rs, err := s.ClaimMessages(ctx, "A", clk.Now().Add(time.Minute).UnixMilli(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		state := store.MessageSent
		if r.Customer == customer(5) {
			state = store.MessagePending
		}
		if r.Kind == store.NoticeStartMessage {
			if err := s.FinishMessage(ctx, store.Outcome{Key: r.Key, Claim: "A", State: state, RetryAt: clk.Now().Add(time.Hour).UnixMilli()}, 5); err != nil {
				t.Fatal(err)
			}
		}
	}
	clk.Advance(2 * time.Hour)
	if _, err := s.AppendDown(ctx, noticeEvent("NA", lifecycle.NoticeEnded, syncproto.TargetAll, clk.Now(), lifecycle.NoticeEndedV1{Text: "已恢复", At: clk.Now().UnixMilli()})); err != nil {
		t.Fatal(err)
	}
	// Customer 5's retry is due, but the end is in: it waits for the end
	// to cancel it.
	if rs, err := s.ClaimMessages(ctx, "B", clk.Now().Add(time.Minute).UnixMilli(), 1000); err != nil || len(rs) != 0 {
		t.Errorf("claimed after the end, before its steps: %+v (%v)", rs, err)
	}
	advanceNotices(t, s)
	want := map[string]int64{"notice.start/sent": outlets - 1, "notice.start/cancelled": 1, "notice.end/pending": outlets - 1}
	if got := counts(t, s, "NA"); !maps(got, want) {
		t.Errorf("after the end: %v, want %v", got, want)
	}
	if _, err := s.OutboxMessage(ctx, store.NoticeMessageKey("NA", store.NoticeEndMessage, customer(5))); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a recovery message to the customer whose start was cancelled: %v", err)
	}
	if r, err := s.OutboxMessage(ctx, store.NoticeMessageKey("NA", store.NoticeEndMessage, customer(3))); err != nil || r.Lang != "en" {
		t.Errorf("recovery message to the English customer: %+v (%v)", r, err)
	}
	if c := invitedCount(t, s)[lifecycle.SurveyOnNoticeEnded]; c.Invited != outlets {
		t.Errorf("notice invitations %+v, want %d (every customer seen since it took effect)", c, outlets)
	}
	v, ok := inviteOf(t, s, store.SurveyCandidate{Customer: customer(3), Trigger: lifecycle.SurveyOnNoticeEnded, Source: "NA"})
	if !ok {
		t.Fatal("customer 3 was not invited")
	}
	if r, err := s.OutboxMessage(ctx, store.SurveyMessageKey(v.ID)); err != nil || r.Lang != "en" {
		t.Errorf("invitation to the English customer: %+v (%v)", r, err)
	}
}

// testNoticeMessagesCapped: past the cap per outlet, the customers over it
// get no start message and are counted as capped; the same ones on every
// hub; no cap, all of them.
func testNoticeMessagesCapped(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0.Add(time.Hour))
	s := be.OpenIn(t, clk, time.UTC)
	c, ok := s.(capper)
	if !ok {
		t.Fatalf("%T has no cap per outlet", s)
	}
	c.SetMaxPerOutlet(2)
	var evs []ev
	for i := range 5 {
		evs = append(evs, cin(t0, fmt.Sprintf("WB%d", i), fmt.Sprintf("c0ffee000000000000000000000000%02d", i), fmt.Sprintf("v2:a:%d", i)))
	}
	commit(t, s, cbatch("SH-A", 1, evs...))
	commit(t, s, cbatch("SH-B", 1, cin(t0, "WB9", "c0ffee00000000000000000000000099", "v2:b:9")))
	pub := lifecycle.NoticePublishedV1{Title: "暴雨", Text: "停运", Severity: "warning", Scope: []string{"SH-A", "SH-B"}, ValidFrom: t0.UnixMilli()}
	for _, o := range []string{"SH-A", "SH-B"} {
		if _, err := s.AppendDown(ctx, noticeEvent("NC", lifecycle.NoticePublished, o, t0.Add(time.Hour), pub)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]int64{"notice.start/pending": 3, "notice.start/" + store.MessageCapped: 3}
	if got := counts(t, s, "NC"); !maps(got, want) {
		t.Errorf("capped at 2: %v, want %v", got, want)
	}
	if be.Another != nil {
		b := be.Another(t, s)
		b.(capper).SetMaxPerOutlet(2)
		if _, err := b.AppendDown(ctx, noticeEvent("NC", lifecycle.NoticePublished, "SH-A", t0.Add(time.Hour), pub)); err != nil {
			t.Fatal(err)
		}
		if got := counts(t, s, "NC"); !maps(got, want) {
			t.Errorf("appended again by another hub: %v, want the same customers, %v", got, want)
		}
	}
	c.SetMaxPerOutlet(0)
	if _, err := s.AppendDown(ctx, noticeEvent("NU", lifecycle.NoticePublished, "SH-A", t0.Add(time.Hour), pub)); err != nil {
		t.Fatal(err)
	}
	if got := counts(t, s, "NU"); !maps(got, map[string]int64{"notice.start/pending": 5}) {
		t.Errorf("no cap: %v, want all 5", got)
	}
}

// testNoticeMessagesValidFrom: a notice valid tomorrow has its start
// messages wait until then; one that ends before has them cancelled and
// sends no recovery message.
func testNoticeMessagesValidFrom(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0.Add(time.Hour))
	s := be.OpenIn(t, clk, time.UTC)
	const x, y = "c0ffee000000000000000000000000a1", "c0ffee000000000000000000000000a2"
	commit(t, s, cbatch("SH-A", 1, cin(t0, "WB1", x, "v2:a:1"), cin(t0, "WB2", y, "v2:a:2")))
	tomorrow := t0.Add(24 * time.Hour)
	pub := lifecycle.NoticePublishedV1{Title: "春节", Text: "暂停派送", Severity: "info", Scope: []string{"SH-A"}, ValidFrom: tomorrow.UnixMilli()}
	for _, id := range []string{"NT", "NE"} {
		if _, err := s.AppendDown(ctx, noticeEvent(id, lifecycle.NoticePublished, "SH-A", clk.Now(), pub)); err != nil {
			t.Fatal(err)
		}
	}
	lease := func() int64 { return clk.Now().Add(time.Minute).UnixMilli() }
	if rs, err := s.ClaimMessages(ctx, "A", lease(), 100); err != nil || len(rs) != 0 {
		t.Fatalf("claimed before valid_from: %+v (%v)", rs, err)
	}
	if r, err := s.OutboxMessage(ctx, store.NoticeMessageKey("NT", store.NoticeStartMessage, x)); err != nil || r.NextAt != tomorrow.UnixMilli() {
		t.Errorf("start message %+v (%v), want due at valid_from", r, err)
	}
	// NE ends before it takes effect: nobody hears of it.
	if _, err := s.AppendDown(ctx, noticeEvent("NE", lifecycle.NoticeEnded, "SH-A", clk.Now(), lifecycle.NoticeEndedV1{Text: "取消", At: clk.Now().UnixMilli()})); err != nil {
		t.Fatal(err)
	}
	clk.Set(tomorrow.Add(time.Second))
	// Due now, but its end is still to be worked through: held back.
	if rs, err := s.ClaimMessages(ctx, "A", lease(), 100); err != nil || len(rs) != 2 || rs[0].Subject != "NT" || rs[1].Subject != "NT" {
		t.Fatalf("claimed after valid_from, NE's end not worked through: %+v (%v), want NT's 2 only", rs, err)
	}
	advanceNotices(t, s)
	if got := counts(t, s, "NE"); !maps(got, map[string]int64{"notice.start/cancelled": 2}) {
		t.Errorf("ended before it took effect: %v, want 2 cancelled and no recovery", got)
	}
	if rs, err := s.ClaimMessages(ctx, "B", lease(), 100); err != nil || len(rs) != 0 {
		t.Errorf("claimed a cancelled message: %+v (%v)", rs, err)
	}
}
