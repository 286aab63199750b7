package api

import (
	"net/http"
	"strconv"

	"github.com/yizhan/yizhan/hub/cases"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// The outlets' incident reports: the queue, one report with its history,
// its photos, and head office's steps.
func (a *api) incidentRoutes(mux *http.ServeMux) {
	a.handle(mux, "GET /api/v1/incidents", a.incidents)
	a.handle(mux, "GET /api/v1/incidents/{id}", a.incident)
	a.handle(mux, "GET /api/v1/incidents/{id}/photos/{sha}", a.incidentPhoto)
	a.handle(mux, "POST /api/v1/incidents/{id}/steps", a.incidentStep)
}

type incidentItem struct {
	cases.IncidentView
	queued
}

var incidentList = listSpec{Name: "incidents", Columns: []column{
	{"id", "编号", "ID"}, {"outlet", "网点", "Outlet"}, {"occurred_at", "发生时间", "Occurred at"}, {"place", "地点", "Place"},
	{"cause", "原因", "Cause"}, {"cause_text", "其他原因", "Other cause"}, {"parcels", "受影响包裹", "Parcels affected"},
	{"delay_hours", "预计延误（小时）", "Expected delay (h)"}, {"state", "状态", "State"}, {"reporter", "上报人", "Reported by"},
	{"reported_at", "上报时间", "Reported at"}, {"text", "经过", "What happened"},
}}

// incidents is the queue: newest first, filtered by outlet, region, state,
// cause (label) and open, as the other queues are.
func (a *api) incidents(w http.ResponseWriter, r *http.Request) {
	q, ok := a.queue(w, r, lifecycle.KindIncident, "cause")
	if !ok {
		return
	}
	serveList(a, w, r, incidentList, queuePager(a, q, a.opt.Cases.Incidents,
		func(x cases.IncidentView, qd queued) incidentItem { return incidentItem{x, qd} }))
}

func (a *api) incident(w http.ResponseWriter, r *http.Request) {
	x, err := a.opt.Cases.Incident(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

// incidentPhoto answers a photo's bytes only once they are whole and match
// their hash, as a JPEG that no browser may sniff as anything else, run as
// a page, or keep in a shared cache.
func (a *api) incidentPhoto(w http.ResponseWriter, r *http.Request) {
	b, err := a.opt.Cases.IncidentPhoto(r.Context(), r.PathValue("id"), r.PathValue("sha"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=86400, immutable") // the hash names the bytes
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

type incidentStepReq struct {
	Step string `json:"step"`
	Note string `json:"note"`
}

func (a *api) incidentStep(w http.ResponseWriter, r *http.Request) {
	var req incidentStepReq
	if !decode(w, r, &req) {
		return
	}
	x, err := a.opt.Cases.IncidentStep(r.Context(), r.PathValue("id"), actor(r), lifecycle.IncidentStepV1{Step: req.Step, Note: req.Note})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}
