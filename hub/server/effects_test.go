package server

import (
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// POST /api/v1/notices checks a notice's effects, naming what is wrong,
// tidies the valid ones and answers with them; a notice with an empty
// effects object has none.
func TestNoticeEffectsAreValidated(t *testing.T) {
	s := startHubClock(t, clock.NewManual(time.Now().Truncate(time.Second)), time.Hour)
	addOutlet(t, s, "SH-001")
	api := newAPI(t, s)
	const head = `{"title":"双十一","text":"保管期延长","effects":`
	for _, tc := range []struct {
		name, effects, code string
	}{
		{"negative hold", `{"hold_days":-1}`, "notice.bad_hold_days"},
		{"hold too long", `{"hold_days":31}`, "notice.bad_hold_days"},
		{"blank area", `{"delivery_suspended":["540000"," "]}`, "notice.bad_area"},
		{"area with space", `{"delivery_suspended":["54 0000"]}`, "notice.bad_area"},
		{"hours not HH:MM", `{"counter_hours":{"open":"9am","close":"18:00"}}`, "notice.bad_hours"},
		{"hours missing close", `{"counter_hours":{"open":"09:00"}}`, "notice.bad_hours"},
		{"closes before it opens", `{"counter_hours":{"open":"18:00","close":"09:00"}}`, "notice.bad_hours"},
		{"not an object", `10`, "request.wrong_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m struct {
				Error struct {
					Code string `json:"code"`
				} `json:"error"`
			}
			if got := api.do("POST", "/api/v1/notices", head+tc.effects+`}`, &m); got != 400 || m.Error.Code != tc.code {
				t.Fatalf("status %d code %q, want 400 %q", got, m.Error.Code, tc.code)
			}
		})
	}
	var n struct {
		ID      string                   `json:"id"`
		Effects *lifecycle.NoticeEffects `json:"effects"`
	}
	body := head + `{"hold_days":10,"delivery_suspended":[" 540000","540000","650000"],"counter_hours":{"open":"08:00","close":"22:00"}}}`
	if code := api.do("POST", "/api/v1/notices", body, &n); code != 201 {
		t.Fatalf("publish: %d", code)
	}
	e := n.Effects
	if e == nil || e.HoldDays != 10 || len(e.DeliverySuspended) != 2 || e.DeliverySuspended[0] != "540000" || e.DeliverySuspended[1] != "650000" ||
		e.CounterHours == nil || *e.CounterHours != (lifecycle.CounterHours{Open: "08:00", Close: "22:00"}) {
		t.Fatalf("effects %+v", e)
	}
	var one struct {
		Effects *lifecycle.NoticeEffects `json:"effects"`
	}
	if api.do("GET", "/api/v1/notices/"+n.ID, "", &one); one.Effects == nil || one.Effects.HoldDays != 10 {
		t.Fatalf("GET one: effects %+v", one.Effects)
	}
	var none struct {
		Effects *lifecycle.NoticeEffects `json:"effects"`
	}
	if code := api.do("POST", "/api/v1/notices", head+`{}}`, &none); code != 201 || none.Effects != nil {
		t.Fatalf("empty effects: %d %+v", code, none.Effects)
	}
}
