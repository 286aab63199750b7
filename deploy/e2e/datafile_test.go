package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// The words every damaged-file message carries, in both languages, and
// the way out it names.
var damagedWords = []string{"已损坏", "is damaged", "yizhan-agent salvage", "backup"}

// crashWords are what a Go crash prints; none may reach the operator.
var crashWords = []string{"panic:", "SIGBUS", "SIGSEGV", "goroutine ", "fatal error"}

// TestDamagedDataFile damages a real agent's agent.db the two ways the
// review did — truncated, and a page overwritten with 0xFF — and checks
// that the agent refuses to start with a clear message instead of
// crashing, that doctor names the damage and exits non-zero, and that
// salvage saves what can be read into a new directory on which the agent
// starts and syncs again.
func TestDamagedDataFile(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001")
	c.startHub()
	a := c.newAgent("SH-001")
	c.startAgent(a)
	if got := scanMany(t, a.http, "SF70", 60, 4, nil); len(got) != 60 {
		t.Fatalf("%d of 60 scans taken", len(got))
	}
	c.waitDrained(a, 30*time.Second)
	before := a.sync(t)
	if err := a.proc.Stop(); err != nil {
		t.Fatalf("stop agent: %v", err)
	}
	freelist, eventsRoot, pageSize := fileShape(t, filepath.Join(a.dir, "agent.db"))

	// Cut just before the freelist page, which bbolt reads at open (the
	// review's SIGBUS).
	truncated := copyDataDir(t, a.dir, "truncated")
	if err := os.Truncate(filepath.Join(truncated, "agent.db"), int64(freelist)*int64(pageSize)); err != nil {
		t.Fatal(err)
	}
	// 0xFF over the freelist page (the review's assertion panic at open),
	// and over the event log's root page, which opening does not read.
	freelistFF := copyDataDir(t, a.dir, "freelist-ff")
	overwritePage(t, filepath.Join(freelistFF, "agent.db"), freelist, pageSize)
	overwritten := copyDataDir(t, a.dir, "overwritten")
	overwritePage(t, filepath.Join(overwritten, "agent.db"), eventsRoot, pageSize)

	for name, dir := range map[string]string{"truncated": truncated, "freelist-ff": freelistFF, "overwritten": overwritten} {
		t.Run(name, func(t *testing.T) {
			args := c.agentArgs(&agent{id: a.id, dir: dir, http: harness.FreeAddr(t)}, c.brokerURL())
			code, out := runBounded(t, c.bins["yizhan-agent"], args...)
			checkRefused(t, "run", code, out)
			code, out = runBounded(t, c.bins["yizhan-agent"], "doctor", "--data", dir)
			checkRefused(t, "doctor", code, out)
		})
	}

	// Salvage the overwritten file: the event log's root page is lost, the
	// rest of the file is read into a new one.
	saved := filepath.Join(c.dir, "salvaged")
	code, out := runBounded(t, c.bins["yizhan-agent"], "salvage", "--data", overwritten, "--to", saved)
	t.Logf("salvage:\n%s", out)
	if code != 0 {
		t.Fatalf("salvage exited %d", code)
	}
	for _, want := range []string{"meta", "wf_state", "events", "lost", fmt.Sprintf("page %d", eventsRoot)} {
		if !strings.Contains(out, want) {
			t.Errorf("salvage report does not mention %q", want)
		}
	}
	for _, w := range crashWords {
		if strings.Contains(out, w) {
			t.Errorf("salvage printed %q", w)
		}
	}
	code, out = runBounded(t, c.bins["yizhan-agent"], "doctor", "--data", saved)
	if code != 0 {
		t.Fatalf("doctor on the salvaged directory exited %d:\n%s", code, out)
	}
	// The salvaged file keeps the agent's API tokens: the old one works.
	s := &agent{id: a.id, dir: saved, http: harness.FreeAddr(t), token: a.token}
	c.startAgent(s)
	if got := s.sync(t); got.LastSeq != before.LastSeq || got.AckedSeq != before.AckedSeq {
		t.Fatalf("salvaged agent: last_seq %d acked %d, before the damage %d and %d", got.LastSeq, got.AckedSeq, before.LastSeq, before.AckedSeq)
	}
	if got := scanMany(t, s.http, "SF71", 5, 1, nil); len(got) != 5 {
		t.Fatalf("%d of 5 scans taken on the salvaged file", len(got))
	}
	c.waitDrained(s, 30*time.Second)
	if h := c.hubAcked(a.id); h != before.LastSeq+5 {
		t.Fatalf("hub acked %d after the salvaged agent's scans, want %d", h, before.LastSeq+5)
	}
}

// fileShape reads, from a healthy file, its freelist page, the root page
// of the event log, and the page size.
func fileShape(t *testing.T, path string) (freelist, eventsRoot uint64, pageSize int) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("events"))
		if b == nil || b.Root() == 0 {
			return errors.New("events/ is missing or inline")
		}
		eventsRoot = uint64(b.Root())
		for id := 2; id < int(tx.Size())/tx.DB().Info().PageSize; id++ {
			if p, err := tx.Page(id); err == nil && p != nil && p.Type == "freelist" {
				freelist = uint64(id)
				return nil
			}
		}
		return errors.New("no freelist page")
	})
	if err != nil {
		t.Fatal(err)
	}
	return freelist, eventsRoot, db.Info().PageSize
}

func copyDataDir(t *testing.T, src, name string) string {
	t.Helper()
	dst := filepath.Join(filepath.Dir(src), name)
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	return dst
}

func overwritePage(t *testing.T, path string, id uint64, pageSize int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xFF}, pageSize), int64(id)*int64(pageSize)); err != nil {
		t.Fatal(err)
	}
}

// runBounded runs bin to its end, or kills it after 20 s: an agent that
// starts on a damaged file would otherwise run on. -1 means it was killed.
func runBounded(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if ctx.Err() != nil {
		return -1, string(out)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

func checkRefused(t *testing.T, what string, code int, out string) {
	t.Helper()
	t.Logf("%s exited %d:\n%s", what, code, tailLines(out, 4))
	switch code {
	case 0:
		t.Errorf("%s exited 0 on the damaged file:\n%s", what, out)
	case -1:
		t.Errorf("%s was still running after 20 s on the damaged file:\n%s", what, tailLines(out, 15))
	}
	for _, w := range crashWords {
		if strings.Contains(out, w) {
			t.Errorf("%s crashed (%q in its output):\n%s", what, w, tailLines(out, 15))
			break
		}
	}
	for _, w := range damagedWords {
		if !strings.Contains(out, w) {
			t.Errorf("%s does not say %q:\n%s", what, w, tailLines(out, 15))
		}
	}
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestManifestOf5000Waybills: head office publishes a manifest of 5,000
// waybills of the longest allowed length — several times the 64 KiB event
// limit — and the outlet receives every waybill, in order.
func TestManifestOf5000Waybills(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001")
	c.startHub()
	a := c.newAgent("SH-001")
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.startAgent(a, "--pii-key-file", writePIIKey(t))
	agentURL, hubURL := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"
	ws := make([]string, 5000)
	for i := range ws {
		ws[i] = fmt.Sprintf("SF%06d%s", i, strings.Repeat("7", 56))
	}
	var m struct {
		ID       string   `json:"id"`
		Waybills []string `json:"waybills"`
	}
	if code := call(t, "POST", hubURL+"/manifests", apiToken, map[string]any{"outlet": "SH-001", "courier": "K-07",
		"expected_at": time.Now().Add(time.Hour).Format(time.RFC3339), "waybills": ws}, &m); code != 201 || len(m.Waybills) != len(ws) {
		t.Fatalf("publish a 5,000-waybill manifest: %d, %d waybills back", code, len(m.Waybills))
	}
	l := staffLogin(t, agentURL, "c01", "1234")
	var got struct {
		Manifest struct {
			Waybills []string `json:"waybills"`
		} `json:"manifest"`
	}
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		code := call(t, "GET", agentURL+"/manifests/"+m.ID, l, nil, &got)
		return code == 200, fmt.Sprintf("manifest not at the outlet yet (%d)", code)
	})
	if have := got.Manifest.Waybills; !slices.Equal(have, ws) {
		t.Fatalf("the outlet holds %d waybills, head office sent %d", len(have), len(ws))
	}
}
