package harness

import "syscall"

// sysProcAttr puts the child in its own process group and has the kernel
// kill it if the test binary dies first, so no broker outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
