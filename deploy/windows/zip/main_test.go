package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestZip builds the package from the repository's own sample and README
// and an exe stand-in, opens the zip and checks its members and their
// contents.
func TestZip(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "yizhan-agent.exe")
	exeBytes := append([]byte("MZ"), bytes.Repeat([]byte{0x90}, 4096)...)
	os.WriteFile(exe, exeBytes, 0o755)
	p := Package{Exe: exe, Version: "1.4.0", Sample: "../agent.sample.toml", Readme: "../README.txt"}
	path, err := write(p, filepath.Join(dir, "dist"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "yizhan-agent-1.4.0-windows-amd64.zip" {
		t.Errorf("zip named %s", path)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	got := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc) // also checks each member's CRC
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		names = append(names, f.Name)
		got[strings.TrimPrefix(f.Name, "yizhan-agent-1.4.0-windows-amd64/")] = b
	}
	want := []string{"yizhan-agent-1.4.0-windows-amd64/yizhan-agent.exe", "yizhan-agent-1.4.0-windows-amd64/agent.sample.toml", "yizhan-agent-1.4.0-windows-amd64/README.txt"}
	if !slices.Equal(names, want) {
		t.Fatalf("members %q, want %q", names, want)
	}
	if !bytes.Equal(got["yizhan-agent.exe"], exeBytes) {
		t.Error("the exe in the zip differs from the one given")
	}
	sample, readme := string(got["agent.sample.toml"]), string(got["README.txt"])
	for _, s := range []string{`path = "COM3"`, `C:\ProgramData\Yizhan\`, "\r\n"} {
		if !strings.Contains(sample, s) {
			t.Errorf("agent.sample.toml lacks %q", s)
		}
	}
	if strings.Contains(strings.ReplaceAll(sample, "\r\n", ""), "\n") {
		t.Error("agent.sample.toml has a bare LF")
	}
	if !strings.HasPrefix(readme, "\ufeff") {
		t.Error("README.txt has no byte-order mark")
	}
	for _, s := range []string{"yizhan-agent service install", "yizhan-agent service start", `C:\ProgramData\Yizhan\agent.toml`, "安装", "Install"} {
		if !strings.Contains(readme, s) {
			t.Errorf("README.txt lacks %q", s)
		}
	}
	// Nothing else is left in the output folder.
	if ents, _ := os.ReadDir(filepath.Dir(path)); len(ents) != 1 {
		t.Errorf("dist holds %d entries", len(ents))
	}
}

func TestZipRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	notExe := filepath.Join(dir, "agent")
	os.WriteFile(notExe, []byte("\x7fELF"), 0o755)
	exe := filepath.Join(dir, "yizhan-agent.exe")
	os.WriteFile(exe, []byte("MZ"), 0o755)
	out := filepath.Join(dir, "dist")
	for _, p := range []Package{
		{Exe: notExe, Version: "1.4.0", Sample: "../agent.sample.toml", Readme: "../README.txt"},
		{Exe: exe, Version: "", Sample: "../agent.sample.toml", Readme: "../README.txt"},
		{Exe: exe, Version: "../1", Sample: "../agent.sample.toml", Readme: "../README.txt"},
		{Exe: exe, Version: "1.4.0", Sample: "missing.toml", Readme: "../README.txt"},
	} {
		if _, err := write(p, out); err == nil {
			t.Errorf("%+v: no error", p)
		}
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("a refused package left %d files", len(ents))
	}
}
