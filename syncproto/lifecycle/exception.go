package lifecycle

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// ExceptionKinds are the exception kinds (异常件), mapped to EPCIS
// dispositions where one fits: the table's codes of an exception's "kind".
var ExceptionKinds = codes(exceptionVocab, "kind")

// Exception states.
const (
	ExceptionStateReported         = "reported"
	ExceptionStateHandling         = "handling"
	ExceptionStateCustomerInformed = "customer_informed"
	ExceptionStateClaimOpen        = "claim_open"
	ExceptionStateClaimDecided     = "claim_decided"
	ExceptionStateClosed           = "closed"
)

var exceptionOpen = open(ExceptionStateReported, ExceptionStateHandling, ExceptionStateCustomerInformed, ExceptionStateClaimOpen, ExceptionStateClaimDecided)

var exceptionMachine = machine{
	entity: "exception",
	order:  []string{"start_handling", "inform_customer", "open_claim", "decide_claim", "close", "assign", "flag_suspected_loss"},
	closed: ExceptionStateClosed,
	steps: map[string]step{
		"start_handling":      {from: []string{ExceptionStateReported}, to: ExceptionStateHandling},
		"inform_customer":     {from: []string{ExceptionStateHandling}, to: ExceptionStateCustomerInformed},
		"open_claim":          {from: []string{ExceptionStateCustomerInformed}, to: ExceptionStateClaimOpen},
		"decide_claim":        {from: []string{ExceptionStateClaimOpen}, to: ExceptionStateClaimDecided, hubOnly: true},
		"close":               {from: []string{ExceptionStateCustomerInformed, ExceptionStateClaimDecided}, to: ExceptionStateClosed},
		"assign":              {from: exceptionOpen},
		"flag_suspected_loss": {from: exceptionOpen},
	},
}

// Photo is a stored blob referenced by hash.
type Photo struct {
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
	Type   string `json:"type"`
}

// ExceptionReportedV1 is the payload of ExceptionReported; the subject is
// the exception id.
type ExceptionReportedV1 struct {
	Waybill  string  `json:"waybill"`
	Kind     string  `json:"kind"`
	Note     string  `json:"note,omitempty"`
	Owner    string  `json:"owner"` // first person contacted (首问负责制)
	Photos   []Photo `json:"photos,omitempty"`
	SameCity bool    `json:"same_city,omitempty"`
	// Handover is the courier handover session that raised the exception
	// (a parcel missing from or extra to its manifests); screens word that
	// from the kind and the id, so it is not a note in one language.
	Handover string `json:"handover,omitempty"`
	At       int64  `json:"at"`
}

// ExceptionStepV1 is the payload of ExceptionStep.
type ExceptionStepV1 struct {
	Step        string `json:"step"`
	Note        string `json:"note,omitempty"`
	Owner       string `json:"owner,omitempty"`        // assign
	Approved    *bool  `json:"approved,omitempty"`     // decide_claim
	AmountCents int64  `json:"amount_cents,omitempty"` // decide_claim
	At          int64  `json:"at"`
}

// Claim is an exception's compensation claim (理赔).
type Claim struct {
	Opened      bool   `json:"opened"`
	Decided     bool   `json:"decided"`
	Approved    bool   `json:"approved"`
	AmountCents int64  `json:"amount_cents,omitempty"`
	DecidedBy   string `json:"decided_by,omitempty"`
}

// Exception is an exception parcel's folded state.
type Exception struct {
	ID            string        `json:"id"`
	Outlet        string        `json:"outlet"`
	Waybill       string        `json:"waybill"`
	Kind          string        `json:"kind"`
	State         string        `json:"state"`
	Owner         string        `json:"owner"`
	Note          string        `json:"note,omitempty"`
	Photos        []Photo       `json:"photos,omitempty"`
	SameCity      bool          `json:"same_city,omitempty"`
	Handover      string        `json:"handover,omitempty"` // the handover session that raised it
	ReportedAt    time.Time     `json:"reported_at,omitzero"`
	Claim         Claim         `json:"claim"`
	SuspectedLoss bool          `json:"suspected_loss,omitempty"`
	History       []HistoryItem `json:"history,omitempty"`
	Conflicts     []Conflict    `json:"conflicts,omitempty"`
}

// Allowed lists the steps a side may take now.
func (x *Exception) Allowed(origin string) []string {
	return exceptionMachine.allowed(x.State, origin)
}

// Check says whether origin may take step now.
func (x *Exception) Check(step, origin string) error {
	if x.State == "" {
		return &StepError{Entity: "exception", ID: x.ID, Step: step}
	}
	return exceptionMachine.check(x.ID, x.State, step, origin)
}

// FoldException folds one exception's events from every side.
func FoldException(id string, evs []syncproto.Event) Exception {
	return Exception{ID: id}.fold(evs)
}

// fold folds evs onto x, the fold of the events before them.
func (x Exception) fold(evs []syncproto.Event) Exception {
	Order(evs)
	for i := range evs {
		x.apply(&evs[i])
	}
	return x
}

func (x *Exception) conflict(ev *syncproto.Event, step string, err error) {
	x.Conflicts = append(x.Conflicts, conflictOf(ev, step, x.State, err))
}

func (x *Exception) apply(ev *syncproto.Event) {
	switch ev.Type {
	case ExceptionReported:
		var r ExceptionReportedV1
		if decode(ev, &r) != nil {
			return
		}
		if x.State != "" {
			x.conflict(ev, "report", problem.New(problem.ExceptionReported))
			return
		}
		x.Outlet, x.Waybill, x.Kind, x.Note, x.Owner, x.Photos, x.SameCity = ev.Origin, r.Waybill, r.Kind, r.Note, r.Owner, r.Photos, r.SameCity
		x.Handover = r.Handover
		x.State, x.ReportedAt = ExceptionStateReported, time.UnixMilli(r.At).UTC()
		x.History = append(x.History, HistoryItem{Step: "report", State: x.State, Actor: ev.Actor, Origin: ev.Origin, At: r.At, Note: r.Note})
	case ExceptionStep:
		var s ExceptionStepV1
		if decode(ev, &s) != nil {
			return
		}
		if s.Step == "flag_suspected_loss" && x.SuspectedLoss {
			return // both sides' timers may flag while apart: once is enough
		}
		if err := x.Check(s.Step, ev.Origin); err != nil {
			x.conflict(ev, s.Step, err)
			return
		}
		switch s.Step {
		case "assign":
			x.Owner = s.Owner
		case "open_claim":
			x.Claim.Opened = true
		case "decide_claim":
			x.Claim.Decided, x.Claim.DecidedBy, x.Claim.AmountCents = true, ev.Actor, s.AmountCents
			x.Claim.Approved = s.Approved != nil && *s.Approved
		case "flag_suspected_loss":
			x.SuspectedLoss = true
		}
		x.State = exceptionMachine.next(x.State, s.Step)
		x.History = append(x.History, HistoryItem{Step: s.Step, State: x.State, Actor: ev.Actor, Origin: ev.Origin, At: s.At, Note: s.Note})
	}
}

// DueSuspectedLoss reports whether a delayed or lost report has passed the
// GB/T 27917 limit (3 days same city, 7 otherwise) without being closed, so
// the parcel may now be treated as lost and a claim opened.
func (x *Exception) DueSuspectedLoss(now time.Time) bool {
	return !x.SuspectedLoss && x.State != ExceptionStateClosed && x.State != "" &&
		slices.Contains([]string{"delayed", "lost"}, x.Kind) && now.Sub(x.ReportedAt) >= LossLimit(x.SameCity)
}

// ExceptionDeadlines is how long each exception kind may take to be handled
// from its report, in hub-corrected time. A kind not named falls back to
// DefaultExceptionDeadlines.
type ExceptionDeadlines map[string]time.Duration

// ReasonHandleBreached is the breach an exception past its deadline shows.
const ReasonHandleBreached = "handle_deadline"

// ExceptionDeadline is an exception's position against its handling
// deadline at a moment of hub-corrected time, in the shape of a
// complaint's Deadlines so screens count both down alike.
type ExceptionDeadline struct {
	HandleBy        time.Time `json:"handle_by,omitzero"`
	HandleRemaining int64     `json:"handle_remaining_s"`
	HandledAt       time.Time `json:"handled_at,omitzero"` // the countdown stopped here
	Breached        []string  `json:"breached,omitempty"`
}

// For is the deadline of kind: the configured one, else the default.
func (d ExceptionDeadlines) For(kind string) time.Duration {
	if v, ok := d[kind]; ok && v > 0 {
		return v
	}
	if v, ok := DefaultExceptionDeadlines[kind]; ok {
		return v
	}
	return DefaultExceptionDeadlines["other"]
}

// ParseExceptionDeadlines reads "kind=duration,kind=duration" (the setting
// exceptions.deadlines, e.g. "delayed=36h,refused=12h") over the defaults.
// An empty string is the defaults; an unknown kind or a duration that is not
// positive is refused, so a typo does not silently keep the default.
func ParseExceptionDeadlines(s string) (ExceptionDeadlines, error) {
	out := maps.Clone(DefaultExceptionDeadlines)
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		kind, dur, ok := strings.Cut(item, "=")
		kind = strings.TrimSpace(kind)
		if !ok || !slices.Contains(ExceptionKinds, kind) {
			return nil, fmt.Errorf("%q: want kind=duration with kind one of %s", item, strings.Join(ExceptionKinds, ", "))
		}
		d, err := time.ParseDuration(strings.TrimSpace(dur))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%q: the deadline must be a positive duration such as 48h", item)
		}
		out[kind] = d
	}
	return out, nil
}

// HandledAt is when the exception was handled: the claim decided or the
// exception closed, whichever came first; zero while neither has.
func (x *Exception) HandledAt() time.Time {
	for _, h := range x.History {
		if h.State == ExceptionStateClaimDecided || h.State == ExceptionStateClosed {
			return time.UnixMilli(h.At).UTC()
		}
	}
	return time.Time{}
}

// Deadline computes the exception's handling deadline at hub-corrected time
// now. Once handled, the remaining time is frozen at the moment it was
// handled, as a complaint's met deadline is.
func (x *Exception) Deadline(limits ExceptionDeadlines, now time.Time) ExceptionDeadline {
	if x.State == "" || x.ReportedAt.IsZero() {
		return ExceptionDeadline{}
	}
	d := ExceptionDeadline{HandleBy: x.ReportedAt.Add(limits.For(x.Kind))}
	at := now
	if d.HandledAt = x.HandledAt(); !d.HandledAt.IsZero() {
		at = d.HandledAt
	}
	d.HandleRemaining = int64(d.HandleBy.Sub(at) / time.Second)
	// Breached from the deadline's instant on, not from a whole second
	// later as the remaining seconds would say: head office's queue
	// (NextDue at or before now) must call the same case overdue.
	if !at.Before(d.HandleBy) {
		d.Breached = []string{ReasonHandleBreached}
	}
	return d
}

// Overdue reports whether the exception is open and past its deadline at
// now: what head office asks for with ?overdue=1.
func (x *Exception) Overdue(limits ExceptionDeadlines, now time.Time) bool {
	return x.State != "" && x.State != ExceptionStateClosed && x.HandledAt().IsZero() &&
		len(x.Deadline(limits, now).Breached) > 0
}

// NextDue is the deadline the exception still has to meet: its handling
// deadline while it is open and not handled, zero otherwise. Head office's
// queue orders by it; Overdue is NextDue passed.
func (x *Exception) NextDue(limits ExceptionDeadlines) time.Time {
	if x.State == "" || x.State == ExceptionStateClosed || x.ReportedAt.IsZero() || !x.HandledAt().IsZero() {
		return time.Time{}
	}
	return x.ReportedAt.Add(limits.For(x.Kind))
}
