package workflow

import (
	"context"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// A parcel taken in without a shelf is not stuck: it is listed, found by
// the phone's last four digits, named as unshelved when scanned again or
// asked for at pickup, and shelving it gives it a code and a notice.
func TestUnshelvedParcelHasAWayOn(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	const wb = "SF1000000000077"
	p, job, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: wb, Phone: "13911112468"})
	if err != nil || p.State != lifecycle.ParcelStateInbound || p.PickupCode != "" || job != 0 {
		t.Fatalf("inbound with no shelf: %+v job %d err %v", p, job, err)
	}
	if ps, _ := f.svc.Parcels(lifecycle.ParcelStateInbound, 10); len(ps) != 1 || ps[0].Waybill != wb {
		t.Fatalf("unshelved list: %+v", ps)
	}
	found, err := f.svc.Find("", "", "2468")
	if err != nil || len(found) != 1 || found[0].Waybill != wb || found[0].State != lifecycle.ParcelStateInbound {
		t.Fatalf("find by last 4 of an unshelved parcel: %+v %v", found, err)
	}
	if _, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: wb, Phone: "13911112468", Shelf: "4", Layer: "1"}); !problem.Is(err, problem.ParcelNotShelved) {
		t.Fatalf("second inbound of an unshelved parcel: want %s, got %v", problem.ParcelNotShelved, err)
	}
	if _, err := f.svc.Pickup(ctx, f.clerk, wb, PickupReq{IDCheck: "code_only", Signer: "recipient", SignatureSVG: sig}); !problem.Is(err, problem.ParcelNotShelved) {
		t.Fatalf("pickup of an unshelved parcel: want %s, got %v", problem.ParcelNotShelved, err)
	}
	p, _, err = f.svc.Shelve(ctx, f.clerk, wb, "4", "1")
	if err != nil || p.State != lifecycle.ParcelStateInStock || !strings.HasPrefix(p.PickupCode, "4-1-") || p.Notified != 1 {
		t.Fatalf("shelve later: %+v %v", p, err)
	}
	if found, _ := f.svc.Find("", "", "2468"); len(found) != 1 || found[0].PickupCode != p.PickupCode {
		t.Fatalf("find by last 4 once shelved (listed once, with its code): %+v", found)
	}
	if ps, _ := f.svc.Parcels(lifecycle.ParcelStateInbound, 10); len(ps) != 0 {
		t.Fatalf("a shelved parcel is still listed as unshelved: %+v", ps)
	}
	// Moving it to another shelf gives a new code and frees the old one.
	old := p.PickupCode
	p, _, err = f.svc.Shelve(ctx, f.clerk, wb, "5", "2")
	if err != nil || !strings.HasPrefix(p.PickupCode, "5-2-") {
		t.Fatalf("move to another shelf: %+v %v", p, err)
	}
	if found, _ := f.svc.Find(old, "", ""); len(found) != 0 {
		t.Fatalf("the old code still finds the moved parcel: %+v", found)
	}
}

// A half-given or malformed place is refused before anything is recorded,
// so a typo cannot leave a parcel taken in but not shelved.
func TestInboundBadPlaceRecordsNothing(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	for _, tc := range []struct{ name, shelf, layer string }{
		{"shelf only", "3", ""}, {"layer only", "", "2"}, {"bad shelf", "3-1", "2"}, {"long layer", "3", "1234"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const wb = "SF1000000000088"
			_, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: wb, Phone: "13911112468", Shelf: tc.shelf, Layer: tc.layer})
			if !problem.Is(err, problem.ShelfBadPlace) {
				t.Fatalf("want %s, got %v", problem.ShelfBadPlace, err)
			}
			if p, err := f.svc.Parcel(wb); err == nil && p.State != "" {
				t.Fatalf("a refused check-in recorded the parcel: %+v", p)
			}
		})
	}
}
