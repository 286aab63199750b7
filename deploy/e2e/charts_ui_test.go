package e2e

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/measures"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// TestHeadOfficeNoticeScreen: an emergency lead composes a notice on head
// office's screen to one region (or, on a hub without regions, one
// outlet), sees that it targets only that region's outlet, sees the outlet
// acknowledge it and ends it with a recovery text the outlet then holds;
// the other region's outlet never receives it. The console shows no
// Content-Security-Policy violation.
func TestHeadOfficeNoticeScreen(t *testing.T) {
	c := newCluster(t, "embedded", "EA-001", "WE-001")
	c.startHub()
	east, west := c.newAgent("EA-001"), c.newAgent("WE-001")
	c.addStaff(east, "e01", "东店员", "clerk", "1234")
	c.addStaff(west, "w01", "西店员", "clerk", "1234")
	pii := writePIIKey(t)
	c.startAgent(east, "--pii-key-file", pii)
	c.startAgent(west, "--pii-key-file", pii)
	hub := "http://" + c.hubHTTP
	hubAPI, eastAPI, westAPI := hub+"/api/v1", "http://"+east.http+"/api/v1", "http://"+west.http+"/api/v1"
	checkHubScreenServed(t, hub)

	byRegion := setRegion(t, hubAPI, "EA-001", "华东") && setRegion(t, hubAPI, "WE-001", "华西")
	addHubAccount(t, hubAPI, "lead", "应急组长", "emergency", hubPassword)
	addHubAccount(t, hubAPI, "ana", "数据分析员", "analyst", hubPassword)

	eastTok, westTok := staffLogin(t, eastAPI, "e01", "1234"), staffLogin(t, westAPI, "w01", "1234")

	b := newBrowser(t)
	watch := watchScreenConsole(b)

	// The emergency lead composes a notice to the east region.
	loginHubScreen(t, b, hub, "lead")
	b.step(t, "open the compose page", chromedp.Navigate(hub+"/#/notices/new"), waitJS(`!!document.querySelector('[data-notice="form"]')`))
	scopeBox := `[data-outlet="EA-001"]`
	if byRegion {
		scopeBox = `[data-region="华东"]`
	}
	b.step(t, "fill the notice in",
		waitJS(fmt.Sprintf(`!!document.querySelector(%q)`, scopeBox)),
		chromedp.SendKeys(chromedp.CSS(`[data-notice="form"] [name="title"]`), "暴雨停派通知"),
		chromedp.SendKeys(chromedp.CSS(`[data-notice="form"] [name="text"]`), "受暴雨影响，今日华东区域暂停派送，包裹保管期顺延。"),
		chromedp.Click(chromedp.CSS(`[data-faq="add"]`)),
		chromedp.SendKeys(chromedp.CSS(`.faq-row [name="faq-q"]`), "保管期顺延几天？"),
		chromedp.SendKeys(chromedp.CSS(`.faq-row [name="faq-a"]`), "顺延 3 天。"),
		chromedp.Click(chromedp.CSS(scopeBox)),
		chromedp.Click(chromedp.CSS(`[data-notice="publish"]`)),
		waitJS(`!!document.querySelector('[data-notice-id] [data-notice="acks"]')`))
	id := read(t, b, "the notice's id", chromedp.Evaluate[string](`document.querySelector('[data-notice-id]').dataset.noticeId`))
	// Its customer messages: the box was left on, and no customer has a
	// parcel at the outlet, so none went.
	if got := read(t, b, "the customer messages", chromedp.Evaluate[string](`(document.querySelector('[data-notice-id] p[data-notice="messages"]') || {}).textContent || ''`)); got == "" {
		t.Error("the notice's page shows no customer-message panel")
	}
	targets := read(t, b, "its target outlets", chromedp.Evaluate[string](`[...document.querySelectorAll('[data-notice="acks"] tr[data-outlet]')].map((r) => r.dataset.outlet + '=' + r.dataset.acked).join(',')`))
	if targets != "EA-001=0" {
		t.Fatalf("the notice's acknowledgements list %q, want only EA-001, not yet acknowledged", targets)
	}

	// A notice to every outlet after it: once the west outlet holds that
	// one, it would hold the region's notice too had it been sent there,
	// since head office's events reach an outlet in order.
	var sentinel struct{ ID string }
	if code := call(t, "POST", hubAPI+"/notices", apiToken, map[string]any{"title": "例行通知", "text": "本周六正常营业。"}, &sentinel); code != 201 {
		t.Fatalf("publish a notice to every outlet: HTTP %d", code)
	}
	agentNotices := func(api, tok string) map[string]agentNotice {
		var out struct{ Notices []agentNotice }
		call(t, "GET", api+"/notices", tok, nil, &out)
		m := map[string]agentNotice{}
		for _, n := range out.Notices {
			m[n.ID] = n
		}
		return m
	}
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		ns := agentNotices(westAPI, westTok)
		_, ok := ns[sentinel.ID]
		return ok, fmt.Sprintf("WE-001 holds %d notices, not yet the one to every outlet", len(ns))
	})
	if _, ok := agentNotices(westAPI, westTok)[id]; ok {
		t.Fatalf("WE-001, outside the notice's scope, received notice %s", id)
	}
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		_, ok := agentNotices(eastAPI, eastTok)[id]
		return ok, "EA-001 has not received the notice yet"
	})

	// The outlet acknowledges; the lead sees it on the notice's page.
	if code := call(t, "POST", eastAPI+"/notices/"+id+"/ack", eastTok, map[string]any{}, nil); code != 200 {
		t.Fatalf("acknowledge at EA-001: HTTP %d", code)
	}
	c.waitDrained(east, 30*time.Second)
	b.step(t, "the acknowledgement shows",
		chromedp.Navigate(hub+"/#/notices/"+id+"?r=1"),
		waitJS(`!!document.querySelector('[data-notice="acks"] tr[data-outlet="EA-001"][data-acked="1"]')`))

	// The lead ends it with a recovery text; the outlet holds the text.
	recovery := "暴雨已过，派送恢复正常。"
	b.step(t, "end the notice",
		chromedp.SendKeys(chromedp.CSS(`textarea[name="recovery"]`), recovery),
		chromedp.Click(chromedp.CSS(`.btn-danger`)),
		waitJS(fmt.Sprintf(`(document.querySelector('[data-notice="recovery"]') || {}).textContent === %q`, recovery)))
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		n := agentNotices(eastAPI, eastTok)[id]
		return n.Ended && n.RecoveryText == recovery, fmt.Sprintf("EA-001 holds the notice as %+v", n)
	})
	// The east outlet's counter shows it as ended, with the recovery text.
	counter := newBrowser(t)
	counter.step(t, "log in at EA-001's counter",
		chromedp.Navigate("http://"+east.http+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("login-staff"), "e01"),
		chromedp.SendKeys(chromedp.ID("login-pin"), "1234"), pressEnter(),
		chromedp.WaitVisible(chromedp.ID("scan-barcode")))
	ended := fmt.Sprintf(`#notice-list article[data-id=%q][data-state="ended"]`, id)
	untilOnPage(t, counter, "#/notices", "notice-list", "the counter shows the recovery text",
		fmt.Sprintf(`%s === %q`, jsText(ended+" .recovery-text"), recovery))
	counter.checkNoExceptions(t)

	for _, m := range watch.bad() {
		t.Errorf("console: %s", m)
	}
	b.checkNoExceptions(t)
}

// TestHeadOfficeMeasuresScreen: an analyst opens today's measures on head
// office's screen and sees the complaint the test made, replied to from
// head office, in the ranking table and in charts ECharts drew, hovers
// over them, and finds the CSV link of the same query. The console shows
// no Content-Security-Policy violation and no ECharts error.
func TestHeadOfficeMeasuresScreen(t *testing.T) {
	c := newCluster(t, "embedded", "EA-001")
	c.startHub()
	east := c.newAgent("EA-001")
	c.addStaff(east, "e01", "东店员", "clerk", "1234")
	c.startAgent(east, "--pii-key-file", writePIIKey(t))
	hub := "http://" + c.hubHTTP
	hubAPI, eastAPI := hub+"/api/v1", "http://"+east.http+"/api/v1"
	checkHubScreenServed(t, hub)
	addHubAccount(t, hubAPI, "ana", "数据分析员", "analyst", hubPassword)

	eastTok := staffLogin(t, eastAPI, "e01", "1234")
	var comp struct{ Complaint struct{ ID string } }
	if code := call(t, "POST", eastAPI+"/complaints", eastTok, map[string]any{"channel": "counter", "type": "complaint", "category": "delay",
		"severity": "major", "customer_phone": "13812345678", "text": "包裹迟迟未到"}, &comp); code != 201 {
		t.Fatalf("record a complaint at EA-001: HTTP %d", code)
	}
	c.waitDrained(east, 30*time.Second)
	var e problem.Body
	if code := call(t, "POST", hubAPI+"/complaints/"+comp.Complaint.ID+"/steps", apiToken, map[string]any{"step": "acknowledge", "note": "已联系快递公司，明日送达。"}, &e); code != 200 {
		t.Fatalf("reply from head office: HTTP %d %s", code, e.Error.Code)
	}

	b := newBrowser(t)
	watch := watchScreenConsole(b)
	loginHubScreen(t, b, hub, "ana")
	// The days around today: the hub counts days in its own time zone
	// (Asia/Shanghai unless configured), whose today may be this
	// machine's tomorrow or yesterday.
	now := time.Now()
	from, to := now.AddDate(0, 0, -1).Format(time.DateOnly), now.AddDate(0, 0, 1).Format(time.DateOnly)
	b.step(t, "open the measures",
		chromedp.Navigate(hub+"/#/measures?from="+from+"&to="+to+"&period=day&by=outlet"),
		waitJS(`!!document.querySelector('[data-measures="table"] tr[data-key="EA-001"]')`),
		waitJS(`['ranking', 'trend'].every((n) => document.querySelector('[data-chart="' + n + '"]').dataset.state === 'drawn')`))
	// A tooltip is drawn on the canvas: hovering over the trend chart's
	// line must not make the chart write HTML with inline styles.
	b.step(t, "hover over the charts",
		runJS(`document.querySelector('[data-chart="ranking"]').scrollIntoView()`), hoverAt(`[data-chart="ranking"] canvas`, 200, 100),
		runJS(`document.querySelector('[data-chart="trend"]').scrollIntoView()`), hoverAt(`[data-chart="trend"] canvas`, 300, 160))
	got := read(t, b, "the table's complaint count", chromedp.Evaluate[string](`document.querySelector('[data-measures="table"] tr[data-key="EA-001"] td[data-measure="complaints.count"]').textContent`))
	if got != "1" {
		t.Errorf("EA-001's complaints today read %q in the table, want 1", got)
	}
	if reply := read(t, b, "the table's first reply", chromedp.Evaluate[string](`document.querySelector('[data-measures="table"] tr[data-key="EA-001"] td[data-measure="complaints.first_reply_p50_ms"]').textContent`)); reply == "—" || reply == "" {
		t.Errorf("EA-001's first reply reads %q in the table, want the time head office took", reply)
	}
	canvases := read(t, b, "the charts' canvases", chromedp.Evaluate[int](`document.querySelectorAll('[data-chart] canvas').length`))
	if canvases < 2 {
		t.Errorf("%d canvases in the charts, want one per chart", canvases)
	}
	csv := read(t, b, "the CSV link", chromedp.Evaluate[string](`document.querySelector('[data-measures="csv"]').getAttribute('href')`))
	if !strings.Contains(csv, "format=csv") || !strings.Contains(csv, "from="+from) || !strings.Contains(csv, "to="+to) {
		t.Errorf("the CSV link is %q, want the same query with format=csv", csv)
	}
	// The analyst downloads it with the screen's session: EA-001's
	// first-reply time is the time between the complaint's and head
	// office's reply's events, as the hub stamped them.
	body := read(t, b, "download the CSV", chromedp.Evaluate[string](fmt.Sprintf(`fetch(%q).then((r) => r.arrayBuffer()).then((b) => {
			const u = new Uint8Array(b); // the decoder drops the BOM: look at the bytes first
			return (u[0] === 0xEF && u[1] === 0xBB && u[2] === 0xBF ? 'BOM ' : 'no BOM ') + new TextDecoder().decode(u); })`, csv),
		func(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) }))
	if got := firstReplyInCSV(t, body, "EA-001"); got != wantFirstReply(t, hubAPI, comp.Complaint.ID) {
		t.Errorf("the CSV's first reply of EA-001 is %s ms, want %s ms from the events", got, wantFirstReply(t, hubAPI, comp.Complaint.ID))
	}
	for _, m := range watch.bad() {
		t.Errorf("console: %s", m)
	}
	b.checkNoExceptions(t)
}

// agentNotice is the part of a notice the counter's API answers that the
// test reads.
type agentNotice struct {
	ID           string `json:"id"`
	Ended        bool   `json:"ended"`
	RecoveryText string `json:"recovery_text"`
}

// hubPassword is every test account's password at head office.
const hubPassword = "Yz-test-passw0rd!"

// setRegion puts an outlet in a region; false when the hub has no regions
// (the route answers 404 or 405).
func setRegion(t *testing.T, hubAPI, outlet, region string) bool {
	t.Helper()
	var e problem.Body
	code := call(t, "PATCH", hubAPI+"/outlets/"+outlet, apiToken, map[string]string{"region": region}, &e)
	switch {
	case code == http.StatusNotFound && e.Error.Code != "outlet.not_found", code == http.StatusMethodNotAllowed:
		t.Logf("this hub sets no regions (PATCH /outlets/%s: HTTP %d %s): the notice goes to one outlet", outlet, code, e.Error.Code)
		return false
	case code/100 != 2:
		t.Fatalf("set the region of %s: HTTP %d %s %s", outlet, code, e.Error.Code, e.Error.Message)
	}
	return true
}

// checkHubScreenServed fails early with a clear message when the hub does
// not serve its screen at "/".
func checkHubScreenServed(t *testing.T, base string) {
	t.Helper()
	resp, err := httpc.Get(base + "/")
	if err != nil {
		t.Fatalf("GET %s/: %v", base, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("the hub does not serve its screen at %s/ under the strict CSP (HTTP %d, CSP %q)", base, resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
}

// loginHubScreen logs account in on the screen's login page.
func loginHubScreen(t *testing.T, b *browser, base, account string) {
	t.Helper()
	b.step(t, "log in as "+account,
		chromedp.Navigate(base+"/#/login"),
		waitJS(`!!document.querySelector('#login-account')`),
		chromedp.SendKeys(chromedp.CSS(`#login-account`), account),
		chromedp.SendKeys(chromedp.CSS(`#login-password`), hubPassword),
		chromedp.Click(chromedp.CSS(`#login-submit`)),
		waitJS(`document.querySelector('#page').dataset.page && document.querySelector('#page').dataset.page !== 'login'`))
}

// screenConsole keeps the console messages a screen must never cause: a
// Content-Security-Policy violation (the browser logs it, and the thing is
// blocked) and anything ECharts reports.
type screenConsole struct {
	mu  sync.Mutex
	msg []string
}

func watchScreenConsole(b *browser) *screenConsole {
	w := &screenConsole{}
	go func() {
		for m, err := range chromedp.Console(b.ctx) {
			if err != nil {
				return
			}
			if strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "[ECharts]") || strings.Contains(m.Text, "measures chart") {
				w.mu.Lock()
				w.msg = append(w.msg, m.String())
				w.mu.Unlock()
			}
		}
	}()
	return w
}

func (w *screenConsole) bad() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.msg...)
}

// hoverAt moves the mouse to (dx, dy) from the element's top left corner,
// as a pointer does: a chart then shows its tooltip.
func hoverAt(sel string, dx, dy float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		x, y, err := topLeft(ctx, t, sel)
		if err != nil {
			return err
		}
		_, err = cdp.Call(ctx, t, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: chromedp.MouseMoved, X: x + dx, Y: y + dy})
		return err
	})
}

// firstReplyInCSV reads the first-reply median of outlet's row from the
// measures' CSV as the page fetched it ("BOM " when its bytes began with
// one, then its text): a UTF-8 BOM, a header row, then one row per group and
// period (values summed over periods would hide a wrong one: the test's
// complaint lies in one day).
func firstReplyInCSV(t *testing.T, body, outlet string) string {
	t.Helper()
	body, ok := strings.CutPrefix(body, "BOM ")
	if !ok {
		t.Fatalf("the CSV does not start with a BOM: %.80q", body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("the CSV does not parse (%v): %.200q", err, body)
	}
	col := -1
	for i, d := range measures.Defs {
		if d.Name == "complaints.first_reply_p50_ms" {
			col = 2 + i // the group and the period come first
		}
	}
	got := ""
	for _, r := range rows[1:] {
		if len(r) > col && r[0] == outlet && r[col] != "" {
			if got != "" {
				t.Fatalf("the CSV has two rows with a first reply for %s: %v", outlet, rows)
			}
			got = r[col]
		}
	}
	if got == "" {
		t.Fatalf("the CSV has no first reply for %s: %v", outlet, rows)
	}
	return got
}

// wantFirstReply is a complaint's first-reply time in ms from the events
// head office holds: its acknowledgement's stamp less its receipt's.
func wantFirstReply(t *testing.T, hubAPI, id string) string {
	t.Helper()
	var v struct{ Events []syncproto.Event }
	if code := call(t, "GET", hubAPI+"/complaints/"+id, apiToken, nil, &v); code != 200 {
		t.Fatalf("complaint %s at the hub: HTTP %d", id, code)
	}
	var received, replied int64
	for _, e := range v.Events {
		switch {
		case e.Type == "complaint.received":
			received = e.FoldStamp().WallMillis()
		case e.Origin == syncproto.HubOrigin && strings.Contains(string(e.Payload), `"acknowledge"`) && replied == 0:
			replied = e.FoldStamp().WallMillis()
		}
	}
	if received == 0 || replied == 0 {
		t.Fatalf("complaint %s has no receipt or no reply among %d events", id, len(v.Events))
	}
	return fmt.Sprint(replied - received)
}
