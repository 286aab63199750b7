package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/ready"
)

// TestReadyzDiskFull: with 5 MiB free under a 100 MiB floor, /readyz
// answers 503 store.disk_full naming every check's outcome, while /healthz
// (liveness) still answers 200: restarting the agent would not free disk.
func TestReadyzDiskFull(t *testing.T) {
	file, err := datafile.Open(filepath.Join(t.TempDir(), "data"), datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	events, err := eventlog.Open(file, eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { events.Close(); file.Close() })
	free := uint64(5 << 20)
	checks := []ready.Check{
		{Name: "data_writable", Run: func() error { return datafile.Writable(file.Dir()) }},
		{Name: "disk_free", Run: func() error { return syncproto.CheckFreeSpace("/var/lib/yizhan-agent", free, 100) }},
	}
	h := (&Server{Events: events, Ready: checks}).Handler()
	get := func(path string) (int, []byte) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, localReq("GET", path, "", ""))
		return rec.Code, rec.Body.Bytes()
	}
	code, raw := get("/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("readyz status %d: %s", code, raw)
	}
	var body struct {
		Error  struct{ Code, Message string }
		Checks []ready.Result
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	if body.Error.Code != "store.disk_full" || !strings.Contains(body.Error.Message, "5 MB free") {
		t.Fatalf("body %s", raw)
	}
	if len(body.Checks) != 2 || !body.Checks[0].OK || body.Checks[1].OK || body.Checks[1].Code != "store.disk_full" {
		t.Fatalf("checks %s", raw)
	}
	if code, raw := get("/healthz"); code != http.StatusOK || !strings.Contains(string(raw), `"status":"ok"`) {
		t.Fatalf("healthz %d %s", code, raw)
	}
	free = 500 << 20
	if code, raw := get("/readyz"); code != http.StatusOK || !strings.Contains(string(raw), `"status":"ready"`) {
		t.Fatalf("readyz with room: %d %s", code, raw)
	}
}

// TestReadyzNotWritable: a data directory that cannot be written is
// datafile.not_writable.
func TestReadyzNotWritable(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "gone")
	err := datafile.Writable(missing)
	h := (&Server{Ready: []ready.Check{{Name: "data_writable", Run: func() error { return err }}}}).Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, localReq("GET", "/readyz", "", ""))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"code":"datafile.not_writable"`) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}
