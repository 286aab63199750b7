//go:build linux || darwin || freebsd

package datafile

import (
	"errors"

	"golang.org/x/sys/unix"
)

// FreeSpace is the space an unprivileged writer can still use on the disk
// holding dir.
func FreeSpace(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

// isNoSpace: the write failed for lack of space (or of quota).
func isNoSpace(err error) bool {
	return errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT)
}
