package serialport

import (
	"strings"
	"testing"
)

func TestOpenName(t *testing.T) {
	for _, tc := range []struct {
		goos, in, want, err string
	}{
		{"windows", "COM3", `\\.\COM3`, ""},
		{"windows", "com4", `\\.\COM4`, ""},
		{"windows", " COM10 ", `\\.\COM10`, ""},
		{"windows", `\\.\COM10`, `\\.\COM10`, ""},
		{"windows", `\\.\com256`, `\\.\COM256`, ""},
		{"windows", "//./COM12", `\\.\COM12`, ""},
		{"windows", "/COM5", `\\.\COM5`, ""}, // serial:///COM5 in a printer address
		{"windows", `/\\.\COM12`, `\\.\COM12`, ""},
		{"windows", `\\.\CNCA0`, `\\.\CNCA0`, ""},
		{"windows", "COM0", "", "give a COM port"},
		{"windows", "COM03", "", "give a COM port"},
		{"windows", "COM257", "", "give a COM port"},
		{"windows", "COM1a", "", "give a COM port"},
		{"windows", "COM", "", "give a COM port"},
		{"windows", `\\.\`, "", "give a COM port"},
		{"windows", "", "", "give a COM port"},
		{"windows", "/dev/ttyUSB0", "", "is a Linux device path"},
		{"linux", "/dev/ttyUSB0", "/dev/ttyUSB0", ""},
		{"linux", "/dev/serial/by-id/usb-Honeywell-if00", "/dev/serial/by-id/usb-Honeywell-if00", ""},
		{"linux", "COM3", "", "is a Windows port name"},
		{"linux", `\\.\COM10`, "", "is a Windows port name"},
		{"darwin", "/dev/cu.usbserial", "/dev/cu.usbserial", ""},
	} {
		t.Run(tc.goos+" "+tc.in, func(t *testing.T) {
			got, err := openName(tc.goos, tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("openName(%q) = %q, %v; want an error with %q", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("openName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestShowName(t *testing.T) {
	for in, want := range map[string]string{`\\.\COM10`: "COM10", "com3": "COM3", "/dev/ttyUSB0": "/dev/ttyUSB0", `\\.\CNCA0`: `\\.\CNCA0`} {
		if got := ShowName(in); got != want {
			t.Errorf("ShowName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzOpenName(f *testing.F) {
	for _, s := range []string{"COM3", `\\.\COM10`, "/COM5", "/dev/ttyUSB0", "COM0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := openName("windows", s)
		if err != nil {
			return
		}
		// Whatever is accepted opens as a device name, and a COM port's
		// open name reads back as the same port.
		if !strings.HasPrefix(got, `\\.\`) {
			t.Fatalf("openName(%q) = %q: not a device name", s, got)
		}
		if _, ok := comNumber(s); ok && ShowName(got) != ShowName(s) {
			t.Fatalf("openName(%q) = %q shows as %q", s, got, ShowName(got))
		}
	})
}

func TestCOMPortsFromRegistryValues(t *testing.T) {
	got := comPortsFrom(map[string]string{
		`\Device\USBSER000`:       "COM10",
		`\Device\Serial0`:         "COM1",
		`\Device\VCP0`:            "COM3\x00",
		`\Device\Silabser0`:       "COM4",
		`\Device\com0com10`:       "CNCA0",
		`\Device\ProlificSerial2`: "",
	})
	want := []COMPort{
		{"COM1", `\Device\Serial0`, "Serial"},
		{"COM3", `\Device\VCP0`, "VCP"},
		{"COM4", `\Device\Silabser0`, "Silabser"},
		{"COM10", `\Device\USBSER000`, "USBSER"},
		{"CNCA0", `\Device\com0com10`, "com0com"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("port %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestWindowsCodeKind(t *testing.T) {
	for code, want := range map[uintptr]string{5: KindBusy, 32: KindBusy, 31: KindUnplugged, 995: KindUnplugged, 1167: KindUnplugged, 22: KindUnplugged, 2: "", 0: ""} {
		if got := windowsCodeKind(code); got != want {
			t.Errorf("windowsCodeKind(%d) = %q, want %q", code, got, want)
		}
	}
}
