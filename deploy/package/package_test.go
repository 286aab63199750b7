//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// The tests build the packages once, in two versions for the upgrade, from
// binaries built as the system tests build theirs (and sharing their cache).
const (
	v1 = "1.0.0"
	v2 = "1.0.1"
)

var built struct {
	once sync.Once
	dir  string
	pkgs map[string]string // version/name.format → path
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// pkgPath is the built package of prog in format at version.
func pkgPath(t *testing.T, version, prog, format string) string {
	t.Helper()
	// The packages are built by this program's own binary, as "make
	// package" runs it: built without -race, which would make compressing
	// them many times slower under "make test".
	bins := harness.Build(t, "github.com/yizhan/yizhan/agent/cmd/yizhan-agent", "github.com/yizhan/yizhan/hub/cmd/yizhan-hub",
		"github.com/yizhan/yizhan/deploy/package")
	built.once.Do(func() { built.err = buildAll(bins) })
	if built.err != nil {
		t.Fatal(built.err)
	}
	p, ok := built.pkgs[version+"/"+prog+"."+format]
	if !ok {
		t.Fatalf("no %s %s package of version %s was built", prog, format, version)
	}
	return p
}

func buildAll(bins map[string]string) error {
	dir, err := os.MkdirTemp("", "yizhan-package-test-")
	if err != nil {
		return err
	}
	built.dir = dir
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		return err
	}
	for _, p := range programs {
		if err := os.Symlink(bins[p.Name], filepath.Join(bin, p.Name)); err != nil {
			return err
		}
	}
	built.pkgs = map[string]string{}
	for _, v := range []string{v1, v2} {
		cmd := exec.Command(bins["package"], "--repo", "../..", "--bin", bin, "--out", filepath.Join(dir, v), "--version", v)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("deploy/package --version %s: %v\n%s", v, err, stderr.String())
		}
		for _, p := range strings.Fields(string(out)) {
			for _, prog := range programs {
				if strings.HasPrefix(filepath.Base(p), prog.Name+"_") || strings.HasPrefix(filepath.Base(p), prog.Name+"-") {
					built.pkgs[v+"/"+prog.Name+filepath.Ext(p)] = p
				}
			}
		}
	}
	return nil
}

// tool is the path of a program the tests need, or a failure saying how to
// install it: a test that cannot look at the package proves nothing.
func tool(t *testing.T, name, debPkg string) string {
	t.Helper()
	for _, p := range []string{name, "/usr/sbin/" + name, "/sbin/" + name} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatalf("%s is missing: install it with: apt-get install -y %s (or run make deps as root)", name, debPkg)
	return ""
}

func output(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// entry is one file in a package, as its format's own tool lists it.
type entry struct {
	mode string // ls-style, e.g. -rw-r-----
	size string
}

// debFiles lists a .deb's regular files with dpkg-deb -c.
func debFiles(t *testing.T, deb string) map[string]entry {
	t.Helper()
	out := output(t, tool(t, "dpkg-deb", "dpkg"), "-c", deb)
	files := map[string]entry{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		// -rw-r----- root/root 6641 2026-01-01 00:00 ./etc/yizhan/agent.toml
		f := strings.Fields(line)
		if len(f) < 6 {
			t.Fatalf("dpkg-deb -c: unexpected line %q", line)
		}
		if strings.HasPrefix(f[0], "-") {
			files[strings.TrimPrefix(f[5], ".")] = entry{mode: f[0], size: f[2]}
		}
	}
	return files
}

// want is what every package must hold: path → mode.
func (p program) want() map[string]string {
	return map[string]string{
		binDir + "/" + p.Name:               "-rwxr-xr-x",
		unitDir + "/" + p.Name + ".service": "-rw-r--r--",
		p.ConfigFile:                        "-rw-r-----",
		p.EnvFile:                           "-rw-------",
	}
}

func TestDebHoldsTheUnitTheBinaryAndTheConffiles(t *testing.T) {
	dpkgDeb := tool(t, "dpkg-deb", "dpkg")
	for _, p := range programs {
		t.Run(p.Name, func(t *testing.T) {
			deb := pkgPath(t, v1, p.Name, "deb")
			files := debFiles(t, deb)
			var got []string
			for path, e := range files {
				got = append(got, path+" "+e.mode)
			}
			var want []string
			for path, mode := range p.want() {
				want = append(want, path+" "+mode)
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("dpkg-deb -c: files\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}

			fields := output(t, dpkgDeb, "-f", deb, "Package", "Version", "Architecture", "Depends")
			wantFields := fmt.Sprintf("Package: %s\nVersion: %s-1\nArchitecture: amd64\nDepends: passwd\n", p.Name, v1)
			if fields != wantFields {
				t.Errorf("dpkg-deb -f:\n%s\nwant\n%s", fields, wantFields)
			}

			// The conffiles member is what makes dpkg keep a changed file.
			conffiles := strings.Fields(output(t, dpkgDeb, "--info", deb, "conffiles"))
			sort.Strings(conffiles)
			wantConf := []string{p.EnvFile, p.ConfigFile}
			sort.Strings(wantConf)
			if strings.Join(conffiles, " ") != strings.Join(wantConf, " ") {
				t.Errorf("conffiles: %q, want %q", conffiles, wantConf)
			}
			for _, script := range []string{"postinst", "prerm", "postrm"} {
				if s := output(t, dpkgDeb, "--info", deb, script); !strings.HasPrefix(s, "#!/bin/sh\n") || strings.Contains(s, "{{") {
					t.Errorf("%s: not a rendered shell script:\n%s", script, s)
				}
			}

			// The package carries the repository's files, not copies that
			// could drift.
			root := t.TempDir()
			output(t, dpkgDeb, "-x", deb, root)
			for src, dst := range map[string]string{p.unitFile(): unitDir + "/" + p.Name + ".service", p.SampleFile: p.ConfigFile, p.envSample(): p.EnvFile} {
				a, err := os.ReadFile(filepath.Join("../..", src))
				if err != nil {
					t.Fatal(err)
				}
				b, err := os.ReadFile(filepath.Join(root, dst))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(a, b) {
					t.Errorf("%s in the package differs from %s", dst, src)
				}
			}
		})
	}
}

// TestRPMListsTheSameFiles reads the .rpm's header with rpm itself: the
// reference reader, so what it says is what an RPM system installs.
func TestRPMListsTheSameFiles(t *testing.T) {
	rpm := tool(t, "rpm", "rpm")
	for _, p := range programs {
		t.Run(p.Name, func(t *testing.T) {
			path := pkgPath(t, v1, p.Name, "rpm")
			out := output(t, rpm, "-qp", "--nosignature", "--qf", `[%{FILEMODES:perms} %{FILEFLAGS:fflags} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]`, path)
			var got []string
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				f := strings.Fields(line)
				if len(f) == 3 { // no flags
					f = []string{f[0], "", f[1], f[2]}
				}
				if len(f) != 4 {
					t.Fatalf("rpm -qp: unexpected line %q", line)
				}
				if strings.HasPrefix(f[0], "-") {
					got = append(got, fmt.Sprintf("%s %s %s %s", f[3], f[0], f[1], f[2]))
				}
			}
			var want []string
			for path, mode := range p.want() {
				flags := ""
				if path == p.ConfigFile || path == p.EnvFile {
					flags = "cn" // %config(noreplace)
				}
				want = append(want, fmt.Sprintf("%s %s %s root:root", path, mode, flags))
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("rpm -qp: files\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			// The deb and the rpm install the same files.
			var debList []string
			for path := range debFiles(t, pkgPath(t, v1, p.Name, "deb")) {
				debList = append(debList, path)
			}
			var rpmList []string
			for _, g := range got {
				rpmList = append(rpmList, strings.Fields(g)[0])
			}
			sort.Strings(debList)
			sort.Strings(rpmList)
			if strings.Join(debList, " ") != strings.Join(rpmList, " ") {
				t.Errorf("the deb holds %q, the rpm %q", debList, rpmList)
			}

			info := output(t, rpm, "-qp", "--nosignature", "--qf", `%{NAME} %{VERSION}-%{RELEASE} %{ARCH}\n`, path)
			if want := fmt.Sprintf("%s %s-1 x86_64\n", p.Name, v1); info != want {
				t.Errorf("rpm -qp: %q, want %q", info, want)
			}
			if req := output(t, rpm, "-qp", "--nosignature", "--requires", path); !strings.Contains(req, "shadow-utils") {
				t.Errorf("rpm --requires: %q lacks shadow-utils (useradd)", req)
			}
			scripts := output(t, rpm, "-qp", "--nosignature", "--scripts", path)
			for _, s := range []string{"postinstall scriptlet", "preuninstall scriptlet", "postuninstall scriptlet", "useradd --system"} {
				if !strings.Contains(scripts, s) {
					t.Errorf("rpm --scripts lacks %q:\n%s", s, scripts)
				}
			}
		})
	}
}

func TestVersionFromGit(t *testing.T) {
	v, err := gitVersion("../..")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkVersion(v); err != nil {
		t.Errorf("gitVersion gave %v", err)
	}
	for _, bad := range []string{"", "v1.0.0", "1.0-1", "1.0 beta", "1.0/2", "-1"} {
		if checkVersion(bad) == nil {
			t.Errorf("checkVersion(%q) took it", bad)
		}
	}
	for _, good := range []string{"1.0.0", "0.0.0+519.g796dff1", "2.1~rc1"} {
		if err := checkVersion(good); err != nil {
			t.Errorf("checkVersion(%q): %v", good, err)
		}
	}
}

func TestBadUsageChangesNothing(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"--version", "v1", "--bin", out, "--out", out},
		{"--arch", "386", "--version", "1.0.0", "--bin", out, "--out", out},
		{"--formats", "deb,apk", "--version", "1.0.0", "--bin", out, "--out", out},
		{"--version", "1.0.0", "extra"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("run %q: exit %d, want 2 (%s)", args, code, stderr.String())
		}
		if stderr.Len() == 0 {
			t.Errorf("run %q: no message", args)
		}
	}
	// Binaries missing: an error naming them, and no package.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--version", "1.0.0", "--bin", out, "--out", out, "--repo", "../.."}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "yizhan-agent: the binary is missing") {
		t.Errorf("run with no binaries: exit %d, %q", code, stderr.String())
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("a failed run left %d files in --out", len(ents))
	}
}
