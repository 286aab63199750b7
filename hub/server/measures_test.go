package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/clock"
)

// The measures route answers what the outlet and head office did, with
// head office's reply as the first reply, as JSON and as CSV, and refuses
// a bad range, grouping or period with their codes.
func TestMeasuresRoute(t *testing.T) {
	start := time.Date(2026, 7, 1, 1, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-001")
	seedCases(t, s, clk)
	api := newAPI(t, s)
	clk.Set(start.Add(90 * time.Minute))
	if code := api.do("POST", "/api/v1/complaints/C1/steps", `{"step":"acknowledge"}`, nil); code != 200 {
		t.Fatalf("acknowledge: %d", code)
	}
	var m struct {
		By       string   `json:"by"`
		Measures []string `json:"measures"`
		Rows     []struct {
			Key, Period string
			Values      map[string]any
		} `json:"rows"`
		Total struct {
			Values map[string]any `json:"values"`
		} `json:"total"`
	}
	if code := api.do("GET", "/api/v1/measures?from=2026-07-01&to=2026-07-01&by=person&period=day", "", &m); code != 200 {
		t.Fatalf("measures: %d", code)
	}
	if m.By != "person" || len(m.Measures) == 0 || m.Measures[0] != "complaints.count" || len(m.Rows) != 2 {
		t.Fatalf("answer %+v: want a row for the clerk who reported the exception and one for the administrator who replied", m)
	}
	for _, r := range m.Rows {
		switch r.Key {
		case "hub/admin":
			if r.Period != "2026-07-01" || r.Values["complaints.count"] != 1.0 || r.Values["complaints.first_reply_p50_ms"] != float64(90*60_000) {
				t.Errorf("the administrator's row %+v: want one complaint first replied 90 minutes after it came", r)
			}
		case "SH-001/clerk":
			if r.Values["exceptions.count"] != 1.0 || r.Values["parcels.inbound"] != 1.0 || r.Values["exceptions.handling_p50_ms"] != nil {
				t.Errorf("the clerk's row %+v: want the exception, not handled, and the parcel", r)
			}
		default:
			t.Errorf("row of %q", r.Key)
		}
	}

	req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/api/v1/measures?from=2026-07-01&to=2026-07-01&format=csv&lang=en", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="measures-`) ||
		!strings.HasPrefix(string(raw), "\ufeffgroup,period,Complaints,") || len(lines) != 3 ||
		!strings.HasPrefix(lines[1], "all,2026-07-01,1,5400000,5400000,1,") {
		t.Errorf("CSV %d %v:\n%s", resp.StatusCode, resp.Header, raw)
	}

	for _, tc := range []struct{ query, code string }{
		{"from=2026-07-01", "measures.bad_date"},
		{"from=2026-7-1&to=2026-07-02", "measures.bad_date"},
		{"from=2026-07-02&to=2026-07-01", "measures.bad_range"},
		{"from=2010-07-01&to=2026-07-01", "measures.bad_range"},
		{"from=2026-07-01&to=2026-07-01&by=city", "measures.bad_by"},
		{"from=2026-07-01&to=2026-07-01&period=year", "measures.bad_period"},
		{"from=2026-07-01&to=2026-07-01&since=1", "request.unknown_filter"},
		{"from=2026-07-01&to=2026-07-01&format=xls", "request.bad_format"},
		{"from=2026-07-01&to=2026-07-01&format=csv&lang=fr", "request.bad_lang"},
		{"from=2026-07-01&to=2026-07-01&limit=5", "request.unknown_filter"},
		{"from=2026-07-01&to=2026-07-01&outlet=SH-404", "outlet.not_found"},
	} {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		if code := api.do("GET", "/api/v1/measures?"+tc.query, "", &e); code < 400 || e.Error.Code != tc.code {
			t.Errorf("%s: %d %q, want %s", tc.query, code, e.Error.Code, tc.code)
		}
	}
}
