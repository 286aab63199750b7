package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/measures"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/storegen"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// step is one event of the measures' scenario at a known time.
type step struct {
	at              time.Time
	actor, typ, sub string
	payload         any
}

func (s step) event(origin string, seq uint64, skew time.Duration) syncproto.Event {
	js, err := json.Marshal(s.payload)
	if err != nil {
		panic(err)
	}
	return syncproto.Event{ID: fmt.Sprintf("%s-m%d", origin, seq), Origin: origin, Seq: seq,
		HLC: hlc.Make(s.at.Add(skew).UnixMilli(), 0), Actor: s.actor, Type: s.typ, V: 1, Subject: s.sub, Payload: js}
}

func utc(day, hour, minute int) time.Time {
	return time.Date(2026, 7, day, hour, minute, 0, 0, time.UTC)
}

func cstep(at time.Time, actor, id, name string, extra ...any) step {
	p := map[string]any{"step": name, "at": at.UnixMilli()}
	for i := 0; i+1 < len(extra); i += 2 {
		p[extra[i].(string)] = extra[i+1]
	}
	return step{at, actor, lifecycle.ComplaintStep, id, p}
}

func xstep(at time.Time, actor, id, name string, extra ...any) step {
	s := cstep(at, actor, id, name, extra...)
	s.typ = lifecycle.ExceptionStep
	return s
}

func received(at time.Time, actor, id, typ string) step {
	return step{at, actor, lifecycle.ComplaintReceived, id, map[string]any{"ticket": id, "channel": "counter", "type": typ,
		"category": "delay", "severity": "routine", "text": "x", "owner": actor, "at": at.UnixMilli()}}
}

// testMeasures builds events with known times at two outlets, one of them
// with its clock six hours ahead, and head office's steps, commits them
// through the store (held and released, replayed) and checks every
// measure's value.
func testMeasures(t *testing.T, be Backend) {
	ctx := context.Background()
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	wall := clock.NewManual(utc(3, 0, 0))
	s := be.OpenIn(t, wall, shanghai)
	ms := measures.New(measures.Options{Store: s.(measures.Rollups), Clock: wall,
		Regions: func(context.Context) (map[string]string, error) {
			return map[string]string{"SH-A": "east", "SH-B": "north"}, nil
		}})

	// Outlet SH-A, clock right. Times in UTC; the hub's days are in
	// Shanghai (UTC+8): 2026-07-01 runs from 06-30 16:00 to 07-01 16:00.
	a := []step{
		received(utc(1, 1, 0), "c01", "CA1", "complaint"),
		cstep(utc(1, 3, 0), "c01", "CA1", "acknowledge"), // 2 h
		cstep(utc(1, 4, 0), "c01", "CA1", "investigate"),
		cstep(utc(1, 5, 0), "c01", "CA1", "decide_responsibility"),
		cstep(utc(1, 6, 0), "c01", "CA1", "propose_solution"),
		cstep(utc(1, 7, 0), "c01", "CA1", "customer_agrees"),
		cstep(utc(2, 1, 0), "c01", "CA1", "carry_out"), // result within 7 days
		cstep(utc(2, 2, 0), "c01", "CA1", "follow_up", "satisfaction", 4),
		cstep(utc(2, 3, 0), "c01", "CA1", "close"),
		received(utc(1, 2, 0), "c02", "CA2", "complaint"),
		cstep(utc(2, 8, 0), "c02", "CA2", "acknowledge"), // 30 h: late
		received(utc(2, 3, 0), "c01", "CA3", "suggestion"),
		cstep(utc(2, 4, 0), "c01", "CA3", "acknowledge"), // 1 h
		cstep(utc(2, 5, 0), "c01", "CA3", "close"),

		{utc(1, 4, 0), "c01", lifecycle.ExceptionReported, "EA1", map[string]any{"waybill": "SF1", "kind": "damaged", "owner": "c01", "at": 1}},
		xstep(utc(1, 5, 0), "c01", "EA1", "start_handling"),
		xstep(utc(1, 6, 0), "c01", "EA1", "inform_customer"),
		xstep(utc(1, 7, 0), "c01", "EA1", "open_claim"),
		xstep(utc(1, 11, 0), "c01", "EA1", "close"), // after head office decides at 10:00
		{utc(1, 5, 0), "c02", lifecycle.ExceptionReported, "EA2", map[string]any{"waybill": "SF2", "kind": "delayed", "owner": "c02", "at": 1}},
		xstep(utc(1, 6, 0), "c02", "EA2", "start_handling"),
		xstep(utc(1, 6, 30), "c02", "EA2", "inform_customer"),
		xstep(utc(1, 7, 0), "c02", "EA2", "close"), // 2 h

		{utc(1, 1, 0), "c01", lifecycle.ParcelInbound, "SF1", map[string]any{"waybill": "SF1", "at": 1}},
		{utc(1, 1, 0), "c01", lifecycle.ParcelInbound, "SF2", map[string]any{"waybill": "SF2", "at": 1}},
		{utc(1, 3, 0), "c01", lifecycle.ParcelPickedUp, "SF1", map[string]any{"staff": "c01", "at": 1}}, // dwell 2 h
		{utc(2, 1, 0), "c01", lifecycle.ParcelOverdue, "SF2", map[string]any{"at": 1}},
		{utc(2, 2, 0), "c01", lifecycle.ParcelReturned, "SF2", map[string]any{"at": 1}},
		{utc(2, 2, 30), "c01", lifecycle.IncidentReported, "IA1", map[string]any{"occurred_at": 1, "cause": "power", "text": "停电", "at": 1}},

		{utc(1, 6, 0), "c01", lifecycle.HandoverOpened, "HA1", map[string]any{"manifests": []string{"M1"}, "courier": "k1", "staff": "c01", "at": 1}},
		{utc(1, 6, 5), "c01", lifecycle.HandoverScanned, "HA1", map[string]any{"waybill": "SF1", "at": 1}},
		{utc(1, 6, 6), "c01", lifecycle.HandoverScanned, "HA1", map[string]any{"waybill": "SF2", "at": 1}},
		{utc(1, 6, 7), "c01", lifecycle.HandoverScanned, "HA1", map[string]any{"waybill": "SFX", "at": 1}},
		{utc(1, 6, 30), "c01", lifecycle.HandoverClosed, "HA1", map[string]any{"courier": map[string]any{"signer": "k1", "sha256": "aa"},
			"clerk": map[string]any{"signer": "c01", "sha256": "bb"}, "at": 1}},
	}
	down := func(at time.Time, actor, typ, sub, target string, payload any) {
		t.Helper()
		js, _ := json.Marshal(payload)
		e := syncproto.Event{ID: fmt.Sprintf("hub-%s-%d", sub, at.UnixMilli()), Origin: syncproto.HubOrigin, HLC: hlc.Make(at.UnixMilli(), 0),
			Actor: actor, Type: typ, V: 1, Subject: sub, Target: target, Payload: js}
		if _, err := s.AppendDown(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	down(utc(1, 0, 0), "ops", lifecycle.ManifestPublished, "M1", "SH-A", map[string]any{"waybills": []string{"SF1", "SF2", "SF3"}, "courier": "k1", "at": 1})

	// SH-A's events arrive on 3 July: the second half first (held beyond
	// the gap), then all of them, which stores the first half and
	// releases the second (both hold the second half's events: counted
	// once); then the halves again, as replays.
	batch := func(origin string, first uint64, steps []step, skew time.Duration) *syncproto.Batch {
		b := &syncproto.Batch{Origin: origin, First: first, Last: first + uint64(len(steps)) - 1}
		for i, st := range steps {
			b.Events = append(b.Events, st.event(origin, first+uint64(i), skew))
		}
		return b
	}
	half := len(a) / 2
	first, second := batch("SH-A", 1, a[:half], 0), batch("SH-A", uint64(half)+1, a[half:], 0)
	if res := commit(t, s, second); !res[0].Held {
		t.Fatalf("second half not held: %+v", res[0])
	}
	if res := commit(t, s, batch("SH-A", 1, a, 0)); res[0].AckedSeq != uint64(len(a)) {
		t.Fatalf("first half acked %d, want %d", res[0].AckedSeq, len(a))
	}
	if res := commit(t, s, first, second); !res[0].Replayed || !res[1].Replayed {
		t.Fatalf("resent halves not replays: %+v", res)
	}

	// Outlet SH-B's clock is six hours ahead: its complaint, received at
	// 23:30 on 1 July in Shanghai, is stamped 05:30 on 2 July. The hub
	// takes it at once and folds it at arrival plus the skew bound.
	wall.Set(utc(1, 15, 30))
	commit(t, s, batch("SH-B", 1, []step{received(utc(1, 15, 30), "c09", "CB1", "complaint")}, 6*time.Hour))
	// Head office replies an hour later (59 minutes after the hub's time
	// of the complaint; the outlet's raw stamp would make it negative),
	// decides SH-A's claim and escalates CA2.
	wall.Set(utc(1, 16, 30))
	down(utc(1, 16, 30), "alice", lifecycle.ComplaintStep, "CB1", "SH-B", map[string]any{"step": "acknowledge", "at": utc(1, 16, 30).UnixMilli()})
	down(utc(1, 10, 0), "bob", lifecycle.ExceptionStep, "EA1", "SH-A", map[string]any{"step": "decide_claim", "approved": true, "amount_cents": 5000, "at": 1})
	down(utc(2, 3, 0), "bob", lifecycle.ComplaintStep, "CA2", "SH-A", map[string]any{"step": "escalate", "reason": lifecycle.ReasonFirstReplyBreached, "at": 1})
	// A customer answers SH-A's pickup survey: 5 and 3, and opts out.
	down(utc(1, 8, 0), "customer", lifecycle.SurveyAnswered, "inv-a1", syncproto.HubOrigin, lifecycle.SurveyAnsweredV1{Survey: "after",
		Version: 1, Trigger: lifecycle.SurveyOnPickup, Outlet: "SH-A", Customer: "c", Scores: []int64{5, 3, 0}, OptedOut: true, At: 1})
	// Its invitation was sent and delivered on day 1; another is sent on
	// day 2 and not delivered: no response rate that day.
	inv := lifecycle.SurveyInvitationV1{Survey: "after", Version: 1, Trigger: lifecycle.SurveyOnPickup, Outlet: "SH-A", At: 1}
	down(utc(1, 7, 0), "gateway", lifecycle.SurveyInvitationSent, "inv-a1", syncproto.HubOrigin, inv)
	down(utc(1, 7, 5), "gateway", lifecycle.SurveyInvitationDelivered, "inv-a1", syncproto.HubOrigin, inv)
	down(utc(2, 7, 0), "gateway", lifecycle.SurveyInvitationSent, "inv-a2", syncproto.HubOrigin, inv)
	wall.Set(utc(3, 0, 0))

	get := func(q measures.Query) *measures.Result {
		t.Helper()
		r, err := ms.Compute(ctx, q)
		if err != nil {
			t.Fatalf("%+v: %v", q, err)
		}
		return r
	}
	dwell2h := int64(math.Round(store.DwellOf(store.DwellBucket(2 * 3600_000))))
	if d := math.Abs(float64(dwell2h)-7200_000) / 7200_000; d > 0.045 {
		t.Fatalf("dwell bucket of 2 h reads %d ms, %.1f%% off", dwell2h, 100*d)
	}
	h := func(n float64) int64 { return int64(n * 3600_000) }
	kinds := func(v map[string]any) {
		for _, k := range lifecycle.ExceptionKinds {
			v["exceptions."+k+".count"], v["exceptions."+k+".handling_p50_ms"] = int64(0), nil
		}
	}
	day1 := map[string]any{
		"complaints.count": int64(3), "complaints.first_reply_p50_ms": h(2), "complaints.first_reply_p90_ms": h(30),
		"complaints.replied_24h_ratio": 2.0 / 3, "complaints.resolved_7d_ratio": 1.0 / 3, "complaints.sla_breaches": int64(1),
		"complaints.escalations": int64(1), "satisfaction.avg": 4.0, "satisfaction.n1": int64(0), "satisfaction.n2": int64(0),
		"satisfaction.n3": int64(0), "satisfaction.n4": int64(1), "satisfaction.n5": int64(0),
		"exceptions.count": int64(2), "exceptions.handling_p50_ms": h(2), "exceptions.claims": int64(1), "exceptions.claim_amount_cents": int64(5000),
		"parcels.inbound": int64(2), "parcels.picked_up": int64(1), "parcels.overdue": int64(0), "parcels.returned": int64(0),
		"parcels.dwell_p50_ms": dwell2h, "handovers.count": int64(1), "handovers.missing_ratio": 1.0 / 3, "handovers.extra_ratio": 1.0 / 3,
		"incidents.count":  int64(0),
		"surveys.answered": int64(1), "surveys.avg": 4.0, "surveys.n1": int64(0), "surveys.n2": int64(0), "surveys.n3": int64(1),
		"surveys.n4": int64(0), "surveys.n5": int64(1), "surveys.opted_out": int64(1),
		"surveys.sent": int64(1), "surveys.delivered": int64(1), "surveys.response_ratio": 1.0,
	}
	kinds(day1)
	day1["exceptions.damaged.count"], day1["exceptions.damaged.handling_p50_ms"] = int64(1), h(6)
	day1["exceptions.delayed.count"], day1["exceptions.delayed.handling_p50_ms"] = int64(1), h(2)
	day2 := map[string]any{
		"complaints.count": int64(1), "complaints.first_reply_p50_ms": h(1), "complaints.first_reply_p90_ms": h(1),
		"complaints.replied_24h_ratio": 1.0, "complaints.resolved_7d_ratio": 1.0, "complaints.sla_breaches": int64(0),
		"complaints.escalations": int64(0), "satisfaction.avg": nil, "satisfaction.n1": int64(0), "satisfaction.n2": int64(0),
		"satisfaction.n3": int64(0), "satisfaction.n4": int64(0), "satisfaction.n5": int64(0),
		"exceptions.count": int64(0), "exceptions.handling_p50_ms": nil, "exceptions.claims": int64(0), "exceptions.claim_amount_cents": int64(0),
		"parcels.inbound": int64(0), "parcels.picked_up": int64(0), "parcels.overdue": int64(1), "parcels.returned": int64(1),
		"parcels.dwell_p50_ms": nil, "handovers.count": int64(0), "handovers.missing_ratio": nil, "handovers.extra_ratio": nil,
		"incidents.count":  int64(1), // held beyond a gap, released, resent: counted once
		"surveys.answered": int64(0), "surveys.avg": nil, "surveys.n1": int64(0), "surveys.n2": int64(0), "surveys.n3": int64(0),
		"surveys.n4": int64(0), "surveys.n5": int64(0), "surveys.opted_out": int64(0),
		"surveys.sent": int64(1), "surveys.delivered": int64(0), "surveys.response_ratio": nil,
	}
	kinds(day2)
	check := func(what string, got, want map[string]any) {
		t.Helper()
		if len(got) != len(measures.Defs) {
			t.Errorf("%s: %d values, want one per measure (%d)", what, len(got), len(measures.Defs))
		}
		for _, d := range measures.Defs {
			w, ok := want[d.Name]
			if !ok {
				t.Errorf("%s: the test has no value for %s", what, d.Name)
				continue
			}
			if !same(got[d.Name], w) {
				t.Errorf("%s: %s = %v, want %v", what, d.Name, got[d.Name], w)
			}
		}
	}
	r := get(measures.Query{From: "2026-07-01", To: "2026-07-02", By: "all", Period: "day"})
	if len(r.Rows) != 2 || r.Rows[0].Period != "2026-07-01" || r.Rows[1].Period != "2026-07-02" {
		t.Fatalf("rows %+v, want 1 and 2 July", r.Rows)
	}
	check("1 July", r.Rows[0].Values, day1)
	check("2 July", r.Rows[1].Values, day2)

	// The skewed outlet's complaint counts on the hub's day, with the
	// hub's time of its first reply.
	r = get(measures.Query{From: "2026-07-01", To: "2026-07-02", By: "outlet", Period: "day"})
	var sawB bool
	for _, row := range r.Rows {
		if row.Key == "SH-B" {
			sawB = true
			if row.Period != "2026-07-01" || !same(row.Values["complaints.count"], int64(1)) ||
				!same(row.Values["complaints.first_reply_p50_ms"], int64(59*60_000)) {
				t.Errorf("SH-B: %s %v first reply %v; want 2026-07-01, one complaint, 59 minutes", row.Period,
					row.Values["complaints.count"], row.Values["complaints.first_reply_p50_ms"])
			}
		}
	}
	if !sawB {
		t.Errorf("no row of SH-B in %+v", r.Rows)
	}
	// Per person: head office's reply counts for alice; the week starts
	// on Monday 29 June and holds all four complaints.
	r = get(measures.Query{From: "2026-07-01", To: "2026-07-02", By: "person", Period: "week"})
	byKey := map[string]map[string]any{}
	for _, row := range r.Rows {
		if row.Period != "2026-06-29" {
			t.Errorf("week row %s %s, want the week of 2026-06-29", row.Key, row.Period)
		}
		byKey[row.Key] = row.Values
	}
	if v := byKey["hub/alice"]; v == nil || !same(v["complaints.count"], int64(1)) {
		t.Errorf("hub/alice: %v, want the one complaint she first replied to", v)
	}
	if v := byKey["SH-A/c01"]; v == nil || !same(v["complaints.count"], int64(2)) || !same(v["parcels.picked_up"], int64(1)) {
		t.Errorf("SH-A/c01: %v, want CA1 and CA3 and the pickup", v)
	}
	if v := byKey["hub/bob"]; v == nil || !same(v["exceptions.count"], int64(1)) {
		t.Errorf("hub/bob: %v, want the exception whose claim he decided", v)
	}
	if !same(r.Total.Values["complaints.count"], int64(4)) || !same(r.Total.Values["parcels.inbound"], int64(2)) {
		t.Errorf("total %v", r.Total.Values)
	}
	// Per region and filtered by one.
	r = get(measures.Query{From: "2026-07-01", To: "2026-07-31", By: "region", Period: "month", Region: "north"})
	if len(r.Rows) != 1 || r.Rows[0].Key != "north" || r.Rows[0].Period != "2026-07-01" || !same(r.Rows[0].Values["complaints.count"], int64(1)) {
		t.Errorf("north in July: %+v", r.Rows)
	}
	// An outlet filter reads only that outlet's rows.
	r = get(measures.Query{From: "2026-07-01", To: "2026-07-01", Outlet: "SH-B"})
	if !same(r.Total.Values["complaints.count"], int64(1)) || !same(r.Total.Values["parcels.inbound"], int64(0)) ||
		!same(r.Total.Values["surveys.answered"], int64(0)) {
		t.Errorf("SH-B on 1 July: %v", r.Total.Values)
	}
}

// same compares a measure's value with the wanted one: integers exactly,
// ratios to a rounding.
func same(got, want any) bool {
	switch w := want.(type) {
	case nil:
		return got == nil
	case float64:
		g, ok := got.(float64)
		return ok && math.Abs(g-w) < 1e-9
	default:
		return got == want
	}
}

// testRollupsRebuiltInAnotherZone: a hub opened in another time zone
// counts its days there, so it rebuilds the counters from the events;
// the facts, in hub-corrected milliseconds, stay the same.
func testRollupsRebuiltInAnotherZone(t *testing.T, be Backend) {
	ctx := context.Background()
	s := be.OpenIn(t, nil, time.UTC)
	// 20:00 UTC on 1 July is 04:00 on 2 July in Shanghai.
	at := utc(1, 20, 0)
	commit(t, s, &syncproto.Batch{Origin: "SH-A", First: 1, Last: 2, Events: []syncproto.Event{
		step{at, "c01", lifecycle.ParcelInbound, "SF1", map[string]any{"at": 1}}.event("SH-A", 1, 0),
		received(at, "c01", "C1", "complaint").event("SH-A", 2, 0),
	}})
	days := func(s store.Store) map[int64]int64 {
		t.Helper()
		ts, err := s.(measures.Rollups).Tallies(ctx, store.RollupQuery{From: 0, To: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]int64{}
		for _, x := range ts {
			out[x.Day] += x.N
		}
		return out
	}
	july1 := store.DayOf(at.UnixMilli(), time.UTC)
	if got := days(s); len(got) != 1 || got[july1] != 1 {
		t.Fatalf("UTC tallies by day %v, want one on 1 July (%d)", got, july1)
	}
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	s = be.ReopenIn(t, s, shanghai)
	if got := days(s); len(got) != 1 || got[july1+1] != 1 {
		t.Errorf("Shanghai tallies by day %v, want one on 2 July (%d)", got, july1+1)
	}
	// And back: the mark is the zone's, not one per zone ever used.
	s = be.ReopenIn(t, s, time.UTC)
	if got := days(s); len(got) != 1 || got[july1] != 1 {
		t.Errorf("tallies by day back in UTC %v, want one on 1 July (%d)", got, july1)
	}
	s = be.ReopenIn(t, s, shanghai)
	fs, err := s.(measures.Rollups).Facts(ctx, lifecycle.KindComplaint, store.RollupQuery{From: 0, To: 1 << 50})
	if err != nil || len(fs) != 1 || fs[0].At != at.UnixMilli() {
		t.Errorf("facts after the rebuild %+v %v", fs, err)
	}
}

// testOutletTalliesSumPersons: the per-outlet counters the measures read
// for every grouping but by person are the per-person counters summed,
// for any range and outlet, as kept at commit and as rebuilt at open.
func testOutletTalliesSumPersons(t *testing.T, be Backend) {
	ctx := context.Background()
	s := be.OpenIn(t, nil, storegen.CST)
	size := storegen.Size{Events: 3000, Cases: 200, Outlets: 4, Days: 20}
	if _, err := storegen.Build(ctx, s, size, storegen.Options{BatchEvents: 97}); err != nil {
		t.Fatal(err)
	}
	ids := storegen.OutletIDs(size)
	check := func(s store.Store, when string) {
		t.Helper()
		r := s.(measures.Rollups)
		last := store.DayOf(storegen.End.UnixMilli(), storegen.CST) - 1
		shared := 0
		for _, q := range []store.RollupQuery{
			{From: 0, To: 1 << 30},
			{From: last - 6, To: last},
			{From: last, To: last},
			{From: 0, To: 1 << 30, Outlet: ids[1]},
			{From: last - 3, To: last - 1, Outlet: ids[0]},
			{From: last + 1, To: last + 9},
		} {
			per, err := r.Tallies(ctx, store.RollupQuery{From: q.From, To: q.To, Outlet: q.Outlet, PerPerson: true})
			if err != nil {
				t.Fatal(err)
			}
			sums, err := r.Tallies(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			if want := store.OutletTallies(per); !slices.Equal(sums, want) {
				t.Errorf("%s, %+v: %d per-outlet counters, want the %d sums of %d per-person ones", when, q, len(sums), len(want), len(per))
			}
			if q.From == 0 && q.Outlet == "" {
				if len(sums) == 0 {
					t.Fatalf("%s: no counters", when)
				}
				shared = len(per) - len(sums)
			}
		}
		if shared <= 0 {
			t.Errorf("%s: no counter is shared by two persons, so nothing was summed", when)
		}
	}
	check(s, "kept at commit")
	// Another zone rebuilds every counter from the events.
	s = be.ReopenIn(t, s, time.UTC)
	check(s, "rebuilt in UTC")
}
