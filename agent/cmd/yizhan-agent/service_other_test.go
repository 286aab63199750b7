//go:build !windows

package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestServiceCommandOffWindows: "service" is wired in, and off Windows it
// points to the systemd unit.
func TestServiceCommandOffWindows(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"service", "install"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "deploy/systemd/yizhan-agent.service") {
		t.Fatalf("exit %d, stderr %q", code, stderr.String())
	}
}
