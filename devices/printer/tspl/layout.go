package tspl

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yizhan/yizhan/devices/printer"
)

// Layout renders the outlet's documents as TSPL. Coordinates are designed
// for 203 dpi and scaled to the configured resolution.
type Layout struct{ cfg printer.Config }

var _ printer.Templates = Layout{}

// NewLayout renders without a printer, for previews and tests.
func NewLayout(cfg printer.Config) Layout { return Layout{cfg: Defaults(cfg)} }

func (l Layout) d(v int) int { return v * l.cfg.DPI / 203 }

type doc struct {
	l Layout
	b strings.Builder
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (l Layout) begin() *doc {
	d := &doc{l: l}
	fmt.Fprintf(&d.b, "SIZE %s mm,%s mm\r\nGAP %s mm,0 mm\r\nDIRECTION 1\r\nREFERENCE 0,0\r\nCLS\r\n",
		num(l.cfg.WidthMM), num(l.cfg.HeightMM), num(l.cfg.GapMM))
	return d
}

// end finishes the label and encodes it: TSPL fonts take GB18030 bytes.
func (d *doc) end() ([]byte, error) {
	d.b.WriteString("PRINT 1,1\r\n")
	out, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(d.b.String()))
	if err != nil {
		return nil, fmt.Errorf("encode label as GB18030: %w", err)
	}
	return out, nil
}

// text places one line in the Chinese font at magnification m (1..10).
func (d *doc) text(x, y, m int, s string) {
	fmt.Fprintf(&d.b, "TEXT %d,%d,%s,0,%d,%d,%s\r\n", d.l.d(x), d.l.d(y), quote(d.l.cfg.CJKFont), m, m, quote(s))
}

// code128 draws a barcode with its text below, narrowing it for long values.
func (d *doc) code128(x, y, h int, s string) {
	s = printer.Clean(s)
	avail := int(d.l.cfg.WidthMM*float64(d.l.cfg.DPI)/25.4) - 2*d.l.d(x)
	module := 2 * d.l.cfg.DPI / 203
	if module < 1 {
		module = 1
	}
	for module > 1 && (11*(len(s)+3)+2)*module > avail {
		module--
	}
	fmt.Fprintf(&d.b, "BARCODE %d,%d,\"128\",%d,1,0,%d,%d,%s\r\n", d.l.d(x), d.l.d(y), d.l.d(h), module, module, quote(s))
}

// quote makes a TSPL string literal; a double quote inside is written \["].
func quote(s string) string {
	return `"` + strings.ReplaceAll(printer.Clean(s), `"`, `\["]`) + `"`
}

// ShelfLabel renders the pickup-code label.
func (l Layout) ShelfLabel(s printer.ShelfLabel) ([]byte, error) {
	if strings.TrimSpace(s.PickupCode) == "" || strings.TrimSpace(s.Waybill) == "" {
		return nil, fmt.Errorf("shelf label: pickup code and waybill are required")
	}
	d := l.begin()
	d.text(20, 12, 4, s.PickupCode)
	d.text(20, 118, 1, "手机 "+printer.MaskPhone(s.Phone))
	d.code128(20, 156, 70, s.Waybill)
	d.text(20, 272, 1, "日期 "+s.Date.Format("2006-01-02"))
	return d.end()
}

// ExceptionTag renders the tag stuck on an exception parcel.
func (l Layout) ExceptionTag(t printer.ExceptionTag) ([]byte, error) {
	if strings.TrimSpace(t.Waybill) == "" || strings.TrimSpace(t.Kind) == "" {
		return nil, fmt.Errorf("exception tag: waybill and kind are required")
	}
	d := l.begin()
	d.text(20, 12, 2, "异常 "+printer.KindLabel(t.Kind))
	d.code128(20, 72, 64, t.Waybill)
	d.text(20, 186, 1, "登记人 "+t.Reporter)
	if note := printer.Truncate(printer.Wrap(t.Note, 32), 1); len(note) > 0 {
		d.text(20, 222, 1, "备注 "+note[0])
	}
	d.text(20, 262, 1, "日期 "+t.Date.Format("2006-01-02 15:04"))
	return d.end()
}

// ComplaintReceipt renders the receipt as a label; long text is cut to fit.
func (l Layout) ComplaintReceipt(r printer.ComplaintReceipt) ([]byte, error) {
	if strings.TrimSpace(r.Ticket) == "" {
		return nil, fmt.Errorf("complaint receipt: ticket number is required")
	}
	d := l.begin()
	d.text(20, 8, 1, "投诉受理回执")
	d.text(20, 40, 1, "单号 "+r.Ticket)
	d.text(20, 68, 1, "网点 "+r.Outlet)
	d.text(20, 96, 1, "受理 "+r.Received.Format("2006-01-02 15:04"))
	d.text(20, 124, 1, "答复 "+r.ReplyBy.Format("2006-01-02 15:04")+" 前")
	for i, line := range printer.Truncate(printer.Wrap(r.Text, 36), 5) {
		d.text(20, 158+i*28, 1, line)
	}
	return d.end()
}

// utf8 decodes a rendered label back to text, for tests and previews.
func utf8(b []byte) string {
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	if err != nil {
		return string(bytes.ToValidUTF8(b, []byte("?")))
	}
	return string(out)
}
