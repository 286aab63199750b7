package harness

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

const fakesvc = "github.com/yizhan/yizhan/deploy/e2e/harness/testdata/fakesvc"

func TestBuildOnce(t *testing.T) {
	bins := Build(t, fakesvc)
	bin := bins["fakesvc"]
	st1, err := os.Stat(bin)
	if err != nil {
		t.Fatalf("built binary: %v", err)
	}
	again := Build(t, fakesvc)
	st2, err := os.Stat(again["fakesvc"])
	if err != nil {
		t.Fatal(err)
	}
	if again["fakesvc"] != bin || !os.SameFile(st1, st2) || !st1.ModTime().Equal(st2.ModTime()) {
		t.Errorf("second Build rebuilt: %s (%v) then %s (%v)", bin, st1.ModTime(), again["fakesvc"], st2.ModTime())
	}
}

func TestBuildFailureReported(t *testing.T) {
	_, err := build([]string{"github.com/yizhan/yizhan/deploy/e2e/harness/testdata/nosuchcmd"})
	if err == nil || !strings.Contains(err.Error(), "nosuchcmd") {
		t.Fatalf("build of a missing package: err = %v, want one naming the package", err)
	}
}

func TestModuleRoot(t *testing.T) {
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(root + "/go.mod")
	if err != nil || !strings.Contains(string(b), "module github.com/yizhan/yizhan\n") {
		t.Fatalf("ModuleRoot() = %s, whose go.mod is not this module's (%v)", root, err)
	}
}

func startFake(t *testing.T, args ...string) (*Proc, string) {
	t.Helper()
	addr := FreeAddr(t)
	p := Start(t, Build(t, fakesvc)["fakesvc"], append([]string{"-addr", addr}, args...)...)
	WaitHTTP(t, "http://"+addr+"/healthz", 10*time.Second)
	return p, addr
}

func TestProcStopIsGraceful(t *testing.T) {
	p, _ := startFake(t)
	if !p.Running() {
		t.Fatal("Running() = false for a serving process")
	}
	if err := p.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if p.Running() || p.ExitCode() != 0 {
		t.Fatalf("after Stop: running=%v exit code %d, want stopped with 0", p.Running(), p.ExitCode())
	}
	if out := p.Output(); !strings.Contains(out, "fakesvc: stopping") {
		t.Fatalf("output lacks the shutdown line:\n%s", out)
	}
}

func TestProcKill(t *testing.T) {
	p, _ := startFake(t)
	p.Kill()
	if p.Running() {
		t.Fatal("still running after Kill")
	}
	if err := p.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Wait after Kill = %v, want killed by a signal", err)
	}
}

func TestProcStopKillsWhenTermIgnored(t *testing.T) {
	p, _ := startFake(t, "-ignore-term")
	err := p.StopWithin(100 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "was killed") {
		t.Fatalf("StopWithin = %v, want an error saying it was killed", err)
	}
	if p.Running() {
		t.Fatal("still running after StopWithin")
	}
	if out := p.Output(); !strings.Contains(out, "ignoring SIGTERM") {
		t.Fatalf("SIGTERM was not delivered first; output:\n%s", out)
	}
}

// fatalTB records a fatal failure and ends the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	mu  sync.Mutex
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.msg = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func TestEventually(t *testing.T) {
	n := 0
	Eventually(t, 10*time.Second, func() (bool, string) { n++; return n >= 3, "" })
	if n != 3 {
		t.Fatalf("condition polled %d times, want 3", n)
	}

	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Eventually(f, 20*time.Millisecond, func() (bool, string) { return false, "queue still has 7 items" })
	}()
	<-done
	if !strings.Contains(f.msg, "queue still has 7 items") {
		t.Fatalf("Eventually failed with %q, want the last description", f.msg)
	}
}

func TestTail(t *testing.T) {
	path := t.TempDir() + "/log"
	os.WriteFile(path, []byte("a\nb\nc\nd\n"), 0o644)
	for n, want := range map[int]string{1: "d", 2: "c\nd", 4: "a\nb\nc\nd", 9: "a\nb\nc\nd"} {
		if got := tail(path, n); got != want {
			t.Errorf("tail(%d) = %q, want %q", n, got, want)
		}
	}
}
