package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// BenchmarkDrain pushes 300-byte events in gzipped batches of 500 through the
// embedded broker with up to 8 batches in flight, and counts events a second
// until the hub has committed and acknowledged them. Run:
// go test -run XXX -bench Drain ./hub/server
func BenchmarkDrain(b *testing.B) {
	s, err := Start(b.Context(), Config{DataDir: b.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard()})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	sec := addOutletB(b, s, "SH-001")
	c, err := dial(s.MQTTAddr(), "SH-001", sec)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Disconnect(100)
	c.Subscribe(syncproto.OutletDownTree("SH-001"), 1, nil).Wait()
	pad := strings.Repeat("x", 150)
	const per, window, total = 500, 8, 20000
	var next uint64 = 1
	var best uint64
	acked := func() uint64 {
		for _, p := range c.received(syncproto.AckTopic("SH-001")) {
			var a syncproto.Ack
			if _, err := syncproto.Decode(p, syncproto.KindAck, &a); err == nil && a.AckedSeq > best {
				best = a.AckedSeq
			}
		}
		return best
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		goal := next + total - 1
		for {
			ack := acked()
			if ack >= goal {
				break
			}
			for next <= goal && next < ack+per*window {
				bt := syncproto.Batch{Origin: "SH-001", First: next, Last: next + per - 1}
				for s := bt.First; s <= bt.Last; s++ {
					bt.Events = append(bt.Events, syncproto.Event{ID: fmt.Sprintf("SH-001-%d", s), Origin: "SH-001", Seq: s,
						HLC: hlc.Make(time.Now().UnixMilli(), 0), Actor: "clerk-07", Type: "parcel.inbound", V: 1,
						Subject: fmt.Sprintf("7312345%07d", s), Payload: []byte(`{"shelf":"3-2","pad":"` + pad + `"}`)})
				}
				f, err := syncproto.Encode(syncproto.KindBatch, bt, 1024)
				if err != nil {
					b.Fatal(err)
				}
				c.Publish(syncproto.UplinkTopic("SH-001"), 1, false, f)
				next = bt.Last + 1
			}
			time.Sleep(time.Millisecond)
		}
		// Keep the ack list short between rounds.
		c.mu.Lock()
		c.msgs = c.msgs[:0]
		c.mu.Unlock()
	}
	b.ReportMetric(float64(total*b.N)/b.Elapsed().Seconds(), "events/s")
}
