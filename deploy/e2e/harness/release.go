package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// BuildAt compiles main packages as they were at commit, from a copy of the
// tree at that commit (git archive), and returns their binaries by name.
// The module cache is shared, so this is mostly compile time; the binaries
// are kept under the temporary directory keyed by commit for later runs. A
// missing git or commit fails the test with what to do: a clean clone has
// the full history.
func BuildAt(t testing.TB, commit string, pkgs ...string) map[string]string {
	t.Helper()
	bins, err := buildAt(commit, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	return bins
}

func buildAt(commit string, pkgs []string) (map[string]string, error) {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	gitBin, err := exec.LookPath("git")
	if err != nil {
		return nil, fmt.Errorf("build at %s: git is not on the PATH (apt-get install -y git): %w", commit, err)
	}
	if out, err := exec.Command(gitBin, "-C", root, "cat-file", "-e", commit+"^{commit}").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build at %s: the commit is not in %s (a shallow clone? run git fetch --unshallow): %v %s", commit, root, err, out)
	}
	key := sha256.Sum256([]byte(commit + "\x00" + strings.Join(pkgs, " ")))
	dir := filepath.Join(os.TempDir(), "yizhan-e2e-bin", "at-"+hex.EncodeToString(key[:6]))
	out := map[string]string{}
	done := true
	for _, pkg := range pkgs {
		out[binName(pkg)] = filepath.Join(dir, binName(pkg))
		if _, err := os.Stat(out[binName(pkg)]); err != nil {
			done = false
		}
	}
	if done {
		return out, nil
	}
	src, err := os.MkdirTemp("", "yizhan-at-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(src)
	archive := exec.Command(gitBin, "-C", root, "archive", "--format=tar", commit)
	untar := exec.Command("tar", "-x", "-C", src)
	pipe, err := archive.StdoutPipe()
	if err != nil {
		return nil, err
	}
	untar.Stdin = pipe
	var aerr strings.Builder
	archive.Stderr = &aerr
	if err := untar.Start(); err != nil {
		return nil, fmt.Errorf("build at %s: tar: %w", commit, err)
	}
	if err := archive.Run(); err != nil {
		untar.Wait()
		return nil, fmt.Errorf("build at %s: git archive: %v %s", commit, err, aerr.String())
	}
	if err := untar.Wait(); err != nil {
		return nil, fmt.Errorf("build at %s: tar: %w", commit, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// Built under a temporary name and renamed: other test binaries may
	// build the same commit at the same time.
	tmp, err := os.MkdirTemp(dir, "build-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, append([]string{"build", "-o", tmp + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build at %s: go build %s: %v\n%s", commit, strings.Join(pkgs, " "), err, b)
	}
	for _, pkg := range pkgs {
		if err := os.Rename(filepath.Join(tmp, binName(pkg)), out[binName(pkg)]); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("build at %s: %w", commit, err)
		}
	}
	return out, nil
}
