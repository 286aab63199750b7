//go:build !linux && !windows

package scanner

import "fmt"

// ListSerialPorts: serial ports are listed on Linux (sysfs) and Windows
// (the registry) only; a port path still works in the config.
func ListSerialPorts() ([]SerialPort, error) {
	return nil, fmt.Errorf("serial ports: %w; give the device path in the config", ErrNotListed)
}

// ListInputDevices: keyboard event devices are read on Linux only.
func ListInputDevices() ([]InputDevice, error) {
	return nil, fmt.Errorf("keyboard-wedge scanners are read on Linux only: %w", ErrNotListed)
}
