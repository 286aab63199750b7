package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/backup"
	"github.com/yizhan/yizhan/agent/datafile"
)

// TestBackupRestoreCommands: with no agent running, backup reads the
// file itself, restore puts it back and keeps the old one, and both say
// what the backup does not hold; bad use exits 2, a refused restore 1.
func TestBackupRestoreCommands(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	f, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"backup", "--data", dir, "--to", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("backup: %d\n%s", code, stderr.String())
	}
	list, err := backup.List(out, "SH-001")
	if err != nil || len(list) != 1 || !strings.Contains(stdout.String(), list[0].Path) || !strings.Contains(stdout.String(), "key file") {
		t.Fatalf("backup listed %v (%v); said:\n%s", list, err, stdout.String())
	}
	stdout.Reset()
	if code := run([]string{"restore", "--from", list[0].Path, "--data", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("restore: %d\n%s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, datafile.FileName+backup.BeforeRestore)); err != nil {
		t.Fatalf("old file not kept: %v\n%s", err, stdout.String())
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"backup", "--data", dir}, 2, "no backup directory"},
		{[]string{"backup", "--to", out}, 2, "--data"},
		{[]string{"restore", "--data", dir}, 2, "--from"},
		{[]string{"restore", "--from", list[0].Path, "--data", dir, "--outlet", "SH-002"}, 1, "--force"},
	} {
		stderr.Reset()
		code := run(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), strings.TrimPrefix(tc.want, "backup.")) {
			t.Errorf("%v: exit %d, want %d; stderr %q", tc.args, code, tc.code, stderr.String())
		}
	}
}

// TestDoctorBackupAge: doctor's backup line reads [backup] dir from the
// config: unconfigured backups are a warning that names the incarnation
// path; configured ones are a FAIL when none is in the folder or the newest
// is past backup.StaleAfter, and OK with how many are kept.
func TestDoctorBackupAge(t *testing.T) {
	dir := t.TempDir()
	conf := func(backupDir string) string {
		p := filepath.Join(dir, fmt.Sprintf("agent-%d.toml", len(backupDir)))
		body := fmt.Sprintf("[outlet]\nid = \"SH-001\"\n[data]\ndir = %q\n", filepath.Join(dir, "data"))
		if backupDir != "" {
			body += fmt.Sprintf("[backup]\ndir = %q\n", backupDir)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	line := func(cfg string) string {
		var out, errb bytes.Buffer
		run([]string{"doctor", "--config", cfg, "--lang", "en", "--timeout", "100ms"}, &out, &errb)
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, "] backup:") {
				return l
			}
		}
		t.Fatalf("no backup line in doctor's output:\n%s%s", out.String(), errb.String())
		return ""
	}
	if l := line(conf("")); !strings.HasPrefix(l, "[WARN]") || !strings.Contains(l, "new-incarnation") {
		t.Fatalf("unconfigured: %s", l)
	}
	bdir := filepath.Join(dir, "backups")
	if l := line(conf(bdir)); !strings.HasPrefix(l, "[FAIL]") || !strings.Contains(l, "no backup") {
		t.Fatalf("no backup yet: %s", l)
	}
	os.MkdirAll(bdir, 0o700)
	old := filepath.Join(bdir, backup.Name("SH-001", time.Now().Add(-backup.StaleAfter-time.Hour)))
	os.WriteFile(old, []byte("x"), 0o600)
	if l := line(conf(bdir)); !strings.HasPrefix(l, "[FAIL]") || !strings.Contains(l, "may be failing") {
		t.Fatalf("stale backup: %s", l)
	}
	os.WriteFile(filepath.Join(bdir, backup.Name("SH-001", time.Now().Add(-time.Hour))), []byte("x"), 0o600)
	if l := line(conf(bdir)); !strings.HasPrefix(l, "[OK]") || !strings.Contains(l, "2 kept") {
		t.Fatalf("fresh backup: %s", l)
	}
}
