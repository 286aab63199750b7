// Package preview draws labels and receipt slips as SVG for staff to check
// on screen. It draws the same layout model (printer.Label, printer.Slip)
// the printer drivers turn into bytes, so positions, sizes, wrapping and
// the barcode's bars are the ones the printer is told to print. Text is
// drawn in the browser's CJK font, so glyph shapes are approximate.
package preview

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strconv"

	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/escpos"
	"github.com/yizhan/yizhan/devices/printer/tspl"
	"github.com/yizhan/yizhan/devices/printer/zpl"
)

// ContentType is the media type of what this package returns.
const ContentType = "image/svg+xml"

// fonts lists CJK-capable families in the order browsers should try them.
const fonts = `'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei','SimSun','WenQuanYi Micro Hei',sans-serif`

// Document is a template's data: each lays itself out for a label printer
// and for a receipt printer.
type Document interface {
	Label(cfg printer.Config, f printer.Font) (*printer.Label, error)
	Slip(cfg printer.Config) (*printer.Slip, error)
}

var (
	_ Document = printer.ShelfLabel{}
	_ Document = printer.ExceptionTag{}
	_ Document = printer.ComplaintReceipt{}
	_ Document = printer.WaybillLabel{}
)

// Render lays doc out for the printer cfg describes, with that driver's
// defaults and font, and draws it. An empty driver means zpl.
func Render(cfg printer.Config, doc Document) ([]byte, error) {
	switch cfg.Driver {
	case "", "zpl":
		cfg = zpl.Defaults(cfg)
		return label(doc.Label(cfg, zpl.Font(cfg)))
	case "tspl":
		cfg = tspl.Defaults(cfg)
		return label(doc.Label(cfg, tspl.Font(cfg)))
	case "escpos":
		s, err := doc.Slip(escpos.Defaults(cfg))
		if err != nil {
			return nil, err
		}
		return SlipSVG(s), nil
	}
	return nil, fmt.Errorf("未知的打印机驱动 %q / unknown printer driver %q: use zpl, tspl or escpos", cfg.Driver, cfg.Driver)
}

func label(l *printer.Label, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	return SVG(l), nil
}

// ShelfLabel draws the pickup-code label as the printer cfg would print it.
func ShelfLabel(cfg printer.Config, s printer.ShelfLabel) ([]byte, error) { return Render(cfg, s) }

// ExceptionTag draws the exception tag as the printer cfg would print it.
func ExceptionTag(cfg printer.Config, t printer.ExceptionTag) ([]byte, error) { return Render(cfg, t) }

// ComplaintReceipt draws the complaint receipt as the printer cfg would print it.
func ComplaintReceipt(cfg printer.Config, r printer.ComplaintReceipt) ([]byte, error) {
	return Render(cfg, r)
}

// WaybillLabel draws the privacy waybill as the printer cfg would print it;
// cfg must describe waybill stock (at least 70×100 mm), and a receipt
// printer (escpos) gives printer.ErrLabelOnly.
func WaybillLabel(cfg printer.Config, w printer.WaybillLabel) ([]byte, error) {
	return Render(cfg, w)
}

type svg struct{ bytes.Buffer }

func (w *svg) printf(format string, a ...any) { fmt.Fprintf(w, format, a...) }

func (w *svg) text(s string) { _ = xml.EscapeText(w, []byte(s)) }

func mm(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) + "mm" }

// SVG draws a label at its real size, one user unit per printer dot.
func SVG(l *printer.Label) []byte {
	w, h := l.Width(), l.Height()
	var s svg
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %d %d">`+"\n", mm(l.WidthMM), mm(l.HeightMM), w, h)
	s.printf(`<rect width="%d" height="%d" rx="%d" fill="#fff" stroke="#999"/>`+"\n", w, h, l.DPI/25)
	s.printf(`<g font-family="%s" fill="#000">`+"\n", fonts)
	for _, it := range l.Items {
		switch it := it.(type) {
		case printer.Text:
			s.textAt(it.X, it.Y, it.Height, "start", it.Text)
		case printer.Barcode:
			s.barcode(it, it.X)
		case printer.Rule:
			s.printf(`<rect x="%d" y="%d" width="%d" height="%d"/>`+"\n", it.X, it.Y, it.Width, it.Thickness)
		}
	}
	s.printf("</g>\n</svg>\n")
	return s.Bytes()
}

// textAt draws one line whose cell top is y. Characters take the printer's
// grid: a CJK character is as wide as it is high, others half that.
func (s *svg) textAt(x, y, h int, anchor, t string) {
	if t == "" {
		return
	}
	s.printf(`<text x="%d" y="%d" font-size="%d" textLength="%d" lengthAdjust="spacingAndGlyphs" text-anchor="%s">`,
		x, y+h*7/8, h, printer.Cells(t)*h/2, anchor)
	s.text(t)
	s.printf("</text>\n")
}

// barcode draws the bars at x and the text centred under them.
func (s *svg) barcode(b printer.Barcode, x int) {
	s.printf(`<path d="`)
	for i, wd := range b.Symbol.Widths() {
		if i%2 == 0 {
			s.printf("M%d %dh%dv%dh-%dz", x, b.Y, wd*b.Module, b.Height, wd*b.Module)
		}
		x += wd * b.Module
	}
	s.printf(`"/>` + "\n")
	hri := max(b.Module*10, 16)
	width := b.Symbol.Modules() * b.Module
	s.textAt(x-width/2, b.Y+b.Height+4, hri, "middle", b.Symbol.Text)
}

// Slip line pitch: ESC/POS feeds about 30 dots a line, more for magnified text.
func pitch(mag int) int { return max(30, 24*mag+6) }

// SlipSVG draws a receipt slip at the printer's width, one user unit per
// dot, lines at the printer's default pitch.
func SlipSVG(sl *printer.Slip) []byte {
	const margin = 12
	w := sl.Dots()
	h := 2 * margin
	for _, l := range sl.Lines {
		h += slipLineHeight(l)
	}
	var s svg
	s.printf(`<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="0 0 %d %d">`+"\n",
		mm(float64(w+2*margin)/8), mm(float64(h)/8), w+2*margin, h)
	s.printf(`<rect width="%d" height="%d" fill="#fff" stroke="#999"/>`+"\n", w+2*margin, h)
	s.printf(`<g font-family="%s" fill="#000">`+"\n", fonts)
	y := margin
	for _, l := range sl.Lines {
		lh := slipLineHeight(l)
		switch {
		case l.Rule:
			s.printf(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000" stroke-width="2" stroke-dasharray="8 4"/>`+"\n",
				margin, y+lh/2, margin+w, y+lh/2)
		case l.Barcode != nil:
			bw := l.Barcode.Symbol.Modules() * l.Barcode.Module
			x := margin
			if l.Align == printer.Center {
				x += (w - bw) / 2
			}
			b := *l.Barcode
			b.Y = y
			s.barcode(b, x)
		default:
			x, anchor := margin, "start"
			if l.Align == printer.Center {
				x, anchor = margin+w/2, "middle"
			}
			s.textAt(x, y+(lh-24*l.Mag)/2, 24*l.Mag, anchor, l.Text)
		}
		y += lh
	}
	s.printf("</g>\n</svg>\n")
	return s.Bytes()
}

func slipLineHeight(l printer.SlipLine) int {
	if l.Barcode != nil {
		return l.Barcode.Height + 4 + max(l.Barcode.Module*10, 16) + 10
	}
	return pitch(max(l.Mag, 1))
}
