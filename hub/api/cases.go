package api

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/yizhan/yizhan/hub/cases"
	"github.com/yizhan/yizhan/hub/notices"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// List bounds: a page of cases is folded per request.
const (
	defaultLimit = 200
	maxLimit     = 1000
)

func (a *api) caseRoutes(mux *http.ServeMux) {
	a.handle(mux, "GET /api/v1/exceptions", a.exceptions)
	a.handle(mux, "GET /api/v1/exceptions/{id}", a.exception)
	a.handle(mux, "POST /api/v1/exceptions/{id}/steps", a.exceptionStep)
	a.handle(mux, "GET /api/v1/complaints", a.complaints)
	a.handle(mux, "GET /api/v1/complaints/{id}", a.complaint)
	a.handle(mux, "POST /api/v1/complaints/{id}/steps", a.complaintStep)
	a.handle(mux, "GET /api/v1/notices", a.notices)
	a.handle(mux, "POST /api/v1/notices", a.publishNotice)
	a.handle(mux, "GET /api/v1/notices/{id}", a.notice)
	a.handle(mux, "POST /api/v1/notices/{id}/end", a.endNotice)
	a.handle(mux, "GET /api/v1/reply-templates", a.templates)
	a.handle(mux, "POST /api/v1/reply-templates", a.publishTemplate)
}

// The filters list routes read. Each route names those it takes; any other
// query parameter is refused, and so is an outlet the hub does not know,
// rather than answering an empty list the caller believes filtered.
const (
	fOutlet  = "outlet"
	fOpen    = "open"
	fLimit   = "limit"
	fOverdue = "overdue" // exceptions: open and past the handling deadline now
)

// listArgs reads the filters a list route takes (some of ?outlet=&open=1&limit=),
// answering the error if the query holds another or a bad value.
func (a *api) listArgs(w http.ResponseWriter, r *http.Request, takes ...string) (outlet string, open bool, limit int, ok bool) {
	q := r.URL.Query()
	if !onlyFilters(w, r, takes...) {
		return "", false, 0, false
	}
	limit = defaultLimit
	if s := q.Get(fLimit); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLimit {
			writeErr(w, problem.New(problem.RequestBadLimit, "max", maxLimit))
			return "", false, 0, false
		}
		limit = n
	}
	if open, ok = boolFilter(w, r, fOpen, problem.RequestBadOpen); !ok {
		return "", false, 0, false
	}
	if outlet = q.Get(fOutlet); outlet != "" {
		if _, err := a.opt.Store.Outlet(r.Context(), outlet); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				err = problem.Wrap(err, problem.OutletNotFound, "outlet", outlet)
			}
			a.fail(w, r, err)
			return "", false, 0, false
		}
	}
	return outlet, open, limit, true
}

// boolFilter reads a yes/no filter (1/true, 0/false or absent), answering
// bad with the error if it is anything else.
func boolFilter(w http.ResponseWriter, r *http.Request, name string, bad problem.Code) (on, ok bool) {
	switch r.URL.Query().Get(name) {
	case "", "0", "false":
		return false, true
	case "1", "true":
		return true, true
	}
	writeErr(w, problem.New(bad))
	return false, false
}

// onlyFilters refuses a query parameter the route does not take, naming it
// and those it does.
func onlyFilters(w http.ResponseWriter, r *http.Request, takes ...string) bool {
	for _, name := range slices.Sorted(maps.Keys(r.URL.Query())) {
		if !slices.Contains(takes, name) {
			writeErr(w, problem.New(problem.RequestUnknownFilter, "filter", name, "known", append([]string{}, takes...)))
			return false
		}
	}
	return true
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
	outlet, open, limit, ok := a.listArgs(w, r, fOutlet, fOpen, fLimit, fOverdue)
	if !ok {
		return
	}
	overdue, ok := boolFilter(w, r, fOverdue, problem.RequestBadOverdue)
	if !ok {
		return
	}
	xs, err := a.opt.Cases.Exceptions(r.Context(), cases.ExceptionQuery{Outlet: outlet, OpenOnly: open, OverdueOnly: overdue, Limit: limit})
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
}

func (a *api) exceptionStep(w http.ResponseWriter, r *http.Request) {
	var req exceptionStepReq
	if !decode(w, r, &req) {
		return
	}
	st := lifecycle.ExceptionStepV1{Step: req.Step, Note: req.Note, Owner: req.Owner, Approved: req.Approved, AmountCents: req.AmountCents}
	x, err := a.opt.Cases.ExceptionStep(r.Context(), r.PathValue("id"), actor(r), st)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

func (a *api) complaints(w http.ResponseWriter, r *http.Request) {
	outlet, open, limit, ok := a.listArgs(w, r, fOutlet, fOpen, fLimit)
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
}

func (a *api) complaintStep(w http.ResponseWriter, r *http.Request) {
	var req complaintStepReq
	if !decode(w, r, &req) {
		return
	}
	st := lifecycle.ComplaintStepV1{Step: req.Step, Note: req.Note, Owner: req.Owner, Reason: req.Reason,
		NoticeID: req.NoticeID, Satisfaction: req.Satisfaction}
	c, err := a.opt.Cases.ComplaintStep(r.Context(), r.PathValue("id"), actor(r), st)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *api) notices(w http.ResponseWriter, r *http.Request) {
	_, open, limit, ok := a.listArgs(w, r, fOpen, fLimit)
	if !ok {
		return
	}
	ns, err := a.opt.Notices.Notices(r.Context(), open, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]noticeJSON, len(ns))
	for i, n := range ns {
		out[i] = asNoticeJSON(n)
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": out})
}

func (a *api) notice(w http.ResponseWriter, r *http.Request) {
	n, err := a.opt.Notices.Notice(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, asNoticeJSON(n))
}

func (a *api) publishNotice(w http.ResponseWriter, r *http.Request) {
	var req notices.NoticeReq
	if !decode(w, r, &req) {
		return
	}
	req.Actor = actor(r)
	n, err := a.opt.Notices.PublishNotice(r.Context(), req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, asNoticeJSON(n))
}

func (a *api) endNotice(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Text string `json:"text"`
	}
	if !decode(w, r, &req) {
		return
	}
	n, err := a.opt.Notices.EndNotice(r.Context(), r.PathValue("id"), actor(r), req.Text)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, asNoticeJSON(n))
}

// noticeJSON is a notice as head office sends it: valid_from, valid_to,
// ended_at and the acknowledgements' times are RFC 3339 (UTC), the form
// POST takes; valid_to is null for a notice valid until it is ended, and
// ended_at absent until it is. The events and the agent's API keep Unix
// milliseconds: only this view changes. The fields here, being shallower,
// replace the embedded ones of the same name.
type noticeJSON struct {
	notices.NoticeView
	ValidFrom string    `json:"valid_from"`
	ValidTo   *string   `json:"valid_to"`
	EndedAt   *string   `json:"ended_at,omitempty"`
	Acks      []ackJSON `json:"acknowledged_by,omitempty"`
}

type ackJSON struct {
	Outlet string `json:"outlet"`
	Staff  string `json:"staff"`
	At     string `json:"at"`
}

func asNoticeJSON(n notices.NoticeView) noticeJSON {
	v := noticeJSON{NoticeView: n, ValidFrom: rfc3339(n.ValidFrom)}
	if n.ValidTo != 0 {
		to := rfc3339(n.ValidTo)
		v.ValidTo = &to
	}
	if n.EndedAt != 0 {
		at := rfc3339(n.EndedAt)
		v.EndedAt = &at
	}
	for _, a := range n.Acks {
		v.Acks = append(v.Acks, ackJSON{Outlet: a.Outlet, Staff: a.Staff, At: rfc3339(a.At)})
	}
	return v
}

// rfc3339 formats a Unix-millisecond time as the API's requests write it.
func rfc3339(ms int64) string { return time.UnixMilli(ms).UTC().Format(time.RFC3339Nano) }

func (a *api) templates(w http.ResponseWriter, r *http.Request) {
	_, _, limit, ok := a.listArgs(w, r, fLimit)
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
	req.Actor = actor(r)
	t, err := a.opt.Notices.PublishTemplate(r.Context(), req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, t)
}
