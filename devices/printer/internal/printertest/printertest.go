// Package printertest holds test helpers shared by the printer drivers:
// golden files with an -update flag, and fixed sample documents.
package printertest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/devices/printer"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/ with the current output")

// Golden compares got with testdata/name, or rewrites it under -update.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden %s: %v (run go test -update to create it)", path, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update if the change is intended)\n got: %q\nwant: %q", path, got, want)
	}
}

// Day is the fixed time the sample documents use.
var Day = time.Date(2026, 3, 4, 10, 30, 0, 0, time.FixedZone("CST", 8*3600))

// Shelf is a sample shelf label carrying a full phone number, which every
// template must mask.
var Shelf = printer.ShelfLabel{PickupCode: "3-2-9903", Phone: "13812345678", Waybill: "YT7412345678901", Date: Day}

// Exception is a sample exception tag with characters that need escaping.
var Exception = printer.ExceptionTag{Waybill: "RB123456785GB", Kind: "damaged", Reporter: "张伟", Note: "外箱破损^内物完好~\"已拍照\"", Date: Day}

// Complaint is a sample complaint receipt with long Chinese text.
var Complaint = printer.ComplaintReceipt{
	Ticket:   "TS-20260304-0007",
	Outlet:   "上海徐汇漕溪路驿站",
	Received: Day,
	ReplyBy:  Day.Add(24 * time.Hour),
	Text:     "快递延误三天，包裹外包装破损，联系快递员电话无人接听。希望尽快处理并回电。Parcel late by 3 days.",
}
