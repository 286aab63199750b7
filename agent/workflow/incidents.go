package workflow

import (
	"context"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// ---- incident reports ------------------------------------------------------

// IncidentReq is an incident reported at the counter: the report's fields
// (its time of report and its photos' names are set here) and the photos,
// JPEG bytes the screen has already resized to fit
// lifecycle.MaxIncidentPhotoBytes; they are checked again here.
type IncidentReq struct {
	lifecycle.IncidentReportedV1
	Photos [][]byte `json:"-"`
}

// IncidentView is an incident with the steps this outlet may take now.
type IncidentView struct {
	lifecycle.Incident
	Allowed []string `json:"allowed"`
}

// ReportIncident records an incident report and its photos. The report
// goes first and each photo part after it, all in the outbox in that
// order, so head office lists the report as soon as it has it and shows
// each photo once its last part is in; offline, they wait together.
func (s *Service) ReportIncident(ctx context.Context, a Actor, r IncidentReq) (IncidentView, error) {
	rep := r.IncidentReportedV1
	rep.Place, rep.CauseText, rep.Text, rep.Photos, rep.At = strings.TrimSpace(rep.Place), strings.TrimSpace(rep.CauseText), strings.TrimSpace(rep.Text), nil, s.now()
	if rep.Cause != "other" {
		rep.CauseText = ""
	}
	if len(r.Photos) > lifecycle.MaxIncidentPhotos {
		return IncidentView{}, problem.New(problem.IncidentPhotoTooMany, "max", lifecycle.MaxIncidentPhotos)
	}
	blobs, parts := map[string][]byte{}, map[string][]lifecycle.IncidentPhotoV1{}
	for i, ph := range r.Photos {
		if len(ph) > lifecycle.MaxIncidentPhotoBytes {
			return IncidentView{}, problem.New(problem.IncidentPhotoTooLarge, "n", i+1, "kb", (len(ph)+1023)>>10, "max_kb", lifecycle.MaxIncidentPhotoBytes>>10)
		}
		if err := lifecycle.CheckJPEG(ph, i+1); err != nil {
			return IncidentView{}, err
		}
		ref, ps := lifecycle.SplitIncidentPhoto(ph)
		if _, dup := blobs[ref.SHA256]; dup {
			continue // the same picture chosen twice goes once
		}
		blobs[ref.SHA256], parts[ref.SHA256] = ph, ps
		rep.Photos = append(rep.Photos, ref)
	}
	if err := lifecycle.CheckIncident(rep); err != nil {
		return IncidentView{}, err
	}
	// The counter shows its own photos from the blobs, as an exception's.
	if len(blobs) > 0 {
		err := s.file.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketBlobs)
			for h, data := range blobs {
				if err := b.Put([]byte(h), data); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return IncidentView{}, err
		}
	}
	id := syncproto.NewID()
	if _, err := s.append(ctx, a, lifecycle.IncidentReported, id, rep); err != nil {
		return IncidentView{}, err
	}
	for _, p := range rep.Photos {
		for _, part := range parts[p.SHA256] {
			if _, err := s.append(ctx, a, lifecycle.IncidentPhoto, id, part); err != nil {
				return IncidentView{}, err
			}
		}
	}
	return s.Incident(id)
}

// Incident returns an incident report's state.
func (s *Service) Incident(id string) (IncidentView, error) {
	var x lifecycle.Incident
	ok, err := s.read(lifecycle.KindIncident, id, &x)
	if err == nil && (!ok || x.State == "") {
		err = problem.New(problem.IncidentNotFound, "id", id)
	}
	return s.incidentView(x), err
}

func (s *Service) incidentView(x lifecycle.Incident) IncidentView {
	allowed := x.Allowed(s.events.Outlet())
	if allowed == nil {
		allowed = []string{}
	}
	return IncidentView{Incident: x, Allowed: allowed}
}

// Incidents lists incident reports, newest first; open only if openOnly.
func (s *Service) Incidents(openOnly bool, n int) ([]IncidentView, error) {
	xs, err := list(s, lifecycle.KindIncident, n, func(x *lifecycle.Incident) bool {
		return x.State != "" && (!openOnly || x.State != lifecycle.IncidentStateClosed)
	})
	out := make([]IncidentView, 0, len(xs))
	for _, x := range xs {
		out = append(out, s.incidentView(x))
	}
	return out, err
}

// IncidentStep takes one of the outlet's steps on an incident (a note, or
// closing it once head office resolved it).
func (s *Service) IncidentStep(ctx context.Context, a Actor, id string, st lifecycle.IncidentStepV1) (IncidentView, error) {
	x, err := s.Incident(id)
	if err != nil {
		return x, err
	}
	st.Note = strings.TrimSpace(st.Note)
	if err := x.Check(st, s.events.Outlet()); err != nil {
		return x, err
	}
	st.At = s.now()
	if _, err := s.append(ctx, a, lifecycle.IncidentStep, id, st); err != nil {
		return x, err
	}
	return s.Incident(id)
}
