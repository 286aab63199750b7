package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// BenchmarkCommit measures durable events a second through Commit for
// batches of 300-byte events, with several batches per transaction as the
// hub's group committer forms them. Run: go test -bench Commit ./hub/store/sqlite
func BenchmarkCommit(b *testing.B) {
	pad := strings.Repeat("x", 150)
	for _, c := range []struct{ events, group int }{{100, 1}, {500, 1}, {100, 8}, {500, 8}} {
		b.Run(fmt.Sprintf("batch=%d/group=%d", c.events, c.group), func(b *testing.B) {
			s, _ := openTest(b)
			seq := map[string]uint64{}
			origins := []string{"SH-001", "SH-002", "BJ-001", "GZ-001"}
			mk := func(origin string) *syncproto.Batch {
				first := seq[origin] + 1
				bt := &syncproto.Batch{Origin: origin, First: first, Last: first + uint64(c.events) - 1}
				for s := first; s <= bt.Last; s++ {
					bt.Events = append(bt.Events, syncproto.Event{
						ID: fmt.Sprintf("%s-%020d", origin, s), Origin: origin, Seq: s, HLC: hlc.Make(1_700_000_000_000, uint16(s)),
						Actor: "clerk-07", Type: "parcel.inbound", V: 1, Subject: fmt.Sprintf("7312345%07d", s),
						Payload: []byte(`{"barcode":"7312345` + fmt.Sprintf("%07d", s) + `","shelf":"3-2","pad":"` + pad + `"}`),
					})
				}
				seq[origin] = bt.Last
				return bt
			}
			commitBatches(b, s, c.group, origins, mk)
		})
	}
}

// commitBatches commits b.N transactions of group batches each, made by mk
// for the origins in turn, and reports events a second and µs per event.
// Making the batches is outside the timer: only Commit is measured.
func commitBatches(b *testing.B, s *Store, group int, origins []string, mk func(origin string) *syncproto.Batch) {
	ctx := context.Background()
	b.ResetTimer()
	events := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		units := make([]store.Unit, group)
		for g := range units {
			units[g].Batch = mk(origins[(i*group+g)%len(origins)])
			events += len(units[g].Batch.Events)
		}
		b.StartTimer()
		if _, err := s.Commit(ctx, units); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(b.Elapsed().Seconds()*1e6/float64(events), "µs/event")
}
