//go:build !windows

package service

import (
	"bytes"
	"strings"
	"testing"
)

// TestCommandPointsToSystemd: off Windows every service command says where
// the agent's service is instead, and changes nothing.
func TestCommandPointsToSystemd(t *testing.T) {
	for _, args := range [][]string{nil, {"install"}, {"install", "--config", "agent.toml"}, {"start"}, {"stop"}, {"status"}, {"uninstall"}, {"nonsense"}} {
		var stdout, stderr bytes.Buffer
		if code := Command(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if !strings.Contains(stderr.String(), "deploy/systemd/yizhan-agent.service") || !strings.Contains(stderr.String(), "systemctl enable --now yizhan-agent") || stdout.Len() != 0 {
			t.Errorf("%q: stdout %q, stderr %q", args, stdout.String(), stderr.String())
		}
	}
	if Running() {
		t.Error("Running() outside Windows")
	}
}
