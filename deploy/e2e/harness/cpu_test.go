package harness

import (
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		err        bool
	}{
		{"plain", "123 (mosquitto)" + statTail("150", "25"), 1750 * time.Millisecond, false},
		{"name with spaces and parens", "7 (a) b (c)" + statTail("3", "4"), 70 * time.Millisecond, false},
		{"large", "9 (yizhan-hub)" + statTail("8640000", "0"), 24 * time.Hour, false},
		{"no name", "123 mosquitto S 1", 0, true},
		{"short", "123 (x) S 1 2 3", 0, true},
		{"not a number", "1 (x)" + statTail("-5", "1"), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat(tc.stat)
			if (err != nil) != tc.err || got != tc.want {
				t.Fatalf("parseStat(%q) = %v, %v; want %v, error %v", tc.stat, got, err, tc.want, tc.err)
			}
		})
	}
}

// statTail is what follows the command name, with utime and stime given.
func statTail(utime, stime string) string {
	return " S 1 2 3 4 5 6 7 8 9 10 " + utime + " " + stime + " 0 0 20 0 4 0 99 1000 50"
}

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
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
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
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
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
