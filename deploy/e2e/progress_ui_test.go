package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A phone's screen: the customer opens the receipt's link on one.
const phoneW, phoneH = 390, 844

// TestProgressPageScreen follows a complaint taken at the counter on head
// office's public progress page, as its customer does on a phone: the
// receipt's link, the last four digits, the stage, deadline and outlet, in
// Chinese and then in English; a wrong pair shows the one refusal. The
// page's inline stylesheet applies under its Content-Security-Policy, and
// the browser logs no violation or other error.
//
// Screenshots as TestHubScreen's: `YZ_SCREENSHOTS=docs/screenshots`.
func TestProgressPageScreen(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001")
	key := writePIIKey(t)
	c.startHub()
	a := c.newAgent("SH-001")
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	page := "http://" + c.hubHTTP + "/p"
	c.startAgent(a, "--pii-key-file", key, "--progress-url", page)
	agentAPI, hubAPI := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"
	tok := staffLogin(t, agentAPI, "c01", "1234")
	var cp struct{ Complaint struct{ ID, Ticket string } }
	if code := call(t, "POST", agentAPI+"/complaints", tok, map[string]any{"channel": "counter", "type": "complaint", "category": "delay",
		"severity": "routine", "customer_phone": "13812345678", "text": "三天还没到"}, &cp); code != 201 || cp.Complaint.Ticket == "" {
		t.Fatalf("record complaint: %d %+v", code, cp)
	}
	c.waitDrained(a, 30*time.Second)
	waitHubHas(t, hubAPI+"/complaints/"+cp.Complaint.ID)

	b := newBrowser(t)
	shots := newShotsIn(t, "hub")
	b.step(t, "a phone's screen", chromedp.EmulateViewport(phoneW, phoneH, chromedp.EmulateMobile, chromedp.EmulateTouch))
	link := page + "?t=" + url.QueryEscape(cp.Complaint.Ticket)
	// afterClick clicks sel, whose answer is a new page, and waits for cond
	// there: across the navigation, which ends any poll in the old page.
	afterClick := func(what, sel, cond string) {
		t.Helper()
		b.step(t, what, runJS(`window.yzBefore = true`), chromedp.Click(sel))
		deadline := time.Now().Add(30 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
			err := chromedp.Do(ctx, waitJS(`window.yzBefore === undefined && document.readyState === 'complete' && (`+cond+`)`))
			cancel()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %v\n%s", what, err, b.pageState())
			}
		}
	}
	lookUp := func(digits string) {
		t.Helper()
		b.step(t, "type "+digits, chromedp.WaitVisible(`input[name="d"]`), chromedp.SendKeys(`input[name="d"]`, digits))
		afterClick("look up with "+digits, `button[type="submit"]`, `document.querySelector('#stage') !== null || document.querySelector('#error') !== null`)
	}
	text := func(sel string) string {
		t.Helper()
		return read(t, b, "text of "+sel, chromedp.Evaluate[string](`(() => { const e = document.querySelector('`+sel+`'); return e ? e.textContent : ''; })()`))
	}
	b.step(t, "open the receipt's link", chromedp.Navigate(link))
	if got := read(t, b, "the ticket filled in", chromedp.Evaluate[string](`document.querySelector('input[name="t"]').value`)); got != cp.Complaint.Ticket {
		t.Errorf("the link's ticket is not filled in: %q", got)
	}
	shots.take(t, b, "progress-form-zh")
	lookUp("5678")
	if got := text("#stage"); got != "已受理，等待答复" {
		t.Errorf("stage %q", got)
	}
	if got := text("#outlet"); got != "SH-001" {
		t.Errorf("outlet %q", got)
	}
	// A day after the complaint, in head office's zone (the default,
	// Asia/Shanghai), to the minute or the one after.
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	due, want := text("#due"), time.Now().Add(24*time.Hour).In(zone)
	if !strings.HasPrefix(due, want.Add(-time.Minute).Format("2006-01-02 15:04")) && !strings.HasPrefix(due, want.Format("2006-01-02 15:04")) {
		t.Errorf("deadline %q, want a day from now, %s (UTC+08:00)", due, want.Format("2006-01-02 15:04"))
	}
	// The inline stylesheet applied: its hash is in the policy.
	if bg := read(t, b, "page background", chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`)); bg != "rgb(243, 245, 248)" {
		t.Errorf("the page's style did not apply (background %q)", bg)
	}
	if wide := read(t, b, "width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`)); wide {
		t.Errorf("the page scrolls sideways at %d×%d", phoneW, phoneH)
	}
	shots.take(t, b, "progress-zh")

	afterClick("switch to English", `#lang`, `document.documentElement.lang === 'en'`)
	lookUp("5678")
	if got := text("#stage"); got != "Received: we will reply" {
		t.Errorf("English stage %q", got)
	}
	if got := text("h1"); got != "Complaint progress" {
		t.Errorf("English title %q", got)
	}
	shots.take(t, b, "progress-en")

	lookUp("0000")
	if got := text("#error"); !strings.Contains(got, "no complaint matches") || text("#stage") != "" {
		t.Errorf("a wrong pair: error %q, stage %q", got, text("#stage"))
	}
	b.checkNoExceptions(t)
	b.checkNoConsoleErrors(t, func(e string) bool {
		// The refusal's own status (404) is logged as a failed load.
		return strings.Contains(e, "404") && !strings.Contains(e, "Content Security Policy")
	})
}
