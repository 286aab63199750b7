package sqlite

import (
	"fmt"
	"testing"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// BenchmarkCommitParcels is BenchmarkCommit with a counter's day of
// events: each parcel is taken in, shelved and picked up, so the rollups
// count an inbound and a pickup with its dwell (which reads the parcel's
// events) for every three events. Run it on a tree without the rollups to
// see what they cost: go test -bench CommitParcels -count 3 ./hub/store/sqlite
func BenchmarkCommitParcels(b *testing.B) {
	const day = 86_400_000
	for _, c := range []struct{ events, group int }{{300, 1}, {498, 8}} {
		b.Run(fmt.Sprintf("batch=%d/group=%d", c.events, c.group), func(b *testing.B) {
			s, _ := openTest(b)
			seq := map[string]uint64{}
			origins := []string{"SH-001", "SH-002", "BJ-001", "GZ-001"}
			mk := func(origin string) *syncproto.Batch {
				first := seq[origin] + 1
				bt := &syncproto.Batch{Origin: origin, First: first, Last: first + uint64(c.events) - 1}
				for s := first; s <= bt.Last; s++ {
					n := (s - 1) / 3                                      // the parcel
					wb := fmt.Sprintf("%s%07d", origin[:2]+origin[3:], n) // one outlet's parcels
					at := int64(1_700_000_000_000) + int64(n)*1000
					typ, payload := "parcel.inbound", `{"waybill":"`+wb+`","hold_days":3,"at":1}`
					switch (s - 1) % 3 {
					case 1:
						typ, payload = "parcel.shelved", `{"shelf":"3","layer":"2","code":"3-2-001","at":1}`
						at += 60_000
					case 2:
						typ, payload = "parcel.picked_up", `{"id_check":"code_only","signer":"recipient","staff":"clerk-07","at":1}`
						at += day / 3
					}
					bt.Events = append(bt.Events, syncproto.Event{
						ID: fmt.Sprintf("%s-%020d", origin, s), Origin: origin, Seq: s, HLC: hlc.Make(at, uint16(s)),
						Actor: "clerk-07", Type: typ, V: 1, Subject: wb, Payload: []byte(payload),
					})
				}
				seq[origin] = bt.Last
				return bt
			}
			commitBatches(b, s, c.group, origins, mk)
		})
	}
}
