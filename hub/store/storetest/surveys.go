package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

var surveyTests = []struct {
	name string
	f    func(*testing.T, Backend)
}{
	{"SurveyDefinitionsVersioned", testSurveyDefinitionsVersioned},
	{"SurveyInvitationsDrawnAtCommit", testSurveyInvitationsDrawnAtCommit},
	{"SurveyInvitationUsedOnce", testSurveyInvitationUsedOnce},
	{"SurveyAfterNoticeEnded", testSurveyAfterNoticeEnded},
	{"SurveyAfterDelivery", testSurveyAfterDelivery},
	{"SurveyAnswerCountedInMeasures", testSurveyAnswerCountedInMeasures},
	{"SurveyMessagesCounted", testSurveyMessagesCounted},
}

func surveyDef(id, q string) store.SurveyDef {
	return store.SurveyDef{ID: id, TitleZH: "取件满意度", TitleEN: "Pickup", Comment: true,
		Questions: []store.SurveyQuestion{{Key: "overall", ZH: q, EN: "Overall"}, {Key: "staff", ZH: "服务态度", EN: "Staff"}}}
}

// surveyWithRules opens a store at t0 with survey "after" and a rule
// drawing everyone for each trigger, every days apart, links good for
// expiry minutes.
func surveyWithRules(t *testing.T, be Backend, clk clock.Clock, every, expiry int64, triggers ...string) store.Store {
	t.Helper()
	ctx := context.Background()
	s := be.OpenIn(t, clk, time.UTC)
	surveysTx(t, s, func(q store.SurveySQL) error {
		if _, err := q.PutDef(ctx, surveyDef("after", "总体满意度"), clk.Now().UnixMilli()); err != nil {
			return err
		}
		for _, tr := range triggers {
			if err := q.PutRule(ctx, store.SurveyRule{Trigger: tr, Survey: "after", Share: 100, EveryDays: every, ExpiryMinutes: expiry}); err != nil {
				return err
			}
		}
		return nil
	})
	return s
}

// dayTallies are outlet's tallies of at's day (UTC), summed by name.
func dayTallies(t *testing.T, s store.Store, at time.Time, outlet string) map[string]int64 {
	t.Helper()
	day := store.DayOf(at.UnixMilli(), time.UTC)
	ts, err := s.Tallies(context.Background(), store.RollupQuery{From: day, To: day})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, x := range ts {
		if x.Outlet == outlet {
			got[x.Name] += x.N
		}
	}
	return got
}

func surveysTx(t *testing.T, s store.Store, f func(q store.SurveySQL) error) {
	t.Helper()
	if err := s.SurveysTx(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

func inviteOf(t *testing.T, s store.Store, c store.SurveyCandidate) (store.SurveyInvite, bool) {
	t.Helper()
	var v store.SurveyInvite
	var err error
	surveysTx(t, s, func(q store.SurveySQL) error {
		v, err = q.Invite(context.Background(), store.InviteID(c))
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return v, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return v, true
}

func invitedCount(t *testing.T, s store.Store) map[string]store.SurveyCounts {
	t.Helper()
	out := map[string]store.SurveyCounts{}
	surveysTx(t, s, func(q store.SurveySQL) error {
		cs, err := q.Counts(context.Background())
		for _, c := range cs {
			out[c.Trigger] = c
		}
		return err
	})
	return out
}

// A definition no invitation names is edited in place; once one does,
// saving makes the next version and the old one stays as it was.
func testSurveyDefinitionsVersioned(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s := be.OpenIn(t, clock.NewManual(t0), time.UTC)
	var v1, v1again int64
	surveysTx(t, s, func(q store.SurveySQL) error {
		var err error
		if v1, err = q.PutDef(ctx, surveyDef("pickup", "总体满意度"), t0.UnixMilli()); err != nil {
			return err
		}
		v1again, err = q.PutDef(ctx, surveyDef("pickup", "总体评价"), t0.UnixMilli())
		return err
	})
	if v1 != 1 || v1again != 1 {
		t.Fatalf("versions %d, %d before any invitation: want 1, 1", v1, v1again)
	}
	surveysTx(t, s, func(q store.SurveySQL) error {
		if _, err := q.PutDef(ctx, store.SurveyDef{ID: "Bad Id", TitleZH: "x", Questions: surveyDef("x", "q").Questions}, 0); err == nil {
			t.Error("a definition with a bad id was saved")
		}
		if err := q.PutRule(ctx, store.SurveyRule{Trigger: lifecycle.SurveyOnPickup, Survey: "nope", Share: 100, ExpiryMinutes: 7 * 24 * 60}); err == nil {
			t.Error("a rule naming no survey was saved")
		}
		if err := q.PutRule(ctx, store.SurveyRule{Trigger: "parcel.inbound", Survey: "pickup", Share: 100, ExpiryMinutes: 7 * 24 * 60}); err == nil {
			t.Error("a rule for an unknown trigger was saved")
		}
		if err := q.PutRule(ctx, store.SurveyRule{Trigger: lifecycle.SurveyOnPickup, Survey: "pickup", Share: 101, ExpiryMinutes: 7 * 24 * 60}); err == nil {
			t.Error("a share of 101% was saved")
		}
		return q.PutRule(ctx, store.SurveyRule{Trigger: lifecycle.SurveyOnPickup, Survey: "pickup", Share: 100, ExpiryMinutes: 7 * 24 * 60})
	})
	const x = "c0ffee00c0ffee00c0ffee00c0ffee01"
	commit(t, s, cbatch("SH-A", 1, cin(t0, "WB1", x, "v2:a:1"), cpick(t0.Add(time.Hour), "WB1")))
	inv, ok := inviteOf(t, s, store.SurveyCandidate{Customer: x, Trigger: lifecycle.SurveyOnPickup, Source: "WB1"})
	if !ok || inv.Version != 1 {
		t.Fatalf("invitation %+v (%v): want one for version 1", inv, ok)
	}
	var v2 int64
	var old, latest store.SurveyDef
	surveysTx(t, s, func(q store.SurveySQL) error {
		var err error
		if v2, err = q.PutDef(ctx, surveyDef("pickup", "新题目"), t0.UnixMilli()); err != nil {
			return err
		}
		if old, err = q.Def(ctx, "pickup", 1); err != nil {
			return err
		}
		latest, err = q.LatestDef(ctx, "pickup")
		return err
	})
	if v2 != 2 || old.Questions[0].ZH != "总体评价" || latest.Version != 2 || latest.Questions[0].ZH != "新题目" || latest.InUse {
		t.Errorf("after an invitation: saved v%d, v1 %q, latest v%d %q in use %v; want v2, v1 kept", v2, old.Questions[0].ZH, latest.Version, latest.Questions[0].ZH, latest.InUse)
	}
}

// Pickups, deliveries and closed complaints draw invitations at commit,
// once per (customer, trigger, source) however often their events come;
// a rule's share and its days between invitations hold; an opted-out
// customer gets nothing; each new invitation has one outbox message.
func testSurveyInvitationsDrawnAtCommit(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0)
	s := surveyWithRules(t, be, clk, 30, 7*24*60, lifecycle.SurveyOnPickup, lifecycle.SurveyOnComplaintClosed)
	const x, y = "c0ffee00c0ffee00c0ffee00c0ffee0a", "c0ffee00c0ffee00c0ffee00c0ffee0b"
	b1 := cbatch("SH-A", 1, cin(t0, "WB1", x, "v2:a:1"), cpick(t0.Add(time.Hour), "WB1"), cin(t0, "WB2", y, "v2:a:2"), cpick(t0.Add(time.Hour), "WB2"))
	commit(t, s, b1)
	commit(t, s, b1) // replayed
	if another := be.Another; another != nil {
		commit(t, another(t, s), b1) // and seen by a second hub
	}
	vx, ok := inviteOf(t, s, store.SurveyCandidate{Customer: x, Trigger: lifecycle.SurveyOnPickup, Source: "WB1"})
	if !ok || vx.Outlet != "SH-A" || vx.ExpiresAt != t0.Add(7*24*time.Hour).UnixMilli() || vx.UsedAt != 0 {
		t.Fatalf("invitation of x: %+v (%v)", vx, ok)
	}
	if c := invitedCount(t, s)[lifecycle.SurveyOnPickup]; c.Invited != 2 {
		t.Fatalf("pickup invitations after a replay: %+v, want 2", c)
	}
	m, err := s.OutboxMessage(ctx, store.SurveyMessageKey(vx.ID))
	if err != nil || m.Kind != store.SurveyMessageKind || m.Customer != x || m.Subject != "after" {
		t.Fatalf("outbox message of the invitation: %+v (%v)", m, err)
	}
	var p struct{ Invite string }
	if json.Unmarshal([]byte(m.Params), &p); p.Invite != vx.ID {
		t.Errorf("message params %s name another invitation than %s", m.Params, vx.ID)
	}
	// y opts out with its answer.
	vy, _ := inviteOf(t, s, store.SurveyCandidate{Customer: y, Trigger: lifecycle.SurveyOnPickup, Source: "WB2"})
	surveysTx(t, s, func(q store.SurveySQL) error {
		_, err := q.ClaimInvite(ctx, vy.ID, clk.Now().UnixMilli(), true)
		return err
	})
	// Within 30 days x gets no second invitation; after them x does,
	// and y, opted out, never again.
	clk.Set(t0.Add(24 * time.Hour))
	commit(t, s, cbatch("SH-A", 5, cin(t0.Add(23*time.Hour), "WB3", x, "v2:a:3"), cpick(t0.Add(24*time.Hour), "WB3")))
	if _, ok := inviteOf(t, s, store.SurveyCandidate{Customer: x, Trigger: lifecycle.SurveyOnPickup, Source: "WB3"}); ok {
		t.Error("x was invited twice within 30 days")
	}
	t31 := t0.Add(31 * 24 * time.Hour)
	clk.Set(t31)
	commit(t, s, cbatch("SH-A", 7, cin(t31, "WB4", x, "v2:a:4"), cpick(t31, "WB4"), cin(t31, "WB5", y, "v2:a:5"), cpick(t31, "WB5")))
	if _, ok := inviteOf(t, s, store.SurveyCandidate{Customer: x, Trigger: lifecycle.SurveyOnPickup, Source: "WB4"}); !ok {
		t.Error("x was not invited again after 30 days")
	}
	if _, ok := inviteOf(t, s, store.SurveyCandidate{Customer: y, Trigger: lifecycle.SurveyOnPickup, Source: "WB5"}); ok {
		t.Error("y, who opted out, was invited again")
	}
	if c := invitedCount(t, s)[lifecycle.SurveyOnPickup]; c.Invited != 3 || c.Answered != 1 || c.OptedOut != 1 {
		t.Errorf("pickup counts %+v, want 3 invited, 1 answered, 1 opted out", c)
	}
	// A complaint reaching closed invites its customer, once.
	const z = "c0ffee00c0ffee00c0ffee00c0ffee0c"
	evs := []ev{ccomplaint(t31, "C7", z)}
	for i, st := range []string{"acknowledge", "investigate", "decide_responsibility", "propose_solution", "customer_agrees", "carry_out", "follow_up"} {
		evs = append(evs, cstepEv(t31.Add(time.Duration(i+1)*time.Minute), "C7", st, 4))
	}
	open := cbatch("SH-B", 1, evs...)
	commit(t, s, open)
	if _, ok := inviteOf(t, s, store.SurveyCandidate{Customer: z, Trigger: lifecycle.SurveyOnComplaintClosed, Source: "C7"}); ok {
		t.Fatal("a complaint not yet closed drew an invitation")
	}
	closed := cbatch("SH-B", uint64(len(evs))+1, cstepEv(t31.Add(time.Hour), "C7", "close", 0))
	commit(t, s, closed)
	commit(t, s, open, closed)
	vz, ok := inviteOf(t, s, store.SurveyCandidate{Customer: z, Trigger: lifecycle.SurveyOnComplaintClosed, Source: "C7"})
	if !ok || vz.Outlet != "SH-B" {
		t.Fatalf("closed complaint's invitation %+v (%v)", vz, ok)
	}
	if c := invitedCount(t, s)[lifecycle.SurveyOnComplaintClosed]; c.Invited != 1 {
		t.Errorf("complaint invitations %+v, want 1", c)
	}
	// No rule for deliveries: a delivery invites nobody.
	if c := invitedCount(t, s)[lifecycle.SurveyOnDelivery]; c.Invited != 0 {
		t.Errorf("delivery invitations without a rule: %+v", c)
	}
}

// An invitation is used once: a second use, and a use past its expiry,
// are refused and change nothing.
func testSurveyInvitationUsedOnce(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0)
	s := surveyWithRules(t, be, clk, 0, 2*24*60, lifecycle.SurveyOnPickup)
	const x, y = "c0ffee00c0ffee00c0ffee00c0ffee1a", "c0ffee00c0ffee00c0ffee00c0ffee1b"
	commit(t, s, cbatch("SH-A", 1, cin(t0, "WB1", x, "v2:a:1"), cpick(t0, "WB1"), cin(t0, "WB2", y, "v2:a:2"), cpick(t0, "WB2")))
	vx, _ := inviteOf(t, s, store.SurveyCandidate{Customer: x, Trigger: lifecycle.SurveyOnPickup, Source: "WB1"})
	vy, _ := inviteOf(t, s, store.SurveyCandidate{Customer: y, Trigger: lifecycle.SurveyOnPickup, Source: "WB2"})
	claim := func(id string) error {
		var err error
		s.SurveysTx(ctx, func(q store.SurveySQL) error {
			_, err = q.ClaimInvite(ctx, id, clk.Now().UnixMilli(), false)
			return nil
		})
		return err
	}
	if err := claim(vx.ID); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := claim(vx.ID); !errors.Is(err, store.ErrSurveyUsed) {
		t.Errorf("second use: %v, want ErrSurveyUsed", err)
	}
	if err := claim("00000000000000000000000000000000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown invitation: %v, want ErrNotFound", err)
	}
	clk.Set(t0.Add(2 * 24 * time.Hour))
	if err := claim(vy.ID); !errors.Is(err, store.ErrSurveyExpired) {
		t.Errorf("use at expiry: %v, want ErrSurveyExpired", err)
	}
	if v, _ := inviteOf(t, s, store.SurveyCandidate{Customer: y, Trigger: lifecycle.SurveyOnPickup, Source: "WB2"}); v.UsedAt != 0 {
		t.Errorf("an expired invitation was marked used at %d", v.UsedAt)
	}
	if c := invitedCount(t, s)[lifecycle.SurveyOnPickup]; c.Invited != 2 || c.Answered != 1 {
		t.Errorf("counts %+v, want 2 invited, 1 answered", c)
	}
}

// An answer is a hub event stored only when its check (the invitation's
// use) passes, and the measures' tallies count it for the trigger's
// outlet: the answer, the opt-out, each score; an outlet's event of the
// same type counts nowhere.
func testSurveyAnswerCountedInMeasures(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	s := be.OpenIn(t, clock.NewManual(t0), time.UTC)
	answer := func(id string, p lifecycle.SurveyAnsweredV1, check error) error {
		js, _ := json.Marshal(p)
		e := &syncproto.Event{ID: "ans-" + id, Origin: syncproto.HubOrigin, Seq: 1, HLC: hlc.Make(t0.UnixMilli(), 1), Actor: "customer",
			Type: lifecycle.SurveyAnswered, V: 1, Subject: id, Target: syncproto.HubOrigin, Payload: js}
		_, err := s.AppendDownAlloc(ctx, e, store.SerialAlloc{Check: func(context.Context, store.Tx) error { return check }})
		return err
	}
	p := lifecycle.SurveyAnsweredV1{Survey: "after", Version: 1, Trigger: lifecycle.SurveyOnPickup, Outlet: "SH-A", Customer: "c", Scores: []int64{5, 4}, OptedOut: true, At: t0.UnixMilli()}
	if err := answer("i1", p, nil); err != nil {
		t.Fatal(err)
	}
	if err := answer("i2", p, store.ErrSurveyUsed); !errors.Is(err, store.ErrSurveyUsed) {
		t.Fatalf("an answer whose check fails: %v", err)
	}
	if evs, err := s.SubjectEvents(ctx, "i2"); err != nil || len(evs) != 0 {
		t.Errorf("the refused answer was stored: %d events (%v)", len(evs), err)
	}
	// An outlet cannot answer for its customers: its own survey.answered
	// counts nowhere.
	commit(t, s, cbatch("SH-A", 1, ev{t0, lifecycle.SurveyAnswered, "forged", p}))
	got := dayTallies(t, s, t0, "SH-A")
	want := map[string]int64{store.TallySurveyAnswers: 1, store.TallySurveyOptOuts: 1, store.TallySurveyScorePrefix + "5": 1, store.TallySurveyScorePrefix + "4": 1}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("tally %s = %d, want %d (all: %v)", k, got[k], n, got)
		}
	}
}

// A special period's recovery notice to an outlet invites the customers
// seen there since the notice took effect, once, and no one seen only
// before it or at another outlet.
func testSurveyAfterNoticeEnded(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0)
	s := surveyWithRules(t, be, clk, 0, 7*24*60, lifecycle.SurveyOnNoticeEnded)
	const before, during, elsewhere = "c0ffee00c0ffee00c0ffee00c0ffee2a", "c0ffee00c0ffee00c0ffee00c0ffee2b", "c0ffee00c0ffee00c0ffee00c0ffee2c"
	from := t0.Add(24 * time.Hour)
	clk.Set(from.Add(2 * time.Hour))
	commit(t, s, cbatch("SH-A", 1, cin(t0, "WB1", before, "v2:a:1"), cin(from.Add(time.Hour), "WB2", during, "v2:a:2")))
	commit(t, s, cbatch("SH-B", 1, cin(from.Add(time.Hour), "WB3", elsewhere, "v2:b:1")))
	down := func(at time.Time, typ, target string, payload any) {
		t.Helper()
		js, _ := json.Marshal(payload)
		e := syncproto.Event{ID: typ + target, Origin: syncproto.HubOrigin, HLC: hlc.Make(at.UnixMilli(), 0), Actor: "ops", Type: typ, V: 1,
			Subject: "N1", Target: target, Payload: js}
		if _, err := s.AppendDown(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range []string{"SH-A", "SH-B"} {
		down(from, lifecycle.NoticePublished, o, lifecycle.NoticePublishedV1{Title: "暴雨", Text: "停派", Severity: "warning", Scope: []string{"SH-A", "SH-B"}, ValidFrom: from.UnixMilli()})
	}
	clk.Set(from.Add(48 * time.Hour))
	down(from.Add(48*time.Hour), lifecycle.NoticeEnded, "SH-A", lifecycle.NoticeEndedV1{Text: "恢复", At: from.Add(48 * time.Hour).UnixMilli()})
	cand := func(c string) store.SurveyCandidate {
		return store.SurveyCandidate{Customer: c, Trigger: lifecycle.SurveyOnNoticeEnded, Source: "N1"}
	}
	if v, ok := inviteOf(t, s, cand(during)); !ok || v.Outlet != "SH-A" {
		t.Errorf("the customer seen during the notice: %+v (%v)", v, ok)
	}
	if _, ok := inviteOf(t, s, cand(before)); ok {
		t.Error("a customer seen only before the notice was invited")
	}
	if _, ok := inviteOf(t, s, cand(elsewhere)); ok {
		t.Error("a customer of an outlet whose notice has not ended was invited")
	}
	if c := invitedCount(t, s)[lifecycle.SurveyOnNoticeEnded]; c.Invited != 1 {
		t.Errorf("notice invitations %+v, want 1", c)
	}
}

// A delivery to the door invites the parcel's customer under the
// delivery rule only: the pickup rule, absent here, draws nothing.
func testSurveyAfterDelivery(t *testing.T, be Backend) {
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0.Add(2 * time.Hour))
	s := surveyWithRules(t, be, clk, 0, 7*24*60, lifecycle.SurveyOnDelivery)
	const x = "c0ffee00c0ffee00c0ffee00c0ffee3a"
	delivered := ev{t0.Add(time.Hour), lifecycle.DispatchDelivered, "WB9", lifecycle.DispatchDeliveredV1{Batch: "D1", Courier: "k1", At: t0.Add(time.Hour).UnixMilli()}}
	commit(t, s, cbatch("SH-A", 1, cin(t0, "WB9", x, "v2:a:9"), delivered, cin(t0, "WB8", x, "v2:a:8"), cpick(t0.Add(time.Hour), "WB8")))
	if v, ok := inviteOf(t, s, store.SurveyCandidate{Customer: x, Trigger: lifecycle.SurveyOnDelivery, Source: "WB9"}); !ok || v.Outlet != "SH-A" {
		t.Errorf("the delivered parcel's customer: %+v (%v)", v, ok)
	}
	if _, ok := inviteOf(t, s, store.SurveyCandidate{Customer: x, Trigger: lifecycle.SurveyOnPickup, Source: "WB8"}); ok {
		t.Error("a pickup drew an invitation without a pickup rule")
	}
}

// An invitation's send and delivery are hub events the tallies count for
// the trigger's outlet (a delivery the gateway reported as it took the
// message counts as sent too; an outlet's event of the types counts
// nowhere), and the counts per trigger and per survey version follow
// the invitations' messages through the outbox.
func testSurveyMessagesCounted(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(t0)
	s := surveyWithRules(t, be, clk, 0, 7*24*60, lifecycle.SurveyOnPickup)
	const w, x, y, z = "c0ffee00c0ffee00c0ffee00c0ffee2a", "c0ffee00c0ffee00c0ffee00c0ffee2b", "c0ffee00c0ffee00c0ffee00c0ffee2c", "c0ffee00c0ffee00c0ffee00c0ffee2d"
	commit(t, s, cbatch("SH-A", 1, cin(t0, "WB1", w, "v2:a:1"), cpick(t0, "WB1"), cin(t0, "WB2", x, "v2:a:2"), cpick(t0, "WB2"),
		cin(t0, "WB3", y, "v2:a:3"), cpick(t0, "WB3")))
	// Version 2 asks z.
	surveysTx(t, s, func(q store.SurveySQL) error {
		_, err := q.PutDef(ctx, surveyDef("after", "总体满意度（新）"), t0.UnixMilli())
		return err
	})
	commit(t, s, cbatch("SH-A", 7, cin(t0, "WB4", z, "v2:a:4"), cpick(t0, "WB4")))
	id := func(c, wb string) string {
		return store.InviteID(store.SurveyCandidate{Customer: c, Trigger: lifecycle.SurveyOnPickup, Source: wb})
	}
	// w's message is sent, then delivered, and w answers; x's fails; y's
	// is delivered as the gateway takes it; z's waits.
	rows, err := s.ClaimMessages(ctx, "claim", t0.Add(time.Minute).UnixMilli(), 10)
	if err != nil || len(rows) != 4 {
		t.Fatalf("claim: %d messages (%v), want 4", len(rows), err)
	}
	for _, r := range rows {
		o := store.Outcome{Key: r.Key, Claim: r.Claim}
		switch r.Key {
		case store.SurveyMessageKey(id(w, "WB1")):
			o.State = store.MessageSent
		case store.SurveyMessageKey(id(x, "WB2")):
			o.State, o.Error = store.MessageFailed, "refused"
		case store.SurveyMessageKey(id(y, "WB3")):
			o.State = store.MessageDelivered
		default:
			o.State, o.RetryAt = store.MessagePending, t0.Add(time.Hour).UnixMilli()
		}
		if err := s.FinishMessage(ctx, o, 8); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := s.DeliverMessage(ctx, store.SurveyMessageKey(id(w, "WB1"))); !ok || err != nil {
		t.Fatalf("receipt of w's message: %v %v", ok, err)
	}
	surveysTx(t, s, func(q store.SurveySQL) error {
		_, err := q.ClaimInvite(ctx, id(w, "WB1"), t0.UnixMilli(), false)
		return err
	})
	versions := map[int64]store.SurveyCounts{}
	surveysTx(t, s, func(q store.SurveySQL) error {
		cs, err := q.VersionCounts(ctx)
		for _, c := range cs {
			if c.Survey != "after" {
				t.Errorf("counts of survey %q", c.Survey)
			}
			versions[c.Version] = c
		}
		return err
	})
	want := map[int64]store.SurveyCounts{
		1: {Survey: "after", Version: 1, Invited: 3, Answered: 1, Sent: 2, Delivered: 2, Failed: 1},
		2: {Survey: "after", Version: 2, Invited: 1},
	}
	if len(versions) != len(want) || versions[1] != want[1] || versions[2] != want[2] {
		t.Errorf("per version %+v, want %+v", versions, want)
	}
	if c := invitedCount(t, s)[lifecycle.SurveyOnPickup]; c.Invited != 4 || c.Sent != 2 || c.Delivered != 2 || c.Failed != 1 || c.Answered != 1 || c.Survey != "" {
		t.Errorf("pickup counts %+v, want 4 invited, 2 sent, 2 delivered, 1 failed, 1 answered", c)
	}

	// The tallies count the events, not the outbox.
	at := hlc.Make(t0.UnixMilli(), 1)
	step := func(typ, subject string, p lifecycle.SurveyInvitationV1) {
		t.Helper()
		js, _ := json.Marshal(p)
		e := &syncproto.Event{ID: typ + "-" + subject, Origin: syncproto.HubOrigin, Seq: 1, HLC: at, Actor: "gateway",
			Type: typ, V: 1, Subject: subject, Target: syncproto.HubOrigin, Payload: js}
		if _, err := s.AppendDownAlloc(ctx, e, store.SerialAlloc{}); err != nil {
			t.Fatal(err)
		}
	}
	p := lifecycle.SurveyInvitationV1{Survey: "after", Version: 1, Trigger: lifecycle.SurveyOnPickup, Outlet: "SH-B", At: t0.UnixMilli()}
	step(lifecycle.SurveyInvitationSent, "i1", p)
	step(lifecycle.SurveyInvitationDelivered, "i1", p)
	step(lifecycle.SurveyInvitationSent, "i2", p)
	direct := p
	direct.Sent = true
	step(lifecycle.SurveyInvitationDelivered, "i3", direct)
	nowhere := p
	nowhere.Outlet = ""
	step(lifecycle.SurveyInvitationSent, "i4", nowhere)
	commit(t, s, cbatch("SH-B", 1, ev{t0, lifecycle.SurveyInvitationSent, "forged", p}, ev{t0, lifecycle.SurveyInvitationDelivered, "forged", p}))
	if got := dayTallies(t, s, t0, "SH-B"); got[store.TallySurveySent] != 3 || got[store.TallySurveyDelivered] != 2 || len(got) != 2 {
		t.Errorf("SH-B's tallies %v, want 3 sent and 2 delivered", got)
	}
}
