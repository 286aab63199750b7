//go:build windows

package scanner

import (
	"fmt"

	"github.com/yizhan/yizhan/devices/serialport"
)

// ListSerialPorts lists the COM ports Windows knows of now (the registry's
// SERIALCOMM), the names the config takes: COM3, COM10.
func ListSerialPorts() ([]SerialPort, error) {
	ports, err := serialport.ComPorts()
	if err != nil {
		return nil, err
	}
	out := make([]SerialPort, 0, len(ports))
	for _, p := range ports {
		out = append(out, SerialPort{Path: p.Name, Driver: p.Driver})
	}
	return out, nil
}

// ListInputDevices: Windows has no keyboard event devices to read. A
// keyboard-wedge scanner types into the focused window, the counter
// screen's scan field, and needs no driver.
func ListInputDevices() ([]InputDevice, error) {
	return nil, fmt.Errorf("keyboard-wedge scanners type into the counter screen's scan field on Windows, with no driver: %w", ErrNotListed)
}
