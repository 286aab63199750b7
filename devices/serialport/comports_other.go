//go:build !windows

package serialport

import "os"

// ComPorts is Windows' list; other systems name their ports by device path
// (the scanner package lists them from /sys on Linux).
func ComPorts() ([]COMPort, error) { return nil, ErrNoCOMPorts }

// present says whether the port's device file is still there: an unplugged
// USB adapter's disappears.
func present(name string) error {
	_, err := os.Stat(name)
	return err
}
