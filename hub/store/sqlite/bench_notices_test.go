package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// BenchmarkNoticeToEveryOutlet publishes and ends a notice to every
// outlet of a store with outlets×perOutlet customers waiting, and reports
// what the writer is held for: publish-ms and end-ms, the notice's own
// transactions; max-step-ms, the longest of the AdvanceNotices steps that
// enqueue the start messages, cancel them (none went out) and invite (no
// survey rule: the draw only); steps, how many it took.
// Run: go test -run XXX -bench NoticeToEveryOutlet -benchtime 1x ./hub/store/sqlite
func BenchmarkNoticeToEveryOutlet(b *testing.B) {
	const outlets, perOutlet = 500, 40
	ctx := context.Background()
	s, _ := openTest(b)
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC).UnixMilli()
	for o := range outlets {
		id := fmt.Sprintf("SH-%04d", o)
		bt := &syncproto.Batch{Origin: id, First: 1, Last: perOutlet}
		for i := range perOutlet {
			wb := fmt.Sprintf("SF%04d%04d", o, i)
			payload := fmt.Sprintf(`{"waybill":%q,"customer":"%032x","phone_sealed":"v2:00000000:AAAA","hold_days":3,"at":1}`, wb, o*perOutlet+i)
			bt.Events = append(bt.Events, syncproto.Event{ID: fmt.Sprintf("%s-%d", id, i+1), Origin: id, Seq: uint64(i + 1), HLC: hlc.Make(at, uint16(i)),
				Actor: "c01", Type: lifecycle.ParcelInbound, V: 1, Subject: wb, Payload: []byte(payload)})
		}
		if _, err := s.Commit(ctx, []store.Unit{{Batch: bt}}); err != nil {
			b.Fatal(err)
		}
	}
	down := func(id, typ string, payload any) time.Duration {
		js, _ := json.Marshal(payload)
		start := time.Now()
		if _, err := s.AppendDown(ctx, &syncproto.Event{ID: syncproto.NewID(), Origin: syncproto.HubOrigin, HLC: hlc.Make(time.Now().UnixMilli(), 0),
			Actor: "hub/ops", Type: typ, V: 1, Subject: id, Target: syncproto.TargetAll, Payload: js}); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	var publish, end, longest time.Duration
	steps := 0
	advance := func() {
		for more := true; more; steps++ {
			start := time.Now()
			var err error
			if more, err = s.AdvanceNotices(ctx); err != nil {
				b.Fatal(err)
			}
			longest = max(longest, time.Since(start))
		}
	}
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprintf("N%d", i)
		publish += down(id, lifecycle.NoticePublished, lifecycle.NoticePublishedV1{Title: "全网", Text: "暂停派送", Severity: "warning", ValidFrom: at})
		advance()
		end += down(id, lifecycle.NoticeEnded, lifecycle.NoticeEndedV1{Text: "恢复", At: time.Now().UnixMilli()})
		advance()
	}
	cs, err := s.MessageCounts(ctx, "N0")
	if err != nil || len(cs) == 0 || cs[0].N != outlets*perOutlet {
		b.Fatalf("counts %+v (%v), want %d start messages", cs, err, outlets*perOutlet)
	}
	n := float64(b.N)
	b.ReportMetric(float64(publish.Milliseconds())/n, "publish-ms")
	b.ReportMetric(float64(end.Milliseconds())/n, "end-ms")
	b.ReportMetric(float64(longest.Microseconds())/1000, "max-step-ms")
	b.ReportMetric(float64(steps)/n, "steps")
}
