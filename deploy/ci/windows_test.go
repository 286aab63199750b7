package ci

import (
	"debug/pe"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goCmd runs the go command at the repository root for Windows on amd64,
// where most outlet PCs are, and fails the test with its output.
func goCmd(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("GOOS=windows go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestWindowsBuild: both programs cross-compile for Windows into real
// amd64 executables, and every package's tests compile there, so a change
// that breaks Windows fails here, not on an outlet PC. (make lint vets the
// tree for Windows too.) None of it runs here: no test needs Windows to
// compile, and none is run on Windows.
func TestWindowsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiling every package for Windows takes minutes; make test runs it")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is not on PATH: %v", err)
	}
	dir := t.TempDir()
	goCmd(t, "build", "-o", dir+string(filepath.Separator), "./agent/cmd/yizhan-agent", "./hub/cmd/yizhan-hub")
	for _, name := range []string{"yizhan-agent.exe", "yizhan-hub.exe"} {
		f, err := pe.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
			t.Errorf("%s: machine %#x, want amd64", name, f.Machine)
		}
		f.Close()
	}
	goCmd(t, "test", "-c", "-o", os.DevNull, "./...")
}
