// Package waybills hands out head office's waybill numbers: blocks of the
// hub-wide S10 serial counter, allocated to an outlet in one transaction
// with the downlink event that carries them (on head office's request, or
// once per outlet's request event however often its batch arrives), and
// folds an outlet's blocks against the numbers it issued.
package waybills

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/yizhan/yizhan/hub/downlink"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Store is what this package reads.
type Store interface {
	Outlet(ctx context.Context, id string) (store.Outlet, error)
	SubjectEvents(ctx context.Context, subject string) ([]syncproto.Event, error)
}

// Options configure a Service. Store and Logger are required.
type Options struct {
	Store Store
	// Alloc hands out the blocks; without it allocation is refused.
	Alloc  Allocator
	Logger *slog.Logger
	// Clock is head office's wall clock; clock.System if nil.
	Clock clock.Clock
	// Block is the size of a block allocated on an outlet's request that
	// names none. Default lifecycle.DefaultWaybillBlock.
	Block int
	// Prefix and Country make the S10 numbers; default YZ, CN.
	Prefix, Country string
}

// Service allocates and folds waybill blocks.
type Service struct{ opt Options }

// New returns a Service.
func New(opt Options) (*Service, error) {
	if opt.Store == nil || opt.Logger == nil {
		return nil, errors.New("waybills: Store and Logger are required")
	}
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	if opt.Block == 0 {
		opt.Block = lifecycle.DefaultWaybillBlock
	}
	opt.Prefix, opt.Country = cmp.Or(opt.Prefix, "YZ"), cmp.Or(opt.Country, "CN")
	if opt.Block < 1 || opt.Block > lifecycle.MaxBlockSize {
		return nil, fmt.Errorf("waybills: block size %d must be 1 to %d", opt.Block, lifecycle.MaxBlockSize)
	}
	if err := lifecycle.CheckBlock(lifecycle.WaybillBlockV1{Prefix: opt.Prefix, Country: opt.Country}); err != nil {
		return nil, fmt.Errorf("waybills: %w", err)
	}
	return &Service{opt: opt}, nil
}

// Allocator records a hub event that hands out a block of a hub-wide serial
// counter, in one transaction with the counter (ingest.Hub.PublishDownAlloc).
type Allocator interface {
	PublishDownAlloc(ctx context.Context, target, typ, subject, actor string, a store.SerialAlloc) (uint64, error)
}

// maxSerial is the last 8-digit S10 serial.
const maxSerial = 99999999

// StockView is an outlet's waybill number stock as head office sees it.
type StockView struct {
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
		actor = downlink.DefaultActor
	}
	prefix, country := s.opt.Prefix, s.opt.Country
	_, err := s.opt.Alloc.PublishDownAlloc(ctx, outlet, lifecycle.WaybillBlockAllocated, outlet, actor, store.SerialAlloc{
		Counter: "waybill:" + prefix + country, Count: uint64(count), Max: maxSerial, Once: once,
		Fill: func(e *syncproto.Event, first, last uint64) error {
			b = lifecycle.WaybillBlockV1{Prefix: prefix, First: uint32(first), Last: uint32(last), Country: country, At: s.opt.Clock.Now().UnixMilli()}
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
	s.opt.Logger.Info("waybill block allocated", "outlet", outlet, "prefix", b.Prefix, "first", b.First, "last", b.Last, "request", once)
	return b, nil
}

// Stock folds an outlet's blocks and the numbers it issued.
func (s *Service) Stock(ctx context.Context, outlet string) (StockView, error) {
	if _, err := s.opt.Store.Outlet(ctx, outlet); errors.Is(err, store.ErrNotFound) {
		return StockView{}, problem.Wrap(err, problem.OutletNotFound, "outlet", outlet)
	} else if err != nil {
		return StockView{}, err
	}
	all, err := s.opt.Store.SubjectEvents(ctx, outlet)
	if err != nil {
		return StockView{}, err
	}
	evs := all[:0]
	for _, e := range all {
		if e.Type == lifecycle.WaybillBlockAllocated || e.Type == lifecycle.WaybillIssued {
			evs = append(evs, e)
		}
	}
	st := lifecycle.FoldWaybills(outlet, evs)
	return StockView{WaybillStock: st, RefillDue: st.RefillDue(lifecycle.DefaultRefill)}, nil
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
		if !downlink.Decode(e.Payload, &r) {
			continue
		}
		if err := r.Check(); err != nil {
			s.opt.Logger.Warn("waybill block request refused", "outlet", outlet, "event", e.ID, "err", err)
			continue
		}
		count := r.Count
		if count == 0 {
			count = s.opt.Block
		}
		_, err := s.AllocateBlock(ctx, outlet, count, downlink.DefaultActor, "waybill-request:"+outlet+":"+e.ID)
		if err != nil && !errors.Is(err, store.ErrExists) {
			s.opt.Logger.Error("waybill block request not answered", "outlet", outlet, "event", e.ID, "err", err)
		}
	}
}
