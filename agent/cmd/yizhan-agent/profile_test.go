package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	t.Setenv(cpuProfileEnv, path)
	stop, err := startCPUProfile()
	if err != nil {
		t.Fatal(err)
	}
	stop()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// A pprof profile is gzipped protobuf.
	if !bytes.HasPrefix(b, []byte{0x1f, 0x8b}) {
		t.Fatalf("%s holds %d bytes that are not a gzipped profile", path, len(b))
	}

	t.Setenv(cpuProfileEnv, filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.prof"))
	if _, err := startCPUProfile(); err == nil {
		t.Fatal("a profile in a missing directory: no error")
	}

	t.Setenv(cpuProfileEnv, "")
	stop, err = startCPUProfile()
	if err != nil {
		t.Fatal(err)
	}
	stop()
}
