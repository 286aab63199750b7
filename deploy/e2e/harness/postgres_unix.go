//go:build unix

package harness

import (
	"fmt"
	"os/exec"
	"os/user"
	"strconv"
	"syscall"
)

// asUser makes cmd run as the named user, in its own process group and,
// on Linux, killed with the test binary.
func asUser(cmd *exec.Cmd, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("user %s: %w", name, err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	cmd.SysProcAttr = sysProcAttr()
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	return nil
}
