package lifecycle

import (
	"encoding/json"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

// The table's own rules: unique names and prefixes, label keys that are a
// field's prefix and the code, one label prefix per field and one field per
// label prefix (so a screen's key names exactly one code), every function
// set.
func TestKindTableShape(t *testing.T) {
	names, prefixes := map[string]bool{}, map[string]string{}
	fieldOf := map[string]string{} // label prefix → kind/field
	for _, k := range Kinds() {
		if names[k.Name] {
			t.Errorf("kind %q listed twice", k.Name)
		}
		names[k.Name] = true
		if len(k.Prefixes) == 0 {
			t.Errorf("%s owns no event-type prefix", k.Name)
		}
		for _, p := range k.Prefixes {
			if other, ok := prefixes[p]; ok {
				t.Errorf("prefix %q owned by %s and %s", p, other, k.Name)
			}
			prefixes[p] = k.Name
		}
		if k.Fold == nil || k.Open == nil || k.Pending == nil || k.SubKinds == nil {
			t.Errorf("%s: Fold, Open, Pending and SubKinds must be set", k.Name)
		}
		codes := map[string]bool{}
		for _, s := range k.SubKinds {
			lp, code, ok := strings.Cut(s.Label, ".")
			if !ok || code != s.Code || lp == "" || s.Field == "" {
				t.Errorf("%s: sub-kind %+v: label must be <prefix>.<code>", k.Name, s)
			}
			if where, ok := fieldOf[lp]; ok && where != k.Name+"/"+s.Field {
				t.Errorf("label prefix %q used by %s and %s/%s", lp, where, k.Name, s.Field)
			}
			fieldOf[lp] = k.Name + "/" + s.Field
			if codes[s.Field+"/"+s.Code] {
				t.Errorf("%s: %s code %q listed twice", k.Name, s.Field, s.Code)
			}
			codes[s.Field+"/"+s.Code] = true
		}
		if got, ok := KindByName(k.Name); !ok || got.Name != k.Name {
			t.Errorf("KindByName(%q) = %v, %v", k.Name, got.Name, ok)
		}
	}
	if _, ok := KindByName("courier_day"); ok {
		t.Error("a courier's day is a view of dispatch batches, not a kind")
	}
}

// eventTypeConsts reads every string constant of this package that looks
// like an event type ("prefix.step"), so a new one cannot miss the table.
func eventTypeConsts(t *testing.T) map[string]string {
	t.Helper()
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range pkg.GoFiles {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	shape := regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`)
	out := map[string]string{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					if s, _ := strconv.Unquote(lit.Value); shape.MatchString(s) {
						out[vs.Names[i].Name] = s
					}
				}
			}
		}
	}
	if len(out) < 20 {
		t.Fatalf("found only %d event-type constants: %v", len(out), out)
	}
	return out
}

func TestEveryEventTypeHasAKind(t *testing.T) {
	for name, typ := range eventTypeConsts(t) {
		k, ok := KindOf(typ)
		switch {
		case slices.Contains(Kindless, typ) && ok:
			t.Errorf("%s (%s) is listed as kind-less but %s owns it", name, typ, k.Name)
		case slices.Contains(Kindless, typ):
		case !ok:
			t.Errorf("%s (%s) belongs to no kind in the table: add its prefix to a kind, or list it in Kindless", name, typ)
		case !k.Owns(typ):
			t.Errorf("KindOf(%s) = %s, which does not own it", typ, k.Name)
		}
	}
	for _, typ := range []string{"", "parcel", "nothing.here", ".x", "audit.personal_viewed"} {
		if k, ok := KindOf(typ); ok {
			t.Errorf("KindOf(%q) = %s, want none", typ, k.Name)
		}
	}
	for typ, want := range map[string]string{
		WaybillIssued: KindWaybills, WaybillBlockAllocated: KindWaybills, DispatchReturned: KindDispatch,
		ParcelInbound: KindParcel, NoticeAcknowledged: KindNotice, ShipmentAccepted: KindShipment,
	} {
		if k, _ := KindOf(typ); k.Name != want {
			t.Errorf("KindOf(%s) = %q, want %s", typ, k.Name, want)
		}
	}
}

// The ad-hoc code lists are views of the table.
func TestVocabularyViews(t *testing.T) {
	for _, tc := range []struct {
		kind, field string
		list        []string
		n           int
	}{
		{KindException, "kind", ExceptionKinds, 10},
		{KindComplaint, "channel", ComplaintChannels, 9},
		{KindComplaint, "type", ComplaintTypes, 3},
		{KindComplaint, "category", ComplaintCategories, 7},
		{KindComplaint, "severity", ComplaintSeverities, 2},
		{KindNotice, "severity", NoticeSeverities, 3},
		{KindParcel, "id_check", IDChecks, 3},
		{KindDispatch, "reason", NonDeliveryReasons, 6},
		{KindShipment, "sender_id_type", IDTypes, 3},
		{KindShipment, "item_type", ItemTypes, 7},
	} {
		k, _ := KindByName(tc.kind)
		if got := k.Codes(tc.field); !reflect.DeepEqual(got, tc.list) || len(got) != tc.n {
			t.Errorf("%s %s: table %v, list %v (want %d codes)", tc.kind, tc.field, got, tc.list, tc.n)
		}
	}
	x, _ := KindByName(KindException)
	for code, want := range map[string]string{"mis_sorted": "kind.mis_sorted", "address_problem": "kind.address_problem"} {
		if got, ok := x.Label("kind", code); !ok || got != want {
			t.Errorf("Label(kind, %s) = %q, %v", code, got, ok)
		}
	}
	for _, drifted := range []string{"missorted", "wrong_addr"} {
		if _, ok := x.Label("kind", drifted); ok {
			t.Errorf("drifted code %q is in the table", drifted)
		}
	}
	// The codes a handover close raises are exception kinds.
	h := Handover{ID: "h1", State: HandoverStateClosed, Missing: []string{"A"}, Extra: []string{"B"}}
	for _, e := range h.Exceptions() {
		if !slices.Contains(ExceptionKinds, e.Report.Kind) {
			t.Errorf("a handover raises kind %q, not in the table", e.Report.Kind)
		}
	}
	p, _ := KindByName(KindProhibited)
	if got := p.Codes("rule"); !reflect.DeepEqual(got, []string{RuleForbidden, RuleRestricted}) {
		t.Errorf("prohibited rules %v", got)
	}
	d, _ := KindByName(KindDispatch)
	if got := d.Codes("disposition"); !reflect.DeepEqual(got, []string{DispositionRestock, DispositionReturn}) {
		t.Errorf("dispositions %v", got)
	}
}

// Nothing is open, pending or listed before its first event.
func TestEmptyFold(t *testing.T) {
	for _, k := range Kinds() {
		st := k.Fold("x", nil, nil)
		if k.Open(st) || k.Pending(st) {
			t.Errorf("%s with no events: open %v, pending %v", k.Name, k.Open(st), k.Pending(st))
		}
		if k.Row != nil {
			if _, ok := k.Row(st, nil); ok {
				t.Errorf("%s with no events has a row", k.Name)
			}
		}
	}
}

type heldManifests []Manifest

func (h heldManifests) Manifest(id string) (Manifest, bool) {
	for _, m := range h {
		if m.ID == id {
			return m, true
		}
	}
	return Manifest{}, false
}

// Open, Pending and Row for each kind, from real events.
func TestKindOpenPendingRow(t *testing.T) {
	var m evMaker
	at := func(d time.Duration) int64 { return t0.Add(d).UnixMilli() }
	inbound := m.ev("SH-001", 0, ParcelInbound, "SF1", InboundV1{Waybill: "SF1", HoldDays: 7, At: at(0)})
	shelved := m.ev("SH-001", time.Minute, ParcelShelved, "SF1", ShelvedV1{Shelf: "3", Layer: "2", Code: "3-2-0042", At: at(time.Minute)})
	picked := m.ev("SH-001", 2*time.Minute, ParcelPickedUp, "SF1", PickupV1{IDCheck: "code_only", Signer: "recipient", SignatureSHA256: "ab", Staff: "c01"})
	out := outBatch(&m, 2*time.Minute, "B1", "k07", "SF1")
	reported := m.ev("SH-001", 0, ExceptionReported, "x1", ExceptionReportedV1{Waybill: "SF1", Kind: "damaged", At: at(0)})
	xstep := func(d time.Duration, step string) syncproto.Event {
		return m.ev("SH-001", d, ExceptionStep, "x1", ExceptionStepV1{Step: step, At: at(d)})
	}
	received := m.ev("SH-001", 0, ComplaintReceived, "c1", ComplaintReceivedV1{Ticket: "T1", Type: "suggestion", Channel: "counter", Category: "other", Severity: "routine", Text: "x", At: at(0)})
	cstep := func(d time.Duration, step string) syncproto.Event {
		return m.ev("SH-001", d, ComplaintStep, "c1", ComplaintStepV1{Step: step, At: at(d)})
	}
	notice := m.ev("hub", 0, NoticePublished, "n1", NoticePublishedV1{Title: "停运", Severity: "warning", ValidFrom: at(time.Hour)})
	manifest := m.ev("hub", 0, ManifestPublished, "m1", ManifestV1{Waybills: []string{"SF1", "SF2"}, Line: "L3", At: at(-time.Hour)})
	manifest.Target = "SH-001"
	opened := m.ev("SH-001", 0, HandoverOpened, "h1", HandoverOpenedV1{Manifests: []string{"m1"}, Courier: "k07", Staff: "c01", At: at(0)})
	sig := Signature{Signer: "k07", SHA256: "aa"}
	closed := m.ev("SH-001", time.Hour, HandoverClosed, "h1", HandoverClosedV1{Courier: sig, Clerk: Signature{Signer: "c01", SHA256: "bb"}, At: at(time.Hour)})
	tmpl := m.ev("hub", 0, TemplatePublished, "t1", TemplateV1{Title: "延误致歉", Text: "…", Category: "delay"})
	tar := m.ev("hub", 0, TariffPublished, "v1", tariff.Tariff{Version: "v1"})
	outletTariff := m.ev("SH-001", 0, TariffPublished, "v2", tariff.Tariff{Version: "v2"})
	list := m.ev("hub", 0, ProhibitedPublished, "p1", ProhibitedListV1{Version: "p1"})
	blk := block(&m, "hub", "SH-001", 0, 1, 10)
	ship := m.ev("SH-001", 0, ShipmentAccepted, "YZ1", ShipmentV1{Number: "YZ1"})

	for _, tc := range []struct {
		name, kind, id string
		evs            []syncproto.Event
		held           Held
		open, pending  bool
		row            *Row // nil: not listed, or no row yet
	}{
		{"parcel inbound", KindParcel, "SF1", []syncproto.Event{inbound}, nil, true, true, nil},
		{"parcel in stock", KindParcel, "SF1", []syncproto.Event{inbound, shelved}, nil, true, true, nil},
		{"parcel picked up", KindParcel, "SF1", []syncproto.Event{inbound, shelved, picked}, nil, false, false, nil},
		{"parcel out for delivery", KindParcel, "SF1", []syncproto.Event{inbound, shelved, out}, nil, false, false, nil},
		{"exception reported", KindException, "x1", []syncproto.Event{reported}, nil, true, true,
			&Row{Outlet: "SH-001", State: ExceptionStateReported, Label: "damaged", Since: at(0)}},
		{"exception closed", KindException, "x1", []syncproto.Event{reported, xstep(time.Second, "start_handling"), xstep(2*time.Second, "inform_customer"), xstep(3*time.Second, "close")}, nil, false, false,
			&Row{Outlet: "SH-001", State: ExceptionStateClosed, Label: "damaged", Since: at(0)}},
		{"step before report", KindException, "x1", []syncproto.Event{xstep(time.Second, "start_handling")}, nil, false, false, nil},
		{"suggestion received", KindComplaint, "c1", []syncproto.Event{received}, nil, true, true,
			&Row{Outlet: "SH-001", State: ComplaintStateReceived, Label: "suggestion", Since: at(0)}},
		{"suggestion closed", KindComplaint, "c1", []syncproto.Event{received, cstep(time.Second, "acknowledge"), cstep(2*time.Second, "close")}, nil, false, false,
			&Row{Outlet: "SH-001", State: ComplaintStateClosed, Label: "suggestion", Since: at(0)}},
		{"notice published", KindNotice, "n1", []syncproto.Event{notice}, nil, true, false, &Row{State: "published", Since: at(time.Hour)}},
		{"notice ended", KindNotice, "n1", []syncproto.Event{notice, m.ev("hub", time.Hour, NoticeEnded, "n1", NoticeEndedV1{Text: "恢复"})}, nil, false, false,
			&Row{State: "ended", Since: at(time.Hour)}},
		{"template", KindTemplate, "t1", []syncproto.Event{tmpl}, nil, true, false, &Row{State: "published", Label: "delay"}},
		{"template withdrawn", KindTemplate, "t1", []syncproto.Event{tmpl, m.ev("hub", time.Hour, TemplatePublished, "t1", TemplateV1{Title: "延误致歉", Text: "…", Category: "delay", Withdrawn: true})},
			nil, false, false, &Row{State: "withdrawn", Label: "delay"}},
		{"manifest", KindManifest, "m1", []syncproto.Event{manifest}, nil, true, false, &Row{Outlet: "SH-001", State: "published", Label: "L3", Since: at(-time.Hour)}},
		{"handover open", KindHandover, "h1", []syncproto.Event{opened}, nil, true, true, &Row{Outlet: "SH-001", State: HandoverStateOpen, Label: "k07", Since: at(0)}},
		{"handover closed stays pending", KindHandover, "h1", []syncproto.Event{opened, closed}, nil, false, true,
			&Row{Outlet: "SH-001", State: HandoverStateClosed, Label: "k07", Since: at(0)}},
		{"dispatch out", KindDispatch, "B1", []syncproto.Event{out}, nil, true, true, nil},
		{"dispatch all delivered", KindDispatch, "B1", []syncproto.Event{out, delivered(&m, time.Hour, "SF1", "B1")}, nil, false, false, nil},
		{"tariff", KindTariff, "v1", []syncproto.Event{tar}, nil, true, false, &Row{State: "published"}},
		{"tariff from an outlet", KindTariff, "v2", []syncproto.Event{outletTariff}, nil, false, false, nil},
		{"prohibited list", KindProhibited, "p1", []syncproto.Event{list}, nil, true, false, &Row{State: "published"}},
		{"waybill stock", KindWaybills, "SH-001", []syncproto.Event{blk}, nil, true, false, nil},
		{"shipment", KindShipment, "YZ1", []syncproto.Event{ship}, nil, false, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, ok := KindByName(tc.kind)
			if !ok {
				t.Fatalf("no kind %s", tc.kind)
			}
			for _, e := range tc.evs {
				if o, _ := KindOf(e.Type); o.Name != tc.kind && !(tc.kind == KindParcel && o.Name == KindDispatch) {
					t.Fatalf("event %s is not %s's", e.Type, tc.kind)
				}
			}
			st := k.Fold(tc.id, slices.Clone(tc.evs), tc.held)
			if got := k.Open(st); got != tc.open {
				t.Errorf("Open = %v, want %v (state %+v)", got, tc.open, st)
			}
			if got := k.Pending(st); got != tc.pending {
				t.Errorf("Pending = %v, want %v", got, tc.pending)
			}
			if k.Row == nil {
				if tc.row != nil {
					t.Fatalf("%s is not listed, want row %+v", k.Name, *tc.row)
				}
				return
			}
			r, ok := k.Row(st, tc.evs)
			switch {
			case tc.row == nil && ok:
				t.Errorf("row %+v, want none", r)
			case tc.row != nil && (!ok || r != *tc.row):
				t.Errorf("row %+v, %v; want %+v", r, ok, *tc.row)
			}
		})
	}
}

// Head office lists exactly these kinds; the outlet's parcels, batches,
// number stock and shipments are looked up, not listed.
func TestListedKinds(t *testing.T) {
	var listed []string
	for _, k := range Kinds() {
		if k.Row != nil {
			listed = append(listed, k.Name)
		}
	}
	want := []string{KindException, KindComplaint, KindNotice, KindTemplate, KindManifest, KindHandover, KindTariff, KindProhibited, KindIncident}
	if !reflect.DeepEqual(listed, want) {
		t.Fatalf("listed kinds %v, want %v", listed, want)
	}
}

func TestHandoverFoldReadsHeldManifests(t *testing.T) {
	var m evMaker
	man := FoldManifest("m1", []syncproto.Event{m.ev("hub", -time.Hour, ManifestPublished, "m1", ManifestV1{Waybills: []string{"SF1", "SF2"}})})
	evs := []syncproto.Event{
		m.ev("SH-001", 0, HandoverOpened, "h1", HandoverOpenedV1{Manifests: []string{"m1", "m9"}, Courier: "k07", Staff: "c01"}),
		m.ev("SH-001", time.Second, HandoverScanned, "h1", HandoverScanV1{Waybill: "SF1"}),
	}
	k, _ := KindByName(KindHandover)
	h := k.Fold("h1", evs, heldManifests{man}).(Handover)
	if !reflect.DeepEqual(h.Missing, []string{"SF2"}) || !reflect.DeepEqual(h.UnknownManifests, []string{"m9"}) {
		t.Fatalf("with the manifest held: missing %v, unknown %v", h.Missing, h.UnknownManifests)
	}
	h = k.Fold("h1", evs, nil).(Handover)
	if len(h.Missing) != 0 || !reflect.DeepEqual(h.Extra, []string{"SF1"}) {
		t.Fatalf("with nothing held: missing %v, extra %v", h.Missing, h.Extra)
	}
}

// Check: what each side may record on top of the state.
func TestKindCheck(t *testing.T) {
	var m evMaker
	kind := func(name string) Kind { k, _ := KindByName(name); return k }
	check := func(name, id string, before []syncproto.Event, ev syncproto.Event) error {
		k := kind(name)
		return k.Check(k.Fold(id, before, nil), &ev)
	}
	// A duplicate is a conflict with a code of its own, not a refused step.
	isDup := func(err error) bool {
		_, step := err.(*StepError)
		return !step && problem.As(err) != nil && problem.CodeOf(err).Class() == problem.Conflict
	}
	isStep := func(err error) bool { _, ok := err.(*StepError); return ok }

	report := m.ev("SH-001", 0, ExceptionReported, "x1", ExceptionReportedV1{Waybill: "SF1", Kind: "lost"})
	if err := check(KindException, "x1", nil, report); err != nil {
		t.Errorf("first report: %v", err)
	}
	if err := check(KindException, "x1", []syncproto.Event{report}, report); !isDup(err) {
		t.Errorf("second report: %v, want a duplicate", err)
	}
	claim := m.ev("SH-001", time.Second, ExceptionStep, "x1", ExceptionStepV1{Step: "decide_claim"})
	if err := check(KindException, "x1", []syncproto.Event{report}, claim); !isStep(err) {
		t.Errorf("decide_claim on a reported exception: %v", err)
	}
	rec := m.ev("SH-001", 0, ComplaintReceived, "c1", ComplaintReceivedV1{Ticket: "T1", Type: "complaint"})
	if err := check(KindComplaint, "c1", []syncproto.Event{rec}, rec); !isDup(err) {
		t.Errorf("second complaint: %v", err)
	}
	if err := check(KindComplaint, "c1", []syncproto.Event{rec}, m.ev("SH-001", time.Second, ComplaintStep, "c1", ComplaintStepV1{Step: "close"})); !isStep(err) {
		t.Errorf("closing a received complaint: %v", err)
	}
	if err := check(KindParcel, "SF1", nil, m.ev("SH-001", 0, ParcelShelved, "SF1", ShelvedV1{Code: "1-1-1"})); !isStep(err) {
		t.Errorf("shelving a parcel never scanned in: %v", err)
	}
	opened := m.ev("SH-001", 0, HandoverOpened, "h1", HandoverOpenedV1{Courier: "k07"})
	if err := check(KindHandover, "h1", []syncproto.Event{opened}, m.ev("SH-001", time.Second, HandoverClosed, "h1", HandoverClosedV1{Courier: Signature{Signer: "k07", SHA256: "a"}})); !isStep(err) {
		t.Errorf("closing without the clerk's signature: %v", err)
	}

	for _, tc := range []struct {
		kind, typ, origin string
		ok                bool
	}{
		{KindNotice, NoticePublished, "SH-001", false},
		{KindNotice, NoticePublished, syncproto.HubOrigin, true},
		{KindNotice, NoticeAcknowledged, "SH-001", true},
		{KindTemplate, TemplatePublished, "SH-001", false},
		{KindManifest, ManifestPublished, "SH-001", false},
		{KindTariff, TariffPublished, "SH-001", false},
		{KindProhibited, ProhibitedPublished, "SH-001", false},
		{KindProhibited, ProhibitedPublished, syncproto.HubOrigin, true},
		{KindWaybills, WaybillBlockAllocated, "SH-001", false},
		{KindWaybills, WaybillBlockAllocated, syncproto.HubOrigin, true},
		{KindWaybills, WaybillBlockRequested, "SH-001", true},
	} {
		err := check(tc.kind, "x", nil, m.ev(tc.origin, 0, tc.typ, "x", map[string]any{}))
		if (err == nil) != tc.ok {
			t.Errorf("%s %s from %s: %v, want ok %v", tc.kind, tc.typ, tc.origin, err, tc.ok)
		}
	}

	stock := []syncproto.Event{block(&m, "hub", "SH-001", 0, 5, 9)}
	next := S10Number("YZ", 5, "CN")
	if err := check(KindWaybills, "SH-001", stock, issue(&m, "SH-001", 1, next)); err != nil {
		t.Errorf("issuing the next number: %v", err)
	}
	if err := check(KindWaybills, "SH-001", stock, issue(&m, "SH-001", 1, S10Number("YZ", 6, "CN"))); err == nil {
		t.Error("issuing a number out of turn was allowed")
	}
	if err := check(KindWaybills, "SH-001", nil, issue(&m, "SH-001", 1, next)); err != ErrWaybillsExhausted {
		t.Errorf("issuing with no block: %v", err)
	}
	ship := m.ev("SH-001", 0, ShipmentAccepted, "YZ1", ShipmentV1{Number: "YZ1"})
	if err := check(KindShipment, "YZ1", []syncproto.Event{ship}, ship); !isDup(err) {
		t.Errorf("a number used twice: %v", err)
	}
	if kind(KindDispatch).Check != nil {
		t.Error("a dispatch batch's parcels are checked as parcels; the batch has no check of its own")
	}
}

// The table is served as JSON: the functions stay out of it.
func TestKindsJSON(t *testing.T) {
	raw, err := json.Marshal(Kinds())
	if err != nil {
		t.Fatal(err)
	}
	var back []struct {
		Name     string
		Prefixes []string
		SubKinds []SubKind
	}
	if err := json.Unmarshal(raw, &back); err != nil || len(back) != len(table) {
		t.Fatalf("%v %s", err, raw)
	}
	if !strings.Contains(string(raw), `{"field":"kind","code":"damaged","label":"kind.damaged"}`) {
		t.Errorf("JSON lacks the damaged sub-kind: %s", raw)
	}
}

// What the lookups return is a copy: changing it leaves the table alone.
func TestLookupsCannotChangeTheTable(t *testing.T) {
	k, _ := KindByName(KindException)
	k.SubKinds[0].Code, k.Prefixes[0] = "changed", "changed"
	ks := Kinds()
	ks[1].SubKinds[1].Label = "changed"
	o, _ := KindOf(ExceptionReported)
	o.SubKinds[2].Field = "changed"
	again, _ := KindByName(KindException)
	if again.SubKinds[0].Code != "damaged" || again.SubKinds[1].Label != "kind.lost" || again.SubKinds[2].Field != "kind" || again.Prefixes[0] != "exception" {
		t.Fatalf("the table changed: %+v", again)
	}
}
