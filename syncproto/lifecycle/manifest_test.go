package lifecycle

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
)

var (
	bothSigned  = HandoverClosedV1{Courier: Signature{Signer: "k07", SHA256: "aa"}, Clerk: Signature{Signer: "c01", Confirmation: "pin-ok"}}
	courierOnly = HandoverClosedV1{Courier: Signature{Signer: "k07", SHA256: "aa"}}
	clerkOnly   = HandoverClosedV1{Clerk: Signature{Signer: "c01", SHA256: "bb"}}
	unnamed     = HandoverClosedV1{Courier: Signature{SHA256: "aa"}, Clerk: Signature{Signer: "c01", SHA256: "bb"}}
)

// Every state × every step, with each kind of close.
func TestHandoverStepsTable(t *testing.T) {
	type attempt struct {
		name  string
		step  string
		close *HandoverClosedV1
	}
	attempts := []attempt{
		{"open", HandoverOpened, nil},
		{"scan", HandoverScanned, nil},
		{"close signed by both", HandoverClosed, &bothSigned},
		{"close courier only", HandoverClosed, &courierOnly},
		{"close clerk only", HandoverClosed, &clerkOnly},
		{"close unnamed signer", HandoverClosed, &unnamed},
		{"close unsigned", HandoverClosed, &HandoverClosedV1{}},
		{"unknown", "handover.paused", nil},
	}
	legal := map[string][]string{
		"":                  {"open"},
		HandoverStateOpen:   {"scan", "close signed by both"},
		HandoverStateClosed: {},
	}
	for state, ok := range legal {
		for _, a := range attempts {
			t.Run(state+"/"+a.name, func(t *testing.T) {
				h := Handover{ID: "h1", State: state}
				var err error
				if a.close != nil {
					err = h.CheckClose(*a.close)
				} else {
					err = h.Check(a.step)
				}
				want := slices.Contains(ok, a.name)
				if (err == nil) != want {
					t.Fatalf("legal=%v err=%v", want, err)
				}
				if err != nil {
					se, isStep := err.(*StepError)
					if !isStep || !reflect.DeepEqual(se.Allowed, h.Allowed()) || se.Step != a.step {
						t.Fatalf("want a *StepError naming the step and the allowed steps, got %#v", err)
					}
				}
			})
		}
	}
}

type handoverCase struct {
	name       string
	manifests  map[string][]string
	opened     []string
	scans      []string
	close      *HandoverClosedV1
	expected   []string
	missing    []string
	extra      []string
	counts     HandoverCounts
	exceptions map[string]string // waybill → kind
	conflicts  int
}

func (tc handoverCase) events(m *evMaker) []syncproto.Event {
	evs := []syncproto.Event{m.ev("SH-001", 0, HandoverOpened, "h1", HandoverOpenedV1{Manifests: tc.opened, Courier: "k07", Staff: "c01", At: t0.UnixMilli()})}
	for i, w := range tc.scans {
		at := time.Duration(i+1) * time.Second
		evs = append(evs, m.ev("SH-001", at, HandoverScanned, "h1", HandoverScanV1{Waybill: w, At: t0.Add(at).UnixMilli()}))
	}
	if tc.close != nil {
		c := *tc.close
		c.At = t0.Add(time.Hour).UnixMilli()
		evs = append(evs, m.ev("SH-001", time.Hour, HandoverClosed, "h1", c))
	}
	return evs
}

func manifestsOf(m *evMaker, in map[string][]string) []Manifest {
	var out []Manifest
	for id, ws := range in {
		out = append(out, FoldManifest(id, []syncproto.Event{m.ev("hub", -time.Hour, ManifestPublished, id, ManifestV1{Waybills: ws, Courier: "k07", ExpectedAt: t0.UnixMilli()})}))
	}
	return out
}

func TestFoldHandover(t *testing.T) {
	two := map[string][]string{"M1": {"A1", "A2", "A3"}, "M2": {"B1", "A3"}}
	cases := []handoverCase{
		{name: "all scanned in manifest order", manifests: two, opened: []string{"M1", "M2"}, scans: []string{"A1", "A2", "A3", "B1"}, close: &bothSigned,
			expected: []string{"A1", "A2", "A3", "B1"}, missing: []string{}, extra: []string{},
			counts: HandoverCounts{Expected: 4, Scanned: 4, Matched: 4}},
		{name: "any order with duplicates", manifests: two, opened: []string{"M1", "M2"}, scans: []string{"B1", "A3", "A1", "A3", "B1", "A2", "A1"}, close: &bothSigned,
			expected: []string{"A1", "A2", "A3", "B1"}, missing: []string{}, extra: []string{},
			counts: HandoverCounts{Expected: 4, Scanned: 4, Matched: 4, Duplicates: 3}},
		{name: "missing and extra", manifests: two, opened: []string{"M1", "M2"}, scans: []string{"A2", "X9", "B1", "X9", "X1"}, close: &bothSigned,
			expected: []string{"A1", "A2", "A3", "B1"}, missing: []string{"A1", "A3"}, extra: []string{"X9", "X1"},
			counts:     HandoverCounts{Expected: 4, Scanned: 4, Matched: 2, Missing: 2, Extra: 2, Duplicates: 1},
			exceptions: map[string]string{"A1": "lost", "A3": "lost", "X9": "mis_sorted", "X1": "mis_sorted"}},
		{name: "open session raises nothing yet", manifests: two, opened: []string{"M1"}, scans: []string{"A1", "B1"},
			expected: []string{"A1", "A2", "A3"}, missing: []string{"A2", "A3"}, extra: []string{"B1"},
			counts: HandoverCounts{Expected: 3, Scanned: 2, Matched: 1, Missing: 2, Extra: 1}},
		{name: "no manifest: everything extra", manifests: two, opened: nil, scans: []string{"A1"}, close: &bothSigned,
			expected: []string{}, missing: []string{}, extra: []string{"A1"},
			counts: HandoverCounts{Scanned: 1, Extra: 1}, exceptions: map[string]string{"A1": "mis_sorted"}},
		{name: "manifest not received yet", manifests: two, opened: []string{"M1", "M9"}, scans: []string{"A1", "A2", "A3"}, close: &bothSigned,
			expected: []string{"A1", "A2", "A3"}, missing: []string{}, extra: []string{},
			counts: HandoverCounts{Expected: 3, Scanned: 3, Matched: 3}},
		{name: "nothing scanned", manifests: two, opened: []string{"M2"}, close: &bothSigned,
			expected: []string{"A3", "B1"}, missing: []string{"A3", "B1"}, extra: []string{},
			counts: HandoverCounts{Expected: 2, Missing: 2}, exceptions: map[string]string{"A3": "lost", "B1": "lost"}},
		{name: "close with one signature is refused", manifests: two, opened: []string{"M2"}, scans: []string{"A3", "B1"}, close: &courierOnly,
			expected: []string{"A3", "B1"}, missing: []string{}, extra: []string{},
			counts: HandoverCounts{Expected: 2, Scanned: 2, Matched: 2}, conflicts: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m evMaker
			ms := manifestsOf(&m, tc.manifests)
			evs := tc.events(&m)
			h := FoldHandover("h1", evs, ms)
			if !reflect.DeepEqual(h.Expected, tc.expected) || !reflect.DeepEqual(h.Missing, tc.missing) || !reflect.DeepEqual(h.Extra, tc.extra) {
				t.Fatalf("expected %v missing %v extra %v", h.Expected, h.Missing, h.Extra)
			}
			if h.Counts != tc.counts {
				t.Fatalf("counts %+v, want %+v", h.Counts, tc.counts)
			}
			if len(h.Conflicts) != tc.conflicts {
				t.Fatalf("conflicts %+v", h.Conflicts)
			}
			got := map[string]string{}
			for _, x := range h.Exceptions() {
				// The session is named by id, for screens to word; no note in
				// one language.
				if x.ID != HandoverExceptionID("h1", x.Report.Waybill) || x.Report.Owner != "c01" || x.Report.Handover != "h1" || x.Report.Note != "" {
					t.Fatalf("exception %+v", x)
				}
				got[x.Report.Waybill] = x.Report.Kind
			}
			if len(got) != len(tc.exceptions) || (len(got) > 0 && !reflect.DeepEqual(got, tc.exceptions)) {
				t.Fatalf("exceptions %v, want %v", got, tc.exceptions)
			}
			// Arrival order never matters.
			want, _ := json.Marshal(h)
			rng := rand.New(rand.NewPCG(3, uint64(len(tc.name))))
			for range 5 {
				rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
				again, _ := json.Marshal(FoldHandover("h1", slices.Clone(evs), ms))
				if string(again) != string(want) {
					t.Fatalf("fold depends on arrival order:\n%s\n%s", want, again)
				}
			}
		})
	}
}

func TestHandoverAfterCloseAndTwice(t *testing.T) {
	var m evMaker
	ms := manifestsOf(&m, map[string][]string{"M1": {"A1", "A2"}})
	evs := handoverCase{opened: []string{"M1"}, scans: []string{"A1"}, close: &bothSigned}.events(&m)
	evs = append(evs,
		m.ev("SH-001", 2*time.Hour, HandoverScanned, "h1", HandoverScanV1{Waybill: "A2"}),
		m.ev("SH-001", 3*time.Hour, HandoverClosed, "h1", bothSigned),
		m.ev("SH-001", 4*time.Hour, HandoverOpened, "h1", HandoverOpenedV1{Manifests: []string{"M1"}}))
	h := FoldHandover("h1", evs, ms)
	if h.State != HandoverStateClosed || len(h.Conflicts) != 3 || !reflect.DeepEqual(h.Missing, []string{"A2"}) {
		t.Fatalf("%+v", h)
	}
	for _, step := range []string{HandoverScanned, HandoverClosed, HandoverOpened} {
		if _, ok := h.Check(step).(*StepError); !ok {
			t.Fatalf("%s after close: %v", step, h.Check(step))
		}
	}
	if h.Signatures == nil || h.Signatures.Courier.SHA256 != "aa" || h.Signatures.Courier.SVG != "" {
		t.Fatalf("signatures %+v", h.Signatures)
	}
}

// A session interrupted by a crash is its events so far: the fold of the
// prefix shows the live counts, scanning goes on after the restart (the
// clerk re-scans what may not have been recorded), and the session ends
// with the same reconciliation as an uninterrupted one.
func TestHandoverResumesAfterCrash(t *testing.T) {
	var m evMaker
	ms := manifestsOf(&m, map[string][]string{"M1": {"A1", "A2", "A3", "A4"}})
	tc := handoverCase{opened: []string{"M1"}, scans: []string{"A3", "A1", "X1", "A1", "A4"}, close: &bothSigned}
	all := tc.events(&m)
	whole := FoldHandover("h1", slices.Clone(all), ms)
	for cut := 1; cut < len(all); cut++ {
		before := FoldHandover("h1", slices.Clone(all[:cut]), ms)
		if before.State != HandoverStateOpen || before.Counts.Expected != 4 || before.Counts.Missing != 4-before.Counts.Matched {
			t.Fatalf("cut %d: live state %+v", cut, before)
		}
		if err := before.Check(HandoverScanned); err != nil {
			t.Fatalf("cut %d: cannot resume scanning: %v", cut, err)
		}
		// After the restart the clerk scans the whole cage again, then closes.
		resumed := slices.Clone(all[:cut])
		for i, w := range tc.scans {
			at := 10*time.Minute + time.Duration(i)*time.Second
			resumed = append(resumed, m.ev("SH-001", at, HandoverScanned, "h1", HandoverScanV1{Waybill: w, At: t0.Add(at).UnixMilli()}))
		}
		resumed = append(resumed, all[len(all)-1])
		got := FoldHandover("h1", resumed, ms)
		if got.State != HandoverStateClosed || !reflect.DeepEqual(got.Missing, whole.Missing) || !reflect.DeepEqual(got.Expected, whole.Expected) ||
			!reflect.DeepEqual(got.Exceptions(), whole.Exceptions()) {
			t.Fatalf("cut %d: resumed session differs:\n%+v\n%+v", cut, got, whole)
		}
		if c := got.Counts; c.Scanned != whole.Counts.Scanned || c.Matched != whole.Counts.Matched || c.Extra != whole.Counts.Extra {
			t.Fatalf("cut %d: counts %+v vs %+v", cut, c, whole.Counts)
		}
	}
	if !reflect.DeepEqual(whole.Missing, []string{"A2"}) || !reflect.DeepEqual(whole.Extra, []string{"X1"}) {
		t.Fatalf("%+v", whole)
	}
}

// The exceptions a closed session raises are the same entities whoever
// raises them and however often: the outlet before and after a crash and
// head office from its own fold together leave one exception per waybill.
func TestHandoverExceptionsOnceAtHub(t *testing.T) {
	var m evMaker
	ms := manifestsOf(&m, map[string][]string{"M1": {"A1", "A2", "A3"}})
	evs := handoverCase{opened: []string{"M1"}, scans: []string{"A1", "X1"}, close: &bothSigned}.events(&m)
	outlet := FoldHandover("h1", slices.Clone(evs), ms)
	slices.Reverse(evs)
	hub := FoldHandover("h1", evs, ms)
	var reports []syncproto.Event
	raise := func(origin string, h Handover, at time.Duration) {
		for _, x := range h.Exceptions() {
			reports = append(reports, m.ev(origin, at, ExceptionReported, x.ID, x.Report))
		}
	}
	raise("SH-001", outlet, 2*time.Hour)
	raise("SH-001", outlet, 3*time.Hour) // retry after a crash before the first was marked done
	raise("hub", hub, 2*time.Hour)
	bySubject := map[string][]syncproto.Event{}
	for _, ev := range reports {
		bySubject[ev.Subject] = append(bySubject[ev.Subject], ev)
	}
	if len(bySubject) != 3 {
		t.Fatalf("%d exceptions, want 3 (A2, A3 lost; X1 mis-sorted)", len(bySubject))
	}
	kinds := map[string]string{}
	for id, evs := range bySubject {
		x := FoldException(id, evs)
		if x.State != ExceptionStateReported || len(x.Conflicts) != 2 {
			t.Fatalf("%s: %+v", id, x)
		}
		kinds[x.Waybill] = x.Kind
	}
	if !reflect.DeepEqual(kinds, map[string]string{"A2": "lost", "A3": "lost", "X1": "mis_sorted"}) {
		t.Fatalf("kinds %v", kinds)
	}
	if HandoverExceptionID("h1", "A2") == HandoverExceptionID("h2", "A2") || HandoverExceptionID("h1", "A2") == HandoverExceptionID("h1", "A3") {
		t.Fatal("exception ids collide across sessions or waybills")
	}
	if err := syncproto.CheckEvent(&reports[0]); err != nil {
		t.Fatalf("exception id is not a valid subject: %v", err)
	}
}

func TestFoldManifest(t *testing.T) {
	var m evMaker
	evs := []syncproto.Event{
		m.ev("hub", 0, ManifestPublished, "M1", ManifestV1{Waybills: []string{"A1"}, Line: "L3"}),
		m.ev("SH-001", time.Minute, ManifestPublished, "M1", ManifestV1{Waybills: []string{"FORGED"}}),
		m.ev("hub", 2*time.Minute, ManifestPublished, "M1", ManifestV1{Waybills: []string{"A1", "A2"}, Line: "L3"}),
	}
	got := FoldManifest("M1", evs)
	if got.Revision != 2 || !reflect.DeepEqual(got.Waybills, []string{"A1", "A2"}) || len(got.Conflicts) != 1 {
		t.Fatalf("%+v", got)
	}
}
