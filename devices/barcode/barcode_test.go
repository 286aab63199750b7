package barcode

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/clock"
)

var aimCases = []struct {
	name, in string
	ok       bool
	sym      Symbology
	gs1      bool
	rest     string
}{
	{"gs1-128", "]C10012345", true, SymGS1128, true, "0012345"},
	{"code128", "]C0ABC", true, SymCode128, false, "ABC"},
	{"ean13", "]E04006381333931", true, SymEAN13, false, "4006381333931"},
	{"ean8", "]E496385074", true, SymEAN8, false, "96385074"},
	{"qr", "]Q1hello", true, SymQR, false, "hello"},
	{"gs1 qr", "]Q301095011015300031", true, SymGS1QR, true, "01095011015300031"},
	{"datamatrix", "]d1x", true, SymDataMatrix, false, "x"},
	{"gs1 datamatrix", "]d201", true, SymGS1DataMatrix, true, "01"},
	{"databar", "]e00109501101530003", true, SymGS1DataBar, true, "0109501101530003"},
	{"code39", "]A0ABC", true, SymCode39, false, "ABC"},
	{"itf", "]I0123", true, SymITF, false, "123"},
	{"pdf417", "]L2x", true, SymPDF417, false, "x"},
	{"aztec", "]z0x", true, SymAztec, false, "x"},
	{"hanxin", "]h0x", true, SymHanXin, false, "x"},
	{"empty rest", "]C1", true, SymGS1128, true, ""},
	{"no bracket", "C1abc", false, "", false, "C1abc"},
	{"unknown letter", "]W1abc", false, "", false, "]W1abc"},
	{"bad modifier", "]C#abc", false, "", false, "]C#abc"},
	{"too short", "]C", false, "", false, "]C"},
	{"empty", "", false, "", false, ""},
}

func TestParseAIM(t *testing.T) {
	for _, tc := range aimCases {
		t.Run(tc.name, func(t *testing.T) {
			id, rest, ok := ParseAIM(tc.in)
			if ok != tc.ok || rest != tc.rest || id.Symbology != tc.sym || id.GS1 != tc.gs1 {
				t.Fatalf("ParseAIM(%q) = %+v, %q, %v; want sym %q gs1 %v rest %q ok %v",
					tc.in, id, rest, ok, tc.sym, tc.gs1, tc.rest, tc.ok)
			}
			if ok && id.ID != tc.in[:3] {
				t.Fatalf("ID = %q", id.ID)
			}
		})
	}
}

func FuzzParseAIM(f *testing.F) {
	for _, tc := range aimCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, rest, ok := ParseAIM(s)
		if !ok {
			if rest != s {
				t.Fatalf("not ok but rest changed")
			}
			return
		}
		if id.ID+rest != s || len(id.ID) != 3 {
			t.Fatalf("ID %q + rest %q != %q", id.ID, rest, s)
		}
	})
}

const gs = "\x1d"

var gs1Cases = []struct {
	name, in string
	want     string // FormatGS1 of the result
	err      *Error
}{
	{"sscc", "00106141411234567897", "(00)106141411234567897", nil},
	{"sscc with aim", "]C100106141411234567897", "(00)106141411234567897", nil},
	{"leading fnc1 as gs", gs + "00106141411234567897", "(00)106141411234567897", nil},
	{"gtin expiry lot", "0109501101530003172512311" + "0ABC123", "(01)09501101530003(17)251231(10)ABC123", nil},
	{"lot then serial with gs", "0109501101530003" + "10LOT7" + gs + "21SER9", "(01)09501101530003(10)LOT7(21)SER9", nil},
	{"gs after fixed tolerated", "0109501101530003" + gs + "17251200", "(01)09501101530003(17)251200", nil},
	{"ship to post", "420200000" + gs + "00106141411234567897", "(420)200000(00)106141411234567897", nil},
	{"ship to post with country", "421156200000" + gs + "00106141411234567897", "(421)156200000(00)106141411234567897", nil},
	{"hri form", "(01)09501101530003(17)251231(10)ABC", "(01)09501101530003(17)251231(10)ABC", nil},
	{"measure", "01095011015300033103000750", "(01)09501101530003(3103)000750", nil},
	{"gln", "4140614141000012", "(414)0614141000012", nil},
	{"bad sscc check", "00106141411234567898", "", ErrMisread},
	{"bad gtin check", "0109501101530004", "", ErrMisread},
	{"missing gs lot too long", "10ABCDEFGHIJKLMNOPQRSTU21X", "", ErrGS1},
	{"short fixed", "0010614141", "", ErrGS1},
	{"unknown ai", "23123", "", ErrGS1UnknownAI},
	{"bad date", "0109501101530003171399", "", ErrGS1},
	{"non numeric sscc", "00A06141411234567897", "", ErrGS1},
	{"garbled charset", "10AB#CD", "", ErrGS1},
	{"empty value", "10" + gs + "21X", "", ErrGS1},
	{"empty", "", "", ErrGS1},
	{"only fnc1", gs, "", ErrGS1},
	{"non gs1 aim", "]E04006381333931", "", ErrGS1},
	{"421 without country", "421AB", "", ErrGS1},
	{"hri unclosed", "(01", "", ErrGS1},
	{"hri bad length", "(01)123", "", ErrGS1},
}

func TestParseGS1(t *testing.T) {
	for _, tc := range gs1Cases {
		t.Run(tc.name, func(t *testing.T) {
			els, err := ParseGS1(tc.in)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("ParseGS1(%q) err = %v, want %s", tc.in, err, tc.err.Code)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseGS1(%q): %v", tc.in, err)
			}
			if got := FormatGS1(els); got != tc.want {
				t.Fatalf("ParseGS1(%q) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzParseGS1(f *testing.F) {
	for _, tc := range gs1Cases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		els, err := ParseGS1(s)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == "" {
				t.Fatalf("error %v is not a coded *Error", err)
			}
			return
		}
		// Whatever parsed must parse again from its HRI form to the same,
		// unless a value holds '(' which that form cannot carry.
		for _, e := range els {
			if strings.Contains(e.Value, "(") {
				return
			}
		}
		again, err := ParseGS1(FormatGS1(els))
		if err != nil || !reflect.DeepEqual(again, els) {
			t.Fatalf("round trip of %q: %v, %v vs %v", s, err, again, els)
		}
	})
}

func TestCheckDigits(t *testing.T) {
	for _, tc := range []struct {
		name string
		fn   func(string) bool
		in   string
		want bool
	}{
		{"ean13", ValidGTIN, "4006381333931", true},
		{"ean13 bad", ValidGTIN, "4006381333932", false},
		{"gtin14", ValidGTIN, "09501101530003", true},
		{"gtin8", ValidGTIN, "96385074", true},
		{"gtin wrong length", ValidGTIN, "123", false},
		{"sscc", ValidSSCC, "106141411234567897", true},
		{"sscc bad", ValidSSCC, "106141411234567891", false},
		{"sscc letters", ValidSSCC, "10614141123456789X", false},
		{"sscc 17", ValidSSCC, "10614141123456789", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.fn(tc.in); got != tc.want {
				t.Fatalf("%s(%q) = %v", tc.name, tc.in, got)
			}
		})
	}
}

func TestS10(t *testing.T) {
	for _, tc := range []struct {
		in  string
		err *Error
	}{
		{"RB123456785GB", nil},
		{"EE000000005CN", nil}, // r=0 → 5
		{"RR000040000CN", nil}, // r=1 → 0
		{"CP200000006DE", nil}, // 11-r
		{"RB123456784GB", ErrMisread},
		{"RB123456785QQ", ErrBadCountry},
		{"RB12345678GB", ErrMisread},
		{"rb123456785GB", ErrMisread},
	} {
		t.Run(tc.in, func(t *testing.T) {
			err := ValidateS10(tc.in)
			if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("ValidateS10(%q) = %v, want %v", tc.in, err, tc.err)
			}
		})
	}
	if n := len(countries); n != 249 {
		t.Fatalf("%d ISO 3166 codes, want 249", n)
	}
}

func TestDetectCarriers(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SF1234567890123", "SF"},
		{"73123456789012", "ZTO"},
		{"78123456789012", "ZTO"},
		{"YT1234567890123", "YTO"},
		{"77123456789012", "STO"},
		{"431234567890123", "STO,YUNDA"}, // 43… at 15 digits: overlap
		{"3112345678901", "YUNDA"},
		{"JDVA12345678901", "JD"},
		{"JDVA12345678901-1-1-", "JD"},
		{"JT1234567890123", "JT"},
		{"DPK123456789012", "DEPPON"},
		{"EA123456785CN", "EMS"},
		{"RR123456785CN", "CHINAPOST"},
		{"sf1234567890123", "SF"},
		{"HELLO", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var got []string
			for _, c := range DetectCarriers(tc.in, nil) {
				got = append(got, c.Carrier)
			}
			if s := strings.Join(got, ","); s != tc.want {
				t.Fatalf("DetectCarriers(%q) = %s, want %s", tc.in, s, tc.want)
			}
		})
	}
}

func TestCheckNoise(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		sym  Symbology
		err  *Error
	}{
		{"plain", "SF1234567890123", "", nil},
		{"gs1 gs", "10A" + gs + "21B", SymGS1128, nil},
		{"chinese utf8", "取件码3-2-9903", SymQR, nil},
		{"newline in qr", "a\nb", SymQR, nil},
		{"newline in 1d", "a\nb", "", ErrControl},
		{"nul", "a\x00b", "", ErrControl},
		{"bell", "\x07", "", ErrControl},
		{"del", "a\x7f", "", ErrControl},
		{"stx inside", "a\x02b", "", ErrFraming},
		{"binary", "\xff\xfe\x00", "", ErrBinary},
		{"c1", "a\u0085", "", ErrBinary},
		{"empty", "", "", ErrEmpty},
		{"spaces", "   ", "", ErrEmpty},
		{"overlong", strings.Repeat("1", DefaultMaxLen+1), "", ErrOverlong},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckNoise([]byte(tc.in), tc.sym, 0)
			if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
				t.Fatalf("CheckNoise(%q) = %v, want %v", tc.in, err, tc.err)
			}
		})
	}
}

var validateCases = []struct {
	name, text, aim string
	kind            Kind
	err             *Error
	flags           string
	waybill         string
}{
	{"s10", "RB123456785GB", "", KindS10, nil, "", "RB123456785GB"},
	{"s10 bad check", "RB123456784GB", "", "", ErrMisread, "", ""},
	{"s10 bad country", "RB123456785QQ", "", "", ErrBadCountry, "", ""},
	{"sscc gs1-128", "00106141411234567897", "]C1", KindSSCC, nil, "", "106141411234567897"},
	{"sscc bad check", "00106141411234567890", "]C1", "", ErrMisread, "", ""},
	{"sscc no aim", "00106141411234567897", "", KindSSCC, nil, "", "106141411234567897"},
	{"sscc no aim bad", "00106141411234567890", "", "", ErrMisread, "", ""},
	{"gs1 420", "420200000" + gs + "00106141411234567897", "]C1", KindSSCC, nil, "", "106141411234567897"},
	{"gs1 product", "0109501101530003", "]d2", KindGS1, nil, "product_code", ""},
	{"ean13", "4006381333931", "]E0", KindGTIN, nil, "product_code", ""},
	{"ean13 bad", "4006381333932", "]E0", "", ErrMisread, "", ""},
	{"zto", "73123456789012", "]C0", KindCarrier, nil, "", "73123456789012"},
	{"overlap", "431234567890123", "", KindCarrier, nil, "ambiguous_carrier", "431234567890123"},
	{"unknown", "XYZ-42", "", KindUnknown, nil, "unknown_format", "XYZ-42"},
	{"trimmed", " SF1234567890123 ", "", KindCarrier, nil, "", "SF1234567890123"},
	{"noise", "\x00\x01", "", "", ErrControl, "", ""},
	{"bad aim", "123", "]W9", "", ErrFraming, "", ""},
	{"qr url", "https://example.com/p?id=1", "]Q1", KindUnknown, nil, "unknown_format", "https://example.com/p?id=1"},
}

func TestValidate(t *testing.T) {
	for _, tc := range validateCases {
		t.Run(tc.name, func(t *testing.T) {
			r := Validate(tc.text, tc.aim)
			if tc.err != nil {
				if !errors.Is(r.Err, tc.err) {
					t.Fatalf("Validate(%q,%q).Err = %v, want %s", tc.text, tc.aim, r.Err, tc.err.Code)
				}
				return
			}
			if r.Err != nil {
				t.Fatalf("Validate(%q,%q): %v", tc.text, tc.aim, r.Err)
			}
			if r.Kind != tc.kind || strings.Join(r.Flags, ",") != tc.flags || r.Waybill != tc.waybill {
				t.Fatalf("Validate(%q,%q) = kind %s flags %v waybill %q", tc.text, tc.aim, r.Kind, r.Flags, r.Waybill)
			}
		})
	}
}

func TestClassifyStripsAIM(t *testing.T) {
	r := Classify("]C100106141411234567897")
	if r.Err != nil || r.Kind != KindSSCC || r.AIM != "]C1" || r.Symbology != SymGS1128 {
		t.Fatalf("Classify = %+v", r)
	}
}

func TestErrorMessage(t *testing.T) {
	if got := ErrMisread.Error(); got != "条码校验位错误 (check digit wrong: misread, scan again)" {
		t.Fatalf("message %q", got)
	}
	err := ValidateS10("RB123456784GB")
	if !strings.HasPrefix(err.Error(), "条码校验位错误 (") || !strings.Contains(err.Error(), "expected 5") {
		t.Fatalf("message %q", err)
	}
}

func FuzzValidate(f *testing.F) {
	for _, tc := range validateCases {
		f.Add(tc.text, tc.aim)
	}
	f.Fuzz(func(t *testing.T, text, aim string) {
		r := Validate(text, aim)
		if r.Err == nil && CheckNoise([]byte(text), r.Symbology, 0) != nil {
			t.Fatalf("accepted noise %q", text)
		}
		if r.Err == nil && r.Kind == "" {
			t.Fatalf("accepted without a kind")
		}
	})
}

func TestDebouncer(t *testing.T) {
	clk := clock.NewManual(time.Unix(1000, 0))
	d := NewDebouncer(2*time.Second, clk)
	steps := []struct {
		advance       time.Duration
		scanner, code string
		dup           bool
	}{
		{0, "s1", "A", false},
		{time.Second, "s1", "A", true},             // within window
		{0, "s2", "A", false},                      // other scanner
		{0, "s1", "B", false},                      // other code
		{1500 * time.Millisecond, "s1", "A", true}, // window slides from the last read
		{2 * time.Second, "s1", "A", false},        // out of sight a whole window
		{-time.Hour, "s1", "A", false},             // clock set back: never drop
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		if got := d.Duplicate(s.scanner, s.code); got != s.dup {
			t.Fatalf("step %d (%s %s): Duplicate = %v, want %v", i, s.scanner, s.code, got, s.dup)
		}
	}
}
