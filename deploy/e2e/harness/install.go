package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// installHint tells a developer how to get what the system tests need.
const installHint = "install it with `sudo apt-get install -y mosquitto` (Debian/Ubuntu), " +
	"or run deploy/ci/install-deps.sh as root"

var mosquittoFound struct {
	sync.Mutex
	broker, passwd string
	err            error
}

// mosquittoBinaries finds mosquitto and mosquitto_passwd, installing the
// Debian package when running as root. It fails the test, never skips it:
// a system test that quietly does not run proves nothing.
func mosquittoBinaries(t testing.TB) (broker, passwd string) {
	t.Helper()
	f := &mosquittoFound
	f.Lock()
	defer f.Unlock()
	if f.broker == "" && f.err == nil {
		f.broker, f.passwd, f.err = findOrInstallMosquitto()
	}
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.broker, f.passwd
}

func findOrInstallMosquitto() (broker, passwd string, err error) {
	broker, passwd = lookMosquitto()
	if broker != "" && passwd != "" {
		return broker, passwd, nil
	}
	if os.Geteuid() != 0 {
		return "", "", fmt.Errorf("mosquitto or mosquitto_passwd not found in PATH, /usr/sbin or /usr/bin; " +
			"the system tests need the real broker: " + installHint)
	}
	if err := aptInstall("mosquitto"); err != nil {
		return "", "", fmt.Errorf("mosquitto is not installed and installing it failed: %v\n%s", err, installHint)
	}
	broker, passwd = lookMosquitto()
	if broker == "" || passwd == "" {
		return "", "", errors.New("apt-get installed mosquitto but mosquitto or mosquitto_passwd is still missing; " + installHint)
	}
	return broker, passwd, nil
}

func lookMosquitto() (broker, passwd string) {
	return lookBin("mosquitto", "/usr/sbin", "/usr/local/sbin"),
		lookBin("mosquitto_passwd", "/usr/bin", "/usr/local/bin")
}

func lookBin(name string, dirs ...string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// aptInstall installs Debian packages without prompts, refreshing the
// package lists only if the first attempt fails.
func aptInstall(pkgs ...string) error {
	apt, err := exec.LookPath("apt-get")
	if err != nil {
		return errors.New("apt-get not found")
	}
	run := func(args ...string) error {
		cmd := exec.Command(apt, args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	install := append([]string{"install", "-y", "-q", "--no-install-recommends"}, pkgs...)
	if run(install...) == nil {
		return nil
	}
	if err := run("update", "-q"); err != nil {
		return err
	}
	return run(install...)
}
