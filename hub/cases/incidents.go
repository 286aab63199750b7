package cases

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/yizhan/yizhan/hub/downlink"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// ---- incident reports --------------------------------------------------------

// IncidentView is an incident report as head office sees it: its fold, the
// steps head office may take now, and its events with the photo parts'
// bytes left out (GET …/photos/{sha} serves a photo whole).
type IncidentView struct {
	lifecycle.Incident
	Allowed []string          `json:"allowed"`
	Events  []syncproto.Event `json:"events,omitempty"`
}

// Incident folds one incident report.
func (s *Service) Incident(ctx context.Context, id string) (IncidentView, error) {
	x, evs, err := s.incident(ctx, id)
	if err != nil {
		return IncidentView{}, err
	}
	return IncidentView{Incident: x, Allowed: nonNil(x.Allowed(HeadOffice)), Events: withoutPhotoBytes(evs)}, nil
}

func (s *Service) incident(ctx context.Context, id string) (lifecycle.Incident, []syncproto.Event, error) {
	evs, err := s.down.Events(ctx, lifecycle.KindIncident, id)
	if err != nil {
		return lifecycle.Incident{}, nil, err
	}
	x := lifecycle.FoldIncident(id, slices.Clone(evs))
	if x.State == "" {
		return x, nil, problem.New(problem.IncidentNotFound, "id", id)
	}
	return x, evs, nil
}

// withoutPhotoBytes copies evs with each photo part's data taken out: a
// history to read, not 300 KB of base64 per photo.
func withoutPhotoBytes(evs []syncproto.Event) []syncproto.Event {
	out := make([]syncproto.Event, len(evs))
	for i, e := range evs {
		if e.Type == lifecycle.IncidentPhoto {
			var p lifecycle.IncidentPhotoV1
			if json.Unmarshal(e.Payload, &p) == nil {
				p.Data = ""
				e.Payload, _ = json.Marshal(p)
			}
		}
		out[i] = e
	}
	return out
}

// Incidents lists a page of incident reports, without their events, and
// the case rows they were folded from.
func (s *Service) Incidents(ctx context.Context, q Query) ([]IncidentView, []store.Case, error) {
	cq, _ := s.page(lifecycle.KindIncident, q)
	return downlink.List(ctx, s.down, cq, func(ctx context.Context, id string) (IncidentView, error) {
		v, err := s.Incident(ctx, id)
		v.Events = nil
		return v, err
	})
}

// IncidentPhoto returns one photo of an incident report, put back together
// from its parts and checked against its hash; problem.IncidentPhotoMissing
// until its last part has arrived.
func (s *Service) IncidentPhoto(ctx context.Context, id, sha string) ([]byte, error) {
	x, evs, err := s.incident(ctx, id)
	if err != nil {
		return nil, err
	}
	return lifecycle.JoinIncidentPhoto(&x, sha, evs)
}

// IncidentStep takes a head-office step on an incident report (acknowledge,
// resolve, close, note) and sends it down to the reporting outlet.
func (s *Service) IncidentStep(ctx context.Context, id, actor string, st lifecycle.IncidentStepV1) (IncidentView, error) {
	st.Note = strings.TrimSpace(st.Note)
	if st.Step == "note" && st.Note == "" {
		return IncidentView{}, problem.New(problem.IncidentFieldRequired, "field", "note")
	}
	if err := s.down.Lock(ctx); err != nil {
		return IncidentView{}, err
	}
	defer s.down.Unlock()
	x, evs, err := s.incident(ctx, id)
	if err != nil {
		return IncidentView{}, err
	}
	if err := x.Check(st, HeadOffice); err != nil {
		return IncidentView{}, err
	}
	st.At = s.down.NowMs()
	if err := s.down.Publish(ctx, downlink.Newest(evs), []string{x.Outlet}, lifecycle.IncidentStep, id, st, actor); err != nil {
		return IncidentView{}, err
	}
	return s.Incident(ctx, id)
}
