package harness

import (
	"errors"
	"os/exec"
)

// asUser is not needed on Windows, where tests do not run as root.
func asUser(*exec.Cmd, string) error {
	return errors.New("running PostgreSQL as another user is not supported on Windows")
}
