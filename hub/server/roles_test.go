package server

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/api"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// call sends one request as c and answers the status and error code.
func (c *apiClient) call(method, path, body string, hdr map[string]string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if problem.StateChanging(method) {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: api.SessionCookie, Value: c.cookie})
	} else if c.tok != "" {
		req.Header.Set("Authorization", "Bearer "+c.tok)
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var b problem.Body
	json.Unmarshal(raw, &b)
	return resp.StatusCode, b.Error.Code
}

// routePath is a pattern's path with its wildcards filled in.
func routePath(pattern string) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern+"v1/no-such-route"
	}
	r := strings.NewReplacer("{id}", "nope", "{waybill}", "SF0000000000", "{name}", "nope")
	return method, r.Replace(path)
}

// TestEveryRouteInTheRoleTable fails for a registered route the table
// (hub/accounts) has no entry for: the gate would refuse it to everyone.
func TestEveryRouteInTheRoleTable(t *testing.T) {
	pats := api.Patterns(api.Options{})
	if len(pats) < 40 {
		t.Fatalf("only %d routes listed: %v", len(pats), pats)
	}
	for _, p := range pats {
		if !slices.Contains(accounts.Public, p) && !accounts.Listed(p) {
			t.Errorf("route %q has no entry in accounts.Routes", p)
		}
	}
}

// TestRolesOnEveryRoute calls every route as every role: refused with
// auth.role_forbidden exactly where the table does not give it the route.
// The calls carry no valid body or id, so an allowed one fails on those
// and changes nothing.
func TestRolesOnEveryRoute(t *testing.T) {
	s := startHub(t)
	clients := map[accounts.Role]*apiClient{}
	for _, r := range accounts.Roles {
		clients[r] = loginAs(t, s, "u-"+string(r), string(r))
	}
	legacy := newAPI(t, s)
	for _, p := range api.Patterns(api.Options{}) {
		if slices.Contains(accounts.Public, p) || p == "POST /api/v1/session" || p == "DELETE /api/v1/session" {
			continue
		}
		method, path := routePath(p)
		for _, r := range accounts.Roles {
			code, ecode := clients[r].call(method, path, `{}`, nil)
			refused := code == 403 && ecode == problem.AuthRoleForbidden.String()
			if want := !accounts.Allowed(r, p); refused != want {
				t.Errorf("%s as %s: %d %s, refused %v, want %v", p, r, code, ecode, refused, want)
			}
		}
		if code, ecode := legacy.call(method, path, `{}`, nil); code == 403 || code == 401 {
			t.Errorf("%s with the legacy token: %d %s", p, code, ecode)
		}
	}
}

// TestSessionRoutes logs in, reads the session, logs out; the cookie then
// opens nothing. An unknown account is refused exactly as a wrong
// password.
func TestSessionRoutes(t *testing.T) {
	s := startHubClock(t, clock.NewManual(time.Now().Truncate(time.Second)), time.Hour)
	c := loginAs(t, s, "li", "service")
	var sess struct {
		Account   struct{ ID, Name, Role string }
		ExpiresAt string `json:"expires_at"`
	}
	if code := c.do("GET", "/api/v1/session", "", &sess); code != 200 || sess.Account.ID != "li" || sess.Account.Role != "service" || sess.ExpiresAt == "" {
		t.Fatalf("GET session: %d %+v", code, sess)
	}
	if code, _ := c.call("GET", "/api/v1/complaints", "", nil); code != 200 {
		t.Errorf("complaints as service: %d", code)
	}
	if code, _ := c.call("DELETE", "/api/v1/session", "", nil); code != 204 {
		t.Fatalf("logout: %d", code)
	}
	if code, ecode := c.call("GET", "/api/v1/session", "", nil); code != 401 || ecode != problem.AuthLoginRequired.String() {
		t.Errorf("session after logout: %d %s", code, ecode)
	}

	anon := &apiClient{t: t, base: c.base}
	if code, ecode := anon.call("GET", "/api/v1/session", "", nil); code != 401 || ecode != problem.AuthLoginRequired.String() {
		t.Errorf("session without a cookie: %d %s", code, ecode)
	}
	req, _ := http.NewRequest("POST", c.base+"/api/v1/session", strings.NewReader(`{"account":"LI ","password":"Secret-pass-42"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ck := resp.Header.Get("Set-Cookie"); resp.StatusCode != 200 || !strings.HasPrefix(ck, api.SessionCookie+"=") ||
		!strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Strict") || !strings.Contains(ck, "Path=/") {
		t.Errorf("login as \"LI \": %d, cookie %q", resp.StatusCode, ck)
	}
	wrongCode, wrongErr := anon.call("POST", "/api/v1/session", `{"account":"li","password":"Wrong-pass-42"}`, nil)
	unknownCode, unknownErr := anon.call("POST", "/api/v1/session", `{"account":"nobody","password":"Wrong-pass-42"}`, nil)
	if wrongCode != 401 || wrongErr != problem.AuthWrongPassword.String() || unknownCode != wrongCode || unknownErr != wrongErr {
		t.Errorf("wrong password %d %s, unknown account %d %s: want both 401 %s", wrongCode, wrongErr, unknownCode, unknownErr, problem.AuthWrongPassword)
	}
	// Five in a row lock the account, with when to try again.
	for range accounts.MaxFailures - 2 {
		anon.call("POST", "/api/v1/session", `{"account":"li","password":"Wrong-pass-42"}`, nil)
	}
	req, _ = http.NewRequest("POST", c.base+"/api/v1/session", strings.NewReader(`{"account":"li","password":"Wrong-pass-42"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "60" {
		t.Errorf("fifth wrong password: %d, Retry-After %q; want 429 and 60", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
}

// TestGateRefusesForeignRequests: a cross-site POST, a bad Host and a
// text/plain POST are refused, even with the administrator's token, and
// register nothing.
func TestGateRefusesForeignRequests(t *testing.T) {
	s := startHub(t)
	c := newAPI(t, s)
	body := `{"id":"SH-777"}`
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		code string
	}{
		{"cross-site origin", map[string]string{"Origin": "http://evil.example"}, problem.RequestCrossSite.String()},
		{"cross-site fetch", map[string]string{"Sec-Fetch-Site": "cross-site"}, problem.RequestCrossSite.String()},
		{"bad host", map[string]string{"Host": "evil.example"}, problem.RequestBadHost.String()},
		{"text/plain", map[string]string{"Content-Type": "text/plain"}, problem.RequestNotJSON.String()},
		{"form", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, problem.RequestNotJSON.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", c.base+"/api/v1/outlets", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+c.tok)
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			if h := tc.hdr["Host"]; h != "" {
				req.Host = h
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var b problem.Body
			json.Unmarshal(raw, &b)
			if resp.StatusCode < 400 || b.Error.Code != tc.code {
				t.Errorf("%d %s, want %s", resp.StatusCode, raw, tc.code)
			}
			if resp.Header.Get("X-Frame-Options") != "DENY" {
				t.Error("answer allows framing")
			}
			if code, _ := c.call("GET", "/api/v1/outlets/SH-777", "", nil); code != 404 {
				t.Errorf("the refused request registered the outlet: %d", code)
			}
		})
	}
}
