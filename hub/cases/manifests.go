package cases

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"unicode"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
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
	Actor      string   `json:"actor"`
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

func plain(s string) bool {
	return !strings.ContainsFunc(s, unicode.IsControl)
}

// check validates r and returns its payload.
func (s *Service) checkManifest(ctx context.Context, r ManifestReq) (lifecycle.ManifestV1, error) {
	p := lifecycle.ManifestV1{Courier: strings.TrimSpace(r.Courier), Line: strings.TrimSpace(r.Line), At: s.nowMs()}
	if err := syncproto.ValidOutletID(r.Outlet); err != nil {
		return p, err
	}
	if _, err := s.opt.Store.Outlet(ctx, r.Outlet); errors.Is(err, store.ErrNotFound) {
		return p, problem.Wrap(err, problem.OutletNotRegistered, "outlet", r.Outlet)
	} else if err != nil {
		return p, err
	}
	if len(p.Courier) > syncproto.MaxFieldLen || len(p.Line) > syncproto.MaxFieldLen || !plain(p.Courier) || !plain(p.Line) {
		return p, problem.New(problem.ManifestFieldTooLong, "max", syncproto.MaxFieldLen)
	}
	if r.ExpectedAt == "" {
		return p, problem.New(problem.ManifestExpectedAt)
	}
	var err error
	if p.ExpectedAt, err = rfc3339(r.ExpectedAt, "expected_at"); err != nil {
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
		case len(w) > MaxWaybillLen || !plain(w):
			return p, problem.New(problem.ManifestWaybillBad, "n", i+1, "max", MaxWaybillLen)
		case seen[w]:
			return p, problem.New(problem.ManifestWaybillTwice, "waybill", w)
		}
		seen[w] = true
	}
	p.Waybills = r.Waybills
	if raw, _ := json.Marshal(p); len(raw) > syncproto.MaxEventBytes {
		return p, problem.New(problem.ManifestTooLarge, "size", len(raw), "max", syncproto.MaxEventBytes)
	}
	return p, nil
}

// PublishManifest records a new manifest for its outlet.
func (s *Service) PublishManifest(ctx context.Context, r ManifestReq) (ManifestView, error) {
	p, err := s.checkManifest(ctx, r)
	if err != nil {
		return ManifestView{}, err
	}
	id := newID()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.publish(ctx, 0, []string{r.Outlet}, lifecycle.ManifestPublished, id, p, r.Actor); err != nil {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	evs, err := s.events(ctx, lifecycle.KindManifest, id)
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
	if err := s.publish(ctx, newest(evs), []string{r.Outlet}, lifecycle.ManifestPublished, id, p, r.Actor); err != nil {
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
	evs, err := s.events(ctx, lifecycle.KindManifest, id)
	if err != nil {
		return ManifestView{}, err
	}
	return s.manifest(id, evs)
}

// Manifests lists manifests newest first, for one outlet or all.
func (s *Service) Manifests(ctx context.Context, outlet string, limit int) ([]ManifestView, error) {
	rows, err := s.opt.Store.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindManifest, Outlet: outlet, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]ManifestView, 0, len(rows))
	for _, r := range rows {
		v, err := s.Manifest(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Handover folds an outlet's handover session against the manifests it
// names, as the outlet does. Head office only reads handovers.
func (s *Service) Handover(ctx context.Context, id string) (HandoverView, error) {
	evs, err := s.events(ctx, lifecycle.KindHandover, id)
	if err != nil {
		return HandoverView{}, err
	}
	var named []string
	for _, e := range evs {
		var o lifecycle.HandoverOpenedV1
		if e.Type == lifecycle.HandoverOpened && decodeInto(e.Payload, &o) {
			named = append(named, o.Manifests...)
		}
	}
	var ms []lifecycle.Manifest
	for _, mid := range named {
		mevs, err := s.events(ctx, lifecycle.KindManifest, mid)
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

// Handovers lists handover sessions newest first; openOnly leaves out
// closed ones.
func (s *Service) Handovers(ctx context.Context, outlet string, openOnly bool, limit int) ([]HandoverView, error) {
	rows, err := s.opt.Store.Cases(ctx, store.CaseQuery{Kind: lifecycle.KindHandover, Outlet: outlet, OpenOnly: openOnly, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]HandoverView, 0, len(rows))
	for _, r := range rows {
		v, err := s.Handover(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
