package workflow

import (
	"context"
	"testing"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// Head office's class of a customer is found by the phone the clerk types
// (in any spelling) and by the parcel being picked up; a newer event wins,
// a malformed entry is skipped, and a customer head office sent nothing
// about has no class.
func TestCustomerClassFromTheDownlink(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	m, _ := sealed.NewMaster(installation)
	id := sealed.CustomerID(m.CustomerSecret(), "13812345678")
	if _, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "RB123456785GB", Phone: "138 1234 5678", Shelf: "3", Layer: "2"}); err != nil {
		t.Fatal(err)
	}
	send := func(seq uint64, classes ...lifecycle.CustomerClassV1) {
		t.Helper()
		ev := hubEvent(t, seq, lifecycle.CustomerClasses, "", lifecycle.CustomerClassesV1{Classes: classes, At: f.clk.Now().UnixMilli()})
		ev.Target = "SH-001"
		if _, err := f.events.ApplyDown(&syncproto.Down{From: seq - 1, Through: seq, HubTime: hubMillis(), Events: []syncproto.Event{ev}}, Projector()); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := f.svc.CustomerClass(ClassReq{Phone: "13812345678"}); err != nil || c != "" {
		t.Fatalf("before head office said: %q %v", c, err)
	}
	send(1, lifecycle.CustomerClassV1{Customer: id, Class: "general_develop"}, lifecycle.CustomerClassV1{Customer: "x", Class: "no such\nclass"})
	send(2, lifecycle.CustomerClassV1{Customer: id, Class: "important_value"})
	for _, r := range []ClassReq{{Phone: "+86 138-1234-5678"}, {Waybill: "RB123456785GB"}} {
		if c, err := f.svc.CustomerClass(r); err != nil || c != "important_value" {
			t.Errorf("%+v: %q %v, want the newer class", r, c, err)
		}
	}
	if c, err := f.svc.CustomerClass(ClassReq{Phone: "13900000000"}); err != nil || c != "" {
		t.Errorf("a customer head office sent nothing about: %q %v", c, err)
	}
	if c, _ := f.svc.CustomerClass(ClassReq{Phone: "x"}); c != "" {
		t.Errorf("a malformed entry was kept")
	}
	if _, err := f.svc.CustomerClass(ClassReq{Phone: "1381234"}); !problem.Is(err, problem.PhoneLength) {
		t.Errorf("a short phone: %v", err)
	}
	if _, err := f.svc.CustomerClass(ClassReq{Waybill: "SF404"}); !problem.Is(err, problem.ParcelNotFound) {
		t.Errorf("an unknown parcel: %v", err)
	}
}
