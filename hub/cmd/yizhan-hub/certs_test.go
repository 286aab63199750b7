package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The certs commands: a CA, the broker's and an outlet's certificates,
// the list with their expiry; a second outlet certificate without --force
// is refused in both languages and leaves the files, with --force it is
// renewed; a bad lifetime is a usage error.
func TestCertsCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	cli := func(want int, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(append([]string{"certs"}, args...), &out, &errb); code != want {
			t.Fatalf("certs %v: exit %d, want %d\n%s%s", args, code, want, out.String(), errb.String())
		}
		return out.String() + errb.String()
	}
	cli(0, "ca", "--dir", dir)
	cli(0, "server", "--dir", dir, "--name", "hub.example.com,10.0.0.5")
	out := cli(0, "outlet", "--dir", dir, "--id", "SH-001")
	if !strings.Contains(out, "sync.cert_file") || !strings.Contains(out, "装到该网点电脑") {
		t.Errorf("outlet says:\n%s", out)
	}
	list := cli(0, "list", "--dir", dir)
	for _, want := range []string{"ca.crt", "server.crt", "outlet-SH-001.crt", "hub.example.com,10.0.0.5", "729", "正常 ok"} {
		if !strings.Contains(list, want) {
			t.Errorf("list does not show %q:\n%s", want, list)
		}
	}
	before, _ := os.ReadFile(filepath.Join(dir, "outlet-SH-001.key"))
	msg := cli(1, "outlet", "--dir", dir, "--id", "SH-001")
	if !strings.Contains(msg, "已存在") || !strings.Contains(msg, "add --force") {
		t.Errorf("refusal says: %s", msg)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "outlet-SH-001.key")); !bytes.Equal(before, after) {
		t.Error("a refused outlet certificate changed the key")
	}
	cli(0, "outlet", "--dir", dir, "--id", "SH-001", "--force")
	if after, _ := os.ReadFile(filepath.Join(dir, "outlet-SH-001.key")); bytes.Equal(before, after) {
		t.Error("--force kept the old key")
	}
	cli(2, "outlet", "--dir", dir, "--id", "SH-002", "--days", "0x")
	cli(2, "outlet", "--dir", dir, "--id", "SH-002", "--days", "-5")
	cli(2, "server", "--dir", dir, "--name", "bad name")
	cli(1, "outlet", "--dir", t.TempDir(), "--id", "SH-002")
	if show := cli(0, "show", filepath.Join(dir, "server.crt")); !strings.Contains(show, "server") {
		t.Errorf("show: %s", show)
	}
}
