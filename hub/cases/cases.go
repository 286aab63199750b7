// Package cases is head office's side of the shared business rules: it folds
// an exception, complaint, notice, reply template or parcel from every
// event the hub holds about it — the outlets' and its own — with the same
// syncproto/lifecycle functions the agents use, takes head office's steps
// (checked with lifecycle's Check for origin "hub", then published down to
// the entity's outlet), and runs the head-office SLA timers.
//
// Head-office steps are serialised by one lock, so two people acting on the
// same case at once get a clean refusal instead of a conflict in the fold.
// Outlets acting concurrently are the convergence case lifecycle handles.
package cases

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Store is what this package reads.
type Store interface {
	SubjectEvents(ctx context.Context, subject string) ([]syncproto.Event, error)
	Cases(ctx context.Context, q store.CaseQuery) ([]store.Case, error)
	Outlet(ctx context.Context, id string) (store.Outlet, error)
}

// Publisher records hub events in the downlink log, ordered after a stamp.
type Publisher interface {
	PublishDownAfter(ctx context.Context, after hlc.Timestamp, target, typ, subject string, payload json.RawMessage, actor string) (uint64, error)
}

// Options configure a Service. Store, Down and Log are required.
type Options struct {
	Store Store
	Down  Publisher
	Log   *slog.Logger
	// Now is head office's wall clock; time.Now if nil.
	Now func() time.Time
	// SLA is the complaint service level; lifecycle.DefaultSLA where zero.
	SLA lifecycle.SLA
	// Alloc hands out waybill blocks; without it allocation is refused.
	Alloc Allocator
	// WaybillBlock is the size of a block allocated on an outlet's request
	// that names none. Default lifecycle.DefaultWaybillBlock.
	WaybillBlock int
	// WaybillPrefix and WaybillCountry make the S10 numbers; default YZ, CN.
	WaybillPrefix, WaybillCountry string
}

// Service folds cases and takes head office's steps.
type Service struct {
	opt Options
	mu  sync.Mutex // one head-office step at a time: check, then publish

	sweeps atomic.Uint64 // completed sweeps, for tests and status
}

// New returns a Service.
func New(opt Options) (*Service, error) {
	if opt.Store == nil || opt.Down == nil || opt.Log == nil {
		return nil, errors.New("cases: Store, Down and Log are required")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SLA.FirstReply <= 0 {
		opt.SLA.FirstReply = lifecycle.DefaultSLA.FirstReply
	}
	if opt.SLA.Result <= 0 {
		opt.SLA.Result = lifecycle.DefaultSLA.Result
	}
	if opt.WaybillBlock == 0 {
		opt.WaybillBlock = lifecycle.DefaultWaybillBlock
	}
	opt.WaybillPrefix, opt.WaybillCountry = cmp.Or(opt.WaybillPrefix, "YZ"), cmp.Or(opt.WaybillCountry, "CN")
	if opt.WaybillBlock < 1 || opt.WaybillBlock > lifecycle.MaxBlockSize {
		return nil, fmt.Errorf("cases: waybill block size %d must be 1 to %d", opt.WaybillBlock, lifecycle.MaxBlockSize)
	}
	if err := lifecycle.CheckBlock(lifecycle.WaybillBlockV1{Prefix: opt.WaybillPrefix, Country: opt.WaybillCountry}); err != nil {
		return nil, fmt.Errorf("cases: %w", err)
	}
	return &Service{opt: opt}, nil
}

// HeadOffice is the origin of every step taken here.
const HeadOffice = syncproto.HubOrigin

// events reads subject's events of kind (type prefix kind+".") in fold order.
func (s *Service) events(ctx context.Context, kind, subject string) ([]syncproto.Event, error) {
	all, err := s.opt.Store.SubjectEvents(ctx, subject)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, e := range all {
		if strings.HasPrefix(e.Type, kind+".") {
			out = append(out, e)
		}
	}
	lifecycle.Order(out)
	return out, nil
}

// newest is the highest stamp among evs: a step must order after it.
func newest(evs []syncproto.Event) hlc.Timestamp {
	var top hlc.Timestamp
	for _, e := range evs {
		top = max(top, e.HLC)
	}
	return top
}

func (s *Service) nowMs() int64 { return s.opt.Now().UnixMilli() }

// ---- exceptions ------------------------------------------------------------

// ExceptionView is an exception as head office sees it.
type ExceptionView struct {
	lifecycle.Exception
	Allowed []string          `json:"allowed"`
	Events  []syncproto.Event `json:"events,omitempty"`
}

func exceptionView(x lifecycle.Exception, evs []syncproto.Event) ExceptionView {
	return ExceptionView{Exception: x, Allowed: nonNil(x.Allowed(HeadOffice)), Events: evs}
}

// Exception folds one exception with its events.
func (s *Service) Exception(ctx context.Context, id string) (ExceptionView, error) {
	evs, err := s.events(ctx, lifecycle.KindException, id)
	if err != nil {
		return ExceptionView{}, err
	}
	x := lifecycle.FoldException(id, slices.Clone(evs))
	if x.State == "" {
		return ExceptionView{}, problem.New(problem.ExceptionNotFound, "id", id)
	}
	return exceptionView(x, evs), nil
}

// Exceptions lists exceptions newest first, without their events.
func (s *Service) Exceptions(ctx context.Context, outlet string, openOnly bool, limit int) ([]ExceptionView, error) {
	rows, err := s.opt.Store.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindException, Outlet: outlet, OpenOnly: openOnly, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]ExceptionView, 0, len(rows))
	for _, r := range rows {
		v, err := s.Exception(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		v.Events = nil
		out = append(out, v)
	}
	return out, nil
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.exceptionStep(ctx, id, actor, st); err != nil {
		return ExceptionView{}, err
	}
	return s.Exception(ctx, id)
}

// exceptionStep checks and publishes; s.mu is held.
func (s *Service) exceptionStep(ctx context.Context, id, actor string, st lifecycle.ExceptionStepV1) error {
	evs, err := s.events(ctx, lifecycle.KindException, id)
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
	st.At = s.nowMs()
	return s.publish(ctx, newest(evs), []string{x.Outlet}, lifecycle.ExceptionStep, id, st, actor)
}

// publish records one hub event per target, each ordered after after.
func (s *Service) publish(ctx context.Context, after hlc.Timestamp, targets []string, typ, subject string, payload any, actor string) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	if actor == "" {
		actor = "head-office"
	}
	for _, t := range targets {
		if _, err := s.opt.Down.PublishDownAfter(ctx, after, t, typ, subject, raw, actor); err != nil {
			return fmt.Errorf("publish %s %s to %s: %w", typ, subject, t, err)
		}
	}
	return nil
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
	return ComplaintView{Complaint: c, Deadlines: c.Deadlines(s.opt.SLA, s.opt.Now()), Allowed: nonNil(c.Allowed(HeadOffice)), Events: evs}
}

// Complaint folds one complaint with its events.
func (s *Service) Complaint(ctx context.Context, id string) (ComplaintView, error) {
	evs, err := s.events(ctx, lifecycle.KindComplaint, id)
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
	rows, err := s.opt.Store.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindComplaint, Outlet: outlet, OpenOnly: openOnly, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]ComplaintView, 0, len(rows))
	for _, r := range rows {
		v, err := s.Complaint(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		v.Events = nil
		out = append(out, v)
	}
	return out, nil
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
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.complaintStep(ctx, id, actor, st); err != nil {
		return ComplaintView{}, err
	}
	return s.Complaint(ctx, id)
}

// complaintStep checks and publishes; s.mu is held. It reports false when
// the step was an escalation already on record and nothing was published.
func (s *Service) complaintStep(ctx context.Context, id, actor string, st lifecycle.ComplaintStepV1) (bool, error) {
	evs, err := s.events(ctx, lifecycle.KindComplaint, id)
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
	st.At = s.nowMs()
	return true, s.publish(ctx, newest(evs), []string{c.Outlet}, lifecycle.ComplaintStep, id, st, actor)
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

func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

func decodeInto(raw []byte, v any) bool { return json.Unmarshal(raw, v) == nil }
