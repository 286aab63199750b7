package lifecycle

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
)

var courierSig = Signature{Signer: "k07", SHA256: "cc"}

func outBatch(m *evMaker, at time.Duration, batch, courier string, waybills ...string) syncproto.Event {
	return m.ev("SH-001", at, DispatchOut, batch, DispatchOutV1{Courier: courier, Day: "2026-11-11", Waybills: waybills,
		Signature: Signature{Signer: courier, SHA256: "cc"}, Staff: "c01", At: t0.Add(at).UnixMilli()})
}

func delivered(m *evMaker, at time.Duration, waybill, batch string) syncproto.Event {
	return m.ev("SH-001", at, DispatchDelivered, waybill, DispatchDeliveredV1{Batch: batch, Courier: "k07",
		Proof: Signature{Signer: "recipient", SHA256: "dd", SVG: "<svg/>"}, At: t0.Add(at).UnixMilli()})
}

func returned(m *evMaker, at time.Duration, waybill, batch, reason, disp, code string) syncproto.Event {
	return m.ev("SH-001", at, DispatchReturned, waybill, DispatchReturnedV1{Batch: batch, Courier: "k07", Reason: reason, Disposition: disp,
		Shelf: "5", Layer: "1", Code: code, Staff: "c02", At: t0.Add(at).UnixMilli()})
}

func TestParcelDispatchFlow(t *testing.T) {
	base := func(m *evMaker) []syncproto.Event {
		return []syncproto.Event{
			m.ev("SH-001", 0, ParcelInbound, "SF1", InboundV1{Waybill: "SF1", HoldDays: 7, At: t0.UnixMilli()}),
			m.ev("SH-001", time.Minute, ParcelShelved, "SF1", ShelvedV1{Shelf: "3", Layer: "2", Code: "3-2-0042"}),
		}
	}
	h := time.Hour
	cases := []struct {
		name      string
		more      func(m *evMaker) []syncproto.Event
		state     string
		code      string
		conflicts int
	}{
		{"out frees the shelf place", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{outBatch(m, h, "B1", "k07", "SF0", "SF1")}
		},
			ParcelStateOutForDelivery, "", 0},
		{"delivered", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{outBatch(m, h, "B1", "k07", "SF1"), delivered(m, 2*h, "SF1", "B1")}
		}, ParcelStateDelivered, "", 0},
		{"returned to stock with a new code, out again, delivered", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{outBatch(m, h, "B1", "k07", "SF1"), returned(m, 2*h, "SF1", "B1", "recipient_absent", DispositionRestock, "5-1-0007"),
				outBatch(m, 3*h, "B2", "k07", "SF1"), delivered(m, 4*h, "SF1", "B2")}
		}, ParcelStateDelivered, "", 0},
		{"returned to stock", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{outBatch(m, h, "B1", "k07", "SF1"), returned(m, 2*h, "SF1", "B1", "phone_unreachable", DispositionRestock, "5-1-0007")}
		}, ParcelStateInStock, "5-1-0007", 0},
		{"returned into the return flow", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{outBatch(m, h, "B1", "k07", "SF1"), returned(m, 2*h, "SF1", "B1", "refused", DispositionReturn, "")}
		}, ParcelStateReturning, "", 0},
		{"delivery without proof refused", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{outBatch(m, h, "B1", "k07", "SF1"),
				m.ev("SH-001", 2*h, DispatchDelivered, "SF1", DispatchDeliveredV1{Batch: "B1", Courier: "k07"})}
		}, ParcelStateOutForDelivery, "", 1},
		{"unknown reason refused", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{outBatch(m, h, "B1", "k07", "SF1"), returned(m, 2*h, "SF1", "B1", "dog_bit_courier", DispositionReturn, "")}
		}, ParcelStateOutForDelivery, "", 1},
		{"restock without a code refused", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{outBatch(m, h, "B1", "k07", "SF1"), returned(m, 2*h, "SF1", "B1", "refused", DispositionRestock, "")}
		}, ParcelStateOutForDelivery, "", 1},
		{"result for another batch refused", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{outBatch(m, h, "B1", "k07", "SF1"), delivered(m, 2*h, "SF1", "B9")}
		}, ParcelStateOutForDelivery, "", 1},
		{"batch without this parcel ignored", func(m *evMaker) []syncproto.Event { return []syncproto.Event{outBatch(m, h, "B1", "k07", "SF7")} },
			ParcelStateInStock, "3-2-0042", 0},
		{"unsigned batch refused", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{m.ev("SH-001", h, DispatchOut, "B1", DispatchOutV1{Courier: "k07", Day: "2026-11-11", Waybills: []string{"SF1"}})}
		}, ParcelStateInStock, "3-2-0042", 1},
		{"out twice", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{outBatch(m, h, "B1", "k07", "SF1"), outBatch(m, 2*h, "B2", "k08", "SF1")}
		}, ParcelStateOutForDelivery, "", 1},
		{"picked up parcel cannot go out", func(m *evMaker) []syncproto.Event {
			return []syncproto.Event{m.ev("SH-001", h, ParcelPickedUp, "SF1", PickupV1{Signer: "recipient", SignatureSHA256: "ab", Staff: "c01"}),
				outBatch(m, 2*h, "B1", "k07", "SF1")}
		}, ParcelStatePickedUp, "3-2-0042", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m evMaker
			evs := append(base(&m), tc.more(&m)...)
			p := FoldParcel("SF1", slices.Clone(evs))
			if p.State != tc.state || p.PickupCode != tc.code || len(p.Conflicts) != tc.conflicts {
				t.Fatalf("state %s code %q conflicts %+v", p.State, p.PickupCode, p.Conflicts)
			}
			if p.Delivered != nil && p.Delivered.SVG != "" {
				t.Fatal("signature drawing kept in state")
			}
			want, _ := json.Marshal(p)
			rng := rand.New(rand.NewPCG(5, uint64(len(tc.name))))
			for range 5 {
				rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
				got, _ := json.Marshal(FoldParcel("SF1", slices.Clone(evs)))
				if string(got) != string(want) {
					t.Fatalf("fold depends on arrival order")
				}
			}
		})
	}
}

func TestSubjects(t *testing.T) {
	var m evMaker
	ev := outBatch(&m, 0, "B1", "k07", "SF1", "SF2", "SF1")
	if got := Subjects(&ev); !reflect.DeepEqual(got, []string{"B1", "SF1", "SF2"}) {
		t.Fatalf("Subjects = %v", got)
	}
	ev = delivered(&m, 0, "SF1", "B1")
	if got := Subjects(&ev); !reflect.DeepEqual(got, []string{"SF1"}) {
		t.Fatalf("Subjects = %v", got)
	}
}

func TestCheckDispatchFields(t *testing.T) {
	ok := DispatchOutV1{Courier: "k07", Day: "2026-11-11", Waybills: []string{"A", "B"}, Signature: courierSig}
	for _, tc := range []struct {
		name string
		mod  func(*DispatchOutV1)
		bad  bool
	}{
		{"ok", func(*DispatchOutV1) {}, false},
		{"confirmation instead of drawing", func(d *DispatchOutV1) { d.Signature = Signature{Signer: "k07", Confirmation: "app-7731"} }, false},
		{"no courier", func(d *DispatchOutV1) { d.Courier = "" }, true},
		{"empty batch", func(d *DispatchOutV1) { d.Waybills = nil }, true},
		{"repeated waybill", func(d *DispatchOutV1) { d.Waybills = []string{"A", "A"} }, true},
		{"empty waybill", func(d *DispatchOutV1) { d.Waybills = []string{""} }, true},
		{"unsigned", func(d *DispatchOutV1) { d.Signature = Signature{Signer: "k07"} }, true},
		{"no day", func(d *DispatchOutV1) { d.Day = "" }, true},
		{"bad day", func(d *DispatchOutV1) { d.Day = "11/11/2026" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := ok
			d.Waybills = slices.Clone(ok.Waybills)
			tc.mod(&d)
			if err := CheckDispatch(d); (err != nil) != tc.bad {
				t.Fatalf("err = %v, bad = %v", err, tc.bad)
			}
		})
	}
	for _, r := range NonDeliveryReasons {
		if err := CheckReturned(DispatchReturnedV1{Reason: r, Disposition: DispositionReturn}); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	if CheckReturned(DispatchReturnedV1{Reason: "refused", Disposition: "lost"}) == nil {
		t.Error("unknown disposition accepted")
	}
}

// One courier's day: two batches, a parcel that comes back and goes out
// again, one still out at day end, and events that belong elsewhere.
func TestFoldCourierDay(t *testing.T) {
	var m evMaker
	h := time.Hour
	evs := []syncproto.Event{
		outBatch(&m, 1*h, "B1", "k07", "A", "B", "C", "D"),
		outBatch(&m, 1*h, "B9", "k08", "E"), // another courier
		m.ev("SH-001", 1*h, DispatchOut, "B0", DispatchOutV1{Courier: "k07", Day: "2026-11-10", Waybills: []string{"Z"}, Signature: courierSig}), // another day
		delivered(&m, 2*h, "A", "B1"),
		returned(&m, 3*h, "B", "B1", "recipient_absent", DispositionRestock, "5-1-0007"),
		returned(&m, 3*h, "C", "B1", "refused", DispositionReturn, ""),
		outBatch(&m, 4*h, "B2", "k07", "B", "C"), // C went into the return flow: refused
		delivered(&m, 5*h, "B", "B2"),
		delivered(&m, 5*h, "A", "B1"),                                  // twice
		delivered(&m, 5*h, "E", "B9"),                                  // another courier's batch: ignored
		returned(&m, 6*h, "D", "B2", "refused", DispositionReturn, ""), // D is out in B1
	}
	d := FoldCourierDay("k07", "2026-11-11", slices.Clone(evs))
	if !reflect.DeepEqual(d.Batches, []string{"B1", "B2"}) || !reflect.DeepEqual(d.Open, []string{"D"}) {
		t.Fatalf("batches %v open %v", d.Batches, d.Open)
	}
	if d.Counts != (DispatchCounts{Parcels: 4, Open: 1, Delivered: 2, Returned: 1}) {
		t.Fatalf("counts %+v", d.Counts)
	}
	if len(d.Conflicts) != 3 {
		t.Fatalf("conflicts %+v", d.Conflicts)
	}
	if d.Items[1] != (DispatchItem{Waybill: "B", Batch: "B2", State: DispatchItemDelivered, At: t0.Add(5 * h).UnixMilli()}) ||
		d.Items[2].Reason != "refused" || d.Items[2].Disposition != DispositionReturn {
		t.Fatalf("items %+v", d.Items)
	}
	dayEnd := t0.Add(11 * h)
	for _, tc := range []struct {
		now  time.Time
		want []string
	}{
		{t0.Add(10 * h), nil},
		{dayEnd, []string{"D"}},
		{dayEnd.Add(h), []string{"D"}},
	} {
		if got := d.DueAtDayEnd(tc.now, dayEnd); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("due at %v = %v, want %v", tc.now, got, tc.want)
		}
	}
	evs = append(evs, returned(&m, 7*h, "D", "B1", "address_incomplete", DispositionRestock, "5-1-0009"))
	d = FoldCourierDay("k07", "2026-11-11", slices.Clone(evs))
	if len(d.Open) != 0 || d.DueAtDayEnd(dayEnd, dayEnd) != nil {
		t.Fatalf("settled day still flags %v", d.Open)
	}
	want, _ := json.Marshal(d)
	rng := rand.New(rand.NewPCG(7, 8))
	for range 20 {
		rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		got, _ := json.Marshal(FoldCourierDay("k07", "2026-11-11", slices.Clone(evs)))
		if string(got) != string(want) {
			t.Fatalf("fold depends on arrival order:\n%s\n%s", want, got)
		}
	}
}
