package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

var customerTests = []struct {
	name string
	f    func(*testing.T, Backend)
}{
	{"CustomerProfiles", testCustomerProfiles},
	{"CustomerClassCountsExact", testCustomerClassCountsExact},
	{"CustomerClassMoves", testCustomerClassMoves},
}

// ev is one event of an outlet's stream in the customers' tests.
type ev struct {
	at      time.Time
	typ     string
	subject string
	payload any
}

func cbatch(origin string, first uint64, evs ...ev) *syncproto.Batch {
	b := &syncproto.Batch{Origin: origin, First: first, Last: first + uint64(len(evs)) - 1}
	for i, x := range evs {
		seq := first + uint64(i)
		js, err := json.Marshal(x.payload)
		if err != nil {
			panic(err)
		}
		b.Events = append(b.Events, syncproto.Event{ID: fmt.Sprintf("%s-c%d", origin, seq), Origin: origin, Seq: seq,
			HLC: hlc.Make(x.at.UnixMilli(), 0), Actor: "clerk", Type: x.typ, V: 1, Subject: x.subject, Payload: js})
	}
	return b
}

func cin(at time.Time, wb, customer, sealed string) ev {
	return ev{at, lifecycle.ParcelInbound, wb, lifecycle.InboundV1{Waybill: wb, Customer: customer, PhoneSealed: sealed,
		PhoneMasked: "138****5678", NameSealed: sealed + "n", NameMasked: "张*", HoldDays: 3, At: at.UnixMilli()}}
}

func cpick(at time.Time, wb string) ev {
	return ev{at, lifecycle.ParcelPickedUp, wb, lifecycle.PickupV1{IDCheck: "code", Signer: "recipient", Staff: "c01", At: at.UnixMilli()}}
}

func cship(at time.Time, number, customer, sealed string, fen int64) ev {
	return ev{at, lifecycle.ShipmentAccepted, number, lifecycle.ShipmentV1{Number: number,
		Sender:    lifecycle.PartyV1{Customer: customer, PhoneSealed: sealed, PhoneMasked: "138****5678", NameSealed: sealed + "n", NameMasked: "张*"},
		Recipient: lifecycle.PartyV1{Customer: "someone-else", PhoneSealed: "v2:x:r", NameSealed: "v2:x:rn"},
		Quote:     tariff.Quotation{TotalFen: fen}, Staff: "c01", At: at.UnixMilli()}}
}

func ccomplaint(at time.Time, id, customer string) ev {
	return ev{at, lifecycle.ComplaintReceived, id, lifecycle.ComplaintReceivedV1{Ticket: id, Channel: "counter", Type: "complaint",
		Category: "delay", Severity: "routine", Customer: customer, CustomerMasked: "138****5678", PhoneSealed: "v2:c:" + id,
		TextSealed: "v2:c:t", Owner: "c01", At: at.UnixMilli()}}
}

func cstepEv(at time.Time, id, step string, sat int) ev {
	return ev{at, lifecycle.ComplaintStep, id, lifecycle.ComplaintStepV1{Step: step, Satisfaction: sat, At: at.UnixMilli()}}
}

// A customer's profile adds up what every outlet saw of them, once each:
// a replayed batch, a batch held beyond a gap and then released, and a
// complaint step seen again change nothing twice.
func testCustomerProfiles(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	s := be.OpenIn(t, clock.NewManual(t0.Add(30*24*time.Hour)), time.UTC)
	const x = "c0ffee00c0ffee00c0ffee00c0ffee00"
	a1 := cbatch("SH-A", 1, cin(t0, "WB1", x, "v2:a:1"), cin(t0.Add(time.Minute), "WB2", x, "v2:a:2"))
	a2 := cbatch("SH-A", 3, cpick(t0.Add(time.Hour), "WB1"), ccomplaint(t0.Add(2*time.Hour), "C1", x))
	steps := []string{"acknowledge", "investigate", "decide_responsibility", "propose_solution", "customer_agrees", "carry_out", "follow_up"}
	var stepEvs []ev
	for i, st := range steps {
		sat := 0
		if st == "follow_up" {
			sat = 4
		}
		stepEvs = append(stepEvs, cstepEv(t0.Add(3*time.Hour+time.Duration(i)*time.Minute), "C1", st, sat))
	}
	a3 := cbatch("SH-A", 5, stepEvs...)
	exc := ev{t0.Add(4 * time.Hour), lifecycle.ExceptionReported, "X1", lifecycle.ExceptionReportedV1{Waybill: "WB2", Kind: "damaged", Owner: "c01", At: t0.Add(4 * time.Hour).UnixMilli()}}
	a4 := cbatch("SH-A", 5+uint64(len(steps)), exc)
	b1 := cbatch("SH-B", 1, cship(t0.Add(24*time.Hour), "SF1", x, "v2:b:1", 1250))
	b2 := cbatch("SH-B", 2, cship(t0.Add(25*time.Hour), "SF2", x, "v2:b:2", 800))

	commit(t, s, a1)
	// a4 comes before a3 closes its gap: held, then released with it.
	if r := commit(t, s, a4); !r[0].Held {
		t.Fatalf("a batch beyond a gap was not held: %+v", r[0])
	}
	commit(t, s, a2)
	commit(t, s, b1)
	commit(t, s, a1, b1) // replayed
	commit(t, s, a3)     // releases a4
	commit(t, s, a3, b2)
	commit(t, s, b2, a2)

	c, err := s.Customer(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	want := store.Customer{ID: x, FirstSeen: t0.UnixMilli(), LastSeen: t0.Add(25 * time.Hour).UnixMilli(),
		Received: 1, Sent: 2, FeesFen: 2050, Complaints: 1, ComplaintsOpen: 1, SatisfactionSum: 4, SatisfactionN: 1,
		LastSatisfaction: 4, LastSatisfactionAt: t0.Add(3*time.Hour + 6*time.Minute).UnixMilli(), Exceptions: 1, ExceptionsOpen: 1,
		Contact: store.Contact{Outlet: "SH-B", Kind: lifecycle.KindShipment, Record: "SF2", PhoneSealed: "v2:b:2", PhoneMasked: "138****5678",
			NameSealed: "v2:b:2n", NameMasked: "张*", At: t0.Add(25 * time.Hour).UnixMilli()}, Lang: store.DefaultLang}
	got := c
	got.Class, got.ClassAt, got.WindowParcels, got.WindowFees = "", 0, 0, 0
	if got != want {
		t.Fatalf("profile\n got %+v\nwant %+v", got, want)
	}
	if c.WindowParcels != 3 || c.WindowFees != 2050 || c.Class == "" {
		t.Errorf("window %d parcels %d fen, class %q; want 3, 2050 and a class", c.WindowParcels, c.WindowFees, c.Class)
	}
	os, err := s.CustomerOutlets(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	wantOs := []store.CustomerOutlet{{Customer: x, Outlet: "SH-A", N: 1, LastSeen: t0.Add(2 * time.Hour).UnixMilli()},
		{Customer: x, Outlet: "SH-B", N: 2, LastSeen: t0.Add(25 * time.Hour).UnixMilli()}}
	if !reflect.DeepEqual(os, wantOs) {
		t.Errorf("outlets\n got %+v\nwant %+v", os, wantOs)
	}
	ps, err := s.CustomerParcels(ctx, x, "", 0, 1<<62, 10)
	wantPs := []store.CustomerParcel{
		{Customer: x, Kind: store.ParcelSent, Outlet: "SH-B", Waybill: "SF2", At: t0.Add(25 * time.Hour).UnixMilli(), Fees: 800},
		{Customer: x, Kind: store.ParcelSent, Outlet: "SH-B", Waybill: "SF1", At: t0.Add(24 * time.Hour).UnixMilli(), Fees: 1250},
		{Customer: x, Kind: store.ParcelReceived, Outlet: "SH-A", Waybill: "WB1", At: t0.Add(time.Hour).UnixMilli()}}
	if err != nil || !reflect.DeepEqual(ps, wantPs) {
		t.Errorf("parcels (%v)\n got %+v\nwant %+v", err, ps, wantPs)
	}
	if sent, _ := s.CustomerParcels(ctx, x, store.ParcelSent, t0.Add(24*time.Hour).UnixMilli(), t0.Add(25*time.Hour).UnixMilli(), 10); len(sent) != 1 || sent[0].Waybill != "SF1" {
		t.Errorf("sent in [24h, 25h): %+v", sent)
	}
	cases, err := s.CustomerCases(ctx, x)
	wantCases := []store.CustomerCase{{Kind: lifecycle.KindComplaint, ID: "C1", Customer: x, Open: true, Satisfaction: 4},
		{Kind: lifecycle.KindException, ID: "X1", Customer: x, Open: true}}
	if err != nil || !reflect.DeepEqual(cases, wantCases) {
		t.Errorf("cases (%v)\n got %+v\nwant %+v", err, cases, wantCases)
	}
	// The recipient of a shipment is not its customer: only senders send.
	if r, err := s.Customer(ctx, "someone-else"); err == nil {
		t.Errorf("the recipient got a profile: %+v", r)
	}

	// Head office closes the complaint: no longer open, counted once.
	close := &syncproto.Event{ID: syncproto.NewID(), Origin: syncproto.HubOrigin, HLC: hlc.Make(t0.Add(26*time.Hour).UnixMilli(), 0),
		Actor: "hq", Type: lifecycle.ComplaintStep, V: 1, Subject: "C1", Target: "SH-A",
		Payload: json.RawMessage(fmt.Sprintf(`{"step":"close","at":%d}`, t0.Add(26*time.Hour).UnixMilli()))}
	if _, err := s.AppendDown(ctx, close); err != nil {
		t.Fatal(err)
	}
	c, _ = s.Customer(ctx, x)
	if c.Complaints != 1 || c.ComplaintsOpen != 0 || c.SatisfactionN != 1 {
		t.Errorf("after the close: %d complaints, %d open, %d scores; want 1, 0, 1", c.Complaints, c.ComplaintsOpen, c.SatisfactionN)
	}
	if err := s.SetEnterprise(ctx, x, "ACME 贸易"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetEnterprise(ctx, "nobody", "x"); err == nil {
		t.Error("an enterprise name was set on a customer without a profile")
	}
	if c, _ = s.Customer(ctx, x); c.Enterprise != "ACME 贸易" {
		t.Errorf("enterprise %q", c.Enterprise)
	}
	// Head office's language for the customer's messages: one it writes
	// in, on a customer it knows.
	if err := s.SetCustomerLang(ctx, x, "fr"); err == nil {
		t.Error("a language the hub does not write in was set")
	}
	if err := s.SetCustomerLang(ctx, "nobody", "en"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a language on a customer without a profile: %v, want ErrNotFound", err)
	}
	if err := s.SetCustomerLang(ctx, x, "en"); err != nil {
		t.Fatal(err)
	}
	if c, _ = s.Customer(ctx, x); c.Lang != "en" {
		t.Errorf("language %q, want en", c.Lang)
	}
	// A restarted hub keeps them as they were (no second build).
	s2 := be.ReopenIn(t, s, time.UTC)
	if c2, err := s2.Customer(ctx, x); err != nil || c2 != c {
		t.Errorf("after reopening: %+v (%v), want %+v", c2, err, c)
	}
	byOutlet, err := s2.Customers(ctx, store.CustomerQuery{Outlet: "SH-B", Limit: 10})
	if err != nil || len(byOutlet) != 1 || byOutlet[0].ID != x {
		t.Errorf("customers of SH-B: %+v (%v)", byOutlet, err)
	}
	if none, err := s2.Customers(ctx, store.CustomerQuery{Outlet: "SH-C", Limit: 10}); err != nil || len(none) != 0 {
		t.Errorf("customers of SH-C: %+v (%v)", none, err)
	}
}

// The per-class counts after many commits of random events, replays and
// held batches among them, are those computed from scratch over the same
// events.
func testCustomerClassCountsExact(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	now := t0.Add(400 * 24 * time.Hour)
	s := be.OpenIn(t, clock.NewManual(now), time.UTC)
	rng := rand.New(rand.NewPCG(7, 13))
	const customers, outlets, perOutlet = 60, 3, 300
	type fig struct{ last, parcels, fees int64 }
	truth := map[string]*fig{}
	cs := store.DefaultClassSettings
	windowFrom := store.DayOf(now.UnixMilli(), time.UTC) - int64(cs.WindowDays) + 1
	for o := range outlets {
		origin := fmt.Sprintf("SH-%d", o)
		var evs []ev
		for i := range perOutlet {
			cust := fmt.Sprintf("%032x", rng.IntN(customers))
			at := t0.Add(time.Duration(rng.IntN(399*24)) * time.Hour)
			f := truth[cust]
			if f == nil {
				f = &fig{}
				truth[cust] = f
			}
			f.last = max(f.last, at.UnixMilli())
			inWindow := store.DayOf(at.UnixMilli(), time.UTC) >= windowFrom
			if rng.IntN(2) == 0 {
				fen := int64(rng.IntN(5000))
				evs = append(evs, cship(at, fmt.Sprintf("S%d-%d", o, i), cust, "v2:s", fen))
				if inWindow {
					f.parcels++
					f.fees += fen
				}
			} else {
				evs = append(evs, cin(at, fmt.Sprintf("W%d-%d", o, i), cust, "v2:w"))
			}
		}
		// Commit in random slices, some sent twice and some ahead of a gap.
		var bs []*syncproto.Batch
		for first := 0; first < len(evs); {
			n := 1 + rng.IntN(40)
			n = min(n, len(evs)-first)
			bs = append(bs, cbatch(origin, uint64(first+1), evs[first:first+n]...))
			first += n
		}
		for i := 0; i < len(bs); i++ {
			if i+1 < len(bs) && rng.IntN(4) == 0 {
				commit(t, s, bs[i+1]) // held
			}
			commit(t, s, bs[i])
			if rng.IntN(3) == 0 {
				commit(t, s, bs[i]) // replayed
			}
		}
	}
	want := map[string]int64{}
	for _, f := range truth {
		want[cs.ClassOf(f.last, now.UnixMilli(), f.parcels, f.fees)]++
	}
	got, err := s.ClassCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("class counts\n got %v\nwant %v", got, want)
	}
	// Each class's list holds exactly its count.
	for class, n := range want {
		rows, err := s.Customers(ctx, store.CustomerQuery{Class: class, Limit: 1000})
		if err != nil || int64(len(rows)) != n {
			t.Errorf("class %s lists %d (%v), want %d", class, len(rows), err, n)
		}
	}
}

// A customer's class decays with time once a daily pass runs, and each
// change is a move; new thresholds reclassify everyone.
func testCustomerClassMoves(t *testing.T, be Backend) {
	ctx := context.Background()
	t0 := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	wall := clock.NewManual(t0.Add(time.Hour))
	s := be.OpenIn(t, wall, time.UTC)
	const x = "00000000000000000000000000000001"
	var evs []ev
	for i := range 20 {
		evs = append(evs, cship(t0.Add(time.Duration(i)*time.Minute), fmt.Sprintf("S%d", i), x, "v2:s", 5000))
	}
	commit(t, s, cbatch("SH-A", 1, evs...))
	c, err := s.Customer(ctx, x)
	if err != nil || c.Class != store.ClassImportantValue {
		t.Fatalf("class %q (%v), want %s", c.Class, err, store.ClassImportantValue)
	}
	// The class waits to be sent to the outlet that saw the customer.
	pushes, err := s.ClassPushes(ctx, 10)
	if want := []store.ClassPush{{Outlet: "SH-A", Customer: x, Class: store.ClassImportantValue}}; err != nil || !reflect.DeepEqual(pushes, want) {
		t.Fatalf("to send: %+v (%v), want %+v", pushes, err, want)
	}
	if err := s.DoneClassPushes(ctx, pushes); err != nil {
		t.Fatal(err)
	}
	if pushes, _ = s.ClassPushes(ctx, 10); len(pushes) != 0 {
		t.Fatalf("still to send after sending: %+v", pushes)
	}
	mark := t0.Add(2 * time.Hour).UnixMilli()
	wall.Set(t0.Add(200 * 24 * time.Hour))
	if n, err := s.Reclassify(ctx); err != nil || n != 1 {
		t.Fatalf("reclassified %d (%v)", n, err)
	}
	c, _ = s.Customer(ctx, x)
	if c.Class != store.ClassImportantKeep {
		t.Fatalf("after 200 days: %q, want %s", c.Class, store.ClassImportantKeep)
	}
	// The change is sent; a send of the old class does not drop it.
	if err := s.DoneClassPushes(ctx, []store.ClassPush{{Outlet: "SH-A", Customer: x, Class: store.ClassImportantValue}}); err != nil {
		t.Fatal(err)
	}
	pushes, _ = s.ClassPushes(ctx, 10)
	if want := []store.ClassPush{{Outlet: "SH-A", Customer: x, Class: store.ClassImportantKeep}}; !reflect.DeepEqual(pushes, want) {
		t.Errorf("to send after the decay: %+v, want %+v", pushes, want)
	}
	moves, err := s.ClassMoves(ctx, mark)
	if err != nil || len(moves) != 1 || moves[0].From != store.ClassImportantValue || moves[0].To != store.ClassImportantKeep {
		t.Fatalf("moves since the mark: %+v (%v)", moves, err)
	}
	all, _ := s.ClassMoves(ctx, 0)
	if len(all) != 2 || all[0].From != "" {
		t.Errorf("every move: %+v; want the first class from none, then the decay", all)
	}
	// Seen at a second outlet: the class goes there too, once.
	commit(t, s, cbatch("SH-B", 1, cin(t0.Add(200*24*time.Hour-time.Hour), "WB9", x, "v2:b")))
	pushes, _ = s.ClassPushes(ctx, 10)
	if len(pushes) != 2 || pushes[1].Outlet != "SH-B" {
		t.Errorf("to send after SH-B saw the customer: %+v", pushes)
	}
	// Thresholds no one reaches: low on F and M, high on R (SH-B saw it an hour ago).
	high := store.DefaultClassSettings
	high.F = [4]int64{1000, 2000, 3000, 4000}
	high.M = [4]int64{1e9, 2e9, 3e9, 4e9}
	if err := s.SetClassSettings(ctx, high); err != nil {
		t.Fatal(err)
	}
	bad := high
	bad.R = [4]int64{5, 4, 3, 2}
	if err := s.SetClassSettings(ctx, bad); err == nil {
		t.Error("descending thresholds were taken")
	}
	if _, err := s.Reclassify(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClassCounts(ctx); !reflect.DeepEqual(got, map[string]int64{store.ClassGeneralDevelop: 1}) {
		t.Errorf("counts under new thresholds: %v", got)
	}
}
