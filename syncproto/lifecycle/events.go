package lifecycle

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Event types. Subjects: a parcel's is its waybill; an exception's, a
// complaint's and a notice's is its id. Manifests, handover sessions and
// dispatch batches have their own ids (manifest.go, dispatch.go); waybill
// number events have the outlet id (waybills.go). Subjects lists every
// entity an event belongs to.
const (
	ParcelInbound       = "parcel.inbound"
	ParcelShelved       = "parcel.shelved"
	ParcelNotified      = "parcel.notified"
	ParcelPickedUp      = "parcel.picked_up"
	ParcelRefused       = "parcel.refused"
	ParcelOverdue       = "parcel.overdue"
	ParcelReturned      = "parcel.returned"
	ParcelSuspectedLoss = "parcel.suspected_loss"

	ExceptionReported = "exception.reported"
	ExceptionStep     = "exception.step"

	ComplaintReceived = "complaint.received"
	ComplaintStep     = "complaint.step"

	NoticePublished    = "notice.published"
	NoticeEnded        = "notice.ended"
	NoticeAcknowledged = "notice.acknowledged"

	TemplatePublished = "template.published"

	PersonalViewed = "audit.personal_viewed"

	// Logins and lockouts at an outlet's counter (payload LoginAuditV1).
	// Subject "staff/<id>", the id as typed for one no member has;
	// LoginLimited's is "client/<address>".
	LoginSucceeded = "audit.login"
	LoginFailed    = "audit.login_failed"
	StaffLocked    = "audit.staff_locked"
	StaffUnlocked  = "audit.staff_unlocked"
	LoginLimited   = "audit.login_limited"

	// A retention run at an outlet (payload RetentionV1, version 1):
	// subject "retention/events" for the pruning of the event log,
	// "retention/personal" for the purge of personal data. Head office
	// records its own purge in its audit trail with the same payload.
	RetentionRan = "audit.retention"
)

// Order sorts events into the one order every side folds in: by FoldStamp
// (HLC, or the hub's cap on an outlet stamp beyond the skew bound), then
// origin, then sequence.
func Order(evs []syncproto.Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := &evs[i], &evs[j]
		if sa, sb := a.FoldStamp(), b.FoldStamp(); sa != sb {
			return sa < sb
		}
		if a.Origin != b.Origin {
			return a.Origin < b.Origin
		}
		return a.Seq < b.Seq
	})
}

// Conflict is a step that was illegal at its place in the order and changed
// nothing. Code and Params say why for a screen (a syncproto/problem code);
// Reason is the same in words, the code's fallback message.
type Conflict struct {
	EventID string         `json:"event_id"`
	Origin  string         `json:"origin"`
	Actor   string         `json:"actor"`
	Step    string         `json:"step"`
	State   string         `json:"state"`
	Code    string         `json:"code,omitempty"`
	Params  map[string]any `json:"params,omitempty"`
	Reason  string         `json:"reason"`
}

// conflictOf records that ev, taking step from state, was refused with err.
func conflictOf(ev *syncproto.Event, step, state string, err error) Conflict {
	c := Conflict{EventID: ev.ID, Origin: ev.Origin, Actor: ev.Actor, Step: step, State: state, Reason: err.Error()}
	if p := problem.As(err); p != nil {
		c.Code, c.Params = p.Code().String(), p.Params()
	}
	return c
}

// HistoryItem is one applied step, for the screen's timeline.
type HistoryItem struct {
	Step   string `json:"step"`
	State  string `json:"state"`
	Actor  string `json:"actor"`
	Origin string `json:"origin"`
	At     int64  `json:"at"` // hub-corrected Unix ms
	Note   string `json:"note,omitempty"`
}

// StepError is an illegal step refused when it was asked for. It carries
// the state and the steps allowed now, which the APIs send beside the error
// (409 {"error", "state", "allowed"}), and unwraps to its problem.Error.
type StepError struct {
	Entity  string
	ID      string
	State   string // "" when the entity has no record yet
	Step    string
	Allowed []string
	// Why is the refusal's code when more than the state forbids the step
	// (problem.StepUnknown, problem.StepHubOnly…); the zero Code means the
	// state does not allow it (problem.StepNotAllowed, or
	// problem.StepNoRecord without a state).
	Why problem.Code
	// Params are Why's parameters beyond entity, id, state, step, allowed.
	Params map[string]any
}

// Problem is the error as the catalog words it.
func (e *StepError) Problem() *problem.Error {
	code := e.Why
	if code == (problem.Code{}) {
		code = problem.StepNotAllowed
		if e.State == "" {
			code = problem.StepNoRecord
		}
	}
	allowed := e.Allowed
	if allowed == nil {
		allowed = []string{}
	}
	kv := []any{"entity", e.Entity, "id", e.ID, "state", e.State, "step", e.Step, "allowed", allowed}
	for k, v := range e.Params {
		kv = append(kv, k, v)
	}
	return problem.New(code, kv...).WithFields("state", e.State, "allowed", allowed)
}

func (e *StepError) Error() string { return e.Problem().Error() }

// Unwrap makes errors.As find the problem.Error.
func (e *StepError) Unwrap() error { return e.Problem() }

func decode(ev *syncproto.Event, v any) error {
	if err := json.Unmarshal(ev.Payload, v); err != nil {
		return fmt.Errorf("%s payload: %w", ev.Type, err)
	}
	return nil
}
