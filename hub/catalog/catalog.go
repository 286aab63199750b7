// Package catalog is what head office publishes to every outlet as
// versioned lists: the tariff table (syncproto/tariff) and the
// prohibited-items list. Each version is validated, published once through
// hub/downlink, and never republished, so the newest version is the one in
// force at head office and at every outlet alike.
package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/yizhan/yizhan/hub/downlink"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

// Service publishes and reads the versioned lists.
type Service struct{ down *downlink.Sender }

// New returns a Service that reads and publishes through down.
func New(down *downlink.Sender) *Service { return &Service{down: down} }

// TariffReq is a tariff table head office publishes to every outlet.
type TariffReq struct {
	tariff.Tariff
	Actor string `json:"-"` // the caller, set by hub/api; a body\'s "actor" is refused
}

// ProhibitedReq is a prohibited-items list head office publishes to every
// outlet.
type ProhibitedReq struct {
	lifecycle.ProhibitedListV1
	Actor string `json:"-"` // the caller, set by hub/api; a body\'s "actor" is refused
}

// PublishTariff validates a tariff table and sends it to every outlet as a
// new version.
func (s *Service) PublishTariff(ctx context.Context, r TariffReq) (tariff.Tariff, error) {
	t := r.Tariff
	t.Version = strings.TrimSpace(t.Version)
	if t.Version == "" {
		return t, problem.New(problem.TariffVersion)
	}
	if len(t.Rates) == 0 || len(t.Zones) == 0 {
		return t, problem.New(problem.TariffZones)
	}
	if err := t.Validate(); err != nil {
		return t, err
	}
	if err := s.publishVersion(ctx, lifecycle.KindTariff, lifecycle.TariffPublished, t.Version, t, r.Actor); err != nil {
		return t, err
	}
	var out tariff.Tariff
	err := s.current(ctx, lifecycle.KindTariff, lifecycle.TariffPublished, &out)
	return out, err
}

// Tariff returns the tariff in force: the newest version published.
func (s *Service) Tariff(ctx context.Context) (tariff.Tariff, error) {
	var t tariff.Tariff
	return t, s.current(ctx, lifecycle.KindTariff, lifecycle.TariffPublished, &t)
}

// PublishProhibited validates a prohibited-items list and sends it to every
// outlet as a new version.
func (s *Service) PublishProhibited(ctx context.Context, r ProhibitedReq) (lifecycle.ProhibitedListV1, error) {
	l := r.ProhibitedListV1
	l.Version = strings.TrimSpace(l.Version)
	if err := l.Check(); err != nil {
		return l, err
	}
	if err := s.publishVersion(ctx, lifecycle.KindProhibited, lifecycle.ProhibitedPublished, l.Version, l, r.Actor); err != nil {
		return l, err
	}
	var out lifecycle.ProhibitedListV1
	err := s.current(ctx, lifecycle.KindProhibited, lifecycle.ProhibitedPublished, &out)
	return out, err
}

// Prohibited returns the prohibited-items list in force.
func (s *Service) Prohibited(ctx context.Context) (lifecycle.ProhibitedListV1, error) {
	var l lifecycle.ProhibitedListV1
	return l, s.current(ctx, lifecycle.KindProhibited, lifecycle.ProhibitedPublished, &l)
}

// publishVersion sends a new version to every outlet. A version is never
// republished, so the newest first publication is the one in force and
// every outlet folds to the same list.
func (s *Service) publishVersion(ctx context.Context, kind, typ, version string, payload any, actor string) error {
	if len(version) > syncproto.MaxFieldLen || !downlink.Plain(version) {
		return problem.New(problem.VersionBad, "max", syncproto.MaxFieldLen)
	}
	if err := s.down.Lock(ctx); err != nil {
		return err
	}
	defer s.down.Unlock()
	evs, err := s.down.Events(ctx, kind, version)
	if err != nil {
		return err
	}
	if len(evs) > 0 {
		return problem.New(problem.VersionPublished, "version", version)
	}
	return s.down.Publish(ctx, 0, []string{syncproto.TargetAll}, typ, version, payload, actor)
}

// current decodes the newest version of kind into v.
func (s *Service) current(ctx context.Context, kind, typ string, v any) error {
	rows, err := s.down.Cases(ctx, store.CaseQuery{Kind: kind, Limit: 1})
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return problem.New(problem.VersionNone, "kind", kind)
	}
	evs, err := s.down.Events(ctx, kind, rows[0].ID)
	if err != nil {
		return err
	}
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Origin == syncproto.HubOrigin && evs[i].Type == typ && downlink.Decode(evs[i].Payload, v) {
			return nil
		}
	}
	return problem.New(problem.VersionNone, "kind", kind)
}

// Version is one published version of a versioned list, as listed.
type Version struct {
	Version     string    `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	// Current is the version in force: the newest.
	Current bool `json:"current"`
}

// Versions lists a page of kind's versions (lifecycle.KindTariff or
// KindProhibited; q.Kind is set here), newest first, from the case list
// alone, and the rows beside them.
func (s *Service) Versions(ctx context.Context, kind string, q store.CaseQuery) ([]Version, []store.Case, error) {
	if kind != lifecycle.KindTariff && kind != lifecycle.KindProhibited {
		return nil, nil, fmt.Errorf("catalog: %s is not a versioned list", kind)
	}
	q.Kind = kind
	rows, err := s.down.Cases(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	newest, err := s.down.Cases(ctx, store.CaseQuery{Kind: kind, Limit: 1})
	if err != nil {
		return nil, nil, err
	}
	out := make([]Version, len(rows))
	for i, c := range rows {
		out[i] = Version{Version: c.ID, PublishedAt: time.UnixMilli(c.Since).UTC(), Current: len(newest) > 0 && newest[0].ID == c.ID}
	}
	return out, rows, nil
}
