package eventlog

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// Parcel is the projection of one waybill's events at this outlet.
type Parcel struct {
	Waybill    string        `json:"waybill"`
	Status     string        `json:"status"`
	LastAction string        `json:"last_action"`
	Scans      int           `json:"scans"`
	FirstSeq   uint64        `json:"first_seq"`
	LastSeq    uint64        `json:"last_seq"`
	FirstHLC   hlc.Timestamp `json:"first_hlc"`
	LastHLC    hlc.Timestamp `json:"last_hlc"`
}

// ScanPayload is the payload of a TypeScanned event, version 1.
type ScanPayload struct {
	Barcode   string   `json:"barcode"`
	Action    string   `json:"action"`
	Symbology string   `json:"symbology,omitempty"`
	Scanner   string   `json:"scanner,omitempty"`
	Kind      string   `json:"kind,omitempty"`     // s10, sscc, gtin, gs1, carrier, unknown
	Carriers  []string `json:"carriers,omitempty"` // candidate carriers; prefixes overlap
	Flags     []string `json:"flags,omitempty"`    // e.g. unknown_format
}

// TypeScanned is a barcode read at the outlet for an action such as inbound.
const TypeScanned = "parcel.scanned"

// statusAfter maps a scan action to the parcel status it leaves.
var statusAfter = map[string]string{
	"inbound": "in_stock",
}

// parcelProjector keeps parcels/ and parcel_events/ in step with scans.
type parcelProjector struct{}

func (parcelProjector) Project(tx *bolt.Tx, ev *syncproto.Event) error {
	if ev.Type != TypeScanned || ev.Subject == "" {
		return nil
	}
	var p ScanPayload
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		return fmt.Errorf("scan payload: %w", err)
	}
	parcels := tx.Bucket(bucketParcels)
	var cur Parcel
	if raw := parcels.Get([]byte(ev.Subject)); raw != nil {
		if err := json.Unmarshal(raw, &cur); err != nil {
			return err
		}
	} else {
		cur = Parcel{Waybill: ev.Subject, FirstSeq: ev.Seq, FirstHLC: ev.HLC}
	}
	cur.Scans++
	cur.LastAction = p.Action
	if s, ok := statusAfter[p.Action]; ok {
		cur.Status = s
	}
	cur.LastSeq, cur.LastHLC = ev.Seq, ev.HLC
	raw, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	if err := parcels.Put([]byte(ev.Subject), raw); err != nil {
		return err
	}
	return tx.Bucket(bucketParcelEvents).Put(parcelEventKey(ev.Subject, ev.Seq), nil)
}

func parcelEventKey(waybill string, seq uint64) []byte {
	k := make([]byte, 0, len(waybill)+9)
	k = append(k, waybill...)
	k = append(k, 0)
	return append(k, u64Key(seq)...)
}

// ErrNotFound is returned for an unknown waybill.
var ErrNotFound = errors.New("not found")

// Parcel returns a waybill's projection and its events in order.
func (l *Log) Parcel(waybill string) (Parcel, []syncproto.Event, error) {
	var p Parcel
	var evs []syncproto.Event
	err := l.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucketParcels).Get([]byte(waybill))
		if raw == nil {
			return ErrNotFound
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return err
		}
		prefix := append([]byte(waybill), 0)
		c := tx.Bucket(bucketParcelEvents).Cursor()
		events := tx.Bucket(bucketEvents)
		for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
			var ev syncproto.Event
			if err := json.Unmarshal(events.Get(k[len(prefix):]), &ev); err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		return nil
	})
	return p, evs, err
}
