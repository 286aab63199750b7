package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto"
)

// TestHealthzDiskFull: with 5 MiB free under a 100 MiB floor, /healthz
// answers 503 with the reason instead of ok.
func TestHealthzDiskFull(t *testing.T) {
	free := uint64(5 << 20)
	h := (&Server{Health: func() error { return syncproto.CheckFreeSpace("/var/lib/yizhan-agent", free, 100) }}).Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, localReq("GET", "/healthz", "", ""))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Error.Code != "store.disk_full" || !strings.Contains(body.Error.Message, "5 MB free") {
		t.Fatalf("body %s", rec.Body)
	}
}
