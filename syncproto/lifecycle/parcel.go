package lifecycle

import (
	"slices"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Parcel states.
const (
	ParcelStateInbound   = "inbound"   // taken in at the counter, not yet on a shelf
	ParcelStateInStock   = "in_stock"  // shelved with a pickup code
	ParcelStatePickedUp  = "picked_up" // signed for
	ParcelStateRefused   = "refused"   // recipient inspected and refused; goes back
	ParcelStateOverdue   = "overdue"   // holding period over; goes back unless collected
	ParcelStateReturning = "returning" // in the return-to-sender flow
	// Out with a courier for delivery (DispatchOut): not in stock and not on
	// a shelf; its pickup code is free for another parcel.
	ParcelStateOutForDelivery = "out_for_delivery"
	ParcelStateDelivered      = "delivered" // delivered by a courier, with proof
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

// IDChecks are the identity check methods at pickup: the table's codes of
// a pickup's "id_check".
var IDChecks = codes(parcelVocab, "id_check")

// PickupV1 is the payload of ParcelPickedUp.
type PickupV1 struct {
	IDCheck         string `json:"id_check"`
	Signer          string `json:"signer"`               // recipient or agent
	AgentName       string `json:"agent_name,omitempty"` // in clear only in pickups from before it was sealed
	AgentNameSealed string `json:"agent_name_sealed,omitempty"`
	AgentNameMasked string `json:"agent_name_masked,omitempty"`
	SignatureSHA256 string `json:"signature_sha256,omitempty"`
	SignatureSVG    string `json:"signature_svg,omitempty"`
	// Another explicit, keepable confirmation: it holds the recipient's
	// name, so it is sealed (field confirmation, the parcel's record);
	// Confirmation is clear only in pickups from before it was sealed.
	Confirmation       string `json:"confirmation,omitempty"`
	ConfirmationSealed string `json:"confirmation_sealed,omitempty"`
	Staff              string `json:"staff"` // who handed it over; never the signer
	At                 int64  `json:"at"`
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
	Courier       string        `json:"courier,omitempty"`        // the courier it is or was last out with
	Batch         string        `json:"dispatch_batch,omitempty"` // that dispatch batch
	NotDelivered  string        `json:"not_delivered,omitempty"`  // the last non-delivery reason
	Delivered     *Signature    `json:"delivered,omitempty"`      // proof of a courier delivery
	History       []HistoryItem `json:"history,omitempty"`
	Conflicts     []Conflict    `json:"conflicts,omitempty"`
	ScanSummary                 // device scans, flattened into the JSON
}

// parcelSteps: event type → the states it may follow ("" is no parcel yet).
//
// A parcel goes out for delivery from inbound (straight from a courier's
// cage) or from a shelf; it comes back with a return, either onto a shelf
// with a new pickup code or into the return flow.
var parcelSteps = map[string][]string{
	ParcelInbound:       {"", ParcelStateScanned, ParcelStatePickedUp, ParcelStateReturning, ParcelStateDelivered},
	ParcelShelved:       {ParcelStateInbound, ParcelStateInStock},
	ParcelNotified:      {ParcelStateInStock, ParcelStateOverdue},
	ParcelPickedUp:      {ParcelStateInStock, ParcelStateOverdue},
	ParcelRefused:       {ParcelStateInStock, ParcelStateOverdue},
	ParcelOverdue:       {ParcelStateInStock},
	ParcelReturned:      {ParcelStateOverdue, ParcelStateRefused},
	ParcelSuspectedLoss: {ParcelStateInbound},
	DispatchOut:         {ParcelStateInbound, ParcelStateInStock},
	DispatchReturned:    {ParcelStateOutForDelivery},
	DispatchDelivered:   {ParcelStateOutForDelivery},
}

// parcelStepOrder is the order screens list parcel steps in.
var parcelStepOrder = []string{ParcelInbound, ParcelShelved, ParcelNotified, ParcelPickedUp, ParcelRefused, ParcelOverdue, ParcelReturned, ParcelSuspectedLoss,
	DispatchOut, DispatchReturned, DispatchDelivered}

// Allowed lists the parcel event types legal now, in a stable order.
func (p *Parcel) Allowed() []string {
	var out []string
	for _, t := range parcelStepOrder {
		if slices.Contains(parcelSteps[t], p.State) {
			out = append(out, t)
		}
	}
	return out
}

// Check says whether event type t may be recorded now. A scan always may.
func (p *Parcel) Check(t string) error {
	if t == ParcelScanned {
		return nil
	}
	if slices.Contains(parcelSteps[t], p.State) {
		return nil
	}
	switch {
	case t == ParcelInbound && p.State == ParcelStateInStock:
		return problem.New(problem.ParcelInStock, "waybill", p.Waybill, "code", p.PickupCode)
	case (t == ParcelInbound || t == ParcelPickedUp) && p.State == ParcelStateInbound:
		// Taken in with no shelf, so no pickup code to name or hand over
		// against: the way on is to shelve it.
		return problem.New(problem.ParcelNotShelved, "waybill", p.Waybill)
	case t == ParcelPickedUp && p.State == ParcelStatePickedUp:
		return problem.New(problem.ParcelPickedUp, "waybill", p.Waybill)
	case t == DispatchOut && p.State == ParcelStateOutForDelivery:
		return problem.New(problem.ParcelOutForDelivery, "waybill", p.Waybill, "courier", p.Courier)
	case t == DispatchDelivered && p.State == ParcelStateDelivered:
		return problem.New(problem.ParcelDelivered, "waybill", p.Waybill)
	}
	return &StepError{Entity: "parcel", ID: p.Waybill, State: p.State, Step: t, Allowed: p.Allowed()}
}

// FoldParcel folds one waybill's events at one outlet.
func FoldParcel(waybill string, evs []syncproto.Event) Parcel {
	return Parcel{Waybill: waybill}.fold(evs)
}

// fold folds evs onto p, the fold of the events before them.
func (p Parcel) fold(evs []syncproto.Event) Parcel {
	Order(evs)
	for i := range evs {
		p.apply(&evs[i])
	}
	return p
}

// Apply folds one more event that orders after all applied so far (the
// common case at the outlet that recorded it).
func (p *Parcel) Apply(ev *syncproto.Event) { p.apply(ev) }

func (p *Parcel) apply(ev *syncproto.Event) {
	if ev.Type == ParcelScanned {
		p.applyScan(ev)
		return
	}
	if _, ok := parcelSteps[ev.Type]; !ok {
		return
	}
	var out DispatchOutV1
	if ev.Type == DispatchOut {
		// A batch event reaches every parcel's fold; it concerns only those
		// it lists.
		if decode(ev, &out) != nil || !slices.Contains(out.Waybills, p.Waybill) {
			return
		}
	}
	if err := p.Check(ev.Type); err != nil {
		p.Conflicts = append(p.Conflicts, conflictOf(ev, ev.Type, p.State, err))
		return
	}
	var at int64
	switch ev.Type {
	case ParcelInbound:
		var in InboundV1
		if decode(ev, &in) != nil {
			return
		}
		*p = Parcel{Waybill: p.Waybill, Outlet: ev.Origin, State: ParcelStateInbound, History: p.History, Conflicts: p.Conflicts, ScanSummary: p.ScanSummary,
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
	case DispatchOut:
		if err := CheckDispatch(out); err != nil {
			p.Conflicts = append(p.Conflicts, conflictOf(ev, ev.Type, p.State, err))
			return
		}
		p.State, p.Courier, p.Batch, at = ParcelStateOutForDelivery, out.Courier, ev.Subject, out.At
		p.Shelf, p.Layer, p.PickupCode = "", "", ""
	case DispatchReturned:
		var r DispatchReturnedV1
		if decode(ev, &r) != nil {
			return
		}
		if err := p.checkResult(r.Batch, CheckReturned(r)); err != nil {
			p.Conflicts = append(p.Conflicts, conflictOf(ev, ev.Type, p.State, err))
			return
		}
		p.NotDelivered, at = r.Reason, r.At
		if r.Disposition == DispositionRestock {
			p.State, p.Shelf, p.Layer, p.PickupCode = ParcelStateInStock, r.Shelf, r.Layer, r.Code
		} else {
			p.State = ParcelStateReturning
		}
	case DispatchDelivered:
		var d DispatchDeliveredV1
		if decode(ev, &d) != nil {
			return
		}
		if err := p.checkResult(d.Batch, CheckDelivered(d)); err != nil {
			p.Conflicts = append(p.Conflicts, conflictOf(ev, ev.Type, p.State, err))
			return
		}
		d.Proof.SVG = ""
		p.State, p.Delivered, at = ParcelStateDelivered, &d.Proof, d.At
	}
	p.History = append(p.History, HistoryItem{Step: ev.Type, State: p.State, Actor: ev.Actor, Origin: ev.Origin, At: at})
}

// checkResult refuses a delivery or return that names another batch than
// the one the parcel is out in, or whose fields are invalid (err).
func (p *Parcel) checkResult(batch string, err error) error {
	if batch != p.Batch {
		return problem.New(problem.ParcelWrongBatch, "waybill", p.Waybill, "batch", p.Batch, "other", batch)
	}
	return err
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
