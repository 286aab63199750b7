package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/api"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

func startHubClock(t *testing.T, clk *clock.Manual, sweepEvery time.Duration) *Server {
	t.Helper()
	s, err := Start(context.Background(), Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard(),
		Clock: clk, SweepEvery: sweepEvery,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// fakeOutlet records events as an agent does: its own sequence and HLC, the
// HLC observing what head office sent down.
type fakeOutlet struct {
	id    string
	seq   uint64
	clock *hlc.Clock
	sent  []syncproto.Event
	down  uint64 // downlink cursor
}

func newOutlet(id string, clk *clock.Manual) *fakeOutlet {
	return &fakeOutlet{id: id, clock: hlc.New(clk, 0)}
}

func (o *fakeOutlet) event(typ, subject string, payload any) syncproto.Event {
	raw, _ := json.Marshal(payload)
	o.seq++
	e := syncproto.Event{ID: fmt.Sprintf("%s-%d", o.id, o.seq), Origin: o.id, Seq: o.seq, HLC: o.clock.Now(), Actor: "clerk",
		Type: typ, V: 1, Subject: subject, Payload: raw}
	o.sent = append(o.sent, e)
	return e
}

// batch frames the events recorded since seq first.
func (o *fakeOutlet) batch(t *testing.T, first uint64) []byte {
	t.Helper()
	b := syncproto.Batch{Origin: o.id, First: first, Last: o.seq}
	for _, e := range o.sent {
		if e.Seq >= first {
			b.Events = append(b.Events, e)
		}
	}
	return mustEncode(t, syncproto.KindBatch, b)
}

// send commits the events from first on through the hub's handler and
// checks the ack.
func (o *fakeOutlet) send(t *testing.T, s *Server, first uint64) {
	t.Helper()
	msgs := s.Hub.Handle(context.Background(), syncproto.UplinkTopic(o.id), o.batch(t, first))
	var ack syncproto.Ack
	if len(msgs) != 1 {
		t.Fatalf("%s: %d replies to a batch", o.id, len(msgs))
	}
	if _, err := syncproto.Decode(msgs[0].Payload, syncproto.KindAck, &ack); err != nil {
		t.Fatal(err)
	}
	if ack.AckedSeq != o.seq || len(ack.Rejected) > 0 || ack.Error != nil {
		t.Fatalf("%s: ack %+v, want acked %d and nothing rejected", o.id, ack, o.seq)
	}
}

// pull fetches the downlink after the outlet's cursor through the hub's
// handler, as the agent's Pull does, and observes the events' stamps.
func (o *fakeOutlet) pull(t *testing.T, s *Server) []syncproto.Event {
	t.Helper()
	msgs := s.Hub.Handle(context.Background(), syncproto.PullTopic(o.id), mustEncode(t, syncproto.KindPull, syncproto.Pull{Origin: o.id, Since: o.down}))
	if len(msgs) != 1 || msgs[0].Topic != syncproto.DownTopic(o.id) {
		t.Fatalf("%s: pull answered with %v", o.id, msgs)
	}
	var d syncproto.Down
	if _, err := syncproto.Decode(msgs[0].Payload, syncproto.KindDown, &d); err != nil {
		t.Fatal(err)
	}
	o.down = d.Through
	for _, e := range d.Events {
		o.clock.Observe(e.HLC)
	}
	return d.Events
}

// apiClient calls the hub API with its token, or a session cookie.
type apiClient struct {
	t      *testing.T
	base   string
	tok    string
	cookie string
	ctype  string // the body's content type; JSON if empty
}

// loginAs adds an account with role and logs it in: its client calls with
// the session cookie, as the screen does.
func loginAs(t *testing.T, s *Server, id, role string) *apiClient {
	t.Helper()
	const pw = "Secret-pass-42"
	if _, err := s.Accounts.Add(context.Background(), id, id, role, pw); err != nil {
		t.Fatal(err)
	}
	c := &apiClient{t: t, base: "http://" + s.HTTPAddr()}
	req, _ := http.NewRequest("POST", c.base+"/api/v1/session", strings.NewReader(`{"account":"`+id+`","password":"`+pw+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == api.SessionCookie {
			c.cookie = ck.Value
		}
	}
	if resp.StatusCode != 200 || c.cookie == "" {
		t.Fatalf("login as %s: %d, cookie %q", id, resp.StatusCode, c.cookie)
	}
	return c
}

func newAPI(t *testing.T, s *Server) *apiClient {
	return &apiClient{t: t, base: "http://" + s.HTTPAddr(), tok: s.Token()}
}

func (c *apiClient) do(method, path, body string, out any) int {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", cmp.Or(c.ctype, "application/json"))
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: c.cookie})
	} else {
		req.Header.Set("Authorization", "Bearer "+c.tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: bad JSON %q", method, path, raw)
		}
	}
	return resp.StatusCode
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// sameJSON compares two values by their JSON.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		t.Errorf("%s differs:\n got  %s\n want %s", what, g, w)
	}
}

// An outlet reports an exception and opens a claim; head office decides
// the claim through the API; the decision reaches the outlet's pull over
// MQTT; both sides fold the same state.
func TestExceptionDecidedByHeadOffice(t *testing.T) {
	clk := clock.NewManual(time.Now().Truncate(time.Second))
	s := startHubClock(t, clk, time.Hour)
	secA := addOutlet(t, s, "SH-001")
	addOutlet(t, s, "SH-002")
	api := newAPI(t, s)

	o := newOutlet("SH-001", clk)
	now := ms(clk.Now())
	o.event(lifecycle.ExceptionReported, "X1", lifecycle.ExceptionReportedV1{Waybill: "SF100", Kind: "damaged", Owner: "li", At: now})
	for _, st := range []string{"start_handling", "inform_customer", "open_claim"} {
		o.event(lifecycle.ExceptionStep, "X1", lifecycle.ExceptionStepV1{Step: st, At: now})
	}
	// Over the real broker, as an agent sends it.
	mc := mustDial(t, s.MQTTAddr(), "SH-001", secA)
	mc.sub(t, syncproto.OutletDownTree("SH-001"))
	mc.pub(t, syncproto.UplinkTopic("SH-001"), 1, o.batch(t, 1))
	eventually(t, "SH-001's ack", func() bool { a, ok := lastAck(t, mc, "SH-001"); return ok && a.AckedSeq == o.seq })

	var x struct {
		lifecycle.Exception
		Allowed []string          `json:"allowed"`
		Events  []syncproto.Event `json:"events"`
	}
	if code := api.do("GET", "/api/v1/exceptions/X1", "", &x); code != 200 || x.State != lifecycle.ExceptionStateClaimOpen {
		t.Fatalf("GET exception: %d %+v", code, x)
	}
	if !slices.Contains(x.Allowed, "decide_claim") || len(x.Events) != 4 {
		t.Errorf("allowed %v, %d events", x.Allowed, len(x.Events))
	}

	// The step's actor is the account that takes it, never a body's word.
	wang := loginAs(t, s, "wang", "service")
	clk.Advance(time.Hour)
	code := wang.do("POST", "/api/v1/exceptions/X1/steps", `{"step":"decide_claim","approved":true,"amount_cents":5000,"note":"photos ok"}`, &x)
	if code != 200 || x.State != lifecycle.ExceptionStateClaimDecided || !x.Claim.Approved || x.Claim.AmountCents != 5000 || x.Claim.DecidedBy != "wang" {
		t.Fatalf("decide_claim: %d %+v", code, x)
	}

	var conflict struct {
		problem.Body
		Allowed []string `json:"allowed"`
	}
	if code := wang.do("POST", "/api/v1/exceptions/X1/steps", `{"step":"decide_claim","approved":false}`, &conflict); code != 409 ||
		!strings.Contains(conflict.Error.Message, lifecycle.ExceptionStateClaimDecided) || fmt.Sprint(conflict.Allowed) != "[close assign flag_suspected_loss]" ||
		conflict.Error.Code != "step.not_allowed" || conflict.Error.Params["state"] != lifecycle.ExceptionStateClaimDecided {
		t.Errorf("second decision: %d %+v", code, conflict)
	}

	// The outlet pulls over MQTT and gets the decision, and only its own.
	mc.pub(t, syncproto.PullTopic("SH-001"), 1, mustEncode(t, syncproto.KindPull, syncproto.Pull{Origin: "SH-001"}))
	var down syncproto.Down
	eventually(t, "SH-001's downlink", func() bool {
		for _, p := range mc.received(syncproto.DownTopic("SH-001")) {
			if _, err := syncproto.Decode(p, syncproto.KindDown, &down); err == nil && len(down.Events) > 0 {
				return true
			}
		}
		return false
	})
	if len(down.Events) != 1 || down.Events[0].Type != lifecycle.ExceptionStep || down.Events[0].Origin != syncproto.HubOrigin ||
		down.Events[0].Target != "SH-001" || down.Events[0].Subject != "X1" || down.Events[0].Actor != "wang" {
		t.Fatalf("downlink = %+v", down.Events)
	}
	var st lifecycle.ExceptionStepV1
	json.Unmarshal(down.Events[0].Payload, &st)
	if st.At != ms(clk.Now()) {
		t.Errorf("step at %d, want head-office time %d", st.At, ms(clk.Now()))
	}
	if evs := newOutlet("SH-002", clk).pull(t, s); len(evs) != 0 {
		t.Errorf("SH-002 received %v", evs)
	}

	// The outlet closes after what it received; the hub's fold of the union
	// equals the outlet's.
	o.clock.Observe(down.Events[0].HLC)
	o.event(lifecycle.ExceptionStep, "X1", lifecycle.ExceptionStepV1{Step: "close", At: ms(clk.Now())})
	o.send(t, s, o.seq)
	union := append(slices.Clone(o.sent), down.Events...)
	want := lifecycle.FoldException("X1", union)
	if want.State != lifecycle.ExceptionStateClosed || len(want.Conflicts) != 0 {
		t.Fatalf("outlet's fold: %+v", want)
	}
	var got struct{ lifecycle.Exception }
	api.do("GET", "/api/v1/exceptions/X1", "", &got)
	sameJSON(t, "hub's exception vs fold of the union", got.Exception, want)
	var list struct {
		Exceptions []lifecycle.Exception `json:"exceptions"`
	}
	if api.do("GET", "/api/v1/exceptions?open=1", "", &list); len(list.Exceptions) != 0 {
		t.Errorf("closed exception listed as open: %+v", list)
	}
}

// seedCases has SH-001 report an exception and a complaint.
func seedCases(t *testing.T, s *Server, clk *clock.Manual) *fakeOutlet {
	o := newOutlet("SH-001", clk)
	now := ms(clk.Now())
	o.event(lifecycle.ExceptionReported, "X1", lifecycle.ExceptionReportedV1{Waybill: "SF100", Kind: "delayed", Owner: "li", SameCity: true, At: now})
	o.event(lifecycle.ComplaintReceived, "C1", lifecycle.ComplaintReceivedV1{Ticket: "T1", Channel: "counter", Type: "complaint",
		Category: "delay", Severity: "routine", Text: "包裹迟到 / parcel late", Owner: "li", At: now})
	o.event(lifecycle.ParcelInbound, "SF100", lifecycle.InboundV1{Waybill: "SF100", HoldDays: 3, At: now})
	o.event(lifecycle.ParcelShelved, "SF100", lifecycle.ShelvedV1{Shelf: "A", Layer: "1", Code: "A-1-001", At: now})
	o.send(t, s, 1)
	return o
}

func TestCaseRoutes(t *testing.T) {
	clk := clock.NewManual(time.Now().Truncate(time.Second))
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-001")
	addOutlet(t, s, "SH-002") // registered, nothing reported: its lists are empty
	seedCases(t, s, clk)
	api := newAPI(t, s)
	vars := map[string]string{}
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
		check                    func(t *testing.T, m map[string]any)
		save                     string // remember the answer's "id" under this name
	}{
		{"list open exceptions of an outlet", "GET", "/api/v1/exceptions?outlet=SH-001&open=1", "", 200, func(t *testing.T, m map[string]any) {
			if xs := m["exceptions"].([]any); len(xs) != 1 || xs[0].(map[string]any)["id"] != "X1" {
				t.Errorf("exceptions = %v", xs)
			}
		}, ""},
		{"list exceptions of another outlet", "GET", "/api/v1/exceptions?outlet=SH-002", "", 200, func(t *testing.T, m map[string]any) {
			if xs := m["exceptions"].([]any); len(xs) != 0 {
				t.Errorf("exceptions = %v", xs)
			}
		}, ""},
		{"bad open flag", "GET", "/api/v1/exceptions?open=maybe", "", 400, nil, ""},
		{"one exception", "GET", "/api/v1/exceptions/X1", "", 200, wantField("state", "reported"), ""},
		{"unknown exception", "GET", "/api/v1/exceptions/NOPE", "", 404, nil, ""},
		{"assign exception", "POST", "/api/v1/exceptions/X1/steps", `{"step":"assign","owner":"zhao"}`, 200, wantField("owner", "zhao"), ""},
		{"assign without owner", "POST", "/api/v1/exceptions/X1/steps", `{"step":"assign"}`, 400, nil, ""},
		{"decide a claim never opened", "POST", "/api/v1/exceptions/X1/steps", `{"step":"decide_claim","approved":true}`, 409, wantConflict("reported", "start_handling"), ""},
		{"unknown step", "POST", "/api/v1/exceptions/X1/steps", `{"step":"teleport"}`, 409, wantConflict("reported", "assign"), ""},
		{"misspelt field", "POST", "/api/v1/exceptions/X1/steps", `{"step":"assign","ownr":"zhao"}`, 400, nil, ""},
		{"step on unknown exception", "POST", "/api/v1/exceptions/NOPE/steps", `{"step":"assign","owner":"zhao"}`, 404, nil, ""},

		{"list open complaints with deadlines", "GET", "/api/v1/complaints?open=1", "", 200, func(t *testing.T, m map[string]any) {
			cs := m["complaints"].([]any)
			if len(cs) != 1 {
				t.Fatalf("complaints = %v", cs)
			}
			c := cs[0].(map[string]any)
			if c["first_reply_remaining_s"].(float64) != 24*3600 || c["first_reply_by"] == nil || c["allowed"] == nil {
				t.Errorf("complaint = %v", c)
			}
		}, ""},
		{"one complaint", "GET", "/api/v1/complaints/C1", "", 200, wantField("ticket", "T1"), ""},
		{"assign complaint", "POST", "/api/v1/complaints/C1/steps", `{"step":"assign","owner":"zhao"}`, 200, wantField("owner", "zhao"), ""},
		{"escalate complaint", "POST", "/api/v1/complaints/C1/steps", `{"step":"escalate","reason":"customer called head office"}`, 200, func(t *testing.T, m map[string]any) {
			if es := m["escalations"].([]any); len(es) != 1 {
				t.Errorf("escalations = %v", es)
			}
		}, ""},
		{"close a complaint just received", "POST", "/api/v1/complaints/C1/steps", `{"step":"close"}`, 409, wantConflict("received", "acknowledge"), ""},
		{"unknown complaint", "GET", "/api/v1/complaints/NOPE", "", 404, nil, ""},

		{"publish notice", "POST", "/api/v1/notices", `{"title":"台风 / typhoon","text":"派送延误 / deliveries delayed","faq":[{"q":"何时恢复?","a":"48h"}],
			"severity":"warning","scope":["SH-001"],"categories":["delay"],"valid_from":"2025-07-01T08:00:00+08:00","valid_to":"2099-07-03T08:00:00+08:00"}`, 201, wantField("severity", "warning"), "notice"},
		{"notice with bad time", "POST", "/api/v1/notices", `{"title":"t","text":"x","valid_from":"tomorrow"}`, 400, nil, ""},
		{"notice with bad scope", "POST", "/api/v1/notices", `{"title":"t","text":"x","scope":["a b"]}`, 400, nil, ""},
		{"list notices", "GET", "/api/v1/notices", "", 200, func(t *testing.T, m map[string]any) {
			if ns := m["notices"].([]any); len(ns) != 1 || ns[0].(map[string]any)["active"] != true {
				t.Errorf("notices = %v", ns)
			}
		}, ""},
		{"end notice", "POST", "/api/v1/notices/{notice}/end", `{"text":"已恢复 / back to normal"}`, 200, wantField("ended", true), ""},
		{"end notice twice", "POST", "/api/v1/notices/{notice}/end", `{"text":"again"}`, 409, wantConflict("ended", ""), ""},
		{"end unknown notice", "POST", "/api/v1/notices/NOPE/end", `{"text":"x"}`, 404, nil, ""},
		{"open notices", "GET", "/api/v1/notices?open=1", "", 200, func(t *testing.T, m map[string]any) {
			if ns := m["notices"].([]any); len(ns) != 0 {
				t.Errorf("ended notice listed as open: %v", ns)
			}
		}, ""},

		{"publish template", "POST", "/api/v1/reply-templates", `{"title":"延误致歉","text":"很抱歉…","category":"delay","keywords":["迟到","late"]}`, 201, wantField("category", "delay"), "template"},
		{"template with bad category", "POST", "/api/v1/reply-templates", `{"title":"t","text":"x","category":"weather"}`, 400, nil, ""},
		{"list templates", "GET", "/api/v1/reply-templates", "", 200, func(t *testing.T, m map[string]any) {
			if ts := m["templates"].([]any); len(ts) != 1 || ts[0].(map[string]any)["id"] != vars["template"] {
				t.Errorf("templates = %v", ts)
			}
		}, ""},

		{"parcel with folded state", "GET", "/api/v1/parcels/SF100", "", 200, func(t *testing.T, m map[string]any) {
			ps := m["parcels"].([]any)
			if len(ps) != 1 || ps[0].(map[string]any)["status"] != "in_stock" || ps[0].(map[string]any)["pickup_code"] != "A-1-001" {
				t.Errorf("parcels = %v", ps)
			}
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			for k, v := range vars {
				path = strings.ReplaceAll(path, "{"+k+"}", v)
			}
			var m map[string]any
			if code := api.do(tc.method, path, tc.body, &m); code != tc.want {
				t.Fatalf("status %d, want %d: %v", code, tc.want, m)
			}
			if e, ok := m["error"].(map[string]any); tc.want >= 400 && (!ok || e["code"] == "" || e["message"] == "") {
				t.Errorf("error answer lacks \"error\" with a code and a message: %v", m)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
			if tc.save != "" {
				vars[tc.save], _ = m["id"].(string)
			}
		})
	}
}

func wantField(k string, v any) func(t *testing.T, m map[string]any) {
	return func(t *testing.T, m map[string]any) {
		t.Helper()
		if m[k] != v {
			t.Errorf("%s = %v, want %v (answer %v)", k, m[k], v, m)
		}
	}
}

// wantConflict checks a 409 names the state and lists step among the
// allowed ones ("" for none allowed).
func wantConflict(state, step string) func(t *testing.T, m map[string]any) {
	return func(t *testing.T, m map[string]any) {
		t.Helper()
		allowed, ok := m["allowed"].([]any)
		e, _ := m["error"].(map[string]any)
		msg, _ := e["message"].(string)
		code, _ := e["code"].(string)
		if !ok || !strings.Contains(msg, state) || m["state"] != state || !strings.HasPrefix(code, "step.") {
			t.Errorf("conflict answer %v does not name state %s with allowed steps", m, state)
		}
		if step == "" && len(allowed) != 0 || step != "" && !slices.Contains(allowed, any(step)) {
			t.Errorf("allowed %v, want it to hold %q", allowed, step)
		}
	}
}

// Notices to a scope list reach only those outlets; a notice to all reaches
// every one; acknowledgements fold into the hub's view.
func TestNoticeScope(t *testing.T) {
	clk := clock.NewManual(time.Now().Truncate(time.Second))
	s := startHubClock(t, clk, time.Hour)
	api := newAPI(t, s)
	outlets := map[string]*fakeOutlet{}
	for _, id := range []string{"SH-001", "SH-002", "SH-003"} {
		addOutlet(t, s, id)
		outlets[id] = newOutlet(id, clk)
	}
	var scoped, all struct{ ID string }
	if code := api.do("POST", "/api/v1/notices", `{"title":"停电","text":"明日停电 / power cut tomorrow","severity":"critical","scope":["SH-001","SH-002"]}`, &scoped); code != 201 {
		t.Fatalf("publish scoped: %d", code)
	}
	if code := api.do("POST", "/api/v1/notices", `{"title":"春节","text":"春节安排 / holiday plan","scope":[]}`, &all); code != 201 {
		t.Fatalf("publish to all: %d", code)
	}
	got := map[string][]string{}
	for id, o := range outlets {
		for _, e := range o.pull(t, s) {
			if e.Type == lifecycle.NoticePublished {
				got[id] = append(got[id], e.Subject)
			}
		}
	}
	for _, tc := range []struct {
		outlet string
		want   []string
	}{
		{"SH-001", []string{scoped.ID, all.ID}},
		{"SH-002", []string{scoped.ID, all.ID}},
		{"SH-003", []string{all.ID}},
	} {
		t.Run(tc.outlet, func(t *testing.T) {
			if fmt.Sprint(got[tc.outlet]) != fmt.Sprint(tc.want) {
				t.Errorf("received notices %v, want %v", got[tc.outlet], tc.want)
			}
		})
	}

	// Ending goes to the same outlets.
	if code := api.do("POST", "/api/v1/notices/"+scoped.ID+"/end", `{"text":"已恢复供电 / power is back"}`, nil); code != 200 {
		t.Fatalf("end: %d", code)
	}
	for id, o := range outlets {
		n := 0
		for _, e := range o.pull(t, s) {
			if e.Type == lifecycle.NoticeEnded && e.Subject == scoped.ID {
				n++
			}
		}
		if want := map[bool]int{true: 1, false: 0}[id != "SH-003"]; n != want {
			t.Errorf("%s received %d recovery notices, want %d", id, n, want)
		}
	}

	o := outlets["SH-002"]
	o.event(lifecycle.NoticeAcknowledged, all.ID, lifecycle.NoticeAckV1{Staff: "li", At: ms(clk.Now())})
	o.send(t, s, 1)
	var list struct { // the API's notice view: times in RFC 3339
		Notices []struct {
			ID     string `json:"id"`
			Active bool   `json:"active"`
			Acks   []struct {
				Outlet string `json:"outlet"`
				Staff  string `json:"staff"`
			} `json:"acknowledged_by"`
		} `json:"notices"`
	}
	api.do("GET", "/api/v1/notices", "", &list)
	if len(list.Notices) != 2 || list.Notices[0].ID != all.ID || !list.Notices[0].Active || list.Notices[1].Active {
		t.Fatalf("notices = %+v", list.Notices)
	}
	if a := list.Notices[0].Acks; len(a) != 1 || a[0].Outlet != "SH-002" || a[0].Staff != "li" {
		t.Errorf("acknowledgements = %+v", a)
	}
}

// downSteps returns the hub's step events of typ about subject sent to
// outlet, with their payloads.
func downSteps(t *testing.T, s *Server, outlet, typ, subject string) []map[string]any {
	t.Helper()
	evs, _, _, err := s.Store.Down(context.Background(), outlet, 0, 10000, 1<<24)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, e := range evs {
		if e.Type == typ && e.Subject == subject {
			var m map[string]any
			json.Unmarshal(e.Payload, &m)
			out = append(out, m)
		}
	}
	return out
}

// waitSweeps waits until the sweeper has finished n more sweeps, so that
// anything it would publish has been published.
func waitSweeps(t *testing.T, s *Server, n uint64) {
	t.Helper()
	from := s.Cases.Sweeps()
	eventually(t, "sweeps", func() bool { return s.Cases.Sweeps() >= from+n })
}

// On a stepping clock, each SLA breach of a complaint gets exactly one
// escalation from the head-office sweeper, none for a breach the outlet
// escalated itself, and a delayed parcel past the loss limit one flag.
func TestSweeperEscalatesOnce(t *testing.T) {
	clk := clock.NewManual(time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC))
	s := startHubClock(t, clk, 5*time.Millisecond)
	addOutlet(t, s, "SH-001")
	o := seedCases(t, s, clk) // C1 received and X1 (delayed) reported now
	// C2: the outlet escalates the result breach itself, first.
	o.event(lifecycle.ComplaintReceived, "C2", lifecycle.ComplaintReceivedV1{Ticket: "T2", Channel: "phone", Type: "complaint",
		Category: "loss", Severity: "major", Text: "lost", Owner: "li", At: ms(clk.Now())})
	o.event(lifecycle.ComplaintStep, "C2", lifecycle.ComplaintStepV1{Step: "acknowledge", At: ms(clk.Now())})
	o.send(t, s, o.seq-1)

	reasons := func(id string) []string {
		var rs []string
		for _, p := range downSteps(t, s, "SH-001", lifecycle.ComplaintStep, id) {
			if p["step"] == "escalate" {
				rs = append(rs, p["reason"].(string))
			}
		}
		return rs
	}
	for _, tc := range []struct {
		name    string
		advance time.Duration
		outlet  func() // what the outlet records before the sweeps
		c1, c2  string // escalation reasons sent for C1 and C2 so far
		flags   int    // suspected-loss flags sent for X1 so far
	}{
		{"within the first-reply SLA", 23 * time.Hour, nil, "[]", "[]", 0},
		{"first reply breached", 2 * time.Hour, nil, "[sla_first_reply]", "[]", 0},
		{"still breached, no repeat", time.Hour, nil, "[sla_first_reply]", "[]", 0},
		{"past the same-city loss limit", 2 * 24 * time.Hour, nil, "[sla_first_reply]", "[]", 1},
		{"result breached; the outlet escalated C2 first", 4 * 24 * time.Hour, func() {
			o.event(lifecycle.ComplaintStep, "C2", lifecycle.ComplaintStepV1{Step: "escalate", Reason: lifecycle.ReasonResultBreached, At: ms(clk.Now())})
			o.send(t, s, o.seq)
		}, "[sla_first_reply sla_result]", "[]", 1},
		{"a day later, nothing new", 24 * time.Hour, nil, "[sla_first_reply sla_result]", "[]", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.outlet != nil {
				tc.outlet()
			}
			clk.Advance(tc.advance)
			// Two full sweeps start after the step: what is due is sent.
			waitSweeps(t, s, 2)
			if got := fmt.Sprint(reasons("C1")); got != tc.c1 {
				t.Errorf("C1 escalations %s, want %s", got, tc.c1)
			}
			if got := fmt.Sprint(reasons("C2")); got != tc.c2 {
				t.Errorf("C2 escalations %s, want %s", got, tc.c2)
			}
			if n := len(downSteps(t, s, "SH-001", lifecycle.ExceptionStep, "X1")); n != tc.flags {
				t.Errorf("X1 flags %d, want %d", n, tc.flags)
			}
		})
	}

	// The hub's complaint is the fold of the union, with both breaches once.
	hubEvs, _, _, _ := s.Store.Down(context.Background(), "SH-001", 0, 10000, 1<<24)
	var c1 []syncproto.Event
	for _, e := range append(slices.Clone(o.sent), hubEvs...) {
		if e.Subject == "C1" {
			c1 = append(c1, e)
		}
	}
	want := lifecycle.FoldComplaint("C1", c1)
	var got struct{ lifecycle.Complaint }
	newAPI(t, s).do("GET", "/api/v1/complaints/C1", "", &got)
	sameJSON(t, "hub's complaint vs fold of the union", got.Complaint, want)
	if len(want.Escalations) != 2 {
		t.Errorf("escalations = %+v", want.Escalations)
	}
	var x struct{ lifecycle.Exception }
	newAPI(t, s).do("GET", "/api/v1/exceptions/X1", "", &x)
	if !x.SuspectedLoss {
		t.Errorf("X1 not flagged: %+v", x)
	}
}
