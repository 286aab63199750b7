package workflow

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

var system = Actor{ID: "system"}

// Sweep takes the steps that time makes due, in hub-corrected time:
// reminders before the holding period ends, overdue parcels into the return
// flow, suspected-loss flags past the GB/T 27917 limits, and escalations of
// complaints whose SLA is breached. It reports how many events it recorded.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.cfg.HubClock.Now()
	n := s.sweepHandovers(ctx)
	parcels, err := openStates[lifecycle.Parcel](s, lifecycle.KindParcel)
	if err != nil {
		return n, err
	}
	for _, p := range parcels {
		for _, due := range p.Due(now, s.cfg.RemindBefore) {
			var err error
			switch due {
			case lifecycle.ParcelNotified:
				if p.Notified >= 2 {
					continue // arrival and one reminder
				}
				_, err = s.Notify(ctx, system, p.Waybill, "reminder")
			case lifecycle.ParcelOverdue, lifecycle.ParcelSuspectedLoss:
				_, err = s.append(ctx, system, due, p.Waybill, lifecycle.ReasonV1{Reason: "timer", At: now.UnixMilli()})
			}
			if err != nil {
				s.logger.Warn("timed parcel step not recorded", "waybill", p.Waybill, "step", due, "err", err)
				continue
			}
			n++
		}
	}
	xs, err := openStates[lifecycle.Exception](s, lifecycle.KindException)
	if err != nil {
		return n, err
	}
	for _, x := range xs {
		if x.DueSuspectedLoss(now) {
			if _, err := s.ExceptionStep(ctx, system, x.ID, lifecycle.ExceptionStepV1{Step: "flag_suspected_loss", Note: "GB/T 27917"}); err == nil {
				n++
			}
		}
	}
	cs, err := openStates[lifecycle.Complaint](s, lifecycle.KindComplaint)
	if err != nil {
		return n, err
	}
	for _, c := range cs {
		for _, reason := range c.DueEscalations(s.cfg.SLA, now) {
			if _, err := s.ComplaintStep(ctx, system, c.ID, lifecycle.ComplaintStepV1{Step: "escalate", Reason: reason}); err == nil {
				n++
			}
		}
	}
	return n, nil
}

// openStates reads the folded state of every unfinished entity of kind.
func openStates[T any](s *Service, kind string) ([]T, error) {
	var out []T
	err := s.file.View(func(tx *bolt.Tx) error {
		for _, id := range openIDs(tx, kind) {
			var v T
			if ok, err := getState(tx, kind, id, &v); err != nil {
				return err
			} else if ok {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

// RunSweeper sweeps every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.Sweep(ctx); err != nil {
			s.logger.Warn("sweep failed", "err", err)
		} else if n > 0 {
			s.logger.Info("timed steps recorded", "events", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
