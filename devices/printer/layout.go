package printer

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/yizhan/yizhan/devices/printer/code128"
)

// Label is what a label printer is told to draw, in printer dots from the
// top-left corner. Each template builds it once from its data (masking the
// phone, cleaning clerk text); the zpl and tspl drivers turn it into
// commands and the preview draws it, so staff see what the printer gets.
type Label struct {
	WidthMM, HeightMM float64
	DPI               int
	Font              Font
	Items             []Item // Text, Barcode and Rule, in drawing order
}

// Width is the label width in dots.
func (l *Label) Width() int { return l.mm(l.WidthMM) }

// Height is the label height in dots.
func (l *Label) Height() int { return l.mm(l.HeightMM) }

func (l *Label) mm(v float64) int { return int(v*float64(l.DPI)/25.4 + 0.5) }

// Item is a Text, a Barcode or a Rule.
type Item interface{ item() }

// Text is one line in the label's font.
type Text struct {
	X, Y   int
	Height int    // character cell height (and width for CJK) in dots, as printed
	Text   string // cleaned of control characters
}

// Barcode is a Code 128 symbol with its text printed centred below the bars.
type Barcode struct {
	X, Y   int
	Height int // bars only, in dots
	Module int // narrowest bar in dots
	Symbol code128.Symbol
}

// Rule is a solid horizontal line, e.g. between the blocks of a waybill.
type Rule struct {
	X, Y      int
	Width     int // in dots
	Thickness int // in dots
}

func (Text) item()    {}
func (Barcode) item() {}
func (Rule) item()    {}

// Font is the printer-resident font every text item uses. It must have CJK
// glyphs; ASCII comes from the same font.
type Font struct {
	Name string // e.g. E:SIMSUN.FNT (zpl), TSS24.BF2 (tspl)
	// Cell is 0 for a scalable font. A bitmap font is Cell dots high and
	// prints at whole multiples of that (1..10), so Size rounds down to one.
	Cell int
}

// Size is the height the printer really draws when asked for h dots.
func (f Font) Size(h int) int {
	if f.Cell <= 0 {
		return h
	}
	return min(max(h/f.Cell, 1), 10) * f.Cell
}

// Templates are designed for 203 dpi; d scales a design coordinate.
func (l *Label) d(v int) int { return v * l.DPI / 203 }

func newLabel(cfg Config, f Font) *Label {
	return &Label{WidthMM: cfg.WidthMM, HeightMM: cfg.HeightMM, DPI: cfg.DPI, Font: f}
}

func (l *Label) text(x, y, h int, s string) {
	l.Items = append(l.Items, Text{X: l.d(x), Y: l.d(y), Height: l.Font.Size(l.d(h)), Text: Clean(s)})
}

// code128 places a barcode, narrowing the module until the symbol fits
// between equal margins. With noBars it prints s in clear where the bars
// would be: the clerk's way out when s cannot be encoded.
func (l *Label) code128(x, y, h int, what, s string, noBars bool) error {
	if noBars {
		l.text(x, y, min(h/2, 32), s)
		return nil
	}
	sym, err := encode(what, s)
	if err != nil {
		return err
	}
	module := l.module(sym, 2, l.Width()-2*l.d(x))
	l.Items = append(l.Items, Barcode{X: l.d(x), Y: l.d(y), Height: l.d(h), Module: module, Symbol: sym})
	return nil
}

// module is the widest module, at most design (at 203 dpi), with which sym
// fits in avail dots; never below one dot.
func (l *Label) module(sym code128.Symbol, design, avail int) int {
	module := max(design*l.DPI/203, 1)
	for module > 1 && sym.Modules()*module > avail {
		module--
	}
	return module
}

func encode(what, s string) (code128.Symbol, error) {
	sym, err := code128.Encode(strings.TrimSpace(Clean(s)))
	if err != nil {
		return sym, fmt.Errorf("%s不能印成条码 / %s %q cannot be printed as a barcode: %w", zhName[what], what, s, err)
	}
	return sym, nil
}

var zhName = map[string]string{"waybill": "运单号", "ticket": "投诉单号", "number": "运单号"}

func required(doc string, fields ...string) error {
	zh := map[string]string{"shelf label": "货架标签", "exception tag": "异常标签", "complaint receipt": "投诉回执",
		"pickup_code": "取件码", "waybill": "运单号", "kind": "异常类型", "ticket": "投诉单号",
		"waybill label": "运单标签", "number": "运单号", "recipient_name": "收件人姓名",
		"recipient_phone": "收件人电话", "recipient_address": "收件地址", "weight": "重量"}
	var z []string
	for _, f := range fields {
		z = append(z, zh[f])
	}
	return fmt.Errorf("%s缺少%s / %s: %s required", zh[doc], strings.Join(z, "、"), doc, strings.Join(fields, ", "))
}

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// Label lays the pickup-code label out for a label printer whose cfg has
// its defaults filled.
func (s ShelfLabel) Label(cfg Config, f Font) (*Label, error) {
	if blank(s.PickupCode) || blank(s.Waybill) {
		return nil, required("shelf label", "pickup_code", "waybill")
	}
	l := newLabel(cfg, f)
	l.text(20, 12, 96, s.PickupCode)
	l.text(20, 118, 32, "手机 "+MaskPhone(s.Phone))
	if err := l.code128(20, 160, 70, "waybill", s.Waybill, s.NoBarcode); err != nil {
		return nil, err
	}
	l.text(20, 272, 28, "日期 "+s.Date.Format("2006-01-02"))
	return l, nil
}

// Label lays the exception tag out for a label printer.
func (t ExceptionTag) Label(cfg Config, f Font) (*Label, error) {
	if blank(t.Waybill) || blank(t.Kind) {
		return nil, required("exception tag", "waybill", "kind")
	}
	l := newLabel(cfg, f)
	l.text(20, 12, 48, "异常 "+KindLabel(t.Kind))
	if err := l.code128(20, 72, 64, "waybill", t.Waybill, t.NoBarcode); err != nil {
		return nil, err
	}
	l.text(20, 190, 26, "登记人 "+t.Reporter)
	if note := Truncate(Wrap(t.Note, 32), 1); len(note) > 0 {
		l.text(20, 224, 26, "备注 "+note[0])
	}
	l.text(20, 268, 26, "日期 "+t.Date.Format("2006-01-02 15:04"))
	return l, nil
}

// Label lays the complaint receipt out on a label; long text is cut to fit.
func (r ComplaintReceipt) Label(cfg Config, f Font) (*Label, error) {
	if blank(r.Ticket) {
		return nil, required("complaint receipt", "ticket")
	}
	l := newLabel(cfg, f)
	l.text(20, 10, 36, "投诉受理回执")
	l.text(20, 52, 24, "单号 "+r.Ticket)
	l.text(20, 80, 24, "网点 "+r.Outlet)
	l.text(20, 108, 24, "受理 "+r.Received.Format("2006-01-02 15:04"))
	l.text(20, 136, 24, "答复 "+r.ReplyBy.Format("2006-01-02 15:04")+" 前")
	// How to follow it up first (on a label the page's address alone, whole,
	// or how to ask), then as much of the text as fits.
	progress := Wrap(r.progressLines()[0], 36)
	if r.Progress != "" {
		progress = Truncate(Wrap(r.Progress, 36), 3)
	}
	for i, line := range append(progress, Truncate(Wrap(r.Text, 36), 5-len(progress))...) {
		l.text(20, 170+i*28, 24, line)
	}
	return l, nil
}

// progressLines tell the customer how to follow the complaint: the page,
// where the ticket and the phone's last four digits show its progress, or
// asking with them. A label has room for the first line only.
func (r ComplaintReceipt) progressLines() []string {
	if r.Progress == "" {
		return []string{"凭单号和手机后四位查询进度", "Quote the ticket and your phone's last 4 digits to follow it up."}
	}
	return []string{"进度 " + r.Progress, "凭单号和手机后四位查询进度", "Progress: enter the ticket and your phone's last 4 digits."}
}

// Slip is what a receipt printer is told to print: lines top to bottom at
// the printer's own line pitch. The escpos driver sends it and the preview
// draws it.
type Slip struct {
	Columns int // characters per line in font A (12 dots each); CJK takes two
	Lines   []SlipLine
}

// SlipLine is one printed line: text already wrapped to fit, a rule, or a
// barcode.
type SlipLine struct {
	Align   Align
	Mag     int    // character magnification 1..8, both ways
	Text    string // one physical line, cleaned; empty for a rule or barcode
	Rule    bool   // a dashed line across the paper
	Barcode *Barcode
}

// Align is a slip line's alignment.
type Align int

// Slip alignments.
const (
	Left Align = iota
	Center
)

// Dots is the printed width of a slip: font A is 12 dots a column.
func (s *Slip) Dots() int { return s.Columns * 12 }

// slip barcodes: 80 dots high, module 2 unless that is wider than the paper.
const slipBarHeight = 80

func (s *Slip) line(a Align, mag int, text string) {
	for _, l := range Wrap(text, s.Columns/mag) {
		s.Lines = append(s.Lines, SlipLine{Align: a, Mag: mag, Text: l})
	}
}

func (s *Slip) rule() { s.Lines = append(s.Lines, SlipLine{Align: Left, Mag: 1, Rule: true}) }

func (s *Slip) code128(what, v string, noBars bool) error {
	if noBars {
		s.line(Center, 1, v)
		return nil
	}
	sym, err := encode(what, v)
	if err != nil {
		return err
	}
	module := 2
	if sym.Modules()*module > s.Dots() {
		module = 1
	}
	s.Lines = append(s.Lines, SlipLine{Align: Center, Mag: 1, Barcode: &Barcode{Height: slipBarHeight, Module: module, Symbol: sym}})
	return nil
}

// Slip lays the complaint receipt out for a receipt printer.
func (r ComplaintReceipt) Slip(cfg Config) (*Slip, error) {
	if blank(r.Ticket) {
		return nil, required("complaint receipt", "ticket")
	}
	s := &Slip{Columns: cfg.Columns}
	s.line(Center, 2, "投诉受理回执")
	s.line(Center, 1, "Complaint receipt")
	s.rule()
	s.line(Left, 1, "单号 Ticket: "+r.Ticket)
	s.line(Left, 1, "网点 Outlet: "+r.Outlet)
	s.line(Left, 1, "受理 Received: "+r.Received.Format("2006-01-02 15:04"))
	s.line(Left, 1, "答复 Reply by: "+r.ReplyBy.Format("2006-01-02 15:04"))
	s.rule()
	s.line(Left, 1, "投诉内容 Complaint:")
	s.line(Left, 1, r.Text)
	s.rule()
	s.line(Left, 1, "我们将在上述时间前答复您。")
	for _, l := range r.progressLines() {
		s.line(Left, 1, l)
	}
	if err := s.code128("ticket", r.Ticket, r.NoBarcode); err != nil {
		return nil, err
	}
	return s, nil
}

// Slip lays the pickup-code slip out for a receipt printer.
func (l ShelfLabel) Slip(cfg Config) (*Slip, error) {
	if blank(l.PickupCode) || blank(l.Waybill) {
		return nil, required("shelf label", "pickup_code", "waybill")
	}
	s := &Slip{Columns: cfg.Columns}
	s.line(Center, 1, "取件码")
	s.line(Center, 3, l.PickupCode)
	s.line(Center, 1, "手机 "+MaskPhone(l.Phone))
	if err := s.code128("waybill", l.Waybill, l.NoBarcode); err != nil {
		return nil, err
	}
	s.line(Center, 1, "日期 "+l.Date.Format("2006-01-02"))
	return s, nil
}

// Slip lays the exception slip out for a receipt printer.
func (t ExceptionTag) Slip(cfg Config) (*Slip, error) {
	if blank(t.Waybill) || blank(t.Kind) {
		return nil, required("exception tag", "waybill", "kind")
	}
	s := &Slip{Columns: cfg.Columns}
	s.line(Center, 2, "异常 "+KindLabel(t.Kind))
	if err := s.code128("waybill", t.Waybill, t.NoBarcode); err != nil {
		return nil, err
	}
	s.line(Left, 1, "登记人 By: "+t.Reporter)
	if t.Note != "" {
		s.line(Left, 1, "备注 Note: "+t.Note)
	}
	s.line(Left, 1, "日期 Date: "+t.Date.Format("2006-01-02 15:04"))
	return s, nil
}

// Waybill label stock: the layout below is designed for the smallest
// common e-waybill, 70×100 mm, and keeps its positions on larger stock
// (76×130, 100×150 mm); wider stock gives the address longer lines.
const (
	WaybillMinWidthMM  = 70
	WaybillMinHeightMM = 100
)

// Waybill address lines: the recipient's address wraps to at most this many
// lines and is never cut, since the courier delivers by it.
const waybillAddressLines = 4

// ErrLabelOnly is returned when a waybill is sent to a receipt printer.
var ErrLabelOnly = errors.New("运单标签只能用标签打印机打印 / a waybill label is not supported on receipt printers: send it to a label printer (zpl or tspl) with 100×150 mm labels")

// Label lays the waybill out for a label printer whose cfg has its defaults
// filled. Stock smaller than 70×100 mm (such as the 60×40 mm shelf-label
// default) is refused rather than printed cut off.
func (w WaybillLabel) Label(cfg Config, f Font) (*Label, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	if cfg.WidthMM < WaybillMinWidthMM || cfg.HeightMM < WaybillMinHeightMM {
		return nil, fmt.Errorf("标签纸太小（%s×%s mm，运单至少 %d×%d mm）/ label stock too small for a waybill: %s×%s mm, needs at least %d×%d mm: configure a 100×150 mm printer (width_mm, height_mm)",
			mmText(cfg.WidthMM), mmText(cfg.HeightMM), WaybillMinWidthMM, WaybillMinHeightMM,
			mmText(cfg.WidthMM), mmText(cfg.HeightMM), WaybillMinWidthMM, WaybillMinHeightMM)
	}
	const x = 20 // margin, design dots
	l := newLabel(cfg, f)
	avail := l.Width() - 2*l.d(x)
	line := func(y, h int, s string) {
		if !blank(s) {
			l.fitText(x, y, h, s)
		}
	}
	rule := func(y int) {
		l.Items = append(l.Items, Rule{X: l.d(x), Y: l.d(y), Width: avail, Thickness: max(l.d(3), 1)})
	}

	line(10, 48, w.Number)
	line(66, 72, w.Destination)
	rule(146)
	if !w.NoBarcode { // the number is printed large above either way
		sym, err := encode("number", w.Number)
		if err != nil {
			return nil, err
		}
		// Centred, as wide as fits with a ten-module quiet zone on each side.
		module := max(3*l.DPI/203, 1)
		for module > 1 && (sym.Modules()+20)*module > l.Width() {
			module--
		}
		l.Items = append(l.Items, Barcode{X: (l.Width() - sym.Modules()*module) / 2, Y: l.d(156), Height: l.d(96), Module: module, Symbol: sym})
	}
	rule(296)

	line(306, 48, "收 "+fit(MaskName(w.Recipient.Name), 8)+"  "+MaskPhone(w.Recipient.Phone))
	addr := Wrap(maskDigitRuns(Clean(w.Recipient.Address)), avail/(l.Font.Size(l.d(24))/2))
	if len(addr) > waybillAddressLines {
		return nil, fmt.Errorf("收件地址太长，标签上放不下（%d 行，最多 %d 行）/ recipient address too long for the label: %d lines, at most %d: shorten it or use wider labels",
			len(addr), waybillAddressLines, len(addr), waybillAddressLines)
	}
	for i, a := range addr {
		line(362+i*30, 24, a)
	}
	rule(490)

	line(500, 24, "寄 "+fit(MaskName(w.Sender.Name), 8)+"  "+MaskPhone(w.Sender.Phone))
	line(530, 24, maskDigitRuns(w.Sender.Address))
	rule(562)

	line(572, 24, "重量 "+Kilograms(w.WeightG)+"  运费 "+Yuan(w.PriceFen))
	if w.InsuredFen > 0 {
		line(602, 24, "保价 "+Yuan(w.InsuredFen))
	}
	line(632, 24, "物品 "+maskDigitRuns(w.Items))
	rule(664)
	line(674, 24, "网点 "+w.Outlet+"  收寄 "+w.Date.Format("2006-01-02 15:04"))
	return l, nil
}

// Slip refuses: a waybill needs label stock and a courier's scanner, not a
// receipt roll.
func (w WaybillLabel) Slip(Config) (*Slip, error) { return nil, ErrLabelOnly }

func (w WaybillLabel) check() error {
	var missing []string
	for _, f := range []struct {
		name  string
		empty bool
	}{
		{"number", blank(w.Number)},
		{"recipient_name", blank(w.Recipient.Name)},
		{"recipient_phone", blank(w.Recipient.Phone)},
		{"recipient_address", blank(w.Recipient.Address)},
		{"weight", w.WeightG <= 0},
	} {
		if f.empty {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return required("waybill label", missing...)
	}
	if w.PriceFen < 0 || w.InsuredFen < 0 {
		return fmt.Errorf("运费或保价为负数 / waybill label: price %d fen or insured value %d fen is negative", w.PriceFen, w.InsuredFen)
	}
	return nil
}

// Kilograms writes grams as kilograms with three decimals: 1250 -> "1.250 kg".
func Kilograms(g int) string { return fmt.Sprintf("%d.%03d kg", g/1000, g%1000) }

// Yuan writes fen as yuan with the full-width sign: 1230 -> "￥12.30". The
// full-width ￥ (U+FFE5) is used because the GB2312 bitmap fonts of TSPL
// printers have it and not the Latin-1 ¥.
func Yuan(fen int64) string { return fmt.Sprintf("￥%d.%02d", fen/100, fen%100) }

func mmText(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// fitText places one line, cut with "…" to the label's width.
func (l *Label) fitText(x, y, h int, s string) {
	size := l.Font.Size(l.d(h))
	l.text(x, y, h, fit(Clean(s), (l.Width()-2*l.d(x))/max(size/2, 1)))
}

// fit cuts s to at most cells printed cells, ending a cut with "…".
func fit(s string, cells int) string {
	if Cells(s) <= cells {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && Cells(string(r))+Cells("…") > cells {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}
