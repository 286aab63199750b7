package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// loginScreen logs staff id in on the login page with the on-screen keypad.
func loginScreen(t *testing.T, b *browser, base, staffID, pin, name string) {
	t.Helper()
	keys := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "#/login"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("login-staff"), staffID),
		chromedp.Click(chromedp.ID("login-pin")),
	}
	for _, d := range pin {
		keys = append(keys, chromedp.Click(chromedp.Search(fmt.Sprintf(`//div[@class="keypad"]/button[text()=%q]`, string(d)))))
	}
	keys = append(keys, chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("scan-barcode")),
		waitJS(fmt.Sprintf(`document.querySelector('#who').innerText.includes(%q)`, name)))
	b.step(t, "log in as "+staffID, keys...)
}

// TestLabelProblemsOnScreen: a waybill whose label could never print is
// refused at the counter with the character that is wrong; a label the
// printer holds (out of paper) or may not have printed (the connection broke
// off) shows on the screen as a print problem, and the clerk's retry or
// reprint prints it.
func TestLabelProblemsOnScreen(t *testing.T) {
	c := newCluster(t, "embedded", "LB1")
	c.startHub()
	a := c.newAgent("LB1")
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	dev := startCounterDevices(t)
	c.startAgent(a, "--pii-key-file", writePIIKey(t), "--config", dev.config)
	base := "http://" + a.http + "/"
	checkScreenServed(t, base)
	b := newBrowser(t)
	loginScreen(t, b, base, "c01", "1234", "张三")
	// Reading a parcel needs a staff session of its own.
	var login struct{ Token string }
	if code := call(t, "POST", base+"api/v1/session", "", map[string]string{"staff_id": "c01", "pin": "1234"}, &login); code != 200 {
		t.Fatalf("login: HTTP %d", code)
	}
	b.step(t, "set shelf and layer",
		chromedp.SendKeys(chromedp.ID("scan-shelf"), "3"),
		chromedp.SendKeys(chromedp.ID("scan-layer"), "2"))

	// Refused at input, with the reason. Chinese text is put in as an IME
	// would commit it, then submitted with the button.
	for _, tc := range []struct{ waybill, want string }{
		{"顺丰456", "第 1 个字符“顺”"},
		{"快递123", "第 1 个字符“快”"},
		{"SF123 456", "第 6 个字符“ ”"},
	} {
		b.step(t, "refuse waybill "+tc.waybill,
			runJS(`document.querySelector('#error-banner').hidden = true`),
			runJS(fmt.Sprintf(`document.querySelector('#scan-barcode').value = %q; document.querySelector('#scan-phone').value = '13800005678'`, tc.waybill)),
			chromedp.Click(chromedp.ID("scan-submit")),
			waitJS(`!document.querySelector('#error-banner').hidden`),
			waitJS(fmt.Sprintf(`document.querySelector('#error-text').innerText.includes(%q)`, tc.want)))
		if code := call(t, "GET", "http://"+a.http+"/api/v1/parcels/"+url.PathEscape(tc.waybill), login.Token, nil, nil); code != 404 {
			t.Errorf("waybill %q was recorded (GET answers %d) although the screen refused it", tc.waybill, code)
		}
	}
	if n := len(dev.printer.Jobs()); n != 0 {
		t.Fatalf("the printer received %d jobs for refused waybills", n)
	}

	scanIn := func(wb, phone string) {
		t.Helper()
		b.step(t, "scan in "+wb,
			runJS(`document.querySelector('#error-banner').hidden = true; document.querySelector('#scan-barcode').value = ''; document.querySelector('#scan-phone').value = ''`),
			chromedp.Click(chromedp.ID("scan-barcode")),
			focusedIs("scan-barcode"),
			typeFocused(wb), pressEnter(),
			focusedIs("scan-phone"),
			typeFocused(phone), pressEnter(),
			waitJS(fmt.Sprintf(`(document.querySelector('#scan-result') || {innerText: ''}).innerText.includes(%q)`, wb)))
	}

	// Out of paper: the label is held, and the strip says so on the page.
	dev.printer.SetFaults(printer.PaperOut)
	scanIn("73100000000111", "13800001111")
	code := read(t, b, "read the pickup code", chromedp.Text(chromedp.ID("scan-code")))
	b.step(t, "the held label is a print problem",
		waitJS(`!document.querySelector('#print-problems').hidden`),
		waitJS(`document.querySelector('#print-problems [data-problem="held"]') !== null`),
		waitJS(`document.querySelector('#print-problems').innerText.includes('打印机未就绪')`),
		waitJS(fmt.Sprintf(`document.querySelector('#print-problems').innerText.includes(%q)`, "货架标签 "+code)),
		waitJS(`document.querySelector('#print-problems [data-problem="held"] [data-action="retry"]') !== null`))
	if n := dev.printer.Count([]byte(code)); n != 0 {
		t.Fatalf("label %s printed %d times while out of paper", code, n)
	}
	// The strip is on every page, not only where the label was asked for.
	b.step(t, "the strip shows on the pickup page too",
		chromedp.Click(chromedp.ID("nav-pickup")),
		chromedp.WaitVisible(chromedp.ID("pickup-query")),
		waitJS(`document.querySelector('#print-problems [data-problem="held"]') !== null`))
	dev.printer.SetFaults()
	b.step(t, "paper loaded: retry prints it and the problem goes",
		chromedp.Click(chromedp.CSS(`#print-problems [data-problem="held"] [data-action="retry"]`)),
		waitJS(`document.querySelector('#print-problems').hidden`))
	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		n := dev.printer.Count([]byte(code))
		return n == 1, fmt.Sprintf("label %s printed %d times after retry, want once", code, n)
	})

	// The printer takes the next label but never confirms it: it may or may
	// not have come out, so the clerk is asked, and reprints it.
	b.step(t, "back to scan-in",
		chromedp.Click(chromedp.ID("nav-scan")),
		chromedp.WaitVisible(chromedp.ID("scan-barcode")))
	dev.printer.HoldReceiptAfter(len(dev.printer.Jobs()) + 1)
	scanIn("73100000000222", "13800002222")
	code2 := read(t, b, "read the pickup code", chromedp.Text(chromedp.ID("scan-code")))
	b.step(t, "the unconfirmed label is a print problem with its actions",
		waitJS(`document.querySelector('#print-problems [data-problem="unconfirmed"]') !== null`),
		waitJS(`['confirm', 'reprint', 'cancel'].every((a) => document.querySelector('#print-problems [data-problem="unconfirmed"] [data-action="' + a + '"]'))`),
		waitJS(`document.querySelector('#print-problems').innerText.includes('不确定是否已打印出')`))
	dev.printer.HoldReceiptAfter(0)
	b.step(t, "reprint it",
		chromedp.Click(chromedp.CSS(`#print-problems [data-problem="unconfirmed"] [data-action="reprint"]`)),
		waitJS(`document.querySelector('#print-problems').hidden`),
		waitJS(`document.querySelector('#info-banner').innerText.includes('重新打印')`))
	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		n := dev.printer.Count([]byte(code2))
		return n == 2, fmt.Sprintf("label %s sent %d times, want the unconfirmed one and its reprint", code2, n)
	})

	// The English screen words the same problems in English.
	dev.printer.SetFaults(printer.PaperOut)
	b.step(t, "switch to English",
		chromedp.Click(chromedp.ID("lang")),
		chromedp.WaitVisible(chromedp.ID("scan-barcode")))
	scanIn("73100000000333", "13800003333")
	b.step(t, "the English strip",
		waitJS(`document.querySelector('#print-problems').innerText.includes('printer not ready')`),
		waitJS(`document.querySelector('#print-problems [data-action="retry"]').innerText === 'Retry'`))
	strip := read(t, b, "read the strip", chromedp.Text(chromedp.ID("print-problems")))
	if !strings.Contains(strip, "Shelf label 3-2-") {
		t.Errorf("the English strip does not name the shelf label:\n%s", strip)
	}
	for _, zh := range []string{"打印机", "重试", "取消", "取件码"} {
		if strings.Contains(strip, zh) {
			t.Errorf("the English print problems strip shows %q:\n%s", zh, strip)
		}
	}
	dev.printer.SetFaults()
	b.checkNoExceptions(t)
}

// TestSupervisorRevealsPhone: where the masked phone shows, a supervisor
// has a button that shows it in full and says the view was recorded; a
// clerk has none. The hub receives the audit event.
func TestSupervisorRevealsPhone(t *testing.T) {
	const outlet = "LB2"
	c := newCluster(t, "embedded", outlet)
	c.startHub()
	a := c.newAgent(outlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.addStaff(a, "s01", "李主管", "supervisor", "9999")
	c.startAgent(a, "--pii-key-file", writePIIKey(t))
	base := "http://" + a.http + "/"
	checkScreenServed(t, base)
	agentAPI := "http://" + a.http + "/api/v1"
	login := staffLogin(t, agentAPI, "c01", "1234")
	const wb, phone = "73100000000444", "13812345678"
	var in struct {
		Parcel struct {
			PickupCode string `json:"pickup_code"`
		}
	}
	if code := call(t, "POST", agentAPI+"/parcels/inbound", login, map[string]string{"barcode": wb, "phone": phone, "shelf": "4", "layer": "1"}, &in); code != 201 {
		t.Fatalf("inbound: HTTP %d", code)
	}

	b := newBrowser(t)
	find := func(who string) {
		b.step(t, who+" finds the parcel on the pickup page",
			chromedp.Click(chromedp.ID("nav-pickup")),
			chromedp.WaitVisible(chromedp.ID("pickup-query")),
			chromedp.SendKeys(chromedp.ID("pickup-query"), in.Parcel.PickupCode),
			chromedp.Click(chromedp.ID("pickup-search")),
			waitJS(`document.querySelector('#pickup-selected').innerText.includes('138****5678')`))
	}
	loginScreen(t, b, base, "c01", "1234", "张三")
	find("the clerk")
	if n := read(t, b, "count reveal buttons", chromedp.Evaluate[int](`document.querySelectorAll('.reveal-btn').length`)); n != 0 {
		t.Fatalf("a clerk sees %d buttons to reveal the phone", n)
	}
	b.step(t, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-form")))

	loginScreen(t, b, base, "s01", "9999", "李主管")
	b.step(t, "the supervisor's today list has the button too",
		waitJS(fmt.Sprintf(`document.querySelector('#scan-list [data-waybill=%q] .reveal-btn') !== null`, wb)))
	find("the supervisor")
	page := read(t, b, "read the page", chromedp.Text(chromedp.ID("pickup-selected")))
	if strings.Contains(page, phone) {
		t.Fatalf("the full phone shows before the supervisor asked:\n%s", page)
	}
	b.step(t, "reveal the phone",
		chromedp.Click(chromedp.CSS(`#pickup-selected .reveal-btn`)),
		waitJS(fmt.Sprintf(`(document.querySelector('#pickup-selected .revealed') || {}).innerText === %q`, phone)),
		waitJS(`(document.querySelector('#pickup-selected .reveal-audit') || {innerText: ''}).innerText.includes('已记录本次查看')`),
		waitJS(`document.querySelector('#pickup-selected .reveal-audit').innerText.includes('s01')`))
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		types := c.hubSubjectTypes(t, outlet, "parcel/"+wb)
		return types[lifecycle.PersonalViewed], fmt.Sprintf("the hub has no %s event for parcel/%s: %v", lifecycle.PersonalViewed, wb, types)
	})
	b.checkNoExceptions(t)
}
