package peripherals

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/spool"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Problems a print job can have, as the screen words them.
const (
	ProblemRenderFailed = "render_failed" // the label could not be drawn; nothing was sent
	ProblemUnconfirmed  = "unconfirmed"   // sending broke off: it may or may not have printed
	ProblemHeld         = "held"          // its printer is not ready (paper out, offline…)
)

// Print actions a clerk can take on a job (PrintAction).
const (
	ActionRetry          = "retry"           // draw a failed label again, or ask a held printer now
	ActionWithoutBarcode = "without_barcode" // draw a failed label again without its barcode
	ActionReprint        = "reprint"         // print an unconfirmed or printed label again
	ActionConfirm        = "confirm"         // an unconfirmed label did come out
	ActionCancel         = "cancel"          // withdraw a job that has not printed
)

// What the agent prints, as PrintJob.Doc names it for the screen.
const (
	DocShelfLabel       = "shelf_label"
	DocComplaintReceipt = "complaint_receipt"
	DocWaybillLabel     = "waybill_label"
)

// docTitles are the job titles the spool keeps (for logs and the command
// line), one per document: the screen words the document from Doc and Ref
// instead, in its own language.
var docTitles = map[string]string{DocShelfLabel: "取件码 ", DocComplaintReceipt: "投诉回执 ", DocWaybillLabel: "运单 "}

func docTitle(doc, ref string) string { return docTitles[doc] + ref }

// docOf reads a job title back as its document and reference; a reprint's
// title is the original's behind the spool's own prefix.
func docOf(title string, reprint bool) (doc, ref string) {
	if _, orig, ok := strings.Cut(title, ": "); reprint && ok {
		title = orig
	}
	for d, prefix := range docTitles {
		if r, ok := strings.CutPrefix(title, prefix); ok {
			return d, r
		}
	}
	return "", ""
}

var printActions = []string{ActionRetry, ActionWithoutBarcode, ActionReprint, ActionConfirm, ActionCancel}

// PrintJob is a spool job as the counter screen lists it: what is wrong
// with it, if anything, and what the clerk can do about it now.
type PrintJob struct {
	spool.Job
	Doc     string          `json:"doc,omitempty"` // shelf_label, complaint_receipt, waybill_label
	Ref     string          `json:"ref,omitempty"` // the pickup code, ticket or number it is for
	Problem string          `json:"problem,omitempty"`
	Actions []string        `json:"actions"`
	Device  *devices.Status `json:"device,omitempty"` // the printer, when it holds the job
}

// PrintJobs lists the newest limit jobs, oldest first; with problemsOnly,
// only the jobs a clerk must act on.
func (m *Manager) PrintJobs(problemsOnly bool, limit int) ([]PrintJob, error) {
	printers := map[string]devices.Status{}
	for _, p := range m.spool.Printers() {
		printers[p.Name] = p.Device
	}
	f := spool.Filter{Limit: limit}
	if problemsOnly {
		f = spool.Filter{States: []spool.State{spool.Failed, spool.NeedsConfirmation, spool.Queued, spool.Sending}}
	}
	jobs, err := m.spool.Jobs(f)
	if err != nil {
		return nil, err
	}
	out := []PrintJob{}
	for _, j := range jobs {
		pj := describe(j, printers[j.Printer])
		if problemsOnly && pj.Problem == "" {
			continue
		}
		out = append(out, pj)
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// PrintJob returns one job as PrintJobs lists it.
func (m *Manager) PrintJob(id uint64) (PrintJob, error) {
	j, err := m.spool.Job(id)
	if err != nil {
		return PrintJob{}, spoolProblem(err, id, "", "")
	}
	j.Data = nil
	for _, p := range m.spool.Printers() {
		if p.Name == j.Printer {
			return describe(j, p.Device), nil
		}
	}
	return describe(j, devices.Status{}), nil
}

func describe(j spool.Job, printer devices.Status) PrintJob {
	pj := PrintJob{Job: j, Actions: []string{}}
	pj.Doc, pj.Ref = docOf(j.Title, j.ReprintOf != 0)
	switch j.State {
	case spool.Failed:
		pj.Problem, pj.Actions = ProblemRenderFailed, []string{ActionWithoutBarcode, ActionRetry, ActionCancel}
	case spool.NeedsConfirmation:
		pj.Problem, pj.Actions = ProblemUnconfirmed, []string{ActionConfirm, ActionReprint, ActionCancel}
	case spool.Queued, spool.Sending:
		if printer.State != devices.StateOK {
			pj.Problem, pj.Device = ProblemHeld, &printer
			pj.Actions = []string{ActionRetry}
			if j.State == spool.Queued {
				pj.Actions = append(pj.Actions, ActionCancel)
			}
		}
	case spool.Printed:
		pj.Actions = []string{ActionReprint}
	}
	return pj
}

// PrintAction takes a clerk's action on job id and returns the job that
// now stands for it: a new one for retry of a failed label, without_barcode
// and reprint, else the same one.
func (m *Manager) PrintAction(id uint64, action, by string) (PrintJob, error) {
	if !slices.Contains(printActions, action) {
		return PrintJob{}, problem.New(problem.PrintUnknownAction, "action", action, "allowed", printActions)
	}
	j, err := m.spool.Job(id)
	if err != nil {
		return PrintJob{}, spoolProblem(err, id, action, "")
	}
	if !slices.Contains(describe(j, devices.Status{State: devices.StateFault}).Actions, action) && !(action == ActionReprint && j.State == spool.Superseded) {
		return PrintJob{}, problem.New(problem.PrintWrongState, "id", id, "state", string(j.State), "action", action)
	}
	next := id
	switch action {
	case ActionRetry:
		if j.State != spool.Failed {
			m.spool.Kick(j.Printer)
			break
		}
		next, err = m.rerender(j, false, by)
	case ActionWithoutBarcode:
		next, err = m.rerender(j, true, by)
	case ActionReprint:
		next, err = m.spool.Reprint(id, by)
	case ActionConfirm:
		err = m.spool.ConfirmPrinted(id, by)
	case ActionCancel:
		err = m.spool.Cancel(id, by)
	}
	if err != nil {
		return PrintJob{}, spoolProblem(err, id, action, j.Printer)
	}
	return m.PrintJob(next)
}

// rerender draws a failed job's label again from its source and queues it
// in the failed job's place; when it still cannot be drawn the failed job
// stays, with the new reason.
func (m *Manager) rerender(j spool.Job, noBarcode bool, by string) (uint64, error) {
	var src labelSource
	if err := json.Unmarshal(j.Data, &src); err != nil {
		return 0, fmt.Errorf("print job %d: read its label source: %w", j.ID, err)
	}
	if noBarcode {
		src = src.withoutBarcode()
	}
	data, err := m.render(j.Printer, src)
	if err != nil {
		if rerr := m.spool.Refail(j.ID, err); rerr != nil {
			m.logger.Error("record print job failure", "job", j.ID, "err", rerr)
		}
		return 0, problem.Wrap(err, problem.PrintRenderFailed, "id", j.ID, "detail", err.Error())
	}
	return m.spool.Replace(j.ID, by, j.Title, data)
}

// spoolProblem is the catalog's word for a spool error.
func spoolProblem(err error, id uint64, action, printerName string) error {
	switch {
	case problem.As(err) != nil:
		return err
	case errors.Is(err, spool.ErrNotFound):
		return problem.Wrap(err, problem.PrintJobNotFound, "id", id)
	case errors.Is(err, spool.ErrWrongState):
		return problem.Wrap(err, problem.PrintWrongState, "id", id, "state", "", "action", action)
	case errors.Is(err, spool.ErrFull):
		return problem.Wrap(err, problem.PrintQueueFull, "printer", printerName)
	}
	return err
}
