package printer

import (
	"strings"
	"testing"
	"time"
)

// A waybill Code 128 cannot encode fails to render with its bars, and the
// same label without them carries the number in clear instead.
func TestNoBarcodePrintsTheNumberInClear(t *testing.T) {
	doc := ShelfLabel{PickupCode: "3-2-0001", Phone: "13812345678", Waybill: "顺丰456", Date: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
	cfg, f := Config{WidthMM: 60, HeightMM: 40, DPI: 203}, Font{Name: "E:SIMSUN.FNT"}
	if _, err := doc.Label(cfg, f); err == nil || !strings.Contains(err.Error(), "cannot be printed as a barcode") {
		t.Fatalf("Label with bars = %v, want a barcode error", err)
	}
	if _, err := doc.Slip(Config{Columns: 32}); err == nil {
		t.Fatal("Slip with bars rendered an unencodable waybill")
	}
	doc.NoBarcode = true
	l, err := doc.Label(cfg, f)
	if err != nil {
		t.Fatalf("Label without bars: %v", err)
	}
	var texts []string
	for _, it := range l.Items {
		switch it := it.(type) {
		case Barcode:
			t.Fatalf("label without bars has a barcode %+v", it)
		case Text:
			texts = append(texts, it.Text)
		}
	}
	if !strings.Contains(strings.Join(texts, "|"), "顺丰456") {
		t.Fatalf("label texts %q do not carry the waybill", texts)
	}
	s, err := doc.Slip(Config{Columns: 32})
	if err != nil {
		t.Fatalf("Slip without bars: %v", err)
	}
	found := false
	for _, line := range s.Lines {
		if line.Barcode != nil {
			t.Fatal("slip without bars has a barcode")
		}
		found = found || strings.Contains(line.Text, "顺丰456")
	}
	if !found {
		t.Fatal("slip without bars does not carry the waybill")
	}
}
