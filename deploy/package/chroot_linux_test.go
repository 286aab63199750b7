package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// A root to install into: this machine's own / as the read-only lower layer
// of an overlay whose writes land on a tmpfs, so dpkg, rpm, useradd and
// systemctl run for real in a chroot and the machine itself is untouched.
// (debootstrap would need the network.) The upper layer is a tmpfs of its
// own because overlayfs refuses an upper directory inside its lower one.
type overlayRoot struct {
	dir string // the merged tree to chroot into
}

func newOverlayRoot(t *testing.T) *overlayRoot {
	t.Helper()
	if os.Geteuid() != 0 {
		harness.SkipOutsideCI(t, "installing a package into a chroot needs root (mount, chroot)")
	}
	tool(t, "chroot", "coreutils")
	base := t.TempDir()
	layers, merged := filepath.Join(base, "layers"), filepath.Join(base, "root")
	for _, d := range []string{layers, merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mount("tmpfs", layers, "tmpfs", 0, "size=1g,mode=0755"); err != nil {
		harness.SkipOutsideCI(t, "mount a tmpfs on %s: %v (a container without CAP_SYS_ADMIN?)", layers, err)
	}
	t.Cleanup(func() { unmount(t, layers) })
	upper, work := filepath.Join(layers, "upper"), filepath.Join(layers, "work")
	for _, d := range []string{upper, work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mount("overlay", merged, "overlay", 0, "lowerdir=/,upperdir="+upper+",workdir="+work); err != nil {
		harness.SkipOutsideCI(t, "mount an overlay of / on %s: %v (is the overlay module loaded? modprobe overlay)", merged, err)
	}
	// Registered after the tmpfs, so it runs first.
	t.Cleanup(func() { unmount(t, merged) })
	return &overlayRoot{dir: merged}
}

func unmount(t *testing.T, dir string) {
	if err := syscall.Unmount(dir, 0); err != nil {
		// Something still holds it open: detach it now, it goes when freed.
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	}
}

// path is p inside the root, as seen from outside.
func (r *overlayRoot) path(p string) string { return filepath.Join(r.dir, p) }

// run runs a command inside the root and returns its combined output.
func (r *overlayRoot) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("chroot", append([]string{r.dir}, args...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND=noninteractive", "LANG=C"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (r *overlayRoot) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := r.run(t, args...)
	if err != nil {
		t.Fatalf("in the chroot, %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// copyIn puts a host file into the root's /tmp and returns its path there.
func (r *overlayRoot) copyIn(t *testing.T, src string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := "/tmp/" + filepath.Base(src)
	if err := os.WriteFile(r.path(dst), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// account is a user as the root's own passwd and group files say.
type account struct {
	uid, gid    int
	home, shell string
	groups      []string
}

func (r *overlayRoot) account(t *testing.T, name string) (account, bool) {
	t.Helper()
	out, err := r.run(t, "getent", "passwd", name)
	if err != nil {
		return account{}, false
	}
	f := strings.Split(strings.TrimSpace(out), ":")
	if len(f) != 7 {
		t.Fatalf("getent passwd %s: %q", name, out)
	}
	var a account
	a.uid, _ = strconv.Atoi(f[2])
	a.gid, _ = strconv.Atoi(f[3])
	a.home, a.shell = f[5], f[6]
	a.groups = strings.Fields(r.must(t, "id", "-nG", name))
	return a, true
}

func (r *overlayRoot) stat(t *testing.T, p string) (os.FileMode, *syscall.Stat_t) {
	t.Helper()
	fi, err := os.Lstat(r.path(p))
	if err != nil {
		t.Fatalf("in the chroot: %v", err)
	}
	return fi.Mode(), fi.Sys().(*syscall.Stat_t)
}

func (r *overlayRoot) exists(p string) bool {
	_, err := os.Lstat(r.path(p))
	return err == nil
}

// checkInstalled is what postinst promises on a first install: the system
// user with no login shell and its groups, the data directory it owns, the
// settings file readable through its group, the unit enabled and valid.
func checkInstalled(t *testing.T, r *overlayRoot, p program) account {
	t.Helper()
	a, ok := r.account(t, p.User)
	if !ok {
		t.Fatalf("postinst made no user %s", p.User)
	}
	if a.uid == 0 || a.uid >= 1000 {
		t.Errorf("%s has uid %d, not a system uid", p.User, a.uid)
	}
	if !strings.HasSuffix(a.shell, "/nologin") {
		t.Errorf("%s has the login shell %s", p.User, a.shell)
	}
	if a.home != p.DataDir {
		t.Errorf("%s's home is %s, want %s", p.User, a.home, p.DataDir)
	}
	for _, g := range p.Groups {
		if _, err := r.run(t, "getent", "group", g.Name); err != nil {
			continue // the system has no such group
		}
		if !contains(a.groups, g.Name) {
			t.Errorf("%s is in %v, not in %s", p.User, a.groups, g.Name)
		}
	}
	if p.Name == "yizhan-agent" && !contains(a.groups, "dialout") {
		t.Errorf("the agent's user is in %v, not in dialout (serial ports)", a.groups)
	}
	mode, st := r.stat(t, p.DataDir)
	if !mode.IsDir() || mode.Perm() != 0o700 || int(st.Uid) != a.uid || int(st.Gid) != a.gid {
		t.Errorf("%s: mode %v owner %d:%d, want a directory 0700 owned by %s (%d:%d)", p.DataDir, mode, st.Uid, st.Gid, p.User, a.uid, a.gid)
	}
	mode, st = r.stat(t, p.ConfigFile)
	if mode.Perm() != 0o640 || st.Uid != 0 || int(st.Gid) != a.gid {
		t.Errorf("%s: mode %v owner %d:%d, want 0640 root:%s", p.ConfigFile, mode.Perm(), st.Uid, st.Gid, p.User)
	}
	if mode, st = r.stat(t, p.EnvFile); mode.Perm() != 0o600 || st.Uid != 0 {
		t.Errorf("%s: mode %v owner %d, want 0600 root (systemd reads it as root)", p.EnvFile, mode.Perm(), st.Uid)
	}
	if !r.exists(wantsLink(p)) {
		t.Errorf("postinst did not enable %s.service (%s is missing)", p.Name, wantsLink(p))
	}
	// systemd-analyze verify checks the unit against this systemd, the
	// binary at ExecStart included. It warns and still exits 0 on an
	// unknown key or a bad value, so any output is a failure.
	if out, err := r.run(t, "systemd-analyze", "verify", p.Name+".service"); err != nil || out != "" {
		t.Errorf("systemd-analyze verify %s.service: %v\n%s", p.Name, err, out)
	}
	return a
}

func wantsLink(p program) string {
	return "/etc/systemd/system/multi-user.target.wants/" + p.Name + ".service"
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// operatorLine is what the operator adds to the settings file; an upgrade
// must keep it.
const operatorLine = "\n# changed by the operator\n"

func changeConfig(t *testing.T, r *overlayRoot, p program) {
	t.Helper()
	f, err := os.OpenFile(r.path(p.ConfigFile), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(operatorLine); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func configKept(t *testing.T, r *overlayRoot, p program, when string) {
	t.Helper()
	b, err := os.ReadFile(r.path(p.ConfigFile))
	if err != nil {
		t.Fatalf("%s: %v", when, err)
	}
	if !strings.HasSuffix(string(b), operatorLine) {
		t.Errorf("%s: the operator's change to %s is gone", when, p.ConfigFile)
	}
}

// someData stands for what the program wrote: no removal may delete it.
func someData(t *testing.T, r *overlayRoot, p program) string {
	t.Helper()
	f := p.DataDir + "/kept"
	if err := os.WriteFile(r.path(f), []byte("events"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDebInstallsUpgradesAndRemovesInAChroot(t *testing.T) {
	tool(t, "dpkg", "dpkg")
	tool(t, "systemd-analyze", "systemd")
	tool(t, "useradd", "passwd")
	for _, p := range programs {
		t.Run(p.Name, func(t *testing.T) {
			old, next := pkgPath(t, v1, p.Name, "deb"), pkgPath(t, v2, p.Name, "deb")
			r := newOverlayRoot(t)
			if _, ok := r.account(t, p.User); ok {
				t.Fatalf("this machine already has a user %s: the test could not tell postinst made it", p.User)
			}
			old, next = r.copyIn(t, old), r.copyIn(t, next)
			status := func() string {
				// dpkg-query fails once dpkg has forgotten the package.
				out, err := exec.Command("chroot", r.dir, "dpkg-query", "-W", "-f", "${Status} ${Version}", p.Name).Output()
				if err != nil {
					return ""
				}
				return string(out)
			}

			r.must(t, "dpkg", "-i", old)
			if got := status(); got != "install ok installed "+v1+"-1" {
				t.Fatalf("after dpkg -i: %q", got)
			}
			a := checkInstalled(t, r, p)
			data := someData(t, r, p)
			changeConfig(t, r, p)

			// The same version again: every step of postinst is safe to
			// repeat, and the user keeps its uid.
			r.must(t, "dpkg", "-i", old)
			if again := checkInstalled(t, r, p); again.uid != a.uid {
				t.Errorf("a reinstall changed %s's uid from %d to %d", p.User, a.uid, again.uid)
			}
			configKept(t, r, p, "after a reinstall")

			r.must(t, "dpkg", "-i", next)
			if got := status(); got != "install ok installed "+v2+"-1" {
				t.Fatalf("after the upgrade: %q", got)
			}
			configKept(t, r, p, "after the upgrade")
			if again := checkInstalled(t, r, p); again.uid != a.uid {
				t.Errorf("the upgrade changed %s's uid from %d to %d", p.User, a.uid, again.uid)
			}

			// No service manager runs in the chroot: prerm must stop
			// nothing and fail on nothing.
			r.must(t, "dpkg", "-r", p.Name)
			if got := status(); !strings.HasPrefix(got, "deinstall ok config-files") {
				t.Errorf("after dpkg -r: %q", got)
			}
			for _, f := range []string{binDir + "/" + p.Name, unitDir + "/" + p.Name + ".service"} {
				if r.exists(f) {
					t.Errorf("dpkg -r left %s", f)
				}
			}
			configKept(t, r, p, "after dpkg -r")
			if !r.exists(data) {
				t.Errorf("dpkg -r deleted %s", data)
			}
			// Installed again, it is as it was: settings, data, user and
			// the unit enabled.
			r.must(t, "dpkg", "-i", next)
			if again := checkInstalled(t, r, p); again.uid != a.uid {
				t.Errorf("a reinstall after dpkg -r changed %s's uid from %d to %d", p.User, a.uid, again.uid)
			}
			configKept(t, r, p, "after a reinstall after dpkg -r")
			r.must(t, "dpkg", "-r", p.Name)

			r.must(t, "dpkg", "--purge", p.Name)
			if got := status(); got != "" && !strings.HasPrefix(got, "unknown ok not-installed") {
				t.Errorf("after dpkg --purge: %q", got)
			}
			for _, f := range []string{p.ConfigFile, p.EnvFile, wantsLink(p)} {
				if r.exists(f) {
					t.Errorf("dpkg --purge left %s", f)
				}
			}
			// The data and the user who owns it stay (postrm.sh says why).
			if !r.exists(data) {
				t.Errorf("dpkg --purge deleted %s", data)
			}
			if _, ok := r.account(t, p.User); !ok {
				t.Errorf("dpkg --purge removed %s, who owns the kept %s", p.User, p.DataDir)
			}
		})
	}
}

// TestRPMInstallsUpgradesAndErasesInAChroot runs the .rpm's scriptlets with
// rpm's own arguments (1 on install, 2 on upgrade, 0 on erase), in a chroot
// with an rpm database of its own.
func TestRPMInstallsUpgradesAndErasesInAChroot(t *testing.T) {
	rpm := tool(t, "rpm", "rpm")
	tool(t, "systemd-analyze", "systemd")
	for _, p := range programs {
		t.Run(p.Name, func(t *testing.T) {
			old, next := pkgPath(t, v1, p.Name, "rpm"), pkgPath(t, v2, p.Name, "rpm")
			r := newOverlayRoot(t)
			rpmIn := func(args ...string) {
				t.Helper()
				// Debian's passwd is not in the chroot's rpm database, so
				// rpm cannot see shadow-utils: --nodeps.
				cmd := exec.Command(rpm, append([]string{"--root", r.dir, "--nodeps"}, args...)...)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("rpm %s: %v\n%s", strings.Join(args, " "), err, out)
				}
			}
			if out, err := exec.Command(rpm, "--root", r.dir, "--initdb").CombinedOutput(); err != nil {
				t.Fatalf("rpm --initdb: %v\n%s", err, out)
			}
			rpmIn("-i", old)
			a := checkInstalled(t, r, p)
			data := someData(t, r, p)
			changeConfig(t, r, p)

			rpmIn("-U", next)
			configKept(t, r, p, "after rpm -U")
			if r.exists(p.ConfigFile + ".rpmnew") {
				t.Errorf("rpm -U wrote %s.rpmnew for an unchanged packaged file", p.ConfigFile)
			}
			// The old package's %preun ran with 1: the unit stays enabled.
			if again := checkInstalled(t, r, p); again.uid != a.uid {
				t.Errorf("the upgrade changed %s's uid from %d to %d", p.User, a.uid, again.uid)
			}

			rpmIn("-e", p.Name)
			for _, f := range []string{binDir + "/" + p.Name, wantsLink(p)} {
				if r.exists(f) {
					t.Errorf("rpm -e left %s", f)
				}
			}
			// rpm keeps a changed %config file as .rpmsave.
			if !r.exists(p.ConfigFile + ".rpmsave") {
				t.Errorf("rpm -e kept no %s.rpmsave of the changed settings", p.ConfigFile)
			}
			if !r.exists(data) {
				t.Errorf("rpm -e deleted %s", data)
			}
		})
	}
}
