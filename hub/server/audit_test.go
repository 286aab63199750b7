package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/api"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

type auditPage struct {
	Audit []struct {
		At, Origin, Actor, Role, Action, Subject, Detail, Client string
	} `json:"audit"`
	Next *string `json:"next"`
}

// find returns the rows with action, subject and actor ("" for any).
func (p auditPage) find(action, subject, actor string) int {
	n := 0
	for _, r := range p.Audit {
		if r.Action == action && (subject == "" || r.Subject == subject) && (actor == "" || r.Actor == actor) {
			n++
		}
	}
	return n
}

// TestTokensAndScopes: an administrator makes a token, shown once and
// listed without it; the token works inside its scope only; revoked, it
// opens nothing. The legacy token stays an administrator.
func TestTokensAndScopes(t *testing.T) {
	s := startHub(t)
	han := loginAs(t, s, "han", "admin")
	var tok struct{ Name, Scope, Token string }
	if code := han.do("POST", "/api/v1/tokens", `{"name":"erp","scope":"read"}`, &tok); code != 201 || !strings.HasPrefix(tok.Token, accounts.TokenPrefix) {
		t.Fatalf("token: %d %+v", code, tok)
	}
	if code, ecode := han.call("POST", "/api/v1/tokens", `{"name":"erp","scope":"read"}`, nil); code != 409 || ecode != problem.TokenExists.String() {
		t.Errorf("same name again: %d %s", code, ecode)
	}
	if code, ecode := han.call("POST", "/api/v1/tokens", `{"name":"x","scope":"god"}`, nil); code != 400 || ecode != problem.TokenBadScope.String() {
		t.Errorf("unknown scope: %d %s", code, ecode)
	}
	var list struct {
		Tokens []map[string]any `json:"tokens"`
	}
	han.do("GET", "/api/v1/tokens", "", &list)
	if len(list.Tokens) != 1 || list.Tokens[0]["name"] != "erp" || list.Tokens[0]["created_by"] != "han" || list.Tokens[0]["token"] != nil {
		t.Errorf("token list %+v", list)
	}
	erp := &apiClient{t: t, base: han.base, tok: tok.Token}
	if code, _ := erp.call("GET", "/api/v1/complaints", "", nil); code != 200 {
		t.Errorf("read token on a list: %d", code)
	}
	for _, p := range []struct{ method, path string }{
		{"POST", "/api/v1/notices"}, {"GET", "/api/v1/audit"}, {"GET", "/api/v1/accounts"}, {"POST", "/api/v1/complaints/C1/steps"},
	} {
		if code, ecode := erp.call(p.method, p.path, `{}`, nil); code != 403 || ecode != problem.AuthTokenScope.String() {
			t.Errorf("read token on %s %s: %d %s, want 403 %s", p.method, p.path, code, ecode, problem.AuthTokenScope)
		}
	}
	if code, _ := han.call("DELETE", "/api/v1/tokens/erp", "", nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code, ecode := erp.call("GET", "/api/v1/complaints", "", nil); code != 401 || ecode != problem.AuthTokenRequired.String() {
		t.Errorf("revoked token: %d %s", code, ecode)
	}
	if code, _ := newAPI(t, s).call("GET", "/api/v1/accounts", "", nil); code != 200 {
		t.Errorf("legacy token on an administrator's route: %d", code)
	}
}

// TestAuditTrail: head office's logins, changes and views of personal
// data, and an outlet's audit events once their batch commits, are in
// GET /api/v1/audit for an auditor, paged and as CSV; a step's actor is
// the account that took it.
func TestAuditTrail(t *testing.T) {
	clk := clock.NewManual(time.Now().Truncate(time.Second))
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-001")
	o := seedCases(t, s, clk)
	li := loginAs(t, s, "li", "service")
	anon := &apiClient{t: t, base: li.base}
	anon.call("POST", "/api/v1/session", `{"account":"li","password":"Wrong-pass-42"}`, nil)
	if code, _ := li.call("GET", "/api/v1/complaints/C1", "", nil); code != 200 {
		t.Fatalf("open complaint: %d", code)
	}
	if code, _ := li.call("POST", "/api/v1/complaints/C1/steps", `{"step":"acknowledge"}`, nil); code != 200 {
		t.Fatalf("acknowledge: %d", code)
	}
	if code, ecode := li.call("POST", "/api/v1/complaints/C1/steps", `{"step":"assign","owner":"li","actor":"someone-else"}`, nil); code != 400 ||
		ecode != problem.RequestUnknownField.String() {
		t.Errorf("a body's actor: %d %s, want 400 %s", code, ecode, problem.RequestUnknownField)
	}
	down := o.pull(t, s)
	if len(down) == 0 || down[len(down)-1].Actor != "li" {
		t.Errorf("the outlet got %+v, want the step by li", down)
	}

	o.event(lifecycle.LoginFailed, "staff/c01", lifecycle.LoginAuditV1{StaffID: "c01", Client: "127.0.0.1", Failures: 1, At: ms(clk.Now())})
	o.event(lifecycle.PersonalViewed, "complaint/C1", map[string]any{"kind": "complaint", "id": "C1", "field": "phone", "at": ms(clk.Now())})
	o.send(t, s, o.seq-1)

	auditor := loginAs(t, s, "zhou", "auditor")
	var all auditPage
	if code := auditor.do("GET", "/api/v1/audit?limit=500", "", &all); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	for _, want := range []struct{ action, subject, actor string }{
		{"login", "account/li", "li"},
		{"login_failed", "account/li", "li"},
		{"GET /api/v1/complaints/{id}", "/api/v1/complaints/C1", "li"},
		{"POST /api/v1/complaints/{id}/steps", "/api/v1/complaints/C1/steps", "li"},
		{lifecycle.LoginFailed, "staff/c01", "clerk"},
		{lifecycle.PersonalViewed, "complaint/C1", "clerk"},
	} {
		if n := all.find(want.action, want.subject, want.actor); n != 1 {
			t.Errorf("%d rows %+v in %+v", n, want, all.Audit)
		}
	}
	if n := all.find("POST /api/v1/complaints/{id}/steps", "", ""); n != 1 {
		t.Errorf("the refused step was audited too: %d step rows", n)
	}
	var outlet auditPage
	auditor.do("GET", "/api/v1/audit?origin=SH-001", "", &outlet)
	if len(outlet.Audit) != 2 || outlet.Audit[0].Origin != "SH-001" || outlet.Audit[1].Client != "127.0.0.1" {
		t.Errorf("outlet rows %+v", outlet.Audit)
	}

	var p1, p2 auditPage
	auditor.do("GET", "/api/v1/audit?limit=2", "", &p1)
	if len(p1.Audit) != 2 || p1.Next == nil {
		t.Fatalf("first page %+v", p1)
	}
	auditor.do("GET", "/api/v1/audit?limit=2&cursor="+*p1.Next, "", &p2)
	if len(p2.Audit) != 2 || p2.Audit[0] == p1.Audit[0] || p2.Audit[0] != all.Audit[2] {
		t.Errorf("second page %+v, want from %+v", p2.Audit, all.Audit[2])
	}
	if code, ecode := li.call("GET", "/api/v1/audit", "", nil); code != 403 || ecode != problem.AuthRoleForbidden.String() {
		t.Errorf("service on the audit trail: %d %s", code, ecode)
	}

	req, _ := http.NewRequest("GET", auditor.base+"/api/v1/audit?format=csv&lang=en", nil)
	req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: auditor.cookie})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.HasPrefix(string(raw), "\uFEFFat,origin,actor") ||
		len(lines) != len(all.Audit)+1 { // and the header: reading the trail adds no row
		t.Errorf("CSV %s (%d lines, %d rows listed):\n%s", resp.Header.Get("Content-Type"), len(lines), len(all.Audit), raw)
	}
}
