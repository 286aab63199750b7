// Package ingest turns what the counter and the scanners report into events
// in the log. It is the one path from a barcode to a durable fact: it checks
// the input, appends, and returns only after the event is on disk.
package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/devices/barcode"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// MaxBarcodeLen is the longest barcode accepted; longer reads are noise.
const MaxBarcodeLen = 64

// Actions a scan may carry.
var actions = map[string]bool{lifecycle.ScanActionInbound: true}

// Scan is one barcode read.
type Scan struct {
	Barcode   string
	Action    string
	Actor     string // staff id; "counter" when unknown
	Scanner   string // device name, empty for the screen
	Symbology string
	AIM       string // AIM symbology identifier the scanner sent, if any
}

// Service appends scans to the event log.
type Service struct{ Events *eventlog.Log }

// Scan validates s and appends it. The returned event is durable. Bad input
// is a *problem.Error of class invalid, and then nothing was saved.
func (sv *Service) Scan(ctx context.Context, s Scan) (syncproto.Event, error) {
	res, err := Classify(s.Barcode, s.AIM)
	if err != nil {
		return syncproto.Event{}, err
	}
	if !actions[s.Action] {
		return syncproto.Event{}, problem.New(problem.ScanUnknownAction, "action", s.Action, "allowed", allowedActions())
	}
	if s.Actor == "" {
		s.Actor = "counter"
	}
	if s.Symbology == "" {
		s.Symbology = string(res.Symbology)
	}
	p := lifecycle.ScannedV1{Barcode: res.Text, Action: s.Action, Scanner: s.Scanner, Symbology: s.Symbology,
		Kind: string(res.Kind), Flags: res.Flags}
	for _, c := range res.Candidates {
		p.Carriers = append(p.Carriers, c.Carrier)
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return syncproto.Event{}, err
	}
	return sv.Events.Append(ctx, eventlog.Draft{Actor: s.Actor, Type: lifecycle.ParcelScanned, Subject: res.Waybill, Payload: payload})
}

// Classify trims a read and validates it with devices/barcode, refusing
// what cannot be a barcode (empty, overlong, control characters, binary)
// and misread check digits. It is the one check every path that records a
// barcode goes through. The result's Waybill is the number to file the
// parcel under (the text itself when no rule extracts one); it must hold
// only the characters barcode.CheckWaybill allows, so that its shelf label
// can print.
func Classify(raw, aim string) (barcode.Result, error) {
	res := barcode.Validator{MaxLen: MaxBarcodeLen}.Validate(strings.TrimSpace(raw), aim)
	if res.Err != nil {
		return res, barcodeProblem(res.Err)
	}
	if res.Waybill == "" {
		res.Waybill = res.Text
	}
	if err := barcode.CheckWaybill(res.Waybill); err != nil {
		r, at, _ := barcode.BadWaybillRune(res.Waybill)
		return res, problem.Wrap(err, problem.BarcodeWaybillChars, "waybill", res.Waybill, "position", at, "char", string(r), "allowed", barcode.WaybillChars)
	}
	return res, nil
}

// barcodeCodes words devices/barcode's rejections for the clerk.
var barcodeCodes = map[barcode.Code]problem.Code{
	barcode.CodeMisread: problem.BarcodeMisread, barcode.CodeBadCountry: problem.BarcodeBadCountry,
	barcode.CodeEmpty: problem.BarcodeEmpty, barcode.CodeControl: problem.BarcodeControl,
	barcode.CodeBinary: problem.BarcodeBinary, barcode.CodeOverlong: problem.BarcodeOverlong,
	barcode.CodeFraming: problem.BarcodeFraming, barcode.CodeGS1: problem.BarcodeGS1,
	barcode.CodeGS1UnknownAI: problem.BarcodeGS1UnknownAI,
}

// barcodeProblem is the catalog's word for a rejected read; the device's
// own error, with its detail for the log, stays the cause.
func barcodeProblem(err error) error {
	var be *barcode.Error
	if errors.As(err, &be) {
		if code, ok := barcodeCodes[be.Code]; ok {
			return problem.Wrap(err, code)
		}
	}
	return problem.Wrap(err, problem.BarcodeRejected)
}

func allowedActions() []string {
	var a []string
	for k := range actions {
		a = append(a, k)
	}
	sort.Strings(a)
	return a
}
