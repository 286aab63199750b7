//go:build windows

package printer

import "errors"

// usbDeviceFiles: Windows gives a USB printer no device file to write raw
// bytes to (its USB001 port belongs to the print spooler).
func usbDeviceFiles() error {
	return errors.New("USB printer device files are a Linux facility: on Windows connect the printer by its network port (tcp://IP:9100) or its virtual COM port (serial:///COM5?baud=9600)")
}
