package accounts

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// The per-client budget of wrong passwords, across all accounts, as the
// agent's for PINs (agent/staff/limit.go).
//
// Why these numbers: each account locks after MaxFailures, so people
// mistyping never get near twenty wrong passwords in a quarter of an hour
// from one address; a guesser spraying one password over many ids gets
// about 1,900 tries a day from one address instead of MaxFailures per id
// with no bound. Head office's people sit behind few addresses (an office
// NAT), so the budget is twice the agent's; the window slides, and an
// administrator's unlock clears every client's budget.
const (
	ClientBudget = 20
	ClientWindow = 15 * time.Minute
	maxClients   = 4096
)

// clientLimitedError says until when a client may not try a password.
func clientLimitedError(until time.Time) error {
	return problem.New(problem.AuthClientLimited, "failures", ClientBudget, "until", until.UTC().Format(time.RFC3339))
}

// clientLimits are the clients' recent wrong PINs, in memory: a restart
// is a privileged act and ends them, as it ends sessions.
type clientLimits struct {
	now func() time.Time
	mu  sync.Mutex
	m   map[string]*client
}

type client struct {
	fails    []time.Time // wrong PINs inside the window, oldest first
	inflight int         // checks running now, counted as failures until they end
	seen     time.Time
}

func newClientLimits(now func() time.Time) *clientLimits {
	return &clientLimits{now: now, m: make(map[string]*client)}
}

// prune drops failures outside the window, and those ahead of now (the
// clock went back: a lock must not outlast the window).
func (c *client) prune(now time.Time) {
	i := 0
	for i < len(c.fails) && now.Sub(c.fails[i]) >= ClientWindow {
		i++
	}
	c.fails = c.fails[i:]
	for len(c.fails) > 0 && c.fails[len(c.fails)-1].After(now) {
		c.fails = c.fails[:len(c.fails)-1]
	}
}

// reserve admits one check from addr, counting it as a failure until done
// says otherwise, so checks sent at once cannot all slip in before the
// first failure is counted. "" is a check from inside the agent: no limit.
func (l *clientLimits) reserve(addr string) error {
	if addr == "" {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	c := l.m[addr]
	if c == nil {
		if len(l.m) >= maxClients {
			l.evict(now)
		}
		c = &client{}
		l.m[addr] = c
	}
	c.seen = now
	c.prune(now)
	if len(c.fails)+c.inflight >= ClientBudget {
		until := now.Add(time.Second) // spent by checks still running
		if len(c.fails) >= ClientBudget {
			until = c.fails[len(c.fails)-ClientBudget].Add(ClientWindow)
		}
		return clientLimitedError(until)
	}
	c.inflight++
	return nil
}

// done ends a reserved check; failed says it hashed a wrong PIN. It
// reports when that failure spent the budget, and until when.
func (l *clientLimits) done(addr string, failed bool) (limited bool, until time.Time) {
	if addr == "" {
		return false, time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.m[addr]
	if c == nil { // cleared meanwhile
		return false, time.Time{}
	}
	c.inflight = max(c.inflight-1, 0)
	if !failed {
		return false, time.Time{}
	}
	now := l.now()
	c.prune(now)
	c.fails = append(c.fails, now)
	if len(c.fails) == ClientBudget {
		return true, c.fails[0].Add(ClientWindow)
	}
	return false, time.Time{}
}

// evict drops the clients with no failure in the window, or else the one
// seen least recently.
func (l *clientLimits) evict(now time.Time) {
	var oldest string
	for k, c := range l.m {
		if c.prune(now); len(c.fails) == 0 && c.inflight == 0 {
			delete(l.m, k)
			continue
		}
		if oldest == "" || c.seen.Before(l.m[oldest].seen) {
			oldest = k
		}
	}
	if len(l.m) >= maxClients && oldest != "" {
		delete(l.m, oldest)
	}
}

// reset forgets every client's failures, for a supervisor's unlock.
func (l *clientLimits) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, c := range l.m {
		if c.inflight == 0 {
			delete(l.m, k)
		} else {
			c.fails = nil
		}
	}
}

// ClientAddr is whom a request counts against: its peer's address from
// RemoteAddr, never a header the client writes (behind a trusted proxy,
// Proxies.Wrap has set RemoteAddr to the client the proxy saw). An IPv6
// address counts by its /64, which one machine can fill with addresses.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
		return host
	case ip.To4() != nil:
		return ip.To4().String()
	default:
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
}
