package spool

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The crash tests run the spool in a child process (this test binary run
// again with crashDBEnv set), SIGKILL it at a chosen point, reopen the bbolt
// file in this process and check that nothing printed twice and nothing was
// lost.
const (
	crashDBEnv      = "YIZHAN_SPOOL_CRASH_DB"
	crashPrinterEnv = "YIZHAN_SPOOL_CRASH_PRINTER"
)

// TestCrashChild is the child half; it only runs when re-executed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashDBEnv)
	if path == "" {
		return // only meaningful as the child the crash tests start
	}
	db := openDB(t, path)
	// A long status timeout: the child must still be waiting for the
	// printer's receipt when it is killed.
	sp, err := Open(db, map[string]Printer{"shelf": zebra(t, os.Getenv(crashPrinterEnv), 600000)}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	sp.Run(context.Background()) // until killed
}

func startChild(t *testing.T, dbPath, printerURL string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+dbPath, crashPrinterEnv+"="+printerURL)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			t.Logf("child output:\n%s", out.String())
		}
	})
	return cmd
}

func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
}

// enqueueAll stores n jobs in a fresh file and closes it.
func enqueueAll(t *testing.T, path, url string, n int) []uint64 {
	t.Helper()
	db := openDB(t, path)
	defer db.Close()
	sp, err := Open(db, map[string]Printer{"shelf": zebra(t, url, 1000)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := 1; i <= n; i++ {
		id, err := sp.Enqueue("shelf", "label", job(i))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestCrashMidSend kills the agent after the printer took job 3 but before
// it confirmed receipt. Job 3 must come back as needs_confirmation, not be
// sent again; the others print exactly once.
func TestCrashMidSend(t *testing.T) {
	s := startSim(t)
	s.HoldReceiptAfter(3)
	path := filepath.Join(t.TempDir(), "agent.db")
	ids := enqueueAll(t, path, s.URL(), 6)

	child := startChild(t, path, s.URL())
	waitFor(t, "the printer received job 3", func() bool { return len(s.Jobs()) >= 3 })
	kill(t, child)
	s.HoldReceiptAfter(0)

	db := openDB(t, path)
	defer db.Close()
	sp, err := Open(db, map[string]Printer{"shelf": zebra(t, s.URL(), 1000)}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := []State{Printed, Printed, NeedsConfirmation, Queued, Queued, Queued}
	for i, id := range ids {
		if got := stateOf(t, sp, id); got != want[i] {
			t.Fatalf("after the crash job %d is %s, want %s", i+1, got, want[i])
		}
	}
	run(t, sp)
	waitFor(t, "the rest printed", func() bool {
		for _, id := range ids[3:] {
			if stateOf(t, sp, id) != Printed {
				return false
			}
		}
		return true
	})
	if got := stateOf(t, sp, ids[2]); got != NeedsConfirmation {
		t.Fatalf("the interrupted job became %s without a clerk", got)
	}
	for i := range ids {
		if n := s.Count(marker(i + 1)); n != 1 {
			t.Errorf("job %d reached the printer %d times, want exactly once", i+1, n)
		}
	}
	if err := sp.ConfirmPrinted(ids[2], "clerk"); err != nil {
		t.Fatal(err)
	}
}

// TestCrashWhileHeld kills the agent while its jobs wait for paper. After a
// restart and paper, each prints exactly once.
func TestCrashWhileHeld(t *testing.T) {
	s := startSim(t)
	s.SetFaults("paper_out")
	path := filepath.Join(t.TempDir(), "agent.db")
	ids := enqueueAll(t, path, s.URL(), 3)

	child := startChild(t, path, s.URL())
	waitFor(t, "the child polled the printer", func() bool { return s.Queries() >= 3 })
	kill(t, child)
	if n := len(s.Jobs()); n != 0 {
		t.Fatalf("%d jobs sent while out of paper", n)
	}
	s.SetFaults()

	db := openDB(t, path)
	defer db.Close()
	sp, err := Open(db, map[string]Printer{"shelf": zebra(t, s.URL(), 1000)}, fastOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	run(t, sp)
	waitFor(t, "all printed", func() bool {
		for _, id := range ids {
			if stateOf(t, sp, id) != Printed {
				return false
			}
		}
		return true
	})
	for i := range ids {
		if n := s.Count(marker(i + 1)); n != 1 {
			t.Errorf("job %d printed %d times, want exactly once", i+1, n)
		}
	}
}
