package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/agent/backup"
	"github.com/yizhan/yizhan/agent/staff"
)

// TestBackupRoute: the local admin token takes a backup through the
// running agent and /metrics counts it; a supervisor's session may not
// (the request names a folder on the PC), and a failed backup is counted
// without stopping anything.
func TestBackupRoute(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	cfg := Config{DataDir: dir, Outlet: "SH-001", Secret: "x", Broker: "tcp://127.0.0.1:1", HTTPAddr: "127.0.0.1:0"}
	cfg.Backup.Dir = out
	a, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	people, err := staff.Open(a.File)
	if err != nil {
		t.Fatal(err)
	}
	if err := people.Add("s01", "王主管", "supervisor", "9999"); err != nil {
		t.Fatal(err)
	}
	metric := func(name string) string {
		resp, err := http.Get("http://" + a.Addr.String() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return v
			}
		}
		t.Fatalf("/metrics has no %s", name)
		return ""
	}
	if v := metric("yizhan_agent_backup_last_success_timestamp_seconds"); v != "0" {
		t.Fatalf("last success before any backup: %s", v)
	}
	af, err := staff.ReadAdminFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	admin := &client{t: t, base: af.URL, token: af.Token}
	var res backup.Result
	if code := admin.do("POST", "/api/v1/backup", map[string]string{}, &res); code != 201 || !strings.HasPrefix(res.Path, out) {
		t.Fatalf("backup by the admin token: %d %+v", code, res)
	}
	if v := metric("yizhan_agent_backup_last_success_timestamp_seconds"); v == "0" {
		t.Fatal("last success not moved")
	}
	sup := &client{t: t, base: af.URL}
	var login struct{ Token string }
	if code := sup.do("POST", "/api/v1/session", map[string]string{"staff_id": "s01", "pin": "9999"}, &login); code != 200 {
		t.Fatalf("login: %d", code)
	}
	sup.token = login.Token
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	if code := sup.do("POST", "/api/v1/backup", map[string]string{"to": t.TempDir()}, &e); code != 403 || e.Error.Code != "backup.local_only" {
		t.Fatalf("a supervisor's session: %d %+v", code, e)
	}
	bad := strings.Repeat("x", 10) // a file, not a folder
	if code := admin.do("POST", "/api/v1/backup", map[string]string{"to": dir + "/agent.db/" + bad}, &e); code != 503 || e.Error.Code != "backup.failed" {
		t.Fatalf("a failing backup: %d %+v", code, e)
	}
	if v := metric("yizhan_agent_backup_failures_total"); v != "1" {
		t.Fatalf("failures %s, want 1", v)
	}
}
