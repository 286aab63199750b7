package storetest

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// PurgeSecrets are the sealed values and the signature PurgeScenario's
// finished business carries: none of them may be left after the purge.
var PurgeSecrets = []string{"v2:0badc0de:PHONE-OF-SF1", "v2:0badc0de:NAME-OF-SF1", "v2:0badc0de:AGENT-OF-SF1",
	"v2:0badc0de:PHONE-OF-CR1", "v2:0badc0de:TEXT-OF-CR1", "M9 9 L1 1 purged-stroke"}

// PurgeKept are sealed values of business still open or recent, which
// stay.
var PurgeKept = []string{"v2:0badc0de:PHONE-OF-SF2", "v2:0badc0de:PHONE-OF-CR2", "v2:0badc0de:PHONE-OF-SF3"}

// PurgeScenario is an outlet's batch: a parcel picked up and a complaint
// closed 200 days before now, a parcel still in stock and a complaint
// still open since then, and a parcel picked up yesterday.
func PurgeScenario(now time.Time) *syncproto.Batch {
	old, recent := now.Add(-200*24*time.Hour), now.Add(-24*time.Hour)
	at := func(t time.Time, min int) time.Time { return t.Add(time.Duration(min) * time.Minute) }
	steps := []step{
		{at(old, 0), "c01", lifecycle.ParcelInbound, "SF1", map[string]any{"waybill": "SF1", "phone_sealed": PurgeSecrets[0], "phone_masked": "139****0001",
			"name_sealed": PurgeSecrets[1], "name_masked": "王*", "customer": "cust-hash-1", "hold_days": 7, "at": at(old, 0).UnixMilli()}},
		{at(old, 3), "c01", lifecycle.ParcelShelved, "SF1", map[string]any{"shelf": "A", "layer": "1", "code": "A-1-0001", "at": at(old, 3).UnixMilli()}},
		{at(old, 5), "c01", lifecycle.ParcelPickedUp, "SF1", map[string]any{"id_check": "id_card", "signer": "agent", "agent_name_sealed": PurgeSecrets[2],
			"agent_name_masked": "邻*", "signature_sha256": "ab12", "signature_svg": `<svg><path d="` + PurgeSecrets[5] + `"/></svg>`, "staff": "c01", "at": at(old, 5).UnixMilli()}},
		{at(old, 1), "c01", lifecycle.ParcelInbound, "SF2", map[string]any{"waybill": "SF2", "phone_sealed": PurgeKept[0], "phone_masked": "139****0002", "hold_days": 7, "at": at(old, 1).UnixMilli()}},
		{at(old, 2), "c01", lifecycle.ParcelShelved, "SF2", map[string]any{"shelf": "A", "layer": "1", "code": "A-1-0002", "at": at(old, 2).UnixMilli()}},
		{at(old, 10), "c01", lifecycle.ComplaintReceived, "CR1", map[string]any{"ticket": "CR1", "channel": "counter", "type": "suggestion", "category": "delay",
			"severity": "routine", "phone_sealed": PurgeSecrets[3], "customer_masked": "138****0001", "customer": "cust-hash-1", "text_sealed": PurgeSecrets[4], "owner": "c01", "at": at(old, 10).UnixMilli()}},
		{at(old, 11), "c01", lifecycle.ComplaintStep, "CR1", map[string]any{"step": "acknowledge", "at": at(old, 11).UnixMilli()}},
		{at(old, 12), "c01", lifecycle.ComplaintStep, "CR1", map[string]any{"step": "close", "at": at(old, 12).UnixMilli()}},
		{at(old, 20), "c01", lifecycle.ComplaintReceived, "CR2", map[string]any{"ticket": "CR2", "channel": "counter", "type": "complaint", "category": "delay",
			"severity": "routine", "phone_sealed": PurgeKept[1], "text": "x", "owner": "c01", "at": at(old, 20).UnixMilli()}},
		{at(recent, 0), "c01", lifecycle.ParcelInbound, "SF3", map[string]any{"waybill": "SF3", "phone_sealed": PurgeKept[2], "hold_days": 7, "at": at(recent, 0).UnixMilli()}},
		{at(recent, 0), "c01", lifecycle.ParcelShelved, "SF3", map[string]any{"shelf": "A", "layer": "1", "code": "A-1-0003", "at": at(recent, 0).UnixMilli()}},
		{at(recent, 1), "c01", lifecycle.ParcelPickedUp, "SF3", map[string]any{"id_check": "code_only", "signer": "recipient", "signature_sha256": "cd34", "staff": "c01", "at": at(recent, 1).UnixMilli()}},
	}
	b := &syncproto.Batch{Origin: "SH-R", First: 1, Last: uint64(len(steps))}
	for i, st := range steps {
		b.Events = append(b.Events, st.event("SH-R", uint64(i+1), 0))
	}
	return b
}

// views is what head office's lists and measures read of the store: the
// case list, the parcel index and the rollups.
func purgeViews(t *testing.T, s store.Store, now time.Time) string {
	t.Helper()
	ctx := context.Background()
	var out []any
	for _, kind := range []string{lifecycle.KindComplaint, lifecycle.KindException} {
		cs, err := s.Cases(ctx, store.CaseQuery{Kind: kind, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, cs)
		fs, err := s.Facts(ctx, kind, store.RollupQuery{From: 0, To: math.MaxInt64})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fs)
	}
	ts, err := s.Tallies(ctx, store.RollupQuery{From: 0, To: math.MaxInt32})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.SearchParcels(ctx, store.ParcelQuery{Prefix: "SF", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(append(out, ts, ps))
	return string(raw)
}

// StoredEvents is every visible event's JSON of the scenario's subjects.
func StoredEvents(t *testing.T, s store.Store) string {
	t.Helper()
	var all []syncproto.Event
	for _, sub := range []string{"SF1", "SF2", "SF3", "CR1", "CR2"} {
		evs, err := s.SubjectEvents(context.Background(), sub)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, evs...)
	}
	raw, _ := json.Marshal(all)
	return string(raw)
}

// testPurgePersonal: the purge removes the personal data of finished
// business from the stored events and nothing else; the case list, the
// parcel index and the rollups stay; the run is in the audit trail; the
// same events sent again are replays, not conflicts.
func testPurgePersonal(t *testing.T, be Backend) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	wall := clock.NewManual(now)
	s := be.Open(t, wall)
	b := PurgeScenario(now)
	commit(t, s, b)
	before, stored := purgeViews(t, s, now), StoredEvents(t, s)
	for _, v := range append(PurgeSecrets, PurgeKept...) {
		if !strings.Contains(stored, jsonText(v)) {
			t.Fatalf("%q not stored before the purge", v)
		}
	}
	prof, err := s.Customer(ctx, "cust-hash-1")
	if err != nil || prof.Contact.PhoneSealed == "" || prof.Contact.PhoneMasked == "" {
		t.Fatalf("the customer's profile before the purge: %+v %v", prof, err)
	}
	cutoff := now.Add(-180 * 24 * time.Hour)
	dry, err := s.PurgePersonal(ctx, cutoff, 180, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if StoredEvents(t, s) != stored {
		t.Fatal("a dry run changed the stored events")
	}
	rep, err := s.PurgePersonal(ctx, cutoff, 180, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{lifecycle.KindParcel: 1, lifecycle.KindComplaint: 1, "customer": 1}
	if !reflect.DeepEqual(rep.Entities, want) || rep.Events != 3 || rep.Values != 6 || !reflect.DeepEqual(dry.Entities, rep.Entities) || dry.Values != rep.Values {
		t.Fatalf("purged %+v (dry run %+v), want %v in 3 events, 6 values", rep, dry, want)
	}
	after := StoredEvents(t, s)
	for _, v := range PurgeSecrets {
		if strings.Contains(after, v) {
			t.Fatalf("%q still stored after the purge", v)
		}
	}
	for _, v := range append(PurgeKept, "139****0001", "cust-hash-1", "ab12", "邻*") {
		if !strings.Contains(after, jsonText(v)) {
			t.Fatalf("%q, which stays, is gone", v)
		}
	}
	// The profile keeps its figures and loses its contact.
	got, err := s.Customer(ctx, "cust-hash-1")
	if err != nil || got.Contact != (store.Contact{}) {
		t.Fatalf("the customer's contact after the purge: %+v %v", got.Contact, err)
	}
	got.Contact = prof.Contact
	if !reflect.DeepEqual(got, prof) {
		t.Fatalf("the purge changed the customer's figures:\n%+v\n%+v", prof, got)
	}
	if got := purgeViews(t, s, now); got != before {
		t.Fatalf("the purge changed head office's lists or rollups:\n%s\n%s", before, got)
	}
	rows, err := s.Audit(ctx, store.AuditQuery{Action: lifecycle.RetentionRan, Limit: 10})
	if err != nil || len(rows) != 1 || rows[0].Origin != syncproto.HubOrigin || rows[0].Subject != "retention/personal" {
		t.Fatalf("audit rows %+v %v", rows, err)
	}
	var p lifecycle.RetentionV1
	if err := json.Unmarshal([]byte(rows[0].Detail), &p); err != nil || p.Removed["values"] != 6 || p.Days != 180 || p.Cutoff != cutoff.UnixMilli() {
		t.Fatalf("audit detail %s %v", rows[0].Detail, err)
	}
	// A restored outlet sends its old events again, personal data and all.
	res := commit(t, s, PurgeScenario(now))
	if res[0].Refused != nil || !res[0].Replayed || res[0].AckedSeq != b.Last {
		t.Fatalf("resent after the purge: %+v", res[0])
	}
	// Another version of a purged event is still a conflict.
	other := PurgeScenario(now)
	other.Events[0].Payload = json.RawMessage(strings.Replace(string(other.Events[0].Payload), "139****0001", "139****9999", 1))
	if res := commit(t, s, other); res[0].Refused == nil {
		t.Fatalf("a changed purged event was taken: %+v", res[0])
	}
	if again, err := s.PurgePersonal(ctx, cutoff, 180, 0, false); err != nil || again.Values != 0 {
		t.Fatalf("second purge %+v %v", again, err)
	}
}

// jsonText is v as it appears inside a JSON string.
func jsonText(v string) string {
	raw, _ := json.Marshal(v)
	return string(raw[1 : len(raw)-1])
}
