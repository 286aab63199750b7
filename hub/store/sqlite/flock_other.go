//go:build !(linux || darwin || freebsd)

package sqlite

import (
	"errors"
	"os"
)

var errNoFlock = errors.New("flock is not available")

// tryFlock: no flock here; one hub process writes the file.
func tryFlock(*os.File) (bool, error) { return false, errNoFlock }
