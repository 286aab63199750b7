package staff

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/problem"
)

const testAdminToken = adminTokenPrefix + "test-token"

// adminServer serves the session and staff routes over real HTTP on
// loopback, with c01 (clerk) and s01 (supervisor), PIN 1234.
func adminServer(t *testing.T) (*httptest.Server, *Sessions, *Store) {
	t.Helper()
	ss, st, _ := newSessions(t, WithAdminToken(testAdminToken))
	mux := http.NewServeMux()
	ss.Routes(mux)
	ss.AdminRoutes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, ss, st
}

// call sends a request with token and returns the status and the error
// code of the body ("" on success), decoding a success body into out.
func call(t *testing.T, srv *httptest.Server, method, path, token string, in, out any) (int, string) {
	t.Helper()
	var body bytes.Buffer
	if in != nil {
		_ = json.NewEncoder(&body).Encode(in)
	}
	req, _ := http.NewRequest(method, srv.URL+path, &body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var pb problem.Body
		_ = json.NewDecoder(resp.Body).Decode(&pb)
		return resp.StatusCode, pb.Error.Code
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode, ""
}

func login(t *testing.T, srv *httptest.Server, id, pin string) (string, int, string) {
	t.Helper()
	var out loginResponse
	status, code := call(t, srv, "POST", "/api/v1/session", "", loginRequest{StaffID: id, PIN: pin}, &out)
	return out.Token, status, code
}

func TestAdminRoutesRefuseAClerk(t *testing.T) {
	srv, _, st := adminServer(t)
	clerk, status, code := login(t, srv, "c01", "1234")
	if status != 200 {
		t.Fatalf("clerk login: %d %s", status, code)
	}
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/staff", nil},
		{"POST", "/api/v1/staff", addRequest{ID: "c09", Name: "王五", Role: RoleSupervisor, PIN: "1234"}},
		{"DELETE", "/api/v1/staff/s01", nil},
		{"POST", "/api/v1/staff/s01/disable", nil},
		{"POST", "/api/v1/staff/c01/enable", nil},
		{"POST", "/api/v1/staff/s01/unlock", nil},
		{"PUT", "/api/v1/staff/s01/pin", pinRequest{PIN: "9999"}},
	} {
		if status, code := call(t, srv, r.method, r.path, clerk, r.body, nil); status != 403 || code != "auth.supervisor_required" {
			t.Errorf("clerk %s %s: %d %s, want 403 auth.supervisor_required", r.method, r.path, status, code)
		}
		if status, code := call(t, srv, r.method, r.path, "", r.body, nil); status != 401 || code != "auth.login_required" {
			t.Errorf("anonymous %s %s: %d %s, want 401", r.method, r.path, status, code)
		}
	}
	// Nothing the clerk sent changed anything.
	if _, err := st.Get("c09"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a clerk added c09: %v", err)
	}
	if _, err := st.Check("s01", "1234"); err != nil {
		t.Errorf("a clerk changed s01: %v", err)
	}
}

func TestAdminRoutesSupervisor(t *testing.T) {
	srv, _, _ := adminServer(t)
	sup, _, _ := login(t, srv, "s01", "1234")

	var added memberResponse
	if status, code := call(t, srv, "POST", "/api/v1/staff", sup, addRequest{ID: "C02", Name: " 王五 ", PIN: "2468"}, &added); status != 201 {
		t.Fatalf("add: %d %s", status, code)
	}
	if want := (Member{Staff: Staff{ID: "c02", Name: "王五", Role: RoleClerk}}); added.Staff != want {
		t.Fatalf("added %+v, want %+v", added.Staff, want)
	}
	if status, code := call(t, srv, "POST", "/api/v1/staff", sup, addRequest{ID: "c02", Name: "x", PIN: "2468"}, nil); status != 409 || code != "staff.exists" {
		t.Errorf("add twice: %d %s", status, code)
	}
	if status, code := call(t, srv, "POST", "/api/v1/staff", sup, addRequest{ID: "c03", Name: "x", PIN: "12"}, nil); status != 400 || code != "staff.bad_pin" {
		t.Errorf("add with a short PIN: %d %s", status, code)
	}
	clerk, status, code := login(t, srv, "c02", "2468")
	if status != 200 {
		t.Fatalf("new clerk login: %d %s", status, code)
	}

	// Disabling ends the session at once and refuses the right PIN.
	var m memberResponse
	if status, code := call(t, srv, "POST", "/api/v1/staff/c02/disable", sup, nil, &m); status != 200 || !m.Staff.Disabled {
		t.Fatalf("disable: %d %s %+v", status, code, m.Staff)
	}
	if status, _ := call(t, srv, "GET", "/api/v1/session", clerk, nil, nil); status != 401 {
		t.Errorf("a disabled clerk's session still works: %d", status)
	}
	if _, status, code := login(t, srv, "c02", "2468"); status != 403 || code != "staff.disabled" {
		t.Errorf("disabled login: %d %s, want 403 staff.disabled", status, code)
	}
	if _, status, code := login(t, srv, "c02", "0000"); status != 401 || code != "staff.pin_wrong" {
		t.Errorf("disabled login with a wrong PIN: %d %s, want the usual 401", status, code)
	}
	if status, code := call(t, srv, "POST", "/api/v1/staff/c02/enable", sup, nil, &m); status != 200 || m.Staff.Disabled {
		t.Fatalf("enable: %d %s %+v", status, code, m.Staff)
	}
	if _, status, code := login(t, srv, "c02", "2468"); status != 200 {
		t.Errorf("enabled login: %d %s", status, code)
	}

	// Unlock ends a lock before LockFor.
	for range MaxFailures {
		login(t, srv, "c02", "0000")
	}
	if _, status, code := login(t, srv, "c02", "2468"); status != 429 || code != "staff.locked" {
		t.Fatalf("after %d wrong PINs: %d %s", MaxFailures, status, code)
	}
	var list membersResponse
	call(t, srv, "GET", "/api/v1/staff", sup, nil, &list)
	if len(list.Staff) != 3 || list.Staff[0].ID != "c01" || list.Staff[1].ID != "c02" || list.Staff[1].LockedUntil.IsZero() || !list.Staff[0].LockedUntil.IsZero() {
		t.Fatalf("list: %+v", list.Staff)
	}
	if status, code := call(t, srv, "POST", "/api/v1/staff/c02/unlock", sup, nil, &m); status != 200 || !m.Staff.LockedUntil.IsZero() {
		t.Fatalf("unlock: %d %s %+v", status, code, m.Staff)
	}
	if _, status, code := login(t, srv, "c02", "2468"); status != 200 {
		t.Errorf("login after unlock: %d %s", status, code)
	}

	// A new PIN replaces the old one.
	if status, code := call(t, srv, "PUT", "/api/v1/staff/c02/pin", sup, pinRequest{PIN: "13579"}, nil); status != 200 {
		t.Fatalf("pin: %d %s", status, code)
	}
	if _, status, _ := login(t, srv, "c02", "2468"); status != 401 {
		t.Errorf("old PIN after a change: %d", status)
	}
	if _, status, code := login(t, srv, "c02", "13579"); status != 200 {
		t.Errorf("new PIN: %d %s", status, code)
	}
	if status, code := call(t, srv, "PUT", "/api/v1/staff/c02/pin", sup, pinRequest{PIN: "abcd"}, nil); status != 400 || code != "staff.bad_pin" {
		t.Errorf("bad new PIN: %d %s", status, code)
	}
	if status, code := call(t, srv, "POST", "/api/v1/staff/nobody/disable", sup, nil, nil); status != 404 || code != "staff.not_found" {
		t.Errorf("disable an unknown id: %d %s", status, code)
	}

	for _, path := range []string{"/api/v1/staff/S01/disable", "/api/v1/staff/s01"} {
		method := "POST"
		if !strings.HasSuffix(path, "/disable") {
			method = "DELETE"
		}
		if status, code := call(t, srv, method, path, sup, nil, nil); status != 409 || code != "staff.self" {
			t.Errorf("supervisor %s %s on themselves: %d %s, want 409 staff.self", method, path, status, code)
		}
	}
	if status, _ := call(t, srv, "GET", "/api/v1/session", sup, nil, nil); status != 200 {
		t.Errorf("the supervisor's session after refusing to disable themselves: %d", status)
	}
	if status, code := call(t, srv, "DELETE", "/api/v1/staff/c02", sup, nil, nil); status != 204 {
		t.Fatalf("remove: %d %s", status, code)
	}
	if _, status, _ := login(t, srv, "c02", "13579"); status != 401 {
		t.Errorf("removed member logs in: %d", status)
	}
}

func TestAdminToken(t *testing.T) {
	srv, _, _ := adminServer(t)
	var list membersResponse
	if status, code := call(t, srv, "GET", "/api/v1/staff", testAdminToken, nil, &list); status != 200 || len(list.Staff) != 2 {
		t.Fatalf("admin token from loopback: %d %s %+v", status, code, list)
	}
	if status, code := call(t, srv, "GET", "/api/v1/staff", testAdminToken+"x", nil, nil); status != 401 || code != "staff.admin_token" {
		t.Errorf("wrong admin token: %d %s", status, code)
	}
	// An admin token is no session.
	if status, _ := call(t, srv, "GET", "/api/v1/session", testAdminToken, nil, nil); status != 401 {
		t.Errorf("admin token opened a session: %d", status)
	}

	// From another machine the admin token is refused even when right.
	ss, _, _ := newSessions(t, WithAdminToken(testAdminToken))
	mux := http.NewServeMux()
	ss.AdminRoutes(mux)
	req := httptest.NewRequest("GET", "/api/v1/staff", nil)
	req.RemoteAddr = "192.0.2.7:50000"
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != 401 || !strings.Contains(rec.Body.String(), "staff.admin_token") {
		t.Errorf("admin token from a remote address: %d %s", rec.Code, rec.Body)
	}

	// Without a configured token, none is accepted.
	ss, _, _ = newSessions(t)
	mux = http.NewServeMux()
	ss.AdminRoutes(mux)
	req = httptest.NewRequest("GET", "/api/v1/staff", nil)
	req.RemoteAddr = "127.0.0.1:50000"
	req.Header.Set("Authorization", "Bearer "+adminTokenPrefix)
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("empty admin token accepted: %d %s", rec.Code, rec.Body)
	}
}

func TestAdminFile(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	l := srv.Listener.Addr()
	af, err := WriteAdminFile(dir, l)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(af.Token, adminTokenPrefix) || len(af.Token) < len(adminTokenPrefix)+40 || af.URL != srv.URL {
		t.Fatalf("admin file %+v for %s", af, srv.URL)
	}
	fi, err := os.Stat(filepath.Join(dir, AdminFileName))
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("admin file mode %v, want 0600", perm)
	}
	if got, err := ReadAdminFile(dir); err != nil || got != af {
		t.Fatalf("read back %+v, %v", got, err)
	}
	again, _ := WriteAdminFile(dir, l)
	if again.Token == af.Token {
		t.Error("a restart keeps the old token")
	}
	// An older agent's stop leaves the newer agent's file alone.
	_ = RemoveAdminFile(dir, af.Token)
	if _, err := ReadAdminFile(dir); err != nil {
		t.Errorf("removed another agent's file: %v", err)
	}
	_ = RemoveAdminFile(dir, again.Token)
	if _, err := ReadAdminFile(dir); !os.IsNotExist(err) {
		t.Errorf("file still there after remove: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}
