package lifecycle

import (
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// ParcelScanned is a barcode read at the outlet by a scanner or the counter
// screen, for an action such as inbound. Its subject is the waybill.
//
// A scan is a fact, never a request: it is folded in every state and is
// never a conflict, so a counter never waits on a check. It changes a
// parcel this little:
//
//   - every scan counts in the parcel's ScanSummary (scans, last action,
//     first and last sequence and HLC stamp);
//   - an inbound scan of a parcel that has no state here yet (never taken
//     in at this outlet) leaves it ParcelStateScanned: seen, but not
//     registered at the counter — no phone, no pickup code, no holding
//     period, so no timers run for it. A clerk's ParcelInbound goes on from
//     there as from no state;
//   - a scan of a parcel in any other state (inbound, shelved, picked up,
//     out with a courier...) changes nothing else, whatever its action.
//
// Scans are not steps: they are not in Allowed and not in History.
const ParcelScanned = "parcel.scanned"

// ParcelStateScanned: read by a device, not yet taken in at the counter.
const ParcelStateScanned = "scanned"

// ScanActionInbound is the action of a scan that receives a parcel.
const ScanActionInbound = "inbound"

// ScannedV1 is the payload of ParcelScanned.
type ScannedV1 struct {
	Barcode   string   `json:"barcode"`
	Action    string   `json:"action"`
	Symbology string   `json:"symbology,omitempty"`
	Scanner   string   `json:"scanner,omitempty"`
	Kind      string   `json:"kind,omitempty"`     // s10, sscc, gtin, gs1, carrier, unknown
	Carriers  []string `json:"carriers,omitempty"` // candidate carriers; prefixes overlap
	Flags     []string `json:"flags,omitempty"`    // e.g. unknown_format
}

// ScanSummary is what device scans told about a parcel. The sequence
// numbers and stamps are those of the scans at the recording outlet.
type ScanSummary struct {
	Scans      int           `json:"scans,omitempty"`
	LastAction string        `json:"last_action,omitempty"`
	FirstSeq   uint64        `json:"first_seq,omitempty"`
	LastSeq    uint64        `json:"last_seq,omitempty"`
	FirstHLC   hlc.Timestamp `json:"first_hlc,omitempty"`
	LastHLC    hlc.Timestamp `json:"last_hlc,omitempty"`
}

// applyScan folds one scan; see ParcelScanned. A payload that does not
// decode still counts as a scan with no action.
func (p *Parcel) applyScan(ev *syncproto.Event) {
	var s ScannedV1
	_ = decode(ev, &s)
	sum := &p.ScanSummary
	if sum.Scans == 0 {
		sum.FirstSeq, sum.FirstHLC = ev.Seq, ev.HLC
	}
	sum.Scans++
	sum.LastAction, sum.LastSeq, sum.LastHLC = s.Action, ev.Seq, ev.HLC
	if p.State == "" && s.Action == ScanActionInbound {
		p.State, p.Outlet = ParcelStateScanned, ev.Origin
	}
}
