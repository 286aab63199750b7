package serialport

// What an error from a serial port means to a clerk, where the system's
// own error numbers say more than the portable ones (ErrorKind).
const (
	KindBusy      = "busy"      // another program has the port open
	KindUnplugged = "unplugged" // the device went away
)

// ErrorKind is KindBusy, KindUnplugged or "" (the portable checks decide)
// for an error opening or using a serial port on this system.
func ErrorKind(err error) string { return errorKind(err) }

// windowsCodeKind: Windows opens a COM port for one program at a time and
// tells the second "access denied", which is not a permission problem
// there; an unplugged USB adapter fails pending and new I/O with these.
func windowsCodeKind(code uintptr) string {
	switch code {
	case 5, 32: // ERROR_ACCESS_DENIED, ERROR_SHARING_VIOLATION
		return KindBusy
	case 22, 31, 995, 1167: // ERROR_BAD_COMMAND, ERROR_GEN_FAILURE, ERROR_OPERATION_ABORTED, ERROR_DEVICE_NOT_CONNECTED
		return KindUnplugged
	}
	return ""
}
