package scanner

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

var errEOF = io.EOF

// SerialPort is a serial device found on this machine.
type SerialPort struct {
	Path   string   `json:"path"`   // /dev/ttyUSB0; COM3 on Windows
	Driver string   `json:"driver"` // kernel driver: ftdi_sio, cdc_acm, pl2303, serial8250...; on Windows usbser, VCP, Silabser...
	USB    *USBInfo `json:"usb,omitempty"`
}

// USBInfo identifies a USB device from sysfs.
type USBInfo struct {
	VendorID     string `json:"vendor_id"`  // "0403"
	ProductID    string `json:"product_id"` // "6001"
	Manufacturer string `json:"manufacturer,omitempty"`
	Product      string `json:"product,omitempty"`
	Serial       string `json:"serial,omitempty"`
}

// ErrNotListed means this system has no list of that kind of device, as
// Windows has no keyboard event devices.
var ErrNotListed = errors.New("not listed on this system")

func listSerialPorts(classDir, devDir string) ([]SerialPort, error) {
	entries, err := os.ReadDir(classDir)
	if err != nil {
		return nil, err
	}
	var out []SerialPort
	for _, e := range entries {
		base := filepath.Join(classDir, e.Name())
		dev, err := filepath.EvalSymlinks(filepath.Join(base, "device"))
		if err != nil {
			continue // no device: a virtual tty
		}
		p := SerialPort{Path: filepath.Join(devDir, e.Name())}
		if drv, err := filepath.EvalSymlinks(filepath.Join(dev, "driver")); err == nil {
			p.Driver = filepath.Base(drv)
		}
		if t, err := os.ReadFile(filepath.Join(base, "type")); err == nil && strings.TrimSpace(string(t)) == "0" {
			continue // serial core port with no UART behind it
		}
		p.USB = usbParent(dev)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// usbParent walks up from a sysfs device directory to the USB device that
// holds idVendor.
func usbParent(dir string) *USBInfo {
	for d := dir; d != "/" && d != "." && strings.Contains(d, "/devices"); d = filepath.Dir(d) {
		vid := readAttr(d, "idVendor")
		if vid == "" {
			continue
		}
		return &USBInfo{
			VendorID: vid, ProductID: readAttr(d, "idProduct"),
			Manufacturer: readAttr(d, "manufacturer"), Product: readAttr(d, "product"),
			Serial: readAttr(d, "serial"),
		}
	}
	return nil
}

func readAttr(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// InputDevice is an input device from /proc/bus/input/devices.
type InputDevice struct {
	Name      string   `json:"name"`
	Bus       string   `json:"bus"` // "0003" is USB
	VendorID  string   `json:"vendor_id"`
	ProductID string   `json:"product_id"`
	Phys      string   `json:"phys,omitempty"`
	Event     string   `json:"event,omitempty"` // /dev/input/event3
	Handlers  []string `json:"handlers,omitempty"`
	Keyboard  bool     `json:"keyboard"` // has a kbd handler: a wedge scanner candidate
}

// ParseInputDevices parses the format of /proc/bus/input/devices.
func ParseInputDevices(r io.Reader) ([]InputDevice, error) {
	var out []InputDevice
	var cur *InputDevice
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if len(line) < 3 || line[1] != ':' {
			cur = nil
			continue
		}
		if cur == nil {
			out = append(out, InputDevice{})
			cur = &out[len(out)-1]
		}
		val := strings.TrimSpace(line[2:])
		switch line[0] {
		case 'I':
			for _, kv := range strings.Fields(val) {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "Bus":
					cur.Bus = v
				case "Vendor":
					cur.VendorID = v
				case "Product":
					cur.ProductID = v
				}
			}
		case 'N':
			cur.Name = strings.Trim(strings.TrimPrefix(val, "Name="), `"`)
		case 'P':
			cur.Phys = strings.TrimPrefix(val, "Phys=")
		case 'H':
			cur.Handlers = strings.Fields(strings.TrimPrefix(val, "Handlers="))
			for _, h := range cur.Handlers {
				if strings.HasPrefix(h, "event") {
					cur.Event = "/dev/input/" + h
				}
				if h == "kbd" {
					cur.Keyboard = true
				}
			}
		}
	}
	return out, sc.Err()
}
