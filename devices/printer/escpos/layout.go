package escpos

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yizhan/yizhan/devices/printer"
)

// Layout renders the outlet's documents as ESC/POS receipts from the shared
// slip model (printer.Slip).
type Layout struct{ cfg printer.Config }

var _ printer.Templates = Layout{}

// NewLayout renders without a printer, for previews and tests.
func NewLayout(cfg printer.Config) Layout { return Layout{cfg: Defaults(cfg)} }

var (
	cmdInit    = []byte{0x1b, '@'}
	cmdChinese = []byte{0x1c, '&'} // FS &: double-byte Chinese mode, GB18030 on Chinese firmware
	cmdAlign   = map[printer.Align][]byte{printer.Left: {0x1b, 'a', 0}, printer.Center: {0x1b, 'a', 1}}
	cmdFeedCut = []byte{0x1d, 'V', 66, 0} // GS V 66 0: feed to the cutter and cut
)

// Render turns a laid-out slip into ESC/POS with GB18030 text. Alignment
// and size commands are sent only when they change.
func Render(s *printer.Slip) ([]byte, error) {
	var b bytes.Buffer
	b.Write(cmdInit)
	b.Write(cmdChinese)
	align, mag := printer.Align(-1), 1 // after ESC @: alignment unknown to us, size 1
	for _, l := range s.Lines {
		if l.Align != align {
			b.Write(cmdAlign[l.Align])
			align = l.Align
		}
		if l.Mag != mag {
			b.Write([]byte{0x1d, '!', byte((l.Mag-1)<<4 | (l.Mag - 1))}) // GS !: width and height
			mag = l.Mag
		}
		switch {
		case l.Rule:
			b.WriteString(strings.Repeat("-", s.Columns) + "\n")
		case l.Barcode != nil:
			data, err := barcodeData(l.Barcode)
			if err != nil {
				return nil, err
			}
			// GS h height, GS w module, GS H 2: text below; GS k 73: Code 128.
			b.Write([]byte{0x1d, 'h', byte(l.Barcode.Height), 0x1d, 'w', byte(l.Barcode.Module), 0x1d, 'H', 2})
			b.Write([]byte{0x1d, 'k', 73, byte(len(data))})
			b.Write(data)
			b.WriteByte('\n')
		default:
			enc, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(l.Text))
			if err != nil {
				return nil, fmt.Errorf("encode %q as GB18030: %w", l.Text, err)
			}
			b.Write(enc)
			b.WriteByte('\n')
		}
	}
	b.Write([]byte{0x1b, 'd', 3})
	b.Write(cmdFeedCut)
	return b.Bytes(), nil
}

// barcodeData writes the code sets the model chose as GS k 73 data: {B
// then text ("{" as "{{"), {C then one byte 0..99 per digit pair. The
// printer then draws exactly the bars the preview shows.
func barcodeData(bc *printer.Barcode) ([]byte, error) {
	var data []byte
	for _, seg := range bc.Symbol.Segments {
		if seg.Set == 'C' {
			data = append(data, '{', 'C')
			for i := 0; i+1 < len(seg.Text); i += 2 {
				data = append(data, (seg.Text[i]-'0')*10+seg.Text[i+1]-'0')
			}
			continue
		}
		data = append(data, '{', 'B')
		data = append(data, strings.ReplaceAll(seg.Text, "{", "{{")...)
	}
	if len(data) > 255 {
		return nil, fmt.Errorf("条码太长 / barcode %q is too long for a receipt printer (%d bytes, at most 255)", bc.Symbol.Text, len(data))
	}
	return data, nil
}

// ComplaintReceipt renders the receipt handed to a complaining customer.
func (l Layout) ComplaintReceipt(r printer.ComplaintReceipt) ([]byte, error) {
	s, err := r.Slip(l.cfg)
	if err != nil {
		return nil, err
	}
	return Render(s)
}

// ShelfLabel renders the pickup-code slip on receipt paper.
func (l Layout) ShelfLabel(s printer.ShelfLabel) ([]byte, error) {
	m, err := s.Slip(l.cfg)
	if err != nil {
		return nil, err
	}
	return Render(m)
}

// WaybillLabel is not printed on receipt paper: it returns
// printer.ErrLabelOnly.
func (l Layout) WaybillLabel(w printer.WaybillLabel) ([]byte, error) {
	s, err := w.Slip(l.cfg)
	if err != nil {
		return nil, err
	}
	return Render(s)
}

// ExceptionTag renders the exception slip on receipt paper.
func (l Layout) ExceptionTag(t printer.ExceptionTag) ([]byte, error) {
	s, err := t.Slip(l.cfg)
	if err != nil {
		return nil, err
	}
	return Render(s)
}
