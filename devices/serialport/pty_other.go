//go:build !linux

package serialport

import (
	"fmt"
	"os"
)

// OpenPty is the serial simulators' plumbing, and pty pairs in raw mode are
// a Linux facility here: elsewhere the simulators are not available (the
// drivers themselves work on every platform).
func OpenPty(link, who string) (master, tty *os.File, err error) {
	return nil, nil, fmt.Errorf("%s: simulated serial ports need Linux (pty pairs); use a real port on this system", who)
}
