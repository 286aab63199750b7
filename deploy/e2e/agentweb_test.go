package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// rawAgent sends one request to the agent at addr as a browser page or a
// script would, with the headers given ("Host" sets the Host header), and
// returns the status and the body.
func rawAgent(t *testing.T, method, addr, path, body string, header map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func errCode(body string) string {
	var e struct{ Error struct{ Code string } }
	_ = json.Unmarshal([]byte(body), &e)
	return e.Error.Code
}

// TestAgentWebRefusesStrangers attacks a running agent as the review did:
// from no login, another site's page, a rebound DNS name and a forged
// actor, and checks each is refused while the clerk, an API token made with
// the command and the attached scanner keep working.
func TestAgentWebRefusesStrangers(t *testing.T) {
	const outlet = "AW1"
	c := newCluster(t, "embedded", outlet)
	c.startHub()
	a := c.newAgent(outlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.addStaff(a, "s01", "李主管", "supervisor", "9999")
	dev := startCounterDevices(t)
	c.startAgent(a, "--pii-key-file", writePIIKey(t), "--config", dev.config)
	api := "http://" + a.http + "/api/v1"
	login := staffLogin(t, api, "c01", "1234")
	const wb = "73100000000555"
	var in struct {
		Parcel struct {
			PickupCode string `json:"pickup_code"`
		}
	}
	if code := call(t, "POST", api+"/parcels/inbound", login, map[string]string{"barcode": wb, "phone": "13812345678", "shelf": "5", "layer": "1"}, &in); code != 201 || in.Parcel.PickupCode == "" {
		t.Fatalf("inbound: HTTP %d %+v", code, in)
	}
	code := in.Parcel.PickupCode

	t.Run("a parcel without login gives nothing away", func(t *testing.T) {
		for _, host := range []string{a.http, "localhost:" + strings.Split(a.http, ":")[1]} {
			status, body := rawAgent(t, "GET", a.http, "/api/v1/parcels/"+wb, "", map[string]string{"Host": host})
			if status != 401 || strings.Contains(body, code) || strings.Contains(body, "5678") || strings.Contains(body, wb) {
				t.Fatalf("GET parcel, Host %s, no login: HTTP %d %s", host, status, body)
			}
		}
	})

	t.Run("every route needs a login", func(t *testing.T) {
		for _, rt := range [][2]string{
			{"POST", "/api/v1/scans"}, {"GET", "/api/v1/parcels/" + wb}, {"GET", "/api/v1/sync"}, {"GET", "/api/v1/sync/dead-letters"},
			{"GET", "/api/v1/downlink"}, {"GET", "/api/v1/devices"}, {"GET", "/api/v1/labels/preview?template=shelf&pickup_code=1-1-1&waybill=SF1"},
			{"GET", "/api/v1/kinds"}, {"GET", "/api/v1/parcels"}, {"GET", "/api/v1/print-jobs"}, {"GET", "/api/v1/tokens"},
		} {
			status, body := rawAgent(t, rt[0], a.http, rt[1], `{"barcode":"SF1234567890123","action":"inbound"}`, map[string]string{"Content-Type": "application/json"})
			if status != 401 || errCode(body) != "auth.login_required" {
				t.Errorf("%s %s without login: HTTP %d %s", rt[0], rt[1], status, body)
			}
		}
		for _, path := range []string{"/healthz", "/metrics", "/", "/app.js"} {
			if status, body := rawAgent(t, "GET", a.http, path, "", nil); status != 200 {
				t.Errorf("GET %s (public): HTTP %d %.200s", path, status, body)
			}
		}
	})

	t.Run("a cross-site scan is refused and stores nothing", func(t *testing.T) {
		before := a.sync(t).LastSeq
		const forged = "SF9999999999999"
		for _, h := range []map[string]string{
			{"Content-Type": "text/plain", "Origin": "http://evil.example"},
			// Even one that carries a session (a leaked one) is refused.
			{"Content-Type": "text/plain", "Origin": "http://evil.example", "Authorization": "Bearer " + login},
			{"Content-Type": "application/json", "Origin": "http://evil.example", "Authorization": "Bearer " + login},
			{"Content-Type": "text/plain", "Authorization": "Bearer " + login},
		} {
			status, body := rawAgent(t, "POST", a.http, "/api/v1/scans", `{"barcode":"`+forged+`","action":"inbound","staff":"s01"}`, h)
			if status < 400 || status >= 500 {
				t.Fatalf("cross-site scan %v: HTTP %d %s", h, status, body)
			}
			if want := map[bool]string{true: "request.cross_site", false: "request.not_json"}[h["Origin"] != ""]; errCode(body) != want {
				t.Fatalf("cross-site scan %v: %s, want %s", h, body, want)
			}
		}
		if after := a.sync(t).LastSeq; after != before {
			t.Fatalf("the event log grew from %d to %d by refused scans", before, after)
		}
		if got := call(t, "GET", api+"/parcels/"+forged, login, nil, nil); got != 404 {
			t.Fatalf("the forged scan's parcel: HTTP %d, want 404", got)
		}
	})

	t.Run("a rebound DNS name is refused", func(t *testing.T) {
		port := strings.Split(a.http, ":")[1]
		for _, path := range []string{"/api/v1/parcels/" + wb, "/healthz", "/"} {
			status, body := rawAgent(t, "GET", a.http, path, "", map[string]string{"Host": "evil.example:" + port, "Authorization": "Bearer " + login})
			if status != 403 || errCode(body) != "request.host_refused" || strings.Contains(body, code) {
				t.Fatalf("GET %s with Host evil.example: HTTP %d %s", path, status, body)
			}
		}
	})

	t.Run("cross-site logins cannot lock the supervisor out", func(t *testing.T) {
		for i := range 5 {
			status, body := rawAgent(t, "POST", a.http, "/api/v1/session", fmt.Sprintf(`{"staff_id":"s01","pin":"000%d"}`, i),
				map[string]string{"Content-Type": "text/plain", "Origin": "http://evil.example"})
			if status != 403 || errCode(body) != "request.cross_site" {
				t.Fatalf("cross-site login %d: HTTP %d %s", i, status, body)
			}
		}
		var sup struct{ Token string }
		if got := call(t, "POST", api+"/session", "", map[string]string{"staff_id": "s01", "pin": "9999"}, &sup); got != 200 || sup.Token == "" {
			t.Fatalf("the supervisor after five cross-site login attempts: HTTP %d", got)
		}
	})

	t.Run("the actor is the session's or the token's, never the body's", func(t *testing.T) {
		status, body := rawAgent(t, "POST", a.http, "/api/v1/scans", `{"barcode":"SF1111111111111","action":"inbound","staff":"s01"}`,
			map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + login})
		if status != 400 || errCode(body) != "request.unknown_field" {
			t.Fatalf("a scan naming its staff: HTTP %d %s", status, body)
		}
		for _, tc := range []struct{ token, barcode, actor string }{{login, "SF2222222222222", "c01"}, {a.token, "SF3333333333333", "token:e2e"}} {
			status, body := rawAgent(t, "POST", a.http, "/api/v1/scans", `{"barcode":"`+tc.barcode+`","action":"inbound"}`,
				map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + tc.token})
			if status != 201 {
				t.Fatalf("scan as %s: HTTP %d %s", tc.actor, status, body)
			}
			harness.Eventually(t, 30*time.Second, func() (bool, string) {
				rows := c.hubQuery(t, `SELECT actor, subject, type FROM events WHERE origin = ? AND subject = ?`, outlet, tc.barcode)
				return len(rows) == 1 && rows[0][0] == tc.actor, fmt.Sprintf("hub holds %v for %s, want actor %s", rows, tc.barcode, tc.actor)
			})
		}
		// s01 only logged in, which is an audit event of its own.
		if rows := c.hubQuery(t, `SELECT actor, subject, type FROM events WHERE origin = ? AND actor = 's01' AND type <> ?`, outlet, lifecycle.LoginSucceeded); len(rows) != 0 {
			t.Fatalf("events with actor s01, who did nothing but log in: %v", rows)
		}
	})

	t.Run("tokens made and revoked through the running agent", func(t *testing.T) {
		cmd := func(args ...string) string {
			out, err := exec.Command(c.bins["yizhan-agent"], append([]string{"token"}, args...)...).CombinedOutput()
			if err != nil {
				t.Fatalf("token %v: %v\n%s", args, err, out)
			}
			return string(out)
		}
		out := cmd("add", "--data", a.dir, "--name", "sorter-1", "--scope", "scans")
		if !strings.Contains(out, "via the running agent at 127.0.0.1:") {
			t.Fatalf("token add did not go through the running agent:\n%s", out)
		}
		sorter := strings.TrimSpace(strings.SplitN(out, "\n", 2)[0])
		scan := func(barcode string) (int, string) {
			return rawAgent(t, "POST", a.http, "/api/v1/scans", `{"barcode":"`+barcode+`","action":"inbound"}`,
				map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + sorter})
		}
		if status, body := scan("SF4444444444444"); status != 201 {
			t.Fatalf("scan with the new token: HTTP %d %s", status, body)
		}
		// Its scope is scans: it reads nothing.
		if status, body := rawAgent(t, "GET", a.http, "/api/v1/parcels/"+wb, "", map[string]string{"Authorization": "Bearer " + sorter}); status != 403 || strings.Contains(body, code) {
			t.Fatalf("the scans token reads a parcel: HTTP %d %s", status, body)
		}
		if out := cmd("list", "--data", a.dir); !strings.Contains(out, "sorter-1") || !strings.Contains(out, "e2e") || strings.Contains(out, "yzt_") {
			t.Fatalf("token list:\n%s", out)
		}
		if out := cmd("revoke", "--data", a.dir, "--name", "sorter-1"); !strings.Contains(out, "revoked token sorter-1, via the running agent") {
			t.Fatalf("token revoke:\n%s", out)
		}
		if status, body := scan("SF5555555555555"); status != 401 || errCode(body) != "auth.token_unknown" {
			t.Fatalf("scan with the revoked token: HTTP %d %s", status, body)
		}
	})

	t.Run("the attached scanner keeps recording", func(t *testing.T) {
		harness.Eventually(t, 20*time.Second, func() (bool, string) {
			return dev.scanner.Clients() > 0, "the agent has not connected to the line scanner"
		})
		const read = "73100000000777"
		if err := dev.scanner.Scan("", read); err != nil {
			t.Fatal(err)
		}
		harness.Eventually(t, 20*time.Second, func() (bool, string) {
			var p struct{ Parcel struct{ Scans int } }
			got := call(t, "GET", api+"/parcels/"+read, login, nil, &p)
			return got == 200 && p.Parcel.Scans == 1, fmt.Sprintf("GET the scanned parcel: HTTP %d, %d scans", got, p.Parcel.Scans)
		})
		harness.Eventually(t, 30*time.Second, func() (bool, string) {
			types := c.hubSubjectTypes(t, outlet, read)
			return types[lifecycle.ParcelScanned], fmt.Sprintf("the hub has no scan of %s: %v", read, types)
		})
	})
}
