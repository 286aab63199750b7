package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/agent/retention"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// A running agent's retention run shows on /metrics: when it ran and what
// it removed; the parcel route answers the same after the log is pruned.
func TestRetentionOnMetrics(t *testing.T) {
	keys, _ := pii.NewKeys(bytes.Repeat([]byte{9}, 32), "SH-001")
	a, err := Start(context.Background(), Config{DataDir: t.TempDir(), Outlet: "SH-001", Secret: "x",
		Broker: "tcp://127.0.0.1:1", HTTPAddr: "127.0.0.1:0", Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	people, _ := staff.Open(a.File, staff.WithIterations(staff.MinIterations))
	if err := people.Add("c01", "张三", "clerk", "1234"); err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, base: "http://" + a.Addr.String()}
	c.login()
	metrics := func() string {
		resp, err := http.Get(c.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return string(raw)
	}
	if m := metrics(); !strings.Contains(m, "yizhan_agent_retention_last_run_timestamp_seconds 0") {
		t.Fatal("a retention run before any ran")
	}
	for _, code := range []string{"RB123456785GB", "SF1234567890123"} {
		if got := c.do("POST", "/api/v1/scans", map[string]string{"barcode": code, "action": "inbound"}, nil); got != http.StatusCreated {
			t.Fatalf("scan %s: %d", code, got)
		}
	}
	var before, after map[string]any
	c.do("GET", "/api/v1/parcels/RB123456785GB", nil, &before)
	if err := a.Events.Acknowledge(a.Events.Counters().LastSeq, nil); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(100 * 24 * time.Hour).Truncate(time.Second)
	if _, err := retention.Run(context.Background(), a.File, a.Events, clock.NewManual(at), retention.Config{}, false); err != nil {
		t.Fatal(err)
	}
	c.do("GET", "/api/v1/parcels/RB123456785GB", nil, &after)
	// The parcel is as it was; its events, folded into it, are at head
	// office.
	if mustJSON(before["parcel"]) != mustJSON(after["parcel"]) || mustJSON(after["events"]) != "[]" || mustJSON(before["events"]) == "[]" {
		t.Fatalf("parcel route changed:\n%s\n%s", mustJSON(before), mustJSON(after))
	}
	m := metrics()
	for _, want := range []string{"yizhan_agent_retention_events_pruned 3", "yizhan_agent_pruned_seq 3", "yizhan_agent_retention_personal_values_purged 0",
		"yizhan_agent_retention_history_compacted 2", "yizhan_agent_retention_downlink_pruned 0", "yizhan_agent_retention_dead_letters_pruned 0"} {
		if !strings.Contains(m, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(m, "yizhan_agent_retention_last_run_timestamp_seconds 0\n") {
		t.Error("/metrics does not say when retention ran")
	}
}

func mustJSON(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}
