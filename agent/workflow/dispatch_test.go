package workflow

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

func TestDispatchDeliverReturn(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	var ws []string
	for _, w := range []string{"SF2000000000001", "SF2000000000002", "SF2000000000003"} {
		p, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: w, Phone: "13800001111", Shelf: "5", Layer: "1"})
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, p.Waybill)
	}
	courierSig := SignatureReq{Signer: "K-07", SVG: sig}
	if _, err := f.svc.Dispatch(ctx, f.clerk, DispatchReq{Courier: "K-07", Waybills: []string{ws[0], "SF9999999999999"}, Signature: courierSig}); err == nil {
		t.Fatal("dispatched a parcel this outlet does not hold")
	}
	if _, err := f.svc.Dispatch(ctx, f.clerk, DispatchReq{Courier: "K-07", Waybills: ws[:2], Signature: SignatureReq{Signer: "c01", Confirmation: "x"}}); err == nil {
		t.Fatal("the clerk signed for the courier")
	}
	if _, err := f.svc.Dispatch(ctx, f.clerk, DispatchReq{Courier: "K-07", Waybills: ws[:2]}); err == nil {
		t.Fatal("dispatched without the courier's signature")
	}
	b, err := f.svc.Dispatch(ctx, f.clerk, DispatchReq{Courier: "K-07", CourierName: "周师傅", Waybills: ws[:2], Signature: courierSig})
	if err != nil || b.Counts.Parcels != 2 || len(b.Open) != 2 {
		t.Fatalf("dispatch: %+v %v", b, err)
	}
	p, _ := f.svc.Parcel(ws[0])
	if p.State != lifecycle.ParcelStateOutForDelivery || p.PickupCode != "" {
		t.Fatalf("parcel out for delivery: %+v", p)
	}
	if found, _ := f.svc.Find("", "", "1111"); len(found) != 1 {
		t.Fatalf("only the parcel still in stock should be found by phone, got %d", len(found))
	}
	if _, err := f.svc.Dispatch(ctx, f.clerk, DispatchReq{Courier: "K-08", Waybills: ws[:1], Signature: SignatureReq{Signer: "K-08", Confirmation: "ok"}}); !problem.Is(err, problem.ParcelOutForDelivery) {
		t.Fatalf("second dispatch of a parcel out: %v", err)
	}
	if p, err = f.svc.Delivered(ctx, f.clerk, ws[0], SignatureReq{Signer: "recipient", SVG: sig}); err != nil || p.State != lifecycle.ParcelStateDelivered {
		t.Fatalf("delivered: %+v %v", p, err)
	}
	if _, err := f.svc.ReturnUndelivered(ctx, f.clerk, ws[1], ReturnReq{Reason: "on holiday", Disposition: "restock", Shelf: "6", Layer: "2"}); err == nil {
		t.Fatal("a reason outside the list was accepted")
	}
	p, err = f.svc.ReturnUndelivered(ctx, f.clerk, ws[1], ReturnReq{Reason: "recipient_absent", Disposition: "restock", Shelf: "6", Layer: "2"})
	if err != nil || p.State != lifecycle.ParcelStateInStock || !strings.HasPrefix(p.PickupCode, "6-2-") {
		t.Fatalf("restocked: %+v %v", p, err)
	}
	if found, _ := f.svc.Find(p.PickupCode, "", ""); len(found) != 1 {
		t.Fatal("the restocked parcel is not findable by its new code")
	}
	b, _ = f.svc.Batch(b.ID)
	if b.Counts.Delivered != 1 || b.Counts.Returned != 1 || len(b.Open) != 0 {
		t.Fatalf("batch after the day: %+v", b)
	}
	// Out again, and still out at day end: flagged.
	b2, err := f.svc.Dispatch(ctx, f.clerk, DispatchReq{Courier: "K-07", Waybills: []string{ws[1], ws[2]}, Signature: courierSig})
	if err != nil {
		t.Fatal(err)
	}
	open, _ := f.svc.OpenAtDayEnd()
	now := f.clk.Now().Local()
	if now.Sub(time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())) < DayEnd && len(open) != 0 {
		t.Fatalf("flagged before the day ended: %v", open)
	}
	f.clk.Advance(24 * time.Hour)
	open, _ = f.svc.OpenAtDayEnd()
	if len(open) != 2 || len(b2.Open) != 2 {
		t.Fatalf("open at day end: %v", open)
	}
	if p, err = f.svc.ReturnUndelivered(ctx, f.clerk, ws[2], ReturnReq{Reason: "address_wrong", Disposition: "return"}); err != nil || p.State != lifecycle.ParcelStateReturning {
		t.Fatalf("into the return flow: %+v %v", p, err)
	}
}
