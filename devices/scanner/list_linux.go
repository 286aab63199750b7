//go:build linux

package scanner

import "os"

// ListSerialPorts lists the serial ports present on this machine from
// /sys/class/tty, with USB vendor and product ids where the port is USB.
// Virtual terminals and built-in UARTs with no hardware are left out.
func ListSerialPorts() ([]SerialPort, error) {
	return listSerialPorts("/sys/class/tty", "/dev")
}

// ListInputDevices lists input devices from /proc/bus/input/devices.
// Keyboard-wedge scanners show up as keyboards (often named after the
// scanner maker).
func ListInputDevices() ([]InputDevice, error) {
	f, err := os.Open("/proc/bus/input/devices")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseInputDevices(f)
}
