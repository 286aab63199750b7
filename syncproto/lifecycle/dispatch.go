package lifecycle

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Courier dispatch event types (出库派送). A dispatch batch's subject is the
// batch id; a delivery's and a return's subject is the waybill.
//
// A batch concerns every waybill in it: a store that keeps each entity's
// events should index a DispatchOut event under the batch id and under each
// of its waybills (Subjects lists them), so that FoldParcel sees it.
const (
	DispatchOut       = "dispatch.out"       // a signed batch of parcels leaves with a named courier
	DispatchReturned  = "dispatch.returned"  // one parcel comes back undelivered, with a reason
	DispatchDelivered = "dispatch.delivered" // one parcel was delivered
)

// NonDeliveryReasons are the reasons a dispatched parcel comes back: the
// table's codes of a return's "reason".
var NonDeliveryReasons = codes(dispatchVocab, "reason")

// Where a returned parcel goes next.
const (
	DispositionRestock = "restock" // back on a shelf with a new pickup code
	DispositionReturn  = "return"  // into the return-to-sender flow
)

// DispatchOutV1 is the payload of DispatchOut: the courier signs once for
// the whole batch.
type DispatchOutV1 struct {
	Courier     string    `json:"courier"` // courier id
	CourierName string    `json:"courier_name,omitempty"`
	Day         string    `json:"day"` // the outlet's business day, YYYY-MM-DD
	Waybills    []string  `json:"waybills"`
	Signature   Signature `json:"signature"` // the courier's
	Staff       string    `json:"staff"`
	At          int64     `json:"at"`
}

// DispatchReturnedV1 is the payload of DispatchReturned. A restocked parcel
// carries its new shelf place and pickup code.
type DispatchReturnedV1 struct {
	Batch       string `json:"batch"`
	Courier     string `json:"courier"`
	Reason      string `json:"reason"` // one of NonDeliveryReasons
	Disposition string `json:"disposition"`
	Shelf       string `json:"shelf,omitempty"`
	Layer       string `json:"layer,omitempty"`
	Code        string `json:"code,omitempty"`
	Note        string `json:"note,omitempty"`
	Staff       string `json:"staff"`
	At          int64  `json:"at"`
}

// DispatchDeliveredV1 is the payload of DispatchDelivered. Proof is the
// recipient's (or named agent's) signature or another explicit, keepable
// confirmation.
type DispatchDeliveredV1 struct {
	Batch   string    `json:"batch"`
	Courier string    `json:"courier"`
	Proof   Signature `json:"proof"`
	At      int64     `json:"at"`
}

// Subjects lists the entities ev belongs to: its subject and, for a
// dispatch batch, each waybill in it.
func Subjects(ev *syncproto.Event) []string {
	out := []string{ev.Subject}
	if ev.Type == DispatchOut {
		var d DispatchOutV1
		if decode(ev, &d) == nil {
			for _, w := range d.Waybills {
				if w != "" && !slices.Contains(out, w) {
					out = append(out, w)
				}
			}
		}
	}
	return out
}

// CheckDispatch validates a dispatch batch's fields.
func CheckDispatch(d DispatchOutV1) error {
	switch {
	case d.Courier == "":
		return problem.New(problem.DispatchCourierRequired)
	case len(d.Waybills) == 0:
		return problem.New(problem.DispatchEmpty)
	case !d.Signature.Signed():
		return problem.New(problem.DispatchUnsigned)
	case d.Day == "":
		return problem.New(problem.DispatchDayRequired)
	}
	if _, err := time.Parse(time.DateOnly, d.Day); err != nil {
		return problem.New(problem.DispatchBadDay, "day", d.Day)
	}
	seen := map[string]bool{}
	for _, w := range d.Waybills {
		if w == "" || seen[w] {
			return problem.New(problem.DispatchBadWaybill, "waybill", w)
		}
		seen[w] = true
	}
	return nil
}

// CheckReturned validates a return's fields.
func CheckReturned(r DispatchReturnedV1) error {
	if !slices.Contains(NonDeliveryReasons, r.Reason) {
		return problem.New(problem.DispatchBadReason, "reason", r.Reason, "allowed", NonDeliveryReasons)
	}
	switch r.Disposition {
	case DispositionRestock:
		if r.Code == "" {
			return problem.New(problem.DispatchRestockCode)
		}
	case DispositionReturn:
	default:
		return problem.New(problem.DispatchBadDisposition, "disposition", r.Disposition, "allowed", []string{DispositionRestock, DispositionReturn})
	}
	return nil
}

// CheckDelivered validates a delivery's fields: it needs proof (快递市场管理办法
// Art. 28).
func CheckDelivered(d DispatchDeliveredV1) error {
	if !d.Proof.Signed() {
		return problem.New(problem.DispatchNoProof)
	}
	return nil
}

// Courier-day item states.
const (
	DispatchItemOut       = "out"
	DispatchItemDelivered = "delivered"
	DispatchItemReturned  = "returned"
)

// DispatchItem is one parcel on a courier's day.
type DispatchItem struct {
	Waybill     string `json:"waybill"`
	Batch       string `json:"batch"`
	State       string `json:"state"`
	Reason      string `json:"reason,omitempty"`
	Disposition string `json:"disposition,omitempty"`
	At          int64  `json:"at"` // last change, hub time Unix ms
}

// DispatchCounts are a courier day's counts by current item state.
type DispatchCounts struct {
	Parcels   int `json:"parcels"`
	Open      int `json:"open"`
	Delivered int `json:"delivered"`
	Returned  int `json:"returned"`
}

// CourierDay is one courier's business day at one outlet: what they took
// out and what became of it.
type CourierDay struct {
	Courier   string         `json:"courier"`
	Day       string         `json:"day"`
	Batches   []string       `json:"batches"`
	Items     []DispatchItem `json:"items"` // in order of first dispatch
	Open      []string       `json:"open"`  // neither delivered nor returned
	Counts    DispatchCounts `json:"counts"`
	Conflicts []Conflict     `json:"conflicts,omitempty"`
}

// FoldCourierDay folds a courier's dispatch batches of one business day and
// the deliveries and returns that name those batches. Pass any superset of
// the events: batches of other couriers or days, and results for other
// batches, are ignored. A parcel returned and restocked may go out again the
// same day in a later batch.
func FoldCourierDay(courier, day string, evs []syncproto.Event) CourierDay {
	return CourierDay{Courier: courier, Day: day, Batches: []string{}, Items: []DispatchItem{}}.fold(evs)
}

// fold folds evs onto d, the fold of the events before them.
func (d CourierDay) fold(evs []syncproto.Event) CourierDay {
	Order(evs)
	courier, day := d.Courier, d.Day
	idx := map[string]int{}
	for j, it := range d.Items {
		idx[it.Waybill] = j
	}
	conflict := func(ev *syncproto.Event, state string, err error) {
		d.Conflicts = append(d.Conflicts, conflictOf(ev, ev.Type, state, err))
	}
	for i := range evs {
		ev := &evs[i]
		switch ev.Type {
		case DispatchOut:
			var o DispatchOutV1
			if decode(ev, &o) != nil || o.Courier != courier || o.Day != day {
				continue
			}
			if err := CheckDispatch(o); err != nil {
				conflict(ev, "", err)
				continue
			}
			if slices.Contains(d.Batches, ev.Subject) {
				conflict(ev, "", problem.New(problem.DispatchRecorded))
				continue
			}
			d.Batches = append(d.Batches, ev.Subject)
			for _, w := range o.Waybills {
				j, ok := idx[w]
				if !ok {
					idx[w] = len(d.Items)
					d.Items = append(d.Items, DispatchItem{Waybill: w, Batch: ev.Subject, State: DispatchItemOut, At: o.At})
					continue
				}
				it := &d.Items[j]
				if it.State == DispatchItemOut || it.State == DispatchItemDelivered || it.Disposition == DispositionReturn {
					conflict(ev, it.State, problem.New(problem.DispatchAgain, "waybill", w))
					continue
				}
				*it = DispatchItem{Waybill: w, Batch: ev.Subject, State: DispatchItemOut, At: o.At}
			}
		case DispatchReturned, DispatchDelivered:
			var batch, c, reason, disp string
			var at int64
			var err error
			if ev.Type == DispatchReturned {
				var r DispatchReturnedV1
				if decode(ev, &r) != nil {
					continue
				}
				batch, c, reason, disp, at, err = r.Batch, r.Courier, r.Reason, r.Disposition, r.At, CheckReturned(r)
			} else {
				var dl DispatchDeliveredV1
				if decode(ev, &dl) != nil {
					continue
				}
				batch, c, at, err = dl.Batch, dl.Courier, dl.At, CheckDelivered(dl)
			}
			if c != courier || !slices.Contains(d.Batches, batch) {
				continue
			}
			j, ok := idx[ev.Subject]
			switch {
			case !ok || d.Items[j].Batch != batch:
				conflict(ev, "", problem.New(problem.DispatchNotInBatch, "waybill", ev.Subject, "batch", batch))
			case d.Items[j].State != DispatchItemOut:
				conflict(ev, d.Items[j].State, problem.New(problem.DispatchAlready, "waybill", ev.Subject, "state", d.Items[j].State))
			case err != nil:
				conflict(ev, DispatchItemOut, err)
			case ev.Type == DispatchReturned:
				d.Items[j].State, d.Items[j].Reason, d.Items[j].Disposition, d.Items[j].At = DispatchItemReturned, reason, disp, at
			default:
				d.Items[j].State, d.Items[j].At = DispatchItemDelivered, at
			}
		}
	}
	d.Open, d.Counts = []string{}, DispatchCounts{Parcels: len(d.Items)}
	for _, it := range d.Items {
		switch it.State {
		case DispatchItemOut:
			d.Open = append(d.Open, it.Waybill)
		case DispatchItemDelivered:
			d.Counts.Delivered++
		case DispatchItemReturned:
			d.Counts.Returned++
		}
	}
	d.Counts.Open = len(d.Open)
	return d
}

// DispatchBatch is a dispatch batch with its courier's results so far.
type DispatchBatch struct {
	ID string `json:"id"`
	CourierDay
}

// FoldDispatchBatch folds a batch and the deliveries and returns that name
// it: its courier's day, narrowed to the events the batch holds.
func FoldDispatchBatch(id string, evs []syncproto.Event) DispatchBatch {
	Order(evs)
	for i := range evs {
		if evs[i].Type == DispatchOut {
			var o DispatchOutV1
			if json.Unmarshal(evs[i].Payload, &o) == nil {
				return DispatchBatch{ID: id, CourierDay: FoldCourierDay(o.Courier, o.Day, evs)}
			}
		}
	}
	return DispatchBatch{ID: id}
}

// fold folds evs onto b, the fold of the batch's events before them.
func (b DispatchBatch) fold(id string, evs []syncproto.Event) DispatchBatch {
	if b.Courier == "" {
		return FoldDispatchBatch(id, evs) // not out yet: nothing before counts
	}
	b.CourierDay = b.CourierDay.fold(evs)
	return b
}

// DueAtDayEnd lists the parcels to flag at hub-corrected time now: once now
// reaches dayEnd (the outlet's configured end of the business day), every
// parcel still out — neither delivered nor returned. Before then it is nil.
func (d *CourierDay) DueAtDayEnd(now, dayEnd time.Time) []string {
	if now.Before(dayEnd) || len(d.Open) == 0 {
		return nil
	}
	return slices.Clone(d.Open)
}
