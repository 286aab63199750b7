// Package cases is head office's side of exceptions, complaints and the
// outlets' incident reports (incidents.go): it
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

// Query selects exceptions or complaints to list: a page of the case list
// (its Kind is set here) and Overdue.
type Query struct {
	store.CaseQuery
	// Overdue keeps open ones whose next deadline has passed at head-office
	// now; it implies OpenOnly.
	Overdue bool
}

// page is q as the case list reads it for kind, at head-office now.
func (s *Service) page(kind string, q Query) (store.CaseQuery, time.Time) {
	now := s.down.Now()
	cq := q.CaseQuery
	cq.Kind = kind
	if q.Overdue {
		cq.OpenOnly, cq.DueAfter, cq.DueBy = true, 0, now.UnixMilli()
	}
	return cq, now
}

// Exceptions lists a page of exceptions, without their events, and the
// case rows they were folded from. The rows' deadlines are computed with
// the same limits as the views' (the store's Limits are head office's
// Deadlines), so filtering and ordering by them agrees with what each
// view shows.
func (s *Service) Exceptions(ctx context.Context, q Query) ([]ExceptionView, []store.Case, error) {
	cq, _ := s.page(lifecycle.KindException, q)
	return downlink.List(ctx, s.down, cq, func(ctx context.Context, id string) (ExceptionView, error) {
		v, err := s.Exception(ctx, id)
		v.Events = nil
		return v, err
	})
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

// Complaints lists a page of complaints, without their events, and the
// case rows they were folded from, as Exceptions does.
func (s *Service) Complaints(ctx context.Context, q Query) ([]ComplaintView, []store.Case, error) {
	cq, _ := s.page(lifecycle.KindComplaint, q)
	return downlink.List(ctx, s.down, cq, func(ctx context.Context, id string) (ComplaintView, error) {
		v, err := s.Complaint(ctx, id)
		v.Events = nil
		return v, err
	})
}

// Now is head office's time, what a row's deadline is compared with.
func (s *Service) Now() time.Time { return s.down.Now() }

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
