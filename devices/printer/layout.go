package printer

import (
	"fmt"
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
	Items             []Item // Text and Barcode, in drawing order
}

// Width is the label width in dots.
func (l *Label) Width() int { return l.mm(l.WidthMM) }

// Height is the label height in dots.
func (l *Label) Height() int { return l.mm(l.HeightMM) }

func (l *Label) mm(v float64) int { return int(v*float64(l.DPI)/25.4 + 0.5) }

// Item is a Text or a Barcode.
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

func (Text) item()    {}
func (Barcode) item() {}

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
// between equal margins.
func (l *Label) code128(x, y, h int, what, s string) error {
	sym, err := encode(what, s)
	if err != nil {
		return err
	}
	avail := l.Width() - 2*l.d(x)
	module := max(2*l.DPI/203, 1)
	for module > 1 && sym.Modules()*module > avail {
		module--
	}
	l.Items = append(l.Items, Barcode{X: l.d(x), Y: l.d(y), Height: l.d(h), Module: module, Symbol: sym})
	return nil
}

func encode(what, s string) (code128.Symbol, error) {
	sym, err := code128.Encode(strings.TrimSpace(Clean(s)))
	if err != nil {
		return sym, fmt.Errorf("%s不能印成条码 / %s %q cannot be printed as a barcode: %w", zhName[what], what, s, err)
	}
	return sym, nil
}

var zhName = map[string]string{"waybill": "运单号", "ticket": "投诉单号"}

func required(doc string, fields ...string) error {
	zh := map[string]string{"shelf label": "货架标签", "exception tag": "异常标签", "complaint receipt": "投诉回执",
		"pickup_code": "取件码", "waybill": "运单号", "kind": "异常类型", "ticket": "投诉单号"}
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
	if err := l.code128(20, 160, 70, "waybill", s.Waybill); err != nil {
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
	if err := l.code128(20, 72, 64, "waybill", t.Waybill); err != nil {
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
	for i, line := range Truncate(Wrap(r.Text, 36), 5) {
		l.text(20, 170+i*28, 24, line)
	}
	return l, nil
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

func (s *Slip) code128(what, v string) error {
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
	if err := s.code128("ticket", r.Ticket); err != nil {
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
	if err := s.code128("waybill", l.Waybill); err != nil {
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
	if err := s.code128("waybill", t.Waybill); err != nil {
		return nil, err
	}
	s.line(Left, 1, "登记人 By: "+t.Reporter)
	if t.Note != "" {
		s.line(Left, 1, "备注 Note: "+t.Note)
	}
	s.line(Left, 1, "日期 Date: "+t.Date.Format("2006-01-02 15:04"))
	return s, nil
}
