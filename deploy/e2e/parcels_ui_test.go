package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// parcelScreen starts a hub and one outlet with a clerk, opens the counter
// screen in headless chromium and logs in. config is the agent's devices
// file, or "" for none.
func parcelScreen(t *testing.T, outlet, config string) (*cluster, *agent, *browser) {
	t.Helper()
	c := newCluster(t, "embedded", outlet)
	c.startHub()
	a := c.newAgent(outlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	args := []string{"--pii-key-file", writePIIKey(t)}
	if config != "" {
		args = append(args, "--config", config)
	}
	c.startAgent(a, args...)
	base := "http://" + a.http + "/"
	checkScreenServed(t, base)
	b := newBrowser(t)
	b.step(t, "log in",
		chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("login-staff"), "c01"),
		chromedp.SendKeys(chromedp.ID("login-pin"), "1234"), pressEnter(),
		chromedp.WaitVisible(chromedp.ID("scan-barcode")))
	return c, a, b
}

// jsText is the innerText of the element sel, empty when there is none.
func jsText(sel string) string {
	return fmt.Sprintf(`(document.querySelector(%q) || {innerText: ''}).innerText`, sel)
}

// fillShelve types a place into the shelve form under sel and sends it.
func fillShelve(sel, shelf, layer string) chromedp.Action[chromedp.Void] {
	return runJS(fmt.Sprintf(`(() => {
		const f = document.querySelector(%q);
		f.querySelector('.shelve-shelf').value = %q;
		f.querySelector('.shelve-layer').value = %q;
		f.querySelector('.shelve-go').click();
	})()`, sel, shelf, layer))
}

// TestUnshelvedParcelsOnScreen: a parcel checked in without a shelf is
// never stuck on the screen. The button says it only checks in; the result
// says it is not shelved and offers the shelf; the side lists it; scanning
// it again names it as unshelved (not "in stock, pickup code <empty>") and
// offers the shelf; the pickup page finds it by the phone's last four and
// shelves it before the hand-over; and a shelved parcel moves to another
// shelf with a new code.
func TestUnshelvedParcelsOnScreen(t *testing.T) {
	_, _, b := parcelScreen(t, "UP1", "")
	shots := newShots(t)
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	const wb1, phone1 = "73400000000011", "13800002468"
	const wb2, phone2 = "73400000000022", "13900003579"

	b.step(t, "with no shelf the button says it only checks in",
		runJS(`for (const s of ['#scan-shelf', '#scan-layer']) { const el = document.querySelector(s); el.value = ''; el.dispatchEvent(new Event('input')); }`),
		waitJS(jsText("#scan-submit")+` === '仅入库（稍后上架）'`))
	for _, p := range [][2]string{{wb1, phone1}, {wb2, phone2}} {
		b.step(t, "check in "+p[0]+" with no shelf",
			chromedp.Click(id("scan-barcode")),
			focusedIs("scan-barcode"),
			typeFocused(p[0]), pressEnter(),
			focusedIs("scan-phone"),
			typeFocused(p[1]), pressEnter(),
			waitJS(jsText("#scan-unshelved-card")+fmt.Sprintf(`.includes(%q)`, p[0])),
			waitJS(jsText("#scan-unshelved-card")+`.includes('已入库，未上架')`),
			waitJS(`!!document.querySelector('#scan-unshelved-card [data-shelve] .shelve-go')`))
	}
	b.step(t, "the side lists both as not shelved",
		waitJS(jsText("#scan-unshelved-title")+` === '未上架 2 件'`),
		waitJS(fmt.Sprintf(`!!document.querySelector('#scan-unshelved [data-waybill=%q] [data-shelve-open]')`, wb1)),
		waitJS(fmt.Sprintf(`!!document.querySelector('#scan-unshelved [data-waybill=%q] [data-shelve-open]')`, wb2)))

	// Scanning it again with a shelf names it as unshelved and offers that
	// very shelf.
	b.step(t, "scan "+wb1+" again with a shelf",
		chromedp.SendKeys(id("scan-shelf"), "4"),
		chromedp.SendKeys(id("scan-layer"), "1"),
		waitJS(jsText("#scan-submit")+` === '入库上架'`),
		chromedp.Click(id("scan-barcode")),
		typeFocused(wb1), pressEnter(),
		focusedIs("scan-phone"),
		typeFocused(phone1), pressEnter(),
		chromedp.WaitVisible(id("error-banner")),
		waitJS(jsText("#error-text")+fmt.Sprintf(` === '运单 %s 已入库但未上架，请上架'`, wb1)),
		waitJS(jsText("#scan-unshelved-card")+`.includes('此前已入库，尚未上架')`),
		waitJS(`document.querySelector('#scan-unshelved-card .shelve-shelf').value === '4'`),
		waitJS(`document.querySelector('#scan-unshelved-card .shelve-layer').value === '1'`),
		waitJS(`document.querySelector('#scan-barcode').value === '' && document.querySelector('#scan-phone').value === ''`))
	if msg := read(t, b, "read the error", chromedp.Evaluate[string](jsText("#error-text"))); strings.Contains(msg, "取件码") {
		t.Fatalf("an unshelved parcel scanned again names a pickup code: %q", msg)
	}
	shots.take(t, b, "scan-unshelved")

	// Shelve wb2 from the side list.
	b.step(t, "shelve "+wb2+" from the list",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#scan-unshelved [data-waybill=%q] [data-shelve-open]`, wb2))),
		waitJS(fmt.Sprintf(`!!document.querySelector('#scan-unshelved [data-shelve=%q]')`, wb2)),
		fillShelve(fmt.Sprintf(`#scan-unshelved [data-shelve=%q]`, wb2), "4", "2"),
		waitJS(jsText("#scan-code")+`.startsWith('4-2-')`),
		waitJS(jsText("#scan-unshelved-title")+` === '未上架 1 件'`),
		waitJS(fmt.Sprintf(`!!document.querySelector('#scan-list [data-waybill=%q]')`, wb2)))

	// Pickup by the phone's last four finds wb1, says why it cannot be handed
	// over yet, and shelves it there.
	b.step(t, "find "+wb1+" by the phone's last four",
		chromedp.Click(id("nav-pickup")),
		chromedp.WaitVisible(id("pickup-phone4")),
		chromedp.SendKeys(id("pickup-phone4"), phone1[len(phone1)-4:]),
		chromedp.Click(id("pickup-search")),
		waitJS(fmt.Sprintf(`!!document.querySelector('#pickup-results [data-waybill=%q]')`, wb1)),
		waitJS(jsText("#pickup-unshelved")+`.includes('未上架，没有取件码：先上架再取件')`),
		waitJS(`document.querySelector('#pickup-confirm').disabled`),
		waitJS(`!`+jsText("#pickup-selected")+`.includes('null')`))
	shots.take(t, b, "pickup-unshelved")
	b.step(t, "shelve it at the pickup counter",
		fillShelve("#pickup-unshelved [data-shelve]", "4", "3"),
		waitJS(jsText("#pickup-selected")+`.includes('4-3-')`),
		waitJS(`!document.querySelector('#pickup-unshelved')`),
		waitJS(`!document.querySelector('#pickup-confirm').disabled`),
		waitJS(`!!document.querySelector('#pickup-move') && !`+jsText("#pickup-selected")+`.includes('null')`),
		waitJS(fmt.Sprintf(`(document.querySelector('#pickup-results [data-waybill=%q]') || {innerText: ''}).innerText.includes('4-3-')`, wb1)))

	// Back on scan-in nothing is left unshelved, and a shelved parcel moves.
	b.step(t, "nothing is left unshelved",
		chromedp.Click(id("nav-scan")),
		chromedp.WaitVisible(id("scan-barcode")),
		waitJS(jsText("#scan-unshelved-title")+` === '未上架 0 件'`),
		waitJS(fmt.Sprintf(`!!document.querySelector('#scan-list [data-waybill=%q] [data-shelve-open]')`, wb1)))
	b.step(t, "move "+wb1+" to another shelf",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#scan-list [data-waybill=%q] [data-shelve-open]`, wb1))),
		waitJS(jsText(fmt.Sprintf(`#scan-list [data-waybill=%q] [data-shelve-open]`, wb1))+` === '换架'`),
		fillShelve(fmt.Sprintf(`#scan-list [data-shelve=%q]`, wb1), "5", "2"),
		waitJS(jsText("#scan-code")+`.startsWith('5-2-')`),
		waitJS(fmt.Sprintf(`(document.querySelector('#scan-list [data-waybill=%q]') || {innerText: ''}).innerText.includes('5-2-')`, wb1)))
	b.checkNoExceptions(t)
}

// TestHandoverNamesManifests: the handover page names head office's
// manifests by courier, line and expected time, and shows the id only
// small and short, both when choosing one and at the head of the session.
func TestHandoverNamesManifests(t *testing.T) {
	const outlet = "UP2"
	c, a, b := parcelScreen(t, outlet, "")
	shots := newShots(t)
	agentAPI, hubAPI := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"
	var m struct {
		ID string `json:"id"`
	}
	if code := call(t, "POST", hubAPI+"/manifests", apiToken, map[string]any{"outlet": outlet, "courier": "K-31", "line": "沪东一线",
		"expected_at": time.Now().Add(time.Hour).Format(time.RFC3339), "waybills": []string{"73500000000011", "73500000000022"}}, &m); code != 201 || m.ID == "" {
		t.Fatalf("publish manifest: HTTP %d %+v", code, m)
	}
	login := staffLogin(t, agentAPI, "c01", "1234")
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		return call(t, "GET", agentAPI+"/manifests/"+m.ID, login, nil, nil) == 200, "head office's manifest is not at the outlet"
	})
	tail := m.ID[len(m.ID)-8:]
	item := fmt.Sprintf(`document.querySelector('[data-manifest=%q]').closest('li')`, m.ID)
	b.step(t, "the manifest to choose is named by courier, line and time",
		chromedp.Click(chromedp.ID("nav-handover")),
		waitJS(fmt.Sprintf(`!!document.querySelector('[data-manifest=%q]')`, m.ID)),
		waitJS(item+`.querySelector('.item-main').innerText === 'K-31 · 沪东一线'`),
		waitJS(item+`.innerText.includes('预计 ')`),
		waitJS(item+fmt.Sprintf(`.querySelector('.manifest-id').innerText === '…%s'`, tail)))
	if txt := read(t, b, "read the manifest's row", chromedp.Evaluate[string](item+`.innerText`)); strings.Contains(txt, m.ID) {
		t.Fatalf("the manifest's row shows its whole id %s:\n%s", m.ID, txt)
	}
	shots.take(t, b, "handover-manifests")
	b.step(t, "open a handover against it",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-manifest=%q]`, m.ID))),
		waitJS(`document.querySelector('#ho-courier').value === 'K-31'`),
		chromedp.Click(chromedp.ID("ho-open")),
		focusedIs("ho-scan"),
		waitJS(jsText("#ho-manifest-heads")+`.includes('清单：K-31 · 沪东一线 · 预计 ')`),
		waitJS(jsText("#ho-manifest-heads .manifest-id")+fmt.Sprintf(` === '…%s'`, tail)))
	if txt := read(t, b, "read the session's head", chromedp.Evaluate[string](jsText("#ho-head"))); strings.Contains(txt, m.ID) {
		t.Fatalf("the handover's head shows the manifest's whole id %s:\n%s", m.ID, txt)
	}
	shots.take(t, b, "handover-session-head")
	b.checkNoExceptions(t)
}

// TestScannerReadsBecomeCheckIns: the live reads say a read is recorded,
// not a check-in; the parcels the line scanner read are listed as scanned,
// not checked in; and typing their phones checks a run of them in at one
// place with one button, leaving the one without a phone for later.
func TestScannerReadsBecomeCheckIns(t *testing.T) {
	dev := startCounterDevices(t)
	_, _, b := parcelScreen(t, "UP3", dev.config)
	shots := newShots(t)
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		return dev.scanner.Clients() > 0, "the agent has not connected to the line scanner"
	})
	reads := []string{"73600000000011", "73600000000022", "73600000000033"}
	for _, w := range reads {
		if err := dev.scanner.Scan("", w); err != nil {
			t.Fatal(err)
		}
	}
	b.step(t, "the reads say they are records, not check-ins",
		waitJS(fmt.Sprintf(`document.querySelector('#scan-reads').innerText.includes(%q)`, reads[2])),
		waitJS(`[...document.querySelectorAll('#scan-reads .tag')].every((e) => e.innerText === '已记录（非入库）')`),
		waitJS(jsText("#scan-reads")+`.length > 0 && document.querySelector('#scan-reads').previousElementSibling.innerText === '每条读数只是扫码枪的一次记录，不是入库。'`),
		waitJS(jsText(".split .side")+`.includes('今日在库 0 件')`))
	b.step(t, "the scanned parcels are listed as not checked in",
		waitJS(jsText("#scan-pending-title")+` === '已扫描、未入库 3 件'`),
		waitJS(fmt.Sprintf(`%s.every((w) => !!document.querySelector('#scan-pending [data-phone-for="' + w + '"]'))`, jsArray(reads))),
		waitJS(`document.querySelector('#scan-batch').disabled`))
	shots.take(t, b, "scan-pending")
	// The list's order is the screen's; take the first two rows as shown.
	order := read(t, b, "read the list's order", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#scan-pending [data-phone-for]')].map((e) => e.dataset.phoneFor)`))
	if len(order) != 3 {
		t.Fatalf("pending list shows %v, want the 3 reads", order)
	}
	b.step(t, "type two phones, Enter moving down the list, and check both in at once",
		chromedp.SendKeys(id("scan-shelf"), "6"),
		chromedp.SendKeys(id("scan-layer"), "1"),
		runJS(fmt.Sprintf(`document.querySelector('#scan-pending [data-phone-for="%s"]').focus()`, order[0])),
		typeFocused("13800001357"), pressEnter(),
		waitJS(fmt.Sprintf(`document.activeElement === document.querySelector('#scan-pending [data-phone-for="%s"]')`, order[1])),
		typeFocused("13900002468"),
		waitJS(`!document.querySelector('#scan-batch').disabled`),
		chromedp.Click(chromedp.ID("scan-batch")),
		waitJS(jsText("#info-banner")+` === '已入库 2 件；1 件未填手机号，仍待入库'`),
		waitJS(jsText("#scan-pending-title")+` === '已扫描、未入库 1 件'`),
		waitJS(fmt.Sprintf(`!!document.querySelector('#scan-pending [data-phone-for="%s"]')`, order[2])),
		waitJS(jsText(".split .side")+`.includes('今日在库 2 件')`))
	for _, w := range order[:2] {
		b.step(t, w+" is in stock on shelf 6 layer 1",
			waitJS(fmt.Sprintf(`(document.querySelector('#scan-list [data-waybill=%q]') || {innerText: ''}).innerText.includes('6-1-')`, w)))
	}
	b.checkNoExceptions(t)
}

// jsArray writes strings as a JavaScript array literal.
func jsArray(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
