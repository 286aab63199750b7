package workflow

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

func (f *fixture) scan(t *testing.T, waybill string) {
	t.Helper()
	if _, err := (&ingest.Service{Events: f.events}).Scan(context.Background(), ingest.Scan{Barcode: waybill, Action: "inbound"}); err != nil {
		t.Fatalf("scan %s: %v", waybill, err)
	}
}

// Device scans are parcel events: folded here, listed with the parcel's
// events, found by their exact waybill only. (Moved from the event log's
// own parcel projection, which this replaces.)
func TestParcelProjection(t *testing.T) {
	f := newFixture(t, 0)
	for _, w := range []string{"SF1", "SF2", "SF1"} {
		f.scan(t, w)
	}
	p, err := f.svc.Parcel("SF1")
	evs, _ := f.svc.History(lifecycle.KindParcel, "SF1")
	if err != nil || p.Scans != 2 || p.State != lifecycle.ParcelStateScanned || len(evs) != 2 || evs[0].Seq != 1 || evs[1].Seq != 3 {
		t.Fatalf("parcel %+v events %d err %v", p, len(evs), err)
	}
	if p.FirstSeq != 1 || p.LastSeq != 3 || p.FirstHLC != evs[0].HLC || p.LastHLC != evs[1].HLC || p.LastAction != "inbound" {
		t.Fatalf("scan summary %+v", p.ScanSummary)
	}
	if _, err := f.svc.Parcel("SF"); !problem.Is(err, problem.ParcelNotFound) {
		t.Fatalf("prefix of a waybill found: %v", err)
	}
	// Scanned, not taken in: nothing for the sweeper, nothing in stock.
	if n, err := f.svc.Sweep(context.Background()); err != nil || n != 0 {
		t.Fatalf("sweep recorded %d steps for scanned parcels: %v", n, err)
	}
	if ps, _ := f.svc.Parcels(lifecycle.ParcelStateInStock, 10); len(ps) != 0 {
		t.Fatalf("scanned parcels listed in stock: %+v", ps)
	}
}

// A scan never stands in the way of the counter, and the counter never
// refuses a scan: a scanned parcel is taken in and shelved as usual, and
// scans of a shelved or picked-up parcel are saved and change nothing but
// the count.
func TestScansAndCounterSteps(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	f.scan(t, "RB123456785GB")
	p, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "RB123456785GB", Phone: "13812345678", Shelf: "3", Layer: "2"})
	if err != nil || p.State != lifecycle.ParcelStateInStock || p.Scans != 1 || p.PhoneMasked != "138****5678" {
		t.Fatalf("inbound after a scan: %+v %v", p, err)
	}
	f.scan(t, "RB123456785GB")
	if p, _ = f.svc.Parcel("RB123456785GB"); p.State != lifecycle.ParcelStateInStock || p.Scans != 2 {
		t.Fatalf("after a scan of the shelved parcel: %+v", p)
	}
	if found, _ := f.svc.Find(p.PickupCode, "", ""); len(found) != 1 {
		t.Fatalf("the pickup code was lost to a scan: %+v", found)
	}
	p, err = f.svc.Pickup(ctx, f.clerk, p.Waybill, PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "recipient", SignatureSVG: sig})
	if err != nil {
		t.Fatal(err)
	}
	f.scan(t, "RB123456785GB")
	if p, _ = f.svc.Parcel("RB123456785GB"); p.State != lifecycle.ParcelStatePickedUp || p.Scans != 3 || len(p.Conflicts) != 0 {
		t.Fatalf("after a scan of the picked-up parcel: %+v", p)
	}
	if evs, _ := f.svc.History(lifecycle.KindParcel, p.Waybill); len(evs) != 7 {
		t.Fatalf("%d events listed, want 3 scans, inbound, shelved, notified, picked up", len(evs))
	}
}

// The scan shortcut (applied to the stored state) gives what folding the
// whole history gives.
func TestScanShortcutEqualsFold(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	f.scan(t, "SF1")
	if _, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "SF1", Phone: "13812345678", Shelf: "1", Layer: "1"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		f.scan(t, "SF1")
	}
	p, _ := f.svc.Parcel("SF1")
	evs, _ := f.svc.History(lifecycle.KindParcel, "SF1")
	got, _ := json.Marshal(p)
	want, _ := json.Marshal(lifecycle.FoldParcel("SF1", evs))
	if string(got) != string(want) {
		t.Fatalf("stored state\n%s\nfolded\n%s", got, want)
	}
}
