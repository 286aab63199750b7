// Package ingest turns what the counter and the scanners report into events
// in the log. It is the one path from a barcode to a durable fact: it checks
// the input, appends, and returns only after the event is on disk.
package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/devices/barcode"
	"github.com/yizhan/yizhan/syncproto"
)

// MaxBarcodeLen is the longest barcode accepted; longer reads are noise.
const MaxBarcodeLen = 64

// Actions a scan may carry.
var actions = map[string]bool{"inbound": true}

// InputError is bad input from a person or a device. Nothing was saved.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

func inputErr(format string, args ...any) error {
	return &InputError{Msg: fmt.Sprintf(format, args...)}
}

// Scan is one barcode read.
type Scan struct {
	Barcode   string
	Action    string
	Actor     string // staff id; "counter" when unknown
	Scanner   string // device name, empty for the screen
	Symbology string
	AIM       string // AIM symbology identifier the scanner sent, if any
}

// Service appends scans to a log.
type Service struct{ Log *eventlog.Log }

// Scan validates s and appends it. The returned event is durable.
func (sv *Service) Scan(ctx context.Context, s Scan) (syncproto.Event, error) {
	code, err := CheckBarcode(s.Barcode)
	if err != nil {
		return syncproto.Event{}, err
	}
	if !actions[s.Action] {
		return syncproto.Event{}, inputErr("未知操作 %q / unknown action %q: allowed: %s", s.Action, s.Action, allowedActions())
	}
	res := barcode.Validate(code, s.AIM)
	if res.Err != nil {
		return syncproto.Event{}, &InputError{Msg: res.Err.Error()}
	}
	if s.Actor == "" {
		s.Actor = "counter"
	}
	if s.Symbology == "" {
		s.Symbology = string(res.Symbology)
	}
	subject := res.Waybill
	if subject == "" {
		subject = res.Text
	}
	p := eventlog.ScanPayload{Barcode: code, Action: s.Action, Scanner: s.Scanner, Symbology: s.Symbology,
		Kind: string(res.Kind), Flags: res.Flags}
	for _, c := range res.Candidates {
		p.Carriers = append(p.Carriers, c.Carrier)
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return syncproto.Event{}, err
	}
	return sv.Log.Append(ctx, eventlog.Draft{Actor: s.Actor, Type: eventlog.TypeScanned, Subject: subject, Payload: payload})
}

// CheckBarcode trims surrounding spaces and refuses what cannot be a barcode:
// empty, overlong, control characters, invalid UTF-8.
func CheckBarcode(raw string) (string, error) {
	code := strings.TrimSpace(raw)
	switch {
	case code == "":
		return "", inputErr("条码为空 / empty barcode: scan again")
	case !utf8.ValidString(code):
		return "", inputErr("条码含无效字节 / barcode has invalid bytes: scan again")
	case utf8.RuneCountInString(code) > MaxBarcodeLen:
		return "", inputErr("条码过长 / barcode longer than %d characters: likely a misread, scan again", MaxBarcodeLen)
	}
	for _, r := range code {
		if unicode.IsControl(r) {
			return "", inputErr("条码含控制字符 / barcode has control character %U: likely a misread, scan again", r)
		}
	}
	return code, nil
}

func allowedActions() string {
	var a []string
	for k := range actions {
		a = append(a, k)
	}
	sort.Strings(a)
	return strings.Join(a, ", ")
}
