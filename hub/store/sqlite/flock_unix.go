//go:build linux || darwin || freebsd

package sqlite

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

var errNoFlock = errors.New("flock is not available")

// tryFlock takes an exclusive flock on f without waiting; held is false
// when another open file holds it.
func tryFlock(f *os.File) (held bool, err error) {
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, unix.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, unix.EINTR):
			continue
		}
		return false, err
	}
}
