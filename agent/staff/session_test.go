package staff

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/problem"
)

func newSessions(t *testing.T, opts ...Option) (*Sessions, *Store, *clock.Manual) {
	t.Helper()
	c := newClock()
	s, _ := newStore(t, c)
	for _, m := range []Staff{{"c01", "张三", RoleClerk}, {"s01", "李四", RoleSupervisor}} {
		if err := s.Add(m.ID, m.Name, m.Role, "1234"); err != nil {
			t.Fatal(err)
		}
	}
	return NewSessions(s, append([]Option{WithClock(c)}, opts...)...), s, c
}

func TestSessionLoginLookupLogout(t *testing.T) {
	ss, _, _ := newSessions(t)
	token, st, err := ss.Login("c01", "1234")
	if err != nil {
		t.Fatal(err)
	}
	if len(token) != 43 || strings.ContainsAny(token, "+/=") {
		t.Fatalf("token %q is not 32 bytes of base64url", token)
	}
	if st.ID != "c01" || st.Role != RoleClerk {
		t.Fatalf("Login staff = %+v", st)
	}
	if got, ok := ss.Lookup(token); !ok || got != st {
		t.Fatalf("Lookup = %+v, %v", got, ok)
	}
	token2, _, _ := ss.Login("c01", "1234")
	if token2 == token {
		t.Fatal("two logins share a token")
	}
	ss.Logout(token)
	if _, ok := ss.Lookup(token); ok {
		t.Fatal("Lookup after Logout")
	}
	if _, ok := ss.Lookup(token2); !ok {
		t.Fatal("Logout ended the other session too")
	}
	ss.Logout("no such token")
	if _, ok := ss.Lookup(""); ok {
		t.Fatal("empty token found")
	}
	if tok, _, err := ss.Login("c01", "9999"); !errors.Is(err, ErrBadCredentials) || tok != "" {
		t.Fatalf("wrong PIN: %q, %v", tok, err)
	}
}

func TestSessionIdleExpiry(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		idle time.Duration
	}{
		{"default", nil, DefaultIdle},
		{"configured", []Option{WithIdleTimeout(30 * time.Minute)}, 30 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ss, _, c := newSessions(t, tc.opts...)
			token, _, err := ss.Login("c01", "1234")
			if err != nil {
				t.Fatal(err)
			}
			// Use keeps it alive well past one idle period.
			for range 3 {
				c.Advance(tc.idle - time.Second)
				if _, ok := ss.Lookup(token); !ok {
					t.Fatal("session ended while in use")
				}
			}
			c.Advance(tc.idle + time.Second)
			if _, ok := ss.Lookup(token); ok {
				t.Fatal("session alive after the idle period")
			}
			c.Advance(-time.Hour) // and it stays dead
			if _, ok := ss.Lookup(token); ok {
				t.Fatal("expired session came back")
			}
		})
	}
}

func TestSessionEndsWhenStaffRemoved(t *testing.T) {
	ss, store, _ := newSessions(t)
	token, _, _ := ss.Login("c01", "1234")
	if err := store.Remove("c01"); err != nil {
		t.Fatal(err)
	}
	if _, ok := ss.Lookup(token); ok {
		t.Fatal("a removed member's session lives on")
	}
	// Re-adding the id does not revive the old session.
	store.Add("c01", "张三", RoleClerk, "1234")
	if _, ok := ss.Lookup(token); ok {
		t.Fatal("old session revived")
	}
}

func TestSessionTableBounded(t *testing.T) {
	ss, _, c := newSessions(t)
	for i := range maxSessions {
		ss.m[fmt.Sprint("t", i)] = &session{staffID: "c01", last: c.Now().Add(time.Duration(i) * time.Second)}
	}
	if _, _, err := ss.Login("c01", "1234"); err != nil {
		t.Fatal(err)
	}
	if len(ss.m) != maxSessions {
		t.Fatalf("%d sessions, want %d", len(ss.m), maxSessions)
	}
	if _, ok := ss.m["t0"]; ok {
		t.Fatal("the least recently used session was kept")
	}
	// Expired sessions go first.
	c.Advance(DefaultIdle + time.Hour)
	ss.Login("c01", "1234")
	if len(ss.m) != 1 {
		t.Fatalf("%d sessions after the others expired, want 1", len(ss.m))
	}
}

func TestMiddlewareAndRoles(t *testing.T) {
	ss, _, _ := newSessions(t)
	clerk, _, _ := ss.Login("c01", "1234")
	super, _, _ := ss.Login("s01", "1234")

	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, ok := FromContext(r.Context())
		if !ok {
			t.Error("no staff in context")
		}
		io.WriteString(w, st.ID)
	})
	mux := http.NewServeMux()
	mux.Handle("/any", ss.Middleware(echo))
	mux.Handle("/clerk", ss.Middleware(RequireRole(RoleClerk, echo)))
	mux.Handle("/super", ss.Middleware(RequireRole(RoleSupervisor, echo)))
	mux.Handle("/bare", RequireRole(RoleClerk, echo)) // forgot the middleware

	const unauth = `{"error":{"code":"auth.login_required","params":{},"message":"请先登录 / log in first"}}`
	for _, tc := range []struct {
		name, path, auth string
		status           int
		body, code       string
	}{
		{"no header", "/any", "", 401, unauth, ""},
		{"unknown token", "/any", "Bearer nope", 401, unauth, ""},
		{"basic auth", "/any", "Basic " + clerk, 401, unauth, ""},
		{"no token", "/any", "Bearer ", 401, unauth, ""},
		{"clerk", "/any", "Bearer " + clerk, 200, "c01", ""},
		{"scheme case", "/any", "bearer " + clerk, 200, "c01", ""},
		{"clerk route", "/clerk", "Bearer " + clerk, 200, "c01", ""},
		{"supervisor on clerk route", "/clerk", "Bearer " + super, 200, "s01", ""},
		{"supervisor route", "/super", "Bearer " + super, 200, "s01", ""},
		{"clerk on supervisor route", "/super", "Bearer " + clerk, 403, "", "auth.supervisor_required"},
		{"no middleware", "/bare", "Bearer " + clerk, 401, unauth, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tc.path, nil)
			if tc.auth != "" {
				r.Header.Set("Authorization", tc.auth)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			body := strings.TrimSpace(w.Body.String())
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, tc.status, body)
			}
			if tc.body != "" && body != tc.body {
				t.Fatalf("body %s, want %s", body, tc.body)
			}
			if tc.status == 401 && w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tc.code != "" {
				var e problem.Body
				if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Error.Code != tc.code || !strings.Contains(e.Error.Message, "主管") || !strings.Contains(e.Error.Message, "supervisor") {
					t.Fatalf("body %s: want code %s and a 中文 / English message naming the role", body, tc.code)
				}
			}
		})
	}
}

func TestRequireRoleUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("RequireRole(admin) did not panic")
		}
	}()
	RequireRole("admin", http.NotFoundHandler())
}

func TestSessionRoutes(t *testing.T) {
	ss, _, c := newSessions(t)
	mux := http.NewServeMux()
	ss.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	do := func(method, body, token string) (*http.Response, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+"/api/v1/session", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		b, _ := io.ReadAll(resp.Body)
		if len(b) > 0 {
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%s: body %q is not JSON", method, b)
			}
		}
		return resp, m
	}
	expect := func(resp *http.Response, m map[string]any, status int, code string) {
		t.Helper()
		if resp.StatusCode != status {
			t.Fatalf("status %d, want %d: %v", resp.StatusCode, status, m)
		}
		if code != "" {
			e, _ := m["error"].(map[string]any)
			if e["code"] != code || !strings.Contains(fmt.Sprint(e["message"]), " / ") {
				t.Fatalf("body %v, want code %s with a 中文 / English error", m, code)
			}
		}
	}

	resp, m := do("POST", `{"staff_id":"c01","pin":"1234"}`, "")
	expect(resp, m, 200, "")
	token, _ := m["token"].(string)
	st, _ := m["staff"].(map[string]any)
	if token == "" || st["id"] != "c01" || st["name"] != "张三" || st["role"] != "clerk" {
		t.Fatalf("login answer %v", m)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Error("login answer may be cached")
	}

	resp, m = do("GET", "", token)
	expect(resp, m, 200, "")
	if st, _ := m["staff"].(map[string]any); st["id"] != "c01" || st["role"] != "clerk" {
		t.Fatalf("GET session = %v", m)
	}

	resp, m = do("DELETE", "", token)
	expect(resp, m, 204, "")
	resp, m = do("DELETE", "", token) // logging out twice is fine
	expect(resp, m, 204, "")
	resp, m = do("GET", "", token)
	expect(resp, m, 401, "auth.login_required")
	resp, m = do("GET", "", "")
	expect(resp, m, 401, "auth.login_required")
	resp, m = do("DELETE", "", "")
	expect(resp, m, 401, "auth.login_required")

	for body, code := range map[string]string{`not json`: "request.malformed", `{"staff_id":"c01"}`: "staff.login_missing",
		`{"pin":"1234"}`: "staff.login_missing", `{"staff_id":"c01","pin":"12"}`: "staff.bad_pin", `{"staff_id":"c01","pin":"1234","pn":"1"}`: "request.unknown_field"} {
		resp, m = do("POST", body, "")
		expect(resp, m, 400, code)
	}
	// An unknown id answers as a member's id does to a wrong PIN.
	resp, m = do("POST", `{"staff_id":"nobody","pin":"1234"}`, "")
	expect(resp, m, 401, "staff.pin_wrong")

	for range MaxFailures - 1 {
		resp, m = do("POST", `{"staff_id":"s01","pin":"0000"}`, "")
		expect(resp, m, 401, "staff.pin_wrong")
	}
	resp, m = do("POST", `{"staff_id":"s01","pin":"0000"}`, "")
	expect(resp, m, 429, "staff.locked")
	if got := resp.Header.Get("Retry-After"); got != "300" {
		t.Fatalf("Retry-After %q, want 300", got)
	}
	c.Advance(2 * time.Minute)
	resp, m = do("POST", `{"staff_id":"s01","pin":"1234"}`, "")
	expect(resp, m, 429, "staff.locked")
	if got := resp.Header.Get("Retry-After"); got != "180" {
		t.Fatalf("Retry-After %q, want 180", got)
	}
	c.Advance(3 * time.Minute)
	resp, m = do("POST", `{"staff_id":"s01","pin":"1234"}`, "")
	expect(resp, m, 200, "")
}
