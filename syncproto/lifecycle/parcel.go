package lifecycle

import (
	"fmt"
	"slices"
	"time"

	"github.com/yizhan/yizhan/syncproto"
)

// Parcel states.
const (
	ParcelStateInbound   = "inbound"   // scanned in, not yet on a shelf
	ParcelStateInStock   = "in_stock"  // shelved with a pickup code
	ParcelStatePickedUp  = "picked_up" // signed for
	ParcelStateRefused   = "refused"   // recipient inspected and refused; goes back
	ParcelStateOverdue   = "overdue"   // holding period over; goes back unless collected
	ParcelStateReturning = "returning" // in the return-to-sender flow
)

// InboundV1 is the payload of ParcelInbound. Personal fields are sealed by
// the recording side and shown masked.
type InboundV1 struct {
	Waybill     string   `json:"waybill"`
	PhoneSealed string   `json:"phone_sealed,omitempty"`
	PhoneMasked string   `json:"phone_masked,omitempty"`
	NameSealed  string   `json:"name_sealed,omitempty"`
	NameMasked  string   `json:"name_masked,omitempty"`
	Customer    string   `json:"customer,omitempty"` // keyed hash of the phone
	PhoneLast4  string   `json:"phone_last4,omitempty"`
	SameCity    bool     `json:"same_city,omitempty"`
	Carriers    []string `json:"carriers,omitempty"`
	HoldDays    int      `json:"hold_days"` // outlet's holding period when it came in
	At          int64    `json:"at"`        // hub-corrected Unix ms
}

// ShelvedV1 is the payload of ParcelShelved.
type ShelvedV1 struct {
	Shelf string `json:"shelf"`
	Layer string `json:"layer"`
	Code  string `json:"code"` // shelf-layer-number
	At    int64  `json:"at"`
}

// NotifiedV1 is the payload of ParcelNotified.
type NotifiedV1 struct {
	Reason  string `json:"reason"`  // arrival, reminder
	Channel string `json:"channel"` // log, webhook…
	At      int64  `json:"at"`
}

// Identity check methods at pickup.
var IDChecks = []string{"code_only", "id_card", "app"}

// PickupV1 is the payload of ParcelPickedUp.
type PickupV1 struct {
	IDCheck         string `json:"id_check"`
	Signer          string `json:"signer"` // recipient or agent
	AgentName       string `json:"agent_name,omitempty"`
	SignatureSHA256 string `json:"signature_sha256,omitempty"`
	SignatureSVG    string `json:"signature_svg,omitempty"`
	Confirmation    string `json:"confirmation,omitempty"` // another explicit, keepable confirmation
	Staff           string `json:"staff"`                  // who handed it over; never the signer
	At              int64  `json:"at"`
}

// ReasonV1 is the payload of ParcelRefused, ParcelOverdue, ParcelReturned
// and ParcelSuspectedLoss.
type ReasonV1 struct {
	Reason string `json:"reason,omitempty"`
	At     int64  `json:"at"`
}

// Parcel is a waybill's folded state at one outlet.
type Parcel struct {
	Waybill       string        `json:"waybill"`
	Outlet        string        `json:"outlet"`
	State         string        `json:"status"`
	PickupCode    string        `json:"pickup_code,omitempty"`
	Shelf         string        `json:"shelf,omitempty"`
	Layer         string        `json:"layer,omitempty"`
	PhoneMasked   string        `json:"phone_masked,omitempty"`
	PhoneSealed   string        `json:"phone_sealed,omitempty"`
	NameMasked    string        `json:"name_masked,omitempty"`
	NameSealed    string        `json:"name_sealed,omitempty"`
	Customer      string        `json:"customer,omitempty"`
	PhoneLast4    string        `json:"phone_last4,omitempty"`
	SameCity      bool          `json:"same_city,omitempty"`
	Carriers      []string      `json:"carriers,omitempty"`
	InboundAt     time.Time     `json:"inbound_at,omitzero"`
	HeldUntil     time.Time     `json:"held_until,omitzero"`
	Notified      int           `json:"notified"`
	SuspectedLoss bool          `json:"suspected_loss,omitempty"`
	Pickup        *PickupV1     `json:"pickup,omitempty"`
	RefusedReason string        `json:"refused_reason,omitempty"`
	History       []HistoryItem `json:"history,omitempty"`
	Conflicts     []Conflict    `json:"conflicts,omitempty"`
}

// parcelSteps: event type → the states it may follow ("" is no parcel yet).
var parcelSteps = map[string][]string{
	ParcelInbound:       {"", ParcelStatePickedUp, ParcelStateReturning},
	ParcelShelved:       {ParcelStateInbound, ParcelStateInStock},
	ParcelNotified:      {ParcelStateInStock, ParcelStateOverdue},
	ParcelPickedUp:      {ParcelStateInStock, ParcelStateOverdue},
	ParcelRefused:       {ParcelStateInStock, ParcelStateOverdue},
	ParcelOverdue:       {ParcelStateInStock},
	ParcelReturned:      {ParcelStateOverdue, ParcelStateRefused},
	ParcelSuspectedLoss: {ParcelStateInbound},
}

// Allowed lists the parcel event types legal now, in a stable order.
func (p *Parcel) Allowed() []string {
	var out []string
	for _, t := range []string{ParcelInbound, ParcelShelved, ParcelNotified, ParcelPickedUp, ParcelRefused, ParcelOverdue, ParcelReturned, ParcelSuspectedLoss} {
		if slices.Contains(parcelSteps[t], p.State) {
			out = append(out, t)
		}
	}
	return out
}

// Check says whether event type t may be recorded now.
func (p *Parcel) Check(t string) error {
	if slices.Contains(parcelSteps[t], p.State) {
		return nil
	}
	switch {
	case t == ParcelInbound && (p.State == ParcelStateInStock || p.State == ParcelStateInbound):
		return &DuplicateError{Msg: fmt.Sprintf("运单 %s 已在库，取件码 %s / parcel %s is already in stock (pickup code %s)", p.Waybill, p.PickupCode, p.Waybill, p.PickupCode)}
	case t == ParcelPickedUp && p.State == ParcelStatePickedUp:
		return &DuplicateError{Msg: fmt.Sprintf("运单 %s 已被取走 / parcel %s was already picked up", p.Waybill, p.Waybill)}
	}
	state := p.State
	if state == "" {
		state = "未入库 / not in stock"
	}
	return &StepError{Entity: "parcel", ID: p.Waybill, State: state, Step: t, Allowed: p.Allowed()}
}

// FoldParcel folds one waybill's events at one outlet.
func FoldParcel(waybill string, evs []syncproto.Event) Parcel {
	Order(evs)
	p := Parcel{Waybill: waybill}
	for i := range evs {
		p.apply(&evs[i])
	}
	return p
}

// Apply folds one more event that orders after all applied so far (the
// common case at the outlet that recorded it).
func (p *Parcel) Apply(ev *syncproto.Event) { p.apply(ev) }

func (p *Parcel) apply(ev *syncproto.Event) {
	if _, ok := parcelSteps[ev.Type]; !ok {
		return
	}
	if err := p.Check(ev.Type); err != nil {
		p.Conflicts = append(p.Conflicts, Conflict{EventID: ev.ID, Origin: ev.Origin, Actor: ev.Actor, Step: ev.Type, State: p.State, Reason: err.Error()})
		return
	}
	var at int64
	switch ev.Type {
	case ParcelInbound:
		var in InboundV1
		if decode(ev, &in) != nil {
			return
		}
		*p = Parcel{Waybill: p.Waybill, Outlet: ev.Origin, State: ParcelStateInbound, History: p.History, Conflicts: p.Conflicts,
			PhoneMasked: in.PhoneMasked, PhoneSealed: in.PhoneSealed, NameMasked: in.NameMasked, NameSealed: in.NameSealed,
			Customer: in.Customer, PhoneLast4: in.PhoneLast4, SameCity: in.SameCity, Carriers: in.Carriers,
			InboundAt: time.UnixMilli(in.At).UTC(), HeldUntil: time.UnixMilli(in.At).UTC().AddDate(0, 0, max(in.HoldDays, 1))}
		at = in.At
	case ParcelShelved:
		var s ShelvedV1
		if decode(ev, &s) != nil {
			return
		}
		p.State, p.Shelf, p.Layer, p.PickupCode, at = ParcelStateInStock, s.Shelf, s.Layer, s.Code, s.At
	case ParcelNotified:
		var n NotifiedV1
		_ = decode(ev, &n)
		p.Notified++
		at = n.At
	case ParcelPickedUp:
		var pu PickupV1
		if decode(ev, &pu) != nil {
			return
		}
		pu.SignatureSVG = "" // kept in the event; the state needs only its hash
		p.State, p.Pickup, at = ParcelStatePickedUp, &pu, pu.At
	case ParcelRefused, ParcelOverdue, ParcelReturned, ParcelSuspectedLoss:
		var r ReasonV1
		_ = decode(ev, &r)
		at = r.At
		switch ev.Type {
		case ParcelRefused:
			p.State, p.RefusedReason = ParcelStateReturning, r.Reason
		case ParcelOverdue:
			p.State = ParcelStateOverdue
		case ParcelReturned:
			p.State = ParcelStateReturning
		case ParcelSuspectedLoss:
			p.SuspectedLoss = true
		}
	}
	p.History = append(p.History, HistoryItem{Step: ev.Type, State: p.State, Actor: ev.Actor, Origin: ev.Origin, At: at})
}

// LossLimit is how long a parcel may sit before it counts as completely
// delayed and may be treated as lost (GB/T 27917): 3 calendar days in the
// same city, 7 otherwise.
func LossLimit(sameCity bool) time.Duration {
	if sameCity {
		return 3 * 24 * time.Hour
	}
	return 7 * 24 * time.Hour
}

// Due reports which automatic events a parcel is due for at hub-corrected
// time now: a reminder (remindBefore the end of holding), overdue (holding
// over), or a suspected-loss flag for a parcel scanned in but never shelved
// past the GB/T 27917 limit.
func (p *Parcel) Due(now time.Time, remindBefore time.Duration) []string {
	var due []string
	if p.State == ParcelStateInStock && p.Notified < 2 && !now.Before(p.HeldUntil.Add(-remindBefore)) && now.Before(p.HeldUntil) {
		due = append(due, ParcelNotified)
	}
	if p.State == ParcelStateInStock && !now.Before(p.HeldUntil) {
		due = append(due, ParcelOverdue)
	}
	if !p.SuspectedLoss && !p.InboundAt.IsZero() && p.State == ParcelStateInbound &&
		now.Sub(p.InboundAt) >= LossLimit(p.SameCity) {
		due = append(due, ParcelSuspectedLoss)
	}
	return due
}
