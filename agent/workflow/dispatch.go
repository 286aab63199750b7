package workflow

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// DayEnd is when a courier's parcels still out count as open at day end,
// in the outlet's local time.
var DayEnd = 21 * time.Hour

// DispatchReq is a batch of parcels a courier takes out for delivery.
type DispatchReq struct {
	Courier     string       `json:"courier"`
	CourierName string       `json:"courier_name,omitempty"`
	Waybills    []string     `json:"waybills"`
	Signature   SignatureReq `json:"signature"` // the courier's
}

// Dispatch hands a batch of parcels to a named courier (出库派送); the
// courier signs once for the batch.
func (s *Service) Dispatch(ctx context.Context, a Actor, r DispatchReq) (lifecycle.DispatchBatch, error) {
	sig, err := r.Signature.signature()
	if err != nil {
		return lifecycle.DispatchBatch{}, err
	}
	if sig.Signer == "" {
		sig.Signer = strings.TrimSpace(r.Courier)
	}
	if sig.Signer == a.ID {
		return lifecycle.DispatchBatch{}, problem.New(problem.DispatchCourierSigns)
	}
	var ws []string
	for _, w := range r.Waybills {
		if w = strings.TrimSpace(w); w != "" && !slices.Contains(ws, w) {
			ws = append(ws, w)
		}
	}
	out := lifecycle.DispatchOutV1{Courier: strings.TrimSpace(r.Courier), CourierName: strings.TrimSpace(r.CourierName),
		Day: s.day(), Waybills: ws, Signature: sig, Staff: a.ID, At: s.now()}
	if err := lifecycle.CheckDispatch(out); err != nil {
		return lifecycle.DispatchBatch{}, err
	}
	for _, w := range ws {
		p, err := s.Parcel(w)
		if err != nil {
			return lifecycle.DispatchBatch{}, err
		}
		if err := p.Check(lifecycle.DispatchOut); err != nil {
			return lifecycle.DispatchBatch{}, err
		}
	}
	id := syncproto.NewID()
	if _, err := s.append(ctx, a, lifecycle.DispatchOut, id, out); err != nil {
		return lifecycle.DispatchBatch{}, err
	}
	return s.Batch(id)
}

// day is the outlet's business day in hub-corrected local time.
func (s *Service) day() string { return s.cfg.HubClock.Now().Local().Format("2006-01-02") }

// Batch returns a dispatch batch and what became of its parcels.
func (s *Service) Batch(id string) (lifecycle.DispatchBatch, error) {
	var b lifecycle.DispatchBatch
	ok, err := s.read(lifecycle.KindDispatch, id, &b)
	if err == nil && !ok {
		err = problem.New(problem.DispatchNotFound, "id", id)
	}
	return b, err
}

// Batches lists dispatch batches, newest first.
func (s *Service) Batches(n int) ([]lifecycle.DispatchBatch, error) {
	return list[lifecycle.DispatchBatch](s, lifecycle.KindDispatch, n, nil)
}

// OpenAtDayEnd lists the parcels of today's batches that are neither
// delivered nor returned, once the day's end has passed.
func (s *Service) OpenAtDayEnd() ([]string, error) {
	now := s.cfg.HubClock.Now().Local()
	y, m, d := now.Date()
	end := time.Date(y, m, d, 0, 0, 0, 0, now.Location()).Add(DayEnd)
	bs, err := openStates[lifecycle.DispatchBatch](s, lifecycle.KindDispatch)
	var out []string
	for _, b := range bs {
		if b.Day < s.day() || now.After(end) {
			out = append(out, b.Open...)
		}
	}
	return out, err
}

// ReturnReq is a parcel a courier brings back undelivered.
type ReturnReq struct {
	Reason      string `json:"reason"`      // one of lifecycle.NonDeliveryReasons
	Disposition string `json:"disposition"` // restock or return
	Shelf       string `json:"shelf,omitempty"`
	Layer       string `json:"layer,omitempty"`
	Note        string `json:"note,omitempty"`
}

// ReturnUndelivered records a parcel brought back with its non-delivery
// reason, back on a shelf with a new pickup code or into the return flow.
func (s *Service) ReturnUndelivered(ctx context.Context, a Actor, waybill string, r ReturnReq) (lifecycle.Parcel, error) {
	p, err := s.Parcel(waybill)
	if err != nil {
		return p, err
	}
	if err := p.Check(lifecycle.DispatchReturned); err != nil {
		return p, err
	}
	ret := lifecycle.DispatchReturnedV1{Batch: p.Batch, Courier: p.Courier, Reason: r.Reason, Disposition: r.Disposition,
		Note: strings.TrimSpace(r.Note), Staff: a.ID, At: s.now()}
	record := func() error {
		if err := lifecycle.CheckReturned(ret); err != nil {
			return err
		}
		_, err := s.append(ctx, a, lifecycle.DispatchReturned, waybill, ret)
		return err
	}
	if r.Disposition == lifecycle.DispositionRestock {
		shelf, layer := strings.TrimSpace(r.Shelf), strings.TrimSpace(r.Layer)
		err = s.withFreeCode(shelf, layer, func(code string) error {
			ret.Shelf, ret.Layer, ret.Code = shelf, layer, code
			return record()
		})
	} else {
		err = record()
	}
	if err != nil {
		return p, err
	}
	return s.Parcel(waybill)
}

// Delivered records a delivery with the recipient's proof, as the courier
// reports it back at the outlet.
func (s *Service) Delivered(ctx context.Context, a Actor, waybill string, proof SignatureReq) (lifecycle.Parcel, error) {
	p, err := s.Parcel(waybill)
	if err != nil {
		return p, err
	}
	if err := p.Check(lifecycle.DispatchDelivered); err != nil {
		return p, err
	}
	sig, err := proof.signature()
	if err != nil {
		return p, err
	}
	d := lifecycle.DispatchDeliveredV1{Batch: p.Batch, Courier: p.Courier, Proof: sig, At: s.now()}
	if err := lifecycle.CheckDelivered(d); err != nil {
		return p, err
	}
	if _, err := s.append(ctx, a, lifecycle.DispatchDelivered, waybill, d); err != nil {
		return p, err
	}
	return s.Parcel(waybill)
}
