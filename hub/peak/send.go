package peak

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Send sends every outlet with enough history its own forecast
// (lifecycle.ForecastPublished) and returns how many it sent. It reads
// the history of all outlets once and takes each outlet's forecast from
// the cache where Region or Outlet computed it already.
func (s *Service) Send(ctx context.Context, down Downlinker) (int, error) {
	cal, g, err := s.calendar(ctx)
	if err != nil {
		return 0, err
	}
	ids, err := s.scopeOutlets(ctx, "", "")
	if err != nil {
		return 0, err
	}
	hs, err := s.histories(ctx, g, "")
	if err != nil {
		return 0, err
	}
	n := 0
	at := s.opt.Clock.Now().UnixMilli()
	for _, id := range ids {
		of, err := s.outletOf(g, cal, id, hs[id])
		if err != nil {
			return n, fmt.Errorf("forecast of %s: %w", id, err)
		}
		if of.short {
			continue
		}
		p, err := s.sum(g, cal, id, []outletForecast{of}, nil, false)
		if err != nil {
			return n, err
		}
		raw, err := json.Marshal(p.Payload(at))
		if err != nil {
			return n, err
		}
		if _, err := down.PublishDown(ctx, id, lifecycle.ForecastPublished, "", raw, sendActor); err != nil {
			return n, fmt.Errorf("send the forecast to %s: %w", id, err)
		}
		n++
	}
	return n, nil
}

// RunSender sends the outlets their forecasts whenever the day or the
// calendar changed since it last sent, looking every interval and at once
// after a calendar edit here (Changed), until ctx ends. leased, if set,
// says whether this hub process is the one that sends (the timer lease).
func (s *Service) RunSender(ctx context.Context, every time.Duration, down Downlinker, leased func() bool, onErr func(error)) {
	var sent generation // its hour left out: the outlets get one a day
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if leased == nil || leased() {
			if _, g, err := s.calendar(ctx); err != nil {
				onErr(err)
			} else if g.hour = 0; g != sent {
				if _, err := s.Send(ctx, down); err != nil {
					onErr(err)
				} else {
					sent = g
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.poke:
		}
	}
}
