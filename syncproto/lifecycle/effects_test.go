package lifecycle

import (
	"slices"
	"testing"
	"time"
)

// The effects in force merge the active notices only: the longest hold,
// every suspended area once, the hours of the notice valid last.
func TestEffectsInForce(t *testing.T) {
	notice := func(from, to time.Duration, ended bool, e *NoticeEffects) Notice {
		n := Notice{Published: true, Ended: ended, NoticePublishedV1: NoticePublishedV1{ValidFrom: t0.Add(from).UnixMilli(), Effects: e}}
		if to != 0 { // 0: until ended
			n.ValidTo = t0.Add(to).UnixMilli()
		}
		return n
	}
	ns := []Notice{
		notice(0, 48*time.Hour, false, &NoticeEffects{HoldDays: 10, DeliverySuspended: []string{"650000", "540000"},
			CounterHours: &CounterHours{Open: "08:00", Close: "22:00"}}),
		notice(time.Hour, 0, false, &NoticeEffects{HoldDays: 8, DeliverySuspended: []string{"540000"},
			CounterHours: &CounterHours{Open: "10:00", Close: "16:00"}}),
		notice(0, 0, true, &NoticeEffects{HoldDays: 20}),                        // ended
		notice(72*time.Hour, 96*time.Hour, false, &NoticeEffects{HoldDays: 15}), // not yet
		notice(0, 0, false, nil),                                                // words only
	}
	e := EffectsInForce(ns, t0.Add(2*time.Hour))
	if e == nil || e.HoldDays != 10 || !slices.Equal(e.DeliverySuspended, []string{"540000", "650000"}) || *e.CounterHours != (CounterHours{Open: "10:00", Close: "16:00"}) {
		t.Fatalf("merged effects %+v", e)
	}
	if e := EffectsInForce(ns, t0.Add(30*time.Minute)); e == nil || *e.CounterHours != (CounterHours{Open: "08:00", Close: "22:00"}) {
		t.Fatalf("before the second notice: %+v", e)
	}
	if e := EffectsInForce(ns, t0.Add(50*time.Hour)); e == nil || e.HoldDays != 8 {
		t.Fatalf("after the first expired: %+v", e)
	}
	if e := EffectsInForce(ns[2:], t0.Add(time.Hour)); e != nil {
		t.Fatalf("no active notice with effects, got %+v", e)
	}
}
