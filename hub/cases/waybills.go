package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Allocator records a hub event that hands out a block of a hub-wide serial
// counter, in one transaction with the counter (ingest.Hub.PublishDownAlloc).
type Allocator interface {
	PublishDownAlloc(ctx context.Context, target, typ, subject, actor string, a store.SerialAlloc) (uint64, error)
}

// maxSerial is the last 8-digit S10 serial.
const maxSerial = 99999999

// WaybillsView is an outlet's waybill number stock as head office sees it.
type WaybillsView struct {
	lifecycle.WaybillStock
	RefillDue bool `json:"refill_due"`
}

// AllocateBlock allocates the next count serials of the hub-wide counter to
// outlet and sends the block down. once, if not empty, names the request it
// answers: a second allocation for it returns store.ErrExists.
func (s *Service) AllocateBlock(ctx context.Context, outlet string, count int, actor, once string) (lifecycle.WaybillBlockV1, error) {
	var b lifecycle.WaybillBlockV1
	if count < 1 || count > lifecycle.MaxBlockSize {
		return b, problem.New(problem.WaybillBlockCount, "max", lifecycle.MaxBlockSize, "count", count)
	}
	if err := syncproto.ValidOutletID(outlet); err != nil {
		return b, err
	}
	if _, err := s.opt.Store.Outlet(ctx, outlet); errors.Is(err, store.ErrNotFound) {
		return b, problem.Wrap(err, problem.OutletNotFound, "outlet", outlet)
	} else if err != nil {
		return b, err
	}
	if s.opt.Alloc == nil {
		return b, problem.New(problem.WaybillNoAllocator)
	}
	if actor == "" {
		actor = "head-office"
	}
	prefix, country := s.opt.WaybillPrefix, s.opt.WaybillCountry
	_, err := s.opt.Alloc.PublishDownAlloc(ctx, outlet, lifecycle.WaybillBlockAllocated, outlet, actor, store.SerialAlloc{
		Counter: "waybill:" + prefix + country, Count: uint64(count), Max: maxSerial, Once: once,
		Fill: func(e *syncproto.Event, first, last uint64) error {
			b = lifecycle.WaybillBlockV1{Prefix: prefix, First: uint32(first), Last: uint32(last), Country: country, At: s.nowMs()}
			if err := lifecycle.CheckBlock(b); err != nil {
				return err
			}
			raw, err := json.Marshal(b)
			e.Payload = raw
			return err
		},
	})
	if errors.Is(err, store.ErrSerialsExhausted) {
		return lifecycle.WaybillBlockV1{}, problem.Wrap(err, problem.WaybillSerialsExhausted)
	}
	if err != nil {
		return lifecycle.WaybillBlockV1{}, fmt.Errorf("allocate %d waybill numbers to %s: %w", count, outlet, err)
	}
	s.opt.Log.Info("waybill block allocated", "outlet", outlet, "prefix", b.Prefix, "first", b.First, "last", b.Last, "request", once)
	return b, nil
}

// Waybills folds an outlet's blocks and the numbers it issued.
func (s *Service) Waybills(ctx context.Context, outlet string) (WaybillsView, error) {
	if _, err := s.opt.Store.Outlet(ctx, outlet); errors.Is(err, store.ErrNotFound) {
		return WaybillsView{}, problem.Wrap(err, problem.OutletNotFound, "outlet", outlet)
	} else if err != nil {
		return WaybillsView{}, err
	}
	all, err := s.opt.Store.SubjectEvents(ctx, outlet)
	if err != nil {
		return WaybillsView{}, err
	}
	evs := all[:0]
	for _, e := range all {
		if e.Type == lifecycle.WaybillBlockAllocated || e.Type == lifecycle.WaybillIssued {
			evs = append(evs, e)
		}
	}
	st := lifecycle.FoldWaybills(outlet, evs)
	return WaybillsView{WaybillStock: st, RefillDue: st.RefillDue(lifecycle.DefaultRefill)}, nil
}

// OnBatch answers the block requests in an outlet's committed events: one
// block per request event, however often the batch arrives. It is an
// ingest.BatchFunc.
func (s *Service) OnBatch(ctx context.Context, outlet string, evs []syncproto.Event) {
	for _, e := range evs {
		if e.Type != lifecycle.WaybillBlockRequested || e.Origin != outlet || e.Subject != outlet {
			continue
		}
		var r lifecycle.WaybillBlockRequestV1
		if !decodeInto(e.Payload, &r) {
			continue
		}
		if err := r.Check(); err != nil {
			s.opt.Log.Warn("waybill block request refused", "outlet", outlet, "event", e.ID, "err", err)
			continue
		}
		count := r.Count
		if count == 0 {
			count = s.opt.WaybillBlock
		}
		_, err := s.AllocateBlock(ctx, outlet, count, "head-office", "waybill-request:"+outlet+":"+e.ID)
		if err != nil && !errors.Is(err, store.ErrExists) {
			s.opt.Log.Error("waybill block request not answered", "outlet", outlet, "event", e.ID, "err", err)
		}
	}
}
