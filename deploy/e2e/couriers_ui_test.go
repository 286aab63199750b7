package e2e

import (
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
	"github.com/yizhan/yizhan/devices/printer/sim"
	"github.com/yizhan/yizhan/devices/scale"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// TestCourierScreens drives the handover, dispatch, returns and sending
// pages in headless chromium. Head office sends a manifest of three parcels,
// a tariff, a prohibited-items list and a block of waybill numbers; the
// courier hands over two of the three plus one not on the manifest and both
// sign; parcels go out in a signed batch and one comes back undelivered;
// a customer sends a parcel weighed on the simulated counter scale, and its
// waybill label prints. Then the hub must hold the handover, each of its two
// exceptions exactly once, and the shipment with the scale's weight.
// Screenshots as TestCounterScreen: `YZ_SCREENSHOTS=docs/screenshots`.
func TestCourierScreens(t *testing.T) {
	const outlet = "UI2"
	c := newCluster(t, "embedded", outlet)
	c.startHub()
	a := c.newAgent(outlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	dev := startSendingDevices(t)
	c.startAgent(a, "--pii-key-file", writePIIKey(t), "--config", dev.config)
	base := "http://" + a.http + "/"
	checkScreenServed(t, base)
	agentAPI, hubAPI := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"

	// Head office's side, through the hub's API.
	manifest := []string{"73200000000011", "73200000000022", "73200000000033"}
	const extra = "73200000000099"
	var m struct {
		ID string `json:"id"`
	}
	if code := call(t, "POST", hubAPI+"/manifests", apiToken, map[string]any{"outlet": outlet, "courier": "K-21", "line": "沪西二线",
		"expected_at": time.Now().Add(time.Hour).Format(time.RFC3339), "waybills": manifest}, &m); code != 201 || m.ID == "" {
		t.Fatalf("publish manifest: HTTP %d %+v", code, m)
	}
	tariff := map[string]any{"version": "T-2026-11", "zones": map[string]string{"310000": "local", "320000": "near", "440000": "far"},
		"rates": map[string]any{
			"local": map[string]int{"first_grams": 1000, "first_fen": 800, "step_grams": 1000, "step_fen": 200},
			"near":  map[string]int{"first_grams": 1000, "first_fen": 1000, "step_grams": 1000, "step_fen": 400},
			"far":   map[string]int{"first_grams": 1000, "first_fen": 1500, "step_grams": 1000, "step_fen": 800}},
		"volumetric_divisor": 8000, "max_weight_grams": 50000, "insurance": map[string]int{"rate_bp": 100, "min_fen": 100}}
	if code := call(t, "POST", hubAPI+"/tariffs", apiToken, tariff, nil); code != 201 {
		t.Fatalf("publish tariff: HTTP %d", code)
	}
	prohibited := map[string]any{"version": "P-2026-11", "items": []map[string]string{
		{"code": "B01", "name": "易燃易爆物品", "rule": "forbidden"},
		{"code": "B02", "name": "管制刀具", "rule": "forbidden"},
		{"code": "R01", "name": "锂电池", "rule": "restricted", "note": "≤100Wh，须装在设备内"}}}
	if code := call(t, "POST", hubAPI+"/prohibited-lists", apiToken, prohibited, nil); code != 201 {
		t.Fatalf("publish prohibited-items list: HTTP %d", code)
	}
	if code := call(t, "POST", hubAPI+"/outlets/"+outlet+"/waybill-blocks", apiToken, map[string]any{"count": 100}, nil); code != 201 {
		t.Fatalf("allocate a waybill block: HTTP %d", code)
	}

	// Wait until all of it reached the outlet, and put two parcels in stock
	// for the dispatch.
	tok := staffLogin(t, agentAPI, "c01", "1234")
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		var cat struct {
			Tariff     *struct{ Version string }
			Prohibited *struct{ Version string }
			Waybills   *struct{ Remaining int }
		}
		okM := call(t, "GET", agentAPI+"/manifests/"+m.ID, tok, nil, nil) == 200
		call(t, "GET", agentAPI+"/sending/catalog", tok, nil, &cat)
		ok := okM && cat.Tariff != nil && cat.Prohibited != nil && cat.Waybills != nil && cat.Waybills.Remaining > 0
		return ok, fmt.Sprintf("head office's manifest %v, tariff, list and waybill block not all at the outlet: %+v", okM, cat)
	})
	stock := []string{"73300000000011", "73300000000022"}
	for i, w := range stock {
		if code := call(t, "POST", agentAPI+"/parcels/inbound", tok, map[string]string{"barcode": w, "phone": fmt.Sprintf("1380000%04d", 1000+i), "shelf": "2", "layer": "1"}, nil); code != 201 {
			t.Fatalf("inbound %s: HTTP %d", w, code)
		}
	}

	shots := newShots(t)
	b := newBrowser(t)
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	count := func(name string, n int) chromedp.Action[chromedp.Void] {
		return waitJS(fmt.Sprintf(`(document.querySelector('#count-%s') || {innerText: ''}).innerText === '%d'`, name, n))
	}
	// Pads may sit below the fold of their panel; bring one into view
	// before drawing on it.
	draw := func(what, sel string) {
		b.step(t, what,
			runJS(fmt.Sprintf(`document.querySelector(%q).scrollIntoView({block: 'center'})`, sel)),
			drawStroke(sel, wave(30, 90, 200, 40, 4)),
			drawStroke(sel, [][2]float64{{260, 40}, {275, 90}, {290, 120}, {310, 70}, {330, 40}, {350, 110}}))
	}

	b.step(t, "log in",
		chromedp.Navigate(base),
		chromedp.WaitVisible(id("login-form")),
		chromedp.SendKeys(id("login-staff"), "c01"),
		chromedp.SendKeys(id("login-pin"), "1234"), pressEnter(),
		chromedp.WaitVisible(id("scan-barcode")))

	// Handover: choose head office's manifest, scan two of its three
	// parcels and one it does not list, then both sign and close.
	b.step(t, "open a handover against the manifest",
		chromedp.Click(id("nav-handover")),
		waitJS(fmt.Sprintf(`!!document.querySelector('[data-manifest=%q]')`, m.ID)),
		chromedp.Click(css(fmt.Sprintf(`[data-manifest=%q]`, m.ID))),
		waitJS(`document.querySelector('#ho-courier').value === 'K-21'`),
		chromedp.Click(id("ho-open")),
		focusedIs("ho-scan"),
		count("expected", 3), count("missing", 3))
	sessionHash := read(t, b, "read the session's address", chromedp.Evaluate[string](`location.hash`))
	for _, w := range []string{manifest[2], manifest[0], extra, manifest[0]} {
		b.step(t, "scan "+w, focusedIs("ho-scan"), typeFocused(w), pressEnter(),
			waitJS(fmt.Sprintf(`document.querySelector('#ho-last').innerText.includes(%q)`, w)))
	}
	b.step(t, "live counts", count("scanned", 3), count("missing", 1), count("extra", 1), count("duplicates", 1),
		waitJS(fmt.Sprintf(`document.querySelector('#ho-missing').innerText.includes(%q)`, manifest[1])),
		waitJS(fmt.Sprintf(`document.querySelector('#ho-extra').innerText.includes(%q)`, extra)))
	// A reload finds the open session again, from the list too.
	b.step(t, "the session survives a reload",
		chromedp.Reload(),
		count("scanned", 3), count("extra", 1),
		chromedp.Click(id("ho-back")),
		waitJS(fmt.Sprintf(`!!document.querySelector('#ho-sessions [data-resume][href=%q]')`, sessionHash)),
		chromedp.Click(css(fmt.Sprintf(`#ho-sessions [data-resume][href=%q]`, sessionHash))),
		count("scanned", 3),
		waitJS(`document.querySelector('#ho-courier-signer').value === 'K-21'`))
	draw("the courier signs", "#ho-sign-courier")
	draw("the clerk signs", "#ho-sign-clerk")
	b.step(t, "scroll back up", runJS(`document.querySelector('#ho-head').scrollIntoView()`), runJS(`document.querySelector('#ho-sign').scrollIntoView()`))
	shots.take(t, b, "handover")
	b.step(t, "close the handover",
		chromedp.Click(id("ho-close")),
		waitJS(`document.querySelectorAll('#ho-exception-list [data-kind]').length === 2`),
		waitJS(fmt.Sprintf(`document.querySelector('#ho-exception-list [data-kind="lost"]').innerText.includes(%q)`, manifest[1])),
		waitJS(fmt.Sprintf(`document.querySelector('#ho-exception-list [data-kind="mis_sorted"]').innerText.includes(%q)`, extra)),
		waitJS(`document.querySelector('#ho-state').innerText === '已结束'`))
	shots.take(t, b, "handover-closed")
	handover := strings.TrimPrefix(sessionHash, "#/handover?id=")

	// Dispatch: both parcels in stock go out with courier K-21.
	b.step(t, "open the dispatch page", chromedp.Click(id("nav-dispatch")), focusedIs("dsp-scan"))
	for _, w := range stock {
		b.step(t, "add "+w, focusedIs("dsp-scan"), typeFocused(w), pressEnter(),
			waitJS(fmt.Sprintf(`(document.querySelector('#dsp-batch [data-waybill=%q]') || {innerText: ''}).innerText.includes('2-1-')`, w)))
	}
	b.step(t, "name the courier", chromedp.SendKeys(id("dsp-courier"), "K-21"), chromedp.SendKeys(id("dsp-courier-name"), "王师傅"))
	draw("the courier signs for the batch", "#dsp-sign")
	shots.take(t, b, "dispatch")
	b.step(t, "dispatch the batch",
		chromedp.Click(id("dsp-submit")),
		waitJS(`document.querySelectorAll('#dsp-days .card').length === 1`),
		waitJS(fmt.Sprintf(`document.querySelectorAll('#dsp-days [data-waybill]').length === %d`, len(stock))),
		waitJS(`document.querySelectorAll('#dsp-batch [data-waybill]').length === 0`))

	// Returns: one parcel comes back (wrong address) onto shelf 5 layer 1,
	// the other was delivered against the recipient's signature.
	b.step(t, "a parcel comes back undelivered",
		chromedp.Click(id("nav-returns")),
		focusedIs("ret-scan"),
		typeFocused(stock[0]), pressEnter(),
		waitJS(fmt.Sprintf(`document.querySelector('#ret-selected').innerText.includes(%q)`, stock[0])),
		chromedp.Click(css(`[data-name="reason"] [data-value="address_wrong"]`)),
		runJS(`document.querySelector('#ret-shelf').value = ''; document.querySelector('#ret-layer').value = ''`),
		chromedp.SendKeys(id("ret-shelf"), "5"),
		chromedp.SendKeys(id("ret-layer"), "1"),
		chromedp.Click(id("ret-submit")),
		waitJS(`/^5-1-\d{4}$/.test((document.querySelector('#ret-code') || {innerText: ''}).innerText)`))
	shots.take(t, b, "returns")
	b.step(t, "the other parcel was delivered",
		chromedp.Click(id("ret-scan")),
		typeFocused(stock[1]), pressEnter(),
		waitJS(fmt.Sprintf(`document.querySelector('#ret-selected').innerText.includes(%q)`, stock[1])),
		chromedp.Click(css(`[data-name="outcome"] [data-value="delivered"]`)),
		chromedp.SendKeys(id("ret-proof-signer"), "李四"))
	draw("the recipient signed", "#ret-sign")
	b.step(t, "record the delivery",
		chromedp.Click(id("ret-delivered-submit")),
		waitJS(fmt.Sprintf(`document.querySelector('#ret-result').innerText.includes(%q)`, stock[1])),
		chromedp.Click(id("nav-dispatch")),
		waitJS(`document.querySelectorAll('#dsp-days .dstate-returned').length === 1`),
		waitJS(`document.querySelectorAll('#dsp-days .dstate-delivered').length === 1`),
		waitJS(`document.querySelectorAll('#dsp-days .dstate-out').length === 0`))

	// Sending: the weight comes from the counter scale once it settles.
	dev.scale.SettleTo(2345, 6)
	b.step(t, "fill in the sending form",
		chromedp.Click(id("nav-sending")),
		waitJS(`document.querySelectorAll('#send-prohibited [data-absent]').length === 3`),
		waitJS(`!!document.querySelector('#send-scale-counter')`),
		chromedp.SendKeys(id("send-sender-name"), "赵六"),
		chromedp.SendKeys(id("send-sender-phone"), "13912345678"),
		chromedp.SetValue(id("send-id-type"), "resident_id"),
		chromedp.SendKeys(id("send-id-number"), "11010519491231002X"),
		chromedp.SendKeys(id("send-rcpt-name"), "钱七"),
		chromedp.SendKeys(id("send-rcpt-phone"), "13698765432"),
		chromedp.SendKeys(id("send-dest"), "320000"),
		chromedp.SendKeys(id("send-rcpt-address"), "江苏省南京市玄武区中山路 100 号"),
		chromedp.Click(css(`[data-name="item_type"] [data-value="clothing"]`)),
		waitJS(`document.querySelector('#send-advice').innerText.includes('纸箱')`),
		chromedp.SendKeys(id("send-items"), "冬季外套两件"))
	// A forbidden item present stops the sending; then each is confirmed absent.
	b.step(t, "a forbidden item blocks sending",
		chromedp.Click(css(`[data-present="B02"]`)),
		waitJS(`!document.querySelector('#send-blocked').hidden && document.querySelector('#send-submit').disabled`))
	for _, code := range []string{"B01", "B02", "R01"} {
		b.step(t, "confirm "+code+" absent", chromedp.Click(css(fmt.Sprintf(`[data-absent=%q]`, code))),
			waitJS(fmt.Sprintf(`document.querySelector('[data-code=%q]').classList.contains('absent')`, code)))
	}
	b.step(t, "read the scale",
		waitJS(`document.querySelector('#send-blocked').hidden && !document.querySelector('#send-submit').disabled`),
		chromedp.SendKeys(id("send-length"), "30"),
		chromedp.SendKeys(id("send-width"), "20"),
		chromedp.SendKeys(id("send-height"), "10"),
		chromedp.Click(id("send-scale-counter")),
		waitJS(`document.querySelector('#send-weight').value === '2.345'`),
		waitJS(`document.querySelector('#send-weight-from').innerText.includes('counter')`),
		waitJS(`/^¥\d+\.\d\d$/.test((document.querySelector('#send-total') || {innerText: ''}).innerText)`))
	b.step(t, "accept the parcel",
		chromedp.Click(id("send-submit")),
		waitJS(`/^[A-Z0-9]{8,}$/.test((document.querySelector('#send-number') || {innerText: ''}).innerText)`))
	number := read(t, b, "read the waybill number", chromedp.Text(id("send-number")))
	labelText := read(t, b, "read the label line", chromedp.Text(id("send-label")))
	shots.take(t, b, "sending")
	if page := read(t, b, "read the page", chromedp.Text(id("page"))); strings.Contains(page, "13912345678") || strings.Contains(page, "11010519491231002X") {
		t.Errorf("the sending page shows personal data in clear:\n%s", page)
	}
	if regexp.MustCompile(`#\d+`).MatchString(labelText) {
		harness.Eventually(t, 20*time.Second, func() (bool, string) {
			return dev.printer.Count([]byte(number)) > 0, "the printer simulator has no waybill label for " + number
		})
	} else {
		t.Errorf("no waybill label job for %s: the page says %q", number, labelText)
	}
	b.step(t, "English", chromedp.Click(id("lang")), waitJS(`document.querySelector('#nav-sending').innerText === 'Sending'`),
		waitJS(`document.documentElement.scrollWidth <= window.innerWidth`),
		waitJS(`document.querySelector('#top').scrollWidth <= document.querySelector('#top').clientWidth`))
	shots.take(t, b, "sending-en")
	if gaps := read(t, b, "dictionary gaps", chromedp.Evaluate[[]string](`window.yzI18nGaps()`)); len(gaps) > 0 {
		t.Errorf("keys in one language only: %v", gaps)
	}
	b.checkNoExceptions(t)

	// Head office holds the handover, each exception once, the shipment.
	c.waitDrained(a, 60*time.Second)
	types := c.hubSubjectTypes(t, outlet, handover)
	for _, typ := range []string{lifecycle.HandoverOpened, lifecycle.HandoverScanned, lifecycle.HandoverClosed} {
		if !types[typ] {
			t.Errorf("hub has no %s for handover %s (has %v)", typ, handover, types)
		}
	}
	reported := map[string]int{}
	for _, s := range c.hubEventsOfType(outlet, lifecycle.ExceptionReported) {
		reported[s]++
	}
	want := map[string]int{lifecycle.HandoverExceptionID(handover, manifest[1]): 1, lifecycle.HandoverExceptionID(handover, extra): 1}
	if fmt.Sprint(reported) != fmt.Sprint(want) {
		t.Errorf("exception reports at the hub %v, want %v", reported, want)
	}
	var kinds []string
	for xid := range want {
		var x struct{ Kind, Waybill string }
		if code := call(t, "GET", hubAPI+"/exceptions/"+xid, apiToken, nil, &x); code != 200 {
			t.Fatalf("exception %s at the hub: HTTP %d", xid, code)
		}
		kinds = append(kinds, x.Kind+" "+x.Waybill)
	}
	if k := strings.Join(kinds, ","); !strings.Contains(k, "lost "+manifest[1]) || !strings.Contains(k, "mis_sorted "+extra) {
		t.Errorf("hub's handover exceptions: %s", k)
	}
	var sh struct {
		WeightGrams int64  `json:"weight_grams"`
		WeightFrom  string `json:"weight_from"`
		Sender      struct {
			PhoneMasked string `json:"phone_masked"`
		} `json:"sender"`
		Quote struct {
			TotalFen int64 `json:"total_fen"`
		} `json:"quote"`
	}
	if err := json.Unmarshal(c.hubEvent(t, outlet, number, lifecycle.ShipmentAccepted), &sh); err != nil {
		t.Fatal(err)
	}
	if sh.WeightGrams != 2345 || sh.WeightFrom != "counter" || sh.Quote.TotalFen <= 0 || sh.Sender.PhoneMasked == "" {
		t.Errorf("hub's shipment %s: %+v", number, sh)
	}
	for _, w := range stock {
		if types := c.hubSubjectTypes(t, outlet, w); !types[lifecycle.DispatchOut] && !types[lifecycle.DispatchDelivered] && !types[lifecycle.DispatchReturned] {
			t.Errorf("hub has no dispatch events for %s (has %v)", w, types)
		}
	}
}

// sendingDevices are the simulated counter scale and label printer the
// agent drives during TestCourierScreens.
type sendingDevices struct {
	scale   *scale.Simulator
	printer *sim.Sim
	config  string
}

func startSendingDevices(t *testing.T) sendingDevices {
	t.Helper()
	dir := t.TempDir()
	link := filepath.Join(dir, "scale")
	sc, err := scale.NewSimulator(link, scale.SimConfig{Protocol: scale.FormatSTGS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	sc.Set(0)
	pr, err := sim.Start("127.0.0.1:0", "tspl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	// One printer on 76×130 mm stock takes both shelf labels and waybills.
	cfg := fmt.Sprintf(`{"devices": {"scanners": [],
  "printers": [{"name": "labels", "driver": "tspl", "address": %q, "width_mm": 76, "height_mm": 130}],
  "scales": [{"name": "counter", "driver": "serial-scale", "config": {"path": %q, "protocol": "st-gs"}}],
  "label_printer": "labels"}}`, pr.URL(), link)
	path := filepath.Join(dir, "agent.json")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return sendingDevices{scale: sc, printer: pr, config: path}
}
