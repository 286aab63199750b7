package workflow

import (
	"context"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// checkIn takes a parcel in on shelf 1 and gives back its holding period
// in days as recorded.
func (f *fixture) checkIn(t *testing.T, waybill string) lifecycle.Parcel {
	t.Helper()
	p, _, err := f.svc.Inbound(context.Background(), f.clerk, InboundReq{Barcode: waybill, Phone: "13812345678", Shelf: "1", Layer: "1"})
	if err != nil {
		t.Fatalf("inbound %s: %v", waybill, err)
	}
	return p
}

func heldDays(p lifecycle.Parcel) float64 { return p.HeldUntil.Sub(p.InboundAt).Hours() / 24 }

func (f *fixture) down(t *testing.T, evs ...syncproto.Event) {
	t.Helper()
	if _, err := f.events.ApplyDown(&syncproto.Down{From: evs[0].Seq - 1, Through: evs[len(evs)-1].Seq, HubTime: hubMillis(), Events: evs}, Projector()); err != nil {
		t.Fatal(err)
	}
}

// A notice's hold-days extension applies to parcels checked in while it is
// valid, they keep it after it ends, and parcels checked in before it
// starts or after it ends (by the recovery notice or by valid_to) get the
// outlet's own holding period. The sweep follows each parcel's own period.
func TestNoticeHoldDaysApplyWhileValid(t *testing.T) {
	for _, end := range []string{"recovery notice", "valid_to"} {
		t.Run(end, func(t *testing.T) {
			f := newFixture(t, 0)
			ctx := context.Background()
			start := f.clk.Now().Add(time.Hour)
			pub := lifecycle.NoticePublishedV1{Title: "双十一", Text: "保管期延长至10天", Severity: "warning",
				ValidFrom: start.UnixMilli(), ValidTo: start.Add(48 * time.Hour).UnixMilli(),
				Effects: &lifecycle.NoticeEffects{HoldDays: 10, DeliverySuspended: []string{"540000"}}}
			f.down(t, hubEvent(t, 1, lifecycle.NoticePublished, "n1", pub))

			before := f.checkIn(t, "SF1000000000001")
			if e, _ := f.svc.Effects(); e != nil || heldDays(before) != float64(lifecycle.DefaultHoldDays) {
				t.Fatalf("before the notice is valid: effects %+v, held %v days", e, heldDays(before))
			}

			f.clk.Advance(2 * time.Hour)
			during := f.checkIn(t, "SF1000000000002")
			if e, _ := f.svc.Effects(); e == nil || e.HoldDays != 10 || len(e.DeliverySuspended) != 1 || e.DeliverySuspended[0] != "540000" {
				t.Fatalf("effects while valid: %+v", e)
			}
			if heldDays(during) != 10 {
				t.Fatalf("checked in while valid: held %v days, want 10", heldDays(during))
			}

			if end == "recovery notice" {
				f.clk.Advance(time.Hour)
				f.down(t, hubEvent(t, 2, lifecycle.NoticeEnded, "n1", lifecycle.NoticeEndedV1{Text: "恢复正常", At: f.clk.Now().UnixMilli()}))
			} else {
				f.clk.Advance(48 * time.Hour)
			}
			if e, _ := f.svc.Effects(); e != nil {
				t.Fatalf("effects after the notice ended: %+v", e)
			}
			after := f.checkIn(t, "SF1000000000003")
			if heldDays(after) != float64(lifecycle.DefaultHoldDays) {
				t.Fatalf("checked in after the end: held %v days, want %d", heldDays(after), lifecycle.DefaultHoldDays)
			}
			if p, _ := f.svc.Parcel(during.Waybill); heldDays(p) != 10 {
				t.Fatalf("a parcel checked in during the notice lost its extension: %v days", heldDays(p))
			}

			// Eight days after the second check-in the first parcel is
			// overdue and the extended one is not.
			f.clk.Set(during.InboundAt.Add(8 * 24 * time.Hour))
			if _, err := f.svc.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			if p, _ := f.svc.Parcel(before.Waybill); p.State != lifecycle.ParcelStateOverdue {
				t.Fatalf("7-day parcel after 8 days: %s", p.State)
			}
			if p, _ := f.svc.Parcel(during.Waybill); p.State != lifecycle.ParcelStateInStock {
				t.Fatalf("10-day parcel after 8 days: %s", p.State)
			}
		})
	}
}
