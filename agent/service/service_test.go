package service

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/agent/config"
)

// TestSpec: the service runs exactly "run --config FILE", the command an
// operator runs on a console, so both take the same path.
func TestSpec(t *testing.T) {
	s := NewSpec(`C:\Program Files\Yizhan\yizhan-agent.exe`, `C:\ProgramData\Yizhan\agent.toml`)
	if s.Name != "YizhanAgent" || s.DisplayName != "驿站网点代理 / Yizhan outlet agent" || s.Exe != `C:\Program Files\Yizhan\yizhan-agent.exe` {
		t.Errorf("spec %+v", s)
	}
	if want := []string{"run", "--config", `C:\ProgramData\Yizhan\agent.toml`}; !slices.Equal(s.Args, want) {
		t.Errorf("args %q, want %q", s.Args, want)
	}
	// What the service manager hands back is what RunArgs takes.
	args, err := RunArgs(s.Args)
	if err != nil || !slices.Equal(args, []string{"--config", `C:\ProgramData\Yizhan\agent.toml`}) {
		t.Errorf("RunArgs(%q) = %q, %v", s.Args, args, err)
	}
}

func TestRunArgs(t *testing.T) {
	for _, bad := range [][]string{nil, {}, {"--config", "x"}, {"doctor"}} {
		if _, err := RunArgs(bad); err == nil || !strings.Contains(err.Error(), "reinstall") {
			t.Errorf("RunArgs(%q): %v, want a refusal saying to reinstall", bad, err)
		}
	}
	got, err := RunArgs([]string{"run", "--config", "a.toml", "--log-format", "text"})
	if err != nil || !slices.Equal(got, []string{"--config", "a.toml", "--log-format", "text"}) {
		t.Errorf("%q, %v", got, err)
	}
}

func TestRecovery(t *testing.T) {
	if len(Restarts) == 0 || ResetAfter <= 0 {
		t.Fatalf("restarts %v, reset after %v: a failed agent would stay down", Restarts, ResetAfter)
	}
	for _, d := range Restarts {
		if d <= 0 {
			t.Errorf("restart delay %v", d)
		}
	}
}

func TestStateWords(t *testing.T) {
	for state, want := range map[uint32]string{1: "stopped", 2: "starting", 3: "stopping", 4: "running", 7: "state 7"} {
		if got := StateWords(state); !strings.Contains(got, want) {
			t.Errorf("StateWords(%d) = %q, want %q", state, got, want)
		}
	}
}

// TestPrepare: install checks the settings file the way "run" would before
// it registers anything, refuses a missing or broken one with nothing made,
// and makes the data and log folders of a good one.
func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	paths := config.WindowsPaths(dir) // joined with backslashes: set those used here for this system
	paths.Root, paths.LogFile = filepath.Join(dir, "Yizhan"), filepath.Join(dir, "logs", "agent.log")
	data := filepath.Join(dir, "data")
	var stderr bytes.Buffer

	missing := filepath.Join(dir, "agent.toml")
	if _, err := prepare(missing, paths, &stderr); err == nil || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "agent.sample.toml") {
		t.Errorf("missing file: %v", err)
	}
	broken := filepath.Join(dir, "broken.toml")
	os.WriteFile(broken, []byte("[outlet]\nid = \"SH-001\"\nsecret = \"s\"\n[data]\ndir = '"+data+"'\n[log]\nkeep = 0\n"), 0o600)
	if _, err := prepare(broken, paths, &stderr); err == nil || !strings.Contains(err.Error(), "log.keep") {
		t.Errorf("broken file: %v", err)
	}
	for _, d := range []string{paths.Root, data, filepath.Dir(paths.LogFile)} {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s made for a refused install", d)
		}
	}

	good := filepath.Join(dir, "good.toml")
	os.WriteFile(good, []byte("[outlet]\nid = \"SH-001\"\nsecret = \"s\"\n[data]\ndir = '"+data+"'\n"), 0o600)
	spec, err := prepare(good, paths, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	exe, _ := os.Executable()
	if spec.Exe != exe || !slices.Equal(spec.Args, []string{"run", "--config", good}) {
		t.Errorf("spec %+v", spec)
	}
	for _, d := range []string{paths.Root, data, filepath.Dir(paths.LogFile)} {
		if fi, err := os.Stat(d); err != nil || !fi.IsDir() {
			t.Errorf("%s not made: %v", d, err)
		}
	}
}

// TestFolderSDDL: the installation folder's access list names only the
// service and administrators, and does not inherit ProgramData's (which
// lets every local user read the outlet's secret).
func TestFolderSDDL(t *testing.T) {
	if !strings.HasPrefix(folderSDDL, "D:P(") || strings.Count(folderSDDL, "(A;") != 2 ||
		!strings.Contains(folderSDDL, ";;;SY)") || !strings.Contains(folderSDDL, ";;;BA)") {
		t.Fatalf("folder access list %q", folderSDDL)
	}
}
