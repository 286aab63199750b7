package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServicesRunUnderSystemd boots systemd itself in a container on the
// overlay root (systemd-nspawn --boot, with a network of its own that has
// only loopback), both .debs installed and their settings filled in, and
// checks the units as systemd runs them: both programs start at boot under
// every hardening setting, the agent syncs with the hub, a SIGKILLed agent
// is started again, a stop is clean, and a configuration error (exit 2)
// is not restarted and says why in the journal.
func TestServicesRunUnderSystemd(t *testing.T) {
	nspawn := tool(t, "systemd-nspawn", "systemd-container")
	tool(t, "nsenter", "util-linux")
	tool(t, "systemd-analyze", "systemd")
	r := newOverlayRoot(t)
	if !r.exists("/lib/systemd/systemd") {
		t.Fatal("this machine has no /lib/systemd/systemd to boot: install it with: apt-get install -y systemd")
	}
	for _, p := range programs {
		r.must(t, "dpkg", "-i", r.copyIn(t, pkgPath(t, v1, p.Name, "deb")))
	}
	// In the container's own network namespace these ports are free.
	writeIn(t, r, "/etc/yizhan/hub.toml", `[data]
dir = "/var/lib/yizhan-hub"
[http]
addr = "127.0.0.1:18070"
[mqtt]
listen = "127.0.0.1:18883"
`)
	out, err := exec.Command("chroot", r.dir, "runuser", "-u", "yizhan-hub", "--",
		"yizhan-hub", "outlet", "add", "--data", "/var/lib/yizhan-hub", "--id", "SH-001").Output()
	if err != nil {
		t.Fatalf("yizhan-hub outlet add: %v", err)
	}
	secret := strings.TrimSpace(string(out))
	writeIn(t, r, "/etc/yizhan/agent.toml", `[outlet]
id = "SH-001"
[data]
dir = "/var/lib/yizhan-agent"
[http]
addr = "127.0.0.1:18080"
[sync]
broker = "tcp://127.0.0.1:18883"
`)
	writeIn(t, r, "/etc/default/yizhan-agent", "YZ_SECRET="+secret+"\n")

	c := bootContainer(t, nspawn, r)
	if state := c.wait(t, "systemctl is-system-running --wait || true", func(s string) bool { return s == "running" || s == "degraded" }); state == "degraded" {
		t.Logf("the container booted degraded:\n%s", c.sh(t, "systemctl --failed --no-legend || true"))
	}
	for _, p := range programs {
		if got := c.sh(t, "systemctl is-active "+p.Name+" || true"); got != "active" {
			t.Fatalf("%s after boot: %s\n%s", p.Name, got, c.sh(t, "journalctl -u "+p.Name+" --no-pager -n 20 || true"))
		}
		// Every protection in the unit is in force: the score of the
		// running unit (0 is the most protected, 10 none).
		t.Logf("%s", c.sh(t, "systemd-analyze security "+p.Name+" --no-pager | tail -1"))
	}
	c.wait(t, "curl -s http://127.0.0.1:18080/healthz || true", func(s string) bool { return strings.Contains(s, `"connected":true`) })

	pid := c.sh(t, "systemctl show -p MainPID --value yizhan-agent")
	c.sh(t, "kill -KILL "+pid)
	c.wait(t, "systemctl show -p NRestarts,ActiveState,MainPID yizhan-agent", func(s string) bool {
		return strings.Contains(s, "NRestarts=1") && strings.Contains(s, "ActiveState=active") && !strings.Contains(s, "MainPID="+pid+"\n")
	})

	c.sh(t, "systemctl stop yizhan-hub")
	if got := sorted(c.sh(t, "systemctl show -p Result,ExecMainStatus yizhan-hub")); got != "ExecMainStatus=0\nResult=success" {
		t.Errorf("the hub after systemctl stop: %q, want a clean exit", got)
	}

	c.sh(t, "systemctl stop yizhan-agent && echo YZ_SECRET= >/etc/default/yizhan-agent && systemctl start yizhan-agent || true")
	got := c.wait(t, "systemctl show -p ActiveState,Result,ExecMainStatus,NRestarts yizhan-agent", func(s string) bool {
		return strings.Contains(s, "ActiveState=failed") || strings.Contains(s, "NRestarts=1")
	})
	if want := "ActiveState=failed\nExecMainStatus=2\nNRestarts=0\nResult=exit-code"; sorted(got) != want {
		t.Errorf("the agent with no secret: %q, want %q (exit 2 is not restarted)", got, want)
	}
	if j := c.sh(t, "journalctl -u yizhan-agent --no-pager -n 20"); !strings.Contains(j, "outlet.secret") {
		t.Errorf("the journal does not say what is missing:\n%s", j)
	}
}

// sorted is systemctl show's lines in order, whatever order it printed.
func sorted(s string) string {
	lines := strings.Split(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func writeIn(t *testing.T, r *overlayRoot, path, content string) {
	t.Helper()
	fi, err := os.Stat(r.path(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(r.path(path), []byte(content), fi.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

// container is a booted systemd-nspawn container.
type container struct {
	init int // its PID 1, as this machine numbers it
	log  *bytes.Buffer
}

func bootContainer(t *testing.T, nspawn string, r *overlayRoot) *container {
	t.Helper()
	name := "yizhan-test-" + strconv.Itoa(os.Getpid())
	// No machined or D-Bus here: --register=no --keep-unit.
	cmd := exec.Command(nspawn, "-D", r.dir, "--boot", "--private-network", "--register=no", "--keep-unit",
		"--machine", name, "--console=pipe")
	c := &container{log: &bytes.Buffer{}}
	cmd.Stdout, cmd.Stderr = c.log, c.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", nspawn, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// SIGTERM asks the container to power off; SIGKILL if it does not.
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(2 * time.Minute):
			cmd.Process.Kill()
			<-exited
		}
		os.RemoveAll(filepath.Join("/run/systemd/nspawn/propagate", name))
		if t.Failed() {
			t.Logf("systemd-nspawn:\n%s", c.log)
		}
	})
	for c.init == 0 {
		select {
		case <-exited:
			t.Fatalf("systemd-nspawn exited before the container booted:\n%s", c.log)
		case <-time.After(200 * time.Millisecond):
		}
		c.init = childSystemd(cmd.Process.Pid)
	}
	return c
}

// childSystemd is the pid of systemd started by the process ppid, or 0.
func childSystemd(ppid int) int {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || !strings.Contains(s[:i], "(systemd") {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(ppid) {
			return pid
		}
	}
	return 0
}

// sh runs a shell command inside the container and returns its trimmed
// output; a failure fails the test.
func (c *container) sh(t *testing.T, script string) string {
	t.Helper()
	out, err := c.try(script)
	if err != nil {
		t.Fatalf("in the container, %s: %v\n%s", script, err, out)
	}
	return out
}

func (c *container) try(script string) (string, error) {
	cmd := exec.Command("nsenter", "-t", strconv.Itoa(c.init), "-a", "/bin/sh", "-c", script)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "SYSTEMD_PAGER="}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// wait runs script until its output satisfies ok, and returns that
// output; until the test's deadline, since a loaded machine boots slowly.
func (c *container) wait(t *testing.T, script string, ok func(string) bool) string {
	t.Helper()
	var last string
	for {
		out, err := c.try(script)
		if err == nil && ok(out) {
			return out
		}
		last = out
		if d, has := t.Deadline(); has && time.Until(d) < 30*time.Second {
			t.Fatalf("in the container, %s never gave what the test waits for; last:\n%s", script, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
