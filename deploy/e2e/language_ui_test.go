package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/sim"
	"github.com/yizhan/yizhan/devices/scale"
	"github.com/yizhan/yizhan/devices/scanner"
	"github.com/yizhan/yizhan/devices/scanner/tcp"
)

// otherLanguageJS lists what the page shows in the other language than its
// own (<html lang>): on the English screen any Chinese character, on the
// Chinese screen any English word that is not an id, a code or a unit. It
// reads what a clerk can see: visible text, the chosen option of a drop-down,
// placeholders, tooltips and labels for screen readers, and the tab's title.
// Words somebody wrote (a notice, a complaint, a name, a note) are shown as
// written whatever the language, and the screen marks them data-written; the
// language button names the other language on purpose.
const otherLanguageJS = `(() => {
  const zh = document.documentElement.lang.startsWith('zh');
  const CJK = /[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]/;
  // On the Chinese screen these stay as they are: units, and names of
  // things that Chinese text writes in Latin letters too.
  const ALLOW = new Set(['kg', 'g', 'cm', 'ml', 'Wh', 'App', 'ID', 'PIN', 'JPEG', 'PNG', 'USB', 'IP', 'TCP', 'CUPS', 'PAUSE', 'Yizhan']);
  const out = [];
  const skipped = (el) => !el || el.closest('[data-written], script, style, #lang');
  const seen = (el) => el.checkVisibility({ checkVisibilityCSS: true, checkOpacity: true });
  const where = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const check = (text, el) => {
    text = String(text).replace(/\s+/g, ' ').trim();
    if (!text) return;
    if (!zh) {
      if (CJK.test(text)) out.push(where(el) + ': ' + text);
      return;
    }
    // ASCII runs with a digit are ids, codes and amounts (RB123456785GB,
    // K-21, 3-2-0042, 12:30); the rest must be allowed words.
    for (const run of text.match(/[A-Za-z0-9][A-Za-z0-9_.:\-\/@'’]*/g) || []) {
      if (/[0-9]/.test(run)) continue;
      for (const w of run.match(/[A-Za-z]+/g) || []) {
        if (!ALLOW.has(w)) { out.push(where(el) + ': ' + text); return; }
      }
    }
  };
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    if (skipped(el)) continue;
    if (el.tagName === 'OPTION') {
      const sel = el.closest('select');
      if (!el.selected || !sel || !seen(sel)) continue;
    } else if (el.tagName === 'DATALIST' || el.closest('datalist') || !seen(el)) continue;
    check(n.data, el);
  }
  for (const el of document.body.querySelectorAll('[placeholder], [title], [aria-label]')) {
    if (skipped(el) || !seen(el)) continue;
    for (const a of ['placeholder', 'title', 'aria-label']) if (el.hasAttribute(a)) check(el.getAttribute(a), el);
  }
  check(document.title, document.body);
  return out;
})()`

// wrappedTagsJS lists the visible tags (a state, a count) that take more
// than one line or are cut off: a tag is a word or two and must read at a
// glance.
const wrappedTagsJS = `[...document.querySelectorAll('#page .tag, #notice-banner .tag')]
  .filter((el) => el.checkVisibility({ checkVisibilityCSS: true }))
  .filter((el) => el.getClientRects().length > 1 || el.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(el).fontSize) + 8 || el.scrollWidth > el.clientWidth + 1)
  .map((el) => el.innerText)`

// TestOneLanguageAtATime walks every page of the counter screen, with
// something on each (parcels, a device in trouble and a scanner read, an API
// refusal, a pickup search, a closed handover and its exceptions, an open
// one to sign, a dispatch, a
// returned parcel, a sending quote, an exception, a complaint with its
// countdowns and reply templates, a notice), first in Chinese and then in
// English, and fails on any visible string of the other language. It first
// proves the check can fail: a word of the other language put on the page
// is found, the same word marked as written by somebody is not.
func TestOneLanguageAtATime(t *testing.T) {
	const outlet = "UI3"
	c := newCluster(t, "embedded", outlet)
	c.startHub()
	a := c.newAgent(outlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	dev := startLanguageDevices(t)
	c.startAgent(a, "--pii-key-file", writePIIKey(t), "--config", dev.config)
	base := "http://" + a.http + "/"
	checkScreenServed(t, base)
	agentAPI, hubAPI := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"

	// Head office: a notice, reply templates, a manifest, a tariff, a
	// prohibited-items list and waybill numbers, all written in Chinese as
	// head office writes them.
	noticeID := c.publishNotice(t)
	c.publishDown(t, "template.published", "TPL-DELAY-1", map[string]any{
		"title": "延误致歉", "category": "delay", "keywords": []string{"晚到", "延误"},
		"text": "您好，非常抱歉包裹延误。我们已联系承运方核实原因，将在 24 小时内回复您处理结果。"})
	manifest := []string{"73400000000011", "73400000000022", "73400000000033"}
	var m struct {
		ID string `json:"id"`
	}
	if code := call(t, "POST", hubAPI+"/manifests", apiToken, map[string]any{"outlet": outlet, "courier": "K-31", "line": "沪西三线",
		"expected_at": time.Now().Add(time.Hour).Format(time.RFC3339), "waybills": manifest}, &m); code != 201 {
		t.Fatalf("publish manifest: HTTP %d", code)
	}
	var m2 struct {
		ID string `json:"id"`
	}
	if code := call(t, "POST", hubAPI+"/manifests", apiToken, map[string]any{"outlet": outlet, "courier": "K-32", "line": "沪西四线",
		"expected_at": time.Now().Add(2 * time.Hour).Format(time.RFC3339), "waybills": []string{"73400000000044"}}, &m2); code != 201 {
		t.Fatalf("publish manifest: HTTP %d", code)
	}
	tariff := map[string]any{"version": "T-2026-12", "zones": map[string]string{"310000": "local", "320000": "near"},
		"rates": map[string]any{
			"local": map[string]int{"first_grams": 1000, "first_fen": 800, "step_grams": 1000, "step_fen": 200},
			"near":  map[string]int{"first_grams": 1000, "first_fen": 1000, "step_grams": 1000, "step_fen": 400}},
		"volumetric_divisor": 8000, "max_weight_grams": 50000, "insurance": map[string]int{"rate_bp": 100, "min_fen": 100}}
	if code := call(t, "POST", hubAPI+"/tariffs", apiToken, tariff, nil); code != 201 {
		t.Fatalf("publish tariff: HTTP %d", code)
	}
	if code := call(t, "POST", hubAPI+"/prohibited-lists", apiToken, map[string]any{"version": "P-2026-12", "items": []map[string]string{
		{"code": "B01", "name": "易燃易爆物品", "rule": "forbidden"},
		{"code": "R01", "name": "锂电池", "rule": "restricted", "note": "≤100Wh，须装在设备内"}}}, nil); code != 201 {
		t.Fatalf("publish prohibited-items list: HTTP %d", code)
	}
	if code := call(t, "POST", hubAPI+"/outlets/"+outlet+"/waybill-blocks", apiToken, map[string]any{"count": 100}, nil); code != 201 {
		t.Fatalf("allocate a waybill block: HTTP %d", code)
	}

	tok := staffLogin(t, agentAPI, "c01", "1234")
	post := func(path string, body any, want int) {
		t.Helper()
		var out json.RawMessage
		if code := call(t, "POST", agentAPI+path, tok, body, &out); code != want {
			t.Fatalf("POST %s: HTTP %d, want %d: %s", path, code, want, out)
		}
	}
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		var cat struct {
			Tariff     *struct{ Version string }
			Prohibited *struct{ Version string }
			Waybills   *struct{ Remaining int }
		}
		var ns struct{ Notices []struct{ ID string } }
		okM := call(t, "GET", agentAPI+"/manifests/"+m.ID, tok, nil, nil) == 200 && call(t, "GET", agentAPI+"/manifests/"+m2.ID, tok, nil, nil) == 200
		call(t, "GET", agentAPI+"/sending/catalog", tok, nil, &cat)
		call(t, "GET", agentAPI+"/notices?active=1", tok, nil, &ns)
		ok := okM && cat.Tariff != nil && cat.Prohibited != nil && cat.Waybills != nil && len(ns.Notices) > 0
		return ok, "head office's manifests, tariff, list, waybill block and notice are not all at the outlet yet"
	})

	// The counter's own records, through the agent's API.
	stock := []string{"73500000000011", "73500000000022", "73500000000033", "73500000000044", "73500000000055"}
	for i, w := range stock {
		post("/parcels/inbound", map[string]any{"barcode": w, "phone": fmt.Sprintf("1380000%04d", 5600+i), "name": "王小明", "shelf": "4", "layer": "1"}, 201)
	}
	post("/exceptions", map[string]any{"waybill": stock[0], "kind": "damaged", "note": "外箱一角压扁，内件待查"}, 201)
	post("/incidents", map[string]any{"occurred_at": time.Now().Add(-time.Hour).UnixMilli(), "cause": "power", "parcels": 12, "delay_hours": 3,
		"text": "片区停电，扫描枪无法充电。"}, 201)
	post("/complaints", map[string]any{"channel": "counter", "type": "complaint", "category": "delay", "severity": "major",
		"customer_phone": "13600002468", "customer_name": "李四", "waybill": stock[1], "text": "包裹比承诺晚到三天，希望说明原因。", "notice_id": noticeID}, 201)
	var ho struct {
		Handover struct {
			ID string `json:"id"`
		} `json:"handover"`
	}
	if code := call(t, "POST", agentAPI+"/handovers", tok, map[string]any{"courier": "王师傅", "manifests": []string{m.ID}}, &ho); code != 201 {
		t.Fatalf("open a handover: HTTP %d", code)
	}
	for _, w := range []string{manifest[0], manifest[1], "73400000000099"} {
		post("/handovers/"+ho.Handover.ID+"/scans", map[string]any{"barcode": w}, 200)
	}
	post("/handovers/"+ho.Handover.ID+"/close", map[string]any{
		"courier": map[string]any{"signer": "王师傅", "confirmation": "王师傅确认交接"},
		"clerk":   map[string]any{"confirmation": "c01 确认交接"}}, 200)
	// A second handover stays open, half scanned.
	var open struct {
		Handover struct {
			ID string `json:"id"`
		} `json:"handover"`
	}
	if code := call(t, "POST", agentAPI+"/handovers", tok, map[string]any{"courier": "李师傅", "manifests": []string{m2.ID}}, &open); code != 201 {
		t.Fatalf("open a second handover: HTTP %d", code)
	}
	post("/handovers/"+open.Handover.ID+"/scans", map[string]any{"barcode": "73400000000077"}, 200)
	post("/dispatches", map[string]any{"courier": "K-41", "courier_name": "王师傅", "waybills": []string{stock[2], stock[3]},
		"signature": map[string]any{"signer": "王师傅", "confirmation": "王师傅 确认领取"}}, 201)
	post("/parcels/"+stock[3]+"/undelivered", map[string]any{"reason": "recipient_absent", "disposition": "return", "note": "两次联系不上"}, 200)

	b := newBrowser(t)
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	otherLanguage := func(what string) []string {
		return read(t, b, "look for the other language on "+what, chromedp.Evaluate[[]string](otherLanguageJS))
	}
	checkPage := func(lang, what string) {
		t.Helper()
		b.step(t, "fonts on "+what, waitJS(`document.fonts.status === 'loaded'`))
		if bad := otherLanguage(what); len(bad) > 0 {
			t.Errorf("%s screen, %s: %d strings in the other language:\n  %s", lang, what, len(bad), strings.Join(bad, "\n  "))
		}
		if wrapped := read(t, b, "look for wrapped tags on "+what, chromedp.Evaluate[[]string](wrappedTagsJS)); len(wrapped) > 0 {
			t.Errorf("%s screen, %s: tags wrap or are cut off: %q", lang, what, wrapped)
		}
	}

	b.step(t, "open the login page in Chinese",
		chromedp.Navigate(base),
		runJS(`localStorage.setItem('yz.lang', 'zh')`),
		chromedp.Reload(),
		chromedp.WaitVisible(id("login-form")),
		waitJS(`document.documentElement.lang === 'zh-CN'`),
		waitJS(`document.querySelector('#sync').innerText.trim() !== ''`))

	// The check finds a word of the other language, and leaves alone the
	// same word marked as somebody's writing.
	proveCheck := func(lang, foreign string) {
		t.Helper()
		b.step(t, "put a "+lang+" screen's foreign word on the page",
			runJS(fmt.Sprintf(`{ document.querySelector('#page').append(Object.assign(document.createElement('span'), {id: 'yz-probe', textContent: %q}));
				const w = Object.assign(document.createElement('span'), {id: 'yz-probe-written', textContent: %q}); w.dataset.written = '';
				document.querySelector('#page').append(w); }`, foreign, foreign)))
		bad := otherLanguage("the probe")
		if len(bad) != 1 || !strings.Contains(bad[0], "#yz-probe:") || !strings.Contains(bad[0], foreign) {
			t.Fatalf("%s screen: the check found %q, want exactly the probe %q", lang, bad, foreign)
		}
		b.step(t, "take the probe away", runJS(`document.querySelector('#yz-probe').remove(); document.querySelector('#yz-probe-written').remove()`))
	}
	proveCheck("Chinese", "printer ready")
	checkPage("Chinese", "the login page")

	b.step(t, "log in",
		chromedp.SendKeys(id("login-staff"), "c01"),
		chromedp.SendKeys(id("login-pin"), "1234"),
		pressEnter(),
		chromedp.WaitVisible(id("scan-barcode")))

	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		return dev.scanner.Clients() > 0, "the agent has not connected to the line scanner"
	})
	if err := dev.scanner.Scan("", "73500000000066"); err != nil {
		t.Fatal(err)
	}
	if err := dev.scanner.Scan("", "12"); err != nil { // too short for a waybill: rejected
		t.Fatal(err)
	}
	dev.scale.Set(1234)

	walk := func(lang string) {
		b.step(t, lang+": scan-in with today's parcels, the devices and the reads",
			chromedp.Click(id("nav-scan")),
			waitJS(fmt.Sprintf(`document.querySelectorAll('#scan-list [data-waybill]').length === %d`, len(stock)-2)),
			waitJS(`document.querySelectorAll('#scan-devices .dev').length === 4`),
			waitJS(`!!document.querySelector('#scan-devices .dev-fault')`),
			waitJS(`document.querySelectorAll('#scan-reads .read').length >= 2`),
			waitJS(`!document.querySelector('#notice-banner').hidden`))
		checkPage(lang, "scan-in")
		b.step(t, lang+": an API refusal in the banner",
			focusedIs("scan-barcode"),
			typeFocused(stock[0]), pressEnter(),
			focusedIs("scan-phone"),
			typeFocused("13800005600"), pressEnter(),
			chromedp.WaitVisible(id("error-banner")),
			waitJS(`document.querySelector('#error-text').innerText.length > 0`))
		checkPage(lang, "scan-in with a refusal")
		b.step(t, lang+": close the refusal", chromedp.Click(id("error-close")), chromedp.WaitNotVisible(id("error-banner")),
			runJS(`document.querySelector('#scan-phone').value = ''`))

		find := []chromedp.Action[chromedp.Void]{
			chromedp.Click(id("nav-pickup")),
			chromedp.WaitVisible(id("pickup-phone4")),
			chromedp.SendKeys(id("pickup-phone4"), "5604"),
			chromedp.Click(id("pickup-search")),
			waitJS(fmt.Sprintf(`document.querySelector('#pickup-selected').innerText.includes(%q)`, stock[4]))}
		// The page may be drawn again (a downlink arriving) between typing
		// and the search, as a clerk would see an empty form and search
		// again: once more before it counts.
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		if err := chromedp.Do(ctx, find...); err != nil {
			t.Logf("%s: the first search did not select the parcel (%v); searching again", lang, err)
			b.step(t, lang+": pickup, found by the phone's last four digits", find...)
		}
		cancel()
		checkPage(lang, "pickup")

		b.step(t, lang+": the handover list",
			chromedp.Click(id("nav-handover")),
			waitJS(fmt.Sprintf(`!!document.querySelector('[data-manifest=%q]')`, m2.ID)),
			waitJS(fmt.Sprintf(`!!document.querySelector('#ho-sessions [data-id=%q]')`, ho.Handover.ID)))
		checkPage(lang, "handover")
		b.step(t, lang+": a closed handover and its exceptions",
			chromedp.Click(css(fmt.Sprintf(`[data-resume=%q]`, ho.Handover.ID))),
			waitJS(`document.querySelectorAll('#ho-exception-list [data-kind]').length === 2`))
		checkPage(lang, "a closed handover")
		b.step(t, lang+": an open handover, to be signed",
			chromedp.Click(id("ho-back")),
			waitJS(fmt.Sprintf(`!!document.querySelector('[data-resume=%q]')`, open.Handover.ID)),
			chromedp.Click(css(fmt.Sprintf(`[data-resume=%q]`, open.Handover.ID))),
			waitJS(`document.querySelector('#count-extra') && document.querySelector('#count-extra').innerText === '1'`),
			chromedp.WaitVisible(id("ho-sign")))
		checkPage(lang, "an open handover")

		b.step(t, lang+": dispatch with today's batch",
			chromedp.Click(id("nav-dispatch")),
			waitJS(fmt.Sprintf(`!!document.querySelector('[data-waybill=%q] .dstate-returned')`, stock[3])))
		checkPage(lang, "dispatch")

		b.step(t, lang+": returns, a parcel out for delivery chosen",
			chromedp.Click(id("nav-returns")),
			focusedIs("ret-scan"),
			typeFocused(stock[2]), pressEnter(),
			waitJS(fmt.Sprintf(`document.querySelector('#ret-selected').innerText.includes(%q)`, stock[2])))
		checkPage(lang, "returns")

		b.step(t, lang+": sending with a quote",
			chromedp.Click(id("nav-sending")),
			waitJS(`document.querySelectorAll('#send-prohibited [data-code]').length === 2`),
			waitJS(`document.querySelector('#send-advice').innerText.trim() !== ''`),
			waitJS(`!!document.querySelector('#send-scales [data-scale]')`),
			chromedp.SendKeys(id("send-dest"), "320000"),
			chromedp.SendKeys(id("send-weight"), "2.5"),
			chromedp.Click(css(`#page [data-name="item_type"] [data-value="electronics"]`)),
			chromedp.Click(id("send-insured")),
			chromedp.SendKeys(id("send-declared"), "300"),
			chromedp.Click(id("send-quote")),
			waitJS(`document.querySelectorAll('#send-quote-box .quote-lines tr').length === 3`))
		checkPage(lang, "sending")
		b.step(t, lang+": an item of head office's list is in the parcel",
			chromedp.Click(css(`[data-present="R01"]`)),
			chromedp.WaitVisible(id("send-blocked")))
		checkPage(lang, "sending, refused for an item")
		b.step(t, lang+": the item is not in the parcel after all",
			chromedp.Click(css(`[data-absent="R01"]`)),
			chromedp.WaitNotVisible(id("send-blocked")))

		b.step(t, lang+": exceptions, with a step's form open",
			chromedp.Click(id("nav-exceptions")),
			waitJS(`document.querySelectorAll('#exc-list .card').length >= 1`),
			chromedp.Click(css(`#exc-list [data-step="start_handling"]`)),
			chromedp.WaitVisible(css(`#exc-list [data-go="start_handling"]`)))
		checkPage(lang, "exceptions")

		b.step(t, lang+": complaints, with countdowns and the templates",
			chromedp.Click(id("nav-complaints")),
			waitJS(`document.querySelectorAll('#cmp-list .card').length === 1`),
			waitJS(`/\d\d:\d\d:\d\d/.test(document.querySelector('#cmp-list .countdown').innerText)`),
			chromedp.Click(css(`#cmp-list [data-step="acknowledge"]`)),
			waitJS(`document.querySelector('#cmp-list .templates').innerText.includes('延误致歉')`))
		checkPage(lang, "complaints")

		b.step(t, lang+": incident reports, with a note's form open",
			chromedp.Click(id("nav-incidents")),
			waitJS(`document.querySelectorAll('#inc-list .card').length === 1`),
			chromedp.Click(css(`#inc-list [data-step="note"]`)),
			chromedp.WaitVisible(css(`#inc-list [data-go="note"]`)))
		checkPage(lang, "incidents")

		b.step(t, lang+": notices",
			chromedp.Click(id("nav-notices")),
			waitJS(fmt.Sprintf(`!!document.querySelector('[data-ack=%q]')`, noticeID)))
		checkPage(lang, "notices")
	}
	walk("Chinese")

	b.step(t, "switch to English",
		chromedp.Click(id("lang")),
		waitJS(`document.documentElement.lang === 'en'`))
	proveCheck("English", "打印机正常")
	walk("English")
	// English dates are month first with the month's name, never 02/12.
	valid := read(t, b, "read a notice's dates", chromedp.Text(css(fmt.Sprintf(`[data-id=%q] .card-head`, noticeID))))
	if !regexp.MustCompile(`[A-Z][a-z]{2} \d{1,2}, \d\d:\d\d`).MatchString(valid) || regexp.MustCompile(`\d\d/\d\d`).MatchString(valid) {
		t.Errorf("English notice dates read %q, want month first with its name (Dec 2, 14:30)", valid)
	}
	b.step(t, "log out in English", chromedp.Click(id("logout")), chromedp.WaitVisible(id("login-form")))
	checkPage("English", "the login page")
	b.checkNoExceptions(t)
}

// languageDevices are a line scanner, a label printer, a receipt printer out
// of paper and a counter scale, so the device line has each kind and one in
// trouble.
type languageDevices struct {
	scanner *tcp.Simulator
	scale   *scale.Simulator
	config  string
}

func startLanguageDevices(t *testing.T) languageDevices {
	t.Helper()
	dir := t.TempDir()
	sc, err := tcp.NewSimulator("127.0.0.1:0", scanner.Framing{Suffix: scanner.SuffixCR})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	labels, err := sim.Start("127.0.0.1:0", "tspl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { labels.Close() })
	receipts, err := sim.Start("127.0.0.1:0", "tspl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { receipts.Close() })
	receipts.SetFaults(printer.PaperOut)
	link := filepath.Join(dir, "scale")
	sl, err := scale.NewSimulator(link, scale.SimConfig{Protocol: scale.FormatSTGS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sl.Close() })
	sl.Set(0)
	cfg := fmt.Sprintf(`{"devices": {"scanners": [{"name": "line-1", "driver": "tcp", "config": {"address": %q, "framing": {"suffix": "cr"}}}],
  "printers": [{"name": "labels-1", "driver": "tspl", "address": %q, "width_mm": 76, "height_mm": 130},
               {"name": "receipts-1", "driver": "tspl", "address": %q}],
  "scales": [{"name": "scale-1", "driver": "serial-scale", "config": {"path": %q, "protocol": "st-gs"}}],
  "label_printer": "labels-1", "receipt_printer": "receipts-1"}}`, sc.Addr(), labels.URL(), receipts.URL(), link)
	path := filepath.Join(dir, "agent.json")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return languageDevices{scanner: sc, scale: sl, config: path}
}
