// Package syncproto is the wire contract between outlet agents and the hub:
// what crosses MQTT, on which topics, in what encoding, within which limits.
// It does no I/O and imports nothing of agent/, hub/ or any MQTT client; a
// test enforces that. Both programs encode and decode only through here.
//
// # Messages
//
// Every MQTT payload is a frame: a 6-byte header then a body.
//
//	offset 0  'Y' 'Z'       magic
//	       2  major         1; a receiver rejects any other major with a reason
//	       3  minor         additive changes only; receivers accept any minor
//	                        (Minor in types.go lists what each one added)
//	       4  kind          KindBatch, KindAck, KindPull, KindDown, KindPoke,
//	                        KindFetch, KindOwn (minor 3)
//	       5  codec         CodecJSON or CodecGzip (gzip of the JSON body)
//	       6  body          JSON of the kind's struct
//
// A frame is at most MaxFrameBytes and its body at most MaxBodyBytes once
// inflated. A gzip body is one gzip member that inflates to exactly the
// size its trailer gives, so a receiver knows what a frame will cost before
// inflating it (BodySize, DecodeCost) and can refuse or wait for memory
// first; a Batch holds at most MaxEventsPerBatch events, counted before
// they are decoded.
//
// One event's payload is at most MaxEventBytes. What is larger travels as
// several events: a manifest in parts, an incident report's photos (at most
// 300 KB each) in parts of 40 KiB of JPEG, 55 KB as base64, one event each
// (lifecycle.IncidentPhoto), which the agent's 256 KiB batch budget packs
// four to a frame.
//
// Unknown JSON fields are ignored, so a newer minor may add optional fields.
// (The HTTP APIs do the opposite: problem.Decode refuses a request field the
// route does not know, since there a misspelt field is a lost instruction.)
// A change that an older receiver would misread needs a new major, which is
// also the topic prefix (yz/v1/...), so old and new can run side by side.
//
// # Flows
//
// Uplink: the agent publishes Batch frames (QoS 1, at most UplinkWindow in
// flight, however few events each holds) on UplinkTopic. Each batch carries the contiguous sequence range First..Last of
// one origin and the Incarnation of the data directory that wrote them
// (sequences restart at 1 in a fresh one). The hub commits the events,
// idempotent on (origin, incarnation, seq), and only then publishes an Ack on
// AckTopic naming the incarnation and the highest contiguous sequence it
// holds of it. An agent ignores an Ack of another incarnation. The hub
// refuses, with a Problem in Ack.Error and nothing stored: a second
// incarnation of an outlet it holds events of (CodeIncarnation, until head
// office starts a new incarnation), an event it holds with other content
// (CodeConflict, never acknowledged), and a batch ending more than its
// window past the contiguous point (CodeBeyondWindow, CheckWindow). The agent advances its cursor only on an
// Ack and resends from the cursor after any reconnect. Events the hub refuses
// are listed in Ack.Rejected with a reason; they still count as handled for
// contiguity so that the events behind them keep flowing, and the agent moves
// them to its dead-letter list. Acks may arrive out of order (the hub commits
// batches concurrently): a receiver keeps the highest AckedSeq it has seen.
//
// Downlink: hub events (notices, templates, configuration) carry origin
// HubOrigin, a hub-wide sequence, and a Target (one outlet or TargetAll). An
// agent publishes a Pull with its downlink cursor on every connect and after
// each Poke; the hub answers on DownTopic with Down frames holding everything
// for that outlet in (From, Through]. The agent applies a Down only when From
// is at or below its cursor, then moves the cursor to Through. Each Pull gets
// one Down; when More is set the agent pulls again from Through.
//
// Catch-up (minor 3): a data file restored from a backup may stop short of
// what the hub holds of its incarnation. Its agent takes no new event and
// publishes a Fetch on FetchTopic for its own sequences from its log's end;
// the hub answers on OwnTopic with an Own holding them (at most
// MaxOwnEvents, within its byte bound, only what it acknowledged, only to
// the stream's own outlet and incarnation, at a rate per outlet) and the
// acknowledged sequence. The agent appends them as acknowledged and fetches
// on until it reaches that sequence; only then are new events numbered,
// after the hub's.
package syncproto
