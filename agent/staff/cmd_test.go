package staff

import (
	"bytes"
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Command(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // not there yet: add creates it

	steps := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"list before the file exists", []string{"list", "--data", dir}, 1, "", "no agent data file"},
		{"add", []string{"add", "--data", dir, "--id", "c01", "--name", "张三", "--role", "clerk", "--pin", "1234"}, 0, "added c01 (张三, clerk)", ""},
		{"add supervisor", []string{"add", "--data", dir, "--id", "S01", "--name", "李四", "--role", "supervisor", "--pin", "87654321"}, 0, "added s01", ""},
		{"add again", []string{"add", "--data", dir, "--id", "c01", "--name", "王五", "--pin", "5555"}, 1, "", "already exists"},
		{"list", []string{"list", "--data", dir}, 0, "c01  clerk", ""},
		{"disable", []string{"disable", "--data", dir, "--id", "C01"}, 0, "disabled c01, directly in " + filepath.Join(dir, datafile.FileName), ""},
		{"list disabled", []string{"list", "--data", dir}, 0, "c01  clerk       disabled", ""},
		{"enable", []string{"enable", "--data", dir, "--id", "c01"}, 0, "enabled c01", ""},
		{"unlock", []string{"unlock", "--data", dir, "--id", "c01"}, 0, "unlocked c01", ""},
		{"pin", []string{"pin", "--data", dir, "--id", "c01", "--pin", "4321"}, 0, "PIN changed for c01", ""},
		{"pin unknown", []string{"pin", "--data", dir, "--id", "c09", "--pin", "4321"}, 1, "", "no such staff id c09"},
		{"remove", []string{"remove", "--data", dir, "--id", "c01"}, 0, "removed c01", ""},
		{"remove again", []string{"remove", "--data", dir, "--id", "c01"}, 1, "", "no such staff id"},
		{"remove last", []string{"remove", "--data", dir, "--id", "s01"}, 0, "removed s01", ""},
		{"list empty", []string{"list", "--data", dir}, 0, "no staff yet", ""},

		{"no subcommand", nil, 2, "", "Usage:"},
		{"help", []string{"help"}, 0, "Usage:", ""},
		{"unknown subcommand", []string{"fire", "--data", dir}, 2, "", `unknown staff command "fire"`},
		{"no --data", []string{"list"}, 2, "", "--data is required"},
		{"bad flag", []string{"list", "--data", dir, "--id", "c01"}, 2, "", "flag provided but not defined"},
		{"stray argument", []string{"list", "--data", dir, "extra"}, 2, "", "unexpected argument"},
		{"short PIN", []string{"add", "--data", dir, "--id", "c02", "--name", "张三", "--pin", "12"}, 2, "", "4 to 8 digits"},
		{"no PIN", []string{"add", "--data", dir, "--id", "c02", "--name", "张三"}, 2, "", "4 to 8 digits"},
		{"bad role", []string{"add", "--data", dir, "--id", "c02", "--name", "张三", "--role", "boss", "--pin", "1234"}, 2, "", "clerk or supervisor"},
		{"no name", []string{"add", "--data", dir, "--id", "c02", "--pin", "1234"}, 2, "", "a name is"},
		{"no id", []string{"add", "--data", dir, "--name", "张三", "--pin", "1234"}, 2, "", "a staff id is"},
		{"remove without id", []string{"remove", "--data", dir}, 2, "", "--id is required"},
		{"disable without id", []string{"disable", "--data", dir}, 2, "", "--id is required"},
		{"pin without a PIN", []string{"pin", "--data", dir, "--id", "c01"}, 2, "", "4 to 8 digits"},
		{"unlock takes no PIN", []string{"unlock", "--data", dir, "--id", "c01", "--pin", "1234"}, 2, "", "flag provided but not defined"},
	}
	for _, s := range steps {
		code, stdout, stderr := runCmd(t, s.args...)
		if code != s.code || !strings.Contains(stdout, s.stdout) || !strings.Contains(stderr, s.stderr) {
			t.Fatalf("%s: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q",
				s.name, code, stdout, stderr, s.code, s.stdout, s.stderr)
		}
	}
}

func TestCommandPINFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvPIN, "24680")
	if code, _, stderr := runCmd(t, "add", "--data", dir, "--id", "c01", "--name", "张三"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	db := openDB(t, dir)
	s, err := Open(db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Check("c01", "24680"); err != nil {
		t.Fatalf("PIN from %s: %v", EnvPIN, err)
	}
}

// Staff added before the agent's first run live in the file the agent then
// opens, and the command refuses the file while the agent holds it.
func TestCommandWithAgentFile(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCmd(t, "add", "--data", dir, "--id", "c01", "--name", "张三", "--pin", "1234"); code != 0 {
		t.Fatalf("add: exit %d: %s", code, stderr)
	}
	file, err := datafile.Open(dir, datafile.Options{Outlet: "out-1"})
	if err != nil {
		t.Fatalf("the agent cannot open a file the staff command made: %v", err)
	}
	defer file.Close()
	events, err := eventlog.Open(file, eventlog.Options{})
	if err != nil {
		t.Fatalf("the agent cannot open a file the staff command made: %v", err)
	}
	defer events.Close()

	code, _, stderr := runCmd(t, "add", "--data", dir, "--id", "c02", "--name", "李四", "--pin", "1234")
	if code != 1 || !strings.Contains(stderr, "in use by a running yizhan-agent") || !strings.Contains(stderr, "stop the agent first") {
		t.Fatalf("add while the agent runs: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, "list", "--data", dir); code != 1 || !strings.Contains(stderr, "stop the agent first") {
		t.Fatalf("list while the agent runs: exit %d, %q", code, stderr)
	}

	st, err := Open(file)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := st.Check("c01", "1234"); err != nil || got.Name != "张三" {
		t.Fatalf("Check through the agent's file: %+v, %v", got, err)
	}
}

// A running agent that wrote its admin file but does not answer is named
// with its address, not mistaken for a stopped one.
func TestCommandAgentNotAnswering(t *testing.T) {
	dir := t.TempDir()
	file := openDB(t, dir) // held, as a running agent holds it
	_ = file
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr()
	ln.Close()
	if _, err := WriteAdminFile(dir, addr); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "list", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "could not reach the running yizhan-agent at http://"+addr.String()) {
		t.Fatalf("exit %d, %q", code, stderr)
	}
}

// TestCommandUnlockStoppedAgentIsAudited: unlocking in a stopped agent's
// file clears the lock and its escalation and leaves the audit event in
// the file's event log, for the agent to send to head office.
func TestCommandUnlockStoppedAgentIsAudited(t *testing.T) {
	dir := t.TempDir()
	db, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Open(db, WithIterations(MinIterations))
	if err := s.Add("c01", "张三", RoleClerk, "1234"); err != nil {
		t.Fatal(err)
	}
	lockOut(t, s, "c01")
	db.Close()

	if code, out, errs := runCmd(t, "unlock", "--data", dir, "--id", "C01"); code != 0 || !strings.Contains(out, "unlocked c01") {
		t.Fatalf("unlock: %d %q %q", code, out, errs)
	}
	db = openDB(t, dir)
	s, _ = Open(db, WithIterations(MinIterations))
	if _, ok := s.LockedUntil("c01"); ok {
		t.Fatal("still locked")
	}
	if le := lockOut(t, s, "c01"); le.Until.Sub(le.Now) != LockFor {
		t.Fatalf("first lock after the unlock lasts %v, want %v", le.Until.Sub(le.Now), LockFor)
	}
	l, err := eventlog.Open(db, eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	raws, err := l.ReadRaw(1, 10, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(raws) != 1 {
		t.Fatalf("%d events in the log, want the unlock", len(raws))
	}
	var ev syncproto.Event
	if err := json.Unmarshal(raws[0], &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != lifecycle.StaffUnlocked || ev.Subject != "staff/c01" || ev.Actor != LocalAdmin.ID || syncproto.CheckEvent(&ev) != nil {
		t.Fatalf("event %s", raws[0])
	}
}
