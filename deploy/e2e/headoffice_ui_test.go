package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// headOffice is head office's people at the hub's API (api is …/api/v1):
// each account an administrator added, calling with its own session, as
// head office's screen does, so that the hub names the account as the actor
// of what it does.
type headOffice struct {
	t        *testing.T
	api      string
	sessions map[string]string // account → session cookie
}

func newHeadOffice(t *testing.T, hubAPI string) *headOffice {
	return &headOffice{t: t, api: hubAPI, sessions: map[string]string{}}
}

// post sends a head-office request as account and reports the HTTP status.
// On its first use the administrator (the legacy --api-token) adds the
// account with role, and it logs in.
func (h *headOffice) post(account, role, path string, body, out any) int {
	t := h.t
	t.Helper()
	if h.sessions[account] == "" {
		const password = "Counter-steps-2026"
		addHubAccount(t, h.api, account, account, role, password)
		resp := h.send("POST", "/session", "", map[string]string{"account": account, "password": password})
		resp.Body.Close()
		for _, ck := range resp.Cookies() {
			if ck.Name == "yizhan_hub_session" {
				h.sessions[account] = ck.Value
			}
		}
		if resp.StatusCode != 200 || h.sessions[account] == "" {
			t.Fatalf("log in as %s: HTTP %d, no session cookie", account, resp.StatusCode)
		}
	}
	resp := h.send("POST", path, h.sessions[account], body)
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

func (h *headOffice) send(method, path, session string, body any) *http.Response {
	h.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, h.api+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "yizhan_hub_session", Value: session})
	}
	resp, err := httpc.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, h.api+path, err)
	}
	return resp
}

// untilOnPage opens a page (hash, ready the id of an element it draws)
// again and again until cond holds: head office's steps reach the outlet
// through the downlink, and the pages reload their lists only every 15 to
// 30 s.
func untilOnPage(t *testing.T, b *browser, hash, ready, what, cond string) {
	t.Helper()
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
		defer cancel()
		err := chromedp.Do(ctx,
			runJS(`location.hash = '#/scan'`), chromedp.WaitVisible(chromedp.ID("scan-barcode")),
			runJS(fmt.Sprintf(`location.hash = %q`, hash)), chromedp.WaitVisible(chromedp.ID(ready)),
			waitJS(cond))
		return err == nil, what + ": " + b.pageState()
	})
}

// inLanguage switches the screen to lang ("zh" or "en") with its button,
// waits for the page to redraw, and fails the test on any text of the other
// language that is not somebody's words.
func inLanguage(t *testing.T, b *browser, lang, ready string) {
	t.Helper()
	b.step(t, "switch the screen to "+lang,
		runJS(fmt.Sprintf(`if (!document.documentElement.lang.startsWith(%q)) document.querySelector('#lang').click()`, lang)),
		waitJS(fmt.Sprintf(`document.documentElement.lang.startsWith(%q)`, lang)),
		chromedp.WaitVisible(chromedp.ID(ready)))
	if bad := read(t, b, "look for the other language", chromedp.Evaluate[[]string](otherLanguageJS)); len(bad) > 0 {
		t.Errorf("the %s screen shows words of the other language:\n%s", lang, strings.Join(bad, "\n"))
	}
}

// TestHeadOfficeAtTheCounter: what head office does shows at the counter.
// An emergency lead publishes a notice and ends it with a recovery text: the
// notices page shows it as ended, the recovery text foremost, and the
// banner says it recovered; the agent's API answers it for the counter
// (?current=1) and no longer as active. A customer-service agent, logged
// in as li.na, replies to the outlet's complaint and assigns its exception:
// the cases' histories name head office's account ("总部 · li.na" / "Head
// office · li.na") and the clerk for the outlet's own steps.
func TestHeadOfficeAtTheCounter(t *testing.T) {
	const outlet = "HQ1"
	const lead, agentAccount = "zhao.lei", "li.na"
	c, a, b := parcelScreen(t, outlet, "")
	shots := newShots(t)
	hubAPI, agentAPI := "http://"+c.hubHTTP+"/api/v1", "http://"+a.http+"/api/v1"
	tok := staffLogin(t, agentAPI, "c01", "1234")
	hq := newHeadOffice(t, hubAPI)

	// The outlet's complaint and exception, recorded first so that they are
	// at head office by the time the notice has been shown.
	var comp struct{ Complaint struct{ ID string } }
	if code := call(t, "POST", agentAPI+"/complaints", tok, map[string]any{"channel": "counter", "type": "complaint", "category": "delay",
		"severity": "routine", "customer_phone": "13600002468", "text": "包裹比承诺晚到三天。"}, &comp); code != 201 || comp.Complaint.ID == "" {
		t.Fatalf("record a complaint: HTTP %d %+v", code, comp)
	}
	var exc struct{ Exception struct{ ID string } }
	if code := call(t, "POST", agentAPI+"/exceptions", tok, map[string]any{"waybill": "SF1000000000009", "kind": "damaged", "note": "外箱破损"}, &exc); code != 201 || exc.Exception.ID == "" {
		t.Fatalf("report an exception: HTTP %d %+v", code, exc)
	}

	// ---- an ended notice's recovery text ----
	const title, recovery = "暴雨红色预警", "暴雨预警已解除，今日18时起恢复正常派送，滞留包裹明日送达。"
	now := time.Now()
	var n struct {
		ID string `json:"id"`
	}
	if code := hq.post(lead, "emergency", "/notices", map[string]any{"title": title, "severity": "critical",
		"text":       "受暴雨影响，今日派送暂停。",
		"effects":    map[string]any{"hold_days": 10},
		"valid_from": now.Add(-time.Hour).Format(time.RFC3339), "valid_to": now.Add(7 * 24 * time.Hour).Format(time.RFC3339)}, &n); code != 201 || n.ID == "" {
		t.Fatalf("publish notice: HTTP %d %+v", code, n)
	}
	card := fmt.Sprintf(`#notice-list article[data-id=%q]`, n.ID)
	untilOnPage(t, b, "#/notices", "notice-list", "the notice in force",
		fmt.Sprintf(`!!document.querySelector(%q) && !document.querySelector(%[1]q).dataset.state && %s.includes('现在入库的包裹保管 10 天')`, card, jsText(card)))

	if code := hq.post(lead, "emergency", "/notices/"+n.ID+"/end", map[string]any{"text": recovery}, nil); code != 200 {
		t.Fatalf("end notice: HTTP %d", code)
	}
	ended := card + `[data-state="ended"]`
	untilOnPage(t, b, "#/notices", "notice-list", "the notice shows as ended with its recovery text",
		fmt.Sprintf(`%s === %q`, jsText(ended+" .recovery-text"), recovery))
	b.step(t, "the ended notice is marked, lists no effects and asks for no acknowledgement",
		waitJS(fmt.Sprintf(`%s === '已结束 · 已恢复'`, jsText(ended+" .tag-recovered"))),
		waitJS(fmt.Sprintf(`%s.includes(%q)`, jsText(ended+" .card-head"), title)),
		waitJS(fmt.Sprintf(`%s.includes('结束')`, jsText(ended+" .notice-ended-at"))),
		waitJS(fmt.Sprintf(`!document.querySelector(%q) && !document.querySelector(%q)`, ended+" .notice-effects", ended+" [data-ack]")))
	b.step(t, "the banner says the notice recovered, with the recovery text",
		runJS(`location.hash = '#/scan'`), chromedp.WaitVisible(chromedp.ID("scan-barcode")),
		waitJS(fmt.Sprintf(`(() => { const el = document.querySelector('#notice-banner .notice-recovered[data-id=%q]');
			return !document.querySelector('#notice-banner').hidden && !!el && el.innerText.includes(%q) && el.innerText.includes('已结束 · 已恢复'); })()`, n.ID, recovery)),
		// Its effects ended with it.
		waitJS(`document.querySelector('#scan-effects').hidden`))
	var current, active struct {
		Notices []struct {
			ID           string `json:"id"`
			Ended        bool   `json:"ended"`
			RecoveryText string `json:"recovery_text"`
			EndedAt      int64  `json:"ended_at"`
		} `json:"notices"`
	}
	call(t, "GET", agentAPI+"/notices?current=1", tok, nil, &current)
	call(t, "GET", agentAPI+"/notices?active=1", tok, nil, &active)
	if len(current.Notices) != 1 || current.Notices[0].ID != n.ID || !current.Notices[0].Ended || current.Notices[0].RecoveryText != recovery ||
		current.Notices[0].EndedAt < now.Add(-time.Minute).UnixMilli() {
		t.Errorf("?current=1 answered %+v, want the ended notice with its recovery text and end time", current.Notices)
	}
	if len(active.Notices) != 0 {
		t.Errorf("?active=1 still answers the ended notice: %+v", active.Notices)
	}
	b.step(t, "back to the notices page", runJS(`location.hash = '#/notices'`), waitJS(fmt.Sprintf(`!!document.querySelector(%q)`, ended)))
	shots.take(t, b, "notices-recovered")
	inLanguage(t, b, "en", "notice-list")
	b.step(t, "in English the ended notice is marked in English, the recovery text as written",
		waitJS(fmt.Sprintf(`%s === 'Ended · recovered' && %s === %q`, jsText(ended+" .tag-recovered"), jsText(ended+" .recovery-text"), recovery)))
	inLanguage(t, b, "zh", "notice-list")

	// ---- head office's account in a case's history ----
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		cc := call(t, "GET", hubAPI+"/complaints/"+comp.Complaint.ID, apiToken, nil, nil)
		xc := call(t, "GET", hubAPI+"/exceptions/"+exc.Exception.ID, apiToken, nil, nil)
		return cc == 200 && xc == 200, fmt.Sprintf("head office answers the complaint with HTTP %d and the exception with %d", cc, xc)
	})
	const reply = "您好，包裹已在转运中心找到，明日送达。"
	if code := hq.post(agentAccount, "service", "/complaints/"+comp.Complaint.ID+"/steps", map[string]any{"step": "acknowledge", "note": reply}, nil); code != 200 {
		t.Fatalf("head office's reply: HTTP %d", code)
	}
	if code := hq.post(agentAccount, "service", "/exceptions/"+exc.Exception.ID+"/steps", map[string]any{"step": "assign", "owner": "c01"}, nil); code != 200 {
		t.Fatalf("head office's assignment: HTTP %d", code)
	}

	cmp := fmt.Sprintf(`#cmp-list li[data-id=%q] .history`, comp.Complaint.ID)
	untilOnPage(t, b, "#/complaints", "cmp-list", "the complaint's history names head office's account",
		fmt.Sprintf(`%s === '总部 · li.na'`, jsText(cmp+` .history-item[data-origin="hub"][data-step="acknowledge"] .history-actor`)))
	b.step(t, "the reply is in the history after the clerk's own step, and it opened by itself",
		waitJS(fmt.Sprintf(`document.querySelector(%q).open`, cmp)),
		waitJS(fmt.Sprintf(`%s.includes(%q) && %s.includes('首次答复')`, jsText(cmp+` .history-item[data-origin="hub"]`), reply, jsText(cmp+` .history-item[data-origin="hub"]`))),
		waitJS(fmt.Sprintf(`%s === 'c01'`, jsText(cmp+fmt.Sprintf(` .history-item[data-origin=%q][data-step="receive"] .history-actor`, outlet)))),
		waitJS(fmt.Sprintf(`[...document.querySelectorAll(%q)].map((el) => el.dataset.step).join() === 'receive,acknowledge'`, cmp+" .history-item")))
	shots.take(t, b, "complaints-head-office")
	inLanguage(t, b, "en", "cmp-list")
	b.step(t, "in English head office's account reads as such",
		waitJS(fmt.Sprintf(`%s === 'Head office · li.na'`, jsText(cmp+` .history-item[data-origin="hub"] .history-actor`))))
	inLanguage(t, b, "zh", "cmp-list")

	xh := fmt.Sprintf(`#exc-list li[data-id=%q] .history`, exc.Exception.ID)
	untilOnPage(t, b, "#/exceptions", "exc-list", "the exception's history names head office's account",
		fmt.Sprintf(`%s === '总部 · li.na' && %s === 'c01'`,
			jsText(xh+` .history-item[data-origin="hub"][data-step="assign"] .history-actor`),
			jsText(xh+fmt.Sprintf(` .history-item[data-origin=%q][data-step="report"] .history-actor`, outlet))))
	b.checkNoExceptions(t)
}
