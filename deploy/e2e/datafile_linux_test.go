package e2e

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// TestReadyzDiskFull gives the hub and an agent each a small tmpfs as
// their data directory, fills it below the floor, and checks that both
// /readyz answer 503 store.disk_full while it is full and ok again once
// space is freed, while both /healthz (liveness) answer 200 throughout. It
// needs root to mount (CI runs as root).
func TestReadyzDiskFull(t *testing.T) {
	c := newCluster(t, "embedded")
	mountTmpfs(t, c.hubDir(), "24m")
	secret := "s3cret-sh-001-Kq7vX2pLm9Rt4Wz" // long enough for the hub's strength check
	if out, err := exec.Command(c.bins["yizhan-hub"], "outlet", "add", "--data", c.hubDir(), "--id", "SH-001", "--secret", secret).CombinedOutput(); err != nil {
		t.Fatalf("outlet add: %v\n%s", err, out)
	}
	c.secrets["SH-001"] = secret
	c.startHub("--min-free-mb", "8")
	a := c.newAgent("SH-001")
	mountTmpfs(t, a.dir, "24m")
	c.startAgent(a, "--min-free-mb", "8")

	for _, p := range []struct{ name, dir, readyz, healthz string }{
		{"hub", c.hubDir(), "http://" + c.hubHTTP + "/readyz", "http://" + c.hubHTTP + "/healthz"},
		{"agent", a.dir, "http://" + a.http + "/readyz", "http://" + a.http + "/healthz"},
	} {
		// Leave about 2 MiB: below the 8 MiB floor, while the programs can
		// still write.
		fill := filepath.Join(p.dir, "fill")
		free := freeBytes(t, p.dir)
		if err := os.WriteFile(fill, make([]byte, free-2<<20), 0o600); err != nil {
			t.Fatalf("%s: fill the disk: %v", p.name, err)
		}
		code, body := getBody(t, p.readyz)
		t.Logf("%s /readyz with %d MiB free: %d %s", p.name, freeBytes(t, p.dir)>>20, code, body)
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "store.disk_full") || !strings.Contains(body, p.dir) {
			t.Errorf("%s /readyz on a full disk: %d %s, want 503 store.disk_full naming %s", p.name, code, body, p.dir)
		}
		if code, body := getBody(t, p.healthz); code != http.StatusOK {
			t.Errorf("%s /healthz on a full disk: %d %s, want 200: liveness does not check the disk", p.name, code, body)
		}
		if err := os.Remove(fill); err != nil {
			t.Fatal(err)
		}
		if code, body := getBody(t, p.readyz); code != http.StatusOK {
			t.Errorf("%s /readyz after freeing space: %d %s", p.name, code, body)
		}
	}
}

// mountTmpfs mounts a tmpfs of size at dir (made here) and unmounts it when
// the test ends, after the processes using it have stopped.
func mountTmpfs(t *testing.T, dir, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		harness.SkipOutsideCI(t, "mounting a tmpfs needs root: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
}

func freeBytes(t *testing.T, dir string) int {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int(st.Bavail) * int(st.Bsize)
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := httpc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}
