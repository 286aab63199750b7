package server

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/staff/tokens"
)

// The token command works on a stopped agent's file and through a running
// agent; a token made either way posts scans, and a revoked one is refused
// at once.
func TestTokenCommand(t *testing.T) {
	dir := t.TempDir()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := tokens.Command(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	code, stdout, stderr := run("add", "--data", dir, "--name", "sorter-1", "--scope", "scans")
	if want := "directly in " + filepath.Join(dir, datafile.FileName); code != 0 || !strings.Contains(stdout, want) {
		t.Fatalf("add on a stopped agent: exit %d, %q %q", code, stdout, stderr)
	}
	sorter := strings.SplitN(stdout, "\n", 2)[0]
	if !strings.HasPrefix(sorter, tokens.Prefix) {
		t.Fatalf("add printed %q first, want the token", sorter)
	}
	for _, args := range [][]string{
		{"add", "--data", dir, "--name", "x", "--scope", "everything"},
		{"add", "--data", dir, "--name", "Bad Name", "--scope", "scans"},
		{"add", "--data", dir, "--name", "x"},
		{"revoke", "--data", dir},
	} {
		if code, _, _ := run(args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}

	a, err := Start(context.Background(), Config{DataDir: dir, Outlet: "SH-001", Secret: "x", Broker: "tcp://127.0.0.1:1", HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	via := "via the running agent at " + a.Addr.String()
	code, stdout, stderr = run("add", "--data", dir, "--name", "Monitor", "--scope", "read,scans")
	if code != 0 || !strings.Contains(stdout, "added token monitor (read,scans), "+via) {
		t.Fatalf("add on a running agent: exit %d, %q %q", code, stdout, stderr)
	}
	monitor := strings.SplitN(stdout, "\n", 2)[0]
	if code, _, stderr := run("add", "--data", dir, "--name", "monitor", "--scope", "read"); code != 1 || !strings.Contains(stderr, "exists") {
		t.Fatalf("a second token of the same name: exit %d, %q", code, stderr)
	}
	code, stdout, _ = run("list", "--data", dir)
	if code != 0 || !strings.Contains(stdout, "monitor   read,scans") || !strings.Contains(stdout, "sorter-1  scans ") || strings.Contains(stdout, tokens.Prefix) {
		t.Fatalf("list: exit %d, %q", code, stdout)
	}
	scan := map[string]string{"barcode": "SF1234567890123", "action": "inbound"}
	for _, tok := range []string{sorter, monitor} {
		c := &client{t: t, base: "http://" + a.Addr.String(), token: tok}
		if code := c.do("POST", "/api/v1/scans", scan, nil); code != 201 {
			t.Fatalf("scan with token %s…: %d", tok[:8], code)
		}
	}
	if code, stdout, stderr := run("revoke", "--data", dir, "--name", "sorter-1"); code != 0 || !strings.Contains(stdout, "revoked token sorter-1, "+via) {
		t.Fatalf("revoke: exit %d, %q %q", code, stdout, stderr)
	}
	c := &client{t: t, base: "http://" + a.Addr.String(), token: sorter}
	if code := c.do("POST", "/api/v1/scans", scan, nil); code != 401 {
		t.Fatalf("scan with a revoked token: %d", code)
	}
	if code, _, stderr := run("revoke", "--data", dir, "--name", "sorter-1"); code != 1 || !strings.Contains(stderr, "no token named sorter-1") {
		t.Fatalf("revoke twice: exit %d, %q", code, stderr)
	}
}
