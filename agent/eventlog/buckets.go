package eventlog

// The bucket tree of the agent's data file. Change this drawing with every
// migration.
//
//	meta/
//	  schema_version   uint64 BE        migrations applied
//	  outlet           string           the outlet this file belongs to
//	  last_seq         uint64 BE        highest sequence issued
//	  last_hlc         uint64 BE        highest HLC stamp issued (restart floor)
//	  acked_seq        uint64 BE        uplink cursor: hub holds 1..acked_seq
//	  dead_count       uint64 BE        events in dead/
//	  down_cursor      uint64 BE        downlink cursor: hub seq applied
//	  hub_offset_ms    int64 BE         hub clock minus local clock, last seen
//	events/
//	  <seq uint64 BE>  syncproto.Event JSON   the log; seq > acked_seq is the outbox
//	parcels/
//	  <waybill>        Parcel JSON            projection, written with its event
//	parcel_events/
//	  <waybill 0x00 seq BE>  (empty)          index for a parcel's history
//	dead/
//	  <seq uint64 BE>  DeadLetter JSON        events the hub refused, with reason
//	down/
//	  <hub seq BE>     syncproto.Event JSON   downlink events applied here
//
// Other packages may own further top-level buckets in the same file (the
// print spool does); they create their own.
var (
	bucketMeta         = []byte("meta")
	bucketEvents       = []byte("events")
	bucketParcels      = []byte("parcels")
	bucketParcelEvents = []byte("parcel_events")
	bucketDead         = []byte("dead")
	bucketDown         = []byte("down")

	keySchemaVersion = []byte("schema_version")
	keyOutlet        = []byte("outlet")
	keyLastSeq       = []byte("last_seq")
	keyLastHLC       = []byte("last_hlc")
	keyAckedSeq      = []byte("acked_seq")
	keyDeadCount     = []byte("dead_count")
	keyDownCursor    = []byte("down_cursor")
	keyHubOffset     = []byte("hub_offset_ms")
)
