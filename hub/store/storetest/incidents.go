package storetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/yizhan/yizhan/hub/measures"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// incidentPhoto is n bytes that start as a JPEG does.
func incidentPhoto(n int, salt byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i) ^ salt
	}
	copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE1})
	return b
}

// testIncidents: an incident report and its photo parts fold into the case
// list and come back byte for byte; what an outlet may never send (a part
// that is not JPEG, a photo over the limit, head office's step) is refused
// under its code, dead-lettered, and kept nowhere else — also after a
// restart.
func testIncidents(t *testing.T, be Backend) {
	ctx := context.Background()
	s := be.Open(t, nil)
	big, small := incidentPhoto(lifecycle.MaxIncidentPhotoBytes, 1), incidentPhoto(5000, 2)
	refBig, partsBig := lifecycle.SplitIncidentPhoto(big)
	refSmall, partsSmall := lifecycle.SplitIncidentPhoto(small)
	b := &syncproto.Batch{Origin: "SH-001", First: 1}
	add := func(typ, subject string, payload any) uint64 {
		raw, _ := json.Marshal(payload)
		seq := b.First + uint64(len(b.Events))
		b.Events = append(b.Events, syncproto.Event{ID: fmt.Sprintf("inc-%d", seq), Origin: "SH-001", Seq: seq,
			HLC: hlc.Make(1_700_000_000_000+int64(seq), 0), Actor: "c01", Type: typ, V: 1, Subject: subject, Payload: raw})
		return seq
	}
	add(lifecycle.IncidentReported, "i1", lifecycle.IncidentReportedV1{OccurredAt: 1_699_999_000_000, Place: "门口", Cause: "weather",
		Parcels: 30, DelayHours: 24, Text: "暴雨积水", Photos: []lifecycle.IncidentPhotoRef{refBig, refSmall}, At: 1_700_000_000_000})
	for _, p := range append(partsBig, partsSmall...) {
		add(lifecycle.IncidentPhoto, "i1", p)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	want := map[uint64]problem.Code{
		add(lifecycle.IncidentPhoto, "i1", lifecycle.IncidentPhotoV1{SHA256: refSmall.SHA256, Part: 0, Parts: 1, Data: b64(png)}):         problem.IncidentPhotoNotJPEG,
		add(lifecycle.IncidentPhoto, "i1", lifecycle.IncidentPhotoV1{SHA256: refBig.SHA256, Part: 20, Parts: 50, Data: partsBig[1].Data}): problem.IncidentPhotoTooLarge,
		add(lifecycle.IncidentStep, "i1", lifecycle.IncidentStepV1{Step: "acknowledge"}):                                                  problem.StepHubOnly,
		add(lifecycle.IncidentReported, "i2", lifecycle.IncidentReportedV1{OccurredAt: 1, Cause: "power", Text: "x",
			Photos: []lifecycle.IncidentPhotoRef{{SHA256: refBig.SHA256, Size: 2 << 20, Parts: lifecycle.PhotoParts(2 << 20)}}}): problem.IncidentPhotoTooLarge,
	}
	b.Last = b.First + uint64(len(b.Events)) - 1
	res := commit(t, s, b)
	if res[0].AckedSeq != b.Last || len(res[0].Rejected) != len(want) {
		t.Fatalf("acked %d, rejected %+v; want %d and %d refused", res[0].AckedSeq, res[0].Rejected, b.Last, len(want))
	}
	for _, r := range res[0].Rejected {
		if code, ok := want[r.Seq]; !ok || r.Code != code.String() {
			t.Errorf("seq %d refused as %q (%s), want %v", r.Seq, r.Code, r.Reason, code)
		}
	}
	for round := range 2 {
		if round == 1 {
			s = be.Reopen(t, s)
		}
		rows, err := s.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindIncident})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].ID != "i1" || rows[0].Label != "weather" || rows[0].Outlet != "SH-001" || !rows[0].Open ||
			rows[0].State != lifecycle.IncidentStateReported || rows[0].Since != 1_700_000_000_000 {
			t.Fatalf("round %d: case rows %+v", round, rows)
		}
		evs, err := s.SubjectEvents(ctx, "i1")
		if err != nil {
			t.Fatal(err)
		}
		if n := 1 + len(partsBig) + len(partsSmall); len(evs) != n {
			t.Fatalf("round %d: %d events of i1 stored, want %d (nothing refused)", round, len(evs), n)
		}
		if others, _ := s.SubjectEvents(ctx, "i2"); len(others) != 0 {
			t.Fatalf("round %d: the refused report is stored", round)
		}
		x := lifecycle.FoldIncident("i1", evs)
		for _, ph := range []struct {
			ref   lifecycle.IncidentPhotoRef
			bytes []byte
		}{{refBig, big}, {refSmall, small}} {
			got, err := lifecycle.JoinIncidentPhoto(&x, ph.ref.SHA256, evs)
			if err != nil || !bytes.Equal(got, ph.bytes) {
				t.Fatalf("round %d: photo %s: %d bytes, %v", round, ph.ref.SHA256[:8], len(got), err)
			}
		}
		if n := deadLetters(t, s, "SH-001"); n != len(want) {
			t.Fatalf("round %d: %d dead letters, want %d", round, n, len(want))
		}
		// The measures count the report taken, not the one refused.
		ts, err := s.(measures.Rollups).Tallies(ctx, store.RollupQuery{From: 0, To: 1 << 30})
		if err != nil {
			t.Fatal(err)
		}
		var reported int64
		for _, x := range ts {
			if x.Name == store.TallyIncidents && x.Outlet == "SH-001" {
				reported += x.N
			}
		}
		if reported != 1 {
			t.Fatalf("round %d: %d incident reports counted, want 1 (%+v)", round, reported, ts)
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
