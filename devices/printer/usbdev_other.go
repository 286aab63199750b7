//go:build !windows

package printer

// usbDeviceFiles: the kernel's USB printer class gives /dev/usb/lpN.
func usbDeviceFiles() error { return nil }
