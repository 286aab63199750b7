package e2e

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// hubAdmin is the administrator the head-office screen tests log in as.
const hubAdmin, hubAdminPass = "admin1", "Screen-pass-2026"

// addHubAccount adds a head-office account through the accounts API with
// the legacy --api-token, an administrator's.
func addHubAccount(t *testing.T, hubAPI, id, name, role, password string) {
	t.Helper()
	var e struct{ Error struct{ Code string } }
	if code := call(t, "POST", hubAPI+"/accounts", apiToken, map[string]any{"id": id, "name": name, "role": role, "password": password}, &e); code != 201 && code != 200 {
		t.Fatalf("add head-office account %s (%s): HTTP %d %s", id, role, code, e.Error.Code)
	}
}

// hubScreenWaybill is a parcel the outlet took in.
const hubScreenWaybill = "73100000000011"

// hubScreen is a hub with one outlet that recorded a complaint and two
// exceptions (and two years of generated inbound parcels before them), an administrator account, and head office's screen open in
// chromium, logged in.
type hubScreen struct {
	c    *cluster
	b    *browser
	base string
	// a is the outlet, its counter screen at "http://"+a.http+"/".
	a *agent
	// cases are one complaint's and one exception's ids.
	complaint, exception string
	// customer is the first complaint's customer id at the hub.
	customer string
	// incident is the outlet's incident report, with a photo.
	incident string
	// channel is a complaint from the WeChat webhook, waiting in review.
	channel string
}

func startHubScreen(t *testing.T, hubArgs ...string) *hubScreen {
	t.Helper()
	c := newCluster(t, "embedded", "SH-001")
	// Two years of inbound parcels, for the forecast pages.
	fillForecastHistory(t, c, "SH-001")
	// The outlet's key is the old shared one, which is head office's
	// master: the hub finds its customers by phone and opens their contact.
	key := writePIIKey(t)
	c.startHub(append(hubArgs, "--master-key", key)...)
	addHubAccount(t, "http://"+c.hubHTTP+"/api/v1", hubAdmin, "管理员甲", "admin", hubAdminPass)
	a := c.newAgent("SH-001")
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.startAgent(a, "--pii-key-file", key)
	agentAPI, hubAPI := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"
	tok := staffLogin(t, agentAPI, "c01", "1234")
	if _, code, err := postScan(a.http, hubScreenWaybill); err != nil || code != 201 {
		t.Fatalf("scan %s in: %d %v", hubScreenWaybill, code, err)
	}
	var x struct{ Exception struct{ ID string } }
	for i, kind := range []string{"damaged", "lost"} {
		if code := call(t, "POST", agentAPI+"/exceptions", tok, map[string]any{"waybill": fmt.Sprintf("SF100000000000%d", i+1), "kind": kind, "note": "外箱压坏"}, &x); code != 201 {
			t.Fatalf("report exception: %d", code)
		}
	}
	var inc struct{ Incident struct{ ID string } }
	if code := call(t, "POST", agentAPI+"/incidents", tok, map[string]any{"occurred_at": time.Now().Add(-2 * time.Hour).UnixMilli(),
		"place": "沪西二线转运路口", "cause": "traffic", "parcels": 120, "delay_hours": 6, "text": "道路临时封闭，派送车辆无法进入。",
		"photos": []string{base64.StdEncoding.EncodeToString(smallPhoto(t))}}, &inc); code != 201 {
		t.Fatalf("report incident: %d", code)
	}
	var cp struct{ Complaint struct{ ID string } }
	if code := call(t, "POST", agentAPI+"/complaints", tok, map[string]any{"channel": "counter", "type": "complaint", "category": "damage",
		"severity": "major", "customer_phone": "13812345678", "text": "东西坏了"}, &cp); code != 201 {
		t.Fatalf("record complaint: %d", code)
	}
	if code := call(t, "POST", hubAPI+"/reply-templates", apiToken, map[string]any{"title": "破损致歉", "category": "damage", "keywords": []string{"破损", "坏了"},
		"text": "非常抱歉您的包裹破损，我们将在 24 小时内联系您处理理赔。"}, nil); code != 201 {
		t.Fatalf("publish template: %d", code)
	}
	// A WeChat message through the webhook: a complaint waiting in the
	// channel review queue with the damage template proposed.
	var wechat struct{ Token string }
	if code := call(t, "POST", hubAPI+"/tokens", apiToken, map[string]string{"name": "wechat", "scope": "channels"}, &wechat); code != 201 {
		t.Fatalf("channel token: %d", code)
	}
	var viaWeChat struct{ ID, Category string }
	if code := call(t, "POST", hubAPI+"/channels/wechat/messages", wechat.Token, map[string]string{"message_id": "wx-ui-1",
		"text": "包裹破损了，请尽快处理", "waybill": hubScreenWaybill}, &viaWeChat); code != 201 || viaWeChat.Category != "damage" {
		t.Fatalf("webhook message: %d %+v", code, viaWeChat)
	}
	// Revoked again: the accounts page counts its own tokens.
	if code := call(t, "DELETE", hubAPI+"/tokens/wechat", apiToken, nil, nil); code != 200 && code != 204 {
		t.Fatalf("revoke the channel token: %d", code)
	}
	// Head office's lists, so that their pages show something.
	for _, post := range []struct {
		path string
		body any
	}{
		{"/tariffs", map[string]any{"version": "T-2026-12", "zones": map[string]string{"310000": "local"},
			"rates":              map[string]any{"local": map[string]int{"first_grams": 1000, "first_fen": 800, "step_grams": 1000, "step_fen": 200}},
			"volumetric_divisor": 8000, "max_weight_grams": 50000, "insurance": map[string]int{"rate_bp": 100, "min_fen": 100}}},
		{"/prohibited-lists", map[string]any{"version": "P-2026-12", "items": []map[string]string{{"code": "B01", "name": "易燃易爆物品", "rule": "forbidden"}}}},
		{"/manifests", map[string]any{"outlet": "SH-001", "courier": "K-21", "line": "沪西二线",
			"expected_at": time.Now().Add(time.Hour).Format(time.RFC3339), "waybills": []string{"73200000000011"}}},
		{"/outlets/SH-001/waybill-blocks", map[string]any{"count": 100}},
	} {
		if code := call(t, "POST", hubAPI+post.path, apiToken, post.body, nil); code != 201 {
			t.Fatalf("POST %s: %d", post.path, code)
		}
	}
	// A second complaint head office has answered, so that the measures
	// have a first-reply time to show.
	var answered struct{ Complaint struct{ ID string } }
	if code := call(t, "POST", agentAPI+"/complaints", tok, map[string]any{"channel": "phone", "type": "complaint", "category": "delay",
		"severity": "routine", "customer_phone": "13912345678", "text": "还没到"}, &answered); code != 201 {
		t.Fatalf("record complaint: %d", code)
	}
	c.waitDrained(a, 30*time.Second)
	waitHubHas(t, hubAPI+"/complaints/"+answered.Complaint.ID)
	if code := call(t, "POST", hubAPI+"/complaints/"+answered.Complaint.ID+"/steps", apiToken, map[string]any{"step": "acknowledge", "note": "已催促派送。"}, nil); code != 200 {
		t.Fatalf("answer complaint: %d", code)
	}
	s := &hubScreen{c: c, a: a, b: newBrowser(t), base: "http://" + c.hubHTTP + "/", complaint: cp.Complaint.ID, exception: x.Exception.ID, incident: inc.Incident.ID,
		channel: viaWeChat.ID}
	waitHubHas(t, hubAPI+"/parcels/"+hubScreenWaybill)
	waitHubHas(t, hubAPI+"/complaints/"+s.complaint)
	waitHubHas(t, hubAPI+"/exceptions/"+s.exception)
	waitHubHas(t, hubAPI+"/incidents/"+s.incident)
	var found struct{ Customers []struct{ ID string } }
	if code := call(t, "GET", hubAPI+"/customers?phone=13812345678", apiToken, nil, &found); code != 200 || len(found.Customers) != 1 {
		t.Fatalf("the complaint's customer at the hub: %d %+v", code, found)
	}
	s.customer = found.Customers[0].ID
	return s
}

// waitHubHas waits until the hub answers url with 200.
func waitHubHas(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for call(t, "GET", url, apiToken, nil, nil) != 200 {
		if time.Now().After(deadline) {
			t.Fatalf("the hub never had %s", url)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// login logs in through the screen's login page.
func (s *hubScreen) login(t *testing.T, account, password string) {
	t.Helper()
	s.s(t, "log in as "+account,
		chromedp.Navigate(s.base+"#/login"),
		chromedp.WaitVisible(chromedp.ID("login-account")),
		// The page may be the login page already, with what was typed.
		runJS(`document.querySelector('#login-account').value = ''; document.querySelector('#login-password').value = ''`),
		chromedp.SendKeys(chromedp.ID("login-account"), account),
		chromedp.SendKeys(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.ID("login-submit")),
		waitJS(`document.querySelector('#page').dataset.page !== 'login'`))
}

func (s *hubScreen) s(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	s.b.step(t, what, actions...)
}

// hubPages are the pages an administrator opens: the hash and the page id
// it shows.
func (s *hubScreen) hubPages() [][2]string {
	return [][2]string{
		{"#/", "overview"},
		{"#/outlets", "outlets"},
		{"#/outlets/SH-001", "outlet"},
		{"#/parcels", "parcels"},
		{"#/parcels?q=" + hubScreenWaybill[:8], "parcels"},
		{"#/parcels/" + hubScreenWaybill, "parcel"},
		{"#/complaints", "complaints"},
		{"#/complaints/" + s.complaint, "complaint"},
		{"#/exceptions", "exceptions"},
		{"#/exceptions/" + s.exception, "exception"},
		{"#/templates", "templates"},
		{"#/review", "review"},
		// Today's measures, around the hub's day (its time zone may be
		// a day off this machine's), so that the table and charts hold
		// the outlet's complaint.
		{"#/measures?from=" + time.Now().AddDate(0, 0, -1).Format(time.DateOnly) + "&to=" + time.Now().AddDate(0, 0, 1).Format(time.DateOnly) + "&period=day&by=outlet", "measures"},
		{"#/forecast", "forecast"},
		{"#/forecast?outlet=SH-001", "forecast"},
		{"#/calendar", "calendar"},
		{"#/customers", "customers"},
		{"#/customers/" + s.customer, "customer"},
		{"#/classes", "classes"},
		{"#/surveys", "surveys"},
		{"#/notices", "notices"},
		{"#/notices/new", "notice-new"},
		{"#/incidents", "incidents"},
		{"#/incidents/" + s.incident, "incident"},
		{"#/manifests", "manifests"},
		{"#/manifests/new", "manifest-new"},
		{"#/tariffs", "tariffs"},
		{"#/prohibited", "prohibited"},
		{"#/waybills", "waybills"},
		{"#/audit", "audit"},
		{"#/accounts", "accounts"},
	}
}

// openPage shows hash and waits until its page rendered and its lists
// loaded (no list still says it is loading).
func (s *hubScreen) openPage(t *testing.T, hash, id string) {
	t.Helper()
	s.s(t, "open "+hash,
		chromedp.Navigate(s.base+hash),
		waitJS(fmt.Sprintf(`document.querySelector('#page').dataset.page === %q && document.querySelector('#page').children.length > 0`, id)),
		waitJS(`![...document.querySelectorAll('.list-status')].some((e) => e.textContent === '正在加载…' || e.textContent === 'Loading…')`),
		// Charts say when they are drawn (or failed).
		waitJS(`![...document.querySelectorAll('[data-chart]')].some((e) => !e.dataset.state)`))
}

// checkPage fails the test if the page shows an error, or scrolls sideways
// at 1366×768.
func (s *hubScreen) checkPage(t *testing.T, hash string) {
	t.Helper()
	banner := read(t, s.b, "error banner of "+hash, chromedp.Evaluate[string](`(() => { const b = document.querySelector('#error-banner'); return b.hidden ? '' : b.innerText; })()`))
	if banner != "" {
		t.Errorf("%s shows an error: %s", hash, banner)
	}
	wide := read(t, s.b, "width of "+hash, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
	if wide {
		t.Errorf("%s scrolls sideways at %d×%d", hash, screenW, screenH)
	}
}

// TestHubScreen opens every page of head office's screen as an
// administrator: each renders with no uncaught exception, no error and no
// horizontal scroll at 1366×768, and the English screen has no Chinese
// words of its own.
//
// It takes a picture of every page in both languages on the way:
// `YZ_SCREENSHOTS=docs/screenshots go test -run 'TestHubScreen$' ./deploy/e2e/`
// refreshes docs/screenshots/hub/.
func TestHubScreen(t *testing.T) {
	s := startHubScreen(t)
	shots := newShotsIn(t, "hub")
	// A wrong password is refused in the screen's words.
	s.s(t, "wrong password",
		chromedp.Navigate(s.base),
		chromedp.WaitVisible(chromedp.ID("login-account")),
		chromedp.SendKeys(chromedp.ID("login-account"), hubAdmin),
		chromedp.SendKeys(chromedp.ID("login-password"), "not-the-password-1"),
		chromedp.Click(chromedp.ID("login-submit")),
		waitJS(`!document.querySelector('#error-banner').hidden`))
	shots.take(t, s.b, "login-zh")
	if got := read(t, s.b, "error text", chromedp.Evaluate[string](`document.querySelector('#error-text').textContent`)); got != "账号或密码不对" {
		t.Errorf("a wrong password shows %q", got)
	}
	s.login(t, hubAdmin, hubAdminPass)
	nav := read(t, s.b, "navigation", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#nav a')].map((a) => a.dataset.page)`))
	if want := "overview outlets parcels complaints exceptions templates review measures forecast calendar customers classes surveys notices incidents manifests tariffs prohibited waybills audit accounts"; strings.Join(nav, " ") != want {
		t.Errorf("an administrator's navigation is %v, want %s", nav, want)
	}
	for _, p := range s.hubPages() {
		s.openPage(t, p[0], p[1])
		s.checkPage(t, p[0])
		shots.take(t, s.b, shotName(p)+"-zh")
	}
	// The complaint names the customer's progress page, which opens with
	// its ticket filled in.
	s.openPage(t, "#/complaints/"+s.complaint, "complaint")
	link := read(t, s.b, "progress link", chromedp.Evaluate[string](`document.querySelector('#progress-link').href`))
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(s.base) + `p\?t=T\d{6}-SH-001-[0-9A-F]{6}$`).MatchString(link) {
		t.Errorf("the complaint's progress link is %q", link)
	}
	if page := read(t, s.b, "open the progress link", chromedp.Evaluate[string](fmt.Sprintf(`fetch(%q).then((r) => r.text())`, link),
		func(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) })); !strings.Contains(page, `value="`+link[strings.Index(link, "=")+1:]+`"`) {
		t.Errorf("the progress page does not fill in the ticket:\n%s", page)
	}
	// The calendar editor adds a promotion three days ahead; the outlet's
	// forecast shows it with head office's uplift and more clerks.
	cst, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	promo := time.Now().In(cst).AddDate(0, 0, 3).Format(time.DateOnly)
	s.openPage(t, "#/calendar", "calendar")
	s.s(t, "add a promotion on the calendar",
		runJS(`document.querySelector('[data-cal=new]').open = true`),
		runJS(fmt.Sprintf(`(() => { const f = document.querySelector('[data-cal-form=new]');
			const set = (n, v) => { f.querySelector('[name=' + n + ']').value = v; };
			set('name_zh', '店庆'); set('name_en', 'Store anniversary'); set('first', %[1]q); set('last', %[1]q); set('uplift', '3'); })()`, promo)),
		runJS(`document.querySelector('[data-cal=create]').click()`),
		waitJS(`!document.querySelector('#info-banner').hidden`),
		waitJS(`[...document.querySelectorAll('table.list tbody tr')].some((r) => r.innerText.includes('店庆') && r.innerText.includes('×3'))`))
	s.openPage(t, "#/forecast?outlet=SH-001", "forecast")
	row := fmt.Sprintf(`document.querySelector('[data-forecast=table] tr[data-date=%q]')`, promo)
	if got := read(t, s.b, "the promotion's row", chromedp.Evaluate[string](row+`.innerText`)); !strings.Contains(got, "店庆 ×3") {
		t.Errorf("the forecast's row of %s reads %q, want the promotion at ×3", promo, got)
	}
	if got := read(t, s.b, "the backtest", chromedp.Evaluate[string](`document.querySelector('[data-forecast=backtest]').innerText`)); !strings.Contains(got, "WAPE") {
		t.Errorf("the backtest line reads %q", got)
	}
	// The channel review queue: the proposed reply, edited, sent as the
	// complaint's first reply, and the complaint leaves the queue.
	s.openPage(t, "#/review", "review")
	s.s(t, "send the proposed reply",
		waitJS(fmt.Sprintf(`document.querySelector('[data-reply=%q]').value.includes('非常抱歉')`, s.channel)),
		runJS(fmt.Sprintf(`document.querySelector('[data-reply=%q]').value += ' 已安排专人跟进。'`, s.channel)),
		chromedp.Click(fmt.Sprintf(`[data-send=%q]`, s.channel)),
		waitJS(fmt.Sprintf(`document.querySelector('[data-send=%q]') === null`, s.channel)))
	var sent struct {
		State   string
		History []struct{ Step, Note string }
	}
	if code := call(t, "GET", "http://"+s.c.hubHTTP+"/api/v1/complaints/"+s.channel, apiToken, nil, &sent); code != 200 || sent.State != "acknowledged" ||
		!strings.HasSuffix(sent.History[len(sent.History)-1].Note, "已安排专人跟进。") {
		t.Errorf("the review queue's reply: %d %+v", code, sent)
	}
	// The customer's contact is masked until revealed; the reveal shows the
	// phone the outlet sealed, and the hub's trail records it.
	s.openPage(t, "#/customers/"+s.customer, "customer")
	if got := read(t, s.b, "masked phone", chromedp.Evaluate[string](`document.querySelector('#customer-phone-shown').textContent`)); got != "138****5678" {
		t.Errorf("the profile shows the phone as %q, want it masked", got)
	}
	s.s(t, "reveal the contact",
		chromedp.Click(chromedp.ID("customer-reveal")),
		waitJS(`document.querySelector('#customer-phone-shown').textContent === '13812345678'`))
	var trail struct {
		Audit []struct{ Action, Subject string }
	}
	if code := call(t, "GET", "http://"+s.c.hubHTTP+"/api/v1/audit?action=customer.revealed", apiToken, nil, &trail); code != 200 || len(trail.Audit) != 1 || trail.Audit[0].Subject != s.customer {
		t.Errorf("the reveal's audit rows: %d %+v", code, trail.Audit)
	}
	// Head office writes to this customer in English from now on.
	s.s(t, "set the customer's language",
		waitJS(`document.querySelector('#customer-lang').dataset.lang === 'zh'`),
		runJS(`document.querySelector('#customer-lang-select').value = 'en'`),
		chromedp.Click(chromedp.ID("customer-lang-save")),
		waitJS(`document.querySelector('#customer-lang')?.dataset.lang === 'en'`))
	var prof struct{ Customer struct{ Lang string } }
	if code := call(t, "GET", "http://"+s.c.hubHTTP+"/api/v1/customers/"+s.customer, apiToken, nil, &prof); code != 200 || prof.Customer.Lang != "en" {
		t.Errorf("the customer's language after the page set it: %d %q", code, prof.Customer.Lang)
	}
	// Finding by phone opens the profile; the phone stays out of the address.
	s.openPage(t, "#/customers", "customers")
	s.s(t, "find by phone",
		chromedp.SendKeys(chromedp.ID("customer-phone"), "138 1234 5678"),
		chromedp.Click(chromedp.ID("customer-find")),
		waitJS(`document.querySelector('#page').dataset.page === 'customer' && !location.href.includes('5678')`))
	s.openPage(t, "#/classes", "classes")
	if got := read(t, s.b, "class total", chromedp.Evaluate[string](`document.querySelector('#class-total').textContent`)); got != "2" {
		t.Errorf("the classes page counts %q customers, want the two who complained", got)
	}

	// An API token: its secret shown once, then listed by name, then revoked.
	s.openPage(t, "#/accounts", "accounts")
	s.s(t, "create a token",
		chromedp.SendKeys(`input[name="token-name"]`, "erp"),
		runJS(`(() => { const sel = document.querySelector('select[name="token-scope"]'); sel.value = 'read'; })()`),
		chromedp.Click(chromedp.Search(`//button[text()="创建令牌"]`)),
		waitJS(`!!document.querySelector('#token-once') && document.querySelector('[data-token="erp"]') !== null`))
	secret := read(t, s.b, "token secret", chromedp.Evaluate[string](`document.querySelector('#token-once').textContent`))
	if code := call(t, "GET", "http://"+s.c.hubHTTP+"/api/v1/outlets", secret, nil, nil); code != 200 {
		t.Errorf("the token the screen showed reads outlets with %d", code)
	}
	s.s(t, "revoke the token",
		chromedp.Click(chromedp.Search(`//tr[.//*[@data-token="erp"]]//button`)),
		waitJS(`document.querySelector('[data-token="erp"]') === null`))
	if code := call(t, "GET", "http://"+s.c.hubHTTP+"/api/v1/outlets", secret, nil, nil); code != 401 {
		t.Errorf("a revoked token reads outlets with %d", code)
	}

	// An account added through the form, for an auditor.
	s.s(t, "add an auditor",
		chromedp.Click(chromedp.Search(`//summary[text()="新增账号"]`)),
		chromedp.SendKeys(`input[name="id"]`, "au01"),
		chromedp.SendKeys(`input[name="name"]`, "审计丙"),
		runJS(`document.querySelector('select[name="role"]').value = 'auditor'`),
		chromedp.SendKeys(`input[name="password"]`, "Audit-pass-2026"),
		chromedp.Click(chromedp.Search(`//button[text()="新增"]`)),
		waitJS(`document.querySelector('[data-account="au01"]') !== null`))

	// The accounts' CSV link answers every account, with the BOM and the
	// Chinese header, on the screen's session.
	href := read(t, s.b, "accounts CSV link", chromedp.Evaluate[string](`document.querySelector('[data-list-of="accounts"] [data-list="csv"]').getAttribute('href')`))
	if !strings.Contains(href, "/api/v1/accounts") || !strings.Contains(href, "format=csv") {
		t.Errorf("the accounts' CSV link is %q", href)
	}
	body := read(t, s.b, "download the accounts CSV", chromedp.Evaluate[string](fmt.Sprintf(`fetch(%q).then((r) => r.arrayBuffer()).then((b) => {
			const u = new Uint8Array(b); // the decoder drops the BOM: look at the bytes first
			return (u[0] === 0xEF && u[1] === 0xBB && u[2] === 0xBF ? 'BOM ' : 'no BOM ') + new TextDecoder().decode(u); })`, href),
		func(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) }))
	if !strings.HasPrefix(body, "BOM 账号,姓名,角色,") || !strings.Contains(body, "\nau01,审计丙,auditor,") || !strings.Contains(body, "\n"+hubAdmin+",") {
		t.Errorf("the accounts' CSV is %q", body)
	}
	// More tokens than a page: "next" shows the rest.
	for i := range 51 {
		if code := call(t, "POST", "http://"+s.c.hubHTTP+"/api/v1/tokens", apiToken, map[string]any{"name": fmt.Sprintf("feed-%02d", i), "scope": "read"}, nil); code != 201 {
			t.Fatalf("token feed-%02d: HTTP %d", i, code)
		}
	}
	s.s(t, "reload the accounts page",
		chromedp.Reload(),
		waitJS(`document.querySelector('#page').dataset.page === 'accounts' && document.querySelectorAll('[data-token]').length > 0`))
	if n := read(t, s.b, "tokens on page 1", chromedp.Evaluate[int](`document.querySelectorAll('[data-token]').length`)); n != 50 {
		t.Errorf("the first page lists %d tokens, want 50", n)
	}
	s.s(t, "next page of tokens",
		chromedp.Click(`[data-list-of="tokens"] [data-list="next"]`),
		waitJS(`document.querySelector('[data-token="feed-50"]') !== null && document.querySelectorAll('[data-token]').length === 1`))
	s.s(t, "back to the first page of tokens",
		chromedp.Click(`[data-list-of="tokens"] [data-list="prev"]`),
		waitJS(`document.querySelector('[data-token="feed-00"]') !== null && document.querySelectorAll('[data-token]').length === 50`))
	for i := range 51 {
		if code := call(t, "DELETE", fmt.Sprintf("http://%s/api/v1/tokens/feed-%02d", s.c.hubHTTP, i), apiToken, nil, nil); code != 204 {
			t.Fatalf("revoke feed-%02d: HTTP %d", i, code)
		}
	}

	// English: the words change, and none of the screen's own stay Chinese.
	s.s(t, "switch to English", chromedp.Click(chromedp.ID("lang")), waitJS(`document.documentElement.lang === 'en'`))
	if got := read(t, s.b, "English nav", chromedp.Evaluate[string](`document.querySelector('#nav a[data-page="complaints"]').textContent`)); got != "Complaints" {
		t.Errorf("the English navigation says %q", got)
	}
	for _, p := range s.hubPages() {
		s.openPage(t, p[0], p[1])
		s.checkPage(t, p[0])
		shots.take(t, s.b, shotName(p)+"-en")
		if left := read(t, s.b, "Chinese left on "+p[0], chromedp.Evaluate[[]string](otherLanguageJS)); len(left) > 0 {
			t.Errorf("the English %s still shows: %s", p[0], strings.Join(left, "; "))
		}
	}
	// The choice is remembered.
	s.s(t, "reload", chromedp.Reload(), waitJS(`document.documentElement.lang === 'en' && document.querySelector('#page').dataset.page !== ''`))

	// Another role sees its own pages only, and is sent home from others.
	addHubAccount(t, "http://"+s.c.hubHTTP+"/api/v1", "cs01", "客服乙", "service", "Service-pass-2026")
	s.s(t, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-account")))
	shots.take(t, s.b, "login-en")
	s.login(t, "cs01", "Service-pass-2026")
	nav = read(t, s.b, "service navigation", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#nav a')].map((a) => a.dataset.page)`))
	if want := "overview outlets parcels complaints exceptions templates review forecast calendar customers classes surveys notices incidents manifests tariffs prohibited waybills"; strings.Join(nav, " ") != want {
		t.Errorf("customer service's navigation is %v, want %s", nav, want)
	}
	s.s(t, "accounts page as customer service", chromedp.Navigate(s.base+"#/accounts"), waitJS(`location.hash === '#/' && document.querySelector('#page').dataset.page === 'overview'`))
	// An auditor has no overview: the screen starts at its first page.
	s.s(t, "log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-account")))
	s.login(t, "au01", "Audit-pass-2026")
	s.s(t, "auditor's start", waitJS(`location.hash === '#/outlets' && document.querySelector('#page').dataset.page === 'outlets'`))
	nav = read(t, s.b, "auditor navigation", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#nav a')].map((a) => a.dataset.page)`))
	if want := "outlets audit"; strings.Join(nav, " ") != want {
		t.Errorf("an auditor's navigation is %v, want %s", nav, want)
	}
	s.openPage(t, "#/audit", "audit")
	s.checkPage(t, "#/audit as an auditor")
	s.b.checkNoExceptions(t)
	s.b.checkNoConsoleErrors(t, sessionRefusal)
}

// sessionRefusal tells the browser's log entry for the session route's 401
// (nobody logged in yet, a wrong password): an answer the login page shows,
// not a fault of the page.
func sessionRefusal(e string) bool {
	return strings.Contains(e, "status of 401") && strings.HasSuffix(e, "/api/v1/session)")
}

// TestHubScreenSteps takes head office's steps through the screen: a reply
// from a template on the complaint (the template's text fills the reply),
// and a bulk assign on the exception queue; the hub holds both. The
// exceptions' handling deadline is short, so the queue's countdown runs out
// on screen and their rows turn red.
func TestHubScreenSteps(t *testing.T) {
	s := startHubScreen(t, "--exception-deadlines", "damaged=20s,lost=20s")
	hubAPI := "http://" + s.c.hubHTTP + "/api/v1"
	s.login(t, hubAdmin, hubAdminPass)
	s.openPage(t, "#/exceptions", "exceptions")
	first := read(t, s.b, "a countdown", chromedp.Evaluate[string](`document.querySelector('tbody .countdown').textContent`))
	s.s(t, "the countdown runs",
		waitJS(fmt.Sprintf(`document.querySelector('tbody .countdown').textContent !== %q`, first)))
	s.s(t, "the deadline passes on screen",
		waitJS(`document.querySelectorAll('tbody tr.breached .countdown.breached').length === 2`))
	if got := read(t, s.b, "breached text", chromedp.Evaluate[string](`document.querySelector('tbody .countdown.breached').textContent`)); !strings.HasPrefix(got, "已超时") {
		t.Errorf("a breached deadline reads %q", got)
	}
	s.openPage(t, "#/complaints/"+s.complaint, "complaint")
	s.s(t, "reply from the template",
		runJS(`(() => { const sel = document.querySelector('select[name="template"]'); sel.value = sel.options[1].value; sel.dispatchEvent(new Event('change')); })()`),
		waitJS(`document.querySelector('textarea[name="reply"]').value.includes('24 小时内联系您')`),
		chromedp.Click(`button[data-step="acknowledge"]`),
		waitJS(`document.querySelector('[data-state]').dataset.state === 'acknowledged'`))
	var cv struct {
		State   string
		History []struct{ Step, Actor, Note string }
	}
	if code := call(t, "GET", hubAPI+"/complaints/"+s.complaint, apiToken, nil, &cv); code != 200 || cv.State != "acknowledged" {
		t.Fatalf("complaint at the hub: %d %+v", code, cv)
	}
	last := cv.History[len(cv.History)-1]
	if last.Step != "acknowledge" || last.Actor != hubAdmin || !strings.Contains(last.Note, "24 小时内联系您") {
		t.Errorf("the reply step is %+v, want acknowledge by %s with the template's text", last, hubAdmin)
	}
	// The outlet's counter shows the reply, under head office's account.
	counter := newBrowser(t)
	counter.step(t, "log in at the counter",
		chromedp.Navigate("http://"+s.a.http+"/"),
		chromedp.WaitVisible(chromedp.ID("login-form")),
		chromedp.SendKeys(chromedp.ID("login-staff"), "c01"),
		chromedp.SendKeys(chromedp.ID("login-pin"), "1234"), pressEnter(),
		chromedp.WaitVisible(chromedp.ID("scan-barcode")))
	reply := fmt.Sprintf(`#cmp-list li[data-id=%q] .history .history-item[data-origin="hub"][data-step="acknowledge"]`, s.complaint)
	untilOnPage(t, counter, "#/complaints", "cmp-list", "the counter shows head office's reply",
		fmt.Sprintf(`%s.includes('24 小时内联系您') && %s === '总部 · %s'`, jsText(reply), jsText(reply+" .history-actor"), hubAdmin))
	counter.checkNoExceptions(t)

	s.openPage(t, "#/exceptions", "exceptions")
	s.s(t, "bulk assign",
		waitJS(`document.querySelectorAll('tbody input[type=checkbox][data-id]').length === 2`),
		chromedp.Click(`thead input[type=checkbox]`),
		chromedp.SendKeys(`input[name="bulk-owner"]`, "hq-zhao"),
		chromedp.Click(`button[data-bulk="assign"]`),
		waitJS(`!document.querySelector('#info-banner').hidden`))
	var xs struct{ Exceptions []struct{ ID, Owner string } }
	call(t, "GET", hubAPI+"/exceptions", apiToken, nil, &xs)
	for _, x := range xs.Exceptions {
		if x.Owner != "hq-zhao" {
			t.Errorf("exception %s is %s's after the bulk assign", x.ID, x.Owner)
		}
	}
	s.b.checkNoExceptions(t)
}

// shotName names a page's screenshot: its page id, and "-search" for the
// parcel search with a query.
func shotName(p [2]string) string {
	if strings.HasPrefix(p[0], "#/parcels?") {
		return p[1] + "-search"
	}
	if strings.HasPrefix(p[0], "#/forecast?outlet=") {
		return p[1] + "-outlet"
	}
	return p[1]
}
