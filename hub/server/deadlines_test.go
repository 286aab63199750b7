package server

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// exceptionRow is the part of GET /api/v1/exceptions these tests read.
type exceptionRow struct {
	ID              string    `json:"id"`
	Kind            string    `json:"kind"`
	State           string    `json:"state"`
	HandleBy        time.Time `json:"handle_by"`
	HandleRemaining *int64    `json:"handle_remaining_s"`
	Breached        []string  `json:"breached"`
}

func (c *apiClient) exceptionList(path string) map[string]exceptionRow {
	c.t.Helper()
	var list struct{ Exceptions []exceptionRow }
	if code := c.do("GET", path, "", &list); code != 200 {
		c.t.Fatalf("GET %s: %d", path, code)
	}
	out := map[string]exceptionRow{}
	for _, x := range list.Exceptions {
		out[x.ID] = x
	}
	return out
}

func fmtLeft(p *int64) string {
	if p == nil {
		return "absent"
	}
	return fmt.Sprint(*p)
}

func ids(m map[string]exceptionRow) string {
	var out []string
	for id := range m {
		out = append(out, id)
	}
	slices.Sort(out)
	return fmt.Sprint(out)
}

// On a stepping head-office clock, the exception list counts each kind's
// handling deadline down, shows the breach, and ?overdue=1 lists exactly the
// open exceptions past theirs; a handled one is never overdue and its
// countdown stops.
func TestExceptionDeadlinesAndOverdueFilter(t *testing.T) {
	base := time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewManual(base)
	deadlines, err := lifecycle.ParseExceptionDeadlines("refused=12h")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard(),
		Clock: clk, SweepEvery: time.Hour, ExceptionDeadlines: deadlines,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	addOutlet(t, s, "SH-001")
	addOutlet(t, s, "SH-002")
	o := newOutlet("SH-001", clk)
	now := ms(clk.Now())
	o.event(lifecycle.ExceptionReported, "X1", lifecycle.ExceptionReportedV1{Waybill: "SF1", Kind: "delayed", Owner: "li", At: now})
	o.event(lifecycle.ExceptionReported, "X2", lifecycle.ExceptionReportedV1{Waybill: "SF2", Kind: "refused", Owner: "li", At: now})
	o.event(lifecycle.ExceptionReported, "X3", lifecycle.ExceptionReportedV1{Waybill: "SF3", Kind: "wrong_phone", Owner: "li", At: now})
	for _, step := range []string{"start_handling", "inform_customer", "close"} {
		o.event(lifecycle.ExceptionStep, "X3", lifecycle.ExceptionStepV1{Step: step, At: now + 3600_000})
	}
	o.send(t, s, 1)
	api := newAPI(t, s)

	for _, tc := range []struct {
		name    string
		advance time.Duration
		left    map[string]int64 // handle_remaining_s per exception
		overdue string           // ids listed with ?overdue=1
	}{
		{"just reported", 0, map[string]int64{"X1": 48 * 3600, "X2": 12 * 3600, "X3": 23 * 3600}, "[]"},
		{"a second before the refused one's 12 h", 12*time.Hour - time.Second, map[string]int64{"X1": 36*3600 + 1, "X2": 1, "X3": 23 * 3600}, "[]"},
		{"refused breached", 2 * time.Second, map[string]int64{"X1": 36*3600 - 1, "X2": -1, "X3": 23 * 3600}, "[X2]"},
		{"delayed breached too", 36 * time.Hour, map[string]int64{"X1": -1, "X2": -36*3600 - 1, "X3": 23 * 3600}, "[X1 X2]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk.Advance(tc.advance)
			all := api.exceptionList("/api/v1/exceptions")
			for id, want := range tc.left {
				x := all[id]
				if x.HandleRemaining == nil || *x.HandleRemaining != want {
					t.Errorf("%s handle_remaining_s %s, want %d", id, fmtLeft(x.HandleRemaining), want)
				}
				if breached := want < 0; breached != slices.Equal(x.Breached, []string{"handle_deadline"}) {
					t.Errorf("%s breached %v with %d s left", id, x.Breached, want)
				}
				if want := base.Add(deadlines.For(x.Kind)); !x.HandleBy.Equal(want) {
					t.Errorf("%s handle_by %v, want %v", id, x.HandleBy, want)
				}
			}
			if got := ids(api.exceptionList("/api/v1/exceptions?overdue=1")); got != tc.overdue {
				t.Errorf("?overdue=1 lists %s, want %s", got, tc.overdue)
			}
			if got := ids(api.exceptionList("/api/v1/exceptions?overdue=1&outlet=SH-001&open=1")); got != tc.overdue {
				t.Errorf("?overdue=1 of SH-001 lists %s, want %s", got, tc.overdue)
			}
			if got := ids(api.exceptionList("/api/v1/exceptions?overdue=1&outlet=SH-002")); got != "[]" {
				t.Errorf("?overdue=1 of SH-002 lists %s", got)
			}
			if got := ids(api.exceptionList("/api/v1/exceptions?overdue=0")); got != "[X1 X2 X3]" {
				t.Errorf("?overdue=0 lists %s, want every exception", got)
			}
		})
	}
	// The page is cut after filtering: one overdue exception, not none.
	if got := api.exceptionList("/api/v1/exceptions?overdue=1&limit=1"); len(got) != 1 || got["X3"].ID != "" {
		t.Errorf("?overdue=1&limit=1 lists %s", ids(got))
	}
	// The one exception answers its deadline as the list does.
	var one exceptionRow
	if api.do("GET", "/api/v1/exceptions/X2", "", &one); one.HandleRemaining == nil || *one.HandleRemaining != -36*3600-1 ||
		!slices.Equal(one.Breached, []string{"handle_deadline"}) {
		t.Errorf("GET X2: %+v", one)
	}

	type errJSON struct {
		Error struct {
			Code   string         `json:"code"`
			Params map[string]any `json:"params"`
		} `json:"error"`
	}
	for _, tc := range []struct{ path, code string }{
		{"/api/v1/exceptions?overdue=maybe", "request.bad_overdue"},
		{"/api/v1/exceptions?overdu=1", "request.unknown_filter"},
		{"/api/v1/complaints?overdue=yes", "request.bad_overdue"}, // complaints take it too, by their SLA
	} {
		var e errJSON
		if code := api.do("GET", tc.path, "", &e); code != 400 || e.Error.Code != tc.code {
			t.Errorf("GET %s: %d %+v, want 400 %s", tc.path, code, e, tc.code)
		}
	}
	var e errJSON
	api.do("GET", "/api/v1/exceptions?overdu=1", "", &e)
	if known := fmt.Sprint(e.Error.Params["known"]); known != "[outlet open overdue owner state label region sort limit cursor format lang]" {
		t.Errorf("known filters %s, want overdue among them", known)
	}
}
