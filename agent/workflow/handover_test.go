package workflow

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

func publishManifest(t *testing.T, f *fixture, seq uint64, id string, waybills ...string) {
	t.Helper()
	ev := hubEvent(t, seq, lifecycle.ManifestPublished, id, lifecycle.ManifestV1{Waybills: waybills, Courier: "K-07", At: f.clk.Now().UnixMilli()})
	if _, err := f.events.ApplyDown(&syncproto.Down{From: seq - 1, Through: seq, HubTime: hubMillis(), Events: []syncproto.Event{ev}}, Projector()); err != nil {
		t.Fatal(err)
	}
}

// TestHandoverReconciliation scans a manifest's parcels in random orders,
// with repeats, one missing and one extra, and checks the counts, the
// signatures rule and the exceptions raised — once each.
func TestHandoverReconciliation(t *testing.T) {
	expected := []string{"SF1000000000001", "SF1000000000002", "SF1000000000003", "SF1000000000004"}
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 5; round++ {
		f := newFixture(t, 0)
		ctx := context.Background()
		publishManifest(t, f, 1, "m1", expected...)
		h, err := f.svc.OpenHandover(ctx, f.clerk, "K-07", []string{"m1"})
		if err != nil {
			t.Fatal(err)
		}
		scans := []string{expected[0], expected[1], expected[2], expected[1], "SF9000000000009", expected[0]}
		rng.Shuffle(len(scans), func(i, j int) { scans[i], scans[j] = scans[j], scans[i] })
		for _, w := range scans {
			if h, err = f.svc.HandoverScan(ctx, f.clerk, h.ID, w); err != nil {
				t.Fatal(err)
			}
		}
		if c := h.Counts; c.Expected != 4 || c.Scanned != 4 || c.Missing != 1 || c.Extra != 1 || c.Duplicates != 2 {
			t.Fatalf("round %d counts %+v", round, c)
		}
		sig := SignatureReq{Signer: "K-07", SVG: sig}
		if _, err := f.svc.CloseHandover(ctx, f.clerk, h.ID, SignatureReq{Signer: "K-07"}, SignatureReq{Confirmation: "ok"}); err == nil {
			t.Fatal("closed without the courier's signature")
		}
		if _, err := f.svc.CloseHandover(ctx, f.clerk, h.ID, SignatureReq{Signer: "c01", Confirmation: "x"}, SignatureReq{Confirmation: "ok"}); err == nil {
			t.Fatal("the clerk signed for the courier")
		}
		h, err = f.svc.CloseHandover(ctx, f.clerk, h.ID, sig, SignatureReq{Confirmation: "已核对 / checked"})
		if err != nil || h.State != lifecycle.HandoverStateClosed {
			t.Fatalf("close: %+v %v", h, err)
		}
		var se *lifecycle.StepError
		if _, err := f.svc.HandoverScan(ctx, f.clerk, h.ID, expected[3]); !errors.As(err, &se) {
			t.Fatalf("scan after close: %v", err)
		}
		lost, err := f.svc.Exception(lifecycle.HandoverExceptionID(h.ID, expected[3]))
		if err != nil || lost.Kind != "lost" || lost.Waybill != expected[3] {
			t.Fatalf("missing parcel exception: %+v %v", lost, err)
		}
		extra, err := f.svc.Exception(lifecycle.HandoverExceptionID(h.ID, "SF9000000000009"))
		if err != nil || extra.Kind != "mis_sorted" {
			t.Fatalf("extra parcel exception: %+v %v", extra, err)
		}
		// Raising again (a retry after a crash) adds nothing.
		before := f.events.Counters().LastSeq
		if err := f.svc.raiseHandoverExceptions(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		if f.events.Counters().LastSeq != before {
			t.Fatal("raising again recorded new events")
		}
		xs, _ := f.svc.Exceptions(false, 100)
		if len(xs) != 2 {
			t.Fatalf("%d exceptions, want 2", len(xs))
		}
	}
}

// A session closed just before a crash, whose exceptions were never
// raised, is finished by the next sweep.
func TestHandoverClosedBeforeCrashIsFinished(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	publishManifest(t, f, 1, "m1", "SF1000000000001", "SF1000000000002")
	h, _ := f.svc.OpenHandover(ctx, f.clerk, "K-07", []string{"m1"})
	f.svc.HandoverScan(ctx, f.clerk, h.ID, "SF1000000000001")
	// The close event alone, as if the process died right after it.
	closed := lifecycle.HandoverClosedV1{Courier: lifecycle.Signature{Signer: "K-07", Confirmation: "ok"}, Clerk: lifecycle.Signature{Signer: "c01", Confirmation: "ok"}, At: f.clk.Now().UnixMilli()}
	if _, err := f.svc.append(ctx, f.clerk, lifecycle.HandoverClosed, h.ID, closed); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Exception(lifecycle.HandoverExceptionID(h.ID, "SF1000000000002")); err == nil {
		t.Fatal("exception exists before the sweep")
	}
	if n, err := f.svc.Sweep(ctx); err != nil || n < 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if x, err := f.svc.Exception(lifecycle.HandoverExceptionID(h.ID, "SF1000000000002")); err != nil || x.Kind != "lost" {
		t.Fatalf("after sweep: %+v %v", x, err)
	}
	if n, _ := f.svc.Sweep(ctx); n != 0 {
		t.Fatalf("second sweep did %d", n)
	}
}

func TestOpenHandoverNeedsKnownManifest(t *testing.T) {
	f := newFixture(t, 0)
	if _, err := f.svc.OpenHandover(context.Background(), f.clerk, "K-07", []string{"nope"}); err == nil {
		t.Fatal("opened against a manifest this outlet never received")
	}
	h, err := f.svc.OpenHandover(context.Background(), f.clerk, "K-07", nil)
	if err != nil || h.State != lifecycle.HandoverStateOpen {
		t.Fatalf("handover without a manifest: %+v %v", h, err)
	}
}
