package store

import (
	"encoding/json"
	"testing"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// creating is one creating event per kind head office lists.
var creating = map[string]struct {
	origin, typ string
	payload     any
}{
	lifecycle.KindException:  {"SH-001", lifecycle.ExceptionReported, lifecycle.ExceptionReportedV1{Waybill: "SF1", Kind: "mis_sorted", At: 5000}},
	lifecycle.KindComplaint:  {"SH-001", lifecycle.ComplaintReceived, lifecycle.ComplaintReceivedV1{Ticket: "T1", Type: "praise", At: 5000}},
	lifecycle.KindNotice:     {syncproto.HubOrigin, lifecycle.NoticePublished, lifecycle.NoticePublishedV1{Title: "t", Severity: "info", ValidFrom: 5000}},
	lifecycle.KindTemplate:   {syncproto.HubOrigin, lifecycle.TemplatePublished, lifecycle.TemplateV1{Title: "t", Category: "delay"}},
	lifecycle.KindManifest:   {syncproto.HubOrigin, lifecycle.ManifestPublished, lifecycle.ManifestV1{Waybills: []string{"SF1"}, Courier: "k07", At: 5000}},
	lifecycle.KindHandover:   {"SH-001", lifecycle.HandoverOpened, lifecycle.HandoverOpenedV1{Courier: "k07", At: 5000}},
	lifecycle.KindTariff:     {syncproto.HubOrigin, lifecycle.TariffPublished, map[string]any{"version": "v1"}},
	lifecycle.KindProhibited: {syncproto.HubOrigin, lifecycle.ProhibitedPublished, lifecycle.ProhibitedListV1{Version: "p1"}},
	lifecycle.KindIncident:   {"SH-001", lifecycle.IncidentReported, lifecycle.IncidentReportedV1{OccurredAt: 4000, Cause: "weather", Text: "暴雨", At: 5000}},
}

// The case list holds exactly the kinds the lifecycle table gives a row,
// and each event type reaches the row of the kind that owns it.
func TestCaseKindsAreTheTable(t *testing.T) {
	for _, k := range lifecycle.Kinds() {
		for _, p := range k.Prefixes {
			typ := p + ".anything"
			want := ""
			if k.Row != nil {
				want = k.Name
			}
			if got := CaseKind(typ); got != want {
				t.Errorf("CaseKind(%s) = %q, want %q", typ, got, want)
			}
		}
		_, hasSample := creating[k.Name]
		if (k.Row != nil) != hasSample {
			t.Errorf("%s: listed %v, but this test has a creating event for it: %v", k.Name, k.Row != nil, hasSample)
		}
	}
	for _, typ := range []string{lifecycle.NoticeAcknowledged, lifecycle.PersonalViewed, "parcel.scanned", "nothing.at_all", "exception"} {
		if got := CaseKind(typ); got != "" {
			t.Errorf("CaseKind(%s) = %q, want none", typ, got)
		}
	}
	for name := range creating {
		if _, ok := lifecycle.KindByName(name); !ok {
			t.Errorf("%s is listed here but not in the lifecycle table", name)
		}
	}
}

func TestSummarize(t *testing.T) {
	ev := func(origin, typ, subject string, payload any) syncproto.Event {
		raw, _ := json.Marshal(payload)
		return syncproto.Event{ID: typ, Origin: origin, Seq: 1, HLC: hlc.Make(9000, 0), Type: typ, Subject: subject, Target: "SH-001", Payload: raw}
	}
	for name, c := range creating {
		t.Run(name, func(t *testing.T) {
			// Another kind's event on the same subject does not count.
			other := ev("SH-001", lifecycle.ParcelInbound, "id1", lifecycle.InboundV1{Waybill: "id1"})
			row, ok := Summarize(name, "id1", []syncproto.Event{other, ev(c.origin, c.typ, "id1", c.payload)}, lifecycle.Limits{})
			if !ok || row.Kind != name || row.ID != "id1" || !row.Open || row.State == "" || row.Since == 0 || row.HLC != hlc.Make(9000, 0) {
				t.Fatalf("row %+v, %v", row, ok)
			}
			if _, ok := Summarize(name, "id1", []syncproto.Event{other}, lifecycle.Limits{}); ok {
				t.Fatal("a row from another kind's event alone")
			}
		})
	}
	row, _ := Summarize(lifecycle.KindException, "x1", []syncproto.Event{ev("SH-001", lifecycle.ExceptionReported, "x1", creating[lifecycle.KindException].payload)}, lifecycle.Limits{})
	if row.Label != "mis_sorted" || row.Outlet != "SH-001" || row.Since != 5000 || row.State != lifecycle.ExceptionStateReported {
		t.Errorf("exception row %+v", row)
	}
	row, _ = Summarize(lifecycle.KindTariff, "v1", []syncproto.Event{ev(syncproto.HubOrigin, lifecycle.TariffPublished, "v1", map[string]any{"version": "v1"})}, lifecycle.Limits{})
	if row.Since != 9000 || row.State != "published" {
		t.Errorf("a version's row starts at its event's HLC time: %+v", row)
	}
	for _, kind := range []string{lifecycle.KindParcel, lifecycle.KindDispatch, lifecycle.KindShipment, "nothing"} {
		if _, ok := Summarize(kind, "SF1", []syncproto.Event{ev("SH-001", lifecycle.ParcelInbound, "SF1", lifecycle.InboundV1{Waybill: "SF1"})}, lifecycle.Limits{}); ok {
			t.Errorf("%s is not listed, yet Summarize made a row", kind)
		}
	}
}
