package tspl

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yizhan/yizhan/devices/printer"
)

// Layout renders the outlet's documents as TSPL from the shared layout
// model (printer.Label).
type Layout struct{ cfg printer.Config }

var _ printer.Templates = Layout{}

// NewLayout renders without a printer, for previews and tests.
func NewLayout(cfg printer.Config) Layout { return Layout{cfg: Defaults(cfg)} }

// Font is cfg's Chinese font. TSPL's resident fonts are bitmaps whose name
// gives the cell height (TSS24.BF2: 24 dots) and print at whole
// magnifications, which the layout model rounds every text size to.
func Font(cfg printer.Config) printer.Font {
	cell := 24
	name := strings.ToUpper(cfg.CJKFont)
	if strings.HasPrefix(name, "TSS") {
		if n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "TSS"), ".BF2")); err == nil && n > 0 {
			cell = n
		}
	}
	return printer.Font{Name: cfg.CJKFont, Cell: cell}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Render turns a laid-out label into TSPL, encoded as GB18030 (what TSPL's
// Chinese fonts take). gapMM is the gap between labels on the roll.
func Render(l *printer.Label, gapMM float64) ([]byte, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "SIZE %s mm,%s mm\r\nGAP %s mm,0 mm\r\nDIRECTION 1\r\nREFERENCE 0,0\r\nCLS\r\n",
		num(l.WidthMM), num(l.HeightMM), num(gapMM))
	for _, it := range l.Items {
		switch it := it.(type) {
		case printer.Text:
			m := max(it.Height/max(l.Font.Cell, 1), 1)
			fmt.Fprintf(&b, "TEXT %d,%d,%s,0,%d,%d,%s\r\n", it.X, it.Y, quote(l.Font.Name), m, m, quote(it.Text))
		case printer.Barcode:
			// "128" lets the printer choose code sets itself; the data is the
			// same the preview encodes.
			fmt.Fprintf(&b, "BARCODE %d,%d,\"128\",%d,1,0,%d,%d,%s\r\n", it.X, it.Y, it.Height, it.Module, it.Module, quote(it.Symbol.Text))
		case printer.Rule:
			fmt.Fprintf(&b, "BAR %d,%d,%d,%d\r\n", it.X, it.Y, it.Width, it.Thickness)
		}
	}
	b.WriteString("PRINT 1,1\r\n")
	out, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(b.String()))
	if err != nil {
		return nil, fmt.Errorf("encode label as GB18030: %w", err)
	}
	return out, nil
}

// quote makes a TSPL string literal; a double quote inside is written \["].
func quote(s string) string {
	return `"` + strings.ReplaceAll(printer.Clean(s), `"`, `\["]`) + `"`
}

// ShelfLabel renders the pickup-code label.
func (l Layout) ShelfLabel(s printer.ShelfLabel) ([]byte, error) {
	m, err := s.Label(l.cfg, Font(l.cfg))
	if err != nil {
		return nil, err
	}
	return Render(m, l.cfg.GapMM)
}

// ExceptionTag renders the tag stuck on an exception parcel.
func (l Layout) ExceptionTag(t printer.ExceptionTag) ([]byte, error) {
	m, err := t.Label(l.cfg, Font(l.cfg))
	if err != nil {
		return nil, err
	}
	return Render(m, l.cfg.GapMM)
}

// WaybillLabel renders the privacy waybill; cfg must describe waybill
// stock (at least 70×100 mm).
func (l Layout) WaybillLabel(w printer.WaybillLabel) ([]byte, error) {
	m, err := w.Label(l.cfg, Font(l.cfg))
	if err != nil {
		return nil, err
	}
	return Render(m, l.cfg.GapMM)
}

// ComplaintReceipt renders the receipt as a label; long text is cut to fit.
func (l Layout) ComplaintReceipt(r printer.ComplaintReceipt) ([]byte, error) {
	m, err := r.Label(l.cfg, Font(l.cfg))
	if err != nil {
		return nil, err
	}
	return Render(m, l.cfg.GapMM)
}

// utf8 decodes a rendered label back to text, for tests and previews.
func utf8(b []byte) string {
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return string(bytes.ToValidUTF8(b, []byte("?")))
	}
	return string(out)
}
