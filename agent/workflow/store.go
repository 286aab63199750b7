package workflow

import (
	"bytes"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// The buckets this package keeps in the agent's data file; agent/datafile
// draws their layout (buckets.go) and creates them. wf_open/ holds the
// entities that are pending (lifecycle.Kind.Pending): what the timers and
// sweeps walk.
var (
	bucketEvents = datafile.WorkflowEvents
	bucketState  = datafile.WorkflowState
	bucketList   = datafile.WorkflowList
	bucketCodes  = datafile.WorkflowCodes
	bucketLast4  = datafile.WorkflowLast4
	bucketBlobs  = datafile.WorkflowBlobs
	bucketOpen   = datafile.WorkflowOpen
)

// kindOf returns the kind an event changes here, if any. Device scans are
// parcel events like the others.
func kindOf(typ string) (lifecycle.Kind, bool) { return lifecycle.KindOf(typ) }

func entityKey(kind, id string) []byte { return datafile.EntityPrefix(kind, id) }

func eventKey(kind, id string, ev *syncproto.Event) []byte {
	return datafile.EntityEventKey(kind, id, ev)
}

func stateKey(kind, id string) []byte { return datafile.StateKey(kind, id) }

// entityEvents reads an entity's events in fold order.
func entityEvents(tx *bolt.Tx, kind, id string) ([]syncproto.Event, error) {
	return datafile.EntityEvents(tx.Bucket(bucketEvents), kind, id)
}

// held gives a fold the entities it reads as this outlet holds them now.
type held struct{ tx *bolt.Tx }

func (h held) Manifest(id string) (lifecycle.Manifest, bool) {
	var m lifecycle.Manifest
	ok, _ := getState(h.tx, lifecycle.KindManifest, id, &m)
	return m, ok
}

var _ lifecycle.Held = held{}

// getState reads an entity's folded state into v; false if it has none.
func getState(tx *bolt.Tx, kind, id string, v any) (bool, error) {
	raw := tx.Bucket(bucketState).Get(stateKey(kind, id))
	if raw == nil {
		return false, nil
	}
	return true, json.Unmarshal(raw, v)
}

// ErrCodeTaken is a pickup code another parcel in stock already has; the
// caller picks another number. errors.Is matches it by code.
var ErrCodeTaken = problem.New(problem.ShelfCodeTaken)

// projector keeps the workflow buckets in step with the log: it is both the
// event log's Projector (events recorded here) and the sync client's
// DownApplier (events from head office).
type projector struct{}

// Projector returns the projector to register with the event log and the
// sync client.
func Projector() projector { return projector{} }

func (projector) Project(tx *bolt.Tx, ev *syncproto.Event, raw []byte) error {
	return apply(tx, ev, raw, true)
}

func (projector) ApplyDown(tx *bolt.Tx, ev *syncproto.Event, raw []byte) error {
	switch ev.Type {
	case lifecycle.CustomerClasses:
		return applyClasses(tx, ev)
	case lifecycle.ForecastPublished:
		return applyForecast(tx, ev)
	}
	return apply(tx, ev, raw, false)
}

var (
	parcel, _ = lifecycle.KindByName(lifecycle.KindParcel)
	batch, _  = lifecycle.KindByName(lifecycle.KindDispatch)
)

// target is one entity an event belongs to.
type target struct {
	kind lifecycle.Kind
	id   string
}

// targets lists the entities ev belongs to. Most events have one, their
// subject; a dispatch batch also belongs to every parcel in it, and a
// delivery or return also to the batch it closes.
func targets(ev *syncproto.Event) []target {
	if batch.Owns(ev.Type) {
		switch ev.Type {
		case lifecycle.DispatchOut:
			out := []target{{batch, ev.Subject}}
			for _, w := range lifecycle.Subjects(ev)[1:] {
				out = append(out, target{parcel, w})
			}
			return out
		case lifecycle.DispatchReturned, lifecycle.DispatchDelivered:
			var b struct {
				Batch string `json:"batch"`
			}
			out := []target{{parcel, ev.Subject}}
			if json.Unmarshal(ev.Payload, &b) == nil && b.Batch != "" {
				out = append(out, target{batch, b.Batch})
			}
			return out
		}
		return nil
	}
	kind, ok := kindOf(ev.Type)
	if !ok || ev.Subject == "" {
		return nil
	}
	return []target{{kind, ev.Subject}}
}

// apply stores ev with each entity it belongs to and re-folds them. A step
// recorded here (local) that is illegal now is refused before anything is
// written; a step from head office is a fact and is folded, conflicts and
// all.
func apply(tx *bolt.Tx, ev *syncproto.Event, raw []byte, local bool) error {
	ts := targets(ev)
	if len(ts) == 0 {
		return nil
	}
	if ev.Type == lifecycle.ParcelScanned && local {
		return applyScan(tx, ts[0], ev, raw)
	}
	known := make([]history, len(ts))
	for i, t := range ts {
		h, err := entityHistory(tx, t.kind.Name, t.id)
		if err != nil {
			return err
		}
		if local {
			if err := checkLocal(tx, t, ev, h); err != nil {
				return err
			}
		}
		known[i] = h
	}
	for i, t := range ts {
		st, err := known[i].fold(tx, t, *ev)
		if err != nil {
			return err
		}
		if err := store(tx, t, ev, raw, known[i].none(), st); err != nil {
			return err
		}
	}
	return nil
}

// applyScan folds a device scan recorded here onto its parcel's stored
// state instead of re-folding the parcel's history: a scan is never
// refused (so needs no check against that history) and, stamped by this
// outlet's clock after everything it has seen, orders after every event
// folded so far. A parcel scanned a thousand times costs one scan.
func applyScan(tx *bolt.Tx, t target, ev *syncproto.Event, raw []byte) error {
	var p lifecycle.Parcel
	found, err := getState(tx, t.kind.Name, t.id, &p)
	if err != nil {
		return err
	}
	if !found {
		p = lifecycle.Parcel{Waybill: t.id}
	}
	p.Apply(ev)
	return store(tx, t, ev, raw, !found, p)
}

// store files ev with entity t and writes the entity's new state with its
// indexes; first says ev is the entity's first event here.
func store(tx *bolt.Tx, t target, ev *syncproto.Event, raw []byte, first bool, state any) error {
	kind := t.kind.Name
	if err := tx.Bucket(bucketEvents).Put(eventKey(kind, t.id, ev), raw); err != nil {
		return err
	}
	if err := keepBase(tx, kind, t.id); err != nil {
		return err
	}
	if first {
		if err := tx.Bucket(bucketList).Put(datafile.ListKey(kind, ev.HLC, t.id), nil); err != nil {
			return err
		}
	}
	st, err := json.Marshal(state)
	if err != nil {
		return err
	}
	// A scan never moves a parcel into or out of stock, nor changes whether
	// it is pending, so it leaves the indexes as they are.
	if ev.Type == lifecycle.ParcelScanned {
		return tx.Bucket(bucketState).Put(stateKey(kind, t.id), st)
	}
	if p, ok := state.(lifecycle.Parcel); ok {
		var old lifecycle.Parcel
		if _, err := getState(tx, kind, t.id, &old); err != nil {
			return err
		}
		if err := indexParcel(tx, &old, &p); err != nil {
			return err
		}
	}
	// The open index is what timers walk, so finished work costs them nothing.
	if t.kind.Pending(state) {
		err = tx.Bucket(bucketOpen).Put(stateKey(kind, t.id), nil)
	} else {
		err = tx.Bucket(bucketOpen).Delete(stateKey(kind, t.id))
	}
	if err != nil {
		return err
	}
	return tx.Bucket(bucketState).Put(stateKey(kind, t.id), st)
}

// checkLocal refuses a step recorded at this outlet that the current state
// does not allow — the last line of defence when two clerks act at once.
func checkLocal(tx *bolt.Tx, t target, ev *syncproto.Event, h history) error {
	if t.kind.Check != nil {
		st, err := h.fold(tx, t)
		if err != nil {
			return err
		}
		if err := t.kind.Check(st, ev); err != nil {
			return err
		}
	}
	if t.kind.Name != lifecycle.KindParcel || (ev.Type != lifecycle.ParcelShelved && ev.Type != lifecycle.DispatchReturned) {
		return nil
	}
	var code struct {
		Code string `json:"code"`
	}
	if err := json.Unmarshal(ev.Payload, &code); err != nil {
		return err
	}
	if w := tx.Bucket(bucketCodes).Get([]byte(code.Code)); code.Code != "" && w != nil && string(w) != t.id {
		return problem.New(problem.ShelfCodeTaken, "code", code.Code)
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
	// The phone finds every parcel at the counter, shelved or not yet.
	if p.PhoneLast4 != "" {
		k := append(append([]byte(p.PhoneLast4), 0), p.Waybill...)
		if inStock || p.State == lifecycle.ParcelStateInbound {
			return last4.Put(k, nil)
		}
		return last4.Delete(k)
	}
	return nil
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
