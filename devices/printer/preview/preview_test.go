package preview

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/code128"
	"github.com/yizhan/yizhan/devices/printer/internal/printertest"
)

var docs = []struct {
	name    string
	doc     Document
	barcode string
}{
	{"shelf_label", printertest.Shelf, printertest.Shelf.Waybill},
	{"exception_tag", printertest.Exception, printertest.Exception.Waybill},
	{"complaint_receipt", printertest.Complaint, ""}, // on a label it has no barcode
}

// TestGolden draws every template for every printer language and checks
// the SVG is well-formed, never shows the full phone number, shows the
// Chinese text, and carries bars that decode to the document's data.
func TestGolden(t *testing.T) {
	for _, drv := range []string{"zpl", "tspl", "escpos"} {
		for _, d := range docs {
			name := d.name + "." + drv + ".svg"
			t.Run(name, func(t *testing.T) {
				got, err := Render(printer.Config{Driver: drv}, d.doc)
				if err != nil {
					t.Fatal(err)
				}
				texts := wellFormed(t, got)
				all := strings.Join(texts, "\n")
				if bytes.Contains(got, []byte(printertest.Shelf.Phone)) {
					t.Error("full phone number in the preview")
				}
				for _, want := range chinese[d.name] {
					if !strings.Contains(all, want) {
						t.Errorf("preview lacks %q", want)
					}
				}
				want := d.barcode
				if drv == "escpos" && d.name == "complaint_receipt" {
					want = printertest.Complaint.Ticket
				}
				if got := bars(t, got); got != want {
					t.Errorf("bars decode to %q, want %q", got, want)
				}
				printertest.Golden(t, name, got)
			})
		}
	}
}

var chinese = map[string][]string{
	"shelf_label":       {"3-2-9903", "手机 138****5678", "日期 2026-03-04"},
	"exception_tag":     {"异常 破损", "张伟", "外箱破损^内物完好~\"已拍照\""},
	"complaint_receipt": {"投诉受理回执", "上海徐汇漕溪路驿站", "快递延误三天"},
}

// wellFormed parses the SVG with encoding/xml and returns its text nodes.
func wellFormed(t *testing.T, b []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var texts []string
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, b)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Space + " " + tok.Name.Local
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(tok)); s != "" {
				texts = append(texts, s)
			}
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Fatalf("root element is %q, want svg in the SVG namespace", root)
	}
	return texts
}

var barRE = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v`)

// bars reads the barcode path back into modules and decodes it; "" if the
// drawing has no barcode.
func bars(t *testing.T, svg []byte) string {
	t.Helper()
	m := barRE.FindAllSubmatch(svg, -1)
	if len(m) == 0 {
		return ""
	}
	atoi := func(b []byte) int { n, _ := strconv.Atoi(string(b)); return n }
	// The narrowest element is one module: Code 128 always has one.
	module := 1 << 30
	for _, b := range m {
		module = min(module, atoi(b[3]))
	}
	var pat strings.Builder
	end := atoi(m[0][1])
	for _, b := range m {
		x, w := atoi(b[1]), atoi(b[3])
		pat.WriteString(strings.Repeat("0", (x-end)/module))
		pat.WriteString(strings.Repeat("1", w/module))
		end = x + w
	}
	s, err := code128.Decode(pat.String())
	if err != nil {
		t.Fatalf("drawn bars do not decode: %v", err)
	}
	return s
}

func TestFromQuery(t *testing.T) {
	tests := []struct {
		name  string
		query string
		err   string // part of the error; "" means success
		want  string // text the SVG must contain
	}{
		{"shelf", "template=shelf&pickup_code=3-2-9903&phone=13812345678&waybill=SF1234567890123&date=2026-03-04", "", "138****5678"},
		{"exception", "template=exception&waybill=RB123456785GB&kind=damaged&reporter=%E5%BC%A0%E4%BC%9F", "", "破损 damaged"},
		{"complaint", "template=complaint&ticket=TS-1&outlet=%E9%A9%BF%E7%AB%99&text=hello&received=2026-03-04+10:30", "", "2026-03-05 10:30"},
		{"unknown template", "template=poster", "未知的模板", ""},
		{"no template", "", "unknown template", ""},
		{"missing waybill", "template=shelf&pickup_code=1-1-1", "缺少取件码、运单号 / shelf label", ""},
		{"bad date", "template=shelf&pickup_code=1&waybill=SF1&date=tomorrow", "日期格式错误", ""},
		{"chinese waybill", "template=shelf&pickup_code=1&waybill=%E9%A1%BA%E4%B8%B0", "运单号不能印成条码", ""},
		{"waybill", "template=waybill&number=YZ123456785CN&recipient_name=%E6%9D%8E%E5%B0%8F%E6%98%8E&recipient_phone=13812345678&recipient_address=%E5%8C%97%E4%BA%AC&weight_g=1250&price_fen=1230", "", "收 李**  138****5678"},
		{"waybill weight", "template=waybill&number=YZ1&recipient_name=a&recipient_phone=1&recipient_address=b&weight_g=1.2kg", "weight_g is not a whole number", ""},
		{"waybill missing", "template=waybill&number=YZ1", "waybill label: recipient_name, recipient_phone, recipient_address, weight required", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			cfg := printer.Config{}
			if q.Get("template") == "waybill" {
				cfg = printertest.WaybillStock
			}
			got, err := FromQuery(cfg, q, printertest.Day)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(wellFormed(t, got), "\n"), tc.want) {
				t.Errorf("preview lacks %q", tc.want)
			}
			if strings.Contains(string(got), "13812345678") {
				t.Error("full phone number in the preview")
			}
		})
	}
}

func TestUnknownDriver(t *testing.T) {
	if _, err := ShelfLabel(printer.Config{Driver: "epl"}, printertest.Shelf); err == nil || !strings.Contains(err.Error(), "unknown printer driver") {
		t.Errorf("error = %v", err)
	}
}

// FuzzFromQuery checks no parameters make a preview that is not XML or
// that shows a full phone number.
func FuzzFromQuery(f *testing.F) {
	f.Add("shelf", "3-2-9903", "13812345678", "SF1234567890123")
	f.Add("exception", "<&>", "+86 138-1234-5678", "A>B{C")
	f.Fuzz(func(t *testing.T, tmpl, code, phone, waybill string) {
		q := url.Values{"template": {tmpl}, "pickup_code": {code}, "phone": {phone}, "waybill": {waybill}, "kind": {code}, "note": {code}, "ticket": {waybill}}
		got, err := FromQuery(printer.Config{}, q, printertest.Day)
		if err != nil {
			return
		}
		wellFormed(t, got)
		digits := regexp.MustCompile(`\D`).ReplaceAllString(phone, "")
		if len(digits) >= 11 && !strings.Contains(code+waybill, digits) && bytes.Contains(got, []byte(digits)) {
			t.Fatalf("full phone number %s in the preview", digits)
		}
	})
}

// TestWaybillLabel draws the waybill on 100×150 mm stock for both label
// languages: well-formed SVG, masked names and phones and never the full
// ones, the recipient address in full, and bars that decode to the number.
func TestWaybillLabel(t *testing.T) {
	for _, drv := range []string{"zpl", "tspl"} {
		name := "waybill_label." + drv + ".svg"
		t.Run(name, func(t *testing.T) {
			cfg := printertest.WaybillStock
			cfg.Driver = drv
			got, err := WaybillLabel(cfg, printertest.Waybill)
			if err != nil {
				t.Fatal(err)
			}
			printertest.Golden(t, name, got)
			all := strings.Join(wellFormed(t, got), "\n")
			for _, secret := range printertest.WaybillSecrets {
				if bytes.Contains(got, []byte(secret)) {
					t.Errorf("preview shows %q", secret)
				}
			}
			for _, want := range []string{"YZ123456785CN", "010 海淀", "收 李**  139****0001", "寄 张**  138****5678",
				"北京市海淀区中关村大街 27 号中关村大厦 12 层 1208", "室，放前台，电话139****0001",
				"重量 1.250 kg  运费 ￥12.30", "保价 ￥2000.00", "物品 衣服 2 件 ^~_\"", "网点 SH-XH-0001  收寄 2026-03-04 10:30"} {
				if !strings.Contains(all, want) {
					t.Errorf("preview lacks %q", want)
				}
			}
			if !strings.Contains(string(got), `<rect x="20" y="146" width="759" height="3"/>`) {
				t.Error("preview lacks the rule under the destination")
			}
			if got := bars(t, got); got != printertest.Waybill.Number {
				t.Errorf("bars decode to %q, want %q", got, printertest.Waybill.Number)
			}
		})
	}
}

func TestWaybillLabelRefused(t *testing.T) {
	tests := []struct {
		name string
		cfg  printer.Config
		want string
	}{
		{"receipt printer", printer.Config{Driver: "escpos"}, "not supported on receipt printers"},
		{"zpl shelf stock", printer.Config{}, "标签纸太小"},
		{"tspl shelf stock", printer.Config{Driver: "tspl", WidthMM: 60, HeightMM: 40}, "configure a 100×150 mm printer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := WaybillLabel(tc.cfg, printertest.Waybill); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
