package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/peak"
	"github.com/yizhan/yizhan/hub/peak/peakgen"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// The forecast and calendar routes on a generated two-year history: an
// outlet's and all outlets' 14 days with the backtest, the filters and
// roles they refuse, a calendar edit (audited) that moves the forecast
// and reaches the outlet's downlink.
func TestForecastRoutes(t *testing.T) {
	start := time.Date(2026, 11, 5, 1, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	s := startHubClock(t, clk, time.Hour)
	for _, id := range []string{"SH-001", "SH-002"} {
		addOutlet(t, s, id)
	}
	today := store.DayOf(start.UnixMilli(), time.UTC)
	b, ok := s.Store.(peakgen.Beginner)
	if !ok {
		t.Fatalf("the store %T writes no transactions", s.Store)
	}
	if err := peakgen.Write(context.Background(), b, peakgen.Tallies([]string{"SH-001", "SH-002"}, today-730, today-1, 3)); err != nil {
		t.Fatal(err)
	}
	// The forecasts the hub made at start, before the history was there,
	// are made again within the hour.
	clk.Advance(time.Hour)
	analyst := loginAs(t, s, "fenxi", "analyst")
	service := loginAs(t, s, "kefu", "service")

	var one peak.Plan
	if code := service.do("GET", "/api/v1/forecast?outlet=SH-001", "", &one); code != 200 {
		t.Fatalf("an outlet's forecast: %d", code)
	}
	if one.Scope != "SH-001" || len(one.Days) != 14 || len(one.History) != 730 || one.Backtest == nil || !(one.Backtest.WAPE < one.Backtest.NaiveWAPE) {
		t.Fatalf("SH-001: scope %q, %d days, %d of history, backtest %+v", one.Scope, len(one.Days), len(one.History), one.Backtest)
	}
	var all peak.Plan
	if code := analyst.do("GET", "/api/v1/forecast", "", &all); code != 200 || all.Scope != "*" || all.Outlets != 2 {
		t.Fatalf("all outlets: %d %q %d", code, all.Scope, all.Outlets)
	}
	for path, want := range map[string]string{
		"/api/v1/forecast?outlet=NOPE":              "outlet.not_found",
		"/api/v1/forecast?region=Nowhere":           "region.not_found",
		"/api/v1/forecast?outlet=SH-001&region=R":   "request.unknown_filter",
		"/api/v1/forecast?days=99":                  "request.unknown_filter",
		"/api/v1/calendar?from=11/11":               "measures.bad_date",
		"/api/v1/calendar?from=2026-01-01&limit=0":  "request.bad_limit",
		"/api/v1/calendar?cursor=forged.AAAAAAAAAA": "request.bad_cursor",
	} {
		var e struct{ Error struct{ Code string } }
		if code := analyst.do("GET", path, "", &e); code/100 != 4 || e.Error.Code != want {
			t.Errorf("GET %s: %d %q, want %s", path, code, e.Error.Code, want)
		}
	}

	// The calendar lists by page, as CSV too.
	var page struct {
		Calendar []peak.EventJSON `json:"calendar"`
		Next     *string          `json:"next"`
	}
	if code := service.do("GET", "/api/v1/calendar?from=2026-01-01&to=2026-12-31&limit=2", "", &page); code != 200 || len(page.Calendar) != 2 || page.Next == nil {
		t.Fatalf("calendar page: %d %+v", code, page)
	}
	if page.Calendar[0].ID != "spring-2026" || page.Calendar[1].ID != "618-2026" {
		t.Errorf("2026's first events: %+v", page.Calendar)
	}
	var rest struct {
		Calendar []peak.EventJSON `json:"calendar"`
		Next     *string          `json:"next"`
	}
	if code := service.do("GET", "/api/v1/calendar?from=2026-01-01&to=2026-12-31&limit=2&cursor="+*page.Next, "", &rest); code != 200 || len(rest.Calendar) != 1 || rest.Calendar[0].ID != "double11-2026" || rest.Next != nil {
		t.Errorf("the next page: %d %+v", code, rest)
	}

	// The calendar as CSV: every row, in the asked language.
	recs := service.csv("/api/v1/calendar?from=2026-01-01&to=2026-12-31&format=csv&lang=en")
	if len(recs) != 4 || strings.Join(recs[0][:7], ",") != "ID,Chinese name,English name,Kind,First day,Last day,Expected uplift" ||
		strings.Join(recs[3][:7], ",") != "double11-2026,双11,Double 11,promotion,2026-11-11,2026-11-20,0" {
		t.Errorf("calendar CSV: %q", recs)
	}
	// Auditors see neither the forecast nor the calendar.
	auditor := loginAs(t, s, "shenji", "auditor")
	for _, path := range []string{"/api/v1/forecast", "/api/v1/calendar"} {
		if code := auditor.do("GET", path, "", nil); code != 403 {
			t.Errorf("an auditor GET %s: %d, want 403", path, code)
		}
	}

	// Customer service reads but does not edit; an analyst does.
	body := `{"name_zh":"店庆","name_en":"Store anniversary","kind":"promotion","first":"2026-11-07","last":"2026-11-07","uplift":3}`
	if code := service.do("POST", "/api/v1/calendar", body, nil); code != 403 {
		t.Errorf("customer service adding an event: %d, want 403", code)
	}
	for bad, want := range map[string]string{
		`{"name_zh":"x","name_en":"x","kind":"promotion","first":"2026-11-08","last":"2026-11-07"}`:            "calendar.bad_dates",
		`{"name_zh":"x","name_en":"x","kind":"sale","first":"2026-11-07","last":"2026-11-07"}`:                 "calendar.bad_kind",
		`{"name_zh":"","name_en":"x","kind":"holiday","first":"2026-11-07","last":"2026-11-07"}`:               "calendar.bad_name",
		`{"name_zh":"x","name_en":"x","kind":"holiday","first":"2026-11-07","last":"2026-11-07","uplift":-2}`:  "calendar.bad_uplift",
		`{"name_zh":"x","name_en":"x","kind":"holiday","first":"2026-01-01","last":"2026-12-31"}`:              "calendar.bad_dates",
		`{"name_zh":"x","name_en":"x","kind":"holiday","first":"2026-11-07","last":"2026-11-07","extra":true}`: "request.unknown_field",
	} {
		var e struct{ Error struct{ Code string } }
		if code := analyst.do("POST", "/api/v1/calendar", bad, &e); code != 400 || e.Error.Code != want {
			t.Errorf("POST %s: %d %q, want 400 %s", bad, code, e.Error.Code, want)
		}
	}
	var added peak.EventJSON
	if code := analyst.do("POST", "/api/v1/calendar", body, &added); code != 201 || added.ID == "" || added.UpdatedBy == "" {
		t.Fatalf("adding an event: %d %+v", code, added)
	}
	if code := analyst.do("GET", "/api/v1/forecast?outlet=SH-001", "", &one); code != 200 || one.Days[2].EventEN != "Store anniversary" || one.Days[2].Uplift != 3 {
		t.Errorf("the forecast after the edit: %d %+v", code, one.Days[2])
	}
	// The edit reaches the outlet's downlink.
	eventually(t, "the new forecast sent to SH-001", func() bool {
		evs, _, _, err := s.Store.Down(context.Background(), "SH-001", 0, 10000, 1<<24)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			var p lifecycle.ForecastV1
			if e.Type == lifecycle.ForecastPublished && json.Unmarshal(e.Payload, &p) == nil && len(p.Days) == 14 && p.Days[2].EventEN == "Store anniversary" {
				return true
			}
		}
		return false
	})
	edited := strings.Replace(body, `"uplift":3`, `"uplift":0`, 1)
	if code := analyst.do("PUT", "/api/v1/calendar/"+added.ID, edited, &added); code != 200 || added.Uplift != 0 {
		t.Errorf("editing it: %d %+v", code, added)
	}
	if code := analyst.do("PUT", "/api/v1/calendar/nope", edited, nil); code != 404 {
		t.Errorf("editing an unknown event: %d, want 404", code)
	}
	if code := analyst.do("DELETE", "/api/v1/calendar/"+added.ID, "", nil); code != 204 {
		t.Errorf("deleting it: %d", code)
	}
	// Each edit is in the audit trail under the analyst's name.
	var audit struct {
		Audit []struct{ Actor, Action, Subject string } `json:"audit"`
	}
	if code := newAPI(t, s).do("GET", "/api/v1/audit?actor=fenxi", "", &audit); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	steps := 0
	for _, a := range audit.Audit {
		if strings.Contains(a.Action, "calendar") {
			steps++
		}
	}
	if steps != 3 {
		t.Errorf("%d calendar steps audited (%+v), want the add, the edit and the delete", steps, audit.Audit)
	}
}
