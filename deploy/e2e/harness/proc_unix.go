//go:build unix

package harness

import (
	"os"
	"syscall"
)

// killGroup kills the process and anything it started in its group, so a
// wrapper such as a shell cannot leave children behind.
func killGroup(p *os.Process) {
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err != nil {
		p.Kill()
	}
}
