package server

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/storetest"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// The daily purge runs at its time on the lease holder: the measures
// answer the same, a purged complaint shows its masked customer and no
// sealed value, the run is in the audit list, and /metrics says when it
// ran and what it removed.
func TestDailyPurgeKeepsMeasures(t *testing.T) {
	now := time.Date(2026, 11, 1, 1, 0, 0, 0, time.Local)
	clk := clock.NewManual(now)
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-R")
	if _, err := s.Store.Commit(context.Background(), []store.Unit{{Batch: storetest.PurgeScenario(now)}}); err != nil {
		t.Fatal(err)
	}
	api := newAPI(t, s)
	get := func(path string) string {
		t.Helper()
		var raw json.RawMessage
		if code := api.do("GET", path, "", &raw); code != 200 {
			t.Fatalf("GET %s: %d %s", path, code, raw)
		}
		return string(raw)
	}
	const measures = "/api/v1/measures?from=2026-01-01&to=2026-11-30&by=outlet&period=month"
	beforeM, beforeC := get(measures), get("/api/v1/complaints/CR1")
	if !strings.Contains(beforeC, storetest.PurgeSecrets[3]) {
		t.Fatalf("complaint before the purge: %s", beforeC)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !s.Cases.Leased() {
		if time.Now().After(deadline) {
			t.Fatal("this hub never took the timer lease")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ran, _ := s.Retention.Tick(context.Background()); ran {
		t.Fatal("the purge ran before its time of day")
	}
	clk.Set(time.Date(2026, 11, 1, 4, 0, 0, 0, time.Local))
	rep, ran, err := s.Retention.Tick(context.Background())
	if err != nil || !ran || rep.Values != 6 {
		t.Fatalf("daily purge: ran %v, %+v, %v", ran, rep, err)
	}
	if got := get(measures); got != beforeM {
		t.Fatalf("the measures changed:\n%s\n%s", beforeM, got)
	}
	afterC := get("/api/v1/complaints/CR1")
	for _, v := range storetest.PurgeSecrets {
		if strings.Contains(afterC, v) {
			t.Fatalf("purged complaint shows %q: %s", v, afterC)
		}
	}
	if !strings.Contains(afterC, "138****0001") {
		t.Fatalf("purged complaint lost its masked customer: %s", afterC)
	}
	var audit struct {
		Audit []struct{ Action, Origin, Subject, Detail string }
	}
	if code := api.do("GET", "/api/v1/audit?action="+lifecycle.RetentionRan, "", &audit); code != 200 || len(audit.Audit) != 1 ||
		audit.Audit[0].Origin != "hub" || !strings.Contains(audit.Audit[0].Detail, `"values":6`) {
		t.Fatalf("audit list: %d %+v", code, audit)
	}
	at := time.Date(2026, 11, 1, 4, 0, 0, 0, time.Local).Unix()
	for name, want := range map[string]float64{"yizhan_hub_retention_values_purged": 6, "yizhan_hub_retention_events_scrubbed": 3,
		"yizhan_hub_retention_last_run_timestamp_seconds": float64(at)} {
		if got, err := strconv.ParseFloat(metric(t, s, name), 64); err != nil || got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}
