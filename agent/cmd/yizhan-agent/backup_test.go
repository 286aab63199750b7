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
	"github.com/yizhan/yizhan/devices"
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

// TestDoctorBackupAge: configured backups are a problem when none is in
// the folder or the newest is past backup.StaleAfter; unconfigured ones
// are a warning that names the incarnation path.
func TestDoctorBackupAge(t *testing.T) {
	dir := t.TempDir()
	conf := func(backupDir string) string {
		p := filepath.Join(dir, fmt.Sprintf("agent-%d.toml", len(backupDir)))
		body := "[outlet]\nid = \"SH-001\"\n"
		if backupDir != "" {
			body += fmt.Sprintf("[backup]\ndir = %q\n", backupDir)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	st, ok := checkBackups(conf(""), "")
	if !ok || st.State != devices.StateOK || !strings.Contains(st.Detail, "new-incarnation") {
		t.Fatalf("unconfigured: %+v", st)
	}
	bdir := filepath.Join(dir, "backups")
	if st, _ := checkBackups(conf(bdir), ""); st.State != devices.StateFault || !strings.Contains(st.Detail, "no backup") {
		t.Fatalf("no backup yet: %+v", st)
	}
	os.MkdirAll(bdir, 0o700)
	old := filepath.Join(bdir, backup.Name("SH-001", time.Now().Add(-backup.StaleAfter-time.Hour)))
	os.WriteFile(old, []byte("x"), 0o600)
	if st, _ := checkBackups(conf(bdir), ""); st.State != devices.StateFault || st.Fix == "" {
		t.Fatalf("stale backup: %+v", st)
	}
	os.WriteFile(filepath.Join(bdir, backup.Name("SH-001", time.Now().Add(-time.Hour))), []byte("x"), 0o600)
	if st, _ := checkBackups(conf(bdir), ""); st.State != devices.StateOK || !strings.Contains(st.Detail, "2 kept") {
		t.Fatalf("fresh backup: %+v", st)
	}
}
