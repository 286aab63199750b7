package workflow

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

// Buckets this package owns in the agent's data file. Change this drawing
// with every change of layout.
//
//	wf_events/  <kind> 0 <id> 0 <hlc BE8> <origin> 0 <seq BE8>  → event JSON
//	            every event of every entity, from this outlet and from head office
//	wf_state/   <kind> 0 <id>                 → folded state JSON (lifecycle types)
//	wf_list/    <kind> 0 <first hlc BE8> <id> → (empty) for listing newest first
//	wf_codes/   <pickup code>                 → waybill, for parcels in stock
//	wf_last4/   <phone last 4> 0 <waybill>    → (empty), for parcels in stock
//	wf_blobs/   <sha256 hex>                  → photo bytes
//	wf_open/    <kind> 0 <id>                 → (empty) while the entity is not finished:
//	            parcels inbound, in stock or overdue; exceptions and complaints not closed
var (
	bucketEvents = []byte("wf_events")
	bucketState  = []byte("wf_state")
	bucketList   = []byte("wf_list")
	bucketCodes  = []byte("wf_codes")
	bucketLast4  = []byte("wf_last4")
	bucketBlobs  = []byte("wf_blobs")
	bucketOpen   = []byte("wf_open")
	allBuckets   = [][]byte{bucketEvents, bucketState, bucketList, bucketCodes, bucketLast4, bucketBlobs, bucketOpen}
)

// Entity kinds.
const (
	KindParcel     = "parcel"
	KindException  = "exception"
	KindComplaint  = "complaint"
	KindNotice     = "notice"
	KindTemplate   = "template"
	KindManifest   = "manifest"
	KindHandover   = "handover"
	KindDispatch   = "dispatch"
	KindTariff     = "tariff"
	KindProhibited = "prohibited"
	KindWaybills   = "waybills"
	KindShipment   = "shipment"
)

// kindOf maps an event type to the entity it changes, or "".
func kindOf(typ string) string {
	prefix, _, _ := strings.Cut(typ, ".")
	switch prefix {
	case "parcel":
		if typ == "parcel.scanned" {
			return "" // device scans are projected by the event log itself
		}
		return KindParcel
	case "exception", "complaint", "notice", "template", "manifest", "handover", "tariff", "prohibited", "shipment":
		return prefix
	case "waybill", "waybill_block":
		return KindWaybills
	}
	return ""
}

// Prepare creates this package's buckets.
func Prepare(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
}

func entityKey(kind, id string) []byte {
	return append(append(append([]byte(kind), 0), id...), 0)
}

func eventKey(kind, id string, ev *syncproto.Event) []byte {
	k := entityKey(kind, id)
	k = binary.BigEndian.AppendUint64(k, uint64(ev.HLC))
	k = append(append(k, ev.Origin...), 0)
	return binary.BigEndian.AppendUint64(k, ev.Seq)
}

func stateKey(kind, id string) []byte { return append(append([]byte(kind), 0), id...) }

// entityEvents reads an entity's events in fold order.
func entityEvents(tx *bolt.Tx, kind, id string) ([]syncproto.Event, error) {
	prefix := entityKey(kind, id)
	var out []syncproto.Event
	c := tx.Bucket(bucketEvents).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var ev syncproto.Event
		if err := json.Unmarshal(v, &ev); err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// fold folds an entity's events into its lifecycle state.
func fold(tx *bolt.Tx, kind, id string, evs []syncproto.Event) any {
	switch kind {
	case KindManifest:
		return lifecycle.FoldManifest(id, evs)
	case KindDispatch:
		return foldBatch(id, evs)
	case KindWaybills:
		return lifecycle.FoldWaybills(id, evs)
	case KindTariff:
		t := TariffState{ID: id}
		t.Published = lastFromHub(evs, &t.Tariff)
		return t
	case KindProhibited:
		l := ProhibitedState{ID: id}
		l.Published = lastFromHub(evs, &l.ProhibitedListV1)
		return l
	case KindShipment:
		var sh lifecycle.ShipmentV1
		for i := range evs {
			if evs[i].Type == lifecycle.ShipmentAccepted && json.Unmarshal(evs[i].Payload, &sh) == nil {
				break
			}
		}
		return sh
	case KindHandover:
		return lifecycle.FoldHandover(id, evs, sessionManifests(tx, evs))
	case KindParcel:
		return lifecycle.FoldParcel(id, evs)
	case KindException:
		return lifecycle.FoldException(id, evs)
	case KindComplaint:
		return lifecycle.FoldComplaint(id, evs)
	case KindNotice:
		return lifecycle.FoldNotice(id, evs)
	case KindTemplate:
		var t lifecycle.Template
		if lastFromHub(evs, &t.TemplateV1) {
			t.ID = id
		}
		return t
	}
	return nil
}

// lastFromHub decodes into v the payload of the last event head office
// published, in fold order; only head office publishes lists and templates.
// It reports whether there was one.
func lastFromHub(evs []syncproto.Event, v any) bool {
	lifecycle.Order(evs)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Origin == syncproto.HubOrigin && json.Unmarshal(evs[i].Payload, v) == nil {
			return true
		}
	}
	return false
}

// getState reads an entity's folded state into v; false if it has none.
func getState(tx *bolt.Tx, kind, id string, v any) (bool, error) {
	raw := tx.Bucket(bucketState).Get(stateKey(kind, id))
	if raw == nil {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

// ErrCodeTaken is a pickup code another parcel in stock already has; the
// caller picks another number.
var ErrCodeTaken = errors.New("取件码已被占用 / pickup code taken")

// projector keeps the workflow buckets in step with the log: it is both the
// event log's Projector (events recorded here) and the sync client's
// DownApplier (events from head office).
type projector struct{}

// Projector returns the projector to register with the event log and the
// sync client.
func Projector() projector { return projector{} }

func (projector) Project(tx *bolt.Tx, ev *syncproto.Event) error { return apply(tx, ev, true) }

func (projector) ApplyDown(tx *bolt.Tx, ev *syncproto.Event) error { return apply(tx, ev, false) }

// target is one entity an event belongs to.
type target struct{ kind, id string }

// targets lists the entities ev belongs to. Most events have one, their
// subject; a dispatch batch also belongs to every parcel in it, and a
// delivery or return also to the batch it closes.
func targets(ev *syncproto.Event) []target {
	if strings.HasPrefix(ev.Type, "dispatch.") {
		switch ev.Type {
		case lifecycle.DispatchOut:
			out := []target{{KindDispatch, ev.Subject}}
			for _, w := range lifecycle.Subjects(ev)[1:] {
				out = append(out, target{KindParcel, w})
			}
			return out
		case lifecycle.DispatchReturned, lifecycle.DispatchDelivered:
			var b struct {
				Batch string `json:"batch"`
			}
			out := []target{{KindParcel, ev.Subject}}
			if json.Unmarshal(ev.Payload, &b) == nil && b.Batch != "" {
				out = append(out, target{KindDispatch, b.Batch})
			}
			return out
		}
		return nil
	}
	kind := kindOf(ev.Type)
	if kind == "" || ev.Subject == "" {
		return nil
	}
	return []target{{kind, ev.Subject}}
}

// apply stores ev with each entity it belongs to and re-folds them. A step
// recorded here (local) that is illegal now is refused before anything is
// written; a step from head office is a fact and is folded, conflicts and
// all.
func apply(tx *bolt.Tx, ev *syncproto.Event, local bool) error {
	ts := targets(ev)
	if len(ts) == 0 {
		return nil
	}
	for _, b := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	known := make([][]syncproto.Event, len(ts))
	for i, t := range ts {
		evs, err := entityEvents(tx, t.kind, t.id)
		if err != nil {
			return err
		}
		if local {
			if err := checkLocal(tx, t.kind, t.id, ev, evs); err != nil {
				return err
			}
		}
		known[i] = evs
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	for i, t := range ts {
		if err := applyTo(tx, t, ev, raw, known[i]); err != nil {
			return err
		}
	}
	return nil
}

func applyTo(tx *bolt.Tx, t target, ev *syncproto.Event, raw []byte, evs []syncproto.Event) error {
	if err := tx.Bucket(bucketEvents).Put(eventKey(t.kind, t.id, ev), raw); err != nil {
		return err
	}
	if len(evs) == 0 {
		lk := binary.BigEndian.AppendUint64(append([]byte(t.kind), 0), uint64(ev.HLC))
		if err := tx.Bucket(bucketList).Put(append(lk, t.id...), nil); err != nil {
			return err
		}
	}
	evs = append(evs, *ev)
	state := fold(tx, t.kind, t.id, evs)
	if p, ok := state.(lifecycle.Parcel); ok {
		var old lifecycle.Parcel
		if _, err := getState(tx, t.kind, t.id, &old); err != nil {
			return err
		}
		if err := indexParcel(tx, &old, &p); err != nil {
			return err
		}
	}
	st, err := json.Marshal(state)
	if err != nil {
		return err
	}
	// The open index is what timers walk, so finished work costs them nothing.
	if isOpen(state) {
		err = tx.Bucket(bucketOpen).Put(stateKey(t.kind, t.id), nil)
	} else {
		err = tx.Bucket(bucketOpen).Delete(stateKey(t.kind, t.id))
	}
	if err != nil {
		return err
	}
	return tx.Bucket(bucketState).Put(stateKey(t.kind, t.id), st)
}

// checkLocal refuses a step recorded at this outlet that the current state
// does not allow — the last line of defence when two clerks act at once.
func checkLocal(tx *bolt.Tx, kind, id string, ev *syncproto.Event, evs []syncproto.Event) error {
	switch kind {
	case KindDispatch:
		return nil // each parcel in the batch is checked as its own target
	case KindParcel:
		p := lifecycle.FoldParcel(id, evs)
		if err := p.Check(ev.Type); err != nil {
			return err
		}
		var code struct {
			Code string `json:"code"`
		}
		if ev.Type == lifecycle.ParcelShelved || ev.Type == lifecycle.DispatchReturned {
			if err := json.Unmarshal(ev.Payload, &code); err != nil {
				return err
			}
			if w := tx.Bucket(bucketCodes).Get([]byte(code.Code)); code.Code != "" && w != nil && string(w) != id {
				return ErrCodeTaken
			}
		}
	case KindException:
		x := lifecycle.FoldException(id, evs)
		if ev.Type == lifecycle.ExceptionStep {
			var s lifecycle.ExceptionStepV1
			if err := json.Unmarshal(ev.Payload, &s); err != nil {
				return err
			}
			return x.Check(s.Step, ev.Origin)
		}
		if x.State != "" {
			return &lifecycle.DuplicateError{Msg: "异常件已登记 / exception already reported"}
		}
	case KindComplaint:
		c := lifecycle.FoldComplaint(id, evs)
		if ev.Type == lifecycle.ComplaintStep {
			var s lifecycle.ComplaintStepV1
			if err := json.Unmarshal(ev.Payload, &s); err != nil {
				return err
			}
			return c.Check(s, ev.Origin)
		}
		if c.State != "" {
			return &lifecycle.DuplicateError{Msg: "投诉已登记 / complaint already recorded"}
		}
	case KindHandover:
		h := lifecycle.FoldHandover(id, evs, sessionManifests(tx, append(evs, *ev)))
		if err := h.Check(ev.Type); err != nil {
			return err
		}
		if ev.Type == lifecycle.HandoverClosed {
			var c lifecycle.HandoverClosedV1
			if err := json.Unmarshal(ev.Payload, &c); err != nil {
				return err
			}
			return h.CheckClose(c)
		}
	case KindWaybills:
		if ev.Type == lifecycle.WaybillIssued {
			stock := lifecycle.FoldWaybills(id, evs)
			next, err := stock.NextNumber()
			if err != nil {
				return err
			}
			var iss lifecycle.WaybillIssuedV1
			if err := json.Unmarshal(ev.Payload, &iss); err != nil {
				return err
			}
			if iss.Number != next {
				return fmt.Errorf("运单号 %s 不是下一个可用号 %s / waybill number %s is not the next free one (%s)", iss.Number, next, iss.Number, next)
			}
			return nil
		}
		if ev.Type != lifecycle.WaybillBlockRequested {
			return fmt.Errorf("只有总部可分配号段 / only head office allocates waybill blocks")
		}
	case KindShipment:
		if len(evs) > 0 {
			return &lifecycle.DuplicateError{Msg: "运单号已使用 / this waybill number was already used"}
		}
	case KindNotice, KindTemplate, KindManifest, KindTariff, KindProhibited:
		if ev.Type != lifecycle.NoticeAcknowledged {
			return fmt.Errorf("只有总部可发布 / only head office publishes %s", ev.Type)
		}
	}
	return nil
}

// indexParcel keeps the pickup-code and phone indexes pointing at parcels
// in stock only.
func indexParcel(tx *bolt.Tx, old, p *lifecycle.Parcel) error {
	codes, last4 := tx.Bucket(bucketCodes), tx.Bucket(bucketLast4)
	inStock := p.State == lifecycle.ParcelStateInStock || p.State == lifecycle.ParcelStateOverdue
	if old.PickupCode != "" && (old.PickupCode != p.PickupCode || !inStock) {
		if w := codes.Get([]byte(old.PickupCode)); string(w) == p.Waybill {
			if err := codes.Delete([]byte(old.PickupCode)); err != nil {
				return err
			}
		}
	}
	if p.PickupCode != "" && inStock {
		if err := codes.Put([]byte(p.PickupCode), []byte(p.Waybill)); err != nil {
			return err
		}
	}
	if p.PhoneLast4 != "" {
		k := append(append([]byte(p.PhoneLast4), 0), p.Waybill...)
		if inStock {
			return last4.Put(k, nil)
		}
		return last4.Delete(k)
	}
	return nil
}

// sessionManifests reads the manifests a handover session names, as held
// here now.
func sessionManifests(tx *bolt.Tx, evs []syncproto.Event) []lifecycle.Manifest {
	var out []lifecycle.Manifest
	for i := range evs {
		if evs[i].Type != lifecycle.HandoverOpened {
			continue
		}
		var o lifecycle.HandoverOpenedV1
		if json.Unmarshal(evs[i].Payload, &o) != nil {
			continue
		}
		for _, id := range o.Manifests {
			var m lifecycle.Manifest
			if ok, _ := getState(tx, KindManifest, id, &m); ok && m.Revision > 0 {
				out = append(out, m)
			}
		}
	}
	return out
}

// Batch is a dispatch batch with its courier's results so far.
type Batch struct {
	ID string `json:"id"`
	lifecycle.CourierDay
}

func foldBatch(id string, evs []syncproto.Event) Batch {
	for i := range evs {
		if evs[i].Type == lifecycle.DispatchOut {
			var o lifecycle.DispatchOutV1
			if json.Unmarshal(evs[i].Payload, &o) == nil {
				return Batch{ID: id, CourierDay: lifecycle.FoldCourierDay(o.Courier, o.Day, evs)}
			}
		}
	}
	return Batch{ID: id}
}

func isOpen(state any) bool {
	switch v := state.(type) {
	case lifecycle.Handover:
		// A closed session stays listed until its exceptions are raised
		// (the service removes it then), so a crash in between is retried.
		return v.State != ""
	case lifecycle.Parcel:
		return v.State == lifecycle.ParcelStateInbound || v.State == lifecycle.ParcelStateInStock || v.State == lifecycle.ParcelStateOverdue
	case lifecycle.Exception:
		return v.State != "" && v.State != lifecycle.ExceptionStateClosed
	case lifecycle.Complaint:
		return v.State != "" && v.State != lifecycle.ComplaintStateClosed
	case Batch:
		return len(v.Open) > 0
	}
	return false
}

// openIDs lists the ids of unfinished entities of kind.
func openIDs(tx *bolt.Tx, kind string) []string {
	b := tx.Bucket(bucketOpen)
	if b == nil {
		return nil
	}
	var ids []string
	prefix := append([]byte(kind), 0)
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		ids = append(ids, string(k[len(prefix):]))
	}
	return ids
}

// TariffState is the tariff version head office published under an id.
type TariffState struct {
	ID        string `json:"id"`
	Published bool   `json:"published"`
	tariff.Tariff
}

// ProhibitedState is a prohibited-items list version.
type ProhibitedState struct {
	ID        string `json:"id"`
	Published bool   `json:"published"`
	lifecycle.ProhibitedListV1
}
