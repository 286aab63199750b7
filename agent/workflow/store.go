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
	KindParcel    = "parcel"
	KindException = "exception"
	KindComplaint = "complaint"
	KindNotice    = "notice"
	KindTemplate  = "template"
	KindManifest  = "manifest"
	KindHandover  = "handover"
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
	case "exception", "complaint", "notice", "template", "manifest", "handover":
		return prefix
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

func eventKey(kind string, ev *syncproto.Event) []byte {
	k := entityKey(kind, ev.Subject)
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
		for i := range evs {
			var v lifecycle.TemplateV1
			if evs[i].Origin == syncproto.HubOrigin && json.Unmarshal(evs[i].Payload, &v) == nil {
				t = lifecycle.Template{ID: id, TemplateV1: v}
			}
		}
		return t
	}
	return nil
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

// apply stores ev with its entity and re-folds the entity. A step recorded
// here (local) that is illegal now is refused before anything is written; a
// step from head office is a fact and is folded, conflicts and all.
func apply(tx *bolt.Tx, ev *syncproto.Event, local bool) error {
	kind := kindOf(ev.Type)
	if kind == "" || ev.Subject == "" {
		return nil
	}
	for _, b := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	evs, err := entityEvents(tx, kind, ev.Subject)
	if err != nil {
		return err
	}
	if local {
		if err := checkLocal(tx, kind, ev, evs); err != nil {
			return err
		}
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketEvents).Put(eventKey(kind, ev), raw); err != nil {
		return err
	}
	if len(evs) == 0 {
		lk := binary.BigEndian.AppendUint64(append([]byte(kind), 0), uint64(ev.HLC))
		if err := tx.Bucket(bucketList).Put(append(lk, ev.Subject...), nil); err != nil {
			return err
		}
	}
	evs = append(evs, *ev)
	state := fold(tx, kind, ev.Subject, evs)
	if p, ok := state.(lifecycle.Parcel); ok {
		var old lifecycle.Parcel
		if _, err := getState(tx, kind, ev.Subject, &old); err != nil {
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
		err = tx.Bucket(bucketOpen).Put(stateKey(kind, ev.Subject), nil)
	} else {
		err = tx.Bucket(bucketOpen).Delete(stateKey(kind, ev.Subject))
	}
	if err != nil {
		return err
	}
	return tx.Bucket(bucketState).Put(stateKey(kind, ev.Subject), st)
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

// checkLocal refuses a step recorded at this outlet that the current state
// does not allow — the last line of defence when two clerks act at once.
func checkLocal(tx *bolt.Tx, kind string, ev *syncproto.Event, evs []syncproto.Event) error {
	switch kind {
	case KindParcel:
		p := lifecycle.FoldParcel(ev.Subject, evs)
		if err := p.Check(ev.Type); err != nil {
			return err
		}
		if ev.Type == lifecycle.ParcelShelved {
			var s lifecycle.ShelvedV1
			if err := json.Unmarshal(ev.Payload, &s); err != nil {
				return err
			}
			if w := tx.Bucket(bucketCodes).Get([]byte(s.Code)); w != nil && string(w) != ev.Subject {
				return ErrCodeTaken
			}
		}
	case KindException:
		x := lifecycle.FoldException(ev.Subject, evs)
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
		c := lifecycle.FoldComplaint(ev.Subject, evs)
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
		h := lifecycle.FoldHandover(ev.Subject, evs, sessionManifests(tx, append(evs, *ev)))
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
	case KindNotice, KindTemplate, KindManifest:
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
