package api

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/agent/staff/tokens"
	"github.com/yizhan/yizhan/agent/syncclient"
	"github.com/yizhan/yizhan/agent/workflow"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// localHost is the Host the screen sends when opened on the agent's PC.
const localHost = "127.0.0.1:8080"

// testStaff is a staff list on a real data file with clerk c01 (PIN 1234)
// and the file's token list, and a session of c01's.
func testStaff(t *testing.T, file *datafile.File) (*staff.Sessions, *tokens.Store, string) {
	t.Helper()
	if file == nil {
		var err error
		file, err = datafile.Open(filepath.Join(t.TempDir(), "data"), datafile.Options{Outlet: "SH-001"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { file.Close() })
	}
	people, err := staff.Open(file, staff.WithIterations(staff.MinIterations))
	if err != nil {
		t.Fatal(err)
	}
	if err := people.Add("c01", "张三", staff.RoleClerk, "1234"); err != nil {
		t.Fatal(err)
	}
	sessions := staff.NewSessions(people)
	token, _, err := sessions.Login("c01", "1234")
	if err != nil {
		t.Fatal(err)
	}
	return sessions, tokens.Open(file), token
}

// localReq is a request as the screen on the agent's PC sends it: to
// localHost, JSON when it changes something, with token if any.
func localReq(method, path, body, token string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Host = localHost
	if method != http.MethodGet {
		r.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

type fakeSync struct{}

func (fakeSync) Status() syncclient.Status { return syncclient.Status{Outlet: "SH-001"} }

// gated is the whole API over a real data file, with a clerk's session.
type gated struct {
	h       http.Handler
	events  *eventlog.Log
	tokens  *tokens.Store
	session string
}

func newGated(t *testing.T) *gated {
	t.Helper()
	file, err := datafile.Open(filepath.Join(t.TempDir(), "data"), datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	events, err := eventlog.Open(file, eventlog.Options{Projectors: []eventlog.Projector{workflow.Projector()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { events.Close(); file.Close() })
	sessions, toks, session := testStaff(t, file)
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>screen</html>") })
	srv := &Server{Events: events, Parcels: workflow.NewReader(file), Ingest: &ingest.Service{Events: events}, Sync: fakeSync{},
		Devices: printerList{}, Sessions: sessions, Tokens: toks, UI: ui,
		Hosts: NewHostPolicy(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "127.0.0.1", []string{"outlet-pc"})}
	return &gated{h: srv.Handler(), events: events, tokens: toks, session: session}
}

func (g *gated) serve(r *http.Request) (int, problem.Body, string) {
	rec := httptest.NewRecorder()
	g.h.ServeHTTP(rec, r)
	var b problem.Body
	_ = json.Unmarshal(rec.Body.Bytes(), &b)
	return rec.Code, b, rec.Body.String()
}

func (g *gated) token(t *testing.T, name string, scopes ...string) string {
	t.Helper()
	secret, _, err := g.tokens.Add(name, scopes)
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// The routes the review found open, and the others, answer 401 without a
// login; the public ones do not need one.
func TestGateNeedsLogin(t *testing.T) {
	g := newGated(t)
	for _, rt := range [][2]string{
		{"POST", "/api/v1/scans"}, {"GET", "/api/v1/parcels/SF1"}, {"GET", "/api/v1/sync"},
		{"GET", "/api/v1/sync/dead-letters"}, {"GET", "/api/v1/downlink"}, {"GET", "/api/v1/devices"},
		{"GET", "/api/v1/labels/preview"}, {"GET", "/api/v1/kinds"}, {"GET", "/api/v1/parcels"},
		{"GET", "/api/v1/staff"}, {"GET", "/api/v1/tokens"}, {"POST", "/api/v1/tokens"}, {"GET", "/api/v1/session"},
		{"GET", "/api/v1/no-such-route"}, {"DELETE", "/api/v1/session"},
	} {
		code, b, raw := g.serve(localReq(rt[0], rt[1], `{"barcode":"SF1","action":"inbound"}`, ""))
		if code != http.StatusUnauthorized || b.Error.Code != problem.AuthLoginRequired.String() {
			t.Errorf("%s %s without login: %d %s", rt[0], rt[1], code, raw)
		}
		code, b, raw = g.serve(localReq(rt[0], rt[1], `{}`, "not-a-session"))
		if code != http.StatusUnauthorized || b.Error.Code != problem.AuthLoginRequired.String() {
			t.Errorf("%s %s with a made-up session: %d %s", rt[0], rt[1], code, raw)
		}
	}
	if n := g.events.Counters().LastSeq; n != 0 {
		t.Fatalf("%d events stored by requests without a login", n)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/", "/app.js"} {
		if code, _, raw := g.serve(localReq("GET", path, "", "")); code != http.StatusOK {
			t.Errorf("public GET %s: %d %s", path, code, raw)
		}
	}
	rec := httptest.NewRecorder()
	g.h.ServeHTTP(rec, localReq("GET", "/", "", ""))
	if rec.Header().Get("X-Frame-Options") != "DENY" || rec.Header().Get("Content-Security-Policy") != "frame-ancestors 'none'" {
		t.Errorf("the screen may be framed: %v", rec.Header())
	}
	if code, b, _ := g.serve(localReq("POST", "/api/v1/session", `{"staff_id":"c01","pin":"1234"}`, "")); code != http.StatusOK {
		t.Errorf("login: %d %+v", code, b)
	}
	// With the clerk's session, the routes answer.
	for _, path := range []string{"/api/v1/sync", "/api/v1/kinds", "/api/v1/devices", "/api/v1/downlink", "/api/v1/sync/dead-letters"} {
		if code, _, raw := g.serve(localReq("GET", path, "", g.session)); code != http.StatusOK {
			t.Errorf("GET %s with a session: %d %s", path, code, raw)
		}
	}
	if code, b, _ := g.serve(localReq("GET", "/api/v1/parcels/SF1", "", g.session)); code != http.StatusNotFound || b.Error.Code != problem.ParcelNotFound.String() {
		t.Errorf("GET an unknown parcel with a session: %d %+v", code, b)
	}
}

func TestGateHost(t *testing.T) {
	g := newGated(t)
	for _, tc := range []struct {
		host string
		ok   bool
	}{
		{"127.0.0.1:8080", true}, {"localhost:8080", true}, {"LOCALHOST:8080", true}, {"[::1]:8080", true},
		{"outlet-pc:8080", true},
		{"evil.example:8080", false}, {"evil.example", false}, {"127.0.0.1:9999", false}, {"127.0.0.1", false},
		{"192.168.1.20:8080", false}, {"localhost.evil.example:8080", false}, {"", false},
	} {
		for _, path := range []string{"/healthz", "/readyz", "/api/v1/sync", "/"} {
			r := localReq("GET", path, "", g.session)
			r.Host = tc.host
			code, b, _ := g.serve(r)
			if refused := code == http.StatusForbidden && b.Error.Code == problem.RequestHostRefused.String(); refused == tc.ok {
				t.Errorf("GET %s with Host %q: %d %s, want allowed %v", path, tc.host, code, b.Error.Code, tc.ok)
			}
		}
	}
	// Listening on every address takes the PC's addresses, still no names.
	all := NewHostPolicy(&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "0.0.0.0", nil)
	for host, want := range map[string]bool{"192.168.1.20:8080": true, "[fe80::1]:8080": true, "localhost:8080": true, "evil.example:8080": false, "192.168.1.20:80": false} {
		if all.Allows(host) != want {
			t.Errorf("listening on 0.0.0.0:8080, Host %q allowed %v", host, !want)
		}
	}
	named := NewHostPolicy(&net.TCPAddr{IP: net.IPv4(10, 0, 0, 5), Port: 80}, "outlet-pc", nil)
	for host, want := range map[string]bool{"outlet-pc": true, "10.0.0.5": true, "10.0.0.5:80": true, "10.0.0.6": false} {
		if named.Allows(host) != want {
			t.Errorf("listening on outlet-pc (10.0.0.5:80), Host %q allowed %v", host, !want)
		}
	}
}

// State-changing requests from another site, or not JSON, are refused
// before anything else runs: the login too.
func TestGateCrossSite(t *testing.T) {
	g := newGated(t)
	scan := `{"barcode":"SF1234567890123","action":"inbound"}`
	for _, tc := range []struct {
		name, method, path string
		header             map[string]string
		code               problem.Code
	}{
		{"text/plain scan from evil", "POST", "/api/v1/scans", map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, problem.RequestCrossSite},
		{"JSON scan from evil", "POST", "/api/v1/scans", map[string]string{"Origin": "http://evil.example"}, problem.RequestCrossSite},
		{"scan from another port", "POST", "/api/v1/scans", map[string]string{"Origin": "http://127.0.0.1:3000"}, problem.RequestCrossSite},
		{"scan from a sandboxed frame", "POST", "/api/v1/scans", map[string]string{"Origin": "null"}, problem.RequestCrossSite},
		{"scan marked cross-site", "POST", "/api/v1/scans", map[string]string{"Sec-Fetch-Site": "cross-site"}, problem.RequestCrossSite},
		{"text/plain scan, same origin", "POST", "/api/v1/scans", map[string]string{"Content-Type": "text/plain", "Origin": "http://" + localHost}, problem.RequestNotJSON},
		{"form scan", "POST", "/api/v1/scans", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, problem.RequestNotJSON},
		{"scan without a type", "POST", "/api/v1/scans", map[string]string{"Content-Type": ""}, problem.RequestNotJSON},
		{"login from evil", "POST", "/api/v1/session", map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"}, problem.RequestCrossSite},
		{"text/plain login", "POST", "/api/v1/session", map[string]string{"Content-Type": "text/plain"}, problem.RequestNotJSON},
		{"logout from evil", "DELETE", "/api/v1/session", map[string]string{"Origin": "http://evil.example"}, problem.RequestCrossSite},
		{"staff change from evil", "POST", "/api/v1/staff/c01/disable", map[string]string{"Origin": "http://evil.example"}, problem.RequestCrossSite},
		{"token from evil", "POST", "/api/v1/tokens", map[string]string{"Origin": "http://evil.example"}, problem.RequestCrossSite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := scan
			if tc.path == "/api/v1/session" {
				body = `{"staff_id":"c01","pin":"0000"}`
			}
			r := localReq(tc.method, tc.path, body, g.session)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			code, b, raw := g.serve(r)
			if code != tc.code.Class().Status() || b.Error.Code != tc.code.String() {
				t.Fatalf("%d %s, want %s", code, raw, tc.code)
			}
		})
	}
	if n := g.events.Counters().LastSeq; n != 0 {
		t.Fatalf("%d events stored by refused requests", n)
	}
	// Six refused login attempts with a wrong PIN did not count against c01.
	for i := 0; i < 6; i++ {
		r := localReq("POST", "/api/v1/session", `{"staff_id":"c01","pin":"0000"}`, "")
		r.Header.Set("Origin", "http://evil.example")
		g.serve(r)
	}
	r := localReq("POST", "/api/v1/session", `{"staff_id":"c01","pin":"1234"}`, "")
	r.Header.Set("Origin", "http://"+localHost)
	if code, b, _ := g.serve(r); code != http.StatusOK {
		t.Fatalf("same-origin login after cross-site attempts: %d %+v", code, b)
	}
	// The screen's own scan, same origin and JSON, goes through.
	r = localReq("POST", "/api/v1/scans", scan, g.session)
	r.Header.Set("Origin", "http://"+localHost)
	if code, _, raw := g.serve(r); code != http.StatusCreated {
		t.Fatalf("same-origin scan: %d %s", code, raw)
	}
}

// The actor of a scan is who the gate let in: the session's staff member
// or the token, never a field of the body.
func TestGateActor(t *testing.T) {
	g := newGated(t)
	scanner := g.token(t, "sorter-1", tokens.ScopeScans)
	if code, b, _ := g.serve(localReq("POST", "/api/v1/scans", `{"barcode":"SF1234567890123","action":"inbound","staff":"s01"}`, g.session)); code != http.StatusBadRequest || b.Error.Code != problem.RequestUnknownField.String() {
		t.Fatalf("a scan naming its staff in the body: %d %+v", code, b)
	}
	for _, tc := range []struct{ token, want string }{{g.session, "c01"}, {scanner, "token:sorter-1"}} {
		if code, _, raw := g.serve(localReq("POST", "/api/v1/scans", `{"barcode":"SF1234567890123","action":"inbound"}`, tc.token)); code != http.StatusCreated {
			t.Fatalf("scan as %s: %d %s", tc.want, code, raw)
		}
	}
	raws, err := g.events.ReadRaw(1, 10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var actors []string
	for _, raw := range raws {
		var ev syncproto.Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatal(err)
		}
		actors = append(actors, ev.Actor)
	}
	if strings.Join(actors, " ") != "c01 token:sorter-1" {
		t.Fatalf("actors %v, want c01 then token:sorter-1", actors)
	}
}

func TestGateTokens(t *testing.T) {
	g := newGated(t)
	scans := g.token(t, "sorter-1", tokens.ScopeScans)
	read := g.token(t, "monitor", tokens.ScopeRead)
	both := g.token(t, "line-2", tokens.ScopeScans, tokens.ScopeRead)
	scan := `{"barcode":"SF1234567890123","action":"inbound"}`
	for _, tc := range []struct {
		token, method, path string
		code                problem.Code // zero: allowed
	}{
		{scans, "POST", "/api/v1/scans", problem.Code{}},
		{both, "POST", "/api/v1/scans", problem.Code{}},
		{both, "GET", "/api/v1/sync", problem.Code{}},
		{read, "GET", "/api/v1/sync", problem.Code{}},
		{read, "GET", "/api/v1/devices", problem.Code{}},
		{read, "GET", "/api/v1/sync/dead-letters", problem.Code{}},
		{read, "POST", "/api/v1/scans", problem.AuthTokenScope},
		{scans, "GET", "/api/v1/sync", problem.AuthTokenScope},
		{both, "GET", "/api/v1/parcels/SF1234567890123", problem.AuthStaffOnly},
		{both, "GET", "/api/v1/parcels", problem.AuthStaffOnly},
		{both, "GET", "/api/v1/session", problem.AuthStaffOnly},
		{both, "GET", "/api/v1/staff", problem.AuthStaffOnly},
		{both, "POST", "/api/v1/tokens", problem.AuthStaffOnly},
		{both, "GET", "/api/v1/labels/preview", problem.AuthStaffOnly},
		{"yzt_made-up", "POST", "/api/v1/scans", problem.AuthTokenUnknown},
		// The local admin token administers staff and tokens, nothing else.
		{"yzadm_whatever", "POST", "/api/v1/scans", problem.AuthStaffOnly},
		{"yzadm_whatever", "GET", "/api/v1/parcels/SF1234567890123", problem.AuthStaffOnly},
	} {
		code, b, raw := g.serve(localReq(tc.method, tc.path, scan, tc.token))
		if tc.code == (problem.Code{}) {
			if code >= 300 {
				t.Errorf("%s %s with %s: %d %s", tc.method, tc.path, tc.token[:8], code, raw)
			}
			continue
		}
		if code != tc.code.Class().Status() || b.Error.Code != tc.code.String() {
			t.Errorf("%s %s with %s: %d %s, want %s", tc.method, tc.path, tc.token[:8], code, raw, tc.code)
		}
	}
	// Tokens are a supervisor's to make: a clerk's session is refused.
	if code, b, _ := g.serve(localReq("POST", "/api/v1/tokens", `{"name":"mine","scopes":["scans"]}`, g.session)); code != http.StatusForbidden || b.Error.Code != problem.AuthSupervisorRequired.String() {
		t.Fatalf("a clerk makes a token: %d %+v", code, b)
	}
	if err := g.tokens.Revoke("sorter-1"); err != nil {
		t.Fatal(err)
	}
	if code, b, _ := g.serve(localReq("POST", "/api/v1/scans", scan, scans)); code != http.StatusUnauthorized || b.Error.Code != problem.AuthTokenUnknown.String() {
		t.Fatalf("a revoked token: %d %+v", code, b)
	}
	if code, _, raw := g.serve(localReq("POST", "/api/v1/scans", scan, both)); code != http.StatusCreated {
		t.Fatalf("another token after a revocation: %d %s", code, raw)
	}
}

func FuzzHostPolicy(f *testing.F) {
	for _, s := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080", "outlet-pc:8080", "evil.example:8080", "", ":", "[", "[::1", "127.0.0.1:", "LOCALHOST:8080", "[::ffff:127.0.0.1]:8080", "0x7f.1:8080"} {
		f.Add(s)
	}
	p := NewHostPolicy(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "127.0.0.1", []string{"outlet-pc"})
	f.Fuzz(func(t *testing.T, host string) {
		if !p.Allows(host) {
			return
		}
		name, port, err := net.SplitHostPort(host)
		if err != nil || port != "8080" {
			t.Fatalf("%q allowed at another port", host)
		}
		name = strings.ToLower(name)
		if ip := net.ParseIP(name); ip != nil {
			name = ip.String()
		}
		switch name {
		case "localhost", "127.0.0.1", "::1", "outlet-pc":
		default:
			t.Fatalf("%q allowed", host)
		}
	})
}
