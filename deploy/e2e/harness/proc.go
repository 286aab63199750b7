package harness

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// StopTimeout is how long Stop waits after SIGTERM before it sends SIGKILL.
const StopTimeout = 10 * time.Second

// Proc is a process started by Start. Its stdout and stderr go to one log
// file, whose tail is printed if the test fails.
type Proc struct {
	Name    string // base name of the binary, for messages
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error // from cmd.Wait; valid after done is closed
}

// Start runs bin with args and registers a cleanup that kills it if it is
// still running when the test ends.
func Start(t testing.TB, bin string, args ...string) *Proc {
	t.Helper()
	return StartCmd(t, exec.Command(bin, args...))
}

// StartCmd is Start for a prepared command, for callers that set Env or Dir.
// Stdout and Stderr must be unset: they are sent to the log file.
func StartCmd(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	name := filepath.Base(cmd.Path)
	logPath := filepath.Join(t.TempDir(), name+".log")
	logTailOnFailure(t, name, logPath)
	p, err := spawn(cmd, logPath)
	if err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	t.Cleanup(p.Kill)
	return p
}

// spawn starts cmd with its output appended to logPath.
func spawn(cmd *exec.Cmd, logPath string) (*Proc, error) {
	if cmd.Stdout != nil || cmd.Stderr != nil {
		return nil, errors.New("cmd.Stdout and cmd.Stderr must be nil; output goes to the log file")
	}
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	if cmd.SysProcAttr == nil { // asUser sets its own, with the same group and death signal
		cmd.SysProcAttr = sysProcAttr()
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	p := &Proc{Name: filepath.Base(cmd.Path), logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// LogPath returns the file holding the process's stdout and stderr.
func (p *Proc) LogPath() string { return p.logPath }

// Output returns what the process has written so far.
func (p *Proc) Output() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// Running reports whether the process has not exited yet.
func (p *Proc) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Done is closed when the process has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait blocks until the process exits and returns its exit status as
// exec.Cmd.Wait does: nil for exit code 0.
func (p *Proc) Wait() error {
	<-p.done
	return p.err
}

// ExitCode returns the exit code, or -1 if the process is running or was
// killed by a signal.
func (p *Proc) ExitCode() int {
	if p.Running() {
		return -1
	}
	return p.cmd.ProcessState.ExitCode()
}

// Signal sends sig to the process; it is a no-op once the process exited.
func (p *Proc) Signal(sig os.Signal) error {
	if !p.Running() {
		return nil
	}
	err := p.cmd.Process.Signal(sig)
	if errors.Is(err, os.ErrProcessDone) {
		return nil
	}
	return err
}

// Kill sends SIGKILL to the process and its process group, as a crash or
// power cut would, and waits for it to exit.
func (p *Proc) Kill() {
	if p.Running() {
		killGroup(p.cmd.Process)
	}
	<-p.done
}

// KillGroup kills whatever is left of the process's group, even after the
// process itself has exited: a test's cleanup, so that nothing a program
// started (the demo's hub and outlets) outlives the test.
func (p *Proc) KillGroup() { killGroup(p.cmd.Process) }

// Stop sends SIGTERM and waits up to StopTimeout for the process to exit,
// then kills it. It returns the exit status, or an error saying the process
// had to be killed.
func (p *Proc) Stop() error { return p.StopWithin(StopTimeout) }

// StopWithin is Stop with its own grace period.
func (p *Proc) StopWithin(grace time.Duration) error {
	if err := p.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s: %w", p.Name, err)
	}
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.err
	case <-timer.C:
		p.Kill()
		return fmt.Errorf("%s did not exit within %v of SIGTERM and was killed", p.Name, grace)
	}
}

// Eventually polls cond until it returns true or timeout passes, then fails
// the test with the last description cond gave. Call it from the test's own
// goroutine.
func Eventually(t testing.TB, timeout time.Duration, cond func() (ok bool, desc string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for {
		ok, desc := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v: %s", timeout, desc)
		}
		time.Sleep(wait)
		wait = min(wait*2, 50*time.Millisecond)
	}
}

// WaitHTTP polls url until it answers 200 OK or timeout passes.
func WaitHTTP(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	Eventually(t, timeout, func() (bool, string) {
		resp, err := client.Get(url)
		if err != nil {
			return false, fmt.Sprintf("GET %s: %v", url, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Sprintf("GET %s: %s", url, resp.Status)
		}
		return true, ""
	})
}
