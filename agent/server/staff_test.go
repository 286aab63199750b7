package server

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/staff"
)

// The staff command works while the agent runs, through the agent's API,
// and says so; once the agent stops it edits the file directly again.
func TestStaffCommandThroughRunningAgent(t *testing.T) {
	dir := t.TempDir()
	a, err := Start(context.Background(), Config{DataDir: dir, Outlet: "SH-001", Secret: "x",
		Broker: "tcp://127.0.0.1:1", HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			a.Close()
		}
	})
	via := "via the running agent at " + a.Addr.String()
	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := staff.Command(args, &out, &errb)
		return code, out.String(), errb.String()
	}
	for _, s := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"add", "--data", dir, "--id", "s01", "--name", "李四", "--role", "supervisor", "--pin", "1234"}, 0, "added s01 (李四, supervisor), " + via, ""},
		{[]string{"add", "--data", dir, "--id", "c01", "--name", "张三", "--pin", "2468"}, 0, "added c01", ""},
		{[]string{"add", "--data", dir, "--id", "c01", "--name", "张三", "--pin", "2468"}, 1, "", "already exists"},
		{[]string{"disable", "--data", dir, "--id", "c01"}, 0, "disabled c01, " + via, ""},
		{[]string{"list", "--data", dir}, 0, "c01  clerk       disabled", ""},
		{[]string{"enable", "--data", dir, "--id", "c01"}, 0, "enabled c01", ""},
		{[]string{"pin", "--data", dir, "--id", "c01", "--pin", "97531"}, 0, "PIN changed for c01, " + via, ""},
		{[]string{"unlock", "--data", dir, "--id", "c01"}, 0, "unlocked c01", ""},
		{[]string{"unlock", "--data", dir, "--id", "nobody"}, 1, "", "no such staff id nobody"},
		{[]string{"list", "--data", dir}, 0, via, ""},
	} {
		code, stdout, stderr := run(s.args...)
		if code != s.code || !strings.Contains(stdout, s.stdout) || !strings.Contains(stderr, s.stderr) {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q", s.args, code, stdout, stderr, s.code, s.stdout, s.stderr)
		}
	}
	// The running agent itself sees the changes: c01 logs in with the new PIN.
	c := &client{t: t, base: "http://" + a.Addr.String()}
	if code := c.do("POST", "/api/v1/session", map[string]string{"staff_id": "c01", "pin": "97531"}, nil); code != 200 {
		t.Fatalf("login with the PIN set from the command line: %d", code)
	}

	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	if _, err := os.Stat(filepath.Join(dir, staff.AdminFileName)); !os.IsNotExist(err) {
		t.Errorf("admin file left after the agent stopped: %v", err)
	}
	code, stdout, stderr := run("list", "--data", dir)
	if want := "directly in " + filepath.Join(dir, datafile.FileName); code != 0 || !strings.Contains(stdout, want) || !strings.Contains(stdout, "s01") {
		t.Fatalf("list after stop: exit %d, %q %q; want %q", code, stdout, stderr, want)
	}
}
