package printer

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/serialport"
)

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13812345678", "138****5678"},
		{"138 1234 5678", "138****5678"},
		{"+86 138-1234-5678", "138****5678"},
		{"008613812345678", "138****5678"},
		{"138****5678", "138****5678"},
		{"021-64001234", "021****1234"},
		{"6400-1234", "****1234"},
		{"12345", "*****"},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := MaskPhone(tc.in)
			if got != tc.want {
				t.Errorf("MaskPhone(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if MaskPhone(got) != got {
				t.Errorf("masking twice changed %q", got)
			}
		})
	}
}

func FuzzMaskPhone(f *testing.F) {
	f.Add("13812345678")
	f.Add("+86 138-1234-5678")
	f.Fuzz(func(t *testing.T, s string) {
		got := MaskPhone(s)
		digits := 0
		for _, r := range got {
			if r >= '0' && r <= '9' {
				digits++
			}
		}
		if digits > 7 {
			t.Fatalf("MaskPhone(%q) = %q shows %d digits", s, got, digits)
		}
	})
}

func TestWrap(t *testing.T) {
	tests := []struct {
		in    string
		cells int
		want  []string
	}{
		{"快递延误三天", 8, []string{"快递延误", "三天"}},
		{"late by three days", 8, []string{"late by", "three", "days"}},
		{"破损a\n\n第二段", 4, []string{"破损", "a", "第二", "段"}},
		{"ctl\x1b[0m", 20, []string{"ctl[0m"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := Wrap(tc.in, tc.cells)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Wrap(%q, %d) = %q, want %q", tc.in, tc.cells, got, tc.want)
			}
			for _, l := range got {
				if Cells(l) > tc.cells {
					t.Errorf("line %q wider than %d", l, tc.cells)
				}
			}
		})
	}
}

func TestOpenTransport(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"tcp://10.0.0.5", "tcp://10.0.0.5:9100", ""},
		{"tcp://10.0.0.5:6101", "tcp://10.0.0.5:6101", ""},
		{"usb:///dev/usb/lp0", "usb:///dev/usb/lp0", ""},
		{"/dev/usb/lp1", "usb:///dev/usb/lp1", ""},
		{"file:///tmp/x.prn", "file:///tmp/x.prn", ""},
		{"serial:///dev/ttyS0?baud=115200&parity=e&stop=2", "serial:///dev/ttyS0", ""},
		{"serial:///dev/ttyS0?baud=fast", "", "bad baud"},
		{"tcp://", "", "no host"},
		{"lpt1", "", "unknown scheme"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			tr, err := OpenTransport(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want error with %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tr.String() != tc.want {
				t.Errorf("String() = %q, want %q", tr, tc.want)
			}
		})
	}
}

// TestOpenTransportCOM: a Windows COM port in a printer address opens as
// \\.\COMn there and shows as COMn; elsewhere it is refused with the path
// to use instead, as a serial scanner's is.
func TestOpenTransportCOM(t *testing.T) {
	for _, in := range []string{"serial:///COM12?baud=19200", "serial://com12", `serial:///\\.\COM12`} {
		tr, err := OpenTransport(in)
		if runtime.GOOS == "windows" {
			if err != nil || tr.String() != "serial://COM12" || tr.(*serialTransport).cfg.Name != `\\.\COM12` {
				t.Errorf("%s: %v, %v", in, tr, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "is a Windows port name") {
			t.Errorf("%s: want the Windows port name refused here, got %v, %v", in, tr, err)
		}
	}
}

// bangProtocol is a minimal language: "?" asks, "!" answers ready.
var bangProtocol = Protocol{Lang: "bang", Query: []byte("?"), Parse: func(b []byte) (Report, error) {
	if len(b) == 0 {
		return Report{}, ErrIncomplete
	}
	if b[0] != '!' {
		return Report{Conditions: []Condition{PaperOut}}, nil
	}
	return Report{Conditions: []Condition{OK}}, nil
}}

func TestFileTransport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.prn")
	d, err := NewDevice(Config{Name: "dry", Address: "file://" + path}, bangProtocol, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r := d.Status(context.Background()); r.Primary() != Unknown || !r.Ready() {
		t.Errorf("a file has no status channel but may be written: %+v", r)
	}
	for _, job := range []string{"one\n", "two\n"} {
		if err := d.Print(context.Background(), []byte(job)); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := os.ReadFile(path); string(got) != "one\ntwo\n" {
		t.Errorf("file holds %q", got)
	}
}

// printerOnPty answers "?" with answer on the master side of a pty and
// records everything else it receives.
func printerOnPty(t *testing.T, answer byte) (slave string, got func() []byte) {
	t.Helper()
	master, tty, err := serialport.OpenPty(filepath.Join(t.TempDir(), "printer"), "printer test")
	if err != nil {
		t.Fatal(err)
	}
	rec := make(chan []byte, 1)
	go func() {
		var all []byte
		buf := make([]byte, 256)
		for {
			n, err := master.Read(buf)
			for _, b := range buf[:n] {
				if b == '?' {
					master.Write([]byte{answer})
				} else {
					all = append(all, b)
				}
			}
			if err != nil {
				rec <- all
				return
			}
		}
	}()
	var data []byte
	t.Cleanup(func() { tty.Close(); master.Close() })
	return tty.Name(), func() []byte {
		tty.Close()
		master.Close()
		if data == nil {
			data = <-rec
		}
		return data
	}
}

func TestSerialAndDeviceTransports(t *testing.T) {
	for _, scheme := range []string{"serial://%s?baud=9600", "usb://%s"} {
		t.Run(strings.Split(scheme, ":")[0], func(t *testing.T) {
			path, got := printerOnPty(t, '!')
			d, err := NewDevice(Config{Name: "p", Address: strings.Replace(scheme, "%s", path, 1)}, bangProtocol, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if r := d.Status(context.Background()); r.Primary() != OK {
				t.Fatalf("status over pty: %+v (%v)", r, r.Err)
			}
			if err := d.Print(context.Background(), []byte("JOB-1")); err != nil {
				t.Fatal(err)
			}
			if g := got(); !bytes.Equal(g, []byte("JOB-1")) {
				t.Errorf("printer got %q", g)
			}
		})
	}
}

func TestSerialSilence(t *testing.T) {
	path, _ := printerOnPty(t, 0)
	// The fake printer answers '\x00', which bangProtocol reads as paper out;
	// a printer that never answers is simulated by a protocol nobody speaks.
	p := bangProtocol
	p.Query = []byte("Q")
	d, err := NewDevice(Config{Name: "p", Address: "serial://" + path, StatusTimeoutMS: 300}, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := d.Status(context.Background())
	if r.Primary() != Silent || !errors.Is(r.Err, ErrSilent) {
		t.Fatalf("want silent, got %+v", r)
	}
}

func TestDiagnose(t *testing.T) {
	tests := []struct {
		err  error
		want string
		code string
		p    devices.Params
	}{
		{&fs.PathError{Op: "open", Path: "/dev/usb/lp0", Err: syscall.EACCES}, "add the service user to group lp", "printer.permission", devices.Params{Where: "/dev/usb/lp0", Group: "lp"}},
		{&fs.PathError{Op: "open", Path: "/dev/ttyUSB0", Err: syscall.EACCES}, "group dialout", "printer.permission", devices.Params{Where: "/dev/ttyUSB0", Group: "dialout"}},
		{&fs.PathError{Op: "open", Path: "/dev/usb/lp0", Err: syscall.ENOENT}, "check the USB cable", "printer.not_found", devices.Params{Where: "/dev/usb/lp0", Group: "lp"}},
		{&fs.PathError{Op: "open", Path: "/dev/usb/lp0", Err: syscall.EBUSY}, "CUPS", "printer.busy", devices.Params{Where: "/dev/usb/lp0", Group: "lp"}},
		{&net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 9100}, Err: syscall.ECONNREFUSED}, "port 9100", "printer.refused", devices.Params{Where: "10.0.0.7:9100", Group: "lp"}},
		{ErrSilent, "paper out", "printer.silent", devices.Params{}},
	}
	for _, tc := range tests {
		t.Run(tc.err.Error(), func(t *testing.T) {
			a, ok := Diagnose(tc.err)
			d, fix := a.Detail, a.Fix
			if !ok || !strings.Contains(fix, tc.want) || !strings.Contains(d, " / ") {
				t.Errorf("Diagnose = %q, %q, %v; want fix with %q", d, fix, ok, tc.want)
			}
			// The screen words the advice from its code and params.
			if a.Code != tc.code || a.Params != tc.p || !devices.Known(a.Code) {
				t.Errorf("Diagnose code %q params %+v, want %q %+v (in devices.Codes)", a.Code, a.Params, tc.code, tc.p)
			}
		})
	}
	if _, ok := Diagnose(errors.New("something else")); ok {
		t.Error("unknown errors must not be explained")
	}
}

func TestParseConfigs(t *testing.T) {
	cfgs, err := ParseConfigs(strings.NewReader(`[{"name":"a","driver":"zpl","address":"tcp://h"},{"name":"b","driver":"tspl","address":"usb:///dev/usb/lp0"}]`))
	if err != nil || len(cfgs) != 2 || cfgs[1].Address != "usb:///dev/usb/lp0" {
		t.Fatalf("got %+v, %v", cfgs, err)
	}
	for _, bad := range []string{`{"name":"a","drivr":"zpl"}`, `[{"name":"a"},{"name":"a"}]`, `[{"driver":"zpl"}]`} {
		if _, err := ParseConfigs(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	for _, sample := range []string{"zpl", "tspl", "escpos"} {
		f, err := os.Open(filepath.Join(sample, "sample.json"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseConfigs(f); err != nil {
			t.Errorf("%s/sample.json: %v", sample, err)
		}
		f.Close()
	}
}

func TestConditionsHaveAdvice(t *testing.T) {
	for c := range severity {
		if !strings.Contains(c.Detail(), " / ") || (c != OK && !strings.Contains(c.Fix(), " / ")) {
			t.Errorf("%s lacks Chinese / English advice", c)
		}
	}
}

// A status carries its conditions as codes a screen words itself: the one to
// show first, and the others.
func TestDeviceStatusCodes(t *testing.T) {
	st := Report{Conditions: []Condition{Paused, HeadOpen}, Warnings: []Warning{PaperLow}}.DeviceStatus("labels", "tspl")
	if st.Code != "printer.head_open" || st.Also != "printer.paused printer.paper_low" || st.State != devices.StateFault {
		t.Errorf("status code %q also %q state %q, want printer.head_open, printer.paused printer.paper_low, fault", st.Code, st.Also, st.State)
	}
	if !strings.Contains(st.Detail, HeadOpen.Detail()) || !strings.Contains(st.Detail, PaperLow.Detail()) {
		t.Errorf("detail %q lacks the head and the paper roll", st.Detail)
	}
	if ok := (Report{}).DeviceStatus("labels", "tspl"); ok.Code != "printer.ok" || ok.Also != "" {
		t.Errorf("a ready printer's status: code %q also %q", ok.Code, ok.Also)
	}
	for c := range severity {
		if !devices.Known(c.Code()) {
			t.Errorf("condition %s: code %q is not in devices.Codes", c, c.Code())
		}
	}
	for w := range warningWords {
		if !devices.Known(w.Code()) {
			t.Errorf("warning %s: code %q is not in devices.Codes", w, w.Code())
		}
	}
}
