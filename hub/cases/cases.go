// Package cases is head office's side of exceptions and complaints: it
// folds them from every event the hub holds about them — the outlets' and
// its own — with the same syncproto/lifecycle functions the agents use,
// takes head office's steps on them (checked with lifecycle's Check for
// origin "hub", then published down to the entity's outlet through
// hub/downlink), and runs the head-office timers that escalate complaints
// past their SLA and flag parcels past the loss limit. It also folds a
// waybill's parcel state at each outlet that handled it, for the same
// cross-outlet view.
package cases

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/yizhan/yizhan/hub/downlink"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Store is what this package reads beside what Down reads: a waybill's
// events of every kind.
type Store interface {
	SubjectEvents(ctx context.Context, subject string) ([]syncproto.Event, error)
}

// Options configure a Service. Store, Down and Logger are required.
type Options struct {
	Store Store
	// Down reads the cases and their events and publishes head office's
	// steps, on head office's clock.
	Down   *downlink.Sender
	Logger *slog.Logger
	// SLA is the complaint service level; lifecycle.DefaultSLA where zero.
	SLA lifecycle.SLA
	// Deadlines are the exceptions' handling deadlines per kind;
	// lifecycle.DefaultExceptionDeadlines for a kind not named.
	Deadlines lifecycle.ExceptionDeadlines
	// Lease says whether this hub runs the timers (store.LeaseTimers)
	// when several hub processes share the database; nil: it always does.
	Lease Lease
}

// Lease is a lease held across hub processes (store.Locker's TryLease).
type Lease interface {
	TryLease(ctx context.Context, name string) (held bool, err error)
}

// Service folds exceptions and complaints and takes head office's steps.
type Service struct {
	opt  Options
	down *downlink.Sender

	sweeps atomic.Uint64 // completed sweeps, for tests and status
	leased atomic.Bool   // this hub held the timers' lease at its last tick
}

// New returns a Service.
func New(opt Options) (*Service, error) {
	if opt.Store == nil || opt.Down == nil || opt.Logger == nil {
		return nil, errors.New("cases: Store, Down and Logger are required")
	}
	if opt.SLA.FirstReply <= 0 {
		opt.SLA.FirstReply = lifecycle.DefaultSLA.FirstReply
	}
	if opt.SLA.Result <= 0 {
		opt.SLA.Result = lifecycle.DefaultSLA.Result
	}
	return &Service{opt: opt, down: opt.Down}, nil
}

// HeadOffice is the origin of every step taken here.
const HeadOffice = downlink.HeadOffice

// ---- exceptions ------------------------------------------------------------

// ExceptionView is an exception as head office sees it, with its handling
// deadline at head-office now beside its fields, as a complaint's SLA is.
type ExceptionView struct {
	lifecycle.Exception
	lifecycle.ExceptionDeadline
	Allowed []string          `json:"allowed"`
	Events  []syncproto.Event `json:"events,omitempty"`
}

func (s *Service) exceptionView(x lifecycle.Exception, evs []syncproto.Event) ExceptionView {
	return ExceptionView{Exception: x, ExceptionDeadline: x.Deadline(s.opt.Deadlines, s.down.Now()),
		Allowed: nonNil(x.Allowed(HeadOffice)), Events: evs}
}

// Exception folds one exception with its events.
func (s *Service) Exception(ctx context.Context, id string) (ExceptionView, error) {
	evs, err := s.down.Events(ctx, lifecycle.KindException, id)
	if err != nil {
		return ExceptionView{}, err
	}
	x := lifecycle.FoldException(id, slices.Clone(evs))
	if x.State == "" {
		return ExceptionView{}, problem.New(problem.ExceptionNotFound, "id", id)
	}
	return s.exceptionView(x, evs), nil
}

// ExceptionQuery selects exceptions to list.
type ExceptionQuery struct {
	Outlet   string // "" for every outlet
	OpenOnly bool
	// OverdueOnly keeps open exceptions past their handling deadline at
	// head-office now; it implies OpenOnly.
	OverdueOnly bool
	Limit       int
}

// Exceptions lists exceptions newest first, without their events.
func (s *Service) Exceptions(ctx context.Context, eq ExceptionQuery) ([]ExceptionView, error) {
	q := store.CaseQuery{Kind: lifecycle.KindException, Outlet: eq.Outlet, OpenOnly: eq.OpenOnly || eq.OverdueOnly, Limit: eq.Limit}
	var now time.Time
	if eq.OverdueOnly {
		// Only exceptions reported longer ago than the shortest deadline can
		// be overdue; the rest are folded and filtered, then the page cut,
		// so a page is not short for the young ones skipped.
		now = s.down.Now()
		q.SinceBefore, q.Limit = now.Add(-s.shortestDeadline()).UnixMilli(), 0
	}
	xs, err := downlink.List(ctx, s.down, q, func(ctx context.Context, id string) (ExceptionView, error) {
		v, err := s.Exception(ctx, id)
		v.Events = nil
		return v, err
	})
	if err != nil || !eq.OverdueOnly {
		return xs, err
	}
	xs = slices.DeleteFunc(xs, func(v ExceptionView) bool { return !v.Overdue(s.opt.Deadlines, now) })
	if eq.Limit > 0 && len(xs) > eq.Limit {
		xs = xs[:eq.Limit]
	}
	return xs, nil
}

// shortestDeadline is the shortest handling deadline of any kind.
func (s *Service) shortestDeadline() time.Duration {
	d := s.opt.Deadlines.For(lifecycle.ExceptionKinds[0])
	for _, k := range lifecycle.ExceptionKinds[1:] {
		d = min(d, s.opt.Deadlines.For(k))
	}
	return d
}

// ExceptionStep takes a head-office step on an exception and returns the
// new state. An illegal step is a *lifecycle.StepError.
func (s *Service) ExceptionStep(ctx context.Context, id, actor string, st lifecycle.ExceptionStepV1) (ExceptionView, error) {
	switch {
	case st.Step == "assign" && strings.TrimSpace(st.Owner) == "":
		return ExceptionView{}, problem.New(problem.StepOwnerRequired)
	case st.Step == "decide_claim" && st.Approved == nil:
		return ExceptionView{}, problem.New(problem.ClaimApprovedRequired)
	case st.AmountCents < 0:
		return ExceptionView{}, problem.New(problem.ClaimNegativeAmount)
	}
	if err := s.down.Lock(ctx); err != nil {
		return ExceptionView{}, err
	}
	defer s.down.Unlock()
	if err := s.exceptionStep(ctx, id, actor, st); err != nil {
		return ExceptionView{}, err
	}
	return s.Exception(ctx, id)
}

// exceptionStep checks and publishes; the step lock is held.
func (s *Service) exceptionStep(ctx context.Context, id, actor string, st lifecycle.ExceptionStepV1) error {
	evs, err := s.down.Events(ctx, lifecycle.KindException, id)
	if err != nil {
		return err
	}
	x := lifecycle.FoldException(id, slices.Clone(evs))
	if x.State == "" {
		return problem.New(problem.ExceptionNotFound, "id", id)
	}
	if err := x.Check(st.Step, HeadOffice); err != nil {
		return err
	}
	st.At = s.down.NowMs()
	return s.down.Publish(ctx, downlink.Newest(evs), []string{x.Outlet}, lifecycle.ExceptionStep, id, st, actor)
}

// ---- complaints ------------------------------------------------------------

// ComplaintView is a complaint with its SLA position at head-office now.
// Its JSON has the complaint's and the deadlines' fields side by side, as
// the outlet's screen has them.
type ComplaintView struct {
	lifecycle.Complaint
	lifecycle.Deadlines
	Allowed []string          `json:"allowed"`
	Events  []syncproto.Event `json:"events,omitempty"`
}

func (s *Service) complaintView(c lifecycle.Complaint, evs []syncproto.Event) ComplaintView {
	return ComplaintView{Complaint: c, Deadlines: c.Deadlines(s.opt.SLA, s.down.Now()), Allowed: nonNil(c.Allowed(HeadOffice)), Events: evs}
}

// Complaint folds one complaint with its events.
func (s *Service) Complaint(ctx context.Context, id string) (ComplaintView, error) {
	evs, err := s.down.Events(ctx, lifecycle.KindComplaint, id)
	if err != nil {
		return ComplaintView{}, err
	}
	c := lifecycle.FoldComplaint(id, slices.Clone(evs))
	if c.State == "" {
		return ComplaintView{}, problem.New(problem.ComplaintNotFound, "id", id)
	}
	return s.complaintView(c, evs), nil
}

// Complaints lists complaints newest first, without their events.
func (s *Service) Complaints(ctx context.Context, outlet string, openOnly bool, limit int) ([]ComplaintView, error) {
	q := store.CaseQuery{Kind: lifecycle.KindComplaint, Outlet: outlet, OpenOnly: openOnly, Limit: limit}
	return downlink.List(ctx, s.down, q, func(ctx context.Context, id string) (ComplaintView, error) {
		v, err := s.Complaint(ctx, id)
		v.Events = nil
		return v, err
	})
}

// ComplaintStep takes a head-office step on a complaint and returns the new
// state. An illegal step is a *lifecycle.StepError. An escalation for a
// reason already on record publishes nothing and returns the state as is.
func (s *Service) ComplaintStep(ctx context.Context, id, actor string, st lifecycle.ComplaintStepV1) (ComplaintView, error) {
	switch {
	case st.Step == "assign" && strings.TrimSpace(st.Owner) == "":
		return ComplaintView{}, problem.New(problem.StepOwnerRequired)
	case st.Step == "attach_notice" && st.NoticeID == "":
		return ComplaintView{}, problem.New(problem.ComplaintNoticeRequired)
	case st.Step == "escalate" && strings.TrimSpace(st.Reason) == "":
		st.Reason = "head_office"
	}
	if err := s.down.Lock(ctx); err != nil {
		return ComplaintView{}, err
	}
	defer s.down.Unlock()
	if _, err := s.complaintStep(ctx, id, actor, st); err != nil {
		return ComplaintView{}, err
	}
	return s.Complaint(ctx, id)
}

// complaintStep checks and publishes; the step lock is held. It reports
// false when the step was an escalation already on record and nothing was
// published.
func (s *Service) complaintStep(ctx context.Context, id, actor string, st lifecycle.ComplaintStepV1) (bool, error) {
	evs, err := s.down.Events(ctx, lifecycle.KindComplaint, id)
	if err != nil {
		return false, err
	}
	c := lifecycle.FoldComplaint(id, slices.Clone(evs))
	if c.State == "" {
		return false, problem.New(problem.ComplaintNotFound, "id", id)
	}
	if st.Step == "escalate" && slices.ContainsFunc(c.Escalations, func(e lifecycle.Escalation) bool { return e.Reason == st.Reason }) {
		return false, nil // the fold would ignore it; do not send it
	}
	if err := c.Check(st, HeadOffice); err != nil {
		return false, err
	}
	st.At = s.down.NowMs()
	return true, s.down.Publish(ctx, downlink.Newest(evs), []string{c.Outlet}, lifecycle.ComplaintStep, id, st, actor)
}

// ---- parcels ---------------------------------------------------------------

// Parcels folds a waybill's events into one state per outlet that handled
// it, ordered by outlet id, plus all its events.
func (s *Service) Parcels(ctx context.Context, waybill string) ([]lifecycle.Parcel, []syncproto.Event, error) {
	all, err := s.opt.Store.SubjectEvents(ctx, waybill)
	if err != nil {
		return nil, nil, err
	}
	parcel, _ := lifecycle.KindByName(lifecycle.KindParcel)
	byOutlet := map[string][]syncproto.Event{}
	for _, e := range all {
		if parcel.Owns(e.Type) && e.Origin != syncproto.HubOrigin {
			byOutlet[e.Origin] = append(byOutlet[e.Origin], e)
		}
	}
	out := []lifecycle.Parcel{}
	for _, o := range sortedKeys(byOutlet) {
		if p := lifecycle.FoldParcel(waybill, byOutlet[o]); p.State != "" || len(p.Conflicts) > 0 {
			out = append(out, p)
		}
	}
	return out, all, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
