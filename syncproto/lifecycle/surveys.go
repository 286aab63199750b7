package lifecycle

// Satisfaction surveys. Head office invites a sample of customers after a
// trigger and records each answer as a hub event that no outlet pulls
// (target syncproto.HubOrigin): the measures count it (hub/store
// rollups.go), and the store holds it like every other business fact.

// Survey triggers: what a sampling rule is for.
const (
	SurveyOnPickup          = "pickup"           // parcel.picked_up
	SurveyOnDelivery        = "delivery"         // dispatch.delivered
	SurveyOnComplaintClosed = "complaint_closed" // a complaint reaching closed
	// SurveyOnNoticeEnded: a special period's recovery notice
	// (notice.ended) to one outlet, for the customers seen there since
	// the notice took effect.
	SurveyOnNoticeEnded = "notice_ended"
)

// SurveyTriggers lists the triggers in the screen's order.
var SurveyTriggers = []string{SurveyOnPickup, SurveyOnDelivery, SurveyOnComplaintClosed, SurveyOnNoticeEnded}

// SurveyAnswered is a customer's answer to an invitation (payload
// SurveyAnsweredV1), subject the invitation id.
const SurveyAnswered = "survey.answered"

// SurveyAnsweredV1 is the payload of SurveyAnswered. Scores hold one 1–5
// score per question of the definition's version, in its order, 0 for a
// question left out. Outlet is where the trigger happened: the answer
// counts for that outlet in the measures. The customer's comment is
// sealed (syncproto/sealed, field Text, record survey/<invitation id>)
// with head office's own key, the outlet key of syncproto.HubOrigin, and
// purged with the other personal data.
type SurveyAnsweredV1 struct {
	Survey        string  `json:"survey"`
	Version       int64   `json:"version"`
	Trigger       string  `json:"trigger"`
	Outlet        string  `json:"outlet"`
	Customer      string  `json:"customer"`
	Scores        []int64 `json:"scores"`
	CommentSealed string  `json:"comment_sealed,omitempty"`
	OptedOut      bool    `json:"opted_out,omitempty"`
	At            int64   `json:"at"`
}

// An invitation's message on its way, recorded by head office as hub
// events no outlet pulls (target syncproto.HubOrigin), subject the
// invitation id, payload SurveyInvitationV1, each in the transaction
// that moves the message in the customer-message outbox: the measures
// count sends and deliveries from them, beside the answers.
const (
	// SurveyInvitationSent: the company gateway took the message.
	SurveyInvitationSent = "survey.invitation_sent"
	// SurveyInvitationDelivered: the gateway reported it on the phone,
	// by its receipt or as it took it (then Sent is set: the one event
	// stands for both steps).
	SurveyInvitationDelivered = "survey.invitation_delivered"
)

// SurveyInvitationV1 is the payload of SurveyInvitationSent and
// SurveyInvitationDelivered: which survey version the invitation asks,
// and the trigger and outlet it counts for. It names no customer.
type SurveyInvitationV1 struct {
	Survey  string `json:"survey"`
	Version int64  `json:"version"`
	Trigger string `json:"trigger"`
	Outlet  string `json:"outlet"`
	// Sent marks a delivery the gateway reported as it took the message:
	// no SurveyInvitationSent precedes it.
	Sent bool  `json:"sent,omitempty"`
	At   int64 `json:"at"`
}
