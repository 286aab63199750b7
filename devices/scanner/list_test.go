package scanner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/yizhan/yizhan/devices"
)

// fakeSysfs lays out /sys/class/tty the way Linux does for a USB serial
// adapter, a CDC-ACM scanner, a UART with no chip and a virtual terminal.
func fakeSysfs(t *testing.T) string {
	root := t.TempDir()
	mk := func(p string, files map[string]string) {
		dir := filepath.Join(root, p)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for k, v := range files {
			os.WriteFile(filepath.Join(dir, k), []byte(v+"\n"), 0o644)
		}
	}
	link := func(target, name string) {
		os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755)
		if err := os.Symlink(filepath.Join(root, target), filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	usb := "sys/devices/pci0000:00/usb1/1-2"
	mk(usb, map[string]string{"idVendor": "0403", "idProduct": "6001", "manufacturer": "FTDI", "product": "FT232R USB UART"})
	mk(usb+"/1-2:1.0/ttyUSB0", nil)
	mk("sys/bus/usb-serial/drivers/ftdi_sio", nil)
	link("sys/bus/usb-serial/drivers/ftdi_sio", usb+"/1-2:1.0/ttyUSB0/driver")
	acm := "sys/devices/pci0000:00/usb1/1-3"
	mk(acm, map[string]string{"idVendor": "0c2e", "idProduct": "0b6a"})
	mk(acm+"/1-3:1.0", nil)
	mk("sys/devices/platform/serial8250/tty/ttyS1", nil)

	mk("sys/class/tty/ttyUSB0", nil)
	link(usb+"/1-2:1.0/ttyUSB0", "sys/class/tty/ttyUSB0/device")
	mk("sys/class/tty/ttyACM0", nil)
	link(acm+"/1-3:1.0", "sys/class/tty/ttyACM0/device")
	mk("sys/class/tty/ttyS1", map[string]string{"type": "0"})
	link("sys/devices/platform/serial8250/tty/ttyS1", "sys/class/tty/ttyS1/device")
	mk("sys/class/tty/tty1", nil) // virtual: no device link
	return root
}

func TestListSerialPorts(t *testing.T) {
	root := fakeSysfs(t)
	ports, err := listSerialPorts(filepath.Join(root, "sys/class/tty"), "/dev")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(ports)
	want := `[{"path":"/dev/ttyACM0","driver":"","usb":{"vendor_id":"0c2e","product_id":"0b6a"}},` +
		`{"path":"/dev/ttyUSB0","driver":"ftdi_sio","usb":{"vendor_id":"0403","product_id":"6001","manufacturer":"FTDI","product":"FT232R USB UART"}}]`
	if string(b) != want {
		t.Fatalf("ports\n%s\nwant\n%s", b, want)
	}
	// The real machine: must not fail, whatever it has.
	if _, err := ListSerialPorts(); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
}

func TestParseInputDevices(t *testing.T) {
	f, err := os.Open("testdata/proc-bus-input-devices")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	devs, err := ParseInputDevices(f)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range devs {
		got = append(got, fmt.Sprintf("%s %s:%s %s kbd=%v", d.Name, d.VendorID, d.ProductID, d.Event, d.Keyboard))
	}
	want := "[Power Button 0000:0001 /dev/input/event0 kbd=true " +
		"Honeywell Imaging & Mobility 1900 0c2e:0b61 /dev/input/event5 kbd=true " +
		"VirtualPS/2 VMware VMMouse 0002:0013 /dev/input/event2 kbd=false]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
}

func TestDiagnose(t *testing.T) {
	for _, tc := range []struct {
		name        string
		err         error
		group       string
		detail, fix string
		code        string
	}{
		{"permission", &os.PathError{Op: "open", Path: "/dev/ttyUSB0", Err: syscall.EACCES}, "dialout",
			"permission denied on /dev/ttyUSB0", "add the service user to group dialout", "scanner.permission"},
		{"permission input", &os.PathError{Op: "open", Path: "/dev/ttyUSB0", Err: syscall.EACCES}, "input",
			"permission denied", "group input", "scanner.permission"},
		{"missing", &os.PathError{Op: "open", Path: "/dev/ttyUSB0", Err: syscall.ENOENT}, "dialout",
			"does not exist", "devices list", "scanner.not_found"},
		{"busy", fmt.Errorf("grab: %w", syscall.EBUSY), "input", "device busy", "close the other program", "scanner.busy"},
		{"unplugged", fmt.Errorf("read: %w", syscall.EIO), "dialout", "unplugged", "plug it back", "scanner.unplugged"},
		{"not a tty", fmt.Errorf("open: %w", syscall.ENOTTY), "dialout", "not a serial port", "devices list", "scanner.not_device"},
		{"other", errors.New("boom"), "dialout", "boom", "check", "scanner.unusable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := DiagnoseDevice("/dev/ttyUSB0", tc.group, tc.err)
			d, f := a.Detail, a.Fix
			if !strings.Contains(d, tc.detail) || !strings.Contains(f, tc.fix) {
				t.Fatalf("detail %q fix %q", d, f)
			}
			// The screen words the advice from its code and params.
			if want := (devices.Params{Where: "/dev/ttyUSB0", Group: tc.group}); a.Code != tc.code || a.Params != want || !devices.Known(a.Code) {
				t.Fatalf("code %q params %+v, want %q %+v (in devices.Codes)", a.Code, a.Params, tc.code, want)
			}
		})
	}
	a := DiagnoseNetwork("10.0.0.9:2001", fmt.Errorf("dial: %w", syscall.ECONNREFUSED))
	d, f := a.Detail, a.Fix
	if !strings.Contains(d, "connection refused by 10.0.0.9:2001") || !strings.Contains(f, "port") {
		t.Fatalf("network: %q %q", d, f)
	}
	if a.Code != "scanner.refused" || a.Params.Where != "10.0.0.9:2001" {
		t.Fatalf("network: code %q params %+v", a.Code, a.Params)
	}
	a = DiagnoseNetwork("x:1", fmt.Errorf("dial: %w", context.DeadlineExceeded))
	d = a.Detail
	if !strings.Contains(d, "timed out") {
		t.Fatalf("timeout: %q", d)
	}
	if a.Code != "scanner.timeout" {
		t.Fatalf("timeout: code %q", a.Code)
	}
	for _, err := range []error{&net.DNSError{Err: "no such host", Name: "x"}, fmt.Errorf("dial: %w", syscall.EHOSTUNREACH), fmt.Errorf("read: %w", syscall.ECONNRESET), errors.New("boom")} {
		if a := DiagnoseNetwork("x:1", err); !devices.Known(a.Code) {
			t.Errorf("DiagnoseNetwork(%v) code %q is not in devices.Codes", err, a.Code)
		}
	}
}

type nopScanner struct{ Runner }

func TestRegistry(t *testing.T) {
	Add("test-nop", func(name string, _ json.RawMessage, _ Options) (Scanner, error) {
		return &nopScanner{Runner{ID: name, Driver: "test-nop"}}, nil
	})
	s, err := New("test-nop", "a", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st := Check(context.Background(), s); st.Name != "a" || st.Kind != "scanner" || st.State != devices.StateDisconnected {
		t.Fatalf("status %+v", st)
	}
	if _, err := New("nope", "b", nil, Options{}); err == nil || !strings.Contains(err.Error(), "test-nop") {
		t.Fatalf("unknown driver: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate Add did not panic")
		}
	}()
	Add("test-nop", nil)
}

func TestDurationJSON(t *testing.T) {
	var c struct{ D Duration }
	if err := json.Unmarshal([]byte(`{"D":"250ms"}`), &c); err != nil || c.D != Duration(250e6) {
		t.Fatalf("%v %v", c.D, err)
	}
	if err := json.Unmarshal([]byte(`{"D":"soon"}`), &c); err == nil {
		t.Fatal("bad duration accepted")
	}
}
