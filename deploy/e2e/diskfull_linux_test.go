package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// TestDiskFull puts an agent's data directory on a small tmpfs and fills
// it until writes fail. Scans then answer 503 store.disk_full, worded in
// Chinese and English, and save nothing; /readyz says not ready while
// /healthz answers 200. When the filler goes, scanning works again without
// a restart, every event reaches the hub exactly once, and the data file,
// read after a SIGKILL, has no damage.
func TestDiskFull(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001")
	c.startHub()
	a := c.newAgent("SH-001")
	mountTmpfs(t, a.dir, "16m")
	c.startAgent(a, "--min-free-mb", "4")
	acked := scanMany(t, a.http, "DF", 200, 4, nil)
	c.waitDrained(a, 30*time.Second)

	// The hub goes away, so what is written next waits in the outbox.
	c.killHub()
	fill := filepath.Join(a.dir, "fill")
	fillDisk(t, fill)
	t.Logf("filled %s: %d bytes free", a.dir, freeBytes(t, a.dir))

	// bbolt reuses free pages it already holds, so the first scans may
	// still commit; the disk must refuse one long before 5000.
	var refused string
	for i := 0; i < 5000 && refused == ""; i++ {
		s, code, body := postScanBody(t, a.http, fmt.Sprintf("DFULL%06d", i))
		switch code {
		case http.StatusCreated:
			acked = append(acked, s)
		case http.StatusServiceUnavailable:
			refused = body
		default:
			t.Fatalf("scan on a full disk: %d %s", code, body)
		}
	}
	if refused == "" {
		t.Fatal("5000 scans committed on a full disk: the test did not fill it")
	}
	var b struct {
		Error struct {
			Code    string         `json:"code"`
			Params  map[string]any `json:"params"`
			Message string         `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(refused), &b); err != nil {
		t.Fatal(err)
	}
	if b.Error.Code != "store.disk_full" || b.Error.Params["dir"] != a.dir ||
		!strings.Contains(b.Error.Message, "磁盘将满") || !strings.Contains(b.Error.Message, "nearly full") {
		t.Fatalf("refused scan: %s, want store.disk_full naming %s in both languages", refused, a.dir)
	}
	last := a.sync(t).LastSeq
	if last != uint64(len(acked)) {
		t.Fatalf("agent holds %d events, %d scans were answered 201", last, len(acked))
	}
	code, body := getBody(t, "http://"+a.http+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "store.disk_full") {
		t.Errorf("/readyz on a full disk: %d %s", code, body)
	}
	if code, body := getBody(t, "http://"+a.http+"/healthz"); code != http.StatusOK {
		t.Errorf("/healthz on a full disk: %d %s, want 200", code, body)
	}

	if err := os.Remove(fill); err != nil {
		t.Fatal(err)
	}
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		code, body := getBody(t, "http://"+a.http+"/readyz")
		return code == http.StatusOK, fmt.Sprintf("/readyz after freeing space: %d %s", code, body)
	})
	if !a.proc.Running() {
		t.Fatal("the agent exited on the full disk")
	}
	for i := 0; i < 20; i++ {
		s, code, body := postScanBody(t, a.http, fmt.Sprintf("DFREE%06d", i))
		if code != http.StatusCreated {
			t.Fatalf("scan %d after freeing space, same process: %d %s", i, code, body)
		}
		acked = append(acked, s)
	}
	c.startHub()
	c.waitDrained(a, 60*time.Second)
	last = a.sync(t).LastSeq
	c.checkExactlyOnce("SH-001", last, acked)

	a.proc.Kill()
	rep, err := datafile.Check(a.dir)
	if err != nil || rep.Err() != nil {
		t.Fatalf("data file after the full disk: %v %v", err, rep.Err())
	}
	if n := rep.Keys["events"]; uint64(n) != last {
		t.Fatalf("data file holds %d events, want %d", n, last)
	}
}

// fillDisk writes path until the disk holding it refuses more.
func fillDisk(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range []int{1 << 20, 4 << 10, 1} {
		buf := make([]byte, chunk)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill %s: %v", path, err)
				}
				break
			}
		}
	}
}

// postScanBody is postScan with the answer's body.
func postScanBody(t *testing.T, addr, barcode string) (scanned, int, string) {
	t.Helper()
	s, code, body, err := postScanRaw(addr, barcode)
	if err != nil {
		t.Fatalf("scan %s: %v", barcode, err)
	}
	return s, code, body
}
