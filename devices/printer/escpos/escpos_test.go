package escpos

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/internal/printertest"
)

func TestTemplatesGolden(t *testing.T) {
	l := NewLayout(printer.Config{})
	render := map[string]func() ([]byte, error){
		"complaint_receipt.escpos": func() ([]byte, error) { return l.ComplaintReceipt(printertest.Complaint) },
		"shelf_label.escpos":       func() ([]byte, error) { return l.ShelfLabel(printertest.Shelf) },
		"exception_tag.escpos":     func() ([]byte, error) { return l.ExceptionTag(printertest.Exception) },
	}
	for name, fn := range render {
		t.Run(name, func(t *testing.T) {
			got, err := fn()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte{0x1b, '@', 0x1c, '&'}) || !bytes.HasSuffix(got, cmdFeedCut) {
				t.Errorf("receipt must start with ESC @ FS & and end with a cut: %q", got)
			}
			if bytes.Contains(got, []byte("13812345678")) {
				t.Errorf("full phone number printed")
			}
			printertest.Golden(t, name, got)
		})
	}
}

// The receipt says how to follow the complaint: the page's address with
// the ticket when head office's page is set, how to ask otherwise.
func TestReceiptProgress(t *testing.T) {
	link := "https://kefu.example.com/p?t=TS-20260304-0007"
	for _, tc := range []struct {
		page       string
		want, lack []string
	}{
		{link, []string{"进度", "凭单号和手机后四位查询进度", "enter the ticket"}, []string{"Quote the ticket"}},
		{"", []string{"凭单号和手机后四位查询进度", "Quote the ticket"}, []string{"https://", "进度 "}},
	} {
		r := printertest.Complaint
		r.Progress = tc.page
		got, err := NewLayout(printer.Config{}).ComplaintReceipt(r)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := simplifiedchinese.GB18030.NewDecoder().Bytes(got)
		if err != nil {
			t.Fatal(err)
		}
		text := string(bytes.ReplaceAll(raw, []byte("\n"), nil)) // the address wraps
		for _, w := range tc.want {
			if !strings.Contains(text, w) {
				t.Errorf("page %q: the receipt lacks %q", tc.page, w)
			}
		}
		if tc.page != "" && !strings.Contains(text, link) {
			t.Errorf("the receipt lacks the whole address %s", link)
		}
		for _, w := range tc.lack {
			if strings.Contains(text, w) {
				t.Errorf("page %q: the receipt prints %q", tc.page, w)
			}
		}
	}
}

func TestReceiptChinese(t *testing.T) {
	got, err := NewLayout(printer.Config{}).ComplaintReceipt(printertest.Complaint)
	if err != nil {
		t.Fatal(err)
	}
	text, err := simplifiedchinese.GB18030.NewDecoder().Bytes(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"投诉受理回执", "单号 Ticket: TS-20260304-0007", "网点 Outlet: 上海徐汇漕溪路驿站", "答复 Reply by: 2026-03-05 10:30", "快递延误三天"} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("receipt lacks %q", want)
		}
	}
	// No line may be wider than the paper.
	for _, line := range bytes.Split(text, []byte("\n")) {
		if c := printer.Cells(string(bytes.TrimLeft(line, "\x1b\x1c\x1d@&a!\x00\x01\x11"))); c > 32 {
			t.Errorf("line %q is %d cells wide", line, c)
		}
	}
}

var statusCases = []struct {
	name string
	in   []byte
	want []printer.Condition
	warn int
}{
	{"ready", []byte{0x12, 0x12, 0x12, 0x12}, []printer.Condition{printer.OK}, 0},
	{"paper end", []byte{0x1a, 0x32, 0x12, 0x72}, []printer.Condition{printer.PaperOut}, 0},
	{"near end", []byte{0x12, 0x12, 0x12, 0x1e}, []printer.Condition{printer.OK}, 1},
	{"cover open", []byte{0x1a, 0x16, 0x12, 0x12}, []printer.Condition{printer.HeadOpen}, 0},
	{"cutter jam", []byte{0x1a, 0x52, 0x1a, 0x12}, []printer.Condition{printer.Jam}, 1},
	{"head too hot", []byte{0x1a, 0x52, 0x52, 0x12}, []printer.Condition{printer.Fault}, 0},
	{"offline no cause", []byte{0x1a, 0x12, 0x12, 0x12}, []printer.Condition{printer.Paused}, 0},
}

func TestParseStatus(t *testing.T) {
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseReport(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Conditions, tc.want) || len(r.Warnings) != tc.warn {
				t.Errorf("got %v %v, want %v and %d warnings", r.Conditions, r.Warnings, tc.want, tc.warn)
			}
		})
	}
	for _, bad := range [][]byte{{0x00}, {0x12, 0xff}, []byte("OK\r\n")} {
		if _, err := ParseStatus(bad); err == nil || errors.Is(err, printer.ErrIncomplete) {
			t.Errorf("ParseStatus(%x) = %v, want a format error", bad, err)
		}
	}
}

func TestParseSplit(t *testing.T) {
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			whole, _ := ParseReport(tc.in)
			for i := 0; i <= len(tc.in); i++ {
				if _, err := ParseReport(tc.in[:i]); i < 4 && !errors.Is(err, printer.ErrIncomplete) {
					t.Fatalf("split %d: prefix gave %v, want incomplete", i, err)
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
		if err != nil {
			return
		}
		if len(b) < 4 {
			t.Fatalf("parsed %d bytes as a whole answer", len(b))
		}
		if r := s.Report(); len(r.Conditions) == 0 {
			t.Fatal("report without conditions")
		}
	})
}

// TestBarcodeData checks the code sets reach the printer as {B and {C, with
// digit pairs as byte values and "{" doubled.
func TestBarcodeData(t *testing.T) {
	tests := []struct {
		in   string
		want []byte
	}{
		{"SF1234567890123", append([]byte("{BSF1{C"), 23, 45, 67, 89, 1, 23)},
		{"123456", []byte{'{', 'C', 12, 34, 56}},
		{"a{b", []byte("{Ba{{b")},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			s, err := printer.ShelfLabel{PickupCode: "1", Waybill: tc.in}.Slip(Defaults(printer.Config{}))
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range s.Lines {
				if l.Barcode == nil {
					continue
				}
				got, err := barcodeData(l.Barcode)
				if err != nil || !bytes.Equal(got, tc.want) {
					t.Errorf("barcodeData(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				// 58 mm paper prints 384 dots; a wider barcode is not printed at all.
				if w := l.Barcode.Module * l.Barcode.Symbol.Modules(); w > s.Dots() {
					t.Errorf("barcode %d dots wide on %d-dot paper", w, s.Dots())
				}
			}
		})
	}
}

func TestWaybillLabelRefused(t *testing.T) {
	if _, err := NewLayout(printer.Config{}).WaybillLabel(printertest.Waybill); !errors.Is(err, printer.ErrLabelOnly) {
		t.Errorf("waybill on a receipt printer: error = %v, want printer.ErrLabelOnly", err)
	}
}
