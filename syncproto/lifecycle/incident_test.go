package lifecycle

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// jpegOf is n bytes that begin as a JPEG does.
func jpegOf(n int) []byte {
	b := bytes.Repeat([]byte{0x5A}, n)
	copy(b, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	return b
}

func photoParts(b []byte) (IncidentPhotoRef, []IncidentPhotoV1) { return SplitIncidentPhoto(b) }

func TestIncidentLifecycle(t *testing.T) {
	var m evMaker
	photo := jpegOf(100 << 10)
	ref, parts := photoParts(photo)
	rep := IncidentReportedV1{OccurredAt: t0.UnixMilli(), Cause: "weather", Parcels: 40, DelayHours: 12, Text: "暴雨积水", Photos: []IncidentPhotoRef{ref}, At: t0.UnixMilli()}
	var evs []syncproto.Event
	for _, p := range parts[:2] {
		evs = append(evs, m.ev("SH-001", 0, IncidentPhoto, "i1", p))
	}
	evs = append(evs, m.ev("SH-001", time.Second, IncidentReported, "i1", rep))
	x := FoldIncident("i1", slices.Clone(evs))
	if x.State != IncidentStateReported || x.Outlet != "SH-001" || len(x.Photos) != 1 || x.Photos[0].Received != 2 || x.Photos[0].Complete {
		t.Fatalf("reported with two of three parts: %+v", x)
	}
	evs = append(evs, m.ev("SH-001", 2*time.Second, IncidentPhoto, "i1", parts[2]),
		m.ev("SH-001", 2*time.Second, IncidentPhoto, "i1", parts[2])) // a part twice counts once
	// An outlet cannot acknowledge its own report: a conflict, no change.
	evs = append(evs, m.ev("SH-001", 3*time.Second, IncidentStep, "i1", IncidentStepV1{Step: "acknowledge"}))
	x = FoldIncident("i1", slices.Clone(evs))
	if !x.Photos[0].Complete || x.Photos[0].Received != 3 || x.State != IncidentStateReported || len(x.Conflicts) != 1 ||
		x.Conflicts[0].Code != problem.StepHubOnly.String() {
		t.Fatalf("after the last part and an outlet's acknowledge: %+v", x)
	}
	evs = append(evs, m.ev("hub", 4*time.Second, IncidentStep, "i1", IncidentStepV1{Step: "acknowledge", Note: "已收到", At: t0.Add(4 * time.Second).UnixMilli()}),
		m.ev("SH-001", 5*time.Second, IncidentStep, "i1", IncidentStepV1{Step: "note", Note: "水已退"}),
		m.ev("hub", 6*time.Second, IncidentStep, "i1", IncidentStepV1{Step: "resolve"}),
		m.ev("SH-001", 7*time.Second, IncidentStep, "i1", IncidentStepV1{Step: "close"}))
	x = FoldIncident("i1", slices.Clone(evs))
	if x.State != IncidentStateClosed || x.AckedAt.IsZero() || len(x.History) != 5 || x.History[2].Note != "水已退" {
		t.Fatalf("closed: %+v", x)
	}
	k, _ := KindByName(KindIncident)
	if k.Open(x) || len(x.Allowed("hub")) != 0 {
		t.Fatalf("a closed incident is open or has steps: %v", x.Allowed("hub"))
	}
}

// Every state × every step × each side: legal exactly when the table says.
func TestIncidentStepsTable(t *testing.T) {
	legal := map[string][]string{
		IncidentStateReported:     {"acknowledge", "note"},
		IncidentStateAcknowledged: {"resolve", "note"},
		IncidentStateResolved:     {"close", "note"},
		IncidentStateClosed:       {},
	}
	for state, steps := range legal {
		for _, step := range append(IncidentSteps(), "reopen") {
			for _, origin := range []string{"SH-001", "hub"} {
				x := Incident{ID: "i1", State: state}
				err := x.Check(IncidentStepV1{Step: step}, origin)
				hubOnly := step == "acknowledge" || step == "resolve"
				want := slices.Contains(steps, step) && (!hubOnly || origin == "hub")
				if (err == nil) != want {
					t.Errorf("%s/%s/%s: legal=%v, err=%v", state, step, origin, want, err)
				}
			}
		}
	}
}

// What head office refuses from an outlet whatever the state.
func TestCheckIncidentUplink(t *testing.T) {
	var m evMaker
	ref, parts := photoParts(jpegOf(50 << 10))
	good := IncidentReportedV1{OccurredAt: t0.UnixMilli(), Cause: "power", Text: "停电", Photos: []IncidentPhotoRef{ref}}
	with := func(f func(*IncidentReportedV1)) IncidentReportedV1 { r := good; f(&r); return r }
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)
	pngPart := IncidentPhotoV1{SHA256: ref.SHA256, Part: 0, Parts: 1, Data: base64.StdEncoding.EncodeToString(png)}
	bigPart := IncidentPhotoV1{SHA256: ref.SHA256, Part: 0, Parts: 1, Data: base64.StdEncoding.EncodeToString(jpegOf(IncidentPhotoPartBytes + 1))}
	for name, tc := range map[string]struct {
		typ     string
		payload any
		code    problem.Code
	}{
		"good report":         {IncidentReported, good, problem.Code{}},
		"good part":           {IncidentPhoto, parts[0], problem.Code{}},
		"good second part":    {IncidentPhoto, parts[1], problem.Code{}},
		"note":                {IncidentStep, IncidentStepV1{Step: "note", Note: "x"}, problem.Code{}},
		"close":               {IncidentStep, IncidentStepV1{Step: "close"}, problem.Code{}},
		"bad cause":           {IncidentReported, with(func(r *IncidentReportedV1) { r.Cause = "aliens" }), problem.IncidentBadField},
		"other needs text":    {IncidentReported, with(func(r *IncidentReportedV1) { r.Cause = "other" }), problem.IncidentFieldRequired},
		"no text":             {IncidentReported, with(func(r *IncidentReportedV1) { r.Text = " " }), problem.IncidentFieldRequired},
		"negative parcels":    {IncidentReported, with(func(r *IncidentReportedV1) { r.Parcels = -1 }), problem.IncidentBadNumber},
		"five photos":         {IncidentReported, with(func(r *IncidentReportedV1) { r.Photos = slices.Repeat(r.Photos, 5) }), problem.IncidentPhotoTooMany},
		"oversize photo":      {IncidentReported, with(func(r *IncidentReportedV1) { r.Photos = []IncidentPhotoRef{{ref.SHA256, 2 << 20, PhotoParts(2 << 20)}} }), problem.IncidentPhotoTooLarge},
		"parts lie":           {IncidentReported, with(func(r *IncidentReportedV1) { r.Photos = []IncidentPhotoRef{{ref.SHA256, ref.Size, 1}} }), problem.IncidentPhotoBadPart},
		"png part":            {IncidentPhoto, pngPart, problem.IncidentPhotoNotJPEG},
		"html part":           {IncidentPhoto, IncidentPhotoV1{SHA256: ref.SHA256, Parts: 1, Data: base64.StdEncoding.EncodeToString([]byte("<html><script>"))}, problem.IncidentPhotoNotJPEG},
		"part too big":        {IncidentPhoto, bigPart, problem.IncidentPhotoBadPart},
		"too many parts":      {IncidentPhoto, IncidentPhotoV1{SHA256: ref.SHA256, Part: 0, Parts: MaxIncidentPhotoParts + 1, Data: parts[0].Data}, problem.IncidentPhotoTooLarge},
		"part out of range":   {IncidentPhoto, IncidentPhotoV1{SHA256: ref.SHA256, Part: 2, Parts: 2, Data: parts[1].Data}, problem.IncidentPhotoTooLarge},
		"not base64":          {IncidentPhoto, IncidentPhotoV1{SHA256: ref.SHA256, Part: 1, Parts: 2, Data: "!!"}, problem.IncidentPhotoBadPart},
		"bad hash":            {IncidentPhoto, IncidentPhotoV1{SHA256: "ABC", Part: 0, Parts: 1, Data: parts[0].Data}, problem.IncidentPhotoBadPart},
		"outlet acknowledges": {IncidentStep, IncidentStepV1{Step: "acknowledge"}, problem.StepHubOnly},
		"outlet resolves":     {IncidentStep, IncidentStepV1{Step: "resolve"}, problem.StepHubOnly},
		"unknown step":        {IncidentStep, IncidentStepV1{Step: "publish"}, problem.StepUnknown},
	} {
		t.Run(name, func(t *testing.T) {
			ev := m.ev("SH-001", 0, tc.typ, "i1", tc.payload)
			err := CheckIncidentUplink(&ev)
			if tc.code == (problem.Code{}) {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !problem.Is(err, tc.code) {
				t.Fatalf("got %v, want %s", err, tc.code)
			}
		})
	}
	// Head office's own steps pass.
	ev := m.ev("hub", 0, IncidentStep, "i1", IncidentStepV1{Step: "acknowledge"})
	if err := CheckIncidentUplink(&ev); err != nil {
		t.Fatalf("head office's acknowledge: %v", err)
	}
	if n := MaxIncidentPhotoParts; n*IncidentPhotoPartBytes < MaxIncidentPhotoBytes || fmt.Sprint(n) != "8" {
		t.Fatalf("parts %d do not cover the largest photo", n)
	}
}

// The largest part fits one event's payload, and a full batch of them the
// agent's batch budget the frame limit was set for.
func TestIncidentPartFitsAnEvent(t *testing.T) {
	_, parts := photoParts(jpegOf(MaxIncidentPhotoBytes))
	var m evMaker
	for _, p := range parts {
		ev := m.ev("SH-001", 0, IncidentPhoto, "01JXYZ0000000000000000000000", p)
		if len(ev.Payload) > syncproto.MaxEventBytes {
			t.Fatalf("part %d payload %d bytes, limit %d", p.Part, len(ev.Payload), syncproto.MaxEventBytes)
		}
		if err := syncproto.CheckEvent(&ev); err != nil {
			t.Fatalf("part %d: %v", p.Part, err)
		}
	}
}

// A photo comes back byte for byte from its parts in any order, and not
// before its last part, nor from parts another outlet sent.
func TestJoinIncidentPhoto(t *testing.T) {
	var m evMaker
	photo := jpegOf(MaxIncidentPhotoBytes)
	for i := range photo[4:] {
		photo[4+i] = byte(i * 7)
	}
	ref, parts := SplitIncidentPhoto(photo)
	evs := []syncproto.Event{m.ev("SH-001", 0, IncidentReported, "i1", IncidentReportedV1{OccurredAt: 1, Cause: "power", Text: "x", Photos: []IncidentPhotoRef{ref}})}
	for i := len(parts) - 1; i >= 1; i-- {
		evs = append(evs, m.ev("SH-001", time.Second, IncidentPhoto, "i1", parts[i]))
	}
	evs = append(evs, m.ev("SH-002", time.Second, IncidentPhoto, "i1", parts[0]))
	x := FoldIncident("i1", slices.Clone(evs))
	if _, err := JoinIncidentPhoto(&x, ref.SHA256, evs); !problem.Is(err, problem.IncidentPhotoMissing) || x.Photos[0].Complete {
		t.Fatalf("without part 0 (another outlet's): %v, %+v", err, x.Photos)
	}
	evs = append(evs, m.ev("SH-001", 2*time.Second, IncidentPhoto, "i1", parts[0]))
	x = FoldIncident("i1", slices.Clone(evs))
	got, err := JoinIncidentPhoto(&x, ref.SHA256, evs)
	if err != nil || !bytes.Equal(got, photo) || !x.Photos[0].Complete {
		t.Fatalf("joined %d bytes, %v; want %d", len(got), err, len(photo))
	}
	if _, err := JoinIncidentPhoto(&x, strings.Repeat("0", 64), evs); !problem.Is(err, problem.IncidentPhotoMissing) {
		t.Fatalf("unknown photo: %v", err)
	}
}

// FuzzCheckIncidentUplink: any payload of the three types is judged
// without a panic; a photo part it accepts decodes to at most one part's
// bytes, a JPEG's start on part 0; a report it accepts folds into a
// reported incident.
func FuzzCheckIncidentUplink(f *testing.F) {
	ref, parts := SplitIncidentPhoto(jpegOf(50 << 10))
	for _, p := range []any{
		IncidentReportedV1{OccurredAt: 1, Cause: "power", Text: "x", Photos: []IncidentPhotoRef{ref}}, parts[0], parts[1],
		IncidentStepV1{Step: "note", Note: "n"}, IncidentStepV1{Step: "acknowledge"},
	} {
		raw, _ := json.Marshal(p)
		f.Add(0, raw)
		f.Add(1, raw)
		f.Add(2, raw)
	}
	f.Add(1, []byte(`{"sha256":"`+ref.SHA256+`","part":0,"parts":1,"data":"PGh0bWw+"}`))
	f.Add(0, []byte(`null`))
	types := []string{IncidentReported, IncidentPhoto, IncidentStep}
	f.Fuzz(func(t *testing.T, typ int, payload []byte) {
		if typ < 0 {
			typ = -typ
		}
		ev := syncproto.Event{ID: "e", Origin: "SH-001", Seq: 1, HLC: 1, Actor: "a", Type: types[typ%3], V: 1, Subject: "i1", Payload: payload}
		if CheckIncidentUplink(&ev) != nil {
			return
		}
		switch ev.Type {
		case IncidentPhoto:
			var p IncidentPhotoV1
			if err := json.Unmarshal(payload, &p); err != nil {
				t.Fatalf("accepted a part that does not decode: %v", err)
			}
			b, err := base64.StdEncoding.DecodeString(p.Data)
			if err != nil || len(b) == 0 || len(b) > IncidentPhotoPartBytes || (p.Part == 0 && CheckJPEG(b, 1) != nil) {
				t.Fatalf("accepted part %+v: %d bytes, %v", p.Part, len(b), err)
			}
		case IncidentReported:
			if x := FoldIncident("i1", []syncproto.Event{ev}); x.State != IncidentStateReported {
				t.Fatalf("an accepted report folds to %q", x.State)
			}
		}
	})
}
