package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunUntilCancelled is the path the Windows service takes: runAgent
// serves, says so through ready, stops gracefully when its context ends
// (the service manager's Stop), and its log went to the [log] file.
func TestRunUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "logs", "agent.log")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	readyCalls := 0
	var stderr bytes.Buffer
	code := runAgent(ctx, []string{"--data", filepath.Join(dir, "data"), "--outlet", "SH-001", "--secret", "s",
		"--http", "127.0.0.1:0", "--log-file", logFile, "--log-max-mb", "1", "--log-keep", "2"},
		&bytes.Buffer{}, &stderr, runOptions{service: true, ready: func() { readyCalls++; cancel() }})
	if code != 0 || readyCalls != 1 {
		t.Fatalf("exit %d, ready called %d times; stderr: %s", code, readyCalls, stderr.String())
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"msg":"shutting down"`) || !strings.Contains(string(b), `"outlet":"SH-001"`) {
		t.Errorf("log file lacks the run's lines:\n%s", b)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr %q: the log should be in the file", stderr.String())
	}
}
