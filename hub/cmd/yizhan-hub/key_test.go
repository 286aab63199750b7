package main

import (
	"bytes"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/sealed"
)

// yizhan-hub outlet key writes the outlet's own key file, never the
// master, and head office's master opens what that outlet seals.
func TestOutletKey(t *testing.T) {
	dir := t.TempDir()
	master := bytes.Repeat([]byte{5}, sealed.KeySize)
	masterFile := filepath.Join(dir, "master.key")
	os.WriteFile(masterFile, []byte(base64.StdEncoding.EncodeToString(master)+"\n"), 0o600)
	out := filepath.Join(dir, "SH-001.key")
	var stderr bytes.Buffer
	if code := run([]string{"outlet", "key", "--master", masterFile, "--id", "SH-001", "--out", out}, io.Discard, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(out); runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
	if bytes.Contains(raw, []byte(base64.StdEncoding.EncodeToString(master))) {
		t.Fatal("the outlet's key file holds the master key")
	}
	kf, err := sealed.ParseKeyFile(raw)
	if err != nil || kf.Outlet != "SH-001" || kf.Legacy != nil {
		t.Fatalf("key file %+v, %v", kf, err)
	}
	k, _ := sealed.NewKey(kf.Outlet, kf.Seal)
	m, _ := sealed.NewMaster(master)
	rec := sealed.Record{Kind: "complaint", ID: "C1"}
	if got, err := m.Open("SH-001", sealed.Text, rec, k.Seal(sealed.Text, rec, "太慢")); err != nil || got != "太慢" {
		t.Fatalf("master Open = %q, %v", got, err)
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"exists", []string{"outlet", "key", "--master", masterFile, "--id", "SH-001", "--out", out}, 1, "already exists"},
		{"no master", []string{"outlet", "key", "--id", "SH-002", "--out", filepath.Join(dir, "x.key")}, 2, "--master"},
		{"bad id", []string{"outlet", "key", "--master", masterFile, "--id", "a/b", "--out", filepath.Join(dir, "y.key")}, 2, "--id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if code := run(tc.args, io.Discard, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Fatalf("exit %d, %q; want %d and %q", code, stderr.String(), tc.code, tc.want)
			}
		})
	}
	if runtime.GOOS != "windows" {
		os.Chmod(masterFile, 0o644)
		var stderr bytes.Buffer
		if code := run([]string{"outlet", "key", "--master", masterFile, "--id", "SH-003", "--out", filepath.Join(dir, "z.key")}, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "chmod 600") {
			t.Fatalf("world-readable master: exit %d, %q", code, stderr.String())
		}
	}
}
