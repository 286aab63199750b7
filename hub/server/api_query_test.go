package server

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/clock"
)

// A list route refuses a query parameter it does not read, naming it, and
// an outlet the hub does not know is 404, not an empty list: a filter
// silently ignored returns a list its caller believes filtered.
func TestListRoutesRefuseUnknownFiltersAndOutlets(t *testing.T) {
	clk := clock.NewManual(time.Now().Truncate(time.Second))
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-001")
	seedCases(t, s, clk)
	api := newAPI(t, s)
	for _, tc := range []struct {
		path   string
		want   int
		code   string
		filter string
	}{
		{"/api/v1/exceptions?since=2025-07-01", 400, "request.unknown_filter", "since"},
		{"/api/v1/complaints?breached=1", 400, "request.unknown_filter", "breached"},
		{"/api/v1/handovers?open=1&sort=new", 400, "request.unknown_filter", "sort"},
		{"/api/v1/notices?outlet=SH-001", 400, "request.unknown_filter", "outlet"},
		{"/api/v1/manifests?open=1", 400, "request.unknown_filter", "open"},
		{"/api/v1/reply-templates?category=delay", 400, "request.unknown_filter", "category"},
		{"/api/v1/outlets?since=1", 400, "request.unknown_filter", "since"},
		{"/api/v1/exceptions?outlet=SH-404", 404, "outlet.not_found", ""},
		{"/api/v1/complaints?outlet=SH-404&open=1", 404, "outlet.not_found", ""},
		{"/api/v1/manifests?outlet=SH-404", 404, "outlet.not_found", ""},
		{"/api/v1/handovers?outlet=SH-404", 404, "outlet.not_found", ""},
		{"/api/v1/exceptions?outlet=SH-001&open=1&limit=5", 200, "", ""},
		{"/api/v1/notices?open=1&limit=5", 200, "", ""},
		{"/api/v1/outlets", 200, "", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			var m struct {
				Error struct {
					Code   string         `json:"code"`
					Params map[string]any `json:"params"`
				} `json:"error"`
			}
			if got := api.do("GET", tc.path, "", &m); got != tc.want {
				t.Fatalf("status %d, want %d: %+v", got, tc.want, m)
			}
			if m.Error.Code != tc.code {
				t.Errorf("code %q, want %q", m.Error.Code, tc.code)
			}
			if tc.filter != "" {
				if m.Error.Params["filter"] != tc.filter || m.Error.Params["known"] == nil {
					t.Errorf("params %v: want filter %q and the known ones", m.Error.Params, tc.filter)
				}
			}
			if tc.code == "outlet.not_found" && m.Error.Params["outlet"] != "SH-404" {
				t.Errorf("params %v do not name the outlet", m.Error.Params)
			}
		})
	}
}

// A notice answers its times in the form it was sent: RFC 3339.
func TestNoticeTimesAnswerInRFC3339(t *testing.T) {
	clk := clock.NewManual(time.Now().Truncate(time.Second))
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-001")
	api := newAPI(t, s)
	var n struct {
		ID        string  `json:"id"`
		ValidFrom string  `json:"valid_from"`
		ValidTo   *string `json:"valid_to"`
	}
	if code := api.do("POST", "/api/v1/notices", `{"title":"台风","text":"派送延误","valid_from":"2025-07-01T08:00:00+08:00","valid_to":"2099-07-03T08:00:00+08:00"}`, &n); code != 201 {
		t.Fatalf("publish: %d", code)
	}
	from, err := time.Parse(time.RFC3339, n.ValidFrom)
	if err != nil || !from.Equal(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("valid_from %q (%v), want 2025-07-01T00:00:00Z", n.ValidFrom, err)
	}
	if n.ValidTo == nil || *n.ValidTo != "2099-07-03T00:00:00Z" {
		t.Errorf("valid_to %v, want 2099-07-03T00:00:00Z", n.ValidTo)
	}
	var open struct {
		ValidFrom string  `json:"valid_from"`
		ValidTo   *string `json:"valid_to"`
	}
	if code := api.do("POST", "/api/v1/notices", `{"title":"春节","text":"春节安排"}`, &open); code != 201 {
		t.Fatalf("publish: %d", code)
	}
	if from, err := time.Parse(time.RFC3339, open.ValidFrom); err != nil || !from.Equal(clk.Now()) || open.ValidTo != nil {
		t.Errorf("an open-ended notice from now: valid_from %q, valid_to %v", open.ValidFrom, open.ValidTo)
	}
	var one struct {
		ValidFrom string `json:"valid_from"`
	}
	if api.do("GET", "/api/v1/notices/"+n.ID, "", &one); one.ValidFrom != n.ValidFrom {
		t.Errorf("GET one: valid_from %q, want %q", one.ValidFrom, n.ValidFrom)
	}
	// Its end is a time too: absent until it ends, then when head office
	// ended it.
	var live map[string]any
	if api.do("GET", "/api/v1/notices/"+n.ID, "", &live); live["ended_at"] != nil {
		t.Errorf("a notice in force has ended_at %v", live["ended_at"])
	}
	clk.Advance(time.Minute)
	var ended struct {
		Ended        bool   `json:"ended"`
		RecoveryText string `json:"recovery_text"`
		EndedAt      string `json:"ended_at"`
	}
	if code := api.do("POST", "/api/v1/notices/"+n.ID+"/end", `{"text":"恢复正常派送"}`, &ended); code != 200 {
		t.Fatalf("end: %d", code)
	}
	if at, err := time.Parse(time.RFC3339, ended.EndedAt); err != nil || !at.Equal(clk.Now()) || !ended.Ended || ended.RecoveryText != "恢复正常派送" {
		t.Errorf("ended notice: %+v (%v), want ended_at %s with its recovery text", ended, err, clk.Now().UTC().Format(time.RFC3339))
	}
}

// The token error reads "Bearer <token>", not "\u003ctoken\u003e".
func TestJSONAnswersAreNotHTMLEscaped(t *testing.T) {
	s := startHubClock(t, clock.NewManual(time.Now()), time.Hour)
	resp, err := http.Get("http://" + s.HTTPAddr() + "/api/v1/outlets")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 401 || !strings.Contains(string(body), "Bearer <token>") {
		t.Errorf("%d %s: want 401 saying Bearer <token>", resp.StatusCode, body)
	}
}
