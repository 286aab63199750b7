package server

import (
	"context"
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
	"github.com/yizhan/yizhan/hub/surveys"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

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
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	resp, err := c.Get("http://" + s.HTTPAddr() + "/s/" + strings.Repeat("ab", 20))
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
