//go:build unix

package load

import "syscall"

// openFilesLimit is the soft limit on open files (Go raises it to the hard
// limit at start).
func openFilesLimit() int {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur > 1<<30 {
		return 1 << 20
	}
	return int(l.Cur)
}
