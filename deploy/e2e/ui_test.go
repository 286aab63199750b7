package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/devices/printer/sim"
	"github.com/yizhan/yizhan/devices/scanner"
	"github.com/yizhan/yizhan/devices/scanner/tcp"
)

// TestCounterScreen drives the agent's counter screen in headless chromium as
// a clerk would: log in, scan three parcels in through the page (typing into
// the focused input like a keyboard-wedge scanner), hand one out against a
// signature drawn on the pad, report an exception, record a complaint and
// acknowledge a head-office notice. Then the hub must hold every one of those
// events. It saves a screenshot of each page into the test's temp dir, and
// into $YZ_SCREENSHOTS too when set (relative paths are taken from the module
// root): `YZ_SCREENSHOTS=docs/screenshots go test -run TestCounterScreen ./deploy/e2e/`.
func TestCounterScreen(t *testing.T) {
	c := newCluster(t, "embedded", "UI1")
	c.startHub()
	a := c.newAgent("UI1")
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	dev := startCounterDevices(t)
	c.startAgent(a, "--pii-key-file", writePIIKey(t), "--config", dev.config)
	base := "http://" + a.http + "/"
	checkScreenServed(t, base)
	noticeID := c.publishNotice(t)
	c.publishDown(t, "template.published", "TPL-DELAY-1", map[string]any{
		"title": "延误致歉", "category": "delay", "keywords": []string{"晚到", "延误"},
		"text": "您好，非常抱歉包裹延误。我们已联系承运方核实原因，将在 24 小时内回复您处理结果。"})

	shots := newShots(t)
	b := newBrowser(t)
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Log in with the on-screen keypad for the PIN.
	b.step(t, "open the login page",
		chromedp.Navigate(base),
		chromedp.WaitVisible(id("login-form")),
		waitJS(`document.querySelector('#sync').innerText.trim() !== ''`))
	shots.take(t, b, "login")
	keypad := func(d string) chromedp.Action[chromedp.Void] {
		return chromedp.Click(chromedp.Search(fmt.Sprintf(`//div[@class="keypad"]/button[text()=%q]`, d)))
	}
	b.step(t, "log in",
		chromedp.SendKeys(id("login-staff"), "c01"),
		chromedp.Click(id("login-pin")),
		keypad("1"), keypad("2"), keypad("3"), keypad("4"),
		chromedp.Click(id("login-submit")),
		chromedp.WaitVisible(id("scan-barcode")),
		waitJS(`document.querySelector('#who').innerText.includes('张三')`))

	// Scan in: shelf and layer once (the page remembers them), then each
	// parcel as a wedge scanner types it, with the phone after its Enter.
	waybills := []string{"73100000000011", "73100000000022", "73100000000033"}
	phones := []string{"13800005678", "13900001234", "13700009999"}
	codes := make([]string, len(waybills))
	b.step(t, "set shelf and layer",
		chromedp.SendKeys(id("scan-shelf"), "3"),
		chromedp.SendKeys(id("scan-layer"), "2"))
	for i, wb := range waybills {
		b.step(t, "scan in "+wb,
			focusedIs("scan-barcode"),
			typeFocused(wb), pressEnter(),
			focusedIs("scan-phone"),
			typeFocused(phones[i]), pressEnter(),
			waitJS(fmt.Sprintf(`(document.querySelector('#scan-result') || {innerText: ''}).innerText.includes(%q)`, wb)),
			focusedIs("scan-barcode"))
		codes[i] = read(t, b, "read the pickup code", chromedp.Text(id("scan-code")))
		if !strings.HasPrefix(codes[i], "3-2-") {
			t.Fatalf("pickup code for %s is %q, want shelf 3 layer 2 (3-2-…)", wb, codes[i])
		}
	}
	b.step(t, "list today's parcels",
		waitJS(fmt.Sprintf(`document.querySelectorAll('#scan-list [data-waybill]').length === %d`, len(waybills))))
	listText := read(t, b, "read the list", chromedp.Text(id("scan-list")))
	for _, p := range phones {
		if strings.Contains(listText, p) {
			t.Fatalf("scan-in list shows phone %s in clear:\n%s", p, listText)
		}
	}
	// A read from the line scanner shows live on the page, next to the
	// devices' status; "use" puts it into the form.
	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		return dev.scanner.Clients() > 0, "the agent has not connected to the line scanner"
	})
	const lineRead = "73100000000044"
	if err := dev.scanner.Scan("", lineRead); err != nil {
		t.Fatal(err)
	}
	b.step(t, "the page shows the line scanner's read and the devices",
		waitJS(fmt.Sprintf(`document.querySelector('#scan-reads').innerText.includes(%q)`, lineRead)),
		waitJS(`document.querySelectorAll('#scan-devices .dev-ok').length === 2`))
	shots.take(t, b, "scan-in")
	b.step(t, "use the read",
		chromedp.Click(css(`#scan-reads li button`)),
		waitJS(fmt.Sprintf(`document.querySelector('#scan-barcode').value === %q`, lineRead)),
		focusedIs("scan-phone"),
		runJS(`document.querySelector('#scan-barcode').value = ''`),
		chromedp.Click(id("scan-barcode")))
	if n := len(dev.printer.Jobs()); n < len(waybills) {
		t.Errorf("label printer received %d jobs, want a shelf label for each of the %d parcels", n, len(waybills))
	}

	// A second inbound of a parcel in stock is refused; the API's message,
	// which names the parcel's state, shows in the error banner.
	b.step(t, "a duplicate inbound shows the API's refusal",
		focusedIs("scan-barcode"),
		typeFocused(waybills[1]), pressEnter(),
		focusedIs("scan-phone"),
		typeFocused(phones[1]), pressEnter(),
		chromedp.WaitVisible(id("error-banner")),
		waitJS(`document.querySelector('#error-text').innerText.length > 0`),
		chromedp.Click(id("error-close")),
		chromedp.WaitNotVisible(id("error-banner")))

	// Pickup: find by code, ID card check, two mouse strokes and a finger
	// stroke on the pad.
	picked := waybills[0]
	b.step(t, "find the parcel by its pickup code",
		chromedp.Click(id("nav-pickup")),
		chromedp.WaitVisible(id("pickup-query")),
		chromedp.SendKeys(id("pickup-query"), codes[0]), pressEnter(),
		waitJS(fmt.Sprintf(`document.querySelector('#pickup-selected').innerText.includes(%q)`, picked)),
		chromedp.Click(css(`#page [data-name="id_check"] [data-value="id_card"]`)))
	b.step(t, "sign on the pad",
		drawStroke("#sign-pad", wave(40, 150, 260, 60, 5)),
		drawStroke("#sign-pad", [][2]float64{{330, 60}, {345, 120}, {360, 170}, {380, 110}, {400, 60}, {420, 160}}),
		drawTouch("#sign-pad", [][2]float64{{470, 150}, {520, 140}, {570, 130}, {620, 120}}))
	shots.take(t, b, "pickup")
	b.step(t, "confirm the pickup",
		chromedp.Click(id("pickup-confirm")),
		waitJS(fmt.Sprintf(`!document.querySelector('#info-banner').hidden && document.querySelector('#info-banner').innerText.includes(%q)`, picked)))

	// Exceptions: report the third parcel as damaged.
	b.step(t, "report an exception",
		chromedp.Click(id("nav-exceptions")),
		chromedp.WaitVisible(id("exc-waybill")),
		chromedp.SendKeys(id("exc-waybill"), waybills[2]),
		chromedp.SetValue(id("exc-kind"), "damaged"),
		chromedp.SendKeys(id("exc-note"), "外箱一角压扁，内件待查"),
		chromedp.Click(id("exc-submit")),
		waitJS(fmt.Sprintf(`document.querySelector('#exc-list').innerText.includes(%q)`, waybills[2])))
	b.step(t, "start handling the exception",
		chromedp.Click(css(`#exc-list [data-step="start_handling"]`)),
		chromedp.Click(css(`#exc-list [data-go="start_handling"]`)),
		waitJS(`!!document.querySelector('#exc-list [data-step="inform_customer"]')`))
	shots.take(t, b, "exceptions")

	// Complaints: a delay complaint at the counter.
	b.step(t, "record a complaint",
		chromedp.Click(id("nav-complaints")),
		chromedp.WaitVisible(id("cmp-phone")),
		chromedp.SetValue(id("cmp-category"), "delay"),
		chromedp.SendKeys(id("cmp-phone"), "13600002468"),
		chromedp.SendKeys(id("cmp-name"), "李四"),
		chromedp.SendKeys(id("cmp-waybill"), waybills[1]),
		chromedp.SendKeys(id("cmp-text"), "包裹比承诺晚到三天，希望说明原因。"),
		waitJS(fmt.Sprintf(`!!document.querySelector('#cmp-notice option[value=%q]')`, noticeID)),
		chromedp.SetValue(id("cmp-notice"), noticeID),
		chromedp.Click(id("cmp-submit")),
		waitJS(`document.querySelectorAll('#cmp-list .card').length === 1`))
	complaintID := read(t, b, "read the complaint id", chromedp.AttributeValue(css("#cmp-list .card"), "data-id")).Value
	countdown := `#cmp-list [data-deadline="first_reply"] .countdown`
	b.step(t, "the complaint shows a countdown",
		waitJS(fmt.Sprintf(`/\d\d:\d\d:\d\d/.test(document.querySelector(%q).innerText)`, countdown)))
	first := read(t, b, "read the countdown", chromedp.Text(css(countdown)))
	b.step(t, "the countdown ticks",
		waitJS(fmt.Sprintf(`document.querySelector(%q).innerText !== %q`, countdown, first)))
	if !strings.Contains(first, "23:") {
		t.Errorf("first-reply countdown reads %q, want about 24 hours left", first)
	}
	b.step(t, "reply from head office's template",
		chromedp.Click(css(`#cmp-list [data-step="acknowledge"]`)),
		waitJS(`document.querySelector('#cmp-list .templates').innerText.includes('延误致歉')`),
		chromedp.Click(css(`#cmp-list .template`)),
		waitJS(`document.querySelector('#cmp-list .step-form textarea').value.includes('非常抱歉')`))
	shots.take(t, b, "complaints")
	b.step(t, "send the first reply",
		chromedp.Click(css(`#cmp-list [data-go="acknowledge"]`)),
		waitJS(`!document.querySelector('#cmp-list [data-deadline="first_reply"] .countdown')`),
		waitJS(`!!document.querySelector('#cmp-list [data-deadline="result"] .countdown')`))

	// Notices: the head-office notice is a banner on every page; read and
	// acknowledge it.
	ack := fmt.Sprintf(`[data-ack=%q]`, noticeID)
	b.step(t, "acknowledge the notice",
		chromedp.Click(id("nav-notices")),
		waitJS(fmt.Sprintf(`!!document.querySelector(%q)`, ack)),
		waitJS(`!document.querySelector('#notice-banner').hidden`),
		chromedp.Click(css(ack)),
		waitJS(fmt.Sprintf(`document.querySelector(%q).disabled`, ack)))
	shots.take(t, b, "notices")

	// English is one click away and survives a reload.
	b.step(t, "switch to English",
		chromedp.Click(id("lang")),
		waitJS(`document.querySelector('#nav-scan').innerText === 'Scan in'`),
		chromedp.Reload(),
		waitJS(`!!document.querySelector('#nav-scan') && document.querySelector('#nav-scan').innerText === 'Scan in'`))

	// A session the agent no longer knows sends any page back to login,
	// with the reason in the banner; logging out does the same.
	b.step(t, "an unknown session returns to login",
		runJS(`sessionStorage.setItem('yz.token', 'not-a-session')`),
		chromedp.Click(id("nav-complaints")),
		chromedp.WaitVisible(id("login-form")),
		chromedp.WaitVisible(id("error-banner")))
	b.step(t, "log in again and out",
		chromedp.SendKeys(id("login-staff"), "c01"),
		chromedp.SendKeys(id("login-pin"), "1234"), pressEnter(),
		chromedp.WaitVisible(id("scan-barcode")),
		chromedp.Click(id("logout")),
		chromedp.WaitVisible(id("login-form")))
	b.checkNoExceptions(t)

	// The hub has every fact the clerk created, including the pickup with
	// its signature's hash.
	c.waitDrained(a, 60*time.Second)
	for _, wb := range waybills {
		if types := c.hubSubjectTypes(t, "UI1", wb); !types["parcel.inbound"] {
			t.Errorf("hub has no parcel.inbound for %s (has %v)", wb, types)
		}
	}
	pickup := c.hubEvent(t, "UI1", picked, "parcel.picked_up")
	var pu struct {
		IDCheck         string `json:"id_check"`
		Signer          string `json:"signer"`
		SignatureSHA256 string `json:"signature_sha256"`
		SignatureSVG    string `json:"signature_svg"`
		Staff           string `json:"staff"`
	}
	if err := json.Unmarshal(pickup, &pu); err != nil {
		t.Fatalf("pickup payload: %v\n%s", err, pickup)
	}
	if pu.SignatureSHA256 == "" || pu.IDCheck != "id_card" || pu.Signer != "recipient" || pu.Staff != "c01" {
		t.Errorf("hub's pickup of %s: %+v", picked, pu)
	}
	if n := strings.Count(pu.SignatureSVG, "<path "); pu.SignatureSVG != "" && n != 3 {
		t.Errorf("signature SVG has %d paths, want 3 strokes: %s", n, pu.SignatureSVG)
	}
	var rec struct {
		Category   string `json:"category"`
		NoticeID   string `json:"notice_id"`
		Text       string `json:"text"`
		TextSealed string `json:"text_sealed"`
	}
	if err := json.Unmarshal(c.hubEvent(t, "UI1", complaintID, "complaint.received"), &rec); err != nil {
		t.Fatal(err)
	}
	// The customer's words reach head office sealed, never in clear.
	if rec.Category != "delay" || rec.NoticeID != noticeID || rec.TextSealed == "" || rec.Text != "" {
		t.Errorf("hub's complaint %s: %+v", complaintID, rec)
	}
	if !c.hubSubjectTypes(t, "UI1", complaintID)["complaint.step"] {
		t.Errorf("hub has no complaint.step (the first reply) for %s", complaintID)
	}
	if types := c.hubTypes(t, "UI1"); !types["exception.reported"] || !types["exception.step"] {
		t.Errorf("hub lacks the exception report or its step from UI1 (has %v)", types)
	}
	if !c.hubSubjectTypes(t, "UI1", noticeID)["notice.acknowledged"] {
		t.Errorf("hub has no notice.acknowledged for %s", noticeID)
	}
}

// wave is n points of a gentle curve across the pad, a stand-in for a
// handwritten name.
func wave(x0, y0, width, height float64, n int) [][2]float64 {
	pts := make([][2]float64, 0, n*8)
	for i := 0; i <= n*8; i++ {
		f := float64(i) / float64(n*8)
		y := y0 - height*float64((i/4)%2)
		if (i/4)%2 == 0 {
			y += height * float64(i%4) / 8
		} else {
			y -= height * float64(i%4) / 8
		}
		pts = append(pts, [2]float64{x0 + width*f, y})
	}
	return pts
}

// addStaff registers a staff member in the agent's data dir before it runs.
func (c *cluster) addStaff(a *agent, id, name, role, pin string) {
	c.t.Helper()
	out, err := exec.Command(c.bins["yizhan-agent"], "staff", "add", "--data", a.dir, "--id", id, "--name", name, "--role", role, "--pin", pin).CombinedOutput()
	if err != nil {
		c.t.Fatalf("yizhan-agent staff add %s: %v\n%s", id, err, out)
	}
}

// counterDevices are the simulated line scanner and label printer the agent
// drives during the browser test.
type counterDevices struct {
	scanner *tcp.Simulator
	printer *sim.Sim
	config  string
}

func startCounterDevices(t *testing.T) counterDevices {
	t.Helper()
	sc, err := tcp.NewSimulator("127.0.0.1:0", scanner.Framing{Suffix: scanner.SuffixCR})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	pr, err := sim.Start("127.0.0.1:0", "tspl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pr.Close() })
	cfg := fmt.Sprintf(`{"devices": {"scanners": [{"name": "line-1", "driver": "tcp", "config": {"address": %q, "framing": {"suffix": "cr"}}}],
  "printers": [{"name": "shelf", "driver": "tspl", "address": %q}], "label_printer": "shelf"}}`, sc.Addr(), pr.URL())
	path := filepath.Join(t.TempDir(), "agent.json")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return counterDevices{scanner: sc, printer: pr, config: path}
}

// writePIIKey writes a fresh personal-data key (32 random bytes, base64)
// outside any data dir and returns its path.
func writePIIKey(t *testing.T) string {
	t.Helper()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "pii.key")
	if err := os.WriteFile(p, []byte(base64.StdEncoding.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkScreenServed fails early, with a clear message, when the agent does
// not serve the counter screen at "/".
func checkScreenServed(t *testing.T, base string) {
	t.Helper()
	resp, err := httpc.Get(base)
	if err != nil {
		t.Fatalf("GET %s: %v", base, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`src="app.js"`)) {
		t.Fatalf("the agent does not serve the counter screen at %s (HTTP %d); mount agent/ui's Handler on its mux", base, resp.StatusCode)
	}
}

// publishNotice has head office publish a special-period notice to every
// outlet through the hub's downlink, and returns its id.
func (c *cluster) publishNotice(t *testing.T) string {
	t.Helper()
	id := fmt.Sprintf("N-%d", time.Now().UnixNano())
	now := time.Now()
	payload, _ := json.Marshal(map[string]any{
		"title":    "春节期间服务调整",
		"text":     "1月28日至2月4日本驿站营业时间调整为 10:00–16:00，包裹保管期顺延 3 天。",
		"severity": "warning",
		"faq": []map[string]string{
			{"q": "保管期怎么算？", "a": "假期内到站的包裹，保管期从 2 月 5 日起算 7 天。"},
			{"q": "可以代领吗？", "a": "可以，代领人报取件码并签名即可。"},
		},
		"categories": []string{"delay"},
		"valid_from": now.Add(-time.Hour).UnixMilli(),
		"valid_to":   now.Add(7 * 24 * time.Hour).UnixMilli(),
	})
	c.publishDown(t, "notice.published", id, json.RawMessage(payload))
	return id
}

// publishDown has head office send an event to every outlet through the
// hub's downlink.
func (c *cluster) publishDown(t *testing.T, typ, subject string, payload any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"target": "*", "type": typ, "subject": subject, "payload": payload})
	req, _ := http.NewRequest("POST", "http://"+c.hubHTTP+"/api/v1/downlink", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpc.Do(req)
	if err != nil {
		t.Fatalf("publish %s: %v", typ, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		out, _ := io.ReadAll(resp.Body)
		t.Fatalf("publish %s: HTTP %d: %s", typ, resp.StatusCode, out)
	}
}

// hubQuery runs one read-only query on the hub's store.
func (c *cluster) hubQuery(t *testing.T, query string, args ...any) [][3]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.hubDir(), "hub.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][3]string
	for rows.Next() {
		var r [3]string
		var payload sql.NullString
		if err := rows.Scan(&r[0], &r[1], &payload); err != nil {
			t.Fatal(err)
		}
		r[2] = payload.String
		out = append(out, r)
	}
	return out
}

// hubTypes is the set of event types the hub holds from origin.
func (c *cluster) hubTypes(t *testing.T, origin string) map[string]bool {
	out := map[string]bool{}
	for _, r := range c.hubQuery(t, `SELECT type, subject, payload FROM events WHERE origin = ?`, origin) {
		out[r[0]] = true
	}
	return out
}

// hubSubjectTypes is the set of event types the hub holds from origin about
// one subject (a waybill, a complaint or a notice id).
func (c *cluster) hubSubjectTypes(t *testing.T, origin, subject string) map[string]bool {
	out := map[string]bool{}
	for _, r := range c.hubQuery(t, `SELECT type, subject, payload FROM events WHERE origin = ? AND subject = ?`, origin, subject) {
		out[r[0]] = true
	}
	return out
}

// hubEvent is the payload of the one event of typ about subject from origin.
func (c *cluster) hubEvent(t *testing.T, origin, subject, typ string) []byte {
	t.Helper()
	rows := c.hubQuery(t, `SELECT type, subject, payload FROM events WHERE origin = ? AND subject = ? AND type = ?`, origin, subject, typ)
	if len(rows) != 1 {
		t.Fatalf("hub holds %d %s events for %s from %s, want 1", len(rows), typ, subject, origin)
	}
	return []byte(rows[0][2])
}

// shots saves full-screen PNGs of the pages.
type shots struct {
	dirs []string
}

func newShots(t *testing.T) *shots { return newShotsIn(t, "") }

// newShotsIn is newShots writing into the folder sub of $YZ_SCREENSHOTS
// (head office's screen's pictures go in docs/screenshots/hub).
func newShotsIn(t *testing.T, sub string) *shots {
	s := &shots{dirs: []string{t.TempDir()}}
	if d := os.Getenv("YZ_SCREENSHOTS"); d != "" {
		d = filepath.Join(d, sub)
		ensureCJKFont(t)
		if !filepath.IsAbs(d) {
			root, err := harness.ModuleRoot()
			if err != nil {
				t.Fatal(err)
			}
			d = filepath.Join(root, d)
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		s.dirs = append(s.dirs, d)
	}
	return s
}

func (s *shots) take(t *testing.T, b *browser, name string) {
	t.Helper()
	// Wait for the fonts, so the Chinese text is in the picture, not boxes.
	b.step(t, "fonts for screenshot "+name, waitJS(`document.fonts.status === 'loaded'`))
	// At the counter PC's size nothing may scroll sideways.
	b.step(t, name+" fits the screen's width", waitJS(`document.documentElement.scrollWidth <= window.innerWidth`))
	png := read(t, b, "screenshot "+name, chromedp.CaptureScreenshot())
	for _, d := range s.dirs {
		if err := os.WriteFile(filepath.Join(d, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshot %s: %s", name, filepath.Join(s.dirs[len(s.dirs)-1], name+".png"))
}
