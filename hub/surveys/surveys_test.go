package surveys_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/api"
	"github.com/yizhan/yizhan/hub/ingest"
	"github.com/yizhan/yizhan/hub/measures"
	"github.com/yizhan/yizhan/hub/ratelimit"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/hub/surveys"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

var master = []byte("0123456789abcdef0123456789abcdef")

// A token opens only as head office signed it: any change to its id or
// its signature, another key, or no signature is survey.bad_token.
func TestTokenOpensOnlyAsSigned(t *testing.T) {
	key := surveys.LinkKey(master)
	id := store.InviteID(store.SurveyCandidate{Customer: "c", Trigger: lifecycle.SurveyOnPickup, Source: "WB1"})
	tok := surveys.Token(key, id)
	if got, err := surveys.Open(key, tok); err != nil || got != id {
		t.Fatalf("Open(Token) = %q, %v; want %q", got, err, id)
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	other := store.InviteID(store.SurveyCandidate{Customer: "d", Trigger: lifecycle.SurveyOnPickup, Source: "WB1"})
	sig := tok[strings.IndexByte(tok, '.'):]
	for name, bad := range map[string]string{
		"id changed":        flip(tok, 0),
		"signature changed": flip(tok, len(tok)-2),
		"another key":       surveys.Token(surveys.LinkKey([]byte("another master key, 32 bytes...")), id),
		"another id":        other + sig,
		"no signature":      id,
		"empty signature":   id + ".",
		"empty":             "",
		"long":              tok + strings.Repeat("A", 100),
		"not hex":           strings.Repeat("z", 32) + sig,
		"raw master":        surveys.Token(master, id),
	} {
		if _, err := surveys.Open(key, bad); !problem.Is(err, problem.SurveyBadToken) {
			t.Errorf("%s (%q): %v, want survey.bad_token", name, bad, err)
		}
	}
}

// FuzzOpen: nothing but Token's output opens, and nothing panics.
func FuzzOpen(f *testing.F) {
	key := surveys.LinkKey(master)
	f.Add(surveys.Token(key, strings.Repeat("ab", 16)))
	f.Add("x.y")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		id, err := surveys.Open(key, tok)
		if err == nil && surveys.Token(key, id) != tok {
			t.Fatalf("%q opened as %q but is not its token", tok, id)
		}
	})
}

// Every answer-page route is public (the gate lets it through without a
// login) and nothing else under /s/ is.
func TestPagePatternsArePublic(t *testing.T) {
	for _, p := range surveys.PagePatterns {
		if !slices.Contains(accounts.Public, p) {
			t.Errorf("%s is not in accounts.Public", p)
		}
	}
}

type rig struct {
	t   *testing.T
	st  store.Store
	clk *clock.Manual
	svc *surveys.Service
	srv *httptest.Server
	hub *ingest.Hub
	seq uint64
	ids []string
}

// newRig is a hub's store (SQLite), its ingest, the surveys and the API
// (with its gate and the accounts' tokens) on a real HTTP server, a
// survey of two questions and a pickup rule drawing everyone.
func newRig(t *testing.T) *rig {
	return newRigOn(t, func(clk clock.Clock) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{Clock: clk, Location: time.UTC})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}

// newRigOn is newRig on the store open makes.
func newRigOn(t *testing.T, open func(clock.Clock) store.Store) *rig {
	clk := clock.NewManual(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st := open(clk)
	h, err := ingest.New(ingest.Options{Store: st, Clock: clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	lim, err := ratelimit.New(ratelimit.Options{Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := surveys.New(surveys.Options{Store: st, Events: h, Master: master, Limiter: lim, Clock: clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.Handler(api.Options{Store: st, Clock: clk, Logger: log, Token: "admin-token", Services: api.Services{Surveys: svc, Measures: measures.New(measures.Options{Store: st.(measures.Rollups), Clock: clk})},
		Accounts: accounts.New(accounts.Options{Store: st, Clock: clk}), Messages: svc.Outbox(st)}))
	t.Cleanup(srv.Close)
	svc.SetPublicURL(srv.URL)
	r := &rig{t: t, st: st, clk: clk, svc: svc, srv: srv, hub: h}
	r.admin("PUT", "/api/v1/surveys/after-pickup", `{"title_zh":"取件满意度","title_en":"Your pickup","comment":true,
		"questions":[{"key":"overall","zh":"您对本次取件满意吗","en":"How satisfied are you with this pickup"},{"key":"staff","zh":"店员服务态度","en":"The staff"}]}`, 200)
	r.admin("PUT", "/api/v1/surveys/rules/pickup", `{"survey":"after-pickup","share":100,"every_days":0,"expiry_minutes":10080}`, 200)
	return r
}

func (r *rig) admin(method, path, body string, want int) []byte {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer admin-token")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		r.t.Fatalf("%s %s: %d %s, want %d", method, path, res.StatusCode, b, want)
	}
	return b
}

// pickup commits an intake and a pickup of customer at outlet SH-A and
// returns the link its invitation's message carries.
func (r *rig) pickup(customer, waybill string) string {
	r.t.Helper()
	r.commitPickup(customer, waybill)
	return r.linkOf(customer, waybill)
}

func (r *rig) commitPickup(customer, waybill string) {
	r.t.Helper()
	at := r.clk.Now()
	var evs []syncproto.Event
	for _, e := range []struct {
		typ     string
		payload any
	}{
		{lifecycle.ParcelInbound, lifecycle.InboundV1{Waybill: waybill, Customer: customer, PhoneSealed: "v2:x", PhoneMasked: "138****5678", HoldDays: 3, At: at.UnixMilli()}},
		{lifecycle.ParcelPickedUp, lifecycle.PickupV1{IDCheck: "code", Signer: "recipient", Staff: "c01", At: at.UnixMilli()}},
	} {
		r.seq++
		js, _ := json.Marshal(e.payload)
		evs = append(evs, syncproto.Event{ID: fmt.Sprintf("e%d", r.seq), Origin: "SH-A", Seq: r.seq, HLC: hlc.Make(at.UnixMilli(), uint16(r.seq)),
			Actor: "c01", Type: e.typ, V: 1, Subject: waybill, Payload: js})
	}
	b := &syncproto.Batch{Origin: "SH-A", First: r.seq - 1, Last: r.seq, Events: evs}
	if _, err := r.st.Commit(context.Background(), []store.Unit{{Batch: b}}); err != nil {
		r.t.Fatal(err)
	}
}

// linkOf is the link in the message of customer's invitation for
// waybill's pickup.
func (r *rig) linkOf(customer, waybill string) string {
	r.t.Helper()
	id := store.InviteID(store.SurveyCandidate{Customer: customer, Trigger: lifecycle.SurveyOnPickup, Source: waybill})
	r.ids = append(r.ids, id)
	m, err := r.st.OutboxMessage(context.Background(), store.SurveyMessageKey(id))
	if err != nil {
		r.t.Fatalf("no outbox message for the pickup of %s: %v", waybill, err)
	}
	text, err := r.svc.MessageTexts()[store.SurveyMessageKind]("", json.RawMessage(m.Params))
	if err != nil {
		r.t.Fatal(err)
	}
	i := strings.Index(text, r.srv.URL+"/s/")
	if i < 0 {
		r.t.Fatalf("message %q has no link to %s/s/", text, r.srv.URL)
	}
	link := text[i:]
	link = link[:strings.IndexAny(link, "（ ")]
	return link
}

type resp struct {
	status int
	body   string
	header http.Header
}

func do(t *testing.T, req *http.Request) resp {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, string(b), res.Header}
}

func get(t *testing.T, url string) resp {
	req, _ := http.NewRequest("GET", url, nil)
	return do(t, req)
}

func post(t *testing.T, url, body string, hdr ...string) resp {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
			continue
		}
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return do(t, req)
}

func errCode(body string) string {
	var b problem.Body
	json.Unmarshal([]byte(body), &b)
	return b.Error.Code
}

// answers are the answer events of every invitation the rig linked.
func (r *rig) answers() []syncproto.Event {
	r.t.Helper()
	var out []syncproto.Event
	for _, id := range r.ids {
		evs, err := r.st.SubjectEvents(context.Background(), id)
		if err != nil {
			r.t.Fatal(err)
		}
		for _, e := range evs {
			if e.Type == lifecycle.SurveyAnswered {
				out = append(out, e)
			}
		}
	}
	return out
}

// The answer page shows the questions in Chinese, or English on asking,
// with a strict CSP and nothing from elsewhere; a hostile page's post, a
// post that is not JSON and a wrong answer change nothing; the answer is
// stored once as an event, and the used link then shows its page in both
// languages and refuses a second answer.
func TestAnswerPage(t *testing.T) {
	r := newRig(t)
	link := r.pickup("cust-a", "WB1")
	var ov struct {
		Surveys []struct {
			ID       string
			Messages map[string]int64
		}
	}
	json.Unmarshal(r.admin("GET", "/api/v1/surveys", "", 200), &ov)
	if len(ov.Surveys) != 1 || ov.Surveys[0].Messages["pending"] != 1 || ov.Surveys[0].Messages["failed"] != 0 {
		t.Errorf("surveys overview %+v: want the one invitation message pending", ov)
	}
	p := get(t, link)
	if p.status != 200 || !strings.Contains(p.body, "您对本次取件满意吗") || !strings.Contains(p.body, `lang="zh"`) {
		t.Fatalf("page: %d %s", p.status, p.body)
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(strings.ReplaceAll(p.body, r.srv.URL, ""), "://") {
		t.Errorf("the page names another site: %s", p.body)
	}
	if en := get(t, link+"?lang=en"); !strings.Contains(en.body, "How satisfied are you with this pickup") || !strings.Contains(en.body, `lang="en"`) {
		t.Errorf("English page: %s", en.body)
	}
	for _, a := range []string{"/s/assets/page.js", "/s/assets/answer.js", "/s/assets/page.css", "/s/assets/icon.svg"} {
		if res := get(t, r.srv.URL+a); res.status != 200 || res.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d", a, res.status)
		}
	}

	good := `{"scores":[5,4],"comment":"很好","opt_out":false,"lang":"zh"}`
	for name, res := range map[string]resp{
		"another site":   post(t, link, good, "Origin", "http://evil.example"),
		"cross-site":     post(t, link, good, "Sec-Fetch-Site", "cross-site"),
		"not JSON":       post(t, link, "scores=5", "Content-Type", "application/x-www-form-urlencoded"),
		"a foreign host": post(t, link, good, "Host", "evil.example"),
		"score 7":        post(t, link, `{"scores":[7,4]}`),
		"one score":      post(t, link, `{"scores":[5]}`),
		"none given":     post(t, link, `{"scores":[0,0]}`),
		"unknown field":  post(t, link, `{"scores":[5,4],"customer":"x"}`),
		"long comment":   post(t, link, fmt.Sprintf(`{"scores":[5,4],"comment":%q}`, strings.Repeat("好", 501))),
	} {
		if res.status < 400 || res.status >= 500 {
			t.Errorf("%s: %d %s, want a refusal", name, res.status, res.body)
		}
	}
	if n := len(r.answers()); n != 0 {
		t.Fatalf("%d answers stored by refused posts", n)
	}
	if res := post(t, link, good, "Origin", r.srv.URL); res.status != 204 {
		t.Fatalf("answer: %d %s", res.status, res.body)
	}
	evs := r.answers()
	if len(evs) != 1 {
		t.Fatalf("%d answer events, want 1", len(evs))
	}
	var a lifecycle.SurveyAnsweredV1
	json.Unmarshal(evs[0].Payload, &a)
	if evs[0].Origin != syncproto.HubOrigin || a.Outlet != "SH-A" || !slices.Equal(a.Scores, []int64{5, 4}) || a.Customer != "cust-a" {
		t.Errorf("answer event %+v payload %+v", evs[0], a)
	}
	// The comment is sealed with head office's own key, bound to the
	// invitation, and nowhere in clear.
	if strings.Contains(string(evs[0].Payload), "很好") {
		t.Errorf("the comment is in clear: %s", evs[0].Payload)
	}
	secret, _ := sealed.OutletSecret(master, syncproto.HubOrigin)
	key, _ := sealed.NewKey(syncproto.HubOrigin, secret)
	if c, err := key.Open(sealed.Text, surveys.CommentRecord(evs[0].Subject), a.CommentSealed); err != nil || c != "很好" {
		t.Errorf("the sealed comment opens as %q (%v)", c, err)
	}
	if res := post(t, link, good); res.status != 409 || errCode(res.body) != problem.SurveyUsed.String() {
		t.Errorf("second answer: %d %s", res.status, res.body)
	}
	if n := len(r.answers()); n != 1 {
		t.Errorf("%d answer events after a reused link, want 1", n)
	}
	if p := get(t, link); p.status != 409 || !strings.Contains(p.body, "这份问卷已经答过了") {
		t.Errorf("used link's page: %d %s", p.status, p.body)
	}
	if p := get(t, link+"?lang=en"); !strings.Contains(p.body, "This survey was already answered") {
		t.Errorf("used link's English page: %s", p.body)
	}
	if p := get(t, link+"?done=1"); p.status != 200 || !strings.Contains(p.body, "谢谢您的评价") {
		t.Errorf("thanks page: %d %s", p.status, p.body)
	}
}

// A wrong link and an expired one show their own page in both languages,
// and take no answer.
func TestWrongAndExpiredLinks(t *testing.T) {
	r := newRig(t)
	link := r.pickup("cust-b", "WB2")
	wrong := link[:len(link)-3] + "AAA"
	if p := get(t, wrong); p.status != 404 || !strings.Contains(p.body, "问卷链接无效") {
		t.Errorf("wrong link: %d %s", p.status, p.body)
	}
	if p := get(t, wrong+"?lang=en"); !strings.Contains(p.body, "This survey link is not valid") {
		t.Errorf("wrong link in English: %s", p.body)
	}
	if res := post(t, wrong, `{"scores":[5,5]}`); errCode(res.body) != problem.SurveyBadToken.String() {
		t.Errorf("answer to a wrong link: %d %s", res.status, res.body)
	}
	r.clk.Advance(7 * 24 * time.Hour)
	if p := get(t, link); p.status != 409 || !strings.Contains(p.body, "问卷链接已过期") {
		t.Errorf("expired link: %d %s", p.status, p.body)
	}
	if p := get(t, link+"?lang=en"); !strings.Contains(p.body, "This survey link has expired") {
		t.Errorf("expired link in English: %s", p.body)
	}
	if res := post(t, link, `{"scores":[5,5]}`); errCode(res.body) != problem.SurveyExpired.String() {
		t.Errorf("answer to an expired link: %d %s", res.status, res.body)
	}
	if n := len(r.answers()); n != 0 {
		t.Errorf("%d answers stored from wrong and expired links", n)
	}
}

// "Do not ask me again" alone is an answer with no scores; the customer
// then gets no invitation after a later pickup, while another customer
// does.
func TestOptOut(t *testing.T) {
	r := newRig(t)
	link := r.pickup("cust-c", "WB3")
	if res := post(t, link, `{"scores":[],"opt_out":true}`); res.status != 204 {
		t.Fatalf("opt-out: %d %s", res.status, res.body)
	}
	r.clk.Advance(time.Hour)
	r.pickup("cust-d", "WB4") // fails the test if cust-d has no invitation
	r.commitPickup("cust-c", "WB5")
	id := store.InviteID(store.SurveyCandidate{Customer: "cust-c", Trigger: lifecycle.SurveyOnPickup, Source: "WB5"})
	if _, err := r.st.OutboxMessage(context.Background(), store.SurveyMessageKey(id)); err == nil {
		t.Error("the opted-out customer got another invitation")
	}
	evs := r.answers()
	var a lifecycle.SurveyAnsweredV1
	if len(evs) != 1 || json.Unmarshal(evs[0].Payload, &a) != nil || !a.OptedOut || len(a.Scores) != 0 {
		t.Errorf("opt-out answer events %v (%+v)", evs, a)
	}
}

// The page's budget per client: past it, GET and POST answer 429 and
// nothing is looked up.
func TestPageRateLimited(t *testing.T) {
	r := newRig(t)
	link := r.pickup("cust-e", "WB6")
	for i := range surveys.PageBudget {
		if p := get(t, link); p.status != 200 {
			t.Fatalf("request %d within the budget: %d", i+1, p.status)
		}
	}
	if p := get(t, link); p.status != 429 {
		t.Errorf("GET past the budget: %d", p.status)
	}
	if res := post(t, link, `{"scores":[5,5]}`); res.status != 429 || errCode(res.body) != problem.SurveyRateLimited.String() {
		t.Errorf("POST past the budget: %d %s", res.status, res.body)
	}
	if n := len(r.answers()); n != 0 {
		t.Errorf("%d answers past the budget", n)
	}
	r.clk.Advance(surveys.PageWindow)
	if p := get(t, link); p.status != 200 {
		t.Errorf("after the window: %d", p.status)
	}
}

// Without the master key nothing is signed or checked: a link cannot be
// made, and the page says it cannot open the survey, in both languages.
func TestNoMasterKey(t *testing.T) {
	r := newRig(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	lim, err := ratelimit.New(ratelimit.Options{Store: r.st, Clock: r.clk})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := surveys.New(surveys.Options{Store: r.st, Events: r.hub, Limiter: lim, Clock: r.clk, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Link(strings.Repeat("ab", 16)); !problem.Is(err, problem.SurveyNoKey) {
		t.Errorf("a link without the key: %v", err)
	}
	srv := httptest.NewServer(api.Handler(api.Options{Store: r.st, Clock: r.clk, Logger: log, Services: api.Services{Surveys: svc}}))
	defer srv.Close()
	tok := r.pickup("cust-f", "WB7")[len(r.srv.URL):]
	if p := get(t, srv.URL+tok); p.status != 503 || !strings.Contains(p.body, "暂时无法打开问卷") {
		t.Errorf("page without the key: %d %s", p.status, p.body)
	}
	if p := get(t, srv.URL+tok+"?lang=en"); !strings.Contains(p.body, "The survey cannot be opened now") {
		t.Errorf("English page without the key: %s", p.body)
	}
	if res := post(t, srv.URL+tok, `{"scores":[5,5]}`); errCode(res.body) != problem.SurveyNoKey.String() {
		t.Errorf("answer without the key: %d %s", res.status, res.body)
	}
	if n := len(r.answers()); n != 0 {
		t.Errorf("%d answers without the key", n)
	}
}
