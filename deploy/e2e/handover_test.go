package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// TestHandoverSurvivesKill: a courier handover against head office's
// manifest is interrupted by SIGKILL of the agent, resumed after restart
// and closed; the missing and the extra parcel each become exactly one
// exception at the hub.
func TestHandoverSurvivesKill(t *testing.T) {
	for _, kind := range brokers {
		t.Run(kind, func(t *testing.T) {
			c := newCluster(t, kind, "SH-001")
			c.startHub()
			a := c.newAgent("SH-001")
			c.addStaff(a, "c01", "张三", "clerk", "1234")
			key := writePIIKey(t)
			c.startAgent(a, "--pii-key-file", key)
			agentURL, hubURL := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"
			login := func() string { return staffLogin(t, agentURL, "c01", "1234") }
			tok := login()
			ws := []string{"SF3000000000001", "SF3000000000002", "SF3000000000003", "SF3000000000004"}
			var m struct {
				ID string `json:"id"`
			}
			if code := call(t, "POST", hubURL+"/manifests", apiToken, map[string]any{"outlet": "SH-001", "courier": "K-07",
				"expected_at": time.Now().Add(time.Hour).Format(time.RFC3339), "waybills": ws}, &m); code != 201 || m.ID == "" {
				t.Fatalf("publish manifest: %d %+v", code, m)
			}
			harness.Eventually(t, 30*time.Second, func() (bool, string) {
				return call(t, "GET", agentURL+"/manifests/"+m.ID, tok, nil, nil) == 200, "manifest not at the outlet yet"
			})
			var open struct{ Handover lifecycle.Handover }
			if code := call(t, "POST", agentURL+"/handovers", tok, map[string]any{"courier": "K-07", "manifests": []string{m.ID}}, &open); code != 201 {
				t.Fatalf("open handover: %d", code)
			}
			id := open.Handover.ID
			scan := func(w string) lifecycle.Handover {
				var h struct{ Handover lifecycle.Handover }
				if code := call(t, "POST", agentURL+"/handovers/"+id+"/scans", tok, map[string]string{"barcode": w}, &h); code != 200 {
					t.Fatalf("scan %s: %d", w, code)
				}
				return h.Handover
			}
			scan(ws[2])
			scan(ws[0])
			scan(ws[2]) // a repeat counts once

			a.proc.Kill() // mid-session
			c.startAgent(a, "--pii-key-file", key)
			tok = login()
			var got struct{ Handover lifecycle.Handover }
			call(t, "GET", agentURL+"/handovers/"+id, tok, nil, &got)
			if got.Handover.State != lifecycle.HandoverStateOpen || got.Handover.Counts.Scanned != 2 || got.Handover.Counts.Duplicates != 1 {
				t.Fatalf("after restart: %+v", got.Handover.Counts)
			}
			scan(ws[1])
			h := scan("SF3999999999999") // on no manifest
			if h.Counts.Missing != 1 || h.Counts.Extra != 1 || h.Counts.Matched != 3 {
				t.Fatalf("counts before close: %+v", h.Counts)
			}
			var closed struct {
				Exceptions []lifecycle.HandoverException
			}
			body := map[string]any{"courier": map[string]string{"signer": "K-07", "confirmation": "快递员确认 / courier confirmed on device"},
				"clerk": map[string]string{"svg": `<svg xmlns="http://www.w3.org/2000/svg"><path d="M1 1 L20 9"/></svg>`}}
			if code := call(t, "POST", agentURL+"/handovers/"+id+"/close", tok, body, &closed); code != 200 || len(closed.Exceptions) != 2 {
				t.Fatalf("close: %d %+v", code, closed)
			}
			c.waitDrained(a, 60*time.Second)
			for _, x := range closed.Exceptions {
				var hx lifecycle.Exception
				if code := call(t, "GET", hubURL+"/exceptions/"+x.ID, apiToken, nil, &hx); code != 200 {
					t.Fatalf("exception %s not at the hub: %d", x.ID, code)
				}
				if hx.Kind != x.Report.Kind || len(hx.Conflicts) != 0 {
					t.Fatalf("hub exception %+v", hx)
				}
			}
			reported := map[string]int{}
			for _, r := range c.hubEventsOfType("SH-001", lifecycle.ExceptionReported) {
				reported[r]++
			}
			want := map[string]int{lifecycle.HandoverExceptionID(id, ws[3]): 1, lifecycle.HandoverExceptionID(id, "SF3999999999999"): 1}
			if fmt.Sprint(reported) != fmt.Sprint(want) {
				t.Fatalf("exception reports at the hub %v, want %v", reported, want)
			}
		})
	}
}
