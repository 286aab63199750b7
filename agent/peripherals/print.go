package peripherals

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/scale"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// render builds the named printer's driver and lets f render a template.
func (m *Manager) enqueue(name, title string, f func(printer.Templates) ([]byte, error)) (uint64, error) {
	if name == "" {
		return 0, nil // no printer configured for this: nothing to print
	}
	pc, ok := m.cfg.Printer(name)
	if !ok {
		return 0, fmt.Errorf("no printer named %q", name)
	}
	d, err := printer.New(pc, printer.Options{Logger: m.logger})
	if err != nil {
		return 0, err
	}
	data, err := f(d)
	if err != nil {
		return 0, fmt.Errorf("render %s: %w", title, err)
	}
	return m.spool.Enqueue(name, title, data)
}

// ShelfLabel queues a parcel's shelf label on the label printer. Titles
// carry no personal data: the spool shows them on screens.
func (m *Manager) ShelfLabel(p lifecycle.Parcel) (uint64, error) {
	return m.enqueue(m.cfg.LabelPrinter, "取件码 "+p.PickupCode, func(t printer.Templates) ([]byte, error) {
		return t.ShelfLabel(printer.ShelfLabel{PickupCode: p.PickupCode, Phone: p.PhoneMasked, Waybill: p.Waybill, Date: p.InboundAt.Local()})
	})
}

// ComplaintReceipt queues a complaint receipt on the receipt printer, or the
// label printer when there is no receipt printer.
func (m *Manager) ComplaintReceipt(c lifecycle.Complaint, replyBy time.Time) (uint64, error) {
	name := m.cfg.ReceiptPrinter
	if name == "" {
		name = m.cfg.LabelPrinter
	}
	return m.enqueue(name, "投诉回执 "+c.Ticket, func(t printer.Templates) ([]byte, error) {
		return t.ComplaintReceipt(printer.ComplaintReceipt{Ticket: c.Ticket, Outlet: c.Outlet, Received: c.ReceivedAt.Local(), ReplyBy: replyBy.Local(), Text: c.Text})
	})
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
	return m.enqueue(name, "运单 "+sh.Number, func(t printer.Templates) ([]byte, error) {
		return t.WaybillLabel(printer.WaybillLabel{Number: sh.Number, Date: time.UnixMilli(sh.At).Local(),
			Sender:      printer.Party{Name: sh.Sender.NameMasked, Phone: sh.Sender.PhoneMasked},
			Recipient:   printer.Party{Name: sh.Recipient.NameMasked, Phone: sh.Recipient.PhoneMasked, Address: sh.Recipient.Address},
			Destination: sh.Recipient.DestCode, WeightG: int(sh.WeightGrams), PriceFen: sh.Quote.TotalFen, InsuredFen: insured,
			Items: sh.Items, Outlet: m.Outlet})
	})
}
