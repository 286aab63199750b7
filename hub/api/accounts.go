package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	pathpkg "path"
	"slices"
	"strconv"
	"time"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Head office's people (hub/accounts):
//
//	POST   /api/v1/session              {"account","password"}: log in; sets the cookie
//	GET    /api/v1/session              who is logged in, and until when
//	DELETE /api/v1/session              log out
//	GET    /api/v1/accounts             the accounts by id (no password hashes): ?limit=&cursor=&format=csv&lang=
//	POST   /api/v1/accounts             {"id","name","role","password"}
//	POST   /api/v1/accounts/{id}/disable, /enable, /unlock, /reset {"password"}
//	GET    /api/v1/tokens               API tokens by name, without their secrets: ?limit=&cursor=&format=csv&lang=
//	POST   /api/v1/tokens               {"name","scope"} → the secret, shown once
//	DELETE /api/v1/tokens/{name}        revoke
//	GET    /api/v1/audit                ?from=&to=&actor=&origin=&action=&limit=&cursor=&format=csv
func (a *api) accountRoutes(mux *http.ServeMux) {
	a.handle(mux, "POST /api/v1/session", a.login)
	a.handle(mux, "GET /api/v1/session", a.session)
	a.handle(mux, "DELETE /api/v1/session", a.logout)
	a.handle(mux, "GET /api/v1/accounts", a.accountList)
	a.handle(mux, "POST /api/v1/accounts", a.addAccount)
	a.handle(mux, "POST /api/v1/accounts/{id}/disable", a.accountStep)
	a.handle(mux, "POST /api/v1/accounts/{id}/enable", a.accountStep)
	a.handle(mux, "POST /api/v1/accounts/{id}/reset", a.accountStep)
	a.handle(mux, "POST /api/v1/accounts/{id}/unlock", a.accountStep)
	a.handle(mux, "GET /api/v1/tokens", a.tokenList)
	a.handle(mux, "POST /api/v1/tokens", a.addToken)
	a.handle(mux, "DELETE /api/v1/tokens/{name}", a.revokeToken)
	a.handle(mux, "GET /api/v1/audit", a.auditList)
}

type accountJSON struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Role        string  `json:"role"`
	Disabled    bool    `json:"disabled"`
	CreatedAt   string  `json:"created_at"`
	LastLoginAt *string `json:"last_login_at"`
	LockedUntil *string `json:"locked_until"`
}

func timeOrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func asAccountJSON(x store.Account) accountJSON {
	return accountJSON{ID: x.ID, Name: x.Name, Role: x.Role, Disabled: x.Disabled, CreatedAt: x.CreatedAt.UTC().Format(time.RFC3339),
		LastLoginAt: timeOrNil(x.LastLoginAt), LockedUntil: timeOrNil(x.LockedUntil)}
}

type sessionJSON struct {
	Account struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Role string `json:"role"`
	} `json:"account"`
	// ExpiresAt is when the session ends (idle timeout or lifetime,
	// whichever is sooner); null for a token, which has no session.
	ExpiresAt *string `json:"expires_at"`
}

func asSessionJSON(c accounts.Caller, expires time.Time) sessionJSON {
	var s sessionJSON
	s.Account.ID, s.Account.Name, s.Account.Role = c.Account, c.Name, string(c.Role)
	s.ExpiresAt = timeOrNil(expires)
	return s
}

func (a *api) needAccounts(w http.ResponseWriter) bool {
	if a.opt.Accounts == nil {
		writeErr(w, problem.New(problem.APINotFound))
		return false
	}
	return true
}

// auditedLoginFailures are the failed logins the audit trail records.
var auditedLoginFailures = []problem.Code{problem.AuthWrongPassword, problem.AuthLocked, problem.AccountDisabled}

func (a *api) login(w http.ResponseWriter, r *http.Request) {
	if !a.needAccounts(w) {
		return
	}
	var req struct {
		Account  string `json:"account"`
		Password string `json:"password"`
	}
	if !decode(w, r, &req) {
		return
	}
	res, err := a.opt.Accounts.Login(r.Context(), req.Account, req.Password, accounts.ClientAddr(r))
	who := accounts.Caller{Account: accounts.NormalizeID(req.Account)}
	if err != nil {
		// A wrong password, a lock and a disabled account are audited; a
		// refusal that checked no password (the client's budget spent, a
		// field missing) is not, so a flood of them cannot fill the trail.
		if p := problem.As(err); p != nil && slices.Contains(auditedLoginFailures, p.Code()) {
			if len(who.Account) > 32 {
				who.Account = who.Account[:32]
			}
			a.audit(r, who, "login_failed", "account/"+who.Account, p.Code().String())
		}
		// A lock and a spent budget say when to try again.
		if p := problem.As(err); p != nil && (p.Code() == problem.AuthLocked || p.Code() == problem.AuthClientLimited) {
			if until, perr := time.Parse(time.RFC3339, fmt.Sprint(p.Param("until"))); perr == nil {
				w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(until.Sub(a.opt.Accounts.Now()).Seconds())))))
			}
		}
		a.fail(w, r, err)
		return
	}
	c := accounts.Caller{Account: res.Account.ID, Name: res.Account.Name, Role: accounts.Role(res.Account.Role)}
	a.audit(r, c, "login", "account/"+c.Account, "")
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: res.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil})
	writeJSON(w, http.StatusOK, asSessionJSON(c, res.ExpiresAt))
}

func (a *api) session(w http.ResponseWriter, r *http.Request) {
	c, _ := accounts.FromContext(r.Context())
	if c.Session == "" {
		// The legacy token or an API token: no session, no end.
		writeJSON(w, http.StatusOK, asSessionJSON(c, time.Time{}))
		return
	}
	ck, _ := r.Cookie(SessionCookie)
	_, expires, ok, err := a.opt.Accounts.Session(r.Context(), ck.Value)
	if err != nil || !ok {
		a.fail(w, r, problem.Wrap(err, problem.AuthLoginRequired))
		return
	}
	writeJSON(w, http.StatusOK, asSessionJSON(c, expires))
}

func (a *api) logout(w http.ResponseWriter, r *http.Request) {
	c, _ := accounts.FromContext(r.Context())
	if c.Session != "" {
		if err := a.opt.Accounts.Logout(r.Context(), c.Session); err != nil {
			a.fail(w, r, err)
			return
		}
		a.audit(r, c, "logout", "account/"+c.Account, "")
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	w.WriteHeader(http.StatusNoContent)
}

var accountList = listSpec{Name: "accounts", Columns: []column{
	{"id", "账号", "Account"}, {"name", "姓名", "Name"}, {"role", "角色", "Role"}, {"disabled", "已停用", "Disabled"},
	{"created_at", "创建时间", "Created at"}, {"last_login_at", "最后登录", "Last login"}, {"locked_until", "锁定至", "Locked until"},
}}

// accountList pages the accounts by id through the one list mechanism
// (lists.go); the store answers them all (head office has tens).
func (a *api) accountList(w http.ResponseWriter, r *http.Request) {
	if !a.needAccounts(w) || !onlyFilters(w, r, takes()...) {
		return
	}
	serveList(a, w, r, accountList, func(ctx context.Context, after *string, limit int) ([]accountJSON, []string, error) {
		xs, err := a.opt.Accounts.List(ctx)
		if err != nil {
			return nil, nil, err
		}
		out := make([]accountJSON, len(xs))
		for i, x := range xs {
			out[i] = asAccountJSON(x)
		}
		rows, keys := pageAfter(out, func(x accountJSON) string { return x.ID }, after, limit)
		return rows, keys, nil
	})
}

func (a *api) addAccount(w http.ResponseWriter, r *http.Request) {
	if !a.needAccounts(w) {
		return
	}
	var req struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Role     string `json:"role"`
		Password string `json:"password"`
	}
	if !decode(w, r, &req) {
		return
	}
	x, err := a.opt.Accounts.Add(r.Context(), req.ID, req.Name, req.Role, req.Password)
	a.answer(w, r, http.StatusCreated, asAccountJSON(x), err)
}

func (a *api) accountStep(w http.ResponseWriter, r *http.Request) {
	if !a.needAccounts(w) {
		return
	}
	var req struct {
		Password string `json:"password"`
	}
	if r.ContentLength != 0 && !decode(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	var x store.Account
	var err error
	switch pathpkg.Base(r.URL.Path) {
	case "disable":
		x, err = a.opt.Accounts.SetDisabled(r.Context(), id, true, actor(r))
	case "enable":
		x, err = a.opt.Accounts.SetDisabled(r.Context(), id, false, actor(r))
	case "reset":
		x, err = a.opt.Accounts.Reset(r.Context(), id, req.Password)
	case "unlock":
		x, err = a.opt.Accounts.Unlock(r.Context(), id)
	}
	a.answer(w, r, http.StatusOK, asAccountJSON(x), err)
}

type tokenJSON struct {
	Name      string `json:"name"`
	Scope     string `json:"scope"`
	CreatedAt string `json:"created_at"`
	CreatedBy string `json:"created_by"`
}

var tokenList = listSpec{Name: "tokens", Columns: []column{
	{"name", "名称", "Name"}, {"scope", "范围", "Scope"}, {"created_at", "创建时间", "Created at"}, {"created_by", "创建人", "Created by"},
}}

// tokenList pages the API tokens by name through the one list mechanism.
func (a *api) tokenList(w http.ResponseWriter, r *http.Request) {
	if !a.needAccounts(w) || !onlyFilters(w, r, takes()...) {
		return
	}
	serveList(a, w, r, tokenList, func(ctx context.Context, after *string, limit int) ([]tokenJSON, []string, error) {
		ts, err := a.opt.Accounts.Tokens(ctx)
		if err != nil {
			return nil, nil, err
		}
		out := make([]tokenJSON, len(ts))
		for i, t := range ts {
			out[i] = tokenJSON{Name: t.Name, Scope: t.Scope, CreatedAt: t.CreatedAt.UTC().Format(time.RFC3339), CreatedBy: t.CreatedBy}
		}
		rows, keys := pageAfter(out, func(x tokenJSON) string { return x.Name }, after, limit)
		return rows, keys, nil
	})
}

func (a *api) addToken(w http.ResponseWriter, r *http.Request) {
	if !a.needAccounts(w) {
		return
	}
	var req struct {
		Name  string `json:"name"`
		Scope string `json:"scope"`
	}
	if !decode(w, r, &req) {
		return
	}
	secret, err := a.opt.Accounts.AddToken(r.Context(), req.Name, req.Scope, actor(r))
	a.answer(w, r, http.StatusCreated, map[string]string{"name": req.Name, "scope": req.Scope, "token": secret}, err)
}

func (a *api) revokeToken(w http.ResponseWriter, r *http.Request) {
	if !a.needAccounts(w) {
		return
	}
	if err := a.opt.Accounts.RevokeToken(r.Context(), r.PathValue("name")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type auditJSON struct {
	At      string `json:"at"`
	Origin  string `json:"origin"`
	Actor   string `json:"actor"`
	Role    string `json:"role"`
	Action  string `json:"action"`
	Subject string `json:"subject"`
	Detail  string `json:"detail"`
	Client  string `json:"client"`
}

var auditList = listSpec{Name: "audit", Columns: []column{
	{"at", "时间", "at"}, {"origin", "来源", "origin"}, {"actor", "操作人", "actor"}, {"role", "角色", "role"},
	{"action", "操作", "action"}, {"subject", "对象", "subject"}, {"detail", "详情", "detail"}, {"client", "客户端", "client"},
}}

// auditList pages the audit trail newest first through the one list
// mechanism (lists.go); its cursor is the last row's id.
func (a *api) auditList(w http.ResponseWriter, r *http.Request) {
	if !a.needAccounts(w) || !onlyFilters(w, r, takes("from", "to", "actor", "origin", "action")...) {
		return
	}
	qv := r.URL.Query()
	q := store.AuditQuery{Actor: qv.Get("actor"), Origin: qv.Get("origin"), Action: qv.Get("action")}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := qv.Get(f.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				writeErr(w, problem.New(problem.RequestBadTime, "field", f.name, "value", s))
				return
			}
			*f.t = t
		}
	}
	serveList(a, w, r, auditList, func(ctx context.Context, after *int64, limit int) ([]auditJSON, []int64, error) {
		q := q
		q.Limit = limit
		if after != nil {
			q.Before = *after
		}
		rows, err := a.opt.Accounts.AuditList(ctx, q)
		out, keys := make([]auditJSON, len(rows)), make([]int64, len(rows))
		for i, x := range rows {
			out[i], keys[i] = asAuditJSON(x), x.ID
		}
		return out, keys, err
	})
}

func asAuditJSON(x store.AuditRow) auditJSON {
	return auditJSON{At: x.At.UTC().Format(time.RFC3339Nano), Origin: x.Origin, Actor: x.Actor, Role: x.Role, Action: x.Action,
		Subject: x.Subject, Detail: x.Detail, Client: x.Client}
}
