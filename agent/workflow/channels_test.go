package workflow

import (
	"context"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// A complaint head office took from one of its own channels and routed to
// this outlet (the waybill is here) is the outlet's case: listed open,
// its words opened with the outlet's own key, its deadline from the
// message's arrival, and the counter may answer it.
func TestHeadOfficeComplaintAtTheOutlet(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	m, err := sealed.NewMaster(installation)
	if err != nil {
		t.Fatal(err)
	}
	const id = "c-wechat-1"
	arrived := f.clk.Now().Add(-3 * time.Hour)
	rec := lifecycle.ComplaintReceivedV1{Ticket: "T261111-HQ-ABC123", Channel: lifecycle.ChannelWeChat, Type: "complaint", Category: "delay",
		Severity: "routine", Waybill: "SF1000000000001", Owner: "channel:wechat", At: arrived.UnixMilli(), Outlet: "SH-001",
		TextSealed:    m.Outlet("SH-001").Seal(sealed.Text, sealed.Record{Kind: lifecycle.KindComplaint, ID: id}, "快递延误三天"),
		ReplyTemplate: "tpl-1", ReplyText: "很抱歉，已加急。"}
	ev := hubEvent(t, 1, lifecycle.ComplaintReceived, id, rec)
	if _, err := f.events.ApplyDown(&syncproto.Down{From: 0, Through: 1, HubTime: hubMillis(), Events: []syncproto.Event{ev}}, Projector()); err != nil {
		t.Fatal(err)
	}
	open, err := f.svc.Complaints(true, 10)
	if err != nil || len(open) != 1 {
		t.Fatalf("open complaints %+v %v, want the routed one", open, err)
	}
	c := open[0]
	if c.Outlet != "SH-001" || c.Text != "快递延误三天" || c.Channel != lifecycle.ChannelWeChat || c.ReplyText != "很抱歉，已加急。" {
		t.Errorf("the outlet shows %+v", c.Complaint)
	}
	if want := arrived.Add(lifecycle.DefaultSLA.FirstReply); !c.FirstReplyBy.Equal(want) {
		t.Errorf("first reply by %v, want %v (arrival + 24h)", c.FirstReplyBy, want)
	}
	v, err := f.svc.ComplaintStep(ctx, f.clerk, id, lifecycle.ComplaintStepV1{Step: "acknowledge", Note: c.ReplyText})
	if err != nil || v.State != lifecycle.ComplaintStateAcknowledged || v.FirstReplyAt.IsZero() {
		t.Fatalf("the counter answers it: %+v %v", v.Complaint, err)
	}
}
