package server

import (
	"context"
	"html"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/progress"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/surveys"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// answer is one HTTP answer of the progress page.
type answer struct {
	status int
	header http.Header
	body   string
}

// progressFrom sends a request to the hub's progress page from a loopback
// address of its own (127.0.0.x: every one is this machine on Linux), so
// that the limits see several clients.
func progressFrom(t *testing.T, s *Server, from, method string, form url.Values, set map[string]string) answer {
	t.Helper()
	c := clientFrom(from)
	req, _ := http.NewRequest(method, "http://"+s.HTTPAddr()+progress.Path, strings.NewReader(form.Encode()))
	if method == http.MethodGet {
		req.URL.RawQuery = form.Encode()
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://"+s.HTTPAddr())
	}
	for k, v := range set {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s from %s: %v", method, progress.Path, from, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(raw)}
}

// clientFrom is an HTTP client whose connections come from the loopback
// address from.
func clientFrom(from string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// text is an answer's body as a browser shows its characters.
func (a answer) text() string { return html.UnescapeString(a.body) }

func lookup(ticket, digits, lang string) url.Values {
	return url.Values{"t": {ticket}, "d": {digits}, "lang": {lang}}
}

// sameAnswer fails unless a and b have the same status, body and headers
// (Date aside).
func sameAnswer(t *testing.T, what string, a, b answer) {
	t.Helper()
	ha, hb := maps.Clone(a.header), maps.Clone(b.header)
	ha.Del("Date")
	hb.Del("Date")
	if a.status != b.status || a.body != b.body || !equalHeaders(ha, hb) {
		t.Errorf("%s: the answers differ:\n%d %v\n%s\n---\n%d %v\n%s", what, a.status, ha, a.body, b.status, hb, b.body)
	}
}

func equalHeaders(a, b http.Header) bool {
	return maps.EqualFunc(a, b, func(x, y []string) bool { return strings.Join(x, "\n") == strings.Join(y, "\n") })
}

// Progress page. The right pair shows the case, a wrong pair and a missing
// ticket look the same, and guessing is rate-limited.
func TestProgressPage(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC))
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-001")
	region, city := "华东", "上海"
	if _, err := s.Store.SetPlace(context.Background(), "SH-001", store.Place{Region: &region, City: &city}); err != nil {
		t.Fatal(err)
	}
	o := newOutlet("SH-001", clk)
	complaint := func(phoneMasked string) (id, ticket string) {
		id = syncproto.NewID()
		ticket = lifecycle.ComplaintTicket(ms(clk.Now()), o.id, id)
		o.event(lifecycle.ComplaintReceived, id, lifecycle.ComplaintReceivedV1{Ticket: ticket, Channel: "counter", Type: "complaint",
			Category: "delay", Severity: "routine", Customer: "cust-hash", CustomerMasked: phoneMasked, PhoneSealed: "sealed-phone",
			NameMasked: "张*", TextSealed: "sealed-text", Owner: "li", At: ms(clk.Now())})
		return id, ticket
	}
	id, ticket := complaint("138****5678")

	// Before the complaint reaches head office its ticket is missing: the
	// same request as the wrong pair's below, answered the same.
	missing := progressFrom(t, s, "127.0.0.1", "POST", lookup(ticket, "0000", "zh"), nil)
	o.send(t, s, 1)
	wrong := progressFrom(t, s, "127.0.0.1", "POST", lookup(ticket, "0000", "zh"), nil)
	if wrong.status != http.StatusNotFound {
		t.Fatalf("wrong pair: %d %s", wrong.status, wrong.body)
	}
	sameAnswer(t, "a missing ticket and a wrong pair", missing, wrong)
	// A ticket that never existed, of the same outlet and of another, and
	// a made-up string: the same answer, but for the ticket it echoes.
	for _, other := range []string{lifecycle.ComplaintTicket(ms(clk.Now()), "SH-001", syncproto.NewID()),
		lifecycle.ComplaintTicket(ms(clk.Now()), "BJ-9", id), "T" + strings.Repeat("9", 20)} {
		a := progressFrom(t, s, "127.0.0.1", "POST", lookup(other, "5678", "zh"), nil)
		a.body = strings.ReplaceAll(a.body, other, ticket)
		a.header.Set("Content-Length", strconv.Itoa(len(a.body)))
		sameAnswer(t, "another missing ticket "+other, a, wrong)
	}
	if strings.Contains(wrong.body, "5678") || strings.Contains(wrong.body, "138") {
		t.Errorf("a refusal shows the phone: %s", wrong.body)
	}

	// The right pair: stage, next deadline and outlet, in either language,
	// typed as people type it.
	for _, tc := range []struct{ lang, ticket, digits, stage, due string }{
		{"zh", ticket, "5678", "已受理，等待答复", "最迟首次答复时间"},
		{"en", strings.ToLower(ticket), "５６７８", "Received: we will reply", "First reply by"},
	} {
		a := progressFrom(t, s, "127.0.0.1", "POST", lookup(tc.ticket, tc.digits, tc.lang), nil)
		if a.status != http.StatusOK {
			t.Fatalf("%s: right pair %d %s", tc.lang, a.status, a.body)
		}
		for _, want := range []string{tc.stage, tc.due, "2026-07-02 08:00 (UTC+00:00)", "SH-001 · 上海"} {
			if !strings.Contains(a.text(), want) {
				t.Errorf("%s: the page lacks %q:\n%s", tc.lang, want, a.body)
			}
		}
		for _, never := range []string{"5678", "138", "张", "sealed", "cust-hash", ">li<", "delay", "华东"} {
			if strings.Contains(a.body, never) {
				t.Errorf("%s: the page shows %q:\n%s", tc.lang, never, a.body)
			}
		}
		if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("CSP %q", csp)
		}
		if a.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q", a.header.Get("Cache-Control"))
		}
	}
	// An outlet whose id is in lower case: its ticket typed in upper case.
	addOutlet(t, s, "gz-7")
	lc := newOutlet("gz-7", clk)
	lcID := syncproto.NewID()
	lcTicket := lifecycle.ComplaintTicket(ms(clk.Now()), lc.id, lcID)
	lc.event(lifecycle.ComplaintReceived, lcID, lifecycle.ComplaintReceivedV1{Ticket: lcTicket, Channel: "counter", Type: "suggestion",
		Category: "other", Severity: "routine", CustomerMasked: "137****0001", TextSealed: "x", Owner: "wu", At: ms(clk.Now())})
	lc.send(t, s, 1)
	if a := progressFrom(t, s, "127.0.0.1", "POST", lookup(strings.ToUpper(lcTicket), "0001", "zh"), nil); a.status != http.StatusOK ||
		!strings.Contains(a.text(), "gz-7") {
		t.Errorf("a lower-case outlet's ticket in upper case: %d %s", a.status, a.body)
	}
	// A step moves the stage and the deadline on.
	o.event(lifecycle.ComplaintStep, id, lifecycle.ComplaintStepV1{Step: "acknowledge", At: ms(clk.Now())})
	o.send(t, s, o.seq)
	if a := progressFrom(t, s, "127.0.0.1", "POST", lookup(ticket, "5678", "en"), nil); !strings.Contains(a.body, "Replied: we are on it") ||
		!strings.Contains(a.body, "Result by") || !strings.Contains(a.text(), "2026-07-08 08:00 (UTC+00:00)") {
		t.Errorf("after the first reply: %d %s", a.status, a.body)
	}
	// Four digits only, whatever the ticket: no lookup, no ticket spent.
	if a := progressFrom(t, s, "127.0.0.1", "POST", lookup(ticket, "567", "zh"), nil); a.status != http.StatusBadRequest || !strings.Contains(a.body, "后四位") {
		t.Errorf("three digits: %d %s", a.status, a.body)
	}

	// Guessing one ticket from many addresses: TicketBudget failures in
	// all, then 429 for every address, the right pair too, until the
	// window ends. Right pairs spend nothing.
	_, ticket2 := complaint("139****0042")
	o.send(t, s, o.seq)
	for i := range 2 * progress.TicketBudget {
		if a := progressFrom(t, s, "127.0.0.9", "POST", lookup(ticket2, "0042", "zh"), nil); a.status != http.StatusOK {
			t.Fatalf("right pair %d: %d", i, a.status)
		}
	}
	for i := range progress.TicketBudget {
		from, tk := "127.0.1."+strconv.Itoa(2+i%3), ticket2
		if i%2 == 1 {
			tk = strings.ToLower(tk) // one ticket, however it is spelt
		}
		if a := progressFrom(t, s, from, "POST", lookup(tk, strconv.Itoa(1000+i), "zh"), nil); a.status != http.StatusNotFound {
			t.Fatalf("guess %d from %s: %d", i+1, from, a.status)
		}
	}
	limited := progressFrom(t, s, "127.0.1.5", "POST", lookup(ticket2, "1999", "zh"), nil)
	retry, _ := strconv.Atoi(limited.header.Get("Retry-After"))
	if limited.status != http.StatusTooManyRequests || retry <= 0 || retry > int(progress.TicketWindow/time.Second) {
		t.Fatalf("guess %d from a new address: %d, Retry-After %q", progress.TicketBudget+1, limited.status, limited.header.Get("Retry-After"))
	}
	if a := progressFrom(t, s, "127.0.1.6", "POST", lookup(ticket2, "0042", "zh"), nil); a.status != http.StatusTooManyRequests {
		t.Errorf("the right pair of a ticket being guessed: %d", a.status)
	}
	if a := progressFrom(t, s, "127.0.1.6", "POST", lookup(ticket, "5678", "zh"), nil); a.status != http.StatusOK {
		t.Errorf("another ticket while one is limited: %d", a.status)
	}
	clk.Advance(progress.TicketWindow)
	if a := progressFrom(t, s, "127.0.1.7", "POST", lookup(ticket2, "0042", "zh"), nil); a.status != http.StatusOK {
		t.Errorf("the right pair after the window: %d", a.status)
	}

	// One address over many tickets: AddressBudget tries, then 429.
	for i := range progress.AddressBudget {
		tk := lifecycle.ComplaintTicket(ms(clk.Now()), "SH-001", syncproto.NewID())
		if a := progressFrom(t, s, "127.0.2.1", "POST", lookup(tk, "1234", "zh"), nil); a.status != http.StatusNotFound {
			t.Fatalf("try %d: %d", i+1, a.status)
		}
	}
	if a := progressFrom(t, s, "127.0.2.1", "POST", lookup(ticket, "5678", "en"), nil); a.status != http.StatusTooManyRequests ||
		a.header.Get("Retry-After") == "" || !strings.Contains(a.body, "too many tries") {
		t.Errorf("try %d from one address: %d %q", progress.AddressBudget+1, a.status, a.header.Get("Retry-After"))
	}
}

// The progress page's hostile requests: another site's form, a page
// reached through a rebinding name, a body that is not a form, a body too
// big.
func TestProgressPageRefusesForeignRequests(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC))
	s := startHubClock(t, clk, time.Hour)
	form := lookup("T260701-SH-001-ABCDEF", "1234", "zh")
	for _, tc := range []struct {
		name, method string
		set          map[string]string
		status       int
		code         string
	}{
		{"GET, foreign Host", "GET", map[string]string{"Host": "evil.example"}, http.StatusForbidden, "request.bad_host"},
		{"POST, foreign Host", "POST", map[string]string{"Host": "evil.example", "Origin": "http://evil.example"}, http.StatusForbidden, "request.bad_host"},
		{"POST from another site", "POST", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden, "request.cross_site"},
		{"POST, cross-site fetch without Origin", "POST", map[string]string{"Origin": "", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, "request.cross_site"},
		{"POST as text/plain", "POST", map[string]string{"Content-Type": "text/plain"}, http.StatusBadRequest, "request.not_form"},
		{"POST as JSON", "POST", map[string]string{"Content-Type": "application/json"}, http.StatusBadRequest, "request.not_form"},
		{"GET, the hub's own name", "GET", nil, http.StatusOK, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := progressFrom(t, s, "127.0.0.1", tc.method, form, tc.set)
			if a.status != tc.status || !strings.Contains(a.body, tc.code) {
				t.Errorf("%d %s, want %d %s", a.status, a.body, tc.status, tc.code)
			}
			if tc.status == http.StatusOK && !strings.Contains(a.body, `value="T260701-SH-001-ABCDEF"`) {
				t.Errorf("the ticket of ?t= is not filled in: %s", a.body)
			}
		})
	}
	// A link made to inject markup shows it as text.
	if a := progressFrom(t, s, "127.0.0.1", "GET", url.Values{"t": {`"><script>alert(1)</script>`}, "lang": {`en"><b>`}}, nil); a.status != http.StatusOK ||
		strings.Contains(a.body, "<script") || strings.Contains(a.body, "<b>") {
		t.Errorf("a hostile link: %d %s", a.status, a.body)
	}
	big := lookup("T260701-SH-001-ABCDEF", "1234", "zh")
	big.Set("pad", strings.Repeat("x", 64<<10))
	if a := progressFrom(t, s, "127.0.0.1", "POST", big, nil); a.status == http.StatusOK || a.status >= 500 {
		t.Errorf("a 64 KiB form: %d", a.status)
	}
}

// progressComplaint records a complaint of outlet o at s whose phone ends
// in digits and returns its ticket.
func progressComplaint(t *testing.T, s *Server, o *fakeOutlet, clk *clock.Manual, digits string) string {
	t.Helper()
	id := syncproto.NewID()
	ticket := lifecycle.ComplaintTicket(ms(clk.Now()), o.id, id)
	o.event(lifecycle.ComplaintReceived, id, lifecycle.ComplaintReceivedV1{Ticket: ticket, Channel: "counter", Type: "complaint",
		Category: "delay", Severity: "routine", Customer: "cust-hash", CustomerMasked: "138****" + digits, TextSealed: "x", Owner: "li", At: ms(clk.Now())})
	o.send(t, s, o.seq)
	return ticket
}

// TestGuessLimitsSharedAcrossHubs: two hubs on one PostgreSQL count one
// ticket's failures and one address's tries together. Nine wrong pairs
// through hub A and one through hub B lock the ticket on both, for every
// address and the right pair too; a hub started afterwards knows it. An
// address's tries spread over both hubs stop at one budget, not two, on
// the progress page and on the survey page.
func TestGuessLimitsSharedAcrossHubs(t *testing.T) {
	pg := harness.StartPostgres(t, harness.PostgresOptions{})
	dbURL := pg.NewDatabase(t)
	clk := clock.NewManual(time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC))
	start := func() *Server {
		t.Helper()
		s, err := Start(context.Background(), Config{DataDir: t.TempDir(), StoreURL: dbURL, HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0",
			Logger: discard(), Clock: clk, SweepEvery: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	a, b := start(), start()
	addOutlet(t, a, "SH-001")
	o := newOutlet("SH-001", clk)
	ticket := progressComplaint(t, a, o, clk, "0042")
	if r := progressFrom(t, b, "127.0.0.1", "POST", lookup(ticket, "0042", "zh"), nil); r.status != http.StatusOK {
		t.Fatalf("the right pair through hub B: %d", r.status)
	}

	for i := range progress.TicketBudget - 1 {
		from := "127.0.5." + strconv.Itoa(1+i)
		if r := progressFrom(t, a, from, "POST", lookup(ticket, strconv.Itoa(1000+i), "zh"), nil); r.status != http.StatusNotFound {
			t.Fatalf("wrong pair %d through hub A: %d", i+1, r.status)
		}
	}
	if r := progressFrom(t, b, "127.0.5.20", "POST", lookup(ticket, "1999", "zh"), nil); r.status != http.StatusNotFound {
		t.Fatalf("wrong pair %d through hub B: %d, want it counted and answered", progress.TicketBudget, r.status)
	}
	for name, s := range map[string]*Server{"A": a, "B": b, "C (started after)": start()} {
		r := progressFrom(t, s, "127.0.5.30", "POST", lookup(ticket, "0042", "zh"), nil)
		if retry, _ := strconv.Atoi(r.header.Get("Retry-After")); r.status != http.StatusTooManyRequests || retry <= 0 {
			t.Errorf("the right pair through hub %s after %d failures on A and B: %d, Retry-After %q", name, progress.TicketBudget,
				r.status, r.header.Get("Retry-After"))
		}
	}

	// One address over many tickets, alternating hubs: AddressBudget in all.
	for i := range progress.AddressBudget {
		s := a
		if i%2 == 1 {
			s = b
		}
		tk := lifecycle.ComplaintTicket(ms(clk.Now()), "SH-001", syncproto.NewID())
		if r := progressFrom(t, s, "127.0.6.1", "POST", lookup(tk, "1234", "zh"), nil); r.status != http.StatusNotFound {
			t.Fatalf("try %d from one address: %d", i+1, r.status)
		}
	}
	for name, s := range map[string]*Server{"A": a, "B": b} {
		if r := progressFrom(t, s, "127.0.6.1", "POST", lookup(ticket, "0042", "zh"), nil); r.status != http.StatusTooManyRequests {
			t.Errorf("try %d from one address through hub %s: %d, want 429", progress.AddressBudget+1, name, r.status)
		}
	}

	// The survey page's budget per address, over both hubs: PageBudget in
	// all (a made-up token, on hubs without the master key, counts like
	// any other request).
	for i := range surveys.PageBudget {
		s := a
		if i%2 == 1 {
			s = b
		}
		if code := surveyFrom(t, s, "127.0.7.1"); code == http.StatusTooManyRequests {
			t.Fatalf("survey request %d from one address: %d", i+1, code)
		}
	}
	for name, s := range map[string]*Server{"A": a, "B": b} {
		if code := surveyFrom(t, s, "127.0.7.1"); code != http.StatusTooManyRequests {
			t.Errorf("survey request %d from one address through hub %s: %d, want 429", surveys.PageBudget+1, name, code)
		}
	}

	// The windows end for every hub at once.
	clk.Advance(progress.TicketWindow)
	if r := progressFrom(t, b, "127.0.6.1", "POST", lookup(ticket, "0042", "zh"), nil); r.status != http.StatusOK {
		t.Errorf("the right pair after the window: %d", r.status)
	}
}

// surveyFrom opens a made-up survey link at s from the loopback address
// from and returns the status.
func surveyFrom(t *testing.T, s *Server, from string) int {
	t.Helper()
	resp, err := clientFrom(from).Get("http://" + s.HTTPAddr() + "/s/" + strings.Repeat("ab", 20))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestProgressBehindProxy: behind a trusted proxy each customer has an
// address budget of their own, read from X-Forwarded-For, and a client
// cannot escape its budget by writing the header itself: not from an
// untrusted peer, not left of what the proxy appends.
func TestProgressBehindProxy(t *testing.T) {
	clk := clock.NewManual(time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC))
	proxies, err := accounts.ParseProxies("127.0.3.0/24")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0",
		Logger: discard(), Clock: clk, SweepEvery: time.Hour, TrustedProxies: proxies})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	addOutlet(t, s, "SH-001")
	o := newOutlet("SH-001", clk)
	ticket := progressComplaint(t, s, o, clk, "5678")
	made := func() url.Values {
		return lookup(lifecycle.ComplaintTicket(ms(clk.Now()), "SH-001", syncproto.NewID()), "1234", "zh")
	}
	xff := func(v string) map[string]string { return map[string]string{"X-Forwarded-For": v} }

	// Customer 203.0.113.7 through the proxy spends its own budget.
	for i := range progress.AddressBudget {
		if r := progressFrom(t, s, "127.0.3.1", "POST", made(), xff("203.0.113.7")); r.status != http.StatusNotFound {
			t.Fatalf("try %d of 203.0.113.7 through the proxy: %d", i+1, r.status)
		}
	}
	if r := progressFrom(t, s, "127.0.3.1", "POST", lookup(ticket, "5678", "zh"), xff("203.0.113.7")); r.status != http.StatusTooManyRequests {
		t.Errorf("203.0.113.7 past its budget: %d, want 429", r.status)
	}
	// It writes another address left of the proxy's entry: still itself,
	// through either hop of the proxy.
	for _, proxy := range []string{"127.0.3.1", "127.0.3.2"} {
		if r := progressFrom(t, s, proxy, "POST", lookup(ticket, "5678", "zh"), xff("198.51.100.1, 203.0.113.7")); r.status != http.StatusTooManyRequests {
			t.Errorf("203.0.113.7 naming another address left of the proxy's, through %s: %d, want 429", proxy, r.status)
		}
	}
	// Another customer through the same proxy is not limited with it,
	// and neither is the proxy's own address.
	if r := progressFrom(t, s, "127.0.3.1", "POST", lookup(ticket, "5678", "zh"), xff("203.0.113.8")); r.status != http.StatusOK {
		t.Errorf("another customer through the proxy: %d, want 200", r.status)
	}
	if r := progressFrom(t, s, "127.0.3.1", "POST", lookup(ticket, "5678", "zh"), nil); r.status != http.StatusOK {
		t.Errorf("the proxy itself: %d, want 200", r.status)
	}

	// An untrusted peer forging the header, a new address every time:
	// counted as itself.
	for i := range progress.AddressBudget {
		if r := progressFrom(t, s, "127.0.4.1", "POST", made(), xff("192.0.2."+strconv.Itoa(1+i))); r.status != http.StatusNotFound {
			t.Fatalf("forged try %d: %d", i+1, r.status)
		}
	}
	if r := progressFrom(t, s, "127.0.4.1", "POST", lookup(ticket, "5678", "zh"), xff("192.0.2.200")); r.status != http.StatusTooManyRequests {
		t.Errorf("an untrusted peer past its budget with a forged header: %d, want 429", r.status)
	}
	// And the forged addresses were charged nothing: through the proxy,
	// one of them is a fresh customer.
	if r := progressFrom(t, s, "127.0.3.1", "POST", lookup(ticket, "5678", "zh"), xff("192.0.2.1")); r.status != http.StatusOK {
		t.Errorf("an address an untrusted peer forged, through the proxy: %d, want 200", r.status)
	}
}
