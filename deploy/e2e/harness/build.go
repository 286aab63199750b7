package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// builds caches binaries for the life of the test binary, so every test
// that needs the agent shares one build but a new `go test` run picks up
// source changes.
var builds struct {
	mu   sync.Mutex
	bins map[string]string // package → binary path
	errs map[string]error  // package → build failure, not retried
}

// Build compiles the given main packages, once per test binary run, and
// returns their binaries by name (the last element of the import path).
// With YZ_E2E_RACE=1 they are built with -race.
func Build(t testing.TB, pkgs ...string) map[string]string {
	t.Helper()
	out, err := build(pkgs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func build(pkgs []string) (map[string]string, error) {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	if builds.bins == nil {
		builds.bins, builds.errs = map[string]string{}, map[string]error{}
	}
	var todo []string
	for _, pkg := range pkgs {
		if err := builds.errs[pkg]; err != nil {
			return nil, err
		}
		if _, ok := builds.bins[pkg]; !ok && !contains(todo, pkg) {
			todo = append(todo, pkg)
		}
	}
	if len(todo) > 0 {
		bins, err := goBuild(todo)
		for _, pkg := range todo {
			if err != nil {
				builds.errs[pkg] = err
			} else {
				builds.bins[pkg] = bins[pkg]
			}
		}
		if err != nil {
			return nil, err
		}
	}
	out := make(map[string]string, len(pkgs))
	for _, pkg := range pkgs {
		name := binName(pkg)
		if prev, ok := out[name]; ok && prev != builds.bins[pkg] {
			return nil, fmt.Errorf("build: two packages are both named %q; build them in separate calls", name)
		}
		out[name] = builds.bins[pkg]
	}
	return out, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func binName(pkg string) string {
	name := path.Base(pkg)
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return name
}

// goBuild builds pkgs in one go command, so they compile in parallel. The
// binaries live in a directory keyed by module root and flags, reused across
// runs so the temporary directory does not fill up; each is written under a
// temporary name and renamed, because other test binaries may build the
// same package at the same time.
func goBuild(pkgs []string) (map[string]string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	args := []string{"build"}
	if os.Getenv("YZ_E2E_RACE") == "1" {
		args = append(args, "-race")
	}
	key := sha256.Sum256([]byte(root + "\x00" + strings.Join(args, " ")))
	dir := filepath.Join(os.TempDir(), "yizhan-e2e-bin", hex.EncodeToString(key[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer os.RemoveAll(tmp)

	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, append(append(args, "-o", tmp+string(filepath.Separator)), pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go %s %s: %v\n%s", strings.Join(args, " "), strings.Join(pkgs, " "), err, out)
	}
	bins := make(map[string]string, len(pkgs))
	for _, pkg := range pkgs {
		name := binName(pkg)
		// A directory per package keeps same-named commands apart.
		h := sha256.Sum256([]byte(pkg))
		pkgDir := filepath.Join(dir, hex.EncodeToString(h[:6]))
		if err := os.MkdirAll(pkgDir, 0o755); err != nil {
			return nil, fmt.Errorf("build %s: %w", pkg, err)
		}
		dst := filepath.Join(pkgDir, name)
		if err := os.Rename(filepath.Join(tmp, name), dst); err != nil {
			return nil, fmt.Errorf("build %s: %w (is it a main package?)", pkg, err)
		}
		bins[pkg] = dst
	}
	return bins, nil
}

// ModuleRoot returns the directory holding go.mod, walking up from the
// working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod found above the working directory")
		}
		dir = parent
	}
}
