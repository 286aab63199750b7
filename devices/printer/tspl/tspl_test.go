package tspl

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/internal/printertest"
)

func TestTemplatesGolden(t *testing.T) {
	l := NewLayout(printer.Config{})
	render := map[string]func() ([]byte, error){
		"shelf_label.tspl":       func() ([]byte, error) { return l.ShelfLabel(printertest.Shelf) },
		"exception_tag.tspl":     func() ([]byte, error) { return l.ExceptionTag(printertest.Exception) },
		"complaint_receipt.tspl": func() ([]byte, error) { return l.ComplaintReceipt(printertest.Complaint) },
	}
	for name, fn := range render {
		t.Run(name, func(t *testing.T) {
			got, err := fn()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte("SIZE 60 mm,40 mm\r\n")) || !bytes.HasSuffix(got, []byte("PRINT 1,1\r\n")) {
				t.Errorf("label must start with SIZE and end with PRINT: %q", got)
			}
			if bytes.Contains(got, []byte("13812345678")) {
				t.Errorf("full phone number printed")
			}
			printertest.Golden(t, name, got)
		})
	}
}

func TestChineseIsGB18030(t *testing.T) {
	got, err := NewLayout(printer.Config{}).ShelfLabel(printertest.Shelf)
	if err != nil {
		t.Fatal(err)
	}
	// 手机 in GB2312 is CA D6 BB FA.
	if !bytes.Contains(got, []byte{0xca, 0xd6, 0xbb, 0xfa}) {
		t.Errorf("手机 not encoded as GB18030: %q", got)
	}
	text := utf8(got)
	for _, want := range []string{`TEXT 20,12,"TSS24.BF2",0,4,4,"3-2-9903"`, "手机 138****5678", `BARCODE 20,160,"128",70,1,0,2,2,"YT7412345678901"`, "日期 2026-03-04"} {
		if !strings.Contains(text, want) {
			t.Errorf("shelf label lacks %q:\n%s", want, text)
		}
	}
}

func TestQuote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`say "hi"`, `"say \["]hi\["]"`},
		{"line\r\nCLS\r\n", `"line  CLS  "`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := quote(tc.in); got != tc.want {
				t.Errorf("quote(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

var statusCases = []struct {
	name string
	in   []byte
	want []printer.Condition
}{
	{"ready", []byte{0x00}, []printer.Condition{printer.OK}},
	{"head open", []byte{0x01}, []printer.Condition{printer.HeadOpen}},
	{"jam", []byte{0x02}, []printer.Condition{printer.Jam}},
	{"jam and head open", []byte{0x03}, []printer.Condition{printer.HeadOpen, printer.Jam}},
	{"paper out", []byte{0x04}, []printer.Condition{printer.PaperOut}},
	{"ribbon out", []byte{0x08}, []printer.Condition{printer.RibbonOut}},
	{"paused", []byte{0x10}, []printer.Condition{printer.Paused}},
	{"printing is fine", []byte{0x20}, []printer.Condition{printer.OK}},
	{"cover open", []byte{0x40}, []printer.Condition{printer.HeadOpen}},
	{"other error", []byte{0x80}, []printer.Condition{printer.Fault}},
	{"paper out while paused", []byte{0x14, 0x00}, []printer.Condition{printer.PaperOut, printer.Paused}},
}

func TestParseStatus(t *testing.T) {
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseReport(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Conditions, tc.want) {
				t.Errorf("conditions = %v, want %v", r.Conditions, tc.want)
			}
		})
	}
	if _, err := ParseReport(nil); !errors.Is(err, printer.ErrIncomplete) {
		t.Errorf("empty answer: got %v, want ErrIncomplete", err)
	}
}

func TestParseSplit(t *testing.T) {
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			whole, _ := ParseReport(tc.in)
			for i := 0; i <= len(tc.in); i++ {
				if first, err := ParseReport(tc.in[:i]); err == nil && !reflect.DeepEqual(first.Conditions, whole.Conditions) {
					t.Fatalf("split %d: prefix parsed differently", i)
				}
				got, err := ParseReport(append(append([]byte(nil), tc.in[:i]...), tc.in[i:]...))
				if err != nil || !reflect.DeepEqual(got.Conditions, whole.Conditions) {
					t.Fatalf("split %d: got %v %v", i, got.Conditions, err)
				}
			}
		})
	}
}

func FuzzParseStatus(f *testing.F) {
	for _, tc := range statusCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStatus(b)
		if len(b) == 0 {
			if !errors.Is(err, printer.ErrIncomplete) {
				t.Fatal("empty input must be incomplete")
			}
			return
		}
		if err != nil || byte(s) != b[0] {
			t.Fatalf("status %v, %v from %x", s, err, b)
		}
		r := s.Report()
		if (s&^BitPrinting == 0) != r.Ready() {
			t.Fatalf("status %v: ready=%v", s, r.Ready())
		}
	})
}

// TestFontMagnification checks text sizes from the shared layout become
// whole magnifications of the bitmap font's cell.
func TestFontMagnification(t *testing.T) {
	tests := []struct {
		font   string
		height int
		want   int
	}{
		{"TSS24.BF2", 96, 96},
		{"TSS24.BF2", 32, 24},
		{"TSS24.BF2", 10, 24},
		{"TSS24.BF2", 1000, 240},
		{"TSS16.BF2", 36, 32},
		{"MYFONT.TTF", 50, 48},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.font, tc.height), func(t *testing.T) {
			if got := Font(printer.Config{CJKFont: tc.font}).Size(tc.height); got != tc.want {
				t.Errorf("Size(%d) = %d, want %d", tc.height, got, tc.want)
			}
		})
	}
}

// TestWaybillLabel renders the waybill on 100×150 mm stock: golden bytes,
// Chinese as GB18030, no full name or phone number, and the number as the
// barcode's data.
func TestWaybillLabel(t *testing.T) {
	got, err := NewLayout(printertest.WaybillStock).WaybillLabel(printertest.Waybill)
	if err != nil {
		t.Fatal(err)
	}
	printertest.Golden(t, "waybill_label.tspl", got)
	if !bytes.HasPrefix(got, []byte("SIZE 100 mm,150 mm\r\n")) || !bytes.HasSuffix(got, []byte("PRINT 1,1\r\n")) {
		t.Errorf("waybill must start with SIZE 100 mm,150 mm and end with PRINT: %q", got)
	}
	// 收 in GB2312 is CA D5, 寄 BC C4, ￥ A3 A4; no UTF-8 may remain.
	for _, want := range [][]byte{{0xca, 0xd5, ' ', 0xc0, 0xee}, {0xbc, 0xc4}, {0xa3, 0xa4, '1', '2', '.', '3', '0'}} {
		if !bytes.Contains(got, want) {
			t.Errorf("waybill lacks GB18030 bytes % x", want)
		}
	}
	if bytes.Contains(got, []byte("收")) {
		t.Error("Chinese sent as UTF-8, not GB18030")
	}
	text := utf8(got)
	for _, secret := range printertest.WaybillSecrets {
		if strings.Contains(text, secret) || bytes.Contains(got, []byte(secret)) {
			t.Errorf("waybill shows %q", secret)
		}
	}
	for _, want := range []string{
		`TEXT 20,306,"TSS24.BF2",0,2,2,"收 李**  139****0001"`,
		`"寄 张**  138****5678"`,
		`BARCODE 165,156,"128",96,1,0,3,3,"YZ123456785CN"`,
		`"物品 衣服 2 件 ^~_\["]"`,
		"BAR 20,146,759,3",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("waybill lacks %q:\n%s", want, text)
		}
	}
}

func TestWaybillLabelRefused(t *testing.T) {
	if _, err := NewLayout(printer.Config{}).WaybillLabel(printertest.Waybill); err == nil || !strings.Contains(err.Error(), "label stock too small") {
		t.Errorf("waybill on shelf stock: error = %v", err)
	}
}
