package cases

import (
	"context"
	"slices"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// TimerActor is the actor of steps the head-office timers take.
const TimerActor = "sla-timer"

// Sweep takes the steps that head-office time makes due: an escalation per
// SLA breach of an open complaint, and a suspected-loss flag on delayed or
// lost exceptions past the GB/T 27917 limit. Each is checked against the
// folded state first, so a breach already escalated (here or at the outlet)
// is not sent again. It reports how many events it published.
//
// The case list's since column keeps it cheap: only complaints older than
// the shorter SLA and exceptions older than the shorter loss limit are read.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	defer s.sweeps.Add(1)
	now := s.down.Now()
	n := 0
	youngest := now.Add(-min(s.opt.SLA.FirstReply, s.opt.SLA.Result)).UnixMilli()
	cs, err := s.down.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindComplaint, OpenOnly: true, SinceBefore: youngest})
	if err != nil {
		return n, err
	}
	for _, row := range cs {
		k, err := s.escalate(ctx, row.ID, now)
		n += k
		if err != nil {
			s.opt.Logger.Warn("SLA escalation not recorded", "complaint", row.ID, "outlet", row.Outlet, "err", err)
		}
	}
	youngest = now.Add(-lifecycle.LossLimit(true)).UnixMilli()
	xs, err := s.down.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindException, OpenOnly: true,
		Labels: []string{"delayed", "lost"}, SinceBefore: youngest})
	if err != nil {
		return n, err
	}
	for _, row := range xs {
		k, err := s.flagLoss(ctx, row.ID, now)
		n += k
		if err != nil {
			s.opt.Logger.Warn("suspected-loss flag not recorded", "exception", row.ID, "outlet", row.Outlet, "err", err)
		}
	}
	return n, nil
}

func (s *Service) escalate(ctx context.Context, id string, now time.Time) (int, error) {
	s.down.Lock()
	defer s.down.Unlock()
	evs, err := s.down.Events(ctx, lifecycle.KindComplaint, id)
	if err != nil {
		return 0, err
	}
	c := lifecycle.FoldComplaint(id, slices.Clone(evs))
	n := 0
	for _, reason := range c.DueEscalations(s.opt.SLA, now) {
		sent, err := s.complaintStep(ctx, id, TimerActor, lifecycle.ComplaintStepV1{Step: "escalate", Reason: reason})
		if err != nil {
			return n, err
		}
		if sent {
			n++
			s.opt.Logger.Info("complaint escalated to head office", "complaint", id, "ticket", c.Ticket, "outlet", c.Outlet, "reason", reason)
		}
	}
	return n, nil
}

func (s *Service) flagLoss(ctx context.Context, id string, now time.Time) (int, error) {
	s.down.Lock()
	defer s.down.Unlock()
	evs, err := s.down.Events(ctx, lifecycle.KindException, id)
	if err != nil {
		return 0, err
	}
	x := lifecycle.FoldException(id, slices.Clone(evs))
	if !x.DueSuspectedLoss(now) {
		return 0, nil
	}
	if err := s.exceptionStep(ctx, id, TimerActor, lifecycle.ExceptionStepV1{Step: "flag_suspected_loss", Note: "GB/T 27917"}); err != nil {
		return 0, err
	}
	s.opt.Logger.Info("exception flagged as suspected loss", "exception", id, "waybill", x.Waybill, "outlet", x.Outlet)
	return 1, nil
}

// Sweeps is how many sweeps have finished.
func (s *Service) Sweeps() uint64 { return s.sweeps.Load() }

// RunSweeper sweeps at once and then every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Sweep(ctx); err != nil {
			s.opt.Logger.Warn("head-office sweep failed", "err", err)
		} else if n > 0 {
			s.opt.Logger.Info("timed head-office steps recorded", "events", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
