package lifecycle

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
)

func scanEv(m *evMaker, at time.Duration, waybill, action string) syncproto.Event {
	return m.ev("SH-001", at, ParcelScanned, waybill, ScannedV1{Barcode: waybill, Action: action, Scanner: "counter-1"})
}

// What a scan does to a parcel, state by state (see ParcelScanned).
func TestScanFold(t *testing.T) {
	var m evMaker
	inbound := m.ev("SH-001", time.Minute, ParcelInbound, "SF1", InboundV1{Waybill: "SF1", PhoneMasked: "138****5678", HoldDays: 7, At: t0.Add(time.Minute).UnixMilli()})
	shelved := m.ev("SH-001", 2*time.Minute, ParcelShelved, "SF1", ShelvedV1{Shelf: "3", Layer: "2", Code: "3-2-0042", At: t0.Add(2 * time.Minute).UnixMilli()})
	picked := m.ev("SH-001", 3*time.Minute, ParcelPickedUp, "SF1", PickupV1{IDCheck: "code_only", Signer: "recipient", SignatureSHA256: "ab", Staff: "c01"})
	for _, tc := range []struct {
		name      string
		evs       []syncproto.Event
		state     string
		scans     int
		code      string
		history   int
		lastScans string
	}{
		{"inbound scan of an unknown parcel", []syncproto.Event{scanEv(&m, 0, "SF1", "inbound")}, ParcelStateScanned, 1, "", 0, "inbound"},
		{"other action on an unknown parcel", []syncproto.Event{scanEv(&m, 0, "SF1", "count")}, "", 1, "", 0, "count"},
		{"clerk takes a scanned parcel in", []syncproto.Event{scanEv(&m, 0, "SF1", "inbound"), inbound}, ParcelStateInbound, 1, "", 1, "inbound"},
		{"scan of a shelved parcel", []syncproto.Event{inbound, shelved, scanEv(&m, 150*time.Second, "SF1", "inbound")}, ParcelStateInStock, 1, "3-2-0042", 2, "inbound"},
		{"scan of a picked-up parcel", []syncproto.Event{inbound, shelved, picked, scanEv(&m, 4*time.Minute, "SF1", "inbound")}, ParcelStatePickedUp, 1, "3-2-0042", 3, "inbound"},
		{"scans before and after", []syncproto.Event{scanEv(&m, 0, "SF1", "inbound"), scanEv(&m, 30*time.Second, "SF1", "inbound"), inbound, shelved, scanEv(&m, 5*time.Minute, "SF1", "inbound")}, ParcelStateInStock, 3, "3-2-0042", 2, "inbound"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := FoldParcel("SF1", slices.Clone(tc.evs))
			if p.State != tc.state || p.Scans != tc.scans || p.PickupCode != tc.code || len(p.History) != tc.history || p.LastAction != tc.lastScans {
				t.Fatalf("state %q scans %d code %q history %d last action %q: %+v", p.State, p.Scans, p.PickupCode, len(p.History), p.LastAction, p)
			}
			if len(p.Conflicts) != 0 {
				t.Fatalf("a scan made a conflict: %+v", p.Conflicts)
			}
			var first, last *syncproto.Event
			for i := range tc.evs {
				if e := &tc.evs[i]; e.Type == ParcelScanned {
					if first == nil {
						first = e
					}
					last = e
				}
			}
			if p.FirstSeq != first.Seq || p.LastSeq != last.Seq || p.FirstHLC != first.HLC || p.LastHLC != last.HLC {
				t.Fatalf("first/last %d/%d %v/%v, want %d/%d %v/%v", p.FirstSeq, p.LastSeq, p.FirstHLC, p.LastHLC, first.Seq, last.Seq, first.HLC, last.HLC)
			}
		})
	}
}

// A scan is never refused, whatever the parcel's state.
func TestScanAlwaysLegal(t *testing.T) {
	for _, state := range []string{"", ParcelStateScanned, ParcelStateInbound, ParcelStateInStock, ParcelStatePickedUp, ParcelStateRefused,
		ParcelStateOverdue, ParcelStateReturning, ParcelStateOutForDelivery, ParcelStateDelivered} {
		p := Parcel{Waybill: "SF1", State: state}
		if err := p.Check(ParcelScanned); err != nil {
			t.Errorf("scan in state %q refused: %v", state, err)
		}
		if slices.Contains(p.Allowed(), ParcelScanned) {
			t.Errorf("a scan is listed as a counter step in state %q", state)
		}
	}
}

// The API shows the scan summary next to the parcel's state, under the
// names the scan projection used.
func TestScanSummaryJSON(t *testing.T) {
	var m evMaker
	p := FoldParcel("SF1", []syncproto.Event{scanEv(&m, 0, "SF1", "inbound"), scanEv(&m, time.Second, "SF1", "inbound")})
	raw, _ := json.Marshal(p)
	var got map[string]any
	json.Unmarshal(raw, &got)
	for k, want := range map[string]any{"status": "scanned", "scans": 2.0, "last_action": "inbound", "first_seq": 1.0, "last_seq": 2.0, "outlet": "SH-001"} {
		if got[k] != want {
			t.Errorf("%s = %v, want %v in %s", k, got[k], want, raw)
		}
	}
	if got["first_hlc"] == nil || got["last_hlc"] == nil {
		t.Errorf("no stamps in %s", raw)
	}
}

// Scans mixed with counter steps fold the same in any arrival order.
func TestScanFoldOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var m evMaker
	evs := []syncproto.Event{
		scanEv(&m, 0, "SF1", "inbound"),
		m.ev("SH-001", time.Minute, ParcelInbound, "SF1", InboundV1{Waybill: "SF1", HoldDays: 7, At: t0.Add(time.Minute).UnixMilli()}),
		scanEv(&m, 90*time.Second, "SF1", "inbound"),
		m.ev("SH-001", 2*time.Minute, ParcelShelved, "SF1", ShelvedV1{Shelf: "1", Layer: "1", Code: "1-1-0001", At: t0.Add(2 * time.Minute).UnixMilli()}),
		scanEv(&m, 3*time.Minute, "SF1", "inbound"),
	}
	want, _ := json.Marshal(FoldParcel("SF1", slices.Clone(evs)))
	for i := 0; i < 20; i++ {
		rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		if got, _ := json.Marshal(FoldParcel("SF1", slices.Clone(evs))); string(got) != string(want) {
			t.Fatalf("fold depends on arrival order:\n%s\n%s", want, got)
		}
	}
}
