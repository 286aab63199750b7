//go:build windows

package serialport

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows/registry"
)

const serialComm = `HARDWARE\DEVICEMAP\SERIALCOMM`

// ComPorts lists the COM ports present now. A USB adapter's port leaves the
// list when it is unplugged; with no port at all the key itself is absent.
func ComPorts() ([]COMPort, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, serialComm, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf(`read HKLM\%s: %w`, serialComm, err)
	}
	defer k.Close()
	names, err := k.ReadValueNames(-1)
	if err != nil {
		return nil, fmt.Errorf(`read HKLM\%s: %w`, serialComm, err)
	}
	values := make(map[string]string, len(names))
	for _, n := range names {
		if v, _, err := k.GetStringValue(n); err == nil {
			values[n] = v
		}
	}
	return comPortsFrom(values), nil
}

// present says whether the port is still there. os.Stat cannot tell on
// Windows (a COM port held open, as this one is, refuses a second handle),
// so a COM port is looked up in the registry; a registry that cannot be
// read says nothing, and the next read's error decides.
func present(name string) error {
	n, ok := comNumber(name)
	if !ok {
		return nil
	}
	ports, err := ComPorts()
	if err != nil {
		return nil
	}
	for _, p := range ports {
		if m, _ := comNumber(p.Name); m == n {
			return nil
		}
	}
	return fmt.Errorf("%s is no longer among this PC's COM ports (unplugged?): %w", ShowName(name), os.ErrNotExist)
}
