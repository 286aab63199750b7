package zpl

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/yizhan/yizhan/devices/printer"
)

// Layout renders the outlet's documents as ZPL II. Coordinates are designed
// for 203 dpi and scaled to the configured resolution.
type Layout struct{ cfg printer.Config }

var _ printer.Templates = Layout{}

// NewLayout renders without a printer, for previews and tests.
func NewLayout(cfg printer.Config) Layout { return Layout{cfg: Defaults(cfg)} }

func (l Layout) d(v int) int { return v * l.cfg.DPI / 203 }

func (l Layout) mm(v float64) int { return int(v*float64(l.cfg.DPI)/25.4 + 0.5) }

type doc struct {
	l Layout
	b bytes.Buffer
}

func (l Layout) begin() *doc {
	d := &doc{l: l}
	// ^CI28 selects UTF-8 so Chinese can be sent as is.
	fmt.Fprintf(&d.b, "^XA\n^CI28\n^PW%d\n^LL%d\n^LH0,0\n", l.mm(l.cfg.WidthMM), l.mm(l.cfg.HeightMM))
	return d
}

func (d *doc) end() []byte {
	d.b.WriteString("^PQ1\n^XZ\n")
	return d.b.Bytes()
}

// text places one line in the CJK font; h is the character height in dots.
func (d *doc) text(x, y, h int, s string) {
	l := d.l
	fmt.Fprintf(&d.b, "^FO%d,%d^A@N,%d,%d,%s%s^FS\n", l.d(x), l.d(y), l.d(h), l.d(h), l.cfg.CJKFont, field(s))
}

// code128 draws a barcode with its text below; the module width shrinks for
// long values so the code stays on the label.
func (d *doc) code128(x, y, h int, s string) {
	l := d.l
	s = printer.Clean(s)
	avail := l.mm(l.cfg.WidthMM) - 2*l.d(x)
	module := 2 * l.cfg.DPI / 203
	if module < 1 {
		module = 1
	}
	for module > 1 && (11*(len(s)+3)+2)*module > avail {
		module--
	}
	fmt.Fprintf(&d.b, "^FO%d,%d^BY%d^BCN,%d,Y,N,N%s^FS\n", l.d(x), l.d(y), module, l.d(h), field(s))
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
	if strings.TrimSpace(s.PickupCode) == "" || strings.TrimSpace(s.Waybill) == "" {
		return nil, fmt.Errorf("shelf label: pickup code and waybill are required")
	}
	d := l.begin()
	d.text(20, 12, 96, s.PickupCode)
	d.text(20, 118, 32, "手机 "+printer.MaskPhone(s.Phone))
	d.code128(20, 160, 70, s.Waybill)
	d.text(20, 272, 28, "日期 "+s.Date.Format("2006-01-02"))
	return d.end(), nil
}

// ExceptionTag renders the tag stuck on an exception parcel.
func (l Layout) ExceptionTag(t printer.ExceptionTag) ([]byte, error) {
	if strings.TrimSpace(t.Waybill) == "" || strings.TrimSpace(t.Kind) == "" {
		return nil, fmt.Errorf("exception tag: waybill and kind are required")
	}
	d := l.begin()
	d.text(20, 12, 48, "异常 "+printer.KindLabel(t.Kind))
	d.code128(20, 72, 64, t.Waybill)
	d.text(20, 190, 26, "登记人 "+t.Reporter)
	if note := printer.Truncate(printer.Wrap(t.Note, 32), 1); len(note) > 0 {
		d.text(20, 224, 26, "备注 "+note[0])
	}
	d.text(20, 268, 26, "日期 "+t.Date.Format("2006-01-02 15:04"))
	return d.end(), nil
}

// ComplaintReceipt renders the receipt as a label; long text is cut to fit.
func (l Layout) ComplaintReceipt(r printer.ComplaintReceipt) ([]byte, error) {
	if strings.TrimSpace(r.Ticket) == "" {
		return nil, fmt.Errorf("complaint receipt: ticket number is required")
	}
	d := l.begin()
	d.text(20, 10, 36, "投诉受理回执")
	d.text(20, 52, 24, "单号 "+r.Ticket)
	d.text(20, 80, 24, "网点 "+r.Outlet)
	d.text(20, 108, 24, "受理 "+r.Received.Format("2006-01-02 15:04"))
	d.text(20, 136, 24, "答复 "+r.ReplyBy.Format("2006-01-02 15:04")+" 前")
	lines := printer.Truncate(printer.Wrap(r.Text, 36), 5)
	for i, line := range lines {
		d.text(20, 170+i*28, 24, line)
	}
	return d.end(), nil
}
