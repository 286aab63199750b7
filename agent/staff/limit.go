package staff

import (
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// The per-client budget of wrong PINs, across all ids.
//
// Why these numbers: each id locks after MaxFailures, so a counter's staff
// mistyping never get near ten wrong PINs in a quarter of an hour from one
// PC; a guesser spraying one PIN over many ids gets 960 tries a day from
// one address instead of MaxFailures per id with no bound. The agent
// usually sees every login from 127.0.0.1 (the counter's own browser), so
// whoever spends the budget there shuts the counter out too, but never for
// long: the window slides, so the counter is back ClientWindow after the
// last wrong PIN at most, and a supervisor's unlock (the staff command
// works on the PC itself) clears every client's budget at once.
const (
	ClientBudget = 10
	ClientWindow = 15 * time.Minute
	// maxClients bounds the table; beyond it the client seen least
	// recently goes.
	maxClients = 4096
)

// ClientLimitedError says until when a client may not try a PIN, for
// Retry-After. errors.Is(err, problem.StaffClientLimited) holds for it.
type ClientLimitedError struct {
	Until, Now time.Time
}

// Problem is the error as the catalog words it.
func (e *ClientLimitedError) Problem() *problem.Error {
	return problem.New(problem.StaffClientLimited, "failures", ClientBudget, "until", e.Until.Local().Format("15:04:05"),
		"left", e.Until.Sub(e.Now).Round(time.Second).String())
}

func (e *ClientLimitedError) Error() string { return e.Problem().Error() }

// Unwrap lets errors.Is and problem.As find the problem.
func (e *ClientLimitedError) Unwrap() error { return e.Problem() }

// RetryAfter is how long the client waits.
func (e *ClientLimitedError) RetryAfter() time.Duration { return e.Until.Sub(e.Now) }

// RetryAfter is how long the id stays locked.
func (e *LockedError) RetryAfter() time.Duration { return e.Until.Sub(e.Now) }

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
		return &ClientLimitedError{Until: until, Now: now}
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

// clientAddr is whom a request counts against: its peer's address from
// RemoteAddr, never a header the client writes. An IPv6 address counts by
// its /64, which one machine can fill with addresses.
func clientAddr(r *http.Request) string {
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
