package zpl

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/yizhan/yizhan/devices/printer"
)

// Layout renders the outlet's documents as ZPL II from the shared layout
// model (printer.Label).
type Layout struct{ cfg printer.Config }

var _ printer.Templates = Layout{}

// NewLayout renders without a printer, for previews and tests.
func NewLayout(cfg printer.Config) Layout { return Layout{cfg: Defaults(cfg)} }

// Font is the font every text field uses: cfg's CJK font, scalable.
func Font(cfg printer.Config) printer.Font { return printer.Font{Name: cfg.CJKFont} }

// Render turns a laid-out label into one ZPL format.
func Render(l *printer.Label) []byte {
	var b bytes.Buffer
	// ^CI28 selects UTF-8 so Chinese can be sent as is.
	fmt.Fprintf(&b, "^XA\n^CI28\n^PW%d\n^LL%d\n^LH0,0\n", l.Width(), l.Height())
	for _, it := range l.Items {
		switch it := it.(type) {
		case printer.Text:
			fmt.Fprintf(&b, "^FO%d,%d^A@N,%d,%d,%s%s^FS\n", it.X, it.Y, it.Height, it.Height, l.Font.Name, field(it.Text))
		case printer.Barcode:
			fmt.Fprintf(&b, "^FO%d,%d^BY%d^BCN,%d,Y,N,N%s^FS\n", it.X, it.Y, it.Module, it.Height, field(invocation(it)))
		case printer.Rule:
			fmt.Fprintf(&b, "^FO%d,%d^GB%d,%d,%d^FS\n", it.X, it.Y, it.Width, it.Thickness, it.Thickness)
		}
	}
	b.WriteString("^PQ1\n^XZ\n")
	return b.Bytes()
}

// invocation writes the code sets the model chose as ZPL invocation codes
// (>: start B, >; start C, >5 to C, >6 to B), so the printer draws exactly
// the bars the preview shows. A ">" in the data is written "><".
func invocation(bc printer.Barcode) string {
	var b strings.Builder
	for i, seg := range bc.Symbol.Segments {
		switch {
		case i == 0 && seg.Set == 'C':
			b.WriteString(">;")
		case i == 0:
			b.WriteString(">:")
		case seg.Set == 'C':
			b.WriteString(">5")
		default:
			b.WriteString(">6")
		}
		b.WriteString(strings.ReplaceAll(seg.Text, ">", "><"))
	}
	return b.String()
}

// field writes ^FD data, hex-escaping the characters ZPL would treat as
// commands (^ ~) and the escape character itself.
func field(s string) string {
	s = printer.Clean(s)
	if !strings.ContainsAny(s, "^~_") {
		return "^FD" + s
	}
	r := strings.NewReplacer("_", "_5F", "^", "_5E", "~", "_7E")
	return "^FH_^FD" + r.Replace(s)
}

// ShelfLabel renders the pickup-code label.
func (l Layout) ShelfLabel(s printer.ShelfLabel) ([]byte, error) {
	m, err := s.Label(l.cfg, Font(l.cfg))
	if err != nil {
		return nil, err
	}
	return Render(m), nil
}

// ExceptionTag renders the tag stuck on an exception parcel.
func (l Layout) ExceptionTag(t printer.ExceptionTag) ([]byte, error) {
	m, err := t.Label(l.cfg, Font(l.cfg))
	if err != nil {
		return nil, err
	}
	return Render(m), nil
}

// WaybillLabel renders the privacy waybill; cfg must describe waybill
// stock (at least 70×100 mm).
func (l Layout) WaybillLabel(w printer.WaybillLabel) ([]byte, error) {
	m, err := w.Label(l.cfg, Font(l.cfg))
	if err != nil {
		return nil, err
	}
	return Render(m), nil
}

// ComplaintReceipt renders the receipt as a label; long text is cut to fit.
func (l Layout) ComplaintReceipt(r printer.ComplaintReceipt) ([]byte, error) {
	m, err := r.Label(l.cfg, Font(l.cfg))
	if err != nil {
		return nil, err
	}
	return Render(m), nil
}
