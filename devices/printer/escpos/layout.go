package escpos

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yizhan/yizhan/devices/printer"
)

// Layout renders the outlet's documents as ESC/POS receipts.
type Layout struct{ cfg printer.Config }

var _ printer.Templates = Layout{}

// NewLayout renders without a printer, for previews and tests.
func NewLayout(cfg printer.Config) Layout { return Layout{cfg: Defaults(cfg)} }

var (
	cmdInit      = []byte{0x1b, '@'}
	cmdChinese   = []byte{0x1c, '&'} // FS &: double-byte Chinese mode, GB18030 on Chinese firmware
	cmdLeft      = []byte{0x1b, 'a', 0}
	cmdCenter    = []byte{0x1b, 'a', 1}
	cmdFeedCut   = []byte{0x1d, 'V', 66, 0} // GS V 66 0: feed to the cutter and cut
	cmdSizeReset = []byte{0x1d, '!', 0x00}
)

type doc struct {
	l   Layout
	b   bytes.Buffer
	err error
}

func (l Layout) begin() *doc {
	d := &doc{l: l}
	d.b.Write(cmdInit)
	d.b.Write(cmdChinese)
	return d
}

func (d *doc) raw(b ...[]byte) {
	for _, x := range b {
		d.b.Write(x)
	}
}

// size sets character magnification (1..8 each way).
func (d *doc) size(w, h int) { d.b.Write([]byte{0x1d, '!', byte((w-1)<<4 | (h - 1))}) }

// line writes text, wrapped to the paper at the current magnification.
func (d *doc) line(s string, mag int) {
	for _, l := range printer.Wrap(s, d.l.cfg.Columns/mag) {
		enc, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(l))
		if err != nil && d.err == nil {
			d.err = fmt.Errorf("encode %q as GB18030: %w", l, err)
		}
		d.b.Write(enc)
		d.b.WriteByte('\n')
	}
}

func (d *doc) rule() { d.b.WriteString(strings.Repeat("-", d.l.cfg.Columns) + "\n") }

// code128 prints a barcode with its text below (GS k 73, code set B).
func (d *doc) code128(s string) {
	s = printer.Clean(s)
	data := append([]byte("{B"), []byte(s)...)
	if len(data) > 255 {
		data = data[:255]
	}
	d.raw([]byte{0x1d, 'h', 80}, []byte{0x1d, 'w', 2}, []byte{0x1d, 'H', 2})
	d.raw([]byte{0x1d, 'k', 73, byte(len(data))}, data)
	d.b.WriteByte('\n')
}

func (d *doc) end() ([]byte, error) {
	d.raw([]byte{0x1b, 'd', 3}, cmdFeedCut)
	return d.b.Bytes(), d.err
}

// ComplaintReceipt renders the receipt handed to a complaining customer.
func (l Layout) ComplaintReceipt(r printer.ComplaintReceipt) ([]byte, error) {
	if strings.TrimSpace(r.Ticket) == "" {
		return nil, fmt.Errorf("complaint receipt: ticket number is required")
	}
	d := l.begin()
	d.raw(cmdCenter)
	d.size(2, 2)
	d.line("投诉受理回执", 2)
	d.raw(cmdSizeReset)
	d.line("Complaint receipt", 1)
	d.raw(cmdLeft)
	d.rule()
	d.line("单号 Ticket: "+r.Ticket, 1)
	d.line("网点 Outlet: "+r.Outlet, 1)
	d.line("受理 Received: "+r.Received.Format("2006-01-02 15:04"), 1)
	d.line("答复 Reply by: "+r.ReplyBy.Format("2006-01-02 15:04"), 1)
	d.rule()
	d.line("投诉内容 Complaint:", 1)
	d.line(r.Text, 1)
	d.rule()
	d.line("我们将在上述时间前答复您。", 1)
	d.raw(cmdCenter)
	d.code128(r.Ticket)
	return d.end()
}

// ShelfLabel renders the pickup-code slip on receipt paper.
func (l Layout) ShelfLabel(s printer.ShelfLabel) ([]byte, error) {
	if strings.TrimSpace(s.PickupCode) == "" || strings.TrimSpace(s.Waybill) == "" {
		return nil, fmt.Errorf("shelf label: pickup code and waybill are required")
	}
	d := l.begin()
	d.raw(cmdCenter)
	d.line("取件码", 1)
	d.size(3, 3)
	d.line(s.PickupCode, 3)
	d.raw(cmdSizeReset)
	d.line("手机 "+printer.MaskPhone(s.Phone), 1)
	d.code128(s.Waybill)
	d.line("日期 "+s.Date.Format("2006-01-02"), 1)
	return d.end()
}

// ExceptionTag renders the exception slip on receipt paper.
func (l Layout) ExceptionTag(t printer.ExceptionTag) ([]byte, error) {
	if strings.TrimSpace(t.Waybill) == "" || strings.TrimSpace(t.Kind) == "" {
		return nil, fmt.Errorf("exception tag: waybill and kind are required")
	}
	d := l.begin()
	d.raw(cmdCenter)
	d.size(2, 2)
	d.line("异常 "+printer.KindLabel(t.Kind), 2)
	d.raw(cmdSizeReset)
	d.code128(t.Waybill)
	d.raw(cmdLeft)
	d.line("登记人 By: "+t.Reporter, 1)
	if t.Note != "" {
		d.line("备注 Note: "+t.Note, 1)
	}
	d.line("日期 Date: "+t.Date.Format("2006-01-02 15:04"), 1)
	return d.end()
}
