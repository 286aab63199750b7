package datafile

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/yizhan/yizhan/syncproto/problem"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// migration moves the file from version-1 to Version. Migrations run in
// order, all in the one transaction that opens the file, so a crash or an
// error leaves the old version intact.
//
// A step is written against the layout of its version with the names in
// buckets.go, not against the owners' code, so it keeps meaning the same
// when an owner changes later. Each step names the owner it belongs to.
type migration struct {
	version uint64
	name    string
	apply   func(tx *bolt.Tx, o Options) error
}

// step adapts a migration that needs no options.
func step(fn func(tx *bolt.Tx) error) func(*bolt.Tx, Options) error {
	return func(tx *bolt.Tx, _ Options) error { return fn(tx) }
}

// migrations is the one ordered list for the whole file. Version 1 is the
// event log's old scheme, so every file written before there was one list
// starts from there (staff/ and print_spool/ carried their own version 1).
var migrations = []migration{
	{1, "eventlog: create the event log, parcel projection and sync cursors", step(func(tx *bolt.Tx) error {
		return create(tx, Meta, Events, oldParcels, oldParcelEvents, Dead, Down)
	})},
	{2, "staff: create the staff list; its own version marker retires", step(func(tx *bolt.Tx) error {
		return ownerRoot(tx, Staff, func(v uint64) error {
			return problem.New(problem.StaffSchemaNewer, "version", v, "supported", 1)
		}, StaffMembers, StaffAttempts)
	})},
	{3, "spool: create the print spool; its own version marker retires", step(func(tx *bolt.Tx) error {
		return ownerRoot(tx, PrintSpool, func(v uint64) error {
			return fmt.Errorf("print spool schema version %d is newer than this program's %d: upgrade the agent", v, 1)
		}, SpoolJobs, SpoolData)
	})},
	{4, "workflow: create the counter-work buckets", step(func(tx *bolt.Tx) error {
		return create(tx, WorkflowEvents, WorkflowState, WorkflowList, WorkflowCodes, WorkflowLast4, WorkflowBlobs, WorkflowOpen)
	})},
	{5, "workflow: fold device scans into the parcels; drop the event log's parcel projection", step(foldScans)},
	{6, "workflow: the phone index holds parcels taken in but not yet shelved", step(indexUnshelved)},
	{7, "tokens: create the list of agent API tokens", step(func(tx *bolt.Tx) error {
		return create(tx, APITokens)
	})},
	{8, "pii: re-seal what the old shared key sealed under the outlet's own key, bound to its record", reseal},
	{9, "eventlog: give the data directory its incarnation identity", step(newIncarnation)},
	// There are no migrations 10 and 11: versions only need to grow, and
	// those two were never released.
	{12, "workflow: keep head office's class of each customer seen here", step(func(tx *bolt.Tx) error {
		return create(tx, CustomerClasses)
	})},
	{13, "workflow: keep head office's latest forecast of this outlet", step(func(tx *bolt.Tx) error {
		return create(tx, Forecast)
	})},
	{14, "workflow: keep the folded base of entities whose old events retention compacted", step(func(tx *bolt.Tx) error {
		return create(tx, WorkflowBase)
	})},
}

// newIncarnation gives the file a random identity, kept for its life: the
// hub keys an outlet's events on (outlet, incarnation, seq), so a fresh data
// directory under a known outlet id is told from a replay of the old one.
// A file from before this migration gets one too; the hub adopts it because
// its stream continues where the hub is.
func newIncarnation(tx *bolt.Tx) error {
	meta := tx.Bucket(Meta)
	if len(meta.Get(KeyIncarnation)) > 0 {
		return nil
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return fmt.Errorf("make an incarnation id: %w", err)
	}
	return meta.Put(KeyIncarnation, []byte(hex.EncodeToString(b)))
}

// indexUnshelved adds to wf_last4/ the parcels taken in and not yet
// shelved, which version 5 indexed only once they had a pickup code: the
// counter finds a customer's parcels by phone whether or not they are on a
// shelf yet.
func indexUnshelved(tx *bolt.Tx) error {
	last4 := tx.Bucket(WorkflowLast4)
	prefix := append([]byte(parcelKind), 0)
	c := tx.Bucket(WorkflowState).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var p lifecycle.Parcel
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("parcel %s: %w", k[len(prefix):], err)
		}
		if p.State == lifecycle.ParcelStateInbound && p.PhoneLast4 != "" {
			if err := last4.Put(append(append([]byte(p.PhoneLast4), 0), p.Waybill...), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// SchemaVersion is the version a file has after Open.
func SchemaVersion() uint64 { return migrations[len(migrations)-1].version }

func migrate(tx *bolt.Tx, o Options) error {
	meta, err := tx.CreateBucketIfNotExists(Meta)
	if err != nil {
		return err
	}
	have := GetU64(meta, KeySchemaVersion)
	if have > SchemaVersion() {
		return fmt.Errorf("data file has schema version %d, newer than this agent's %d: install the newer agent or restore a backup", have, SchemaVersion())
	}
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		if err := m.apply(tx, o); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		if err := PutU64(tx.Bucket(Meta), KeySchemaVersion, m.version); err != nil {
			return err
		}
	}
	return nil
}

func create(tx *bolt.Tx, names ...[]byte) error {
	for _, b := range names {
		if _, err := tx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

// ownerRoot creates an owner's root bucket and its children, refuses a
// file whose own version marker (root/meta/version, from before the one
// list) is newer than 1, and deletes that marker.
func ownerRoot(tx *bolt.Tx, root []byte, newer func(v uint64) error, children ...[]byte) error {
	r, err := tx.CreateBucketIfNotExists(root)
	if err != nil {
		return err
	}
	if m := r.Bucket(oldOwnerMeta); m != nil {
		if v := GetU64(m, oldOwnerVersion); v > 1 {
			return newer(v)
		}
		if err := r.DeleteBucket(oldOwnerMeta); err != nil {
			return err
		}
	}
	for _, c := range children {
		if _, err := r.CreateBucketIfNotExists(c); err != nil {
			return err
		}
	}
	return nil
}

// parcelKind is the workflow's entity kind for parcels, as the layout of
// version 5 spells it in its keys.
const parcelKind = "parcel"

// foldScans files every device scan the event log's projection indexed
// (parcel_events/) as an event of its parcel in wf_events/, re-folds those
// parcels into wf_state/ (listing the ones new to wf_list/ by their first
// scan), then drops parcels/ and parcel_events/.
//
// A scan moves a parcel only from no state to scanned, and a clerk's
// inbound is legal from both, so a parcel the counter already held keeps
// its state and pickup code and only gains its scan summary: its entries
// in wf_open/, wf_codes/ and wf_last4/ stay right. A parcel known only from
// scans is scanned (or has no state), which is never pending or in stock.
func foldScans(tx *bolt.Tx) error {
	index := tx.Bucket(oldParcelEvents)
	if index != nil {
		events, wfEvents, state, list := tx.Bucket(Events), tx.Bucket(WorkflowEvents), tx.Bucket(WorkflowState), tx.Bucket(WorkflowList)
		var (
			waybill string
			first   *syncproto.Event
		)
		// Keys are waybill 0 seq, so each parcel's scans come together.
		refold := func() error {
			if first == nil {
				return nil
			}
			key := StateKey(parcelKind, waybill)
			if state.Get(key) == nil {
				if err := list.Put(ListKey(parcelKind, first.HLC, waybill), nil); err != nil {
					return err
				}
			}
			evs, err := EntityEvents(wfEvents, parcelKind, waybill)
			if err != nil {
				return err
			}
			raw, err := json.Marshal(lifecycle.FoldParcel(waybill, evs))
			if err != nil {
				return err
			}
			return state.Put(key, raw)
		}
		c := index.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if len(k) < 9 || k[len(k)-9] != 0 {
				return fmt.Errorf("parcel_events key %q is not waybill 0 seq", k)
			}
			w, seq := string(k[:len(k)-9]), binary.BigEndian.Uint64(k[len(k)-8:])
			raw := events.Get(U64Key(seq))
			if raw == nil {
				return fmt.Errorf("parcel %s: scan %d is not in the event log", w, seq)
			}
			var ev syncproto.Event
			if err := json.Unmarshal(raw, &ev); err != nil {
				return fmt.Errorf("event %d: %w", seq, err)
			}
			if w != waybill {
				if err := refold(); err != nil {
					return err
				}
				waybill, first = w, &ev
			}
			if err := wfEvents.Put(EntityEventKey(parcelKind, w, &ev), bytes.Clone(raw)); err != nil {
				return err
			}
		}
		if err := refold(); err != nil {
			return err
		}
	}
	for _, b := range [][]byte{oldParcels, oldParcelEvents} {
		if tx.Bucket(b) == nil {
			continue
		}
		if err := tx.DeleteBucket(b); err != nil {
			return err
		}
	}
	return nil
}
