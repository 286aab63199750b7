package lifecycle

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/yizhan/yizhan/syncproto"
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
)

// Order sorts events into the one order every side folds in.
func Order(evs []syncproto.Event) {
	sort.SliceStable(evs, func(i, j int) bool {
		a, b := &evs[i], &evs[j]
		if a.HLC != b.HLC {
			return a.HLC < b.HLC
		}
		if a.Origin != b.Origin {
			return a.Origin < b.Origin
		}
		return a.Seq < b.Seq
	})
}

// Conflict is a step that was illegal at its place in the order and changed
// nothing.
type Conflict struct {
	EventID string `json:"event_id"`
	Origin  string `json:"origin"`
	Actor   string `json:"actor"`
	Step    string `json:"step"`
	State   string `json:"state"`
	Reason  string `json:"reason"`
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

// StepError is an illegal step refused when it was asked for.
type StepError struct {
	Entity  string
	ID      string
	State   string
	Step    string
	Allowed []string
	Reason  string
}

func (e *StepError) Error() string {
	allowed := "无 / none"
	if len(e.Allowed) > 0 {
		allowed = fmt.Sprint(e.Allowed)
	}
	msg := fmt.Sprintf("%s %s 当前状态 %s，不能执行 %s / %s %s is %s: cannot %s; allowed: %s",
		e.Entity, e.ID, e.State, e.Step, e.Entity, e.ID, e.State, e.Step, allowed)
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	return msg
}

// DuplicateError is a second inbound of a parcel in stock, a second pickup,
// or a second report of the same thing.
type DuplicateError struct{ Msg string }

func (e *DuplicateError) Error() string { return e.Msg }

func decode(ev *syncproto.Event, v any) error {
	if err := json.Unmarshal(ev.Payload, v); err != nil {
		return fmt.Errorf("%s payload: %w", ev.Type, err)
	}
	return nil
}
