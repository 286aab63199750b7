package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// TestOneWrongClockMovesNoOtherClock is the review's experiment: outlet
// SH-001's PC is set to 2500-01-01 and acknowledges a notice sent to every
// outlet; head office ends the notice. Head office's step must not carry
// SH-001's year, outlet BJ-002 must not adopt it (its scans, also after a
// restart, carry today's stamps), SH-001's events must be kept and flagged
// at the hub, and SH-001's own status must name the clock problem.
func TestOneWrongClockMovesNoOtherClock(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001", "BJ-002")
	c.startHub()
	a, b := c.newAgent("SH-001"), c.newAgent("BJ-002")
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.addStaff(b, "c01", "李四", "clerk", "1234")
	key := writePIIKey(t)
	c.startAgent(a, "--pii-key-file", key, "--clock-at", "2500-01-01T00:00:00Z")
	c.startAgent(b, "--pii-key-file", key)
	hubURL, aURL := "http://"+c.hubHTTP+"/api/v1", "http://"+a.http+"/api/v1"
	// Any stamp of today's outlets lies before this; a year-2500 one after.
	sane := time.Now().Add(24 * time.Hour)
	const farAhead = int64(400 * 365 * 24 * 3600 * 1000) // 400 years in ms

	var n struct {
		ID string `json:"id"`
	}
	if code := call(t, "POST", hubURL+"/notices", apiToken, map[string]any{"title": "暴雨预警", "text": "今日派送可能延误。"}, &n); code != 201 || n.ID == "" {
		t.Fatalf("publish notice: HTTP %d %+v", code, n)
	}
	login := staffLogin(t, aURL, "c01", "1234")
	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		s := a.sync(t)
		return s.Down >= 1, fmt.Sprintf("SH-001 down cursor %d", s.Down)
	})
	if code := call(t, "POST", aURL+"/notices/"+n.ID+"/ack", login, nil, nil); code != 200 {
		t.Fatalf("acknowledge at SH-001: %d", code)
	}
	c.waitDrained(a, 30*time.Second)
	if code := call(t, "POST", hubURL+"/notices/"+n.ID+"/end", apiToken, map[string]any{"text": "恢复正常"}, nil); code != 200 {
		t.Fatalf("end notice: HTTP %d", code)
	}

	// Head office's step orders after SH-001's acknowledgement without
	// taking its year.
	var hn lifecycle.Notice
	if code := call(t, "GET", hubURL+"/notices/"+n.ID, apiToken, nil, &hn); code != 200 || !hn.Ended || len(hn.Acks) != 1 || hn.Acks[0].Outlet != "SH-001" {
		t.Fatalf("hub's notice: HTTP %d ended %v acks %+v", code, hn.Ended, hn.Acks)
	}
	if got := c.hubFoldOrder(n.ID); fmt.Sprint(got) != "[hub/notice.published SH-001/notice.acknowledged hub/notice.ended]" {
		t.Errorf("hub folds the notice's events as %v; want the end after SH-001's acknowledgement", got)
	}
	for _, r := range c.hubEvents("hub") {
		if ts := hlc.Timestamp(r.HLC); ts.Time().After(sane) {
			t.Errorf("head office's event %d carries %s: an outlet's clock moved the hub's", r.Seq, ts)
		}
	}

	// BJ-002 applies the end and keeps today's clock, restart included.
	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		s := b.sync(t)
		return s.Down >= 2, fmt.Sprintf("BJ-002 down cursor %d", s.Down)
	})
	scanMany(t, b.http, "CLK1-", 3, 1, nil)
	c.waitDrained(b, 30*time.Second)
	b.proc.Stop()
	c.startAgent(b, "--pii-key-file", key)
	scanMany(t, b.http, "CLK2-", 3, 1, nil)
	c.waitDrained(b, 30*time.Second)
	rows := c.hubEvents("BJ-002")
	if len(rows) != 6 {
		t.Fatalf("hub holds %d events of BJ-002, want 6", len(rows))
	}
	for _, r := range rows {
		if ts := hlc.Timestamp(r.HLC); ts.Time().After(sane) {
			t.Errorf("BJ-002's scan %d carries %s: another outlet's clock moved its clock", r.Seq, ts)
		}
	}

	t.Logf("BJ-002's newest stamp after its restart: %s", hlc.Timestamp(rows[len(rows)-1].HLC))
	// SH-001's events are kept and flagged at the hub.
	// (Its login is an audit event too; every one of them is flagged.)
	kept := c.hubEvents("SH-001")
	if len(kept) == 0 {
		t.Fatal("hub holds no events of SH-001")
	}
	var o struct {
		ClockOffsetMS int64  `json:"clock_offset_ms"`
		Skewed        uint64 `json:"clock_skewed_events"`
	}
	call(t, "GET", hubURL+"/outlets/SH-001", apiToken, nil, &o)
	if o.Skewed != uint64(len(kept)) || o.ClockOffsetMS < farAhead {
		t.Errorf("hub's row of SH-001: %+v; want all its %d events flagged and its clock about 474 years ahead", o, len(kept))
	}
	t.Logf("hub's row of SH-001: clock_offset_ms %d, clock_skewed_events %d", o.ClockOffsetMS, o.Skewed)
	call(t, "GET", hubURL+"/outlets/BJ-002", apiToken, nil, &o)
	if o.Skewed != 0 {
		t.Errorf("hub's row of BJ-002: %+v; want nothing flagged", o)
	}

	// SH-001's own status names the problem; BJ-002's does not.
	type clockView struct {
		Problem *struct {
			Code     string `json:"code"`
			Message  string `json:"message"`
			OffsetMS int64  `json:"offset_ms"`
		} `json:"clock_problem"`
	}
	var av, bv clockView
	var bLogin struct{ Token string }
	if code := call(t, "POST", "http://"+b.http+"/api/v1/session", "", map[string]string{"staff_id": "c01", "pin": "1234"}, &bLogin); code != 200 {
		t.Fatalf("login at BJ-002: %d", code)
	}
	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		av = clockView{}
		call(t, "GET", aURL+"/sync", login, nil, &av)
		return av.Problem != nil && av.Problem.Code == "sync.clock_ahead", fmt.Sprintf("SH-001 clock problem %+v", av.Problem)
	})
	if av.Problem.OffsetMS < farAhead || av.Problem.Message == "" {
		t.Errorf("SH-001 clock problem %+v", av.Problem)
	}
	t.Logf("SH-001's clock problem: %s, offset_ms %d", av.Problem.Code, av.Problem.OffsetMS)
	// The login screen shows it too, from the public health answer.
	var health struct{ Sync clockView }
	getJSON(t, "http://"+a.http+"/healthz", false, &health)
	if health.Sync.Problem == nil || health.Sync.Problem.Code != "sync.clock_ahead" {
		t.Errorf("SH-001's /healthz says no clock problem: %+v", health.Sync.Problem)
	}
	call(t, "GET", "http://"+b.http+"/api/v1/sync", bLogin.Token, nil, &bv)
	if bv.Problem != nil {
		t.Errorf("BJ-002 reports a clock problem: %+v", bv.Problem)
	}
}

// hubFoldOrder lists subject's events as origin/type in the order the hub's
// store hands them to every fold (hub/store/sqlite subjectEvents).
func (c *cluster) hubFoldOrder(subject string) []string {
	c.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.hubDir(), "hub.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), `SELECT origin, type FROM events WHERE subject = ?
		ORDER BY coalesce(order_hlc, hlc), origin, seq`, subject)
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o, typ string
		if err := rows.Scan(&o, &typ); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, o+"/"+typ)
	}
	return out
}
