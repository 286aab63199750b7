package api

import (
	"context"
	"crypto/subtle"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// The gate is the one place that decides who may use which route of the
// hub's API; it wraps the whole mux, so a route added later is guarded
// without a line of its own. In order, it refuses:
//
//  1. a Host that is not a name of this hub (Options.Hosts: the listen
//     host, localhost, 127.0.0.1, ::1, the machine's hostname and [http]
//     names): a DNS-rebinding page sends its own Host;
//  2. a state-changing request (POST, PUT, PATCH, DELETE) from another
//     site: a foreign Origin, or none with Sec-Fetch-Site cross-site;
//  3. a state-changing request that is not application/json: a browser
//     sends JSON across sites only after a CORS preflight, which the hub
//     never answers; the public form routes (accounts.Forms) take an
//     HTML form's type instead, and rule 2 alone keeps other sites out;
//  4. a request without a caller, except to the public routes
//     (accounts.Public): a session cookie, an API token, or the legacy
//     --api-token, which is an administrator named admin;
//  5. a caller whose role (a token: its scope) the route table
//     (accounts.Routes) does not give the route. A route the table does
//     not list is refused to everyone: deny by default.
//
// Then it records every state-changing request that succeeded, and every
// view of a complaint or exception (they hold a customer's contact), in
// the audit trail. Every answer forbids framing.

// SessionCookie is the name of the session cookie.
const SessionCookie = "yizhan_hub_session"

// personalViews are the reads the audit trail records: they show a
// customer's contact.
var personalViews = []string{"GET /api/v1/complaints/{id}", "GET /api/v1/exceptions/{id}"}

// selfAudited are the routes whose handlers write their own audit rows
// (the login's outcome is known only there; a reveal is recorded as
// customer.revealed before the contact is answered).
var selfAudited = []string{"POST /api/v1/session", "DELETE /api/v1/session", "POST /api/v1/customers/{id}/reveal"}

type gate struct {
	a   *api
	mux *http.ServeMux
}

// statusWriter remembers the status an answer was sent with.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush passes through for streamed answers (CSV).
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "frame-ancestors 'none'")
	hosts := g.a.opt.Hosts
	if !hosts.Allows(r.Host) {
		writeErr(w, problem.New(problem.RequestBadHost, "host", r.Host, "allowed", hosts.Example()))
		return
	}
	_, pattern := g.mux.Handler(r)
	if problem.StateChanging(r.Method) {
		if origin, ok := problem.CrossSite(r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"), r.Host); ok {
			writeErr(w, problem.New(problem.RequestCrossSite, "origin", origin))
			return
		}
		if slices.Contains(accounts.Forms, pattern) {
			if !problem.IsForm(r.Header.Get("Content-Type")) {
				writeErr(w, problem.New(problem.RequestNotForm, "type", r.Header.Get("Content-Type")))
				return
			}
		} else if !problem.IsJSON(r.Header.Get("Content-Type")) {
			writeErr(w, problem.New(problem.RequestNotJSON, "type", r.Header.Get("Content-Type")))
			return
		}
	}
	if slices.Contains(accounts.Public, pattern) && (pattern != "/" || !strings.HasPrefix(r.URL.Path, "/api/")) {
		g.mux.ServeHTTP(w, r)
		return
	}
	c, code, err := g.a.authenticate(r)
	if err != nil {
		g.a.fail(w, r, err)
		return
	}
	if code != (problem.Code{}) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="yizhan-hub"`)
		writeErr(w, problem.New(code))
		return
	}
	if !allowed(c, r.Method, pattern) {
		if c.Token != "" {
			writeErr(w, problem.New(problem.AuthTokenScope, "name", c.Token, "scopes", []string{c.Scope}, "need", scopesFor(r.Method, pattern)))
			return
		}
		writeErr(w, problem.New(problem.AuthRoleForbidden, "role", string(c.Role), "route", pattern))
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	r = r.WithContext(accounts.NewContext(r.Context(), c))
	g.mux.ServeHTTP(sw, r)
	ok := sw.status >= 200 && sw.status < 300
	if ok && (problem.StateChanging(r.Method) && !slices.Contains(selfAudited, pattern) || slices.Contains(personalViews, pattern)) {
		g.a.audit(r, c, pattern, r.URL.Path, "")
	}
}

func allowed(c accounts.Caller, method, pattern string) bool {
	if c.Token != "" {
		return accounts.ScopeAllows(c.Scope, method, pattern)
	}
	return accounts.Allowed(c.Role, pattern)
}

// scopesFor lists the token scopes that may use a route.
func scopesFor(method, pattern string) []string {
	var out []string
	for _, s := range accounts.Scopes {
		if accounts.ScopeAllows(s, method, pattern) {
			out = append(out, s)
		}
	}
	return out
}

// authenticate finds the caller: the legacy token, an API token, or a
// session cookie. A zero code and nil error is a caller; otherwise the
// code says why not (401).
func (a *api) authenticate(r *http.Request) (accounts.Caller, problem.Code, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := problem.BearerToken(h)
		if !ok {
			return accounts.Caller{}, problem.AuthTokenRequired, nil
		}
		if a.opt.Token != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(a.opt.Token)) == 1 {
			return accounts.LegacyAdmin, problem.Code{}, nil
		}
		if a.opt.Accounts != nil {
			c, ok, err := a.opt.Accounts.Token(r.Context(), secret)
			if err != nil || ok {
				return c, problem.Code{}, err
			}
		}
		return accounts.Caller{}, problem.AuthTokenRequired, nil
	}
	ck, err := r.Cookie(SessionCookie)
	if err != nil || a.opt.Accounts == nil {
		// A browser (it says where a request comes from) is told to log
		// in; any other client to send its token.
		if r.Header.Get("Sec-Fetch-Site") != "" || r.URL.Path == "/api/v1/session" {
			return accounts.Caller{}, problem.AuthLoginRequired, nil
		}
		return accounts.Caller{}, problem.AuthTokenRequired, nil
	}
	c, _, ok, err := a.opt.Accounts.Session(r.Context(), ck.Value)
	if err != nil {
		return c, problem.Code{}, err
	}
	if !ok {
		return c, problem.AuthLoginRequired, nil
	}
	return c, problem.Code{}, nil
}

// audit writes one head-office action to the audit trail; a failure is
// logged, not answered: the action itself is done.
func (a *api) audit(r *http.Request, c accounts.Caller, action, subject, detail string) {
	if a.opt.Accounts == nil {
		return
	}
	if err := a.opt.Accounts.Audit(context.WithoutCancel(r.Context()), c, action, subject, detail, accounts.ClientAddr(r)); err != nil {
		a.opt.Logger.Error("audit row not written", "action", action, "subject", subject, "actor", c.Actor(), "err", err)
	}
}

// actor is who takes a step: the caller the gate let through.
func actor(r *http.Request) string {
	if c, ok := accounts.FromContext(r.Context()); ok {
		return c.Actor()
	}
	return ""
}

// handle registers a route on the mux and records its pattern, so the
// route table can be checked against every route (Patterns).
func (a *api) handle(mux *http.ServeMux, pattern string, h http.HandlerFunc) {
	a.patterns = append(a.patterns, pattern)
	mux.HandleFunc(pattern, h)
}

// Patterns lists every route pattern Handler registers, sorted.
func Patterns(opt Options) []string {
	a := &api{opt: opt}
	a.routes(http.NewServeMux())
	out := append([]string{}, a.patterns...)
	sort.Strings(out)
	return out
}
