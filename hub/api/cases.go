package api

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/yizhan/yizhan/hub/cases"
	"github.com/yizhan/yizhan/hub/notices"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

func (a *api) caseRoutes(mux *http.ServeMux) {
	a.handle(mux, "GET /api/v1/exceptions", a.exceptions)
	a.handle(mux, "GET /api/v1/exceptions/{id}", a.exception)
	a.handle(mux, "POST /api/v1/exceptions/{id}/steps", a.exceptionStep)
	a.handle(mux, "POST /api/v1/exceptions/steps", a.exceptionSteps)
	a.handle(mux, "GET /api/v1/complaints", a.complaints)
	a.handle(mux, "GET /api/v1/complaints/{id}", a.complaint)
	a.handle(mux, "POST /api/v1/complaints/{id}/steps", a.complaintStep)
	a.handle(mux, "POST /api/v1/complaints/steps", a.complaintSteps)
	a.handle(mux, "GET /api/v1/overview", a.overview)
	a.handle(mux, "GET /api/v1/notices", a.notices)
	a.handle(mux, "POST /api/v1/notices", a.publishNotice)
	a.handle(mux, "GET /api/v1/notices/{id}", a.notice)
	a.handle(mux, "POST /api/v1/notices/{id}/end", a.endNotice)
	a.handle(mux, "GET /api/v1/reply-templates", a.templates)
	a.handle(mux, "POST /api/v1/reply-templates", a.publishTemplate)
}

// The filters list routes read. Each route names those it takes (beside
// the list mechanism's listParams); any other query parameter is refused,
// and so is an outlet the hub does not know, rather than answering an
// empty list the caller believes filtered.
const (
	fOutlet  = "outlet"
	fOpen    = "open"
	fOverdue = "overdue" // open and past the next deadline now
	fOwner   = "owner"
	fState   = "state"
	fLabel   = "label" // an exception's kind, a complaint's type
	fSort    = "sort"  // due (soonest deadline first) or newest
)

// takes is a list route's filters and the list mechanism's parameters.
func takes(filters ...string) []string { return append(filters, listParams...) }

// outletFilter reads ?outlet=, answering outlet.not_found for an outlet the
// hub does not know.
func (a *api) outletFilter(w http.ResponseWriter, r *http.Request) (string, bool) {
	outlet := r.URL.Query().Get(fOutlet)
	if outlet == "" {
		return "", true
	}
	if _, err := a.opt.Store.Outlet(r.Context(), outlet); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = problem.Wrap(err, problem.OutletNotFound, "outlet", outlet)
		}
		a.fail(w, r, err)
		return "", false
	}
	return outlet, true
}

// caseFilters reads the filters of a case-list route (those of outlet,
// open and the list parameters it takes) into a store query.
func (a *api) caseFilters(w http.ResponseWriter, r *http.Request, filters ...string) (store.CaseQuery, bool) {
	var q store.CaseQuery
	if !onlyFilters(w, r, takes(filters...)...) {
		return q, false
	}
	var ok bool
	if q.Outlet, ok = a.outletFilter(w, r); !ok {
		return q, false
	}
	if q.OpenOnly, ok = boolFilter(w, r, fOpen, problem.RequestBadOpen); !ok {
		return q, false
	}
	return q, true
}

// casePager pages the case list through list, which folds a page of q.
func casePager[V any](q store.CaseQuery, list func(context.Context, store.CaseQuery) ([]V, []store.Case, error)) pager[store.CasePos, V] {
	return func(ctx context.Context, after *store.CasePos, limit int) ([]V, []store.CasePos, error) {
		q := q
		q.After, q.Limit = after, limit
		vs, rows, err := list(ctx, q)
		keys := make([]store.CasePos, len(rows))
		for i, c := range rows {
			keys[i] = c.Pos()
		}
		return vs, keys, err
	}
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

// queue reads the queue filters of the exception and complaint lists:
// overdue, owner, state, label (one of field's codes of kind), region (the
// outlets it holds now) and sort, soonest deadline first by default with
// open=1 or overdue=1.
func (a *api) queue(w http.ResponseWriter, r *http.Request, kind, field string) (cases.Query, bool) {
	cq, ok := a.caseFilters(w, r, fOutlet, fOpen, fOverdue, fOwner, fState, fLabel, fRegion, fSort)
	if !ok {
		return cases.Query{}, false
	}
	q := cases.Query{CaseQuery: cq}
	region, ok := a.knownRegion(w, r, r.URL.Query().Get(fRegion))
	if !ok {
		return q, false
	}
	if region != "" {
		os, err := a.opt.Outlets.FindOutlets(r.Context(), store.OutletQuery{Region: region})
		if err != nil {
			a.fail(w, r, err)
			return q, false
		}
		// Not nil: a region whose outlets all moved away lists nothing.
		q.Outlets = make([]string, 0, len(os))
		for _, o := range os {
			q.Outlets = append(q.Outlets, o.ID)
		}
	}
	if q.Overdue, ok = boolFilter(w, r, fOverdue, problem.RequestBadOverdue); !ok {
		return q, false
	}
	v := r.URL.Query()
	q.Owner, q.State = v.Get(fOwner), v.Get(fState)
	if l := v.Get(fLabel); l != "" {
		k, _ := lifecycle.KindByName(kind)
		if _, known := k.Label(field, l); !known {
			writeErr(w, problem.New(problem.RequestBadValue, "filter", fLabel, "value", l, "allowed", k.Codes(field)))
			return q, false
		}
		q.Labels = []string{l}
	}
	switch v.Get(fSort) {
	case "":
		if q.OpenOnly || q.Overdue {
			q.Sort = store.SortDue
		}
	case "due":
		q.Sort = store.SortDue
	case "newest":
	default:
		writeErr(w, problem.New(problem.RequestBadSort, "allowed", []string{"due", "newest"}))
		return q, false
	}
	return q, true
}

// queued is what an item of a queue carries beside its view: its next
// deadline as the case row holds it (the one the queue orders by), and
// whether it has passed.
type queued struct {
	DueAt   *string `json:"due_at"`
	Overdue bool    `json:"overdue"`
}

func queuedOf(c store.Case, now time.Time) queued {
	if c.Due == 0 {
		return queued{}
	}
	at := rfc3339(c.Due)
	return queued{DueAt: &at, Overdue: c.Due <= now.UnixMilli()}
}

type exceptionItem struct {
	cases.ExceptionView
	queued
}

type complaintItem struct {
	cases.ComplaintView
	queued
}

var exceptionList = listSpec{Name: "exceptions", Columns: []column{
	{"id", "编号", "ID"}, {"outlet", "网点", "Outlet"}, {"waybill", "运单号", "Waybill"}, {"kind", "类型", "Kind"},
	{"state", "状态", "State"}, {"owner", "负责人", "Owner"}, {"reported_at", "上报时间", "Reported at"},
	{"due_at", "处理时限", "Due at"}, {"overdue", "已超时", "Overdue"}, {"handle_remaining_s", "剩余秒数", "Seconds left"},
}}

var complaintList = listSpec{Name: "complaints", Columns: []column{
	{"id", "编号", "ID"}, {"ticket", "工单号", "Ticket"}, {"outlet", "网点", "Outlet"}, {"type", "类型", "Type"},
	{"category", "类别", "Category"}, {"severity", "严重程度", "Severity"}, {"state", "状态", "State"},
	{"owner", "负责人", "Owner"}, {"received_at", "受理时间", "Received at"}, {"first_reply_at", "首次答复时间", "First reply at"},
	{"due_at", "下一时限", "Due at"}, {"overdue", "已超时", "Overdue"}, {"satisfaction", "满意度", "Satisfaction"},
}}

func (a *api) exceptions(w http.ResponseWriter, r *http.Request) {
	q, ok := a.queue(w, r, lifecycle.KindException, "kind")
	if !ok {
		return
	}
	serveList(a, w, r, exceptionList, queuePager(a, q, a.opt.Cases.Exceptions,
		func(x cases.ExceptionView, qd queued) exceptionItem { return exceptionItem{x, qd} }))
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

func (req exceptionStepReq) step() lifecycle.ExceptionStepV1 {
	return lifecycle.ExceptionStepV1{Step: req.Step, Note: req.Note, Owner: req.Owner, Approved: req.Approved, AmountCents: req.AmountCents}
}

func (a *api) exceptionStep(w http.ResponseWriter, r *http.Request) {
	var req exceptionStepReq
	if !decode(w, r, &req) {
		return
	}
	x, err := a.opt.Cases.ExceptionStep(r.Context(), r.PathValue("id"), actor(r), req.step())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

func (a *api) complaints(w http.ResponseWriter, r *http.Request) {
	q, ok := a.queue(w, r, lifecycle.KindComplaint, "type")
	if !ok {
		return
	}
	serveList(a, w, r, complaintList, queuePager(a, q, a.opt.Cases.Complaints,
		func(c cases.ComplaintView, qd queued) complaintItem { return complaintItem{c, qd} }))
}

// queuePager pages a queue through list, which folds a page of q, and
// makes each view an item with its deadline as the case row holds it.
func queuePager[V, I any](a *api, q cases.Query, list func(context.Context, cases.Query) ([]V, []store.Case, error), item func(V, queued) I) pager[store.CasePos, I] {
	return func(ctx context.Context, after *store.CasePos, limit int) ([]I, []store.CasePos, error) {
		q := q
		q.After, q.Limit = after, limit
		vs, rows, err := list(ctx, q)
		now := a.opt.Cases.Now()
		out, keys := make([]I, len(vs)), make([]store.CasePos, len(vs))
		for i, v := range vs {
			out[i], keys[i] = item(v, queuedOf(rows[i], now)), rows[i].Pos()
		}
		return out, keys, err
	}
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

func (req complaintStepReq) step() lifecycle.ComplaintStepV1 {
	return lifecycle.ComplaintStepV1{Step: req.Step, Note: req.Note, Owner: req.Owner, Reason: req.Reason,
		NoticeID: req.NoticeID, Satisfaction: req.Satisfaction}
}

func (a *api) complaintStep(w http.ResponseWriter, r *http.Request) {
	var req complaintStepReq
	if !decode(w, r, &req) {
		return
	}
	c, err := a.opt.Cases.ComplaintStep(r.Context(), r.PathValue("id"), actor(r), req.step())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

var noticeList = listSpec{Name: "notices", Columns: []column{
	{"id", "编号", "ID"}, {"title", "标题", "Title"}, {"severity", "级别", "Severity"}, {"active", "生效中", "Active"},
	{"ended", "已结束", "Ended"}, {"valid_from", "生效时间", "Valid from"}, {"valid_to", "失效时间", "Valid to"},
	{"scope", "范围", "Scope"}, {"text", "内容", "Text"},
}}

func (a *api) notices(w http.ResponseWriter, r *http.Request) {
	q, ok := a.caseFilters(w, r, fOpen)
	if !ok {
		return
	}
	serveList(a, w, r, noticeList, casePager(q, func(ctx context.Context, q store.CaseQuery) ([]noticeJSON, []store.Case, error) {
		ns, rows, err := a.opt.Notices.Notices(ctx, q)
		out := make([]noticeJSON, len(ns))
		for i, n := range ns {
			out[i] = asNoticeJSON(n)
		}
		return out, rows, err
	}))
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

var templateList = listSpec{Name: "templates", Columns: []column{
	{"id", "编号", "ID"}, {"title", "标题", "Title"}, {"category", "类别", "Category"}, {"keywords", "关键词", "Keywords"},
	{"text", "内容", "Text"},
}}

func (a *api) templates(w http.ResponseWriter, r *http.Request) {
	q, ok := a.caseFilters(w, r)
	if !ok {
		return
	}
	serveList(a, w, r, templateList, casePager(q, a.opt.Notices.Templates))
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
