// Package manifests is head office's side of courier handovers: it
// validates and publishes manifests (派件清单) to their outlet through
// hub/downlink, amends them for the same outlet, and folds the outlets'
// handover sessions against the manifests they name, read-only, with the
// syncproto/lifecycle rules the agents use.
package manifests

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/yizhan/yizhan/hub/downlink"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Manifest limits.
const (
	MaxManifestWaybills = 5000
	MaxWaybillLen       = 64
)

// ManifestReq is a manifest (派件清单) head office sends an outlet.
type ManifestReq struct {
	Outlet     string   `json:"outlet"`
	Courier    string   `json:"courier"`
	Line       string   `json:"line"`
	ExpectedAt string   `json:"expected_at"` // RFC 3339
	Waybills   []string `json:"waybills"`
	Actor      string   `json:"-"` // the caller, set by hub/api; a body\'s "actor" is refused
}

// ManifestView is a manifest with the outlet it was sent to.
type ManifestView struct {
	lifecycle.Manifest
	Outlet string `json:"outlet"`
}

// HandoverView is a handover session folded at head office, with the
// exceptions its close raises.
type HandoverView struct {
	lifecycle.Handover
	Exceptions []lifecycle.HandoverException `json:"exceptions"`
}

// Store is what this package reads.
type Store interface {
	Outlet(ctx context.Context, id string) (store.Outlet, error)
}

// Service publishes manifests and folds manifests and handovers.
type Service struct {
	store Store
	down  *downlink.Sender
}

// New returns a Service that checks outlets in st and reads and publishes
// through down.
func New(st Store, down *downlink.Sender) *Service {
	return &Service{store: st, down: down}
}

// checkManifest validates r and returns its payload.
func (s *Service) checkManifest(ctx context.Context, r ManifestReq) (lifecycle.ManifestV1, error) {
	p := lifecycle.ManifestV1{Courier: strings.TrimSpace(r.Courier), Line: strings.TrimSpace(r.Line), At: s.down.NowMs()}
	if err := syncproto.ValidOutletID(r.Outlet); err != nil {
		return p, err
	}
	if _, err := s.store.Outlet(ctx, r.Outlet); errors.Is(err, store.ErrNotFound) {
		return p, problem.Wrap(err, problem.OutletNotRegistered, "outlet", r.Outlet)
	} else if err != nil {
		return p, err
	}
	if len(p.Courier) > syncproto.MaxFieldLen || len(p.Line) > syncproto.MaxFieldLen || !downlink.Plain(p.Courier) || !downlink.Plain(p.Line) {
		return p, problem.New(problem.ManifestFieldTooLong, "max", syncproto.MaxFieldLen)
	}
	if r.ExpectedAt == "" {
		return p, problem.New(problem.ManifestExpectedAt)
	}
	var err error
	if p.ExpectedAt, err = downlink.Millis(r.ExpectedAt, "expected_at"); err != nil {
		return p, err
	}
	if len(r.Waybills) == 0 || len(r.Waybills) > MaxManifestWaybills {
		return p, problem.New(problem.ManifestCount, "max", MaxManifestWaybills, "count", len(r.Waybills))
	}
	seen := make(map[string]bool, len(r.Waybills))
	for i, w := range r.Waybills {
		switch {
		case w == "":
			return p, problem.New(problem.ManifestWaybillEmpty, "n", i+1)
		case len(w) > MaxWaybillLen || !downlink.Plain(w):
			return p, problem.New(problem.ManifestWaybillBad, "n", i+1, "max", MaxWaybillLen)
		case seen[w]:
			return p, problem.New(problem.ManifestWaybillTwice, "waybill", w)
		}
		seen[w] = true
	}
	p.Waybills = r.Waybills
	return p, nil
}

// publish sends p as one event, or as the parts that fit the event limit,
// one after another under the downlink lock the caller holds.
func (s *Service) publish(ctx context.Context, after hlc.Timestamp, outlet, id string, p lifecycle.ManifestV1, actor string) error {
	parts, err := lifecycle.SplitManifest(p, syncproto.NewID(), syncproto.MaxEventBytes)
	if err != nil {
		return err
	}
	for _, part := range parts {
		if err := s.down.Publish(ctx, after, []string{outlet}, lifecycle.ManifestPublished, id, part, actor); err != nil {
			return err
		}
	}
	return nil
}

// PublishManifest records a new manifest for its outlet.
func (s *Service) PublishManifest(ctx context.Context, r ManifestReq) (ManifestView, error) {
	p, err := s.checkManifest(ctx, r)
	if err != nil {
		return ManifestView{}, err
	}
	id := syncproto.NewID()
	if err := s.down.Lock(ctx); err != nil {
		return ManifestView{}, err
	}
	defer s.down.Unlock()
	if err := s.publish(ctx, 0, r.Outlet, id, p, r.Actor); err != nil {
		return ManifestView{}, err
	}
	return s.Manifest(ctx, id)
}

// AmendManifest republishes manifest id; it stays with the same outlet, and
// the outlet's fold takes the new publication.
func (s *Service) AmendManifest(ctx context.Context, id string, r ManifestReq) (ManifestView, error) {
	p, err := s.checkManifest(ctx, r)
	if err != nil {
		return ManifestView{}, err
	}
	if err := s.down.Lock(ctx); err != nil {
		return ManifestView{}, err
	}
	defer s.down.Unlock()
	evs, err := s.down.Events(ctx, lifecycle.KindManifest, id)
	if err != nil {
		return ManifestView{}, err
	}
	old, err := s.manifest(id, evs)
	if err != nil {
		return ManifestView{}, err
	}
	if old.Outlet != r.Outlet {
		return ManifestView{}, problem.New(problem.ManifestOtherOutlet, "id", id, "outlet", old.Outlet, "other", r.Outlet)
	}
	if err := s.publish(ctx, downlink.Newest(evs), r.Outlet, id, p, r.Actor); err != nil {
		return ManifestView{}, err
	}
	return s.Manifest(ctx, id)
}

func (s *Service) manifest(id string, evs []syncproto.Event) (ManifestView, error) {
	v := ManifestView{Manifest: lifecycle.FoldManifest(id, slices.Clone(evs))}
	if v.Revision == 0 {
		return v, problem.New(problem.ManifestNotFound, "id", id)
	}
	for _, e := range evs {
		if e.Origin == syncproto.HubOrigin && e.Type == lifecycle.ManifestPublished {
			v.Outlet = e.Target
		}
	}
	return v, nil
}

// Manifest folds one manifest.
func (s *Service) Manifest(ctx context.Context, id string) (ManifestView, error) {
	evs, err := s.down.Events(ctx, lifecycle.KindManifest, id)
	if err != nil {
		return ManifestView{}, err
	}
	return s.manifest(id, evs)
}

// Manifests lists a page of manifests (q.Kind is set here) and their case
// rows.
func (s *Service) Manifests(ctx context.Context, q store.CaseQuery) ([]ManifestView, []store.Case, error) {
	q.Kind = lifecycle.KindManifest
	return downlink.List(ctx, s.down, q, s.Manifest)
}

// Handover folds an outlet's handover session against the manifests it
// names, as the outlet does. Head office only reads handovers.
func (s *Service) Handover(ctx context.Context, id string) (HandoverView, error) {
	evs, err := s.down.Events(ctx, lifecycle.KindHandover, id)
	if err != nil {
		return HandoverView{}, err
	}
	var named []string
	for _, e := range evs {
		var o lifecycle.HandoverOpenedV1
		if e.Type == lifecycle.HandoverOpened && downlink.Decode(e.Payload, &o) {
			named = append(named, o.Manifests...)
		}
	}
	var ms []lifecycle.Manifest
	for _, mid := range named {
		mevs, err := s.down.Events(ctx, lifecycle.KindManifest, mid)
		if err != nil {
			return HandoverView{}, err
		}
		ms = append(ms, lifecycle.FoldManifest(mid, mevs))
	}
	h := lifecycle.FoldHandover(id, evs, ms)
	if h.State == "" {
		return HandoverView{}, problem.New(problem.HandoverNotFound, "id", id)
	}
	x := h.Exceptions()
	if x == nil {
		x = []lifecycle.HandoverException{}
	}
	return HandoverView{Handover: h, Exceptions: x}, nil
}

// Handovers lists a page of handover sessions (q.Kind is set here) and
// their case rows.
func (s *Service) Handovers(ctx context.Context, q store.CaseQuery) ([]HandoverView, []store.Case, error) {
	q.Kind = lifecycle.KindHandover
	return downlink.List(ctx, s.down, q, s.Handover)
}
