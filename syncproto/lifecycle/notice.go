package lifecycle

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto"
)

// NoticeSeverities are the severities a notice may have: the table's codes
// of a notice's "severity".
var NoticeSeverities = codes(noticeVocab, "severity")

// QA is one FAQ entry of a notice.
type QA struct {
	Q string `json:"q"`
	A string `json:"a"`
}

// NoticePublishedV1 is the payload of NoticePublished (head office only);
// the subject is the notice id.
type NoticePublishedV1 struct {
	Title    string   `json:"title"`
	Text     string   `json:"text"` // customer-facing
	FAQ      []QA     `json:"faq,omitempty"`
	Severity string   `json:"severity"` // info, warning, critical
	Scope    []string `json:"scope,omitempty"`
	// Regions are the regions head office chose; their outlets at publish
	// time are in Scope, which alone says where the notice went.
	Regions    []string `json:"regions,omitempty"`
	Categories []string `json:"categories,omitempty"` // complaint categories it explains
	ValidFrom  int64    `json:"valid_from"`
	ValidTo    int64    `json:"valid_to"`
	// Effects are the rules it changes while it is active. Agents that
	// predate the field ignore it and keep their own rules.
	Effects *NoticeEffects `json:"effects,omitempty"`
	// NoCustomerMessages keeps head office from messaging the customers
	// with parcels at the outlets in scope (hub/store's notice messages);
	// agents ignore it.
	NoCustomerMessages bool `json:"no_customer_messages,omitempty"`
}

// NoticeEffects are the counter rules head office changes for a special
// period. Each applies while the notice is active; a step keeps the rule
// that was in force when it was taken (a parcel's holding period is fixed
// at check-in).
type NoticeEffects struct {
	HoldDays          int           `json:"hold_days,omitempty"`          // holding period of parcels checked in meanwhile
	DeliverySuspended []string      `json:"delivery_suspended,omitempty"` // destination areas (region codes) not served
	CounterHours      *CounterHours `json:"counter_hours,omitempty"`      // opening hours, outlet local time
}

// CounterHours are opening hours as "HH:MM" in the outlet's local time.
type CounterHours struct {
	Open  string `json:"open"`
	Close string `json:"close"`
}

// EffectsInForce merges the effects of the notices active at hub-corrected
// time now: the longest holding period, every suspended area, and the
// counter hours of the notice that became valid last. Nil when none apply.
func EffectsInForce(ns []Notice, now time.Time) *NoticeEffects {
	var out NoticeEffects
	var hoursFrom int64
	found := false
	for i := range ns {
		n := &ns[i]
		if n.Effects == nil || !n.Active(now) {
			continue
		}
		found = true
		out.HoldDays = max(out.HoldDays, n.Effects.HoldDays)
		for _, a := range n.Effects.DeliverySuspended {
			if !slices.Contains(out.DeliverySuspended, a) {
				out.DeliverySuspended = append(out.DeliverySuspended, a)
			}
		}
		if h := n.Effects.CounterHours; h != nil && (out.CounterHours == nil || n.ValidFrom >= hoursFrom) {
			out.CounterHours, hoursFrom = h, n.ValidFrom
		}
	}
	if !found {
		return nil
	}
	sort.Strings(out.DeliverySuspended)
	return &out
}

// NoticeEndedV1 is the recovery notice that ends one.
type NoticeEndedV1 struct {
	Text string `json:"text"`
	At   int64  `json:"at"`
}

// NoticeAckV1 is an outlet's staff acknowledgement.
type NoticeAckV1 struct {
	Staff string `json:"staff"`
	At    int64  `json:"at"`
}

// Ack records who at which outlet read a notice.
type Ack struct {
	Outlet string `json:"outlet"`
	Staff  string `json:"staff"`
	At     int64  `json:"at"`
}

// Notice is a special-period notice's folded state.
type Notice struct {
	ID string `json:"id"`
	NoticePublishedV1
	Published    bool   `json:"published"`
	Ended        bool   `json:"ended"`
	RecoveryText string `json:"recovery_text,omitempty"`
	EndedAt      int64  `json:"ended_at,omitempty"` // hub time of the recovery notice, Unix ms
	Acks         []Ack  `json:"acknowledged_by,omitempty"`
}

// FoldNotice folds a notice's events.
func FoldNotice(id string, evs []syncproto.Event) Notice {
	return Notice{ID: id}.fold(evs)
}

// fold folds evs onto n, the fold of the events before them.
func (n Notice) fold(evs []syncproto.Event) Notice {
	Order(evs)
	for i := range evs {
		n.apply(&evs[i])
	}
	return n
}

func (n *Notice) apply(ev *syncproto.Event) {
	switch ev.Type {
	case NoticePublished:
		if ev.Origin != syncproto.HubOrigin {
			return // only head office publishes
		}
		var p NoticePublishedV1
		if decode(ev, &p) == nil {
			n.NoticePublishedV1, n.Published = p, true
		}
	case NoticeEnded:
		var e NoticeEndedV1
		if ev.Origin == syncproto.HubOrigin && decode(ev, &e) == nil {
			n.Ended, n.RecoveryText, n.EndedAt = true, e.Text, e.At
		}
	case NoticeAcknowledged:
		var a NoticeAckV1
		if decode(ev, &a) == nil {
			n.Acks = append(n.Acks, Ack{Outlet: ev.Origin, Staff: a.Staff, At: a.At})
		}
	}
}

// Active reports whether the notice shows at hub-corrected time now.
func (n *Notice) Active(now time.Time) bool {
	ms := now.UnixMilli()
	return n.Published && !n.Ended && ms >= n.ValidFrom && (n.ValidTo == 0 || ms < n.ValidTo)
}

// RecoveryShown is how long after its end a notice's recovery text stays on
// the counter: the outlet's holding period (DefaultHoldDays), so it shows
// while a customer who was told about the special period may still come for
// a parcel checked in then. A time, not the staff's acknowledgement, ends it:
// the text is for the customers at the counter too, and it must stay after
// one clerk has read it.
const RecoveryShown = DefaultHoldDays * 24 * time.Hour

// RecentlyEnded reports whether the notice ended less than RecoveryShown
// before hub-corrected time now; its recovery text still shows.
func (n *Notice) RecentlyEnded(now time.Time) bool {
	return n.Published && n.Ended && n.EndedAt > 0 && now.UnixMilli()-n.EndedAt < RecoveryShown.Milliseconds()
}

// TemplateV1 is the payload of TemplatePublished (head office only); the
// subject is the template id. Head office edits a template by publishing
// it again under its id, and withdraws it by publishing it Withdrawn: the
// last publication is the template, on both sides.
type TemplateV1 struct {
	Title    string   `json:"title"`
	Text     string   `json:"text"`
	Category string   `json:"category,omitempty"` // complaint category, or empty for any
	Keywords []string `json:"keywords,omitempty"`
	// Withdrawn templates are no longer offered for replies.
	Withdrawn bool `json:"withdrawn,omitempty"`
}

// Template is a reply template with its id.
type Template struct {
	ID string `json:"id"`
	TemplateV1
	Score int `json:"score,omitempty"`
}

// FoldTemplate folds a template's publications: the last one head office
// made is the template; the ID stays empty until there is one.
func FoldTemplate(id string, evs []syncproto.Event) Template {
	var t Template
	if lastFromHub(evs, &t.TemplateV1) {
		t.ID = id
	}
	return t
}

// Suggest ranks templates for a complaint's category and text: a category
// match counts 3, each keyword found in the text 2, each word of the title
// found 1. Templates scoring 0 and withdrawn ones are left out; best first,
// then by id.
func Suggest(ts []Template, category, text string) []Template {
	text = strings.ToLower(text)
	var out []Template
	for _, t := range ts {
		if t.Withdrawn {
			continue
		}
		score := 0
		if t.Category != "" && t.Category == category {
			score += 3
		}
		for _, k := range t.Keywords {
			if k != "" && strings.Contains(text, strings.ToLower(k)) {
				score += 2
			}
		}
		for _, w := range strings.Fields(strings.ToLower(t.Title)) {
			if len(w) > 1 && strings.Contains(text, w) {
				score++
			}
		}
		if score > 0 {
			t.Score = score
			out = append(out, t)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Classify picks a complaint's category from its text by the same ranking
// Suggest uses, with no category given: the category of the best-ranked
// template that names one (keywords 2 each, title words 1; ties by id).
// CategoryOther when no template with a category matches. Head office
// classifies the messages of its own channels with it; the counter's
// ranking of replies is Suggest itself, so the two cannot drift.
func Classify(ts []Template, text string) string {
	for _, t := range Suggest(ts, "", text) {
		if t.Category != "" && slices.Contains(ComplaintCategories, t.Category) {
			return t.Category
		}
	}
	return CategoryOther
}

// CategoryOther is the complaint category of what no template matches.
const CategoryOther = "other"

// Propose is the first reply to propose for a complaint: the best of
// Suggest's ranking, ok false when no template matches at all.
func Propose(ts []Template, category, text string) (Template, bool) {
	s := Suggest(ts, category, text)
	if len(s) == 0 {
		return Template{}, false
	}
	return s[0], true
}
