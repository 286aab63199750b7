package printer

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var waybill = WaybillLabel{
	Number:      "YZ123456785CN",
	Date:        time.Date(2026, 3, 4, 10, 30, 0, 0, time.UTC),
	Sender:      Party{Name: "张建国", Phone: "13812345678", Address: "上海市徐汇区漕溪北路 88 号"},
	Recipient:   Party{Name: "李小明", Phone: "13900010001", Address: "北京市海淀区中关村大街 27 号中关村大厦 12 层 1208 室，电话13900010001"},
	Destination: "010 海淀",
	WeightG:     1250,
	PriceFen:    1230,
	InsuredFen:  200000,
	Items:       "衣服 2 件",
	Outlet:      "SH-XH-0001",
}

func TestMaskName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"张三丰", "张**"},
		{"张三", "张*"},
		{"张", "*"},
		{"欧阳娜娜", "欧***"},
		{" Li Lei ", "L*****"},
		{"", ""},
		{"张*", "张*"},
		{"李\x1b小明", "李**"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := MaskName(tc.in)
			if got != tc.want {
				t.Errorf("MaskName(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if MaskName(got) != got {
				t.Errorf("MaskName(%q) = %q, not stable", got, MaskName(got))
			}
		})
	}
}

func FuzzMaskName(f *testing.F) {
	for _, s := range []string{"张三丰", "欧阳娜娜", " Li Lei ", "", "*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := MaskName(s)
		if n := utf8.RuneCountInString(strings.ReplaceAll(got, "*", "")); n > 1 {
			t.Fatalf("MaskName(%q) = %q keeps %d characters", s, got, n)
		}
	})
}

func TestMaskDigitRuns(t *testing.T) {
	tests := []struct{ in, want string }{
		{"漕溪北路 88 号 1201 室", "漕溪北路 88 号 1201 室"},
		{"邮编 200030", "邮编 200030"},
		{"电话13900010001", "电话139****0001"},
		{"座机 02164871234 转 8", "座机 021****1234 转 8"},
		{"1234567", "*******"},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := maskDigitRuns(tc.in); got != tc.want {
				t.Errorf("maskDigitRuns(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestWaybillAmounts(t *testing.T) {
	tests := []struct {
		grams int
		fen   int64
		kg    string
		yuan  string
	}{
		{1250, 1230, "1.250 kg", "￥12.30"},
		{5, 5, "0.005 kg", "￥0.05"},
		{20000, 0, "20.000 kg", "￥0.00"},
		{999, 200000, "0.999 kg", "￥2000.00"},
	}
	for _, tc := range tests {
		t.Run(tc.kg, func(t *testing.T) {
			if got := Kilograms(tc.grams); got != tc.kg {
				t.Errorf("Kilograms(%d) = %q, want %q", tc.grams, got, tc.kg)
			}
			if got := Yuan(tc.fen); got != tc.yuan {
				t.Errorf("Yuan(%d) = %q, want %q", tc.fen, got, tc.yuan)
			}
		})
	}
}

// TestWaybillLayout lays the waybill out on every supported stock and
// resolution, with a scalable and a bitmap font, and checks everything is
// on the label, the masked values are there and the full ones are not.
func TestWaybillLayout(t *testing.T) {
	fonts := []Font{{Name: "E:SIMSUN.FNT"}, {Name: "TSS24.BF2", Cell: 24}}
	for _, size := range [][2]float64{{70, 100}, {76, 130}, {100, 150}} {
		for _, dpi := range []int{203, 300} {
			for _, f := range fonts {
				t.Run(fmt.Sprintf("%gx%g/%d/%s", size[0], size[1], dpi, f.Name), func(t *testing.T) {
					l, err := waybill.Label(Config{WidthMM: size[0], HeightMM: size[1], DPI: dpi}, f)
					if err != nil {
						t.Fatal(err)
					}
					var texts []string
					bars := 0
					for _, it := range l.Items {
						switch it := it.(type) {
						case Text:
							texts = append(texts, it.Text)
							if right := it.X + Cells(it.Text)*it.Height/2; right > l.Width() || it.Y+it.Height > l.Height() {
								t.Errorf("text %q ends at %d,%d, outside %dx%d", it.Text, right, it.Y+it.Height, l.Width(), l.Height())
							}
						case Barcode:
							bars++
							if it.Symbol.Text != waybill.Number {
								t.Errorf("barcode carries %q", it.Symbol.Text)
							}
							if quiet := 10 * it.Module; it.X < quiet || it.X+it.Symbol.Modules()*it.Module+quiet > l.Width() {
								t.Errorf("barcode at %d, %d modules of %d dots: no quiet zone in %d", it.X, it.Symbol.Modules(), it.Module, l.Width())
							}
						case Rule:
							if it.X+it.Width > l.Width() || it.Y+it.Thickness > l.Height() {
								t.Errorf("rule %+v outside the label", it)
							}
						}
					}
					if bars != 1 {
						t.Errorf("%d barcodes, want 1", bars)
					}
					all := strings.Join(texts, "\n")
					for _, want := range []string{"YZ123456785CN", "010 海淀", "收 李**  139****0001", "寄 张**  138****5678",
						"重量 1.250 kg  运费 ￥12.30", "保价 ￥2000.00", "物品 衣服 2 件", "网点 SH-XH-0001  收寄 2026-03-04 10:30"} {
						if !strings.Contains(all, want) {
							t.Errorf("waybill lacks %q:\n%s", want, all)
						}
					}
					// The address is printed in full, only wrapped (and the
					// phone typed into it masked).
					addr := strings.ReplaceAll(waybill.Recipient.Address, "13900010001", "139****0001")
					if joined := strings.Join(texts, ""); !strings.Contains(strings.ReplaceAll(joined, " ", ""), strings.ReplaceAll(addr, " ", "")) {
						t.Errorf("recipient address not printed in full:\n%s", all)
					}
					for _, secret := range []string{"张建国", "建国", "李小明", "小明", "13812345678", "13900010001"} {
						if strings.Contains(all, secret) {
							t.Errorf("waybill shows %q", secret)
						}
					}
				})
			}
		}
	}
}

func TestWaybillRefused(t *testing.T) {
	stock := Config{WidthMM: 100, HeightMM: 150, DPI: 203}
	long := waybill
	long.Recipient.Address = strings.Repeat("很长的地址", 30)
	noInsurance := waybill
	noInsurance.InsuredFen = -1
	chinese := waybill
	chinese.Number = "顺丰123"
	tests := []struct {
		name string
		w    WaybillLabel
		cfg  Config
		want string
	}{
		{"shelf stock", waybill, Config{WidthMM: 60, HeightMM: 40, DPI: 203}, "标签纸太小（60×40 mm，运单至少 70×100 mm）/ label stock too small for a waybill: 60×40 mm, needs at least 70×100 mm: configure a 100×150 mm printer"},
		{"too short", waybill, Config{WidthMM: 100, HeightMM: 90, DPI: 203}, "label stock too small"},
		{"empty", WaybillLabel{}, stock, "运单标签缺少运单号、收件人姓名、收件人电话、收件地址、重量 / waybill label: number, recipient_name, recipient_phone, recipient_address, weight required"},
		{"no phone", WaybillLabel{Number: "YZ1", WeightG: 1, Recipient: Party{Name: "李", Address: "北京"}}, stock, "缺少收件人电话 / waybill label: recipient_phone required"},
		{"address too long", long, stock, "recipient address too long"},
		{"negative", noInsurance, stock, "is negative"},
		{"number not ASCII", chinese, stock, "运单号不能印成条码"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.w.Label(tc.cfg, Font{Name: "E:SIMSUN.FNT"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := waybill.Slip(Config{Columns: 48}); !errors.Is(err, ErrLabelOnly) {
		t.Errorf("Slip error = %v, want ErrLabelOnly", err)
	}
}
