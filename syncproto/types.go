package syncproto

import (
	"encoding/json"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"

	"github.com/yizhan/yizhan/syncproto/hlc"
)

// Version of this contract. Major is also the topic prefix.
const (
	Major = 1
	Minor = 4
)

// Minor versions:
//
//	0  the first contract
//	1  Batch, Pull and Ack carry Incarnation; Problem carries Params.
//	   A receiver treats a missing Incarnation as the legacy stream ""
//	   of an agent from before minor 1.
//	2  Pull carries Head and OldestUnsynced (optional: a receiver treats
//	   them missing as unknown).
//	3  Fetch and Own: an agent whose log stops short of what the hub
//	   holds of its incarnation (a data file restored from an older
//	   backup) fetches its own events back (up/fetch, answered on
//	   down/own). A hub before minor 3 refuses the topic; the agent then
//	   keeps its counter closed to new events, as numbering them would
//	   collide with what the hub holds.
//	   Also the downlink event customer.classes (lifecycle.CustomerClasses):
//	   the classes of customers seen at the outlet; an agent from before
//	   ignores it.
//	   Outlets send audit.retention events (lifecycle.RetentionRan,
//	   payload RetentionV1): what a retention run removed. A hub before 3
//	   stores them as events of no kind.
//	4  The downlink event forecast.published (lifecycle.ForecastPublished):
//	   the outlet's own 14-day parcel forecast and staffing hint, daily
//	   and after head office edits its calendar. An agent from before
//	   ignores it, as it ignores any type no kind owns.
//	   Incident reports (lifecycle.KindIncident): outlets send
//	   incident.reported, incident.photo (a photo in parts) and
//	   incident.step; head office sends incident.step down to the
//	   reporting outlet. A hub before 4 stores them as events of no kind;
//	   an agent before 4 never reports one, so it is sent no step.

// HubOrigin is the origin of events created at head office.
const HubOrigin = "hub"

// TargetAll addresses a downlink event to every outlet.
const TargetAll = "*"

// Event is one immutable business fact. (Origin, Seq) identifies it for
// idempotence; ID is a globally unique id for people and logs.
type Event struct {
	ID      string        `json:"id"`
	Origin  string        `json:"origin"`
	Seq     uint64        `json:"seq"`
	HLC     hlc.Timestamp `json:"hlc"`
	Actor   string        `json:"actor"`
	Type    string        `json:"type"`
	V       int           `json:"v"`                 // payload schema version for Type
	Subject string        `json:"subject,omitempty"` // what it is about: a waybill, a ticket
	Target  string        `json:"target,omitempty"`  // downlink only: an outlet id, TargetAll, or HubOrigin (kept at head office)
	// Payload is the type's JSON document, opaque to the contract.
	Payload json.RawMessage `json:"payload,omitempty"`
	// OrderHLC, when set, is the stamp the receiver folds this event by in
	// place of HLC: the hub sets it (hlc.Capped at its receipt time) on an
	// event whose stamp lay beyond the skew bound when it arrived, and
	// keeps HLC as the outlet sent it. Never on the wire: no sender
	// chooses where its events fold.
	OrderHLC hlc.Timestamp `json:"-"`
}

// FoldStamp is the stamp e orders by: OrderHLC if set, else HLC.
func (e *Event) FoldStamp() hlc.Timestamp {
	if e.OrderHLC != 0 {
		return e.OrderHLC
	}
	return e.HLC
}

// Batch carries the events First..Last of one origin, in sequence order with
// no gaps.
type Batch struct {
	Origin string `json:"origin"`
	// Incarnation identifies the agent data directory that wrote the
	// events: sequences restart at 1 in a new one, so the hub keys its
	// idempotence on (origin, incarnation, seq). Empty from agents before
	// minor 1.
	Incarnation string  `json:"incarnation,omitempty"`
	First       uint64  `json:"first"`
	Last        uint64  `json:"last"`
	Events      []Event `json:"events"`
}

// UnmarshalJSON decodes a batch, first counting its events without keeping
// them: a body of "{}," repeated would otherwise become millions of Event
// structs, some fifty times the body's size, before CheckBatch could refuse
// the count. Both passes run on the json v2 engine with encoding/json's
// rules (jsonv1.DefaultOptionsV1): the same results as encoding/json, at
// about a third of its cost (BenchmarkDecodeBatch), which was most of the
// hub's decoding time.
func (b *Batch) UnmarshalJSON(data []byte) error {
	n, err := eventsCount(data)
	if err != nil {
		return err
	}
	if n > MaxEventsPerBatch {
		return decodeErr(CodeOversize, "batch holds %d events, limit %d", n, MaxEventsPerBatch)
	}
	type plain Batch
	var p plain
	if n >= 0 {
		p.Events = make([]Event, 0, n)
	}
	if err := jsonv2.Unmarshal(data, &p, v1Rules); err != nil {
		return err
	}
	*b = Batch(p)
	return nil
}

// v1Rules are encoding/json's decoding rules for the v2 engine.
var v1Rules = jsonv1.DefaultOptionsV1()

// eventsCount is how many elements a batch body's "events" holds (-1 for
// none or null), decoding none of them.
func eventsCount(data []byte) (int, error) {
	var count struct {
		Events []anyValue `json:"events"`
	}
	if err := jsonv2.Unmarshal(data, &count, v1Rules); err != nil {
		return 0, err
	}
	if count.Events == nil {
		return -1, nil
	}
	return len(count.Events), nil
}

// anyValue takes any JSON value and keeps nothing; a slice of them costs no
// memory per element.
type anyValue struct{}

// UnmarshalJSONFrom skips the value without copying it (the v2 engine).
func (*anyValue) UnmarshalJSONFrom(d *jsontext.Decoder) error { return d.SkipValue() }

// UnmarshalJSON takes the value as encoding/json hands it over.
func (*anyValue) UnmarshalJSON([]byte) error { return nil }

// Ack is the hub's answer on an outlet's AckTopic.
type Ack struct {
	Origin string `json:"origin"`
	// Incarnation is the stream AckedSeq and Rejected belong to. An agent
	// of another incarnation must not apply them: they count another
	// data directory's events. Sent from minor 1 on.
	Incarnation string `json:"incarnation,omitempty"`
	// AckedSeq is the highest sequence such that every event 1..AckedSeq of
	// this origin is committed (or dead-lettered) at the hub.
	AckedSeq uint64 `json:"acked_seq"`
	// HubTime is the hub's wall clock in Unix milliseconds when it answered;
	// agents use it to correct their own clock for deadlines.
	HubTime int64 `json:"hub_time"`
	// HubHLC lets the agent order its later events after what the hub has seen.
	HubHLC   hlc.Timestamp `json:"hub_hlc,omitempty"`
	Rejected []Rejection   `json:"rejected,omitempty"`
	// Error is set when the hub could not take the message at all, e.g. an
	// unsupported major version. The sender logs it and shows it in status.
	Error *Problem `json:"error,omitempty"`
}

// Rejection says the hub refused events Seq of Origin for Reason. They are
// dead-lettered on both sides and no longer block the stream.
type Rejection struct {
	Seq    uint64 `json:"seq"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// Problem is a machine code plus a reason a person can act on.
type Problem struct {
	Code   string `json:"code"`
	Reason string `json:"reason"`
	// Params are the values a screen words the problem with, for codes
	// that have a catalog entry "sync.<code>" (minor 1).
	Params map[string]any `json:"params,omitempty"`
}

// Pull asks the hub for every downlink event for Origin after Since.
type Pull struct {
	Origin string `json:"origin"`
	Since  uint64 `json:"since"`
	// Incarnation is the agent's data directory identity, as in Batch, so
	// that a refused incarnation hears why before it has a batch to send.
	Incarnation string `json:"incarnation,omitempty"`
	// Head is the highest sequence the agent holds and OldestUnsynced the
	// stamp's wall time (Unix ms) of its oldest event the hub has not
	// acknowledged, nil with none: head office's view of the outlet's
	// backlog. An agent from before minor 2 omits both and the hub shows
	// the backlog as unknown; the hub takes them as claims, not facts (a
	// head below what it acknowledged, a stamp beyond its bounds).
	Head           *uint64 `json:"head,omitempty"`
	OldestUnsynced *int64  `json:"oldest_unsynced,omitempty"`
}

// Down holds every downlink event for Target with hub sequence in
// (From, Through], in order. More says the hub has further events after
// Through and the agent should pull again.
type Down struct {
	Target  string  `json:"target"`
	From    uint64  `json:"from"`
	Through uint64  `json:"through"`
	Events  []Event `json:"events"`
	More    bool    `json:"more,omitempty"`
	HubTime int64   `json:"hub_time"`
}

// Poke announces that the hub's downlink log has reached Seq. Agents behind
// it pull.
type Poke struct {
	Seq uint64 `json:"seq"`
}
