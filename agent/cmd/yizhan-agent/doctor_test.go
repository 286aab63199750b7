package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// TestDoctorExitCode: a configured broker that does not answer is a FAIL,
// and doctor exits 1; the report is in English with --lang en, Chinese by
// default; an unknown language is a usage error.
func TestDoctorExitCode(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.toml")
	toml := fmt.Sprintf("[outlet]\nid = \"SH-001\"\nsecret = \"s3cret-sh-001-Kq7vX2pLm9Rt4Wz\"\n[data]\ndir = %q\nmin_free_mb = 1\n[sync]\nbroker = \"tcp://%s\"\n",
		filepath.Join(dir, "data"), harness.FreeAddr(t))
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"doctor", "--config", cfg, "--lang", "en", "--timeout", "2s"}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1:\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "[FAIL] broker: cannot connect to tcp://") || !strings.Contains(out.String(), "[OK] disk space:") {
		t.Fatalf("report:\n%s", out.String())
	}
	out.Reset()
	run([]string{"doctor", "--config", cfg, "--timeout", "2s"}, &out, &errb)
	if !strings.Contains(out.String(), "[FAIL] 消息代理: 无法连接") {
		t.Fatalf("Chinese report:\n%s", out.String())
	}
	if code := run([]string{"doctor", "--lang", "fr"}, &out, &errb); code != 2 {
		t.Fatalf("--lang fr: exit %d", code)
	}
}
