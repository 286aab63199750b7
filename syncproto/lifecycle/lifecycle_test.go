package lifecycle

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/problem"
)

var t0 = time.Date(2026, 11, 11, 9, 0, 0, 0, time.UTC)

type evMaker struct{ seq map[string]uint64 }

func (m *evMaker) ev(origin string, at time.Duration, typ, subject string, payload any) syncproto.Event {
	if m.seq == nil {
		m.seq = map[string]uint64{}
	}
	m.seq[origin]++
	raw, _ := json.Marshal(payload)
	return syncproto.Event{ID: fmt.Sprintf("%s-%d", origin, m.seq[origin]), Origin: origin, Seq: m.seq[origin],
		HLC: hlc.Make(t0.Add(at).UnixMilli(), 0), Actor: origin + "-staff", Type: typ, V: 1, Subject: subject, Payload: raw}
}

// Every state × every step: legal exactly when the expected table says so.
func TestExceptionStepsTable(t *testing.T) {
	legal := map[string][]string{
		ExceptionStateReported:         {"start_handling", "assign", "flag_suspected_loss"},
		ExceptionStateHandling:         {"inform_customer", "assign", "flag_suspected_loss"},
		ExceptionStateCustomerInformed: {"open_claim", "close", "assign", "flag_suspected_loss"},
		ExceptionStateClaimOpen:        {"decide_claim", "assign", "flag_suspected_loss"},
		ExceptionStateClaimDecided:     {"close", "assign", "flag_suspected_loss"},
		ExceptionStateClosed:           {},
	}
	for state, steps := range legal {
		for _, step := range exceptionMachine.order {
			for _, origin := range []string{"SH-001", "hub"} {
				t.Run(fmt.Sprintf("%s/%s/%s", state, step, origin), func(t *testing.T) {
					x := Exception{ID: "x1", State: state}
					err := x.Check(step, origin)
					want := slices.Contains(steps, step) && (step != "decide_claim" || origin == "hub")
					if (err == nil) != want {
						t.Fatalf("legal=%v, err=%v", want, err)
					}
					if err != nil {
						se, ok := err.(*StepError)
						if !ok || se.State != state || !reflect.DeepEqual(se.Allowed, x.Allowed(origin)) {
							t.Fatalf("error does not name the state and the allowed steps: %v", err)
						}
					}
				})
			}
		}
	}
	x := Exception{ID: "x1"}
	if x.Check("start_handling", "SH-001") == nil {
		t.Fatal("a step on an exception never reported was allowed")
	}
}

func TestComplaintStepsTable(t *testing.T) {
	any := []string{"assign", "escalate", "attach_notice"}
	legal := map[string][]string{
		ComplaintStateReceived:              {"acknowledge"},
		ComplaintStateAcknowledged:          {"investigate"},
		ComplaintStateInvestigating:         {"decide_responsibility"},
		ComplaintStateResponsibilityDecided: {"propose_solution"},
		ComplaintStateSolutionProposed:      {"customer_agrees"},
		ComplaintStateCustomerAgreed:        {"carry_out"},
		ComplaintStateCarriedOut:            {"follow_up"},
		ComplaintStateFollowedUp:            {"close"},
	}
	for _, typ := range ComplaintTypes {
		for state, steps := range legal {
			steps = append(append([]string{}, steps...), any...)
			if typ != "complaint" && state == ComplaintStateAcknowledged {
				steps = append(steps, "close")
			}
			for _, step := range complaintMachine.order {
				t.Run(fmt.Sprintf("%s/%s/%s", typ, state, step), func(t *testing.T) {
					c := Complaint{ID: "c1", Ticket: "T1", Type: typ, State: state}
					err := c.Check(ComplaintStepV1{Step: step, Satisfaction: 4}, "SH-001")
					if want := slices.Contains(steps, step); (err == nil) != want {
						t.Fatalf("legal=%v, err=%v", want, err)
					}
				})
			}
		}
		t.Run(typ+"/closed", func(t *testing.T) {
			c := Complaint{ID: "c1", Type: typ, State: ComplaintStateClosed}
			for _, step := range complaintMachine.order {
				if c.Check(ComplaintStepV1{Step: step}, "hub") == nil {
					t.Fatalf("%s allowed on a closed complaint", step)
				}
			}
		})
	}
	c := Complaint{ID: "c1", Type: "complaint", State: ComplaintStateCarriedOut}
	if err := c.Check(ComplaintStepV1{Step: "follow_up", Satisfaction: 0}, "SH-001"); err == nil {
		t.Fatal("follow-up without satisfaction accepted")
	}
	if err := c.Check(ComplaintStepV1{Step: "follow_up", Satisfaction: 6}, "SH-001"); err == nil {
		t.Fatal("satisfaction 6 accepted")
	}
}

func TestParcelStepsTable(t *testing.T) {
	legal := map[string][]string{
		"":                        {ParcelInbound},
		ParcelStateScanned:        {ParcelInbound},
		ParcelStateInbound:        {ParcelShelved, ParcelSuspectedLoss, DispatchOut},
		ParcelStateInStock:        {ParcelShelved, ParcelNotified, ParcelPickedUp, ParcelRefused, ParcelOverdue, DispatchOut},
		ParcelStatePickedUp:       {ParcelInbound},
		ParcelStateOverdue:        {ParcelNotified, ParcelPickedUp, ParcelRefused, ParcelReturned},
		ParcelStateReturning:      {ParcelInbound},
		ParcelStateOutForDelivery: {DispatchReturned, DispatchDelivered},
		ParcelStateDelivered:      {ParcelInbound},
	}
	all := []string{ParcelInbound, ParcelShelved, ParcelNotified, ParcelPickedUp, ParcelRefused, ParcelOverdue, ParcelReturned, ParcelSuspectedLoss,
		DispatchOut, DispatchReturned, DispatchDelivered}
	if !reflect.DeepEqual(all, parcelStepOrder) {
		t.Fatalf("the table does not cover every parcel step: %v", parcelStepOrder)
	}
	for state, steps := range legal {
		for _, step := range all {
			t.Run(state+"/"+step, func(t *testing.T) {
				p := Parcel{Waybill: "SF1", State: state}
				err := p.Check(step)
				if want := slices.Contains(steps, step); (err == nil) != want {
					t.Fatalf("legal=%v err=%v", want, err)
				}
				if !reflect.DeepEqual(p.Allowed(), steps) && !(len(steps) == 0 && p.Allowed() == nil) {
					t.Fatalf("Allowed() = %v, want %v", p.Allowed(), steps)
				}
			})
		}
	}
	for _, tc := range []struct {
		state, step string
		code        problem.Code
	}{
		{ParcelStateInStock, ParcelInbound, problem.ParcelInStock}, {ParcelStatePickedUp, ParcelPickedUp, problem.ParcelPickedUp},
		{ParcelStateOutForDelivery, DispatchOut, problem.ParcelOutForDelivery}, {ParcelStateDelivered, DispatchDelivered, problem.ParcelDelivered},
		// No shelf, no code: the error must not name an empty pickup code.
		{ParcelStateInbound, ParcelInbound, problem.ParcelNotShelved}, {ParcelStateInbound, ParcelPickedUp, problem.ParcelNotShelved},
	} {
		p := Parcel{Waybill: "SF1", State: tc.state, PickupCode: "1-1-0001"}
		err := p.Check(tc.step)
		if _, isStep := err.(*StepError); isStep || !problem.Is(err, tc.code) || tc.code.Class() != problem.Conflict {
			t.Fatalf("%s in %s: want the duplicate error %s, got %v", tc.step, tc.state, tc.code, err)
		}
	}
}

func TestParcelFoldAndDue(t *testing.T) {
	var m evMaker
	evs := []syncproto.Event{
		m.ev("SH-001", 0, ParcelInbound, "SF1", InboundV1{Waybill: "SF1", PhoneMasked: "138****5678", HoldDays: 7, At: t0.UnixMilli()}),
		m.ev("SH-001", time.Minute, ParcelShelved, "SF1", ShelvedV1{Shelf: "3", Layer: "2", Code: "3-2-0042", At: t0.Add(time.Minute).UnixMilli()}),
		m.ev("SH-001", 2*time.Minute, ParcelPickedUp, "SF1", PickupV1{IDCheck: "code_only", Signer: "recipient", SignatureSHA256: "ab", Staff: "c01"}),
		m.ev("SH-001", 3*time.Minute, ParcelPickedUp, "SF1", PickupV1{IDCheck: "code_only", Signer: "recipient", SignatureSHA256: "cd", Staff: "c01"}),
	}
	p := FoldParcel("SF1", evs)
	if p.State != ParcelStatePickedUp || p.PickupCode != "3-2-0042" || p.Pickup.SignatureSHA256 != "ab" || len(p.Conflicts) != 1 {
		t.Fatalf("%+v", p)
	}
	q := FoldParcel("SF1", evs[:2])
	for _, tc := range []struct {
		at   time.Duration
		want []string
	}{
		{24 * time.Hour, nil},
		{6*24*time.Hour + time.Hour, []string{ParcelNotified}},
		{7*24*time.Hour + time.Minute, []string{ParcelOverdue}},
	} {
		if got := q.Due(t0.Add(tc.at), 24*time.Hour); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("due at +%v = %v, want %v", tc.at, got, tc.want)
		}
	}
}

// The SLA clock runs on the hub-corrected times in the payloads, so a PC
// clock hours off (which only moves HLC stamps) changes nothing.
func TestComplaintSLAWithSkewedClock(t *testing.T) {
	for _, skew := range []time.Duration{-6 * time.Hour, 0, 6 * time.Hour} {
		t.Run(skew.String(), func(t *testing.T) {
			var m evMaker
			received := t0
			evs := []syncproto.Event{
				m.ev("SH-001", skew, ComplaintReceived, "c1", ComplaintReceivedV1{Ticket: "T1", Type: "complaint", Channel: "counter", Category: "delay", Severity: "routine", Text: "慢", At: received.UnixMilli()}),
				m.ev("SH-001", skew+30*time.Hour, ComplaintStep, "c1", ComplaintStepV1{Step: "acknowledge", At: received.Add(30 * time.Hour).UnixMilli()}),
			}
			c := FoldComplaint("c1", evs)
			d := c.Deadlines(DefaultSLA, received.Add(48*time.Hour))
			if !d.FirstReplyBy.Equal(received.Add(24*time.Hour)) || d.FirstReplyRemaining != -6*3600 {
				t.Fatalf("first reply: %+v", d)
			}
			if d.ResultRemaining != int64((7*24-48)*3600) {
				t.Fatalf("result remaining %d", d.ResultRemaining)
			}
			if got := c.DueEscalations(DefaultSLA, received.Add(48*time.Hour)); !reflect.DeepEqual(got, []string{ReasonFirstReplyBreached}) {
				t.Fatalf("due escalations %v", got)
			}
			evs = append(evs, m.ev("hub", skew+49*time.Hour, ComplaintStep, "c1", ComplaintStepV1{Step: "escalate", Reason: ReasonFirstReplyBreached, At: received.Add(49 * time.Hour).UnixMilli()}),
				m.ev("SH-001", skew+50*time.Hour, ComplaintStep, "c1", ComplaintStepV1{Step: "escalate", Reason: ReasonFirstReplyBreached, At: received.Add(50 * time.Hour).UnixMilli()}))
			c = FoldComplaint("c1", evs)
			if len(c.Escalations) != 1 || len(c.DueEscalations(DefaultSLA, received.Add(8*24*time.Hour))) != 1 {
				t.Fatalf("escalations %+v, due %v", c.Escalations, c.DueEscalations(DefaultSLA, received.Add(8*24*time.Hour)))
			}
		})
	}
}

// TestConvergence: an outlet and head office act on the same exception and
// the same complaint while apart; folding the union in any arrival order
// gives identical state on both sides.
func TestConvergence(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 300; round++ {
		var m evMaker
		var xs, cs []syncproto.Event
		xs = append(xs, m.ev("SH-001", 0, ExceptionReported, "x1", ExceptionReportedV1{Waybill: "SF1", Kind: "damaged", Owner: "c01", At: t0.UnixMilli()}))
		cs = append(cs, m.ev("SH-001", 0, ComplaintReceived, "c1", ComplaintReceivedV1{Ticket: "T1", Type: "complaint", Channel: "counter", Category: "damage", Severity: "major", Text: "坏了", At: t0.UnixMilli()}))
		xSteps := []string{"start_handling", "inform_customer", "open_claim", "decide_claim", "close", "assign", "flag_suspected_loss"}
		cSteps := complaintMachine.order
		// Each side takes a random run of steps at random times, unaware of the other.
		for _, origin := range []string{"SH-001", "hub"} {
			for i, n := 0, rng.IntN(7); i < n; i++ {
				at := time.Duration(1+rng.IntN(1000)) * time.Minute
				approved := rng.IntN(2) == 0
				xs = append(xs, m.ev(origin, at, ExceptionStep, "x1", ExceptionStepV1{Step: xSteps[rng.IntN(len(xSteps))], Approved: &approved, Owner: "o" + origin, At: t0.Add(at).UnixMilli()}))
				at = time.Duration(1+rng.IntN(1000)) * time.Minute
				cs = append(cs, m.ev(origin, at, ComplaintStep, "c1", ComplaintStepV1{Step: cSteps[rng.IntN(len(cSteps))], Satisfaction: 1 + rng.IntN(5), Reason: "r" + fmt.Sprint(rng.IntN(2)), At: t0.Add(at).UnixMilli()}))
			}
		}
		wantX, _ := json.Marshal(FoldException("x1", slices.Clone(xs)))
		wantC, _ := json.Marshal(FoldComplaint("c1", slices.Clone(cs)))
		for perm := 0; perm < 5; perm++ {
			rng.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
			rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
			gotX, _ := json.Marshal(FoldException("x1", slices.Clone(xs)))
			gotC, _ := json.Marshal(FoldComplaint("c1", slices.Clone(cs)))
			if string(gotX) != string(wantX) || string(gotC) != string(wantC) {
				t.Fatalf("round %d: fold depends on arrival order\nexception %s\n      vs %s\ncomplaint %s\n      vs %s", round, wantX, gotX, wantC, gotC)
			}
		}
	}
}

// A concrete conflict: head office decides the claim and closes while the
// outlet, offline, closes first by its own clock. The earlier close wins on
// both sides and the later one is kept as a conflict.
func TestConflictKeptNotLost(t *testing.T) {
	var m evMaker
	yes := true
	evs := []syncproto.Event{
		m.ev("SH-001", 0, ExceptionReported, "x1", ExceptionReportedV1{Waybill: "SF1", Kind: "damaged", Owner: "c01"}),
		m.ev("SH-001", time.Minute, ExceptionStep, "x1", ExceptionStepV1{Step: "start_handling"}),
		m.ev("SH-001", 2*time.Minute, ExceptionStep, "x1", ExceptionStepV1{Step: "inform_customer"}),
		m.ev("SH-001", 3*time.Minute, ExceptionStep, "x1", ExceptionStepV1{Step: "open_claim"}),
		m.ev("hub", 4*time.Minute, ExceptionStep, "x1", ExceptionStepV1{Step: "decide_claim", Approved: &yes, AmountCents: 5000}),
		m.ev("SH-001", 5*time.Minute, ExceptionStep, "x1", ExceptionStepV1{Step: "decide_claim", Approved: &yes}),
		m.ev("SH-001", 6*time.Minute, ExceptionStep, "x1", ExceptionStepV1{Step: "close"}),
		m.ev("hub", 7*time.Minute, ExceptionStep, "x1", ExceptionStepV1{Step: "close"}),
	}
	x := FoldException("x1", evs)
	if x.State != ExceptionStateClosed || !x.Claim.Approved || x.Claim.AmountCents != 5000 || len(x.Conflicts) != 2 {
		t.Fatalf("%+v", x)
	}
}

// An ended notice keeps its recovery text and when head office ended it,
// and counts as recently ended for RecoveryShown after that, at the
// hub-corrected time asked; an outlet cannot end one.
func TestNoticeRecentlyEnded(t *testing.T) {
	var m evMaker
	ended := t0.Add(3 * time.Hour)
	evs := []syncproto.Event{
		m.ev("hub", 0, NoticePublished, "n1", NoticePublishedV1{Title: "暴雨", ValidFrom: t0.UnixMilli(), ValidTo: t0.Add(72 * time.Hour).UnixMilli()}),
		m.ev("SH-001", time.Hour, NoticeEnded, "n1", NoticeEndedV1{Text: "forged", At: t0.Add(time.Hour).UnixMilli()}),
	}
	n := FoldNotice("n1", evs)
	if n.Ended || n.EndedAt != 0 || n.RecentlyEnded(t0.Add(2*time.Hour)) {
		t.Fatalf("an outlet ended the notice: %+v", n)
	}
	n = FoldNotice("n1", append(evs, m.ev("hub", 3*time.Hour, NoticeEnded, "n1", NoticeEndedV1{Text: "已恢复派送", At: ended.UnixMilli()})))
	if !n.Ended || n.RecoveryText != "已恢复派送" || n.EndedAt != ended.UnixMilli() {
		t.Fatalf("ended: %+v", n)
	}
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{ended, true},
		{ended.Add(RecoveryShown - time.Millisecond), true},
		{ended.Add(RecoveryShown), false},
		{ended.Add(30 * 24 * time.Hour), false},
	} {
		if got := n.RecentlyEnded(c.at); got != c.want || n.Active(c.at) {
			t.Errorf("at %s after the end: recently ended %v (want %v), active %v", c.at.Sub(ended), got, c.want, n.Active(c.at))
		}
	}
	if RecoveryShown != DefaultHoldDays*24*time.Hour {
		t.Errorf("RecoveryShown %s, want the holding period of %d days", RecoveryShown, DefaultHoldDays)
	}
	live := FoldNotice("n1", evs[:1])
	if live.RecentlyEnded(t0.Add(time.Hour)) {
		t.Error("a notice in force counts as recently ended")
	}
}

func TestNoticeAndTemplates(t *testing.T) {
	var m evMaker
	evs := []syncproto.Event{
		m.ev("hub", 0, NoticePublished, "n1", NoticePublishedV1{Title: "暂停揽收", Severity: "critical", ValidFrom: t0.UnixMilli(), ValidTo: t0.Add(72 * time.Hour).UnixMilli()}),
		m.ev("SH-001", time.Hour, NoticeAcknowledged, "n1", NoticeAckV1{Staff: "c01"}),
		m.ev("SH-001", 2*time.Hour, NoticePublished, "n1", NoticePublishedV1{Title: "forged"}),
	}
	n := FoldNotice("n1", evs)
	if !n.Active(t0.Add(time.Hour)) || n.Title != "暂停揽收" || len(n.Acks) != 1 {
		t.Fatalf("%+v", n)
	}
	n = FoldNotice("n1", append(evs, m.ev("hub", 3*time.Hour, NoticeEnded, "n1", NoticeEndedV1{Text: "恢复"})))
	if n.Active(t0.Add(4*time.Hour)) || n.RecoveryText != "恢复" {
		t.Fatalf("ended notice still active: %+v", n)
	}
	ts := []Template{
		{ID: "a", TemplateV1: TemplateV1{Title: "延误致歉", Category: "delay", Keywords: []string{"慢", "延误"}}},
		{ID: "b", TemplateV1: TemplateV1{Title: "破损理赔", Category: "damage", Keywords: []string{"破"}}},
		{ID: "c", TemplateV1: TemplateV1{Title: "通用", Keywords: []string{"态度"}}},
	}
	got := Suggest(ts, "delay", "快递太慢了，延误三天")
	if len(got) != 1 || got[0].ID != "a" || got[0].Score != 7 {
		t.Fatalf("suggest %+v", got)
	}
	// A withdrawn template is never suggested, however well it matches.
	ts[0].Withdrawn = true
	if got := Suggest(ts, "delay", "快递太慢了，延误三天"); len(got) != 0 {
		t.Fatalf("suggest offers a withdrawn template: %+v", got)
	}
}
