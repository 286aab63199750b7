//go:build !(linux || darwin || freebsd || windows)

package sqlite

import "errors"

// FreeSpace cannot be read on this system; /readyz does not check it.
func FreeSpace(dir string) (uint64, error) {
	return 0, errors.ErrUnsupported
}
