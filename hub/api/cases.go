package api

import (
	"net/http"
	"strconv"

	"github.com/yizhan/yizhan/hub/notices"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// List bounds: a page of cases is folded per request.
const (
	defaultLimit = 200
	maxLimit     = 1000
)

func (a *api) caseRoutes(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/exceptions", a.auth(a.exceptions))
	mux.Handle("GET /api/v1/exceptions/{id}", a.auth(a.exception))
	mux.Handle("POST /api/v1/exceptions/{id}/steps", a.auth(a.exceptionStep))
	mux.Handle("GET /api/v1/complaints", a.auth(a.complaints))
	mux.Handle("GET /api/v1/complaints/{id}", a.auth(a.complaint))
	mux.Handle("POST /api/v1/complaints/{id}/steps", a.auth(a.complaintStep))
	mux.Handle("GET /api/v1/notices", a.auth(a.notices))
	mux.Handle("POST /api/v1/notices", a.auth(a.publishNotice))
	mux.Handle("GET /api/v1/notices/{id}", a.auth(a.notice))
	mux.Handle("POST /api/v1/notices/{id}/end", a.auth(a.endNotice))
	mux.Handle("GET /api/v1/reply-templates", a.auth(a.templates))
	mux.Handle("POST /api/v1/reply-templates", a.auth(a.publishTemplate))
}

// listArgs reads ?outlet=&open=1&limit=.
func listArgs(w http.ResponseWriter, r *http.Request) (outlet string, open bool, limit int, ok bool) {
	q := r.URL.Query()
	limit = defaultLimit
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			writeErr(w, problem.New(problem.RequestBadLimit, "max", maxLimit))
			return "", false, 0, false
		}
		limit = n
	}
	switch q.Get("open") {
	case "", "0", "false":
	case "1", "true":
		open = true
	default:
		writeErr(w, problem.New(problem.RequestBadOpen))
		return "", false, 0, false
	}
	return q.Get("outlet"), open, limit, true
}

// decode reads a JSON body of at most 1 MiB by the one rule
// (problem.Decode: unknown fields are refused, so a misspelt one is not
// silently dropped), answering the error if not.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := problem.Decode(r.Body, 1<<20, v); err != nil {
		writeErr(w, err)
		return false
	}
	return true
}

func (a *api) exceptions(w http.ResponseWriter, r *http.Request) {
	outlet, open, limit, ok := listArgs(w, r)
	if !ok {
		return
	}
	xs, err := a.opt.Cases.Exceptions(r.Context(), outlet, open, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"exceptions": xs})
}

func (a *api) exception(w http.ResponseWriter, r *http.Request) {
	x, err := a.opt.Cases.Exception(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

type exceptionStepReq struct {
	Step        string `json:"step"`
	Owner       string `json:"owner"`
	Approved    *bool  `json:"approved"`
	AmountCents int64  `json:"amount_cents"`
	Note        string `json:"note"`
	Actor       string `json:"actor"`
}

func (a *api) exceptionStep(w http.ResponseWriter, r *http.Request) {
	var req exceptionStepReq
	if !decode(w, r, &req) {
		return
	}
	st := lifecycle.ExceptionStepV1{Step: req.Step, Note: req.Note, Owner: req.Owner, Approved: req.Approved, AmountCents: req.AmountCents}
	x, err := a.opt.Cases.ExceptionStep(r.Context(), r.PathValue("id"), req.Actor, st)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

func (a *api) complaints(w http.ResponseWriter, r *http.Request) {
	outlet, open, limit, ok := listArgs(w, r)
	if !ok {
		return
	}
	cs, err := a.opt.Cases.Complaints(r.Context(), outlet, open, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"complaints": cs})
}

func (a *api) complaint(w http.ResponseWriter, r *http.Request) {
	c, err := a.opt.Cases.Complaint(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

type complaintStepReq struct {
	Step         string `json:"step"`
	Note         string `json:"note"`
	Owner        string `json:"owner"`
	Reason       string `json:"reason"`
	NoticeID     string `json:"notice_id"`
	Satisfaction int    `json:"satisfaction"`
	Actor        string `json:"actor"`
}

func (a *api) complaintStep(w http.ResponseWriter, r *http.Request) {
	var req complaintStepReq
	if !decode(w, r, &req) {
		return
	}
	st := lifecycle.ComplaintStepV1{Step: req.Step, Note: req.Note, Owner: req.Owner, Reason: req.Reason,
		NoticeID: req.NoticeID, Satisfaction: req.Satisfaction}
	c, err := a.opt.Cases.ComplaintStep(r.Context(), r.PathValue("id"), req.Actor, st)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *api) notices(w http.ResponseWriter, r *http.Request) {
	_, open, limit, ok := listArgs(w, r)
	if !ok {
		return
	}
	ns, err := a.opt.Notices.Notices(r.Context(), open, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": ns})
}

func (a *api) notice(w http.ResponseWriter, r *http.Request) {
	n, err := a.opt.Notices.Notice(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (a *api) publishNotice(w http.ResponseWriter, r *http.Request) {
	var req notices.NoticeReq
	if !decode(w, r, &req) {
		return
	}
	n, err := a.opt.Notices.PublishNotice(r.Context(), req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, n)
}

func (a *api) endNotice(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Text  string `json:"text"`
		Actor string `json:"actor"`
	}
	if !decode(w, r, &req) {
		return
	}
	n, err := a.opt.Notices.EndNotice(r.Context(), r.PathValue("id"), req.Actor, req.Text)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (a *api) templates(w http.ResponseWriter, r *http.Request) {
	_, _, limit, ok := listArgs(w, r)
	if !ok {
		return
	}
	ts, err := a.opt.Notices.Templates(r.Context(), limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": ts})
}

func (a *api) publishTemplate(w http.ResponseWriter, r *http.Request) {
	var req notices.TemplateReq
	if !decode(w, r, &req) {
		return
	}
	t, err := a.opt.Notices.PublishTemplate(r.Context(), req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}
