package surveys_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/gateway"
	"github.com/yizhan/yizhan/hub/ingest"
	"github.com/yizhan/yizhan/hub/ratelimit"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/postgres"
	"github.com/yizhan/yizhan/hub/surveys"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// phoneGateway is the company gateway as a test part: it takes each
// message, reports some delivered at once, refuses some for good.
type phoneGateway struct {
	mu                 sync.Mutex
	delivered, refused map[string]bool // by message key
	got                []string
}

func (g *phoneGateway) Send(_ context.Context, m gateway.Message) (gateway.Receipt, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.got = append(g.got, m.Key)
	if g.refused[m.Key] {
		return gateway.Receipt{}, fmt.Errorf("number barred: %w", gateway.ErrPermanent)
	}
	return gateway.Receipt{Delivered: g.delivered[m.Key]}, nil
}

// events are the hub events of type typ about invitation id.
func (r *rig) events(id, typ string) []syncproto.Event {
	r.t.Helper()
	evs, err := r.st.SubjectEvents(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []syncproto.Event
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// call makes an API request with a bearer token and returns the status
// and the error code, decoding a 2xx answer into out.
func (r *rig) call(token, method, path, body string, out any) (int, string) {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res := do(r.t, req)
	if res.status < 300 && out != nil {
		if err := json.Unmarshal([]byte(res.body), out); err != nil {
			r.t.Fatalf("%s %s: %v in %s", method, path, err, res.body)
		}
	}
	return res.status, errCode(res.body)
}

type countsJSON struct {
	Trigger, Survey                            string
	Version                                    int64
	Invited, Sent, Delivered, Failed, Answered int64
	ResponseRate                               *float64 `json:"response_rate"`
}

// sameCounts compares counts and their rates' values.
func sameCounts(a, b countsJSON) bool {
	ra, rb := a.ResponseRate, b.ResponseRate
	a.ResponseRate, b.ResponseRate = nil, nil
	return a == b && (ra == nil) == (rb == nil) && (ra == nil || *ra == *rb)
}

// overview is GET /api/v1/surveys' pickup counts and its versions.
func (r *rig) overview() (countsJSON, []countsJSON) {
	r.t.Helper()
	var o struct {
		Counts, Versions []countsJSON
	}
	if code, ecode := r.call("admin-token", "GET", "/api/v1/surveys", "", &o); code != 200 {
		r.t.Fatalf("surveys: %d %s", code, ecode)
	}
	for _, c := range o.Counts {
		if c.Trigger == lifecycle.SurveyOnPickup {
			return c, o.Versions
		}
	}
	r.t.Fatalf("no pickup counts in %+v", o.Counts)
	return countsJSON{}, nil
}

// measure is one value of SH-A's measures of the rig's day.
func (r *rig) measure(name string) any {
	r.t.Helper()
	var m struct {
		Rows []struct {
			Key    string
			Values map[string]any
		}
	}
	day := r.clk.Now().Format(time.DateOnly)
	if code, ecode := r.call("admin-token", "GET", "/api/v1/measures?from="+day+"&to="+day+"&by=outlet&period=day", "", &m); code != 200 {
		r.t.Fatalf("measures: %d %s", code, ecode)
	}
	for _, row := range m.Rows {
		if row.Key == "SH-A" {
			return row.Values[name]
		}
	}
	return nil
}

// TestInvitationMessagesRecorded, on SQLite and on PostgreSQL: an
// invitation the gateway takes is a survey.invitation_sent hub event, one
// it reports delivered (by its receipt, or as it takes it) a
// survey.invitation_delivered, each stored with the outbox's change and
// pulled by no outlet; the surveys' overview and the measures count them
// and the response rate (answered / delivered, none while nothing was
// delivered). A receipt posted twice, to a second hub, or to two hubs at
// once records one event; a receipt of an unknown key, of a message not
// sent or failed, or with a token of another scope is refused with its
// code and changes nothing; a notice message's receipt moves that message
// only.
func TestInvitationMessagesRecorded(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		r := newRig(t)
		// One SQLite file has one writer: a second hub's surveys share
		// the handle.
		invitationMessages(t, r, r.st)
	})
	t.Run("postgres", func(t *testing.T) {
		pg := harness.StartPostgres(t, harness.PostgresOptions{})
		dsn := pg.NewDatabase(t)
		open := func(clk clock.Clock) store.Store {
			st, err := postgres.Open(context.Background(), dsn, postgres.Options{Clock: clk, Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		}
		r := newRigOn(t, open)
		invitationMessages(t, r, open(r.clk))
	})
}

func invitationMessages(t *testing.T, r *rig, second store.Store) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h2, err := ingest.New(ingest.Options{Store: second, Clock: r.clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	lim2, err := ratelimit.New(ratelimit.Options{Store: second, Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	svc2, err := surveys.New(surveys.Options{Store: second, Events: h2, Master: master, Limiter: lim2, Clock: r.clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	other := svc2.Outbox(second)
	id := func(customer, waybill string) string {
		return store.InviteID(store.SurveyCandidate{Customer: customer, Trigger: lifecycle.SurveyOnPickup, Source: waybill})
	}
	idA, idB, idC, idD, idE := id("cust-a", "WB1"), id("cust-b", "WB2"), id("cust-c", "WB3"), id("cust-d", "WB4"), id("cust-e", "WB5")
	keyA, keyB, keyC, keyD, keyE := store.SurveyMessageKey(idA), store.SurveyMessageKey(idB), store.SurveyMessageKey(idC), store.SurveyMessageKey(idD), store.SurveyMessageKey(idE)
	r.commitPickup("cust-a", "WB1")
	r.commitPickup("cust-b", "WB2")
	r.commitPickup("cust-c", "WB3")

	// Nothing delivered yet: no rate, not a zero or NaN.
	if c, vs := r.overview(); c.Invited != 3 || c.Sent != 0 || c.ResponseRate != nil || len(vs) != 1 || vs[0].ResponseRate != nil || vs[0].Invited != 3 {
		t.Errorf("before any send: %+v %+v", c, vs)
	}
	if v := r.measure("surveys.response_ratio"); v != nil {
		t.Errorf("response ratio with nothing delivered: %v, want null", v)
	}

	// A is taken, B delivered as it is taken, C refused for good.
	gw := &phoneGateway{delivered: map[string]bool{keyB: true}, refused: map[string]bool{keyC: true}}
	snd, err := gateway.NewSender(gateway.Options{Store: r.svc.Outbox(r.st), Gateway: gw, Texts: r.svc.MessageTexts(), Clock: r.clk,
		Contacts: gateway.ContactsFunc(func(context.Context, string) (string, error) { return "13800138000", nil })})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := snd.SendDue(ctx); n != 3 || err != nil {
		t.Fatalf("send: %d (%v), want 3", n, err)
	}
	sent := r.events(idA, lifecycle.SurveyInvitationSent)
	if len(sent) != 1 {
		t.Fatalf("A's sent events: %d, want 1", len(sent))
	}
	var p lifecycle.SurveyInvitationV1
	json.Unmarshal(sent[0].Payload, &p)
	if e := sent[0]; e.Origin != syncproto.HubOrigin || e.Target != syncproto.HubOrigin || e.Actor != surveys.GatewayActor ||
		p != (lifecycle.SurveyInvitationV1{Survey: "after-pickup", Version: 1, Trigger: lifecycle.SurveyOnPickup, Outlet: "SH-A", At: r.clk.Now().UnixMilli()}) {
		t.Errorf("A's sent event %+v, payload %+v", e, p)
	}
	if strings.Contains(string(sent[0].Payload), "cust-a") {
		t.Errorf("the event names its customer: %s", sent[0].Payload)
	}
	if n := len(r.events(idA, lifecycle.SurveyInvitationDelivered)); n != 0 {
		t.Errorf("A delivered before its receipt: %d events", n)
	}
	direct := r.events(idB, lifecycle.SurveyInvitationDelivered)
	if len(direct) != 1 || len(r.events(idB, lifecycle.SurveyInvitationSent)) != 0 {
		t.Fatalf("B, delivered as it was taken: %d delivered events, want 1 and no sent event", len(direct))
	}
	if json.Unmarshal(direct[0].Payload, &p); !p.Sent {
		t.Errorf("B's delivery does not stand for its send: %s", direct[0].Payload)
	}
	if n := len(r.events(idC, lifecycle.SurveyInvitationSent)) + len(r.events(idC, lifecycle.SurveyInvitationDelivered)); n != 0 {
		t.Errorf("C, refused, has %d message events", n)
	}
	evs, _, _, err := r.st.Down(ctx, "SH-A", 0, 1000, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if strings.HasPrefix(e.Type, "survey.") {
			t.Errorf("outlet SH-A pulls %s", e.Type)
		}
	}

	var gwTok, readTok struct{ Token string }
	if code, ecode := r.call("admin-token", "POST", "/api/v1/tokens", `{"name":"sms","scope":"gateway"}`, &gwTok); code != 201 {
		t.Fatalf("gateway token: %d %s", code, ecode)
	}
	if code, ecode := r.call("admin-token", "POST", "/api/v1/tokens", `{"name":"bi","scope":"read"}`, &readTok); code != 201 {
		t.Fatalf("read token: %d %s", code, ecode)
	}
	receipt := func(key string) string { return "/api/v1/messages/" + url.PathEscape(key) + "/delivered" }
	state := func(key string) string {
		m, err := r.st.OutboxMessage(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return m.State
	}

	// A token of another scope may not post a receipt.
	if code, ecode := r.call(readTok.Token, "POST", receipt(keyA), `{}`, nil); code != 403 || ecode != problem.AuthTokenScope.String() {
		t.Errorf("a read token's receipt: %d %s, want 403 %s", code, ecode, problem.AuthTokenScope)
	}
	if st := state(keyA); st != store.MessageSent || len(r.events(idA, lifecycle.SurveyInvitationDelivered)) != 0 {
		t.Errorf("after a refused receipt A is %s", st)
	}
	// A notice message's receipt moves it alone; so do the send and the
	// receipt of an invitation message whose invitation is gone.
	const noticeKey = "notice:n1:start:cust-x"
	orphan := store.SurveyMessageKey(strings.Repeat("ab", 16))
	if _, err := r.st.Enqueue(ctx, []store.Message{{Key: noticeKey, Kind: store.NoticeStartMessage, Subject: "n1", Customer: "cust-x"},
		{Key: orphan, Kind: store.SurveyMessageKind, Subject: "after-pickup", Customer: "cust-y"}}); err != nil {
		t.Fatal(err)
	}
	rows, err := r.st.ClaimMessages(ctx, "other-claim", r.clk.Now().Add(time.Minute).UnixMilli(), 10)
	if err != nil || len(rows) != 2 {
		t.Fatalf("claim the notice and the orphan messages: %d (%v)", len(rows), err)
	}
	for _, m := range rows {
		if err := r.svc.Outbox(r.st).FinishMessage(ctx, store.Outcome{Key: m.Key, Claim: m.Claim, State: store.MessageSent}, 8); err != nil {
			t.Fatalf("finish %s: %v", m.Key, err)
		}
	}
	before, _ := r.overview()
	var got struct{ Key, State string }
	for _, key := range []string{noticeKey, orphan} {
		if code, ecode := r.call(gwTok.Token, "POST", receipt(key), `{}`, &got); code != 200 || got.State != store.MessageDelivered {
			t.Errorf("the receipt of %s: %d %s %+v", key, code, ecode, got)
		}
	}
	if after, _ := r.overview(); !sameCounts(after, before) {
		t.Errorf("a notice message's receipt changed the surveys: %+v, was %+v", after, before)
	}
	if evs, err := r.st.SubjectEvents(ctx, strings.Repeat("ab", 16)); err != nil || len(evs) != 0 {
		t.Errorf("the orphan message recorded %d events (%v)", len(evs), err)
	}

	// A's receipt, twice, then on a second hub: one delivery.
	for range 2 {
		if code, ecode := r.call(gwTok.Token, "POST", receipt(keyA), `{}`, &got); code != 200 || got.State != store.MessageDelivered || got.Key != keyA {
			t.Errorf("A's receipt: %d %s %+v", code, ecode, got)
		}
	}
	if ok, err := other.DeliverMessage(ctx, keyA); ok || err != nil {
		t.Errorf("A's receipt on the second hub: %v %v, want nothing moved", ok, err)
	}
	if n := len(r.events(idA, lifecycle.SurveyInvitationDelivered)); n != 1 {
		t.Errorf("A's delivered events: %d, want 1", n)
	}
	// B's receipt after the gateway said so at once: the same answer,
	// nothing more.
	if code, ecode := r.call(gwTok.Token, "POST", receipt(keyB), `{}`, &got); code != 200 || got.State != store.MessageDelivered {
		t.Errorf("B's receipt: %d %s", code, ecode)
	}
	if n := len(r.events(idB, lifecycle.SurveyInvitationDelivered)); n != 1 {
		t.Errorf("B's delivered events: %d, want 1", n)
	}

	// Hostile receipts: an unknown key, one that only looks like an
	// invitation's, a failed message and one not sent yet.
	r.commitPickup("cust-d", "WB4")
	for path, want := range map[string]problem.Code{
		receipt("nope"): problem.MessageNotFound,
		receipt(store.SurveyMessageKey(strings.Repeat("0", 32))): problem.MessageNotFound,
		receipt("survey::invite"):                                problem.MessageNotFound,
		receipt(keyC):                                            problem.MessageNotSent,
		receipt(keyD):                                            problem.MessageNotSent,
	} {
		if code, ecode := r.call(gwTok.Token, "POST", path, `{}`, nil); code < 400 || code >= 500 || ecode != want.String() {
			t.Errorf("receipt %s: %d %s, want %s", path, code, ecode, want)
		}
	}
	if state(keyC) != store.MessageFailed || state(keyD) != store.MessagePending {
		t.Errorf("after refused receipts C is %s, D %s", state(keyC), state(keyD))
	}
	if n := len(r.events(idD, lifecycle.SurveyInvitationDelivered)) + len(r.events(idC, lifecycle.SurveyInvitationDelivered)); n != 0 {
		t.Errorf("refused receipts stored %d events", n)
	}

	// D and E are sent; E's receipt reaches both hubs at once: one
	// delivery.
	r.commitPickup("cust-e", "WB5")
	if n, err := snd.SendDue(ctx); n != 2 || err != nil {
		t.Fatalf("send D and E: %d (%v)", n, err)
	}
	var wg sync.WaitGroup
	moved := make([]bool, 2)
	errs := make([]error, 2)
	for i, o := range []*surveys.Outbox{r.svc.Outbox(r.st), other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			moved[i], errs[i] = o.DeliverMessage(ctx, keyE)
		}()
	}
	wg.Wait()
	if moved[0] == moved[1] || errors.Join(errs...) != nil {
		t.Errorf("E's receipts on two hubs at once moved %v (%v), want exactly one", moved, errs)
	}
	if n := len(r.events(idE, lifecycle.SurveyInvitationDelivered)); n != 1 {
		t.Errorf("E's delivered events: %d, want 1", n)
	}

	// A answers: 1 of 3 delivered.
	if res := post(t, r.linkOf("cust-a", "WB1"), `{"scores":[5,4]}`, "Origin", r.srv.URL); res.status != 204 {
		t.Fatalf("answer: %d %s", res.status, res.body)
	}
	third := 1.0 / 3
	want := countsJSON{Invited: 5, Sent: 4, Delivered: 3, Failed: 1, Answered: 1, ResponseRate: &third}
	c, vs := r.overview()
	if c.ResponseRate == nil || *c.ResponseRate != third || len(vs) != 1 || vs[0].ResponseRate == nil || *vs[0].ResponseRate != third {
		t.Fatalf("rates: %+v %+v, want %v", c, vs, third)
	}
	c.ResponseRate, vs[0].ResponseRate, want.ResponseRate = nil, nil, nil
	if want.Trigger = lifecycle.SurveyOnPickup; c != want {
		t.Errorf("pickup counts %+v, want %+v", c, want)
	}
	if want.Trigger, want.Survey, want.Version = "", "after-pickup", 1; vs[0] != want {
		t.Errorf("version counts %+v, want %+v", vs[0], want)
	}
	for name, v := range map[string]any{"surveys.sent": 4.0, "surveys.delivered": 3.0, "surveys.answered": 1.0, "surveys.response_ratio": third} {
		if got := r.measure(name); got != v {
			t.Errorf("measure %s = %v, want %v", name, got, v)
		}
	}
}
