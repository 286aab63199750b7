package harness

import (
	"strings"
	"testing"
)

// A commit the clone does not hold is refused with what to do, before
// anything is built.
func TestBuildAtMissingCommit(t *testing.T) {
	_, err := buildAt("0123456789abcdef0123456789abcdef01234567", []string{"github.com/yizhan/yizhan/hub/cmd/yizhan-hub"})
	if err == nil || !strings.Contains(err.Error(), "the commit is not in") || !strings.Contains(err.Error(), "git fetch --unshallow") {
		t.Fatalf("build at a missing commit: %v", err)
	}
}
