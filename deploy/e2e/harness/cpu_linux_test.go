package harness

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

func rusageSelf(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestCPUTimeSelf checks the reading against getrusage, which the kernel
// computes from the same accounting, taken just before and just after.
func TestCPUTimeSelf(t *testing.T) {
	burn := time.Now()
	for x := 0; time.Since(burn) < 200*time.Millisecond; x++ {
		_ = x * x
	}
	before := rusageSelf(t)
	got, err := CPUTime(os.Getpid())
	after := rusageSelf(t)
	if err != nil {
		t.Fatal(err)
	}
	// utime and stime are each cut down to a whole 10 ms tick.
	if got > after || got < before-2*time.Second/clockTicks {
		t.Fatalf("CPUTime(self) = %v, getrusage gave %v before and %v after", got, before, after)
	}
	if got == 0 {
		t.Fatalf("CPUTime(self) = 0 after burning CPU")
	}
}

// TestCPUMeterChild measures a child that spins and one that sleeps.
func TestCPUMeterChild(t *testing.T) {
	busy := Start(t, "/bin/sh", "-c", "while :; do :; done")
	idle := Start(t, "/bin/sleep", "60")
	m, err := StartCPU(map[string]int{"busy": busy.Pid(), "idle": idle.Pid()})
	if err != nil {
		t.Fatal(err)
	}
	var used map[string]time.Duration
	Eventually(t, 30*time.Second, func() (bool, string) {
		used, err = m.Used()
		if err != nil {
			t.Fatal(err)
		}
		return used["busy"] >= 100*time.Millisecond, "busy child used " + used["busy"].String()
	})
	if used["idle"] >= used["busy"] {
		t.Errorf("sleeping child used %v, spinning child %v", used["idle"], used["busy"])
	}
	busy.Kill()
	if _, err := m.Used(); err == nil {
		t.Errorf("Used after the process exited: no error")
	}
}

// TestTreeCPUTime counts a live child's CPU in its parent's tree, and a
// child that has exited and been waited for as well: a PostgreSQL backend
// that ended during a benchmark still counts in the postmaster's.
func TestTreeCPUTime(t *testing.T) {
	self := os.Getpid()
	before, err := TreeCPUTime(self)
	if err != nil {
		t.Fatal(err)
	}
	busy := Start(t, "/bin/sh", "-c", "while :; do :; done")
	var live time.Duration
	Eventually(t, 30*time.Second, func() (bool, string) {
		live, _ = CPUTime(busy.Pid())
		return live >= 300*time.Millisecond, fmt.Sprintf("child used %v", live)
	})
	tree, err := TreeCPUTime(self)
	if err != nil {
		t.Fatal(err)
	}
	own, _ := CPUTime(self)
	if tree-own < live {
		t.Fatalf("tree %v less own %v is below the live child's %v", tree, own, live)
	}
	busy.Kill()
	<-busy.Done()
	after, err := TreeCPUTime(self)
	if err != nil {
		t.Fatal(err)
	}
	if after-before < live {
		t.Fatalf("tree grew by %v over a child that used at least %v and was waited for", after-before, live)
	}
}
