package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/progress"
	"github.com/yizhan/yizhan/hub/ratelimit"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// BenchmarkProgressLookup times the progress page's lookup on SQLite with
// 2,000 complaints of one outlet on one day: the right pair, a wrong pair
// and a missing ticket, which should cost about the same. Run:
// go test -run XXX -bench ProgressLookup ./hub/server
func BenchmarkProgressLookup(b *testing.B) {
	clk := clock.NewManual(time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC))
	s, err := Start(b.Context(), Config{DataDir: b.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard(), Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	addOutletB(b, s, "SH-001")
	o := newOutlet("SH-001", clk)
	var ticket string
	const n = 2000
	for i := range n {
		id := syncproto.NewID()
		ticket = lifecycle.ComplaintTicket(ms(clk.Now()), o.id, id)
		o.event(lifecycle.ComplaintReceived, id, lifecycle.ComplaintReceivedV1{Ticket: ticket, Channel: "counter", Type: "complaint",
			Category: "delay", Severity: "routine", CustomerMasked: fmt.Sprintf("138****%04d", i), TextSealed: "x", Owner: "li", At: ms(clk.Now())})
		o.event(lifecycle.ComplaintStep, id, lifecycle.ComplaintStepV1{Step: "acknowledge", At: ms(clk.Now())})
		if o.seq%500 == 0 || i == n-1 {
			frame, err := syncproto.Encode(syncproto.KindBatch, syncproto.Batch{Origin: o.id, First: o.sent[0].Seq, Last: o.seq, Events: o.sent}, -1)
			if err != nil {
				b.Fatal(err)
			}
			var ack syncproto.Ack
			msgs := s.Hub.Handle(context.Background(), syncproto.UplinkTopic(o.id), frame)
			if len(msgs) != 1 {
				b.Fatal("no answer to a batch")
			}
			if _, err := syncproto.Decode(msgs[0].Payload, syncproto.KindAck, &ack); err != nil || ack.AckedSeq != o.seq {
				b.Fatalf("ack %+v, %v", ack, err)
			}
			o.sent = nil
		}
	}
	lim, err := ratelimit.New(ratelimit.Options{Store: s.Store, Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	p, err := progress.New(progress.Options{Complaints: s.Cases, Outlets: s.Store, Limiter: lim})
	if err != nil {
		b.Fatal(err)
	}
	missing := lifecycle.ComplaintTicket(ms(clk.Now()), o.id, syncproto.NewID())
	for _, tc := range []struct{ name, ticket, digits string }{
		{"right", ticket, fmt.Sprintf("%04d", n-1)}, {"wrong", ticket, "9999"}, {"missing", missing, "9999"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok, err := p.Lookup(context.Background(), tc.ticket, tc.digits); err != nil || ok != (tc.name == "right") {
					b.Fatalf("%s: %v %v", tc.name, ok, err)
				}
			}
		})
	}
}
