package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/gateway"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// surveyHook is the company's message gateway as a test server: it keeps
// every message posted to it.
type surveyHook struct {
	mu   sync.Mutex
	msgs []gateway.Message
	keys map[string]int
}

func newSurveyHook(t *testing.T) (*surveyHook, *httptest.Server) {
	h := &surveyHook{keys: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m gateway.Message
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &m); err != nil || r.Header.Get(gateway.IdempotencyHeader) != m.Key {
			http.Error(w, "bad message", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.msgs = append(h.msgs, m)
		h.keys[m.Key]++
		h.mu.Unlock()
		w.Write([]byte(`{"status":"sent"}`))
	}))
	t.Cleanup(srv.Close)
	return h, srv
}

var surveyLink = regexp.MustCompile(`https?://[^\s（）]+/s/[A-Za-z0-9._-]+`)

// linkTo waits for the survey invitation posted for phone and returns
// its link.
func (h *surveyHook) linkTo(t *testing.T, phone string) string {
	t.Helper()
	var link string
	harness.Eventually(t, 90*time.Second, func() (bool, string) {
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, m := range h.msgs {
			if m.Kind == "survey.invite" && m.To == phone {
				link = surveyLink.FindString(m.Text)
				return link != "", "invitation without a link: " + m.Text
			}
		}
		return false, fmt.Sprintf("no survey invitation to %s among %d messages", phone, len(h.msgs))
	})
	return link
}

// keyTo is the message key of the survey invitation posted for phone.
func (h *surveyHook) keyTo(t *testing.T, phone string) string {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.msgs {
		if m.Kind == "survey.invite" && m.To == phone {
			return m.Key
		}
	}
	t.Fatalf("no survey invitation to %s", phone)
	return ""
}

func (h *surveyHook) sentTo(phone string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.msgs {
		if m.Kind == "survey.invite" && m.To == phone {
			n++
		}
	}
	return n
}

// waitSurveyMeasures waits for outlet's measures of the days around
// today (the hub's zone may be a day off this machine's) to hold want.
func waitSurveyMeasures(t *testing.T, hubAPI, outlet string, want map[string]float64) {
	t.Helper()
	today := time.Now()
	q := fmt.Sprintf("/measures?from=%s&to=%s&by=outlet&period=month", today.AddDate(0, 0, -1).Format(time.DateOnly), today.AddDate(0, 0, 1).Format(time.DateOnly))
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		var m struct {
			Rows []struct {
				Key    string
				Values map[string]any
			}
		}
		if code := call(t, "GET", hubAPI+q, apiToken, nil, &m); code != 200 {
			return false, fmt.Sprintf("measures: HTTP %d", code)
		}
		why := fmt.Sprintf("no measures of %s: %+v", outlet, m.Rows)
	rows:
		for _, r := range m.Rows {
			if r.Key != outlet {
				continue
			}
			for name, v := range want {
				if r.Values[name] != v {
					why = fmt.Sprintf("%s's %s = %v, want %v (all: %v)", outlet, name, r.Values[name], v, r.Values)
					continue rows
				}
			}
			return true, ""
		}
		return false, why
	})
}

// postAnswer posts an answer to a link as the page does, from its origin.
func postAnswer(t *testing.T, link, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", link, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", link[:strings.Index(link, "/s/")])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.String()
}

// waitPageText waits for text in the page, across the page replacing
// itself (the answer page moves to its thanks page).
func waitPageText(t *testing.T, b *browser, text string) {
	t.Helper()
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
		if err != nil {
			return false, err.Error()
		}
		return strings.Contains(got, text), fmt.Sprintf("the page shows %q, not %q", got, text)
	})
}

// TestSurveysEndToEnd: a pickup at an outlet; head office's gateway
// webhook receives the invitation with its link; headless Chromium opens
// the link and taps the answers; the measures show the answer; the
// gateway's delivery receipt makes it delivered, and the surveys page and
// the measures show the response rate. The used
// link is refused, so is an expired one, and a customer who opted out
// gets no further invitation. No message is posted twice.
func TestSurveysEndToEnd(t *testing.T) {
	const outlet = "SV1"
	const phoneA, phoneB, phoneC, phoneD = "13911112222", "13922223333", "13933334444", "13944445555"
	c := newCluster(t, "embedded", outlet)
	hook, hookSrv := newSurveyHook(t)
	master, keys := c.outletKeys(outlet)
	c.startHub("--master-key", master, "--gateway-webhook", hookSrv.URL)
	a := c.newAgent(outlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.startAgent(a, "--pii-key-file", keys[outlet])
	agentAPI, hubAPI := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"

	def := map[string]any{"title_zh": "取件满意度", "title_en": "Your pickup", "comment": true, "questions": []map[string]string{
		{"key": "overall", "zh": "您对本次取件满意吗", "en": "How satisfied are you with this pickup"},
		{"key": "staff", "zh": "店员的服务态度", "en": "The staff"}}}
	if code := call(t, "PUT", hubAPI+"/surveys/after-pickup", apiToken, def, nil); code != 200 {
		t.Fatalf("save the survey: HTTP %d", code)
	}
	rule := func(expiryMinutes int) {
		t.Helper()
		if code := call(t, "PUT", hubAPI+"/surveys/rules/pickup", apiToken, map[string]any{"survey": "after-pickup", "share": 100,
			"every_days": 0, "expiry_minutes": expiryMinutes}, nil); code != 200 {
			t.Fatalf("save the pickup rule: HTTP %d", code)
		}
	}
	rule(7 * 24 * 60)

	tok := staffLogin(t, agentAPI, "c01", "1234")
	n := 0
	pickup := func(phone string) {
		t.Helper()
		n++
		var in struct{ Parcel lifecycle.Parcel }
		if code := call(t, "POST", agentAPI+"/parcels/inbound", tok, map[string]string{"barcode": fmt.Sprintf("SF60000000000%02d", n), "phone": phone,
			"name": "客户", "shelf": "1", "layer": "1"}, &in); code != 201 || in.Parcel.PickupCode == "" {
			t.Fatalf("inbound for %s: HTTP %d %+v", phone, code, in.Parcel)
		}
		if code := call(t, "POST", agentAPI+"/parcels/"+in.Parcel.Waybill+"/pickup", tok, map[string]string{"code": in.Parcel.PickupCode,
			"id_check": "code_only", "signer": "recipient", "confirmation": "本人签收"}, nil); code != 200 {
			t.Fatalf("pickup for %s: HTTP %d", phone, code)
		}
		c.waitDrained(a, 60*time.Second)
	}

	// A pickup, and the invitation at the gateway with the phone the hub
	// unsealed.
	pickup(phoneA)
	link := hook.linkTo(t, phoneA)
	if !strings.HasPrefix(link, "http://"+c.hubHTTP+"/s/") {
		t.Fatalf("link %q is not the hub's answer page", link)
	}

	// The customer answers on the phone's browser: 5 and 4.
	b := newBrowser(t)
	b.step(t, "open the survey", chromedp.Navigate(link), waitJS(`!!document.getElementById('survey')`))
	if lang := read(t, b, "the page's language", chromedp.Evaluate[string](`document.documentElement.lang`)); lang != "zh" {
		t.Errorf("the page opens in %q, want zh", lang)
	}
	b.step(t, "tap the answers",
		chromedp.Click(chromedp.CSS(`input[name="q0"][value="5"] + span`)),
		chromedp.Click(chromedp.CSS(`input[name="q1"][value="4"] + span`)),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="comment"]`), "店员很耐心"),
		chromedp.Click(chromedp.ID("send")))
	waitPageText(t, b, "谢谢您的评价")
	b.checkNoExceptions(t)
	b.checkNoConsoleErrors(t, nil)

	// The measures show it for the outlet.
	waitSurveyMeasures(t, hubAPI, outlet, map[string]float64{"surveys.answered": 1, "surveys.avg": 4.5, "surveys.n5": 1})

	// The company gateway's receipt of A's invitation, with a token that
	// may post receipts only (another scope's is refused), posted twice:
	// one delivery, and a response rate of 100 % on the surveys route,
	// the surveys page and the measures.
	var gwTok, readTok struct{ Token string }
	for name, tok := range map[string]*struct{ Token string }{"gateway": &gwTok, "read": &readTok} {
		if code := call(t, "POST", hubAPI+"/tokens", apiToken, map[string]string{"name": "sv-" + name, "scope": name}, tok); code != 201 {
			t.Fatalf("%s token: HTTP %d", name, code)
		}
	}
	receipt := hubAPI + "/messages/" + url.PathEscape(hook.keyTo(t, phoneA)) + "/delivered"
	var refused struct{ Error struct{ Code string } }
	if code := call(t, "POST", receipt, readTok.Token, map[string]any{}, &refused); code != 403 || refused.Error.Code != "auth.token_scope" {
		t.Errorf("a read token's receipt: HTTP %d %s", code, refused.Error.Code)
	}
	for range 2 {
		var got struct{ State string }
		if code := call(t, "POST", receipt, gwTok.Token, map[string]any{}, &got); code != 200 || got.State != "delivered" {
			t.Errorf("receipt: HTTP %d %+v", code, got)
		}
	}
	var sv struct {
		Counts, Versions []struct {
			Trigger                  string
			Version                  int64
			Invited, Sent, Delivered int64
			Answered                 int64
			Rate                     *float64 `json:"response_rate"`
		}
	}
	if code := call(t, "GET", hubAPI+"/surveys", apiToken, nil, &sv); code != 200 || len(sv.Versions) != 1 {
		t.Fatalf("surveys: HTTP %d %+v", code, sv)
	}
	if v := sv.Versions[0]; v.Version != 1 || v.Invited != 1 || v.Sent != 1 || v.Delivered != 1 || v.Answered != 1 || v.Rate == nil || *v.Rate != 1 {
		t.Errorf("version counts %+v, want 1 invited, sent, delivered and answered, rate 1", v)
	}
	for _, x := range sv.Counts {
		if x.Trigger == lifecycle.SurveyOnPickup && (x.Delivered != 1 || x.Rate == nil || *x.Rate != 1) {
			t.Errorf("pickup counts %+v, want 1 delivered, rate 1", x)
		}
	}
	waitSurveyMeasures(t, hubAPI, outlet, map[string]float64{"surveys.sent": 1, "surveys.delivered": 1, "surveys.response_ratio": 1})
	addHubAccount(t, hubAPI, "ana", "数据分析员", "analyst", hubPassword)
	loginHubScreen(t, b, "http://"+c.hubHTTP, "ana")
	b.step(t, "open the surveys page", chromedp.Navigate("http://"+c.hubHTTP+"/#/surveys"),
		waitJS(`!!document.querySelector('#survey-versions tr[data-version="1"] td[data-delivered="1"]')`))
	if got := read(t, b, "the version's response rate", chromedp.Evaluate[string](`document.querySelector('#survey-versions tr[data-version="1"] td[data-rate]').textContent`)); got != "100%" {
		t.Errorf("the surveys page shows a response rate of %q, want 100%%", got)
	}

	// The used link: its page says so, in both languages, and a second
	// answer is refused.
	b.step(t, "open the used link", chromedp.Navigate(link))
	waitPageText(t, b, "这份问卷已经答过了")
	b.step(t, "in English", chromedp.Click(chromedp.ID("lang")))
	waitPageText(t, b, "This survey was already answered")
	if code, body := postAnswer(t, link, `{"scores":[1,1]}`); code != 409 || !strings.Contains(body, "survey.used") {
		t.Errorf("a second answer: HTTP %d %s", code, body)
	}

	// An expired link: the rule now gives links a minute.
	rule(1)
	pickup(phoneB)
	expired := hook.linkTo(t, phoneB)
	harness.Eventually(t, 3*time.Minute, func() (bool, string) {
		res, err := http.Get(expired)
		if err != nil {
			return false, err.Error()
		}
		res.Body.Close()
		return res.StatusCode == 409, fmt.Sprintf("the link still answers %d", res.StatusCode)
	})
	b.step(t, "open the expired link", chromedp.Navigate(expired))
	waitPageText(t, b, "问卷链接已过期")
	if code, body := postAnswer(t, expired, `{"scores":[5,5]}`); code != 409 || !strings.Contains(body, "survey.expired") {
		t.Errorf("an answer to an expired link: HTTP %d %s", code, body)
	}

	// An opt-out: C ticks only "do not ask me again"; C's next pickup
	// invites nobody, while D's, after it, invites D.
	rule(7 * 24 * 60)
	pickup(phoneC)
	optLink := hook.linkTo(t, phoneC)
	b.step(t, "opt out", chromedp.Navigate(optLink), waitJS(`!!document.getElementById('survey')`),
		chromedp.Click(chromedp.CSS(`input[name="opt_out"]`)), chromedp.Click(chromedp.ID("send")))
	waitPageText(t, b, "我们不会再邀请您")
	pickup(phoneC)
	pickup(phoneD)
	hook.linkTo(t, phoneD)
	var ov struct {
		Counts []struct {
			Trigger           string
			Invited, Answered int64
			OptedOut          int64 `json:"opted_out"`
		}
	}
	if code := call(t, "GET", hubAPI+"/surveys", apiToken, nil, &ov); code != 200 {
		t.Fatalf("surveys: HTTP %d", code)
	}
	for _, x := range ov.Counts {
		if x.Trigger == lifecycle.SurveyOnPickup && x.Invited != 4 {
			t.Errorf("pickup invitations %d, want 4 (A, B, C once, D)", x.Invited)
		}
	}
	// Every invitation went out once, none failed, as the screen counts them.
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		var ov struct {
			Surveys []struct{ Messages map[string]int64 }
		}
		call(t, "GET", hubAPI+"/surveys", apiToken, nil, &ov)
		if len(ov.Surveys) != 1 {
			return false, fmt.Sprintf("surveys %+v", ov)
		}
		m := ov.Surveys[0].Messages
		return m["sent"]+m["delivered"] == 4 && m["failed"] == 0 && m["pending"] == 0, fmt.Sprintf("invitation messages %v, want 4 sent", m)
	})
	if got := hook.sentTo(phoneC); got != 1 {
		t.Errorf("%d invitations reached the opted-out customer, want 1", got)
	}
	hook.mu.Lock()
	for k, n := range hook.keys {
		if n != 1 {
			t.Errorf("message %s was posted %d times", k, n)
		}
	}
	hook.mu.Unlock()
}
