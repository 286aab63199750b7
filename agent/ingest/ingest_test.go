package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/devices/barcode"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

var barcodeCases = []struct {
	in, want string
	bad      bool
}{
	{"SF1234567890123", "SF1234567890123", false},
	{"  RB123456785GB\r\n", "RB123456785GB", false},
	{"", "", true},
	{"   ", "", true},
	{"SF12\x0034", "", true},
	{"SF12\x1b[A", "", true},
	{"\xff\xfe", "", true},
	{strings.Repeat("7", MaxBarcodeLen+1), "", true},
	{strings.Repeat("7", MaxBarcodeLen), strings.Repeat("7", MaxBarcodeLen), false},
	// A waybill holds only ASCII letters, digits and '-' (its label prints
	// as Code 128): a carrier's name, a space or a full-width digit is refused.
	{"中通73123456789012", "", true},
	{"顺丰456", "", true},
	{"快递123", "", true},
	{"SF123 456", "", true},
	{"SF１２３", "", true},
	{"JDX000123456789-1-1-", "JDX000123456789-1-1-", false},
}

func TestClassify(t *testing.T) {
	for _, tc := range barcodeCases {
		t.Run(tc.in, func(t *testing.T) {
			res, err := Classify(tc.in, "")
			if tc.bad != (err != nil) || (err != nil && problem.CodeOf(err).Class() != problem.Invalid) || (err == nil && res.Text != tc.want) {
				t.Fatalf("Classify(%q) = %q, %v", tc.in, res.Text, err)
			}
		})
	}
}

// A refused waybill says which character, where, and what a waybill may
// hold, so the screen can word it.
func TestClassifyNamesTheBadCharacter(t *testing.T) {
	_, err := Classify("顺丰456", "")
	if !problem.Is(err, problem.BarcodeWaybillChars) {
		t.Fatalf("Classify(顺丰456) = %v, want %s", err, problem.BarcodeWaybillChars)
	}
	p := problem.As(err).Params()
	if p["char"] != "顺" || p["position"] != 1 || p["waybill"] != "顺丰456" || p["allowed"] != barcode.WaybillChars {
		t.Fatalf("params = %v", p)
	}
	_, err = Classify("SF123 456", "")
	if p := problem.As(err).Params(); p["char"] != " " || p["position"] != 6 {
		t.Fatalf("space: %v, params %v", err, p)
	}
}

func FuzzClassify(f *testing.F) {
	for _, tc := range barcodeCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		res, err := Classify(in, "")
		if err != nil {
			return
		}
		got := res.Text
		if got == "" || !utf8.ValidString(got) || utf8.RuneCountInString(got) > MaxBarcodeLen {
			t.Fatalf("accepted %q as %q", in, got)
		}
		if err := barcode.CheckWaybill(res.Waybill); err != nil {
			t.Fatalf("accepted %q filed under %q: %v", in, res.Waybill, err)
		}
	})
}

func openLog(t *testing.T) *eventlog.Log {
	t.Helper()
	f, err := datafile.Open(t.TempDir(), datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := eventlog.Open(f, eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); f.Close() })
	return l
}

func TestScanRejectsWithoutSaving(t *testing.T) {
	l := openLog(t)
	sv := &Service{Events: l}
	for _, s := range []Scan{{Barcode: "", Action: "inbound"}, {Barcode: "SF1", Action: "teleport"}, {Barcode: "SF\x07", Action: "inbound"}} {
		if _, err := sv.Scan(context.Background(), s); err == nil {
			t.Fatalf("accepted %+v", s)
		}
	}
	if l.Counters().LastSeq != 0 {
		t.Fatal("a rejected scan was saved")
	}
	ev, err := sv.Scan(context.Background(), Scan{Barcode: "SF1", Action: "inbound"})
	if err != nil || ev.Seq != 1 || ev.Actor != "counter" || ev.Subject != "SF1" {
		t.Fatalf("good scan: %+v %v", ev, err)
	}
}

func TestScanValidatesBarcodes(t *testing.T) {
	l := openLog(t)
	sv := &Service{Events: l}
	for _, tc := range []struct {
		name, code, aim, subject, kind string
		bad                            bool
	}{
		{"good S10", "RB123456785GB", "", "RB123456785GB", "s10", false},
		{"S10 misread", "RB123456784GB", "", "", "", true},
		{"SSCC misread", "00123456789012345670", "", "", "", true},
		{"unknown accepted", "XYZ-0001", "", "XYZ-0001", "unknown", false},
		{"ZTO-shaped", "73123456789012", "", "73123456789012", "carrier", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := sv.Scan(context.Background(), Scan{Barcode: tc.code, AIM: tc.aim, Action: "inbound"})
			if tc.bad {
				if !problem.Is(err, problem.BarcodeMisread) {
					t.Fatalf("misread accepted: %+v %v", ev, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var p lifecycle.ScannedV1
			json.Unmarshal(ev.Payload, &p)
			if ev.Subject != tc.subject || p.Kind != tc.kind {
				t.Fatalf("subject %q kind %q", ev.Subject, p.Kind)
			}
		})
	}
}

// Every kind of rejection devices/barcode makes has its own catalog code.
func TestBarcodeRejectionsHaveCodes(t *testing.T) {
	for _, e := range []*barcode.Error{barcode.ErrMisread, barcode.ErrBadCountry, barcode.ErrEmpty, barcode.ErrControl,
		barcode.ErrBinary, barcode.ErrOverlong, barcode.ErrFraming, barcode.ErrGS1, barcode.ErrGS1UnknownAI} {
		err := barcodeProblem(e)
		if problem.Is(err, problem.BarcodeRejected) || problem.CodeOf(err).Class() != problem.Invalid || !errors.Is(err, e) {
			t.Errorf("%s: %v", e.Code, err)
		}
	}
	if !problem.Is(barcodeProblem(errors.New("other")), problem.BarcodeRejected) {
		t.Error("an unknown rejection must still be refused with a code")
	}
}
