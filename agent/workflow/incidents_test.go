package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// testJPEG is n bytes that start as a JPEG does, the rest varied so two
// sizes are two pictures.
func testJPEG(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + n)
	}
	copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	return b
}

// hubStep is head office's step on an incident as the downlink brings it,
// stamped after everything the outlet has recorded.
func (f *fixture) hubStep(t *testing.T, seq uint64, id, step string) {
	t.Helper()
	raw, _ := json.Marshal(lifecycle.IncidentStepV1{Step: step, Note: "总部 " + step, At: f.clk.Now().UnixMilli()})
	stamp := hlc.Make(f.events.Clock().Now().WallMillis()+int64(seq)*1000, 0)
	f.down(t, syncproto.Event{ID: fmt.Sprintf("hub-inc-%d", seq), Origin: syncproto.HubOrigin, Seq: seq, HLC: stamp, Actor: "yj01",
		Type: lifecycle.IncidentStep, V: 1, Subject: id, Target: "SH-001", Payload: raw})
}

func TestIncidentAtTheCounter(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	before := f.events.Counters().LastSeq
	big, small := testJPEG(lifecycle.MaxIncidentPhotoBytes), testJPEG(1000)
	x, err := f.svc.ReportIncident(ctx, f.clerk, IncidentReq{IncidentReportedV1: lifecycle.IncidentReportedV1{OccurredAt: f.clk.Now().Add(-time.Hour).UnixMilli(),
		Cause: "weather", Parcels: 30, DelayHours: 24, Text: "暴雨，门口积水"}, Photos: [][]byte{big, small, big}})
	if err != nil {
		t.Fatal(err)
	}
	// One report, eight parts of the big photo, one of the small; the
	// duplicate goes once.
	if got := f.events.Counters().LastSeq - before; got != 1+8+1 {
		t.Fatalf("%d events recorded, want 10", got)
	}
	if x.State != lifecycle.IncidentStateReported || x.Outlet != "SH-001" || len(x.Photos) != 2 || !x.Photos[0].Complete ||
		x.Reporter != "c01" || fmt.Sprint(x.Allowed) != "[note]" {
		t.Fatalf("reported: %+v", x)
	}
	if b, err := f.svc.Photo(x.Photos[0].SHA256); err != nil || !bytes.Equal(b, big) {
		t.Fatalf("the counter's own copy: %v", err)
	}
	// The outlet may not take head office's steps, nor close early.
	for _, step := range []string{"acknowledge", "resolve", "close"} {
		if _, err := f.svc.IncidentStep(ctx, f.clerk, x.ID, lifecycle.IncidentStepV1{Step: step}); err == nil {
			t.Fatalf("outlet's %s was taken", step)
		}
	}
	if _, err := f.svc.IncidentStep(ctx, f.clerk, x.ID, lifecycle.IncidentStepV1{Step: "acknowledge"}); !problem.Is(err, problem.StepHubOnly) {
		t.Fatalf("outlet's acknowledge: %v", err)
	}
	f.hubStep(t, 1, x.ID, "acknowledge")
	if x, _ = f.svc.Incident(x.ID); x.State != lifecycle.IncidentStateAcknowledged {
		t.Fatalf("after head office's acknowledge: %s", x.State)
	}
	if _, err := f.svc.IncidentStep(ctx, f.clerk, x.ID, lifecycle.IncidentStepV1{Step: "note", Note: "水已退去一半"}); err != nil {
		t.Fatal(err)
	}
	f.hubStep(t, 2, x.ID, "resolve")
	x, err = f.svc.IncidentStep(ctx, f.clerk, x.ID, lifecycle.IncidentStepV1{Step: "close"})
	if err != nil || x.State != lifecycle.IncidentStateClosed || len(x.History) != 5 {
		t.Fatalf("closed: %+v, %v", x, err)
	}
	if open, _ := f.svc.Incidents(true, 10); len(open) != 0 {
		t.Fatalf("open incidents after close: %d", len(open))
	}
	if all, _ := f.svc.Incidents(false, 10); len(all) != 1 || all[0].ID != x.ID {
		t.Fatalf("incidents: %+v", all)
	}
}

// Photos the screen should have compressed, or that are not JPEG, and
// bad fields are refused before anything is recorded.
func TestIncidentRefused(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	ok := IncidentReq{IncidentReportedV1: lifecycle.IncidentReportedV1{OccurredAt: f.clk.Now().UnixMilli(), Cause: "power", Text: "停电"}}
	with := func(g func(*IncidentReq)) IncidentReq { r := ok; g(&r); return r }
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	for name, tc := range map[string]struct {
		req  IncidentReq
		code problem.Code
	}{
		"oversize photo": {with(func(r *IncidentReq) { r.Photos = [][]byte{testJPEG(lifecycle.MaxIncidentPhotoBytes + 1)} }), problem.IncidentPhotoTooLarge},
		"png":            {with(func(r *IncidentReq) { r.Photos = [][]byte{png} }), problem.IncidentPhotoNotJPEG},
		"html":           {with(func(r *IncidentReq) { r.Photos = [][]byte{[]byte("<html><script>alert(1)</script>")} }), problem.IncidentPhotoNotJPEG},
		"five photos": {with(func(r *IncidentReq) {
			r.Photos = [][]byte{testJPEG(1), testJPEG(2), testJPEG(3), testJPEG(4), testJPEG(5)}
		}), problem.IncidentPhotoTooMany},
		"no cause":       {with(func(r *IncidentReq) { r.Cause = "" }), problem.IncidentBadField},
		"other, unsaid":  {with(func(r *IncidentReq) { r.Cause = "other" }), problem.IncidentFieldRequired},
		"no time":        {with(func(r *IncidentReq) { r.OccurredAt = 0 }), problem.IncidentFieldRequired},
		"delay too long": {with(func(r *IncidentReq) { r.DelayHours = 10_000 }), problem.IncidentBadNumber},
	} {
		t.Run(name, func(t *testing.T) {
			before := f.events.Counters().LastSeq
			if _, err := f.svc.ReportIncident(ctx, f.clerk, tc.req); !problem.Is(err, tc.code) {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
			if f.events.Counters().LastSeq != before {
				t.Fatal("a refused report recorded events")
			}
		})
	}
}
