package lifecycle

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

// resumeCase is one entity's events in fold order, conflicts included.
type resumeCase struct {
	name, kind, id string
	evs            []syncproto.Event
	held           Held
}

func resumeCases() []resumeCase {
	var m evMaker
	at := func(d time.Duration) int64 { return t0.Add(d).UnixMilli() }
	min := func(n int) time.Duration { return time.Duration(n) * time.Minute }
	scan := func(n int, wb string) syncproto.Event {
		return m.ev("SH-001", min(n), ParcelScanned, wb, ScannedV1{Barcode: wb, Action: "inbound"})
	}
	xstep := func(origin string, n int, step string) syncproto.Event {
		return m.ev(origin, min(n), ExceptionStep, "x1", ExceptionStepV1{Step: step, At: at(min(n))})
	}
	cstep := func(origin string, n int, step string) syncproto.Event {
		return m.ev(origin, min(n), ComplaintStep, "c1", ComplaintStepV1{Step: step, Satisfaction: 4, At: at(min(n))})
	}
	photo := jpegOf(100 << 10)
	ref, parts := photoParts(photo)
	manifest := func(n int, p ManifestV1) syncproto.Event {
		e := m.ev("hub", min(n), ManifestPublished, "m1", p)
		e.Target = "SH-001"
		return e
	}
	held := heldManifests{FoldManifest("m1", []syncproto.Event{manifest(0, ManifestV1{Waybills: []string{"SF1", "SF2", "SF3"}, Line: "L3", At: at(0)})})}
	sig := Signature{Signer: "k07", SHA256: "aa"}
	hscan := func(n int, wb string) syncproto.Event {
		return m.ev("SH-001", min(n), HandoverScanned, "h1", HandoverScanV1{Waybill: wb, At: at(min(n))})
	}
	return []resumeCase{
		{name: "parcel", kind: KindParcel, id: "SF1", evs: []syncproto.Event{
			m.ev("SH-001", min(1), ParcelInbound, "SF1", InboundV1{Waybill: "SF1", HoldDays: 7, PhoneMasked: "138****5678", At: at(min(1))}),
			scan(2, "SF1"),
			m.ev("SH-001", min(3), ParcelShelved, "SF1", ShelvedV1{Shelf: "3", Layer: "2", Code: "3-2-0042", At: at(min(3))}),
			m.ev("SH-001", min(4), ParcelNotified, "SF1", NotifiedV1{Channel: "sms", At: at(min(4))}),
			scan(5, "SF1"),
			outBatch(&m, min(6), "B1", "k07", "SF1"),
			returned(&m, min(7), "SF1", "B1", "recipient_absent", DispositionRestock, "5-1-0007"),
			m.ev("SH-001", min(8), ParcelPickedUp, "SF1", PickupV1{IDCheck: "code_only", Signer: "recipient", SignatureSHA256: "ab", Staff: "c01"}),
			m.ev("SH-001", min(9), ParcelPickedUp, "SF1", PickupV1{IDCheck: "code_only", Signer: "recipient", SignatureSHA256: "ab", Staff: "c01"}),
			scan(10, "SF1"),
		}},
		{name: "exception", kind: KindException, id: "x1", evs: []syncproto.Event{
			m.ev("SH-001", min(1), ExceptionReported, "x1", ExceptionReportedV1{Waybill: "SF1", Kind: "damaged", Note: "角压坏", At: at(min(1))}),
			xstep("SH-001", 2, "start_handling"),
			xstep("SH-001", 3, "inform_customer"),
			xstep("SH-001", 4, "open_claim"),
			xstep("SH-001", 5, "decide_claim"), // hub only: a conflict
			xstep("hub", 6, "decide_claim"),
			xstep("SH-001", 7, "close"),
			xstep("hub", 8, "assign"), // after the close: a conflict
		}},
		{name: "complaint", kind: KindComplaint, id: "c1", evs: []syncproto.Event{
			m.ev("SH-001", min(1), ComplaintReceived, "c1", ComplaintReceivedV1{Ticket: "T1", Type: "complaint", Channel: "counter", Category: "delay", Severity: "routine", Text: "太慢了", At: at(min(1))}),
			cstep("SH-001", 2, "acknowledge"),
			cstep("hub", 3, "escalate"),
			cstep("SH-001", 4, "investigate"),
			cstep("SH-001", 5, "decide_responsibility"),
			cstep("hub", 6, "propose_solution"),
			cstep("SH-001", 7, "customer_agrees"),
			cstep("SH-001", 8, "carry_out"),
			cstep("SH-001", 9, "follow_up"),
			cstep("SH-001", 10, "close"),
			cstep("hub", 11, "acknowledge"), // a late step from head office: a conflict
		}},
		{name: "notice", kind: KindNotice, id: "n1", evs: []syncproto.Event{
			m.ev("SH-001", min(0), NoticePublished, "n1", NoticePublishedV1{Title: "假的"}), // only head office publishes
			m.ev("hub", min(1), NoticePublished, "n1", NoticePublishedV1{Title: "停运", Severity: "warning", ValidFrom: at(time.Hour)}),
			m.ev("SH-001", min(2), NoticeAcknowledged, "n1", NoticeAckV1{Staff: "c01", At: at(min(2))}),
			m.ev("SH-002", min(3), NoticeAcknowledged, "n1", NoticeAckV1{Staff: "c02", At: at(min(3))}),
			m.ev("hub", min(4), NoticeEnded, "n1", NoticeEndedV1{Text: "恢复", At: at(min(4))}),
		}},
		{name: "template", kind: KindTemplate, id: "t1", evs: []syncproto.Event{
			m.ev("hub", min(1), TemplatePublished, "t1", TemplateV1{Title: "延误致歉", Text: "…", Category: "delay"}),
			m.ev("SH-001", min(2), TemplatePublished, "t1", TemplateV1{Title: "outlet"}),
			m.ev("hub", min(3), TemplatePublished, "t1", TemplateV1{Title: "延误致歉", Text: "新", Category: "delay"}),
			m.ev("hub", min(4), TemplatePublished, "t1", TemplateV1{Title: "延误致歉", Withdrawn: true}),
		}},
		{name: "manifest, whole and split", kind: KindManifest, id: "m1", evs: []syncproto.Event{
			manifest(1, ManifestV1{Waybills: []string{"SF1"}, Line: "L3", At: at(min(1))}),
			manifest(2, ManifestV1{Waybills: []string{"SF2"}, Line: "L3", Publication: "p2", Part: 1, Parts: 2, At: at(min(2))}),
			manifest(3, ManifestV1{Waybills: []string{"SF3"}, Line: "L3", Publication: "p2", Part: 2, Parts: 2, At: at(min(2))}),
			m.ev("SH-001", min(4), ManifestPublished, "m1", ManifestV1{Waybills: []string{"X"}}),
			manifest(5, ManifestV1{Waybills: []string{"SF4", "SF5"}, Line: "L3", At: at(min(5))}),
		}},
		{name: "handover", kind: KindHandover, id: "h1", held: held, evs: []syncproto.Event{
			m.ev("SH-001", min(1), HandoverOpened, "h1", HandoverOpenedV1{Manifests: []string{"m1", "m9"}, Courier: "k07", Staff: "c01", At: at(min(1))}),
			hscan(2, "SF1"),
			hscan(3, "SF9"),
			hscan(4, "SF1"),
			hscan(5, "SF2"),
			m.ev("SH-001", min(6), HandoverClosed, "h1", HandoverClosedV1{Courier: sig, At: at(min(6))}), // one signature: a conflict
			m.ev("SH-001", min(7), HandoverClosed, "h1", HandoverClosedV1{Courier: sig, Clerk: Signature{Signer: "c01", SHA256: "bb"}, At: at(min(7))}),
			hscan(8, "SF3"), // after the close: a conflict
		}},
		{name: "dispatch", kind: KindDispatch, id: "B1", evs: []syncproto.Event{
			delivered(&m, min(0), "SF1", "B1"), // before the batch: not counted
			outBatch(&m, min(1), "B1", "k07", "SF1", "SF2", "SF3"),
			delivered(&m, min(2), "SF1", "B1"),
			returned(&m, min(3), "SF2", "B1", "recipient_absent", DispositionRestock, "5-1-0001"),
			delivered(&m, min(4), "SF2", "B1"), // already returned: a conflict
			outBatch(&m, min(5), "B1", "k07", "SF4"),
			delivered(&m, min(6), "SF3", "B1"),
		}},
		{name: "waybills", kind: KindWaybills, id: "SH-001", evs: []syncproto.Event{
			block(&m, "hub", "SH-001", 60, 1, 3),
			issue(&m, "SH-001", 120, S10Number("YZ", 1, "CN")),
			issue(&m, "SH-001", 180, S10Number("YZ", 2, "CN")),
			block(&m, "hub", "SH-001", 240, 10, 20),
			issue(&m, "SH-001", 300, S10Number("YZ", 3, "CN")),
		}},
		{name: "shipment", kind: KindShipment, id: "YZ1", evs: []syncproto.Event{
			m.ev("SH-001", min(1), ShipmentAccepted, "YZ1", ShipmentV1{Number: "YZ1"}),
			m.ev("SH-001", min(2), ShipmentAccepted, "YZ1", ShipmentV1{Number: "YZ1", Items: "again"}),
		}},
		{name: "tariff", kind: KindTariff, id: "v1", evs: []syncproto.Event{
			m.ev("hub", min(1), TariffPublished, "v1", tariff.Tariff{Version: "v1"}),
			m.ev("SH-001", min(2), TariffPublished, "v1", tariff.Tariff{Version: "outlet"}),
			m.ev("hub", min(3), TariffPublished, "v1", tariff.Tariff{Version: "v1", VolumetricDivisor: 6000}),
		}},
		{name: "prohibited", kind: KindProhibited, id: "p1", evs: []syncproto.Event{
			m.ev("hub", min(1), ProhibitedPublished, "p1", ProhibitedListV1{Version: "p1"}),
			m.ev("SH-001", min(2), ProhibitedPublished, "p1", ProhibitedListV1{Version: "outlet"}),
		}},
		{name: "incident", kind: KindIncident, id: "i1", evs: []syncproto.Event{
			m.ev("SH-001", min(1), IncidentPhoto, "i1", parts[0]), // before its report
			m.ev("SH-001", min(2), IncidentReported, "i1", IncidentReportedV1{OccurredAt: at(0), Cause: "weather", Parcels: 40, DelayHours: 12, Text: "暴雨积水", Photos: []IncidentPhotoRef{ref}, At: at(min(2))}),
			m.ev("SH-001", min(3), IncidentPhoto, "i1", parts[1]),
			m.ev("SH-001", min(4), IncidentPhoto, "i1", parts[2]),
			m.ev("SH-001", min(5), IncidentPhoto, "i1", parts[2]), // twice counts once
			m.ev("hub", min(6), IncidentStep, "i1", IncidentStepV1{Step: "acknowledge", Note: "已收到", At: at(min(6))}),
			m.ev("SH-001", min(7), IncidentPhoto, "i1", parts[1]), // again, after it was whole
			m.ev("hub", min(8), IncidentStep, "i1", IncidentStepV1{Step: "resolve"}),
			m.ev("SH-001", min(9), IncidentStep, "i1", IncidentStepV1{Step: "close"}),
		}},
	}
}

// Resuming any kind from the state of the first i events, read back from
// JSON as an outlet keeps it, folds the rest to exactly the state of all
// the events; where a state cannot serve as a base, Based says so.
func TestResumeIsTheFoldOfAll(t *testing.T) {
	cases := resumeCases()
	covered := map[string]bool{}
	for _, tc := range cases {
		covered[tc.kind] = true
		t.Run(tc.name, func(t *testing.T) {
			k, _ := KindByName(tc.kind)
			want, _ := json.Marshal(k.Fold(tc.id, slices.Clone(tc.evs), tc.held))
			resumed, unbased, differs := 0, 0, false
			for i := 0; i <= len(tc.evs); i++ {
				raw, _ := json.Marshal(k.Fold(tc.id, slices.Clone(tc.evs[:i]), tc.held))
				base, err := k.Decode(raw)
				if err != nil {
					t.Fatalf("decode the state of %d events: %v", i, err)
				}
				if !k.Based(base) {
					unbased++
					continue
				}
				got, _ := json.Marshal(k.Resume(tc.id, base, slices.Clone(tc.evs[i:]), tc.held))
				if string(got) != string(want) {
					t.Errorf("resumed after %d of %d events:\n got %s\nwant %s", i, len(tc.evs), got, want)
				}
				if tail, _ := json.Marshal(k.Fold(tc.id, slices.Clone(tc.evs[i:]), tc.held)); string(tail) != string(want) {
					differs = true
				}
				resumed++
			}
			if resumed < 2 || !differs {
				t.Fatalf("%d splits resumed (%d not a base); the base changed nothing: %v", resumed, unbased, !differs)
			}
			t.Logf("%d splits resumed, %d states not a base", resumed, unbased)
		})
	}
	for _, k := range Kinds() {
		if !covered[k.Name] {
			t.Errorf("kind %s has no resume case", k.Name)
		}
	}
}

// A split manifest half arrived, and an incident with a photo still
// coming, are not bases: the parts held are not in their state.
func TestNotABase(t *testing.T) {
	for _, tc := range resumeCases() {
		k, _ := KindByName(tc.kind)
		var at []int
		for i := 0; i <= len(tc.evs); i++ {
			if !k.Based(k.Fold(tc.id, slices.Clone(tc.evs[:i]), tc.held)) {
				at = append(at, i)
			}
		}
		var want []int
		switch tc.kind {
		case KindManifest:
			want = []int{2} // after part 1 of 2
		case KindIncident:
			want = []int{0, 1, 2, 3} // nothing yet; a part before the report; parts still coming
		}
		if !slices.Equal(at, want) {
			t.Errorf("%s: not a base after %v events, want %v", tc.name, at, want)
		}
	}
}
