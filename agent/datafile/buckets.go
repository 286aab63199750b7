package datafile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// The bucket tree of agent.db, every owner's buckets. Change this drawing
// with every migration (migrations.go).
//
//	meta/                                       the file and the event log (agent/eventlog)
//	  schema_version   uint64 BE                migrations applied: the one version of the file
//	  outlet           string                   the outlet this file belongs to
//	  last_seq         uint64 BE                highest sequence issued
//	  last_hlc         uint64 BE                highest HLC stamp issued (restart floor)
//	  acked_seq        uint64 BE                uplink cursor: hub holds 1..acked_seq
//	  dead_count       uint64 BE                events in dead/
//	  down_cursor      uint64 BE                downlink cursor: hub seq applied
//	  hub_offset_ms    int64 BE                 hub clock minus local clock, last seen
//	  incarnation      32 hex digits            this data directory's identity, random (v9)
//	  restored         "1"                      restored from a backup: no new events until the hub
//	                                            said how far it holds the stream (absent otherwise)
//	  hub_head         uint64 BE                the hub's acked_seq of this incarnation while it is
//	                                            beyond last_seq: events to fetch back (absent otherwise)
//	  pruned_seq       uint64 BE                events/ starts after it: 1..pruned_seq were
//	                                            acknowledged and removed by retention (absent: 0)
//	  retention        JSON                     the last retention run's report (agent/retention)
//	  compact          (empty)                  a purge left removed bytes in free pages: Open
//	                                            compacts the file before use (compact.go)
//	events/
//	  <seq BE8>        syncproto.Event JSON     the log; seq > acked_seq is the outbox; a sequence
//	                                            fetched back as the hub's dead letter is in dead/ only;
//	                                            a prefix up to pruned_seq is gone once retention ran
//	dead/
//	  <seq BE8>        DeadLetter JSON          events the hub refused, with reason
//	down/
//	  <hub seq BE8>    syncproto.Event JSON     downlink events applied here
//
//	wf_events/                                  counter work (agent/workflow), folded by syncproto/lifecycle
//	  <kind> 0 <id> 0 <hlc BE8> <origin> 0 <seq BE8>  → event JSON: every event of every entity,
//	                   from this outlet and from head office; device scans are parcel events
//	wf_state/   <kind> 0 <id>                   → folded state JSON (lifecycle types)
//	wf_list/    <kind> 0 <first hlc BE8> <id>   → (empty) for listing newest first
//	wf_codes/   <pickup code>                   → waybill, for parcels in stock
//	wf_last4/   <phone last 4> 0 <waybill>      → (empty), for parcels at the counter: taken in (shelved or not yet), overdue (v6)
//	wf_blobs/   <sha256 hex>                    → photo bytes
//	wf_open/    <kind> 0 <id>                   → (empty) while the entity is pending
//	            (lifecycle.Kind.Pending): what the timers and sweeps walk
//	wf_base/    <kind> 0 <id>                   → base JSON (agent/workflow), for an entity retention compacted (v14):
//	            its events up to Through left wf_events/, and the fold resumes
//	            from the base's state (wf_state/'s own value while State is absent)
//
//	staff/                                      staff and PINs (agent/staff)
//	  members/
//	    <id>           member JSON              {id, name, role, pin:{alg, iter, salt, hash}, added_at}
//	  attempts/
//	    <id>           attempts JSON            {failures, locked_until}; absent after a good PIN
//
//	customer_classes/                           head office's class of each customer seen here (agent/workflow, v12)
//	  <customer id>    class id                 from the downlink's customer.classes; only the class, no figures
//
//	forecast/                                   head office's forecast of this outlet (agent/workflow, v13)
//	  latest           ForecastV1 JSON          the newest forecast.published received; kept to show offline
//
//	api_tokens/                                 local integrations' API tokens (agent/staff/tokens, v7)
//	  <name>           token JSON               {name, scopes, hash: SHA-256 hex of the token, created_at}
//
//	print_spool/                                the print queue (devices/spool)
//	  jobs/
//	    <id BE8>       Job JSON without Data    ids from NextSequence
//	  data/
//	    <id BE8>       the job's printer bytes
//
// Personal data inside events and state is sealed (syncproto/sealed): since
// migration 8, the values of acknowledged events and of their entities'
// copies and state are in the outlet's own format ("v2", record-bound);
// values sealed under the old shared key ("v1") remain only in events not
// acknowledged at that time, or where the agent had no key that opens them.
//
// Retired by migration 5: parcels/ (a second parcel model, projected from
// device scans) and parcel_events/ (its index); retired by migrations 2 and
// 3: staff/meta/version and print_spool/meta/version (per-owner versions).
//
// The names are package variables so every owner spells them one way; they
// must never be modified.
var (
	Meta   = []byte("meta")
	Events = []byte("events")
	Dead   = []byte("dead")
	Down   = []byte("down")

	WorkflowEvents = []byte("wf_events")
	WorkflowState  = []byte("wf_state")
	WorkflowList   = []byte("wf_list")
	WorkflowCodes  = []byte("wf_codes")
	WorkflowLast4  = []byte("wf_last4")
	WorkflowBlobs  = []byte("wf_blobs")
	WorkflowOpen   = []byte("wf_open")
	WorkflowBase   = []byte("wf_base")

	Staff         = []byte("staff")
	StaffMembers  = []byte("members")
	StaffAttempts = []byte("attempts")

	APITokens = []byte("api_tokens")

	CustomerClasses = []byte("customer_classes")

	Forecast = []byte("forecast")

	PrintSpool = []byte("print_spool")
	SpoolJobs  = []byte("jobs")
	SpoolData  = []byte("data")
)

// Keys in meta/.
var (
	KeySchemaVersion = []byte("schema_version")
	KeyOutlet        = []byte("outlet")
	KeyLastSeq       = []byte("last_seq")
	KeyLastHLC       = []byte("last_hlc")
	KeyAckedSeq      = []byte("acked_seq")
	KeyDeadCount     = []byte("dead_count")
	KeyDownCursor    = []byte("down_cursor")
	KeyHubOffset     = []byte("hub_offset_ms")
	KeyIncarnation   = []byte("incarnation")
	// KeyLastWall is the highest reading of the PC's own clock at a commit
	// (Unix ms), so a clock floor beyond it can be told for one handed over.
	KeyLastWall = []byte("last_wall_ms")
	// KeyRestored marks a file restored from a backup until the hub has
	// answered how far it holds the file's stream; KeyHubHead is that
	// answer while it lies beyond last_seq. Both are read as absent in
	// a file from before them, so they need no migration.
	KeyRestored = []byte("restored")
	KeyHubHead  = []byte("hub_head")
	// KeyPrunedSeq is the highest sequence retention removed from events/:
	// the log holds pruned_seq+1..last_seq.
	KeyPrunedSeq = []byte("pruned_seq")
	// KeyRetention is the last retention run's report, for its metrics
	// after a restart and for a run by hand.
	KeyRetention = []byte("retention")
	// KeyCompact asks the next Open to compact the file (compact.go).
	KeyCompact = []byte("compact")
)

// Retired buckets and keys, named here for the migrations that remove them.
var (
	oldParcels      = []byte("parcels")
	oldParcelEvents = []byte("parcel_events")
	oldOwnerMeta    = []byte("meta")    // staff/meta/, print_spool/meta/
	oldOwnerVersion = []byte("version") // in them
)

// U64Key is v as an 8-byte big-endian key, so keys iterate in number order.
func U64Key(v uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v) }

// GetU64 reads a big-endian uint64; 0 if absent or malformed.
func GetU64(b *bolt.Bucket, k []byte) uint64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// PutU64 stores v big-endian.
func PutU64(b *bolt.Bucket, k []byte, v uint64) error { return b.Put(k, U64Key(v)) }

// EntityPrefix is the wf_events/ prefix of every event of one entity.
func EntityPrefix(kind, id string) []byte {
	return append(append(append([]byte(kind), 0), id...), 0)
}

// EntityEventKey is ev's key in wf_events/ for one entity: under the
// entity's prefix in fold order (lifecycle.Order: HLC, origin, sequence).
func EntityEventKey(kind, id string, ev *syncproto.Event) []byte {
	k := EntityPrefix(kind, id)
	k = binary.BigEndian.AppendUint64(k, uint64(ev.HLC))
	k = append(append(k, ev.Origin...), 0)
	return binary.BigEndian.AppendUint64(k, ev.Seq)
}

// EntityEvents reads one entity's events from wf_events/ (b) in fold
// order.
func EntityEvents(b *bolt.Bucket, kind, id string) ([]syncproto.Event, error) {
	prefix := EntityPrefix(kind, id)
	var out []syncproto.Event
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var ev syncproto.Event
		if err := json.Unmarshal(v, &ev); err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
}

// StateKey is an entity's key in wf_state/ and wf_open/.
func StateKey(kind, id string) []byte { return append(append([]byte(kind), 0), id...) }

// ListKey is an entity's key in wf_list/, first being the HLC of the first
// event it was filed with.
func ListKey(kind string, first hlc.Timestamp, id string) []byte {
	k := binary.BigEndian.AppendUint64(append([]byte(kind), 0), uint64(first))
	return append(k, id...)
}
