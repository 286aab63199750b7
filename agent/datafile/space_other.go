//go:build !(linux || darwin || freebsd || windows)

package datafile

import (
	"errors"
	"syscall"
)

// FreeSpace cannot be read on this system; /readyz does not check it.
func FreeSpace(dir string) (uint64, error) {
	return 0, errors.ErrUnsupported
}

// isNoSpace: the write failed for lack of space.
func isNoSpace(err error) bool { return errors.Is(err, syscall.ENOSPC) }
