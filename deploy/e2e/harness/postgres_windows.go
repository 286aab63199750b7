package harness

import (
	"errors"
	"os/exec"
	"time"
)

// asUser is not needed on Windows, where tests do not run as root.
func asUser(*exec.Cmd, string) error {
	return errors.New("running PostgreSQL as another user is not supported on Windows")
}

func waitGroupGone(int, time.Duration) {}
