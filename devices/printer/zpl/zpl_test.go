package zpl

import (
	"bytes"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/code128"
	"github.com/yizhan/yizhan/devices/printer/internal/printertest"
)

func TestTemplatesGolden(t *testing.T) {
	l := NewLayout(printer.Config{})
	render := map[string]func() ([]byte, error){
		"shelf_label.zpl":       func() ([]byte, error) { return l.ShelfLabel(printertest.Shelf) },
		"exception_tag.zpl":     func() ([]byte, error) { return l.ExceptionTag(printertest.Exception) },
		"complaint_receipt.zpl": func() ([]byte, error) { return l.ComplaintReceipt(printertest.Complaint) },
	}
	for name, fn := range render {
		t.Run(name, func(t *testing.T) {
			got, err := fn()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte("^XA\n^CI28\n")) || !bytes.HasSuffix(got, []byte("^XZ\n")) {
				t.Errorf("label must start with ^XA^CI28 and end with ^XZ: %q", got)
			}
			if bytes.Contains(got, []byte("13812345678")) {
				t.Errorf("full phone number printed")
			}
			printertest.Golden(t, name, got)
		})
	}
}

func TestShelfLabelContent(t *testing.T) {
	got, err := NewLayout(printer.Config{}).ShelfLabel(printertest.Shelf)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"^FD3-2-9903^FS", "138****5678", "^BCN,70,Y,N,N^FD>:YT7>5412345678901^FS", "2026-03-04", "^A@N,96,96,E:SIMSUN.FNT"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("shelf label lacks %q", want)
		}
	}
}

func TestFieldEscapes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain 中文", "^FDplain 中文"},
		{"a^b~c_d", "^FH_^FDa_5Eb_7Ec_5Fd"},
		{"ctl\x1b\x00x", "^FDctlx"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := field(tc.in); got != tc.want {
				t.Errorf("field(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestBarcodeInvocation checks the code sets reach the printer as ZPL
// invocation codes, with a ">" in the data escaped.
func TestBarcodeInvocation(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SF1234567890123", ">:SF1>5234567890123"},
		{"123456", ">;123456"},
		{"RB123456785GB", ">:RB1>523456785>6GB"},
		{"A>B", ">:A><B"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			m, err := printer.ShelfLabel{PickupCode: "1", Waybill: tc.in}.Label(Defaults(printer.Config{}), Font(Defaults(printer.Config{})))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(Render(m)); !strings.Contains(got, "^BCN,70,Y,N,N^FD"+tc.want+"^FS") {
				t.Errorf("barcode field for %q not %q in\n%s", tc.in, tc.want, got)
			}
		})
	}
}

func TestRequiredFields(t *testing.T) {
	l := NewLayout(printer.Config{})
	if _, err := l.ShelfLabel(printer.ShelfLabel{}); err == nil {
		t.Error("empty shelf label rendered")
	}
	if _, err := l.ExceptionTag(printer.ExceptionTag{}); err == nil {
		t.Error("empty exception tag rendered")
	}
	if _, err := l.ComplaintReceipt(printer.ComplaintReceipt{}); err == nil {
		t.Error("empty receipt rendered")
	}
}

// hs builds a ~HS answer with the given flags.
func hs(paperOut, pause, headUp, ribbonOut string) string {
	return "\x02030," + paperOut + "," + pause + ",1245,000,0,0,0,000,0,0,0\x03\r\n" +
		"\x02000,0," + headUp + "," + ribbonOut + ",0,2,4,0,00000000,1,000\x03\r\n" +
		"\x021234,0\x03\r\n"
}

var statusCases = []struct {
	name string
	in   string
	want []printer.Condition
	err  bool
}{
	{"ready", hs("0", "0", "0", "0"), []printer.Condition{printer.OK}, false},
	{"paper out and paused", hs("1", "1", "0", "0"), []printer.Condition{printer.PaperOut, printer.Paused}, false},
	{"head open", hs("0", "0", "1", "0"), []printer.Condition{printer.HeadOpen}, false},
	{"ribbon out", hs("0", "0", "0", "1"), []printer.Condition{printer.RibbonOut}, false},
	{"paused", hs("0", "1", "0", "0"), []printer.Condition{printer.Paused}, false},
	{"noise before", "\r\n\x00junk" + hs("1", "0", "0", "0"), []printer.Condition{printer.PaperOut}, false},
	{"over temperature", "\x02030,0,0,1245,000,0,0,0,000,0,0,1\x03\r\n\x02000,0,0,0,0,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n", []printer.Condition{printer.Fault}, false},
	{"cut frame then whole", "\x02030,1,0\x02" + hs("0", "1", "0", "0"), []printer.Condition{printer.Paused}, false},
	{"bad flag", hs("x", "0", "0", "0"), nil, true},
	{"too few fields", "\x02a\x03\x02b\x03\x02c\x03", nil, true},
}

func TestParseHostStatus(t *testing.T) {
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseReport([]byte(tc.in))
			if tc.err {
				if err == nil || errors.Is(err, printer.ErrIncomplete) {
					t.Fatalf("want a parse error, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Conditions, tc.want) {
				t.Errorf("conditions = %v, want %v", r.Conditions, tc.want)
			}
		})
	}
}

// TestParseSplit feeds every answer in two pieces, as a socket may deliver
// it: the first piece alone must be incomplete (or already whole), and the
// two together must give the same result as the whole answer.
func TestParseSplit(t *testing.T) {
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			whole, werr := ParseReport([]byte(tc.in))
			for i := 0; i <= len(tc.in); i++ {
				first, err := ParseReport([]byte(tc.in[:i]))
				if err == nil && !reflect.DeepEqual(first.Conditions, whole.Conditions) {
					t.Fatalf("split %d: prefix parsed as %v, whole as %v", i, first.Conditions, whole.Conditions)
				}
				if err != nil && !errors.Is(err, printer.ErrIncomplete) && werr == nil {
					t.Fatalf("split %d: prefix gave %v", i, err)
				}
				buf := append([]byte(tc.in[:i]), tc.in[i:]...)
				got, err := ParseReport(buf)
				if (err != nil) != (werr != nil) || !reflect.DeepEqual(got.Conditions, whole.Conditions) {
					t.Fatalf("split %d: got %v, %v; want %v, %v", i, got.Conditions, err, whole.Conditions, werr)
				}
			}
		})
	}
}

func TestParseConsumed(t *testing.T) {
	in := hs("0", "0", "0", "0") + "rest"
	_, n, err := ParseHostStatus([]byte(in))
	if err != nil || in[n:] != "rest" {
		t.Fatalf("consumed %d (%v), left %q", n, err, in[n:])
	}
}

func FuzzParseHostStatus(f *testing.F) {
	for _, tc := range statusCases {
		f.Add([]byte(tc.in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseHostStatus(b)
		if n < 0 || n > len(b) {
			t.Fatalf("consumed %d of %d bytes", n, len(b))
		}
		if err != nil {
			return
		}
		// A parsed answer parses the same when it arrives in two pieces.
		for _, i := range []int{0, len(b) / 2, len(b)} {
			again, _, err := ParseHostStatus(append(b[:i:i], b[i:]...))
			if err != nil || again != h {
				t.Fatalf("split at %d changed the result", i)
			}
		}
		if r := h.Report(); len(r.Conditions) == 0 {
			t.Fatal("report without conditions")
		}
	})
}

// TestWaybillLabel renders the waybill on 100×150 mm stock: golden bytes,
// UTF-8 Chinese after ^CI28, no full name or phone number, and a barcode
// field whose code sets spell the number.
func TestWaybillLabel(t *testing.T) {
	got, err := NewLayout(printertest.WaybillStock).WaybillLabel(printertest.Waybill)
	if err != nil {
		t.Fatal(err)
	}
	printertest.Golden(t, "waybill_label.zpl", got)
	if !bytes.HasPrefix(got, []byte("^XA\n^CI28\n^PW799\n^LL1199\n")) || !bytes.HasSuffix(got, []byte("^XZ\n")) {
		t.Errorf("waybill must start with ^XA^CI28 and the 100×150 mm size, end with ^XZ: %q", got)
	}
	for _, secret := range printertest.WaybillSecrets {
		if bytes.Contains(got, []byte(secret)) {
			t.Errorf("waybill shows %q", secret)
		}
	}
	for _, want := range []string{
		"^FD收 李**  139****0001^FS", // UTF-8 as is
		"^FD寄 张**  138****5678^FS",
		"电话139****0001",
		"^FD重量 1.250 kg  运费 ￥12.30^FS",
		"^FH_^FD物品 衣服 2 件 _5E_7E_5F\"^FS",
		"^GB759,3,3^FS",
	} {
		if !strings.Contains(string(got), want) {
			t.Errorf("waybill lacks %q", want)
		}
	}
	m := regexp.MustCompile(`\^BCN,\d+,Y,N,N\^FD(.*)\^FS`).FindSubmatch(got)
	if m == nil {
		t.Fatal("no ^BC field")
	}
	if got := decodeInvocation(t, string(m[1])); got != printertest.Waybill.Number {
		t.Errorf("barcode field decodes to %q, want %q", got, printertest.Waybill.Number)
	}
}

// decodeInvocation reads ZPL invocation codes back into code sets, builds
// the bars those sets give, and decodes the bars.
func decodeInvocation(t *testing.T, field string) string {
	t.Helper()
	var segs []code128.Segment
	for i := 0; i < len(field); {
		if !strings.HasPrefix(field[i:], ">") || i+1 >= len(field) {
			t.Fatalf("field %q: no invocation code at %d", field, i)
		}
		set := code128.Set('B')
		if c := field[i+1]; c == ';' || c == '5' {
			set = 'C'
		}
		i += 2
		var text strings.Builder
		for i < len(field) && (field[i] != '>' || strings.HasPrefix(field[i:], "><")) {
			if strings.HasPrefix(field[i:], "><") {
				i++
			}
			text.WriteByte(field[i])
			i++
		}
		segs = append(segs, code128.Segment{Set: set, Text: text.String()})
	}
	var text strings.Builder
	for _, s := range segs {
		text.WriteString(s.Text)
	}
	sym, err := code128.Encode(text.String())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sym.Segments, segs) {
		t.Fatalf("field sets %v, encoder sets %v", segs, sym.Segments)
	}
	s, err := code128.Decode(sym.Pattern())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWaybillLabelRefused(t *testing.T) {
	// The driver default is 60×40 mm shelf stock: a waybill is refused.
	if _, err := NewLayout(printer.Config{}).WaybillLabel(printertest.Waybill); err == nil || !strings.Contains(err.Error(), "标签纸太小") {
		t.Errorf("waybill on shelf stock: error = %v", err)
	}
}
