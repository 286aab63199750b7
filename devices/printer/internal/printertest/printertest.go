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

// WaybillStock is e-waybill label stock, 100×150 mm.
var WaybillStock = printer.Config{WidthMM: 100, HeightMM: 150}

// Waybill is a sample waybill carrying full names and phone numbers (one
// typed into the address too), which every output must mask, and contents
// with characters that need escaping.
var Waybill = printer.WaybillLabel{
	Number:      "YZ123456785CN",
	Date:        Day,
	Sender:      printer.Party{Name: "张建国", Phone: "13812345678", Address: "上海市徐汇区漕溪北路 88 号"},
	Recipient:   printer.Party{Name: "李小明", Phone: "+86 139 0001 0001", Address: "北京市海淀区中关村大街 27 号中关村大厦 12 层 1208 室，放前台，电话13900010001"},
	Destination: "010 海淀",
	WeightG:     1250,
	PriceFen:    1230,
	InsuredFen:  200000,
	Items:       "衣服 2 件 ^~_\"",
	Outlet:      "SH-XH-0001",
}

// WaybillSecrets are the full values no waybill output may contain.
var WaybillSecrets = []string{"张建国", "建国", "李小明", "小明", "13812345678", "13900010001"}
