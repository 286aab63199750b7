package peripherals

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/scale"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// enqueue renders src for the named printer and queues it. A label that
// cannot be rendered is not dropped with a log line: it is recorded in the
// spool as a failed job holding src, so the screen lists it and the clerk
// can print it again, without its barcode, or cancel it (PrintAction). The
// job id is returned with the error then.
func (m *Manager) enqueue(name, title string, src labelSource) (uint64, error) {
	if name == "" {
		return 0, nil // no printer configured for this: nothing to print
	}
	data, err := m.render(name, src)
	if err == nil {
		return m.spool.Enqueue(name, title, data)
	}
	raw, jerr := json.Marshal(src)
	if jerr != nil {
		return 0, fmt.Errorf("render %s: %w", title, err)
	}
	id, ferr := m.spool.Fail(name, title, raw, err)
	if ferr != nil {
		return 0, fmt.Errorf("render %s: %w (and recording it failed: %v)", title, err, ferr)
	}
	m.logger.Warn("label could not be rendered; it waits for the clerk", "job", id, "title", title, "err", err)
	return id, problem.Wrap(err, problem.PrintRenderFailed, "id", id, "detail", err.Error())
}

// render builds the named printer's driver and renders src with it.
func (m *Manager) render(name string, src labelSource) ([]byte, error) {
	pc, ok := m.cfg.Printer(name)
	if !ok {
		return nil, fmt.Errorf("no printer named %q", name)
	}
	d, err := printer.New(pc, printer.Options{Logger: m.logger})
	if err != nil {
		return nil, err
	}
	return src.render(d)
}

// labelSource is what a label is rendered from, kept with a failed job so
// it can be rendered again. Exactly one document is set; all hold masked
// personal data only, like the printed label.
type labelSource struct {
	Shelf   *printer.ShelfLabel       `json:"shelf_label,omitempty"`
	Receipt *printer.ComplaintReceipt `json:"complaint_receipt,omitempty"`
	Waybill *printer.WaybillLabel     `json:"waybill_label,omitempty"`
}

func (l labelSource) render(t printer.Templates) ([]byte, error) {
	switch {
	case l.Shelf != nil:
		return t.ShelfLabel(*l.Shelf)
	case l.Receipt != nil:
		return t.ComplaintReceipt(*l.Receipt)
	case l.Waybill != nil:
		return t.WaybillLabel(*l.Waybill)
	}
	return nil, errors.New("print job source holds no document")
}

// withoutBarcode is the same document with its barcode left out.
func (l labelSource) withoutBarcode() labelSource {
	switch {
	case l.Shelf != nil:
		d := *l.Shelf
		d.NoBarcode, l.Shelf = true, &d
	case l.Receipt != nil:
		d := *l.Receipt
		d.NoBarcode, l.Receipt = true, &d
	case l.Waybill != nil:
		d := *l.Waybill
		d.NoBarcode, l.Waybill = true, &d
	}
	return l
}

// ShelfLabel queues a parcel's shelf label on the label printer. Titles
// carry no personal data: the spool shows them on screens.
func (m *Manager) ShelfLabel(p lifecycle.Parcel) (uint64, error) {
	return m.enqueue(m.cfg.LabelPrinter, docTitle(DocShelfLabel, p.PickupCode), labelSource{Shelf: &printer.ShelfLabel{
		PickupCode: p.PickupCode, Phone: p.PhoneMasked, Waybill: p.Waybill, Date: p.InboundAt.Local()}})
}

// ComplaintReceipt queues a complaint receipt on the receipt printer, or the
// label printer when there is no receipt printer.
func (m *Manager) ComplaintReceipt(c lifecycle.Complaint, replyBy time.Time) (uint64, error) {
	name := m.cfg.ReceiptPrinter
	if name == "" {
		name = m.cfg.LabelPrinter
	}
	return m.enqueue(name, docTitle(DocComplaintReceipt, c.Ticket), labelSource{Receipt: &printer.ComplaintReceipt{
		Ticket: c.Ticket, Outlet: c.Outlet, Received: c.ReceivedAt.Local(), ReplyBy: replyBy.Local(), Text: c.Text,
		Progress: ProgressLink(m.ProgressURL, c.Ticket)}})
}

// ProgressLink is the address of a ticket's progress page, "" without a
// page.
func ProgressLink(page, ticket string) string {
	if page == "" {
		return ""
	}
	return page + "?t=" + url.QueryEscape(ticket)
}

// PrinterConfigs lists the configured printers, for previews that should
// match the printer a label will come out of.
func (m *Manager) PrinterConfigs() []printer.Config { return m.cfg.Printers }

// StableGrams reads a stable weight from the named scale, waiting for it to
// settle as long as ctx allows.
func (m *Manager) StableGrams(ctx context.Context, name string) (int64, error) {
	sc, ok := m.Scale(name)
	if !ok {
		return 0, problem.New(problem.ScaleUnknown, "scale", name)
	}
	if _, has := ctx.Deadline(); !has {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
	}
	rd, err := sc.StableWeight(ctx, 500*time.Millisecond)
	if err != nil {
		return 0, scaleProblem(err, name)
	}
	return rd.Grams, nil
}

// scaleCodes word devices/scale's errors for the clerk.
var scaleCodes = []struct {
	err  error
	code problem.Code
}{
	{scale.ErrUnstable, problem.ScaleUnstable}, {scale.ErrOverload, problem.ScaleOverload},
	{scale.ErrDisconnected, problem.ScaleDisconnected}, {scale.ErrSilent, problem.ScaleSilent},
	{scale.ErrNoReading, problem.ScaleNoReading},
}

// scaleProblem is the catalog's word for a failed weighing; the device's
// error stays the cause, for the log.
func scaleProblem(err error, name string) error {
	for _, c := range scaleCodes {
		if errors.Is(err, c.err) {
			return problem.Wrap(err, c.code)
		}
	}
	return problem.Wrap(err, problem.ScaleFailed, "scale", name)
}

// WaybillLabel queues a shipment's waybill on the waybill printer (or the
// label printer). Only masked names and phones reach the printer.
func (m *Manager) WaybillLabel(sh lifecycle.ShipmentV1) (uint64, error) {
	name := m.cfg.WaybillPrinter
	if name == "" {
		name = m.cfg.LabelPrinter
	}
	insured := int64(0)
	if sh.Insured {
		insured = sh.DeclaredFen
	}
	return m.enqueue(name, docTitle(DocWaybillLabel, sh.Number), labelSource{Waybill: &printer.WaybillLabel{Number: sh.Number, Date: time.UnixMilli(sh.At).Local(),
		Sender:      printer.Party{Name: sh.Sender.NameMasked, Phone: sh.Sender.PhoneMasked},
		Recipient:   printer.Party{Name: sh.Recipient.NameMasked, Phone: sh.Recipient.PhoneMasked, Address: sh.Recipient.Address},
		Destination: sh.Recipient.DestCode, WeightG: int(sh.WeightGrams), PriceFen: sh.Quote.TotalFen, InsuredFen: insured,
		Items: sh.Items, Outlet: m.Outlet}})
}
