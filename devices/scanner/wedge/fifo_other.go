//go:build !unix

package wedge

import "errors"

// mkfifo: the simulator writes into a named pipe the driver reads in place
// of an event device, which only Unix systems offer.
func mkfifo(string) error {
	return errors.New("named pipes for the simulator need a Unix system")
}
