package lifecycle

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Kind names: the entities events belong to.
const (
	KindParcel     = "parcel"     // a waybill at one outlet; subject: the waybill
	KindException  = "exception"  // an exception parcel report; subject: its id
	KindComplaint  = "complaint"  // a complaint, suggestion or praise; subject: its id
	KindNotice     = "notice"     // a special-period notice; subject: its id
	KindTemplate   = "template"   // a reply template; subject: its id
	KindManifest   = "manifest"   // expected arrivals for one outlet; subject: its id
	KindHandover   = "handover"   // a courier's handover session; subject: the session id
	KindDispatch   = "dispatch"   // a batch out with a courier; subject: the batch id
	KindWaybills   = "waybills"   // an outlet's waybill number stock; subject: the outlet id
	KindShipment   = "shipment"   // a parcel taken in for sending; subject: its waybill number
	KindTariff     = "tariff"     // a tariff version; subject: the version
	KindProhibited = "prohibited" // a prohibited-items list version; subject: the version
	KindIncident   = "incident"   // an outlet's incident report to head office; subject: its id
)

// Kind is one kind of entity: which events it owns, how they fold, what
// "open" means for it, what head office lists of it, and the codes its
// payloads carry. Agent and hub ask this table (Kinds, KindByName,
// KindOf) instead of switching on kind names or event-type prefixes of
// their own; GET /api/v1/kinds on the agent serves it to the screen.
//
// A courier's day is not a kind: it owns no events and no id, it is a view
// of the dispatch batches (FoldCourierDay).
type Kind struct {
	Name string `json:"name"`
	// Prefixes are the event-type prefixes the kind owns: it owns every
	// type "<prefix>.<step>". No two kinds share a prefix. A kind's fold
	// may read events owned by another (a parcel's fold reads the
	// dispatch events that name it).
	Prefixes []string `json:"prefixes"`
	// SubKinds are the codes the kind's payloads carry, with the keys
	// screens and printers keep their words under.
	SubKinds []SubKind `json:"subkinds"`

	// Fold folds one entity's events, in any order, into its state: a
	// value of the kind's state type (Parcel, Exception, …). held gives
	// what the fold reads of other entities; nil holds nothing.
	Fold func(id string, evs []syncproto.Event, held Held) any `json:"-"`
	// Resume folds evs onto base, a state Fold gave for the entity's
	// earlier events and read back with Decode: the result is what Fold
	// gives for all the events, when each of evs orders after every
	// earlier one and Based(base) holds. An outlet that dropped an old
	// entity's events keeps its state as such a base (agent/workflow's
	// compaction). An event ordering before the base's events is folded
	// after them all the same.
	Resume func(id string, base any, evs []syncproto.Event, held Held) any `json:"-"`
	// Based says whether a state can be such a base: false while the fold
	// holds something its state does not show (the parts of a split
	// manifest or of an incident's photo still arriving).
	Based func(state any) bool `json:"-"`
	// Decode reads a state of the kind back from its JSON.
	Decode func(raw []byte) (any, error) `json:"-"`
	// Check says whether ev may be recorded by ev.Origin on top of state,
	// the fold of the entity's events before it. Nil: nothing to check
	// on this entity (a dispatch batch's parcels are each checked as
	// parcels).
	Check func(state any, ev *syncproto.Event) error `json:"-"`
	// Open is the one meaning of "open" for the kind, on every side: the
	// entity has begun and has not reached an end. Per kind:
	//   - parcel: held at the outlet (inbound, in stock, overdue); not yet
	//     collected, out with a courier, delivered or going back;
	//   - exception, complaint, incident: reported and not closed;
	//   - notice: published and not ended;
	//   - handover: the session is open (not yet signed off);
	//   - dispatch: some parcel of the batch is neither delivered nor
	//     returned;
	//   - template, manifest, tariff, prohibited: published (they have no
	//     end: a newer one replaces them);
	//   - waybills: the outlet holds a block (a stock has no end);
	//   - shipment: never (accepting it is its only step; the parcel's
	//     own life goes on elsewhere).
	Open func(state any) bool `json:"-"`
	// Pending is the outlet's own notion, not another meaning of open: the
	// outlet still has automatic work on the entity, so its timers and
	// restart sweeps walk it. It is Open for parcels, exceptions, complaints and dispatch
	// batches; it is true for every handover session, closed ones too,
	// because a closed session stays pending until the exceptions its
	// close raises are recorded (the outlet then takes it off), so a
	// crash in between is retried. Other kinds are never pending.
	Pending func(state any) bool `json:"-"`
	// Row is what head office's case list keeps of the entity, from its
	// state and its own events in fold order; ok is false while it has no
	// creating event. Nil: head office does not list the kind.
	Row func(state any, evs []syncproto.Event) (r Row, ok bool) `json:"-"`
	// Due is the entity's next deadline not yet met under head office's
	// limits (zero for none: closed, or every deadline met), what the case
	// list orders its queues by. Nil: the kind has no deadlines.
	Due func(state any, l Limits) time.Time `json:"-"`
}

// Limits are the deadline settings of head office's queues: the complaint
// SLA and the exceptions' handling deadlines per kind. A zero field means
// the defaults (DefaultSLA, DefaultExceptionDeadlines).
type Limits struct {
	SLA        SLA
	Exceptions ExceptionDeadlines
}

// SubKind is one code of a kind's vocabulary.
type SubKind struct {
	// Field is the payload field the code goes in, e.g. "kind" of an
	// exception report or "category" of a complaint.
	Field string `json:"field"`
	Code  string `json:"code"`
	// Label is the key screens and printers keep the code's words under:
	// a prefix for the field, a dot, the code ("kind.damaged").
	Label string `json:"label"`
	// HeadOffice marks a code only head office records (the channels it
	// takes complaints from itself): the counter shows it, never offers it.
	HeadOffice bool `json:"head_office,omitempty"`
}

// Row is one entity's row in head office's case list: enough to find,
// filter and order it without folding.
type Row struct {
	Outlet string // reporting or target outlet; "" for what goes to all
	State  string
	Label  string // exception kind, complaint type, courier, category…
	Since  int64  // when it started, hub-corrected Unix ms; 0: its first event's HLC time
	Owner  string // the person it is assigned to, for exceptions and complaints
}

// Held is what a fold reads of other entities, as the caller holds them
// now. Only a handover session needs it: the manifests it names.
type Held interface {
	Manifest(id string) (Manifest, bool)
}

// Owns reports whether the kind owns event type typ.
func (k *Kind) Owns(typ string) bool {
	prefix, _, ok := strings.Cut(typ, ".")
	return ok && slices.Contains(k.Prefixes, prefix)
}

// Codes lists the codes of one payload field, in table order.
func (k *Kind) Codes(field string) []string {
	var out []string
	for _, s := range k.SubKinds {
		if s.Field == field {
			out = append(out, s.Code)
		}
	}
	return out
}

// Label returns the label key of a code of field, and whether the table
// has the code.
func (k *Kind) Label(field, code string) (string, bool) {
	for _, s := range k.SubKinds {
		if s.Field == field && s.Code == code {
			return s.Label, true
		}
	}
	return "", false
}

// Kinds lists the table, in a stable order.
func Kinds() []Kind {
	out := make([]Kind, len(table))
	for i := range table {
		out[i] = table[i].clone()
	}
	return out
}

// clone copies the lists, so no caller can change the table.
func (k Kind) clone() Kind {
	k.Prefixes, k.SubKinds = slices.Clone(k.Prefixes), slices.Clone(k.SubKinds)
	return k
}

// KindByName looks a kind up by its name.
func KindByName(name string) (Kind, bool) {
	i, ok := byName[name]
	if !ok {
		return Kind{}, false
	}
	return table[i].clone(), true
}

// KindOf looks up the kind that owns event type typ. Types of no kind
// (Kindless) and unknown types have none.
func KindOf(typ string) (Kind, bool) {
	prefix, _, ok := strings.Cut(typ, ".")
	if !ok {
		return Kind{}, false
	}
	i, ok := byPrefix[prefix]
	if !ok {
		return Kind{}, false
	}
	return table[i].clone(), true
}

// Kindless lists the event types that belong to no entity on purpose: an
// audit record of who viewed personal data or who logged in, or of what a
// retention run removed, changes nothing's state; head office's customer
// classes and an outlet's forecast are lookups the outlet keeps beside
// its entities; a survey answer, and an invitation's send and delivery,
// are head office's alone and count only in the measures.
var Kindless = []string{PersonalViewed, LoginSucceeded, LoginFailed, StaffLocked, StaffUnlocked, LoginLimited, RetentionRan, CustomerClasses, ForecastPublished,
	SurveyAnswered, SurveyInvitationSent, SurveyInvitationDelivered}

// Vocabularies: each kind's codes with their label keys. The label keys
// are the ones the counter screen's dictionaries use.
var (
	exceptionVocab = vocab("kind", "kind", "damaged", "lost", "delayed", "refused", "address_problem", "wrong_phone", "mis_sorted", "overdue", "prohibited", "other")
	complaintVocab = slices.Concat(
		vocab("channel", "ch", "counter", "phone", "online", "app", "social"),
		headOffice(vocab("channel", "ch", ChannelWeChat, ChannelChat, ChannelCallCenter, ChannelEmail)),
		vocab("type", "ctype", "complaint", "suggestion", "praise"),
		vocab("category", "cat", "delay", "loss", "damage", "attitude", "fees", "privacy", "other"),
		vocab("severity", "sev", "routine", "major"))
	noticeVocab = vocab("severity", "nsev", "info", "warning", "critical")
	parcelVocab = slices.Concat(
		vocab("id_check", "idc", "code_only", "id_card", "app"),
		vocab("signer", "signer", "recipient", "agent"))
	dispatchVocab = slices.Concat(
		vocab("reason", "reason", "recipient_absent", "refused", "address_wrong", "address_incomplete", "phone_unreachable", "outside_area"),
		vocab("disposition", "disp", DispositionRestock, DispositionReturn))
	shipmentVocab = slices.Concat(
		vocab("sender_id_type", "idt", "resident_id", "passport", "other"),
		vocab("item_type", "item", "documents", "clothing", "electronics", "fragile", "food", "cosmetics", "other"))
	prohibitedVocab = vocab("rule", "rule", RuleForbidden, RuleRestricted)
	incidentVocab   = vocab("cause", "icause", "weather", "traffic", "power", "network", "equipment", "staffing", "public_health", "security", "other")
)

func vocab(field, labelPrefix string, codes ...string) []SubKind {
	out := make([]SubKind, len(codes))
	for i, c := range codes {
		out[i] = SubKind{Field: field, Code: c, Label: labelPrefix + "." + c}
	}
	return out
}

// headOffice marks v's codes as head office's own.
func headOffice(v []SubKind) []SubKind {
	for i := range v {
		v[i].HeadOffice = true
	}
	return v
}

func codes(v []SubKind, field string) []string {
	k := Kind{SubKinds: v}
	return k.Codes(field)
}

// table is the one list of kinds.
var table = []Kind{
	define(Kind{Name: KindParcel, Prefixes: []string{"parcel"}, SubKinds: parcelVocab}, rules[Parcel]{
		fold:    func(id string, evs []syncproto.Event, _ Held) Parcel { return FoldParcel(id, evs) },
		resume:  func(_ string, p Parcel, evs []syncproto.Event, _ Held) Parcel { return p.fold(evs) },
		check:   func(p *Parcel, ev *syncproto.Event) error { return p.Check(ev.Type) },
		open:    parcelHeld,
		pending: parcelHeld,
	}),
	define(Kind{Name: KindException, Prefixes: []string{"exception"}, SubKinds: exceptionVocab}, rules[Exception]{
		fold:    func(id string, evs []syncproto.Event, _ Held) Exception { return FoldException(id, evs) },
		resume:  func(_ string, x Exception, evs []syncproto.Event, _ Held) Exception { return x.fold(evs) },
		check:   checkException,
		open:    exceptionOpenNow,
		pending: exceptionOpenNow,
		row: func(x *Exception, _ []syncproto.Event) (Row, bool) {
			return Row{Outlet: x.Outlet, State: x.State, Label: x.Kind, Since: x.ReportedAt.UnixMilli(), Owner: x.Owner}, x.State != ""
		},
		due: func(x *Exception, l Limits) time.Time { return x.NextDue(l.Exceptions) },
	}),
	define(Kind{Name: KindComplaint, Prefixes: []string{"complaint"}, SubKinds: complaintVocab}, rules[Complaint]{
		fold:    func(id string, evs []syncproto.Event, _ Held) Complaint { return FoldComplaint(id, evs) },
		resume:  func(_ string, c Complaint, evs []syncproto.Event, _ Held) Complaint { return c.fold(evs) },
		check:   checkComplaint,
		open:    complaintOpenNow,
		pending: complaintOpenNow,
		row: func(c *Complaint, _ []syncproto.Event) (Row, bool) {
			return Row{Outlet: c.Outlet, State: c.State, Label: c.Type, Since: c.ReceivedAt.UnixMilli(), Owner: c.Owner}, c.State != ""
		},
		due: func(c *Complaint, l Limits) time.Time { return c.NextDue(l.SLA) },
	}),
	define(Kind{Name: KindNotice, Prefixes: []string{"notice"}, SubKinds: noticeVocab}, rules[Notice]{
		fold:   func(id string, evs []syncproto.Event, _ Held) Notice { return FoldNotice(id, evs) },
		resume: func(_ string, n Notice, evs []syncproto.Event, _ Held) Notice { return n.fold(evs) },
		check:  hubPublishes[Notice](NoticeAcknowledged),
		open:   func(n *Notice) bool { return n.Published && !n.Ended },
		row: func(n *Notice, _ []syncproto.Event) (Row, bool) {
			r := Row{State: "published", Since: n.ValidFrom}
			if n.Ended {
				r.State = "ended"
			}
			return r, n.Published
		},
	}),
	define(Kind{Name: KindTemplate, Prefixes: []string{"template"}}, rules[Template]{
		fold:   func(id string, evs []syncproto.Event, _ Held) Template { return FoldTemplate(id, evs) },
		resume: resumeLast(FoldTemplate, func(t *Template) bool { return t.ID != "" }),
		check:  hubPublishes[Template](),
		open:   func(t *Template) bool { return t.ID != "" && !t.Withdrawn },
		row: func(t *Template, _ []syncproto.Event) (Row, bool) {
			state := "published"
			if t.Withdrawn {
				state = "withdrawn"
			}
			return Row{State: state, Label: t.Category}, t.ID != ""
		},
	}),
	define(Kind{Name: KindManifest, Prefixes: []string{"manifest"}}, rules[Manifest]{
		fold:   func(id string, evs []syncproto.Event, _ Held) Manifest { return FoldManifest(id, evs) },
		resume: func(_ string, m Manifest, evs []syncproto.Event, _ Held) Manifest { return m.fold(evs) },
		based:  func(m *Manifest) bool { return m.Pending == nil },
		check:  hubPublishes[Manifest](),
		open:   func(m *Manifest) bool { return m.Revision > 0 },
		row: func(m *Manifest, evs []syncproto.Event) (Row, bool) {
			r := Row{State: "published", Label: cmp.Or(m.Courier, m.Line), Since: m.At}
			for _, e := range evs {
				if e.Origin == syncproto.HubOrigin && e.Type == ManifestPublished {
					r.Outlet = e.Target // the outlet it was sent to
				}
			}
			return r, m.Revision > 0
		},
	}),
	define(Kind{Name: KindHandover, Prefixes: []string{"handover"}}, rules[Handover]{
		fold: func(id string, evs []syncproto.Event, held Held) Handover {
			return FoldHandover(id, evs, sessionManifests(evs, held))
		},
		resume: func(_ string, h Handover, evs []syncproto.Event, held Held) Handover {
			return h.fold(evs, sessionManifests(evs, held))
		},
		check:   checkHandover,
		open:    func(h *Handover) bool { return h.State == HandoverStateOpen },
		pending: func(h *Handover) bool { return h.State != "" },
		row: func(h *Handover, _ []syncproto.Event) (Row, bool) {
			return Row{Outlet: h.Outlet, State: h.State, Label: h.Courier, Since: h.OpenedAt.UnixMilli()}, h.State != ""
		},
	}),
	define(Kind{Name: KindDispatch, Prefixes: []string{"dispatch"}, SubKinds: dispatchVocab}, rules[DispatchBatch]{
		fold:    func(id string, evs []syncproto.Event, _ Held) DispatchBatch { return FoldDispatchBatch(id, evs) },
		resume:  func(id string, b DispatchBatch, evs []syncproto.Event, _ Held) DispatchBatch { return b.fold(id, evs) },
		open:    batchOut,
		pending: batchOut,
	}),
	define(Kind{Name: KindWaybills, Prefixes: []string{"waybill", "waybill_block"}}, rules[WaybillStock]{
		fold:   func(id string, evs []syncproto.Event, _ Held) WaybillStock { return FoldWaybills(id, evs) },
		resume: func(_ string, s WaybillStock, evs []syncproto.Event, _ Held) WaybillStock { return s.fold(evs) },
		check:  checkWaybills,
		open:   func(s *WaybillStock) bool { return len(s.Blocks) > 0 },
	}),
	define(Kind{Name: KindShipment, Prefixes: []string{"shipment"}, SubKinds: shipmentVocab}, rules[ShipmentV1]{
		fold: func(id string, evs []syncproto.Event, _ Held) ShipmentV1 { return FoldShipment(id, evs) },
		resume: func(id string, sh ShipmentV1, evs []syncproto.Event, _ Held) ShipmentV1 {
			if sh.Number != "" {
				return sh // the first acceptance stands
			}
			return FoldShipment(id, evs)
		},
		check: func(sh *ShipmentV1, _ *syncproto.Event) error {
			if sh.Number != "" {
				return problem.New(problem.WaybillUsed)
			}
			return nil
		},
		open: func(*ShipmentV1) bool { return false },
	}),
	define(Kind{Name: KindTariff, Prefixes: []string{"tariff"}}, rules[TariffVersion]{
		fold:   func(id string, evs []syncproto.Event, _ Held) TariffVersion { return FoldTariff(id, evs) },
		resume: resumeLast(FoldTariff, func(t *TariffVersion) bool { return t.Published }),
		check:  hubPublishes[TariffVersion](),
		open:   func(t *TariffVersion) bool { return t.Published },
		row:    func(t *TariffVersion, _ []syncproto.Event) (Row, bool) { return Row{State: "published"}, t.Published },
	}),
	define(Kind{Name: KindProhibited, Prefixes: []string{"prohibited"}, SubKinds: prohibitedVocab}, rules[ProhibitedVersion]{
		fold:   func(id string, evs []syncproto.Event, _ Held) ProhibitedVersion { return FoldProhibited(id, evs) },
		resume: resumeLast(FoldProhibited, func(l *ProhibitedVersion) bool { return l.Published }),
		check:  hubPublishes[ProhibitedVersion](),
		open:   func(l *ProhibitedVersion) bool { return l.Published },
		row: func(l *ProhibitedVersion, _ []syncproto.Event) (Row, bool) {
			return Row{State: "published"}, l.Published
		},
	}),
	define(Kind{Name: KindIncident, Prefixes: []string{"incident"}, SubKinds: incidentVocab}, rules[Incident]{
		fold:    func(id string, evs []syncproto.Event, _ Held) Incident { return FoldIncident(id, evs) },
		resume:  func(_ string, x Incident, evs []syncproto.Event, _ Held) Incident { return x.fold(evs) },
		based:   (*Incident).settled,
		check:   checkIncident,
		open:    incidentOpenNow,
		pending: incidentOpenNow,
		row: func(x *Incident, _ []syncproto.Event) (Row, bool) {
			return Row{Outlet: x.Outlet, State: x.State, Label: x.Cause, Since: x.ReportedAt.UnixMilli()}, x.State != ""
		},
	}),
}

var byName, byPrefix = index(table)

func index(t []Kind) (names, prefixes map[string]int) {
	names, prefixes = map[string]int{}, map[string]int{}
	for i, k := range t {
		names[k.Name] = i
		for _, p := range k.Prefixes {
			prefixes[p] = i
		}
	}
	return names, prefixes
}

// rules are a kind's functions over its own state type; define wraps them
// for the table. Nil functions: no check, never pending, not listed,
// every state a base. Every kind resumes.
type rules[S any] struct {
	fold    func(id string, evs []syncproto.Event, held Held) S
	resume  func(id string, base S, evs []syncproto.Event, held Held) S
	based   func(s *S) bool
	check   func(s *S, ev *syncproto.Event) error
	open    func(s *S) bool
	pending func(s *S) bool
	row     func(s *S, evs []syncproto.Event) (Row, bool)
	due     func(s *S, l Limits) time.Time
}

func define[S any](k Kind, r rules[S]) Kind {
	if k.SubKinds == nil {
		k.SubKinds = []SubKind{}
	}
	k.Fold = func(id string, evs []syncproto.Event, held Held) any { return r.fold(id, evs, held) }
	k.Resume = func(id string, base any, evs []syncproto.Event, held Held) any {
		return r.resume(id, base.(S), evs, held)
	}
	k.Based = func(any) bool { return true }
	if r.based != nil {
		k.Based = func(state any) bool { s := state.(S); return r.based(&s) }
	}
	k.Decode = func(raw []byte) (any, error) {
		var s S
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	k.Open = func(state any) bool { s := state.(S); return r.open(&s) }
	k.Pending = func(any) bool { return false }
	if r.pending != nil {
		k.Pending = func(state any) bool { s := state.(S); return r.pending(&s) }
	}
	if r.check != nil {
		k.Check = func(state any, ev *syncproto.Event) error { s := state.(S); return r.check(&s, ev) }
	}
	if r.row != nil {
		k.Row = func(state any, evs []syncproto.Event) (Row, bool) { s := state.(S); return r.row(&s, evs) }
	}
	if r.due != nil {
		k.Due = func(state any, l Limits) time.Time { s := state.(S); return r.due(&s, l) }
	}
	return k
}

// resumeLast resumes a kind whose last publication from head office is
// the whole state: one among evs replaces the base, else the base stands.
func resumeLast[S any](fold func(id string, evs []syncproto.Event) S, published func(*S) bool) func(string, S, []syncproto.Event, Held) S {
	return func(id string, base S, evs []syncproto.Event, _ Held) S {
		if s := fold(id, evs); published(&s) {
			return s
		}
		return base
	}
}

func parcelHeld(p *Parcel) bool {
	return p.State == ParcelStateInbound || p.State == ParcelStateInStock || p.State == ParcelStateOverdue
}

func exceptionOpenNow(x *Exception) bool {
	return x.State != "" && x.State != ExceptionStateClosed
}

func complaintOpenNow(c *Complaint) bool {
	return c.State != "" && c.State != ComplaintStateClosed
}

func batchOut(b *DispatchBatch) bool { return len(b.Open) > 0 }

func checkException(x *Exception, ev *syncproto.Event) error {
	if ev.Type == ExceptionStep {
		var s ExceptionStepV1
		if err := json.Unmarshal(ev.Payload, &s); err != nil {
			return err
		}
		return x.Check(s.Step, ev.Origin)
	}
	if x.State != "" {
		return problem.New(problem.ExceptionReported)
	}
	return nil
}

func checkComplaint(c *Complaint, ev *syncproto.Event) error {
	if ev.Type == ComplaintStep {
		var s ComplaintStepV1
		if err := json.Unmarshal(ev.Payload, &s); err != nil {
			return err
		}
		return c.Check(s, ev.Origin)
	}
	if c.State != "" {
		return problem.New(problem.ComplaintRecorded)
	}
	return nil
}

func checkHandover(h *Handover, ev *syncproto.Event) error {
	if err := h.Check(ev.Type); err != nil {
		return err
	}
	if ev.Type == HandoverClosed {
		var c HandoverClosedV1
		if err := json.Unmarshal(ev.Payload, &c); err != nil {
			return err
		}
		return h.CheckClose(c)
	}
	return nil
}

// checkWaybills lets an outlet issue only its next free number and ask for
// blocks; only head office allocates them.
func checkWaybills(s *WaybillStock, ev *syncproto.Event) error {
	switch {
	case ev.Type == WaybillIssued:
		next, err := s.NextNumber()
		if err != nil {
			return err
		}
		var iss WaybillIssuedV1
		if err := json.Unmarshal(ev.Payload, &iss); err != nil {
			return err
		}
		if iss.Number != next {
			return problem.New(problem.WaybillNotNext, "waybill", iss.Number, "next", next)
		}
	case ev.Type != WaybillBlockRequested && ev.Origin != syncproto.HubOrigin:
		return problem.New(problem.WaybillHubAllocates)
	}
	return nil
}

// hubPublishes refuses every event of the kind from an outlet except the
// types outlets may record (a notice's acknowledgement).
func hubPublishes[S any](outletMay ...string) func(*S, *syncproto.Event) error {
	return func(_ *S, ev *syncproto.Event) error {
		if ev.Origin != syncproto.HubOrigin && !slices.Contains(outletMay, ev.Type) {
			return problem.New(problem.DownlinkHubOnly, "type", ev.Type)
		}
		return nil
	}
}
