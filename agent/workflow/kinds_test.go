package workflow

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// The store keeps every kind of the lifecycle table, under the table's
// name, and nothing else: each event type reaches the kind that owns it.
func TestStoreKindsAreTheTable(t *testing.T) {
	for _, k := range lifecycle.Kinds() {
		for _, p := range k.Prefixes {
			typ := p + ".anything"
			if k.Name == lifecycle.KindDispatch {
				typ = lifecycle.DispatchOut // a batch's other events go to its parcels first
			}
			ev := syncproto.Event{Type: typ, Subject: "s1", Payload: json.RawMessage(`{"waybills":["SF1"]}`)}
			ts := targets(&ev)
			if len(ts) == 0 || ts[0].kind.Name != k.Name || ts[0].id != "s1" {
				t.Errorf("%s goes to %+v, want %s s1", typ, ts, k.Name)
			}
		}
	}
	scan := syncproto.Event{Type: lifecycle.ParcelScanned, Subject: "SF1"}
	if ts := targets(&scan); len(ts) != 1 || ts[0].kind.Name != lifecycle.KindParcel || ts[0].id != "SF1" {
		t.Errorf("a device scan goes to %+v, want its parcel", ts)
	}
	for _, typ := range []string{lifecycle.PersonalViewed, "nothing.at_all", "dispatch.unknown"} {
		if ts := targets(&syncproto.Event{Type: typ, Subject: "s1"}); len(ts) != 0 {
			t.Errorf("%s goes to %+v, want nowhere", typ, ts)
		}
	}
	ret := syncproto.Event{Type: lifecycle.DispatchReturned, Subject: "SF1", Payload: json.RawMessage(`{"batch":"B1"}`)}
	if ts := targets(&ret); len(ts) != 2 || ts[0].kind.Name != lifecycle.KindParcel || ts[1].kind.Name != lifecycle.KindDispatch || ts[1].id != "B1" {
		t.Errorf("a return goes to %+v, want the parcel and its batch", ts)
	}
}

// Packaging advice covers exactly the item types of the table.
func TestPackagingAdviceCoversItemTypes(t *testing.T) {
	got := slices.Sorted(maps.Keys(PackagingAdvice))
	if want := slices.Sorted(slices.Values(lifecycle.ItemTypes)); !slices.Equal(got, want) {
		t.Fatalf("advice for %v, item types %v", got, want)
	}
}

// The open index follows the table's Pending: a parcel in stock is on it
// and leaves it when picked up; a closed handover stays on it until its
// exceptions are raised, then leaves it.
func TestOpenIndexIsPending(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	onIndex := func(kind, id string) bool {
		var ids []string
		if err := f.svc.file.View(func(tx *bolt.Tx) error { ids = openIDs(tx, kind); return nil }); err != nil {
			t.Fatal(err)
		}
		return slices.Contains(ids, id)
	}
	p, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "RB123456785GB", Phone: "13812345678", Shelf: "3", Layer: "2"})
	if err != nil {
		t.Fatal(err)
	}
	if !onIndex(lifecycle.KindParcel, p.Waybill) {
		t.Fatal("a parcel in stock is not on the open index")
	}
	if _, err := f.svc.Pickup(ctx, f.clerk, p.Waybill, PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "recipient", SignatureSVG: sig}); err != nil {
		t.Fatal(err)
	}
	if onIndex(lifecycle.KindParcel, p.Waybill) {
		t.Fatal("a picked-up parcel is still on the open index")
	}

	h, err := f.svc.OpenHandover(ctx, f.clerk, "K-07", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.HandoverScan(ctx, f.clerk, h.ID, "SF9000000000009"); err != nil {
		t.Fatal(err)
	}
	// Record the close the way a crash right after it leaves it: the
	// session is closed and its exception not raised yet.
	c := lifecycle.HandoverClosedV1{Courier: lifecycle.Signature{Signer: "K-07", Confirmation: "ok"}, Clerk: lifecycle.Signature{Signer: "c01", Confirmation: "ok"}, At: f.clk.Now().UnixMilli()}
	if _, err := f.svc.append(ctx, f.clerk, lifecycle.HandoverClosed, h.ID, c); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.Handover(h.ID); got.State != lifecycle.HandoverStateClosed {
		t.Fatalf("state %s after the close", got.State)
	}
	if !onIndex(lifecycle.KindHandover, h.ID) {
		t.Fatal("a closed handover left the open index before its exceptions were raised")
	}
	if n := f.svc.sweepHandovers(ctx); n != 1 {
		t.Fatalf("sweep finished %d sessions, want 1", n)
	}
	if onIndex(lifecycle.KindHandover, h.ID) {
		t.Fatal("a handover whose exceptions are raised is still on the open index")
	}
	if _, err := f.svc.Exception(lifecycle.HandoverExceptionID(h.ID, "SF9000000000009")); err != nil {
		t.Fatalf("the sweep did not raise the extra parcel's exception: %v", err)
	}
}
