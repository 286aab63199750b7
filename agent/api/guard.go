package api

import (
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/agent/staff/tokens"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// The gate is the one place that decides who may use which route of the
// agent's HTTP API; it wraps the whole mux, so a route added later is
// guarded without a line of its own. In order, it refuses:
//
//  1. a Host that is not a name of this agent (DNS rebinding: a page on
//     evil.example that resolves its name to 127.0.0.1 sends
//     Host: evil.example);
//  2. a state-changing request (POST, PUT, PATCH, DELETE) from another
//     site: a foreign Origin, or no Origin with Sec-Fetch-Site: cross-site;
//  3. a state-changing request that is not JSON: a browser sends JSON
//     across sites only after a CORS preflight, which the agent never
//     answers, so this stops the forms and no-cors fetches the Origin check
//     might miss in an old browser;
//  4. a request without a staff session, an API token (agent/staff/tokens) or the
//     local admin token, except to the public routes: GET /healthz,
//     GET /readyz, GET /metrics, the login (POST /api/v1/session) and the screen's files;
//  5. a token on a route outside its scopes, and the local admin token
//     outside the staff and token administration and the backup.
//
// Every answer also forbids framing, so another site cannot show the
// screen under its own and have a clerk click in it.
//
// The login passes 1–3 like every state-changing request: five cross-site
// POSTs must not lock a supervisor out.

// tokenRoutes are the routes an API token may use, by mux pattern, and the
// scope each needs. Every other route needs a staff member.
var tokenRoutes = map[string]string{
	"POST /api/v1/scans":            tokens.ScopeScans,
	"GET /api/v1/sync":              tokens.ScopeRead,
	"GET /api/v1/sync/dead-letters": tokens.ScopeRead,
	"GET /api/v1/downlink":          tokens.ScopeRead,
	"GET /api/v1/devices":           tokens.ScopeRead,
	"GET /api/v1/kinds":             tokens.ScopeRead,
}

// publicRoutes need nobody: monitoring, the login, and (with uiRoute) the
// screen's files.
var publicRoutes = []string{"GET /healthz", "GET /readyz", "GET /metrics", "POST /api/v1/session"}

const uiRoute = "GET /"

// adminPaths are where the local admin token is taken (the staff, token
// and backup commands on a running agent); the routes check it themselves.
var adminPaths = []string{"/api/v1/staff", "/api/v1/tokens", "/api/v1/backup"}

// TokenChecker finds the API token behind a secret.
type TokenChecker interface {
	Check(secret string) (tokens.Token, bool)
}

// HostPolicy says which Host headers name this agent (the one rule of
// syncproto/problem, which the hub's gate uses too).
type HostPolicy = problem.HostPolicy

// NewHostPolicy allows, at the port of listen, localhost, 127.0.0.1, ::1,
// the address listen names, and the names in extra (hosts only, no port:
// the one the agent listens on is the one it takes). listenHost is the host
// of the configured address as written (a name such as outlet-pc), or "".
// When listen is every address (0.0.0.0, ::), any IP literal is allowed
// too: DNS rebinding needs a name, and the counter PC's LAN address may
// change. A nil listen allows the loopback names at any port.
func NewHostPolicy(listen net.Addr, listenHost string, extra []string) HostPolicy {
	port, anyIP := "", false
	names := append([]string{listenHost}, extra...)
	if tcp, ok := listen.(*net.TCPAddr); ok {
		port = strconv.Itoa(tcp.Port)
		if tcp.IP == nil || tcp.IP.IsUnspecified() {
			anyIP = true
		} else {
			names = append(names, tcp.IP.String())
		}
	}
	return problem.NewHostPolicy(port, anyIP, names...)
}

type gate struct {
	next     *http.ServeMux
	hosts    HostPolicy
	sessions *staff.Sessions // nil: no staff list, only tokens and public routes
	tokens   TokenChecker    // nil: no tokens
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// No other site may frame the screen and have a clerk click in it.
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
	if !g.hosts.Allows(r.Host) {
		writeErr(w, problem.New(problem.RequestHostRefused, "host", r.Host, "allowed", g.hosts.Example()))
		return
	}
	if problem.StateChanging(r.Method) {
		if origin, ok := problem.CrossSite(r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"), r.Host); ok {
			writeErr(w, problem.New(problem.RequestCrossSite, "origin", origin))
			return
		}
		if !problem.IsJSON(r.Header.Get("Content-Type")) {
			writeErr(w, problem.New(problem.RequestNotJSON, "type", r.Header.Get("Content-Type")))
			return
		}
	}
	_, pattern := g.next.Handler(r)
	if slices.Contains(publicRoutes, pattern) || pattern == uiRoute && !strings.HasPrefix(r.URL.Path, "/api/") {
		g.next.ServeHTTP(w, r)
		return
	}
	secret, ok := bearer(r)
	switch {
	case !ok:
		unauthenticated(w, problem.AuthLoginRequired)
	case staff.IsAdminToken(secret):
		if !slices.ContainsFunc(adminPaths, func(p string) bool { return r.URL.Path == p || strings.HasPrefix(r.URL.Path, p+"/") }) {
			writeErr(w, problem.New(problem.AuthStaffOnly))
			return
		}
		// The staff and token routes check the token and that it comes
		// from this PC.
		g.next.ServeHTTP(w, r)
	case strings.HasPrefix(secret, tokens.Prefix):
		var t tokens.Token
		if g.tokens != nil {
			t, ok = g.tokens.Check(secret)
		}
		if !ok {
			unauthenticated(w, problem.AuthTokenUnknown)
			return
		}
		need, ok := tokenRoutes[pattern]
		if !ok {
			writeErr(w, problem.New(problem.AuthStaffOnly))
			return
		}
		if !t.Has(need) {
			writeErr(w, problem.New(problem.AuthTokenScope, "name", t.Name, "scopes", t.Scopes, "need", need))
			return
		}
		g.next.ServeHTTP(w, r.WithContext(tokens.NewContext(r.Context(), t)))
	default:
		var st staff.Staff
		if g.sessions != nil {
			st, ok = g.sessions.Lookup(secret)
		}
		if !ok {
			unauthenticated(w, problem.AuthLoginRequired)
			return
		}
		g.next.ServeHTTP(w, r.WithContext(staff.NewContext(r.Context(), st)))
	}
}

// bearer returns the token of an "Authorization: Bearer <token>" header,
// by the one rule both programs read it with.
func bearer(r *http.Request) (string, bool) {
	return problem.BearerToken(r.Header.Get("Authorization"))
}

func unauthenticated(w http.ResponseWriter, code problem.Code) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="yizhan-agent"`)
	writeErr(w, problem.New(code))
}

// actor is who acts in a request the gate let through: the staff member,
// or the token as "token:NAME"; "" for neither.
func actor(r *http.Request) string {
	if st, ok := staff.FromContext(r.Context()); ok {
		return st.ID
	}
	if t, ok := tokens.FromContext(r.Context()); ok {
		return t.Actor()
	}
	return ""
}
