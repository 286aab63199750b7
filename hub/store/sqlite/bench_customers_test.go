package sqlite

import (
	"fmt"
	"testing"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// BenchmarkCommitCustomers is BenchmarkCommitParcels' day at the counter
// plus a shipment for every parcel, with and without the customer id on
// the events, in the same run: "customers=none" commits what the profile
// upkeep skips at once (no customer id), "customers=10000" folds every
// intake, pickup and shipment into one of 10,000 profiles, its outlet, its
// day and its class. The difference per event is the upkeep's cost.
// Run: go test -run XXX -bench CommitCustomers -count 2 ./hub/store/sqlite
func BenchmarkCommitCustomers(b *testing.B) {
	const day = 86_400_000
	for _, custs := range []int{0, 10000} {
		for _, c := range []struct{ events, group int }{{400, 1}, {400, 8}} {
			name := fmt.Sprintf("customers=%d/batch=%d/group=%d", custs, c.events, c.group)
			if custs == 0 {
				name = fmt.Sprintf("customers=none/batch=%d/group=%d", c.events, c.group)
			}
			b.Run(name, func(b *testing.B) {
				s, _ := openTest(b)
				seq := map[string]uint64{}
				origins := []string{"SH-001", "SH-002", "BJ-001", "GZ-001"}
				mk := func(origin string) *syncproto.Batch {
					first := seq[origin] + 1
					bt := &syncproto.Batch{Origin: origin, First: first, Last: first + uint64(c.events) - 1}
					for s := first; s <= bt.Last; s++ {
						n := (s - 1) / 4
						wb := fmt.Sprintf("%s%07d", origin[:2]+origin[3:], n)
						cust := ""
						if custs > 0 {
							cust = fmt.Sprintf(`"customer":"%032x",`, (int(n)*7919+len(origin))%custs)
						}
						at := int64(1_700_000_000_000) + int64(n)*1000
						typ, subject, payload := "parcel.inbound", wb, `{"waybill":"`+wb+`",`+cust+`"phone_sealed":"v2:00000000:AAAA","hold_days":3,"at":1}`
						switch (s - 1) % 4 {
						case 1:
							typ, payload = "parcel.shelved", `{"shelf":"3","layer":"2","code":"3-2-001","at":1}`
							at += 60_000
						case 2:
							typ, payload = "parcel.picked_up", `{"id_check":"code_only","signer":"recipient","staff":"clerk-07","at":1}`
							at += day / 3
						case 3:
							typ, subject = "shipment.accepted", "S"+wb
							payload = `{"number":"S` + wb + `","sender":{` + cust + `"phone_sealed":"v2:00000000:AAAA","name_sealed":"v2:00000000:BBBB"},"quote":{"total_fen":1200},"at":1}`
							at += day / 2
						}
						bt.Events = append(bt.Events, syncproto.Event{
							ID: fmt.Sprintf("%s-%020d", origin, s), Origin: origin, Seq: s, HLC: hlc.Make(at, uint16(s)),
							Actor: "clerk-07", Type: typ, V: 1, Subject: subject, Payload: []byte(payload),
						})
					}
					seq[origin] = bt.Last
					return bt
				}
				commitBatches(b, s, c.group, origins, mk)
			})
		}
	}
}
