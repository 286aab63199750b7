package lifecycle

import (
	"slices"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Complaint vocabularies: the table's codes of a complaint's fields.
var (
	ComplaintChannels   = codes(complaintVocab, "channel")
	ComplaintTypes      = codes(complaintVocab, "type")
	ComplaintCategories = codes(complaintVocab, "category")
	ComplaintSeverities = codes(complaintVocab, "severity")
	// HeadOfficeChannels are the channels head office takes complaints
	// from itself (hub/channels); the counter does not offer them.
	HeadOfficeChannels = headOfficeCodes(complaintVocab, "channel")
)

func headOfficeCodes(v []SubKind, field string) []string {
	var out []string
	for _, s := range v {
		if s.Field == field && s.HeadOffice {
			out = append(out, s.Code)
		}
	}
	return out
}

// Complaint states, in lifecycle order.
const (
	ComplaintStateReceived              = "received"
	ComplaintStateAcknowledged          = "acknowledged"
	ComplaintStateInvestigating         = "investigating"
	ComplaintStateResponsibilityDecided = "responsibility_decided"
	ComplaintStateSolutionProposed      = "solution_proposed"
	ComplaintStateCustomerAgreed        = "customer_agreed"
	ComplaintStateCarriedOut            = "carried_out"
	ComplaintStateFollowedUp            = "followed_up"
	ComplaintStateClosed                = "closed"
)

var complaintOpen = open(ComplaintStateReceived, ComplaintStateAcknowledged, ComplaintStateInvestigating,
	ComplaintStateResponsibilityDecided, ComplaintStateSolutionProposed, ComplaintStateCustomerAgreed,
	ComplaintStateCarriedOut, ComplaintStateFollowedUp)

var complaintMachine = machine{
	entity: "complaint",
	order: []string{"acknowledge", "investigate", "decide_responsibility", "propose_solution", "customer_agrees",
		"carry_out", "follow_up", "close", "assign", "escalate", "attach_notice"},
	closed: ComplaintStateClosed,
	steps: map[string]step{
		"acknowledge":           {from: []string{ComplaintStateReceived}, to: ComplaintStateAcknowledged},
		"investigate":           {from: []string{ComplaintStateAcknowledged}, to: ComplaintStateInvestigating},
		"decide_responsibility": {from: []string{ComplaintStateInvestigating}, to: ComplaintStateResponsibilityDecided},
		"propose_solution":      {from: []string{ComplaintStateResponsibilityDecided}, to: ComplaintStateSolutionProposed},
		"customer_agrees":       {from: []string{ComplaintStateSolutionProposed}, to: ComplaintStateCustomerAgreed},
		"carry_out":             {from: []string{ComplaintStateCustomerAgreed}, to: ComplaintStateCarriedOut},
		"follow_up":             {from: []string{ComplaintStateCarriedOut}, to: ComplaintStateFollowedUp},
		"close":                 {from: []string{ComplaintStateFollowedUp}, to: ComplaintStateClosed},
		"assign":                {from: complaintOpen},
		"escalate":              {from: complaintOpen},
		"attach_notice":         {from: complaintOpen},
	},
}

// ComplaintReceivedV1 is the payload of ComplaintReceived; the subject is the
// complaint id.
type ComplaintReceivedV1 struct {
	Ticket         string `json:"ticket"`
	Channel        string `json:"channel"`
	Type           string `json:"type"`
	Category       string `json:"category"`
	Severity       string `json:"severity"`
	Customer       string `json:"customer,omitempty"` // keyed hash of the phone
	CustomerMasked string `json:"customer_masked,omitempty"`
	PhoneSealed    string `json:"phone_sealed,omitempty"`
	NameSealed     string `json:"name_sealed,omitempty"`
	NameMasked     string `json:"name_masked,omitempty"`
	Waybill        string `json:"waybill,omitempty"`
	// The customer's words, sealed (field text, the complaint's record);
	// Text holds them in clear only in complaints from before they were
	// sealed.
	Text       string `json:"text"`
	TextSealed string `json:"text_sealed,omitempty"`
	NoticeID   string `json:"notice_id,omitempty"`
	Owner      string `json:"owner"`
	At         int64  `json:"at"` // hub-corrected Unix ms: the SLA clock starts here
	// Outlet is where head office routed a complaint it received itself
	// (a channel message about a waybill that outlet holds), so the case
	// is that outlet's; empty for one that stays at head office. An
	// outlet's own complaints leave it empty: their origin is the outlet.
	Outlet string `json:"outlet,omitempty"`
	// ReplyTemplate and ReplyText are the first reply head office proposed
	// from its templates for a complaint it received itself.
	ReplyTemplate string `json:"reply_template,omitempty"`
	ReplyText     string `json:"reply_text,omitempty"`
}

// OutletOf is the outlet whose case a complaint recorded at origin is:
// the origin's, or for head office's own the outlet it routed it to
// (origin hub when it keeps it). An outlet cannot route its complaints.
func (r *ComplaintReceivedV1) OutletOf(origin string) string {
	if origin == syncproto.HubOrigin && r.Outlet != "" {
		return r.Outlet
	}
	return origin
}

// Channels head office takes complaints from itself (hub/channels), beside
// those of the counter.
const (
	ChannelWeChat     = "wechat"     // the WeChat service account
	ChannelChat       = "chat"       // the online chat
	ChannelCallCenter = "callcenter" // the call centre system
	ChannelEmail      = "email"      // the complaints mailbox
)

// ComplaintStepV1 is the payload of ComplaintStep.
type ComplaintStepV1 struct {
	Step         string `json:"step"`
	Note         string `json:"note,omitempty"`
	Satisfaction int    `json:"satisfaction,omitempty"` // follow_up: 1–5
	Owner        string `json:"owner,omitempty"`        // assign
	Reason       string `json:"reason,omitempty"`       // escalate: sla_first_reply, sla_result, or free text
	NoticeID     string `json:"notice_id,omitempty"`    // attach_notice
	At           int64  `json:"at"`
}

// Escalation is one escalation to head office.
type Escalation struct {
	Reason string `json:"reason"`
	By     string `json:"by"`
	At     int64  `json:"at"`
}

// Complaint is a complaint's (or a suggestion's or praise's) folded state.
type Complaint struct {
	ID             string        `json:"id"`
	Outlet         string        `json:"outlet"`
	Ticket         string        `json:"ticket"`
	State          string        `json:"state"`
	Channel        string        `json:"channel"`
	Type           string        `json:"type"`
	Category       string        `json:"category"`
	Severity       string        `json:"severity"`
	Customer       string        `json:"customer,omitempty"`
	CustomerMasked string        `json:"customer_masked,omitempty"`
	PhoneSealed    string        `json:"phone_sealed,omitempty"`
	NameMasked     string        `json:"name_masked,omitempty"`
	Waybill        string        `json:"waybill,omitempty"`
	Text           string        `json:"text"`
	TextSealed     string        `json:"text_sealed,omitempty"`
	NoticeID       string        `json:"notice_id,omitempty"`
	Owner          string        `json:"owner"`
	ReplyTemplate  string        `json:"reply_template,omitempty"`
	ReplyText      string        `json:"reply_text,omitempty"`
	ReceivedAt     time.Time     `json:"received_at"`
	FirstReplyAt   time.Time     `json:"first_reply_at,omitzero"`
	ResultAt       time.Time     `json:"result_at,omitzero"`
	Satisfaction   int           `json:"satisfaction,omitempty"`
	Escalations    []Escalation  `json:"escalations,omitempty"`
	History        []HistoryItem `json:"history,omitempty"`
	Conflicts      []Conflict    `json:"conflicts,omitempty"`
}

// Allowed lists the steps a side may take now.
func (c *Complaint) Allowed(origin string) []string {
	out := complaintMachine.allowed(c.State, origin)
	if c.Type != "complaint" && c.State == ComplaintStateAcknowledged && !slices.Contains(out, "close") {
		out = append(out, "close")
	}
	return out
}

// Check says whether origin may take step now with payload s.
func (c *Complaint) Check(s ComplaintStepV1, origin string) error {
	if c.State == "" {
		return &StepError{Entity: "complaint", ID: c.ID, Step: s.Step}
	}
	// Suggestions and praise need no investigation: acknowledge, then close.
	if !(s.Step == "close" && c.Type != "complaint" && c.State == ComplaintStateAcknowledged) {
		if err := complaintMachine.check(c.Ticket, c.State, s.Step, origin); err != nil {
			return err
		}
	}
	if s.Step == "follow_up" && (s.Satisfaction < 1 || s.Satisfaction > 5) {
		return &StepError{Entity: "complaint", ID: c.Ticket, State: c.State, Step: s.Step, Allowed: c.Allowed(origin),
			Why: problem.StepSatisfactionRequired}
	}
	return nil
}

// FoldComplaint folds one complaint's events from every side.
func FoldComplaint(id string, evs []syncproto.Event) Complaint {
	return Complaint{ID: id}.fold(evs)
}

// fold folds evs onto c, the fold of the events before them.
func (c Complaint) fold(evs []syncproto.Event) Complaint {
	Order(evs)
	for i := range evs {
		c.apply(&evs[i])
	}
	return c
}

func (c *Complaint) apply(ev *syncproto.Event) {
	switch ev.Type {
	case ComplaintReceived:
		var r ComplaintReceivedV1
		if decode(ev, &r) != nil {
			return
		}
		if c.State != "" {
			c.Conflicts = append(c.Conflicts, conflictOf(ev, "receive", c.State, problem.New(problem.ComplaintRecorded)))
			return
		}
		*c = Complaint{ID: c.ID, Outlet: r.OutletOf(ev.Origin), Ticket: r.Ticket, State: ComplaintStateReceived, Channel: r.Channel, Type: r.Type,
			Category: r.Category, Severity: r.Severity, Customer: r.Customer, CustomerMasked: r.CustomerMasked, PhoneSealed: r.PhoneSealed,
			NameMasked: r.NameMasked, Waybill: r.Waybill, Text: r.Text, TextSealed: r.TextSealed, NoticeID: r.NoticeID, Owner: r.Owner,
			ReplyTemplate: r.ReplyTemplate, ReplyText: r.ReplyText, ReceivedAt: time.UnixMilli(r.At).UTC(), History: c.History, Conflicts: c.Conflicts}
		c.History = append(c.History, HistoryItem{Step: "receive", State: c.State, Actor: ev.Actor, Origin: ev.Origin, At: r.At})
	case ComplaintStep:
		var s ComplaintStepV1
		if decode(ev, &s) != nil {
			return
		}
		if s.Step == "escalate" && c.escalatedFor(s.Reason) {
			return // the same breach seen twice (outlet and hub): once is enough
		}
		if err := c.Check(s, ev.Origin); err != nil {
			c.Conflicts = append(c.Conflicts, conflictOf(ev, s.Step, c.State, err))
			return
		}
		at := time.UnixMilli(s.At).UTC()
		switch s.Step {
		case "acknowledge":
			c.FirstReplyAt = at
		case "carry_out":
			c.ResultAt = at
		case "close":
			if c.ResultAt.IsZero() {
				c.ResultAt = at
			}
		case "follow_up":
			c.Satisfaction = s.Satisfaction
		case "assign":
			c.Owner = s.Owner
		case "escalate":
			c.Escalations = append(c.Escalations, Escalation{Reason: s.Reason, By: ev.Origin, At: s.At})
		case "attach_notice":
			c.NoticeID = s.NoticeID
		}
		c.State = complaintMachine.next(c.State, s.Step)
		c.History = append(c.History, HistoryItem{Step: s.Step, State: c.State, Actor: ev.Actor, Origin: ev.Origin, At: s.At, Note: s.Note})
	}
}

func (c *Complaint) escalatedFor(reason string) bool {
	return slices.ContainsFunc(c.Escalations, func(e Escalation) bool { return e.Reason == reason })
}

// SLA is the service-level configuration: first reply within FirstReply
// (default 24 h, the special-period plan), result within Result (default
// 7 days, 快递暂行条例 Art. 28).
type SLA struct {
	FirstReply time.Duration `json:"first_reply"`
	Result     time.Duration `json:"result"`
}

// Escalation reasons raised by the SLA timers.
const (
	ReasonFirstReplyBreached = "sla_first_reply"
	ReasonResultBreached     = "sla_result"
)

// Deadlines is a complaint's SLA position at a moment of hub-corrected time.
type Deadlines struct {
	FirstReplyBy        time.Time `json:"first_reply_by"`
	ResultBy            time.Time `json:"result_by,omitzero"`
	FirstReplyRemaining int64     `json:"first_reply_remaining_s"`
	ResultRemaining     int64     `json:"result_remaining_s"`
	Breached            []string  `json:"breached,omitempty"`
}

// Deadlines computes the SLA position at hub-corrected time now. A met
// deadline's remaining time is frozen at the moment it was met.
func (c *Complaint) Deadlines(sla SLA, now time.Time) Deadlines {
	if sla.FirstReply <= 0 {
		sla.FirstReply = DefaultSLA.FirstReply
	}
	if sla.Result <= 0 {
		sla.Result = DefaultSLA.Result
	}
	d := Deadlines{FirstReplyBy: c.ReceivedAt.Add(sla.FirstReply)}
	// at is when a deadline was met, or now. It is breached from its
	// instant on, not a whole second later as the remaining seconds would
	// say: head office's queue (NextDue at or before now) must agree.
	at := func(met time.Time) time.Time {
		if !met.IsZero() {
			return met
		}
		return now
	}
	d.FirstReplyRemaining = int64(d.FirstReplyBy.Sub(at(c.FirstReplyAt)) / time.Second)
	if !at(c.FirstReplyAt).Before(d.FirstReplyBy) {
		d.Breached = append(d.Breached, ReasonFirstReplyBreached)
	}
	if c.Type == "complaint" {
		d.ResultBy = c.ReceivedAt.Add(sla.Result)
		d.ResultRemaining = int64(d.ResultBy.Sub(at(c.ResultAt)) / time.Second)
		if !at(c.ResultAt).Before(d.ResultBy) {
			d.Breached = append(d.Breached, ReasonResultBreached)
		}
	}
	return d
}

// NextDue is the SLA deadline the complaint still has to meet: the first
// reply until it is given, then (for a complaint, not a suggestion or
// praise) the result; zero once closed or both are met. Head office's queue
// orders by it.
func (c *Complaint) NextDue(sla SLA) time.Time {
	if c.State == "" || c.State == ComplaintStateClosed {
		return time.Time{}
	}
	d := c.Deadlines(sla, c.ReceivedAt)
	switch {
	case c.FirstReplyAt.IsZero():
		return d.FirstReplyBy
	case c.Type == "complaint" && c.ResultAt.IsZero():
		return d.ResultBy
	}
	return time.Time{}
}

// DueEscalations lists the breaches at now that have not been escalated yet.
func (c *Complaint) DueEscalations(sla SLA, now time.Time) []string {
	if c.State == "" || c.State == ComplaintStateClosed {
		return nil
	}
	var out []string
	for _, r := range c.Deadlines(sla, now).Breached {
		if !c.escalatedFor(r) {
			out = append(out, r)
		}
	}
	return out
}

// CheckNew validates a new complaint's fields.
func CheckNew(r ComplaintReceivedV1) error {
	for _, f := range []struct {
		name, val string
		in        []string
	}{
		{"channel", r.Channel, ComplaintChannels}, {"type", r.Type, ComplaintTypes},
		{"category", r.Category, ComplaintCategories}, {"severity", r.Severity, ComplaintSeverities},
	} {
		if !slices.Contains(f.in, f.val) {
			return problem.New(problem.ComplaintBadField, "field", f.name, "value", f.val, "allowed", f.in)
		}
	}
	if r.Text == "" && r.TextSealed == "" {
		return problem.New(problem.ComplaintTextEmpty)
	}
	return nil
}

// ComplaintTicket is the number printed on a complaint's receipt: T, the
// UTC day it was received (yymmdd, from at in Unix ms), the outlet, and
// the complaint id's last six characters in upper case:
// T250701-SH-001-3F9A0C. The customer quotes it, and with the phone's last
// four digits follows the complaint on head office's progress page.
func ComplaintTicket(at int64, outlet, id string) string {
	return "T" + time.UnixMilli(at).UTC().Format("060102") + "-" + outlet + "-" + strings.ToUpper(id[len(id)-min(6, len(id)):])
}

// ParseTicket splits a ticket as ComplaintTicket makes it into its outlet,
// its UTC day and the id's last six characters (lower case, as ids are
// written). ok is false for anything else.
func ParseTicket(t string) (outlet string, day time.Time, idSuffix string, ok bool) {
	if len(t) < 16 || t[0] != 'T' || t[7] != '-' {
		return "", time.Time{}, "", false
	}
	day, err := time.Parse("060102", t[1:7])
	i := strings.LastIndexByte(t, '-')
	if err != nil || i < 8 || len(t)-i-1 != 6 {
		return "", time.Time{}, "", false
	}
	outlet, idSuffix = t[8:i], t[i+1:]
	if syncproto.ValidOutletID(outlet) != nil || strings.Trim(idSuffix, "0123456789ABCDEF") != "" {
		return "", time.Time{}, "", false
	}
	return outlet, day, strings.ToLower(idSuffix), true
}
