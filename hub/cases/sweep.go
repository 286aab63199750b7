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
	if err := s.down.Lock(ctx); err != nil {
		return 0, err
	}
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
	if err := s.down.Lock(ctx); err != nil {
		return 0, err
	}
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

// Leased reports whether this hub held the timers' lease at its last
// sweeper tick, so it is the one running head office's timers.
func (s *Service) Leased() bool { return s.leased.Load() }

// RunSweeper sweeps at once and then every interval until ctx ends, each
// time only if this hub holds the timers' lease (Options.Lease), so that
// with several hubs on one database one of them runs the timers.
//
// When the holder dies, the lease frees with its connection (PostgreSQL
// closes the session, the kernel the SQLite lock file) and another hub
// takes it at its next tick. A sweep cut off midway leaves each of its
// steps committed or not, since each is one transaction; the next
// holder's fold sees the committed ones (DueEscalations,
// DueSuspectedLoss) and takes only the rest. Even two hubs sweeping at
// once, in the moment a lease changes hands, take each step once: a step
// is checked and committed under the store's step lock (downlink.Sender).
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if s.lease(ctx) {
			if n, err := s.Sweep(ctx); err != nil {
				s.opt.Logger.Warn("head-office sweep failed", "err", err)
			} else if n > 0 {
				s.opt.Logger.Info("timed head-office steps recorded", "events", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// lease checks the timers' lease and logs when it changes hands here.
func (s *Service) lease(ctx context.Context) bool {
	if s.opt.Lease == nil {
		s.leased.Store(true)
		return true
	}
	held, err := s.opt.Lease.TryLease(ctx, store.LeaseTimers)
	if err != nil {
		held = false
		if s.leased.Load() && ctx.Err() == nil {
			s.opt.Logger.Warn("head-office timers' lease cannot be checked", "err", err)
		}
	}
	if was := s.leased.Swap(held); was != held && ctx.Err() == nil {
		if held {
			s.opt.Logger.Info("head-office timers' lease taken: this hub runs the SLA and loss timers")
		} else {
			s.opt.Logger.Warn("head-office timers' lease lost: another hub runs the timers")
		}
	}
	return held
}
