package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// After the period, the personal data of finished business is gone from
// every copy in the data file, down to its free pages once compacted,
// while what is still at the counter keeps it, and the counter's lists
// keep every fact but the sealed values.
func TestPurgePersonal(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte("photo-bytes-"), 8)...)
	// Finished business, old by the time of the purge.
	p, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "SF1000000000001", Phone: "13987654321", Name: "欧阳娜娜", Shelf: "2", Layer: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if p, err = f.svc.Pickup(ctx, f.clerk, p.Waybill, PickupReq{Code: p.PickupCode, IDCheck: "id_card", Signer: "agent", AgentName: "邻居司马懿", SignatureSVG: sig}); err != nil {
		t.Fatal(err)
	}
	c, _, err := f.svc.NewComplaint(ctx, f.clerk, ComplaintReq{Channel: "counter", Type: "suggestion", Category: "delay", Severity: "routine", Phone: "13700001111", Text: "希望早点开门"})
	if err != nil {
		t.Fatal(err)
	}
	x, err := f.svc.ReportException(ctx, f.clerk, ReportReq{Waybill: "SF1000000000001", Kind: "damaged", Note: "角压坏", Photos: [][]byte{png}})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"start_handling", "inform_customer", "close"} {
		if x, err = f.svc.ExceptionStep(ctx, f.clerk, x.ID, lifecycle.ExceptionStepV1{Step: st}); err != nil {
			t.Fatal(st, err)
		}
	}
	// An incident report head office resolved and the outlet closed.
	inc, err := f.svc.ReportIncident(ctx, f.clerk, IncidentReq{IncidentReportedV1: lifecycle.IncidentReportedV1{OccurredAt: f.clk.Now().Add(-time.Hour).UnixMilli(),
		Cause: "weather", Parcels: 3, DelayHours: 4, Text: "门口积水"}, Photos: [][]byte{testJPEG(2000)}})
	if err != nil {
		t.Fatal(err)
	}
	f.hubStep(t, 1, inc.ID, "acknowledge")
	f.hubStep(t, 2, inc.ID, "resolve")
	if _, err := f.svc.IncidentStep(ctx, f.clerk, inc.ID, lifecycle.IncidentStepV1{Step: "close"}); err != nil {
		t.Fatal(err)
	}
	// Still at the counter: a parcel in stock, however old.
	q, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "SF1000000000002", Phone: "13600002222", Name: "诸葛亮", Shelf: "2", Layer: "1"})
	if err != nil {
		t.Fatal(err)
	}
	oldComplaint, _ := f.svc.Complaint(c.ID)
	f.clk.Advance(200 * 24 * time.Hour)
	// Recent finished business: kept.
	r, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "SF1000000000003", Phone: "13500003333", Name: "孙尚香", Shelf: "2", Layer: "1"})
	if err != nil {
		t.Fatal(err)
	}
	sig2 := `<svg xmlns="http://www.w3.org/2000/svg"><path d="M1 1 L9 9"/></svg>`
	if _, err = f.svc.Pickup(ctx, f.clerk, r.Waybill, PickupReq{Code: r.PickupCode, IDCheck: "code_only", Signer: "recipient", SignatureSVG: sig2}); err != nil {
		t.Fatal(err)
	}
	cutoff := f.clk.Now().Add(-180 * 24 * time.Hour)

	// Nothing acknowledged yet: everything waits.
	got, err := PurgePersonal(ctx, f.file, cutoff, 2, false)
	if err != nil || got.Values != 0 {
		t.Fatalf("purge before the hub acknowledged: %+v %v", got, err)
	}
	if err := f.events.Acknowledge(f.events.Counters().LastSeq, nil); err != nil {
		t.Fatal(err)
	}
	// Gone after the purge: the finished parcel's values.
	sealedBefore := []string{p.PhoneSealed, p.NameSealed, p.Pickup.AgentNameSealed}
	for _, s := range append(sealedBefore, oldComplaint.PhoneSealed, oldComplaint.TextSealed) {
		if s == "" {
			t.Fatalf("fixture: a sealed value is empty: %q", sealedBefore)
		}
	}
	listsBefore := lists(t, f)
	dry, err := PurgePersonal(ctx, f.file, cutoff, 2, true)
	if err != nil || dry.Values == 0 || dry.Photos != 2 {
		t.Fatalf("dry run: %+v %v", dry, err)
	}
	if after := lists(t, f); after != listsBefore {
		t.Fatal("a dry run changed the counter's lists")
	}
	got, err = PurgePersonal(ctx, f.file, cutoff, 2, false)
	if err != nil {
		t.Fatal(err)
	}
	if got.Values != dry.Values || got.Photos != 2 || got.Entities[lifecycle.KindParcel] != 1 {
		t.Fatalf("purged %+v, dry run said %+v", got, dry)
	}
	// The open suggestion keeps its words; the parcel in stock its phone.
	if now, _ := f.svc.Complaint(c.ID); now.TextSealed != oldComplaint.TextSealed {
		t.Fatal("an open complaint lost its text")
	}
	if now, _ := f.svc.Parcel(q.Waybill); now.PhoneSealed != q.PhoneSealed || now.PhoneSealed == "" {
		t.Fatal("a parcel in stock lost its phone")
	}
	if evs, _ := f.svc.History(lifecycle.KindParcel, r.Waybill); !bytes.Contains(mustJSON(evs), []byte("signature_svg")) {
		t.Fatal("a recent pickup lost its signature")
	}
	if evs, _ := f.svc.History(lifecycle.KindParcel, p.Waybill); bytes.Contains(mustJSON(evs), []byte("signature_svg")) || bytes.Contains(mustJSON(evs), []byte(p.PhoneSealed)) {
		t.Fatal("a purged pickup's history holds its signature or phone")
	}
	now, err := f.svc.Parcel(p.Waybill)
	if err != nil || now.PhoneSealed != "" || now.NameSealed != "" || now.Pickup.AgentNameSealed != "" || now.Pickup.SignatureSVG != "" {
		t.Fatalf("purged parcel still holds personal data: %+v", now)
	}
	// Every fact stays, and the masked forms the screen shows.
	if now.State != p.State || now.PhoneMasked != p.PhoneMasked || now.Customer != p.Customer || now.Pickup.SignatureSHA256 != p.Pickup.SignatureSHA256 ||
		now.Pickup.AgentNameMasked != p.Pickup.AgentNameMasked || !now.InboundAt.Equal(p.InboundAt) || len(now.History) != len(p.History) {
		t.Fatalf("purge changed facts:\n%+v\n%+v", now, p)
	}
	if _, err := f.svc.Reveal(ctx, f.boss, lifecycle.KindParcel, p.Waybill, "phone"); !problem.Is(err, problem.PersonalFieldMissing) {
		t.Fatalf("reveal a purged phone: %v", err)
	}
	if _, err := f.svc.Photo(x.Photos[0].SHA256); !problem.Is(err, problem.PhotoNotFound) {
		t.Fatalf("purged photo: %v", err)
	}
	if _, err := f.svc.Photo(inc.Photos[0].SHA256); !problem.Is(err, problem.PhotoNotFound) {
		t.Fatalf("purged incident photo: %v", err)
	}
	again, err := PurgePersonal(ctx, f.file, cutoff, 2, false)
	if err != nil || again.Values != 0 || again.Photos != 0 {
		t.Fatalf("second purge %+v %v", again, err)
	}
	// A later step refolds from the scrubbed events: nothing comes back.
	f.events.Close()
	f.file.Close()
	if _, _, err := datafile.Compact(f.dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(f.dir, datafile.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range append(sealedBefore, string(mustJSON(sig)), string(png)) {
		if bytes.Contains(raw, []byte(s)) {
			t.Fatalf("%.40q is still in the data file", s)
		}
	}
	for _, s := range []string{q.PhoneSealed, p.PhoneMasked, oldComplaint.TextSealed, oldComplaint.PhoneSealed, string(mustJSON(sig2))} {
		if !bytes.Contains(raw, []byte(s)) {
			t.Fatalf("%.40q, which stays, is not in the data file: is the check looking at the right file?", s)
		}
	}
}

// lists is the JSON of the counter's lists.
func lists(t *testing.T, f *fixture) string {
	t.Helper()
	ps, err := f.svc.Parcels("", 100)
	if err != nil {
		t.Fatal(err)
	}
	cs, _ := f.svc.Complaints(false, 100)
	xs, _ := f.svc.Exceptions(false, 100)
	raw, _ := json.Marshal([]any{ps, cs, xs})
	return string(raw)
}

func mustJSON(v any) []byte {
	raw, _ := json.Marshal(v)
	return raw
}

// A compacted entity whose state a salvaged file lost still takes new
// steps: they fold from the events held, and nothing is refused.
func TestCompactedEntityWithoutItsState(t *testing.T) {
	f := newFixture(t, 0)
	ctx := context.Background()
	p, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: "SF1000000000009", Phone: "13987654321", Shelf: "2", Layer: "1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Pickup(ctx, f.clerk, p.Waybill, PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "recipient", SignatureSVG: sig}); err != nil {
		t.Fatal(err)
	}
	if err := f.events.Acknowledge(f.events.Counters().LastSeq, nil); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(100 * 24 * time.Hour)
	if c, err := Compact(ctx, f.file, f.clk.Now().Add(-90*24*time.Hour), 0, false); err != nil || c.Entities[lifecycle.KindParcel] != 1 {
		t.Fatalf("compacted %+v %v", c, err)
	}
	if err := f.file.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketState).Delete(stateKey(lifecycle.KindParcel, p.Waybill))
	}); err != nil {
		t.Fatal(err)
	}
	again, _, err := f.svc.Inbound(ctx, f.clerk, InboundReq{Barcode: p.Waybill, Phone: "13987654321", Shelf: "3", Layer: "1"})
	if err != nil || again.State != lifecycle.ParcelStateInStock {
		t.Fatalf("taken in again after its state was lost: %+v %v", again, err)
	}
}
