package cases

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// NoticeReq is a special-period notice head office publishes.
type NoticeReq struct {
	Title      string         `json:"title"`
	Text       string         `json:"text"`
	FAQ        []lifecycle.QA `json:"faq"`
	Severity   string         `json:"severity"`
	Scope      []string       `json:"scope"` // outlet ids; empty for every outlet
	Categories []string       `json:"categories"`
	ValidFrom  string         `json:"valid_from"` // RFC 3339; empty for now
	ValidTo    string         `json:"valid_to"`   // RFC 3339; empty for until ended
	Actor      string         `json:"actor"`
}

// NoticeView is a notice with whether it shows now.
type NoticeView struct {
	lifecycle.Notice
	Active bool `json:"active"`
}

func (r *NoticeReq) payload(now time.Time) (lifecycle.NoticePublishedV1, error) {
	p := lifecycle.NoticePublishedV1{Title: strings.TrimSpace(r.Title), Text: strings.TrimSpace(r.Text), FAQ: r.FAQ,
		Severity: r.Severity, Categories: r.Categories, ValidFrom: now.UnixMilli()}
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
	if r.ValidFrom != "" {
		if p.ValidFrom, err = rfc3339(r.ValidFrom, "valid_from"); err != nil {
			return p, err
		}
	}
	if r.ValidTo != "" {
		if p.ValidTo, err = rfc3339(r.ValidTo, "valid_to"); err != nil {
			return p, err
		}
		if p.ValidTo <= p.ValidFrom {
			return p, problem.New(problem.NoticeBadPeriod)
		}
	}
	return p, nil
}

func rfc3339(s, field string) (int64, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, problem.Wrap(err, problem.RequestBadTime, "field", field, "value", s)
	}
	return t.UnixMilli(), nil
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
	p, err := r.payload(s.opt.Now())
	if err != nil {
		return NoticeView{}, err
	}
	id := newID()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.publish(ctx, 0, targets(p.Scope), lifecycle.NoticePublished, id, p, r.Actor); err != nil {
		return NoticeView{}, err
	}
	return s.Notice(ctx, id)
}

// EndNotice publishes the recovery notice that ends one, to the same
// outlets. Ending an ended notice is a *lifecycle.StepError.
func (s *Service) EndNotice(ctx context.Context, id, actor, text string) (NoticeView, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return NoticeView{}, problem.New(problem.NoticeEndText)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	evs, err := s.events(ctx, lifecycle.KindNotice, id)
	if err != nil {
		return NoticeView{}, err
	}
	n := lifecycle.FoldNotice(id, evs)
	if !n.Published {
		return NoticeView{}, problem.New(problem.NoticeNotFound, "id", id)
	}
	if n.Ended {
		return NoticeView{}, &lifecycle.StepError{Entity: "notice", ID: id, State: "ended", Step: "end"}
	}
	end := lifecycle.NoticeEndedV1{Text: text, At: s.nowMs()}
	if err := s.publish(ctx, newest(evs), targets(n.Scope), lifecycle.NoticeEnded, id, end, actor); err != nil {
		return NoticeView{}, err
	}
	return s.Notice(ctx, id)
}

// Notice folds one notice with the outlets' acknowledgements.
func (s *Service) Notice(ctx context.Context, id string) (NoticeView, error) {
	evs, err := s.events(ctx, lifecycle.KindNotice, id)
	if err != nil {
		return NoticeView{}, err
	}
	n := lifecycle.FoldNotice(id, evs)
	if !n.Published {
		return NoticeView{}, problem.New(problem.NoticeNotFound, "id", id)
	}
	return NoticeView{Notice: n, Active: n.Active(s.opt.Now())}, nil
}

// Notices lists notices newest first; openOnly leaves out ended ones.
func (s *Service) Notices(ctx context.Context, openOnly bool, limit int) ([]NoticeView, error) {
	rows, err := s.opt.Store.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindNotice, OpenOnly: openOnly, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]NoticeView, 0, len(rows))
	for _, r := range rows {
		v, err := s.Notice(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// TemplateReq is a reply template head office publishes to every outlet.
type TemplateReq struct {
	lifecycle.TemplateV1
	Actor string `json:"actor"`
}

// PublishTemplate records a new reply template for every outlet.
func (s *Service) PublishTemplate(ctx context.Context, r TemplateReq) (lifecycle.Template, error) {
	t := r.TemplateV1
	t.Title, t.Text = strings.TrimSpace(t.Title), strings.TrimSpace(t.Text)
	if t.Title == "" || t.Text == "" {
		return lifecycle.Template{}, problem.New(problem.TemplateTitleText)
	}
	if t.Category != "" && !slices.Contains(lifecycle.ComplaintCategories, t.Category) {
		return lifecycle.Template{}, problem.New(problem.TemplateBadCategory, "category", t.Category, "allowed", lifecycle.ComplaintCategories)
	}
	id := newID()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.publish(ctx, 0, []string{syncproto.TargetAll}, lifecycle.TemplatePublished, id, t, r.Actor); err != nil {
		return lifecycle.Template{}, err
	}
	return s.Template(ctx, id)
}

// Template folds one reply template: head office's latest publication.
func (s *Service) Template(ctx context.Context, id string) (lifecycle.Template, error) {
	evs, err := s.events(ctx, lifecycle.KindTemplate, id)
	if err != nil {
		return lifecycle.Template{}, err
	}
	var t lifecycle.Template
	for i := range evs {
		var v lifecycle.TemplateV1
		if evs[i].Origin == syncproto.HubOrigin && evs[i].Type == lifecycle.TemplatePublished && decodeInto(evs[i].Payload, &v) {
			t = lifecycle.Template{ID: id, TemplateV1: v}
		}
	}
	if t.ID == "" {
		return t, problem.New(problem.TemplateNotFound, "id", id)
	}
	return t, nil
}

// Templates lists reply templates newest first.
func (s *Service) Templates(ctx context.Context, limit int) ([]lifecycle.Template, error) {
	rows, err := s.opt.Store.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindTemplate, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]lifecycle.Template, 0, len(rows))
	for _, r := range rows {
		t, err := s.Template(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
