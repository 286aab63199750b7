package serialport

import (
	"errors"
	"sort"
	"strings"
)

// COMPort is a serial port Windows knows of, from the registry's
// HARDWARE\DEVICEMAP\SERIALCOMM: the name an operator writes in the config
// and the kernel device behind it.
type COMPort struct {
	Name   string // COM3
	Device string // \Device\USBSER000
	Driver string // usbser (CDC-ACM), VCP (FTDI), Silabser (CP210x), ProlificSerial, Serial (built-in)...
}

// ErrNoCOMPorts means this system has no COM port registry: it is not Windows.
var ErrNoCOMPorts = errors.New("COM ports are listed on Windows only")

// comPortsFrom turns SERIALCOMM's values (device → port name) into ports
// in port order, COM2 before COM10. Values that are not COM names are
// kept, after the COM ports.
func comPortsFrom(values map[string]string) []COMPort {
	out := make([]COMPort, 0, len(values))
	for dev, name := range values {
		name = strings.TrimSpace(strings.TrimRight(name, "\x00"))
		if name == "" {
			continue
		}
		drv := strings.TrimPrefix(dev, `\Device\`)
		drv = strings.TrimRight(drv, "0123456789")
		out = append(out, COMPort{Name: ShowName(name), Device: dev, Driver: drv})
	}
	sort.Slice(out, func(i, j int) bool {
		a, aok := comNumber(out[i].Name)
		b, bok := comNumber(out[j].Name)
		switch {
		case aok && bok && a != b:
			return a < b
		case aok != bok:
			return aok
		}
		return out[i].Name+out[i].Device < out[j].Name+out[j].Device
	})
	return out
}
