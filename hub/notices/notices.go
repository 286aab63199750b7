// Package notices is head office's special-period notices (特殊时期通告)
// and reply templates: it validates and publishes them down to the outlets
// in their scope through hub/downlink, publishes the recovery notice that
// ends one, and folds each with the outlets' acknowledgements from every
// event the hub holds about it, with the syncproto/lifecycle rules the
// agents use.
package notices

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/yizhan/yizhan/hub/downlink"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Service publishes and folds notices and reply templates.
type Service struct {
	down    *downlink.Sender
	outlets Outlets
}

// Outlets finds the outlets of a region and counts a notice's customer
// messages (store.Store).
type Outlets interface {
	FindOutlets(ctx context.Context, q store.OutletQuery) ([]store.Outlet, error)
	MessageCounts(ctx context.Context, subject string) ([]store.MessageCount, error)
}

// New returns a Service that reads and publishes through down and finds
// the outlets of a notice's regions in outlets.
func New(down *downlink.Sender, outlets Outlets) *Service {
	return &Service{down: down, outlets: outlets}
}

// NoticeReq is a special-period notice head office publishes.
type NoticeReq struct {
	Title    string         `json:"title"`
	Text     string         `json:"text"`
	FAQ      []lifecycle.QA `json:"faq"`
	Severity string         `json:"severity"`
	Scope    []string       `json:"scope"` // outlet ids; empty (and no regions) for every outlet
	// Regions add their outlets, as they are when it is published, to
	// Scope.
	Regions    []string `json:"regions"`
	Categories []string `json:"categories"`
	ValidFrom  string   `json:"valid_from"` // RFC 3339; empty for now
	ValidTo    string   `json:"valid_to"`   // RFC 3339; empty for until ended
	// Effects are the counter rules it changes while active; nil for none.
	Effects *lifecycle.NoticeEffects `json:"effects"`
	// CustomerMessages, unless false, has head office message each
	// customer with a parcel waiting at (or out for delivery from) the
	// outlets in scope (every outlet when it names none), from valid_from,
	// and again when it ends: the plan asks to tell affected customers, so
	// leaving them out is the choice to make.
	CustomerMessages *bool  `json:"customer_messages"`
	Actor            string `json:"-"` // the caller, set by hub/api; a body\'s "actor" is refused
}

// MaxHoldDays bounds a notice's holding period: a typo such as 100 would
// keep parcels on the shelves for months.
const MaxHoldDays = 30

// effects checks and tidies a notice's effects; none set is nil.
func effects(e *lifecycle.NoticeEffects) (*lifecycle.NoticeEffects, error) {
	if e == nil {
		return nil, nil
	}
	out := lifecycle.NoticeEffects{HoldDays: e.HoldDays}
	if e.HoldDays < 0 || e.HoldDays > MaxHoldDays {
		return nil, problem.New(problem.NoticeBadHoldDays, "hold_days", e.HoldDays, "max", MaxHoldDays)
	}
	for _, a := range e.DeliverySuspended {
		a = strings.TrimSpace(a)
		if a == "" || len(a) > 32 || strings.ContainsAny(a, " \t/") {
			return nil, problem.New(problem.NoticeBadArea, "area", a)
		}
		if !slices.Contains(out.DeliverySuspended, a) {
			out.DeliverySuspended = append(out.DeliverySuspended, a)
		}
	}
	if h := e.CounterHours; h != nil {
		open, err1 := time.Parse("15:04", h.Open)
		closing, err2 := time.Parse("15:04", h.Close)
		if err1 != nil || err2 != nil || !open.Before(closing) {
			return nil, problem.New(problem.NoticeBadHours, "open", h.Open, "close", h.Close)
		}
		out.CounterHours = &lifecycle.CounterHours{Open: open.Format("15:04"), Close: closing.Format("15:04")}
	}
	if out.HoldDays == 0 && len(out.DeliverySuspended) == 0 && out.CounterHours == nil {
		return nil, nil
	}
	return &out, nil
}

// NoticeView is a notice with whether it shows now, the outlets of its
// scope that have not acknowledged it, and its customer messages.
type NoticeView struct {
	lifecycle.Notice
	Active   bool     `json:"active"`
	Awaiting []string `json:"awaiting,omitempty"`
	// Messages counts its customer messages of each kind (start, end)
	// by state; empty when it sent none.
	Messages map[string]MessageCounts `json:"messages"`
}

// MessageCounts are one kind of a notice's customer messages by state:
// waiting to go, taken by the gateway, reported delivered, given up,
// cancelled (a start message the notice's end overtook), and the
// customers left out over the cap per outlet (start messages only).
type MessageCounts struct {
	Pending   int64 `json:"pending"`
	Sent      int64 `json:"sent"`
	Delivered int64 `json:"delivered"`
	Failed    int64 `json:"failed"`
	Cancelled int64 `json:"cancelled"`
	Capped    int64 `json:"capped"`
}

func (r *NoticeReq) payload(now time.Time) (lifecycle.NoticePublishedV1, error) {
	p := lifecycle.NoticePublishedV1{Title: strings.TrimSpace(r.Title), Text: strings.TrimSpace(r.Text), FAQ: r.FAQ,
		Severity: r.Severity, Categories: r.Categories, ValidFrom: now.UnixMilli(),
		NoCustomerMessages: r.CustomerMessages != nil && !*r.CustomerMessages}
	if p.Title == "" || p.Text == "" {
		return p, problem.New(problem.NoticeTitleText)
	}
	if p.Severity == "" {
		p.Severity = "info"
	}
	if !slices.Contains(lifecycle.NoticeSeverities, p.Severity) {
		return p, problem.New(problem.NoticeBadSeverity, "severity", p.Severity, "allowed", lifecycle.NoticeSeverities)
	}
	for _, c := range p.Categories {
		if !slices.Contains(lifecycle.ComplaintCategories, c) {
			return p, problem.New(problem.NoticeBadCategory, "category", c, "allowed", lifecycle.ComplaintCategories)
		}
	}
	for _, qa := range p.FAQ {
		if strings.TrimSpace(qa.Q) == "" || strings.TrimSpace(qa.A) == "" {
			return p, problem.New(problem.NoticeBadFAQ)
		}
	}
	for _, o := range r.Scope {
		if err := syncproto.ValidOutletID(o); err != nil {
			return p, err
		}
		if !slices.Contains(p.Scope, o) {
			p.Scope = append(p.Scope, o)
		}
	}
	var err error
	if p.Effects, err = effects(r.Effects); err != nil {
		return p, err
	}
	if r.ValidFrom != "" {
		if p.ValidFrom, err = downlink.Millis(r.ValidFrom, "valid_from"); err != nil {
			return p, err
		}
	}
	if r.ValidTo != "" {
		if p.ValidTo, err = downlink.Millis(r.ValidTo, "valid_to"); err != nil {
			return p, err
		}
		if p.ValidTo <= p.ValidFrom {
			return p, problem.New(problem.NoticeBadPeriod)
		}
	}
	return p, nil
}

// targets are the downlink targets of a notice's scope.
func targets(scope []string) []string {
	if len(scope) == 0 {
		return []string{syncproto.TargetAll}
	}
	return scope
}

// PublishNotice records a new notice: one notice.published event per
// target, every outlet when the scope is empty.
func (s *Service) PublishNotice(ctx context.Context, r NoticeReq) (NoticeView, error) {
	p, err := r.payload(s.down.Now())
	if err != nil {
		return NoticeView{}, err
	}
	if err := s.addRegions(ctx, &p, r.Regions); err != nil {
		return NoticeView{}, err
	}
	id := syncproto.NewID()
	if err := s.down.Lock(ctx); err != nil {
		return NoticeView{}, err
	}
	defer s.down.Unlock()
	if err := s.down.Publish(ctx, 0, targets(p.Scope), lifecycle.NoticePublished, id, p, r.Actor); err != nil {
		return NoticeView{}, err
	}
	return s.Notice(ctx, id)
}

// addRegions adds the outlets of regions to p's scope, once each, and
// records the regions. A region no outlet belongs to is
// problem.RegionNotFound: the notice would reach no one there.
func (s *Service) addRegions(ctx context.Context, p *lifecycle.NoticePublishedV1, regions []string) error {
	for _, r := range regions {
		r, err := store.CheckPlace("region", r)
		if err != nil {
			return err
		}
		if r == "" || slices.Contains(p.Regions, r) {
			continue
		}
		os, err := s.outlets.FindOutlets(ctx, store.OutletQuery{Region: r})
		if err != nil {
			return err
		}
		if len(os) == 0 {
			return problem.New(problem.RegionNotFound, "region", r)
		}
		p.Regions = append(p.Regions, r)
		for _, o := range os {
			if !slices.Contains(p.Scope, o.ID) {
				p.Scope = append(p.Scope, o.ID)
			}
		}
	}
	return nil
}

// EndNotice publishes the recovery notice that ends one, to the same
// outlets. Ending an ended notice is a *lifecycle.StepError.
func (s *Service) EndNotice(ctx context.Context, id, actor, text string) (NoticeView, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return NoticeView{}, problem.New(problem.NoticeEndText)
	}
	if err := s.down.Lock(ctx); err != nil {
		return NoticeView{}, err
	}
	defer s.down.Unlock()
	n, evs, err := s.fold(ctx, id)
	if err != nil {
		return NoticeView{}, err
	}
	if n.Ended {
		return NoticeView{}, &lifecycle.StepError{Entity: "notice", ID: id, State: "ended", Step: "end"}
	}
	end := lifecycle.NoticeEndedV1{Text: text, At: s.down.NowMs()}
	if err := s.down.Publish(ctx, downlink.Newest(evs), targets(n.Scope), lifecycle.NoticeEnded, id, end, actor); err != nil {
		return NoticeView{}, err
	}
	return s.Notice(ctx, id)
}

// Notice folds one notice with the outlets' acknowledgements.
func (s *Service) Notice(ctx context.Context, id string) (NoticeView, error) {
	n, _, err := s.fold(ctx, id)
	if err != nil {
		return NoticeView{}, err
	}
	v := NoticeView{Notice: n, Active: n.Active(s.down.Now()), Messages: map[string]MessageCounts{}}
	cs, err := s.outlets.MessageCounts(ctx, id)
	if err != nil {
		return NoticeView{}, err
	}
	for _, c := range cs {
		m := v.Messages[c.Kind]
		switch c.State {
		case store.MessagePending:
			m.Pending += c.N
		case store.MessageSent:
			m.Sent += c.N
		case store.MessageDelivered:
			m.Delivered += c.N
		case store.MessageFailed:
			m.Failed += c.N
		case store.MessageCancelled:
			m.Cancelled += c.N
		case store.MessageCapped:
			m.Capped += c.N
		}
		v.Messages[c.Kind] = m
	}
	for _, o := range n.Scope {
		if !slices.ContainsFunc(n.Acks, func(a lifecycle.Ack) bool { return a.Outlet == o }) {
			v.Awaiting = append(v.Awaiting, o)
		}
	}
	return v, nil
}

// fold folds notice id and returns it with its events; a notice never
// published is problem.NoticeNotFound.
func (s *Service) fold(ctx context.Context, id string) (lifecycle.Notice, []syncproto.Event, error) {
	evs, err := s.down.Events(ctx, lifecycle.KindNotice, id)
	if err != nil {
		return lifecycle.Notice{}, nil, err
	}
	n := lifecycle.FoldNotice(id, evs)
	if !n.Published {
		return n, nil, problem.New(problem.NoticeNotFound, "id", id)
	}
	return n, evs, nil
}

// Notices lists a page of notices (q.Kind is set here) and their case rows.
func (s *Service) Notices(ctx context.Context, q store.CaseQuery) ([]NoticeView, []store.Case, error) {
	q.Kind = lifecycle.KindNotice
	return downlink.List(ctx, s.down, q, s.Notice)
}

// TemplateReq is a reply template head office publishes to every outlet.
type TemplateReq struct {
	lifecycle.TemplateV1
	Actor string `json:"-"` // the caller, set by hub/api; a body\'s "actor" is refused
}

// cleanTemplate is a template as head office publishes it: trimmed, with a
// title, a text and a known category, not withdrawn (withdrawing is its own
// step).
func cleanTemplate(t lifecycle.TemplateV1) (lifecycle.TemplateV1, error) {
	t.Title, t.Text, t.Withdrawn = strings.TrimSpace(t.Title), strings.TrimSpace(t.Text), false
	if t.Title == "" || t.Text == "" {
		return t, problem.New(problem.TemplateTitleText)
	}
	if t.Category != "" && !slices.Contains(lifecycle.ComplaintCategories, t.Category) {
		return t, problem.New(problem.TemplateBadCategory, "category", t.Category, "allowed", lifecycle.ComplaintCategories)
	}
	return t, nil
}

// PublishTemplate records a new reply template for every outlet.
func (s *Service) PublishTemplate(ctx context.Context, r TemplateReq) (lifecycle.Template, error) {
	t, err := cleanTemplate(r.TemplateV1)
	if err != nil {
		return lifecycle.Template{}, err
	}
	id := syncproto.NewID()
	if err := s.down.Lock(ctx); err != nil {
		return lifecycle.Template{}, err
	}
	defer s.down.Unlock()
	if err := s.down.Publish(ctx, 0, []string{syncproto.TargetAll}, lifecycle.TemplatePublished, id, t, r.Actor); err != nil {
		return lifecycle.Template{}, err
	}
	return s.Template(ctx, id)
}

// Template folds one reply template: head office's latest publication.
func (s *Service) Template(ctx context.Context, id string) (lifecycle.Template, error) {
	evs, err := s.down.Events(ctx, lifecycle.KindTemplate, id)
	if err != nil {
		return lifecycle.Template{}, err
	}
	var t lifecycle.Template
	for i := range evs {
		var v lifecycle.TemplateV1
		if evs[i].Origin == syncproto.HubOrigin && evs[i].Type == lifecycle.TemplatePublished && downlink.Decode(evs[i].Payload, &v) {
			t = lifecycle.Template{ID: id, TemplateV1: v}
		}
	}
	if t.ID == "" {
		return t, problem.New(problem.TemplateNotFound, "id", id)
	}
	return t, nil
}

// Templates lists a page of reply templates (q.Kind is set here) and their
// case rows.
func (s *Service) Templates(ctx context.Context, q store.CaseQuery) ([]lifecycle.Template, []store.Case, error) {
	q.Kind = lifecycle.KindTemplate
	return downlink.List(ctx, s.down, q, s.Template)
}

// UpdateTemplate publishes a new version of template id to every outlet:
// both sides fold the last one. Editing a withdrawn template offers it
// again.
func (s *Service) UpdateTemplate(ctx context.Context, id string, r TemplateReq) (lifecycle.Template, error) {
	t, err := cleanTemplate(r.TemplateV1)
	if err != nil {
		return lifecycle.Template{}, err
	}
	return s.republish(ctx, id, r.Actor, func(lifecycle.TemplateV1) lifecycle.TemplateV1 { return t })
}

// WithdrawTemplate stops template id being offered for replies, at head
// office and at every outlet; withdrawing it again changes nothing.
func (s *Service) WithdrawTemplate(ctx context.Context, id, actor string) (lifecycle.Template, error) {
	return s.republish(ctx, id, actor, func(t lifecycle.TemplateV1) lifecycle.TemplateV1 {
		t.Withdrawn = true
		return t
	})
}

// republish publishes next(current) as template id's new version, ordered
// after its last; nothing when it would not change.
func (s *Service) republish(ctx context.Context, id, actor string, next func(lifecycle.TemplateV1) lifecycle.TemplateV1) (lifecycle.Template, error) {
	if err := s.down.Lock(ctx); err != nil {
		return lifecycle.Template{}, err
	}
	defer s.down.Unlock()
	evs, err := s.down.Events(ctx, lifecycle.KindTemplate, id)
	if err != nil {
		return lifecycle.Template{}, err
	}
	cur := lifecycle.FoldTemplate(id, evs)
	if cur.ID == "" {
		return cur, problem.New(problem.TemplateNotFound, "id", id)
	}
	t := next(cur.TemplateV1)
	if reflect.DeepEqual(t, cur.TemplateV1) {
		return cur, nil
	}
	if err := s.down.Publish(ctx, downlink.Newest(evs), []string{syncproto.TargetAll}, lifecycle.TemplatePublished, id, t, actor); err != nil {
		return lifecycle.Template{}, err
	}
	return s.Template(ctx, id)
}
