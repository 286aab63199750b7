package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// maxBulk bounds the ids of one bulk step.
const maxBulk = 200

// bulkResult is one id's outcome in a bulk step: ok, or the error body
// the single route would have answered (its "error", and for a refused
// step "state" and "allowed"), flattened beside the id.
type bulkResult map[string]any

// bulk takes one step on each of ids through step, the single route's
// service call, each checked and published on its own, so that one bad id
// does not stop the others. The answer is 200 with a result per id, in the
// order given. Each step taken is audited as the single route's would be
// (single is its pattern, path its path for an id), beside the gate's row
// for the bulk request.
func (a *api) bulk(w http.ResponseWriter, r *http.Request, ids []string, single string, path func(id string) string, stepName string,
	step func(ctx context.Context, id string) error) {
	if len(ids) == 0 || len(ids) > maxBulk || len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
		writeErr(w, problem.New(problem.RequestBulkIDs, "max", maxBulk))
		return
	}
	out := make([]bulkResult, len(ids))
	for i, id := range ids {
		res := bulkResult{"id": id, "ok": true}
		err := step(r.Context(), id)
		if c, ok := accounts.FromContext(r.Context()); ok && err == nil {
			a.audit(r, c, single, path(id), stepName)
		}
		if err != nil {
			perr, _ := a.problemOf(r, err)
			_, body := problem.Response(perr)
			res["ok"] = false
			switch b := body.(type) {
			case problem.Body:
				res["error"] = b.Error
			case map[string]any:
				for k, v := range b {
					res[k] = v
				}
			}
		}
		out[i] = res
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": out})
}

type exceptionBulkReq struct {
	IDs []string `json:"ids"`
	exceptionStepReq
}

type complaintBulkReq struct {
	IDs []string `json:"ids"`
	complaintStepReq
}

// exceptionSteps takes any step the single route takes, with the same
// body, on up to maxBulk exceptions: bulk assign is {"ids", "step":
// "assign", "owner"}.
func (a *api) exceptionSteps(w http.ResponseWriter, r *http.Request) {
	var req exceptionBulkReq
	if !decode(w, r, &req) {
		return
	}
	st := req.exceptionStepReq.step()
	a.bulk(w, r, req.IDs, "POST /api/v1/exceptions/{id}/steps", func(id string) string { return "/api/v1/exceptions/" + id + "/steps" }, st.Step, func(ctx context.Context, id string) error {
		_, err := a.opt.Cases.ExceptionStep(ctx, id, actor(r), st)
		return err
	})
}

// complaintSteps is exceptionSteps for complaints.
func (a *api) complaintSteps(w http.ResponseWriter, r *http.Request) {
	var req complaintBulkReq
	if !decode(w, r, &req) {
		return
	}
	st := req.complaintStepReq.step()
	a.bulk(w, r, req.IDs, "POST /api/v1/complaints/{id}/steps", func(id string) string { return "/api/v1/complaints/" + id + "/steps" }, st.Step, func(ctx context.Context, id string) error {
		_, err := a.opt.Cases.ComplaintStep(ctx, id, actor(r), st)
		return err
	})
}

// Overview thresholds: an outlet is connected when it synced (a batch or
// a pull) within connectedWithin, stale when it has not for staleAfter
// (or never has); a complaint is due within dueSoon.
const (
	connectedWithin = 2 * time.Minute
	staleAfter      = time.Hour
	dueSoon         = 24 * time.Hour
)

// Overview is head office's first screen, from indexed counts only: no
// case is folded.
type Overview struct {
	Outlets struct {
		Total           int64 `json:"total"`
		Connected       int64 `json:"connected"`
		Stale           int64 `json:"stale"`
		WithDeadLetters int64 `json:"with_dead_letters"`
	} `json:"outlets"`
	Complaints struct {
		Open    int64 `json:"open"`
		Overdue int64 `json:"overdue"`
		Due24h  int64 `json:"due_24h"`
	} `json:"complaints"`
	Exceptions struct {
		Open    int64 `json:"open"`
		Overdue int64 `json:"overdue"`
	} `json:"exceptions"`
	Notices struct {
		Active int64 `json:"active"`
	} `json:"notices"`
	// Today's parcels, from the measures' rollups (hub/measures).
	Today struct {
		Inbound  int64 `json:"inbound"`
		PickedUp int64 `json:"picked_up"`
	} `json:"today"`
}

func (a *api) overview(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r) {
		return
	}
	ctx, now := r.Context(), a.now().UnixMilli()
	var o Overview
	oc, err := a.opt.Store.OutletCounts(ctx, now-connectedWithin.Milliseconds(), now-staleAfter.Milliseconds())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	o.Outlets.Total, o.Outlets.Connected, o.Outlets.Stale, o.Outlets.WithDeadLetters = oc.Total, oc.Seen, oc.Stale, oc.WithDeadLetters
	open := func(kind string) store.CaseQuery { return store.CaseQuery{Kind: kind, OpenOnly: true} }
	due := func(q store.CaseQuery, after, by int64) store.CaseQuery { q.DueAfter, q.DueBy = after, by; return q }
	for _, c := range []struct {
		n *int64
		q store.CaseQuery
	}{
		{&o.Complaints.Open, open(lifecycle.KindComplaint)},
		{&o.Complaints.Overdue, due(open(lifecycle.KindComplaint), 0, now)},
		{&o.Complaints.Due24h, due(open(lifecycle.KindComplaint), now, now+dueSoon.Milliseconds())},
		{&o.Exceptions.Open, open(lifecycle.KindException)},
		{&o.Exceptions.Overdue, due(open(lifecycle.KindException), 0, now)},
		// Open is the one meaning for notices: published and not ended.
		{&o.Notices.Active, open(lifecycle.KindNotice)},
	} {
		if *c.n, err = a.opt.Store.CountCases(ctx, c.q); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	if a.opt.Measures != nil {
		if o.Today.Inbound, o.Today.PickedUp, err = a.opt.Measures.Today(ctx, a.now()); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, o)
}

// deadLetterKey is where a page of an outlet's dead letters ends.
type deadLetterKey struct {
	Epoch uint64 `json:"e"`
	Seq   uint64 `json:"s"`
}

var deadLetterList = listSpec{Name: "dead_letters", Columns: []column{
	{"seq", "序号", "Seq"}, {"code", "原因代码", "Code"}, {"reason", "原因", "Reason"}, {"at", "时间", "At"},
}}

// deadLetters pages an outlet's refused events, newest first.
func (a *api) deadLetters(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, takes()...) {
		return
	}
	id := r.PathValue("id")
	if _, err := a.opt.Store.Outlet(r.Context(), id); err != nil {
		a.fail(w, r, outletErr(err, id))
		return
	}
	serveList(a, w, r, deadLetterList, func(ctx context.Context, after *deadLetterKey, limit int) ([]deadLetterJSON, []deadLetterKey, error) {
		var before *store.DeadLetterPos
		if after != nil {
			before = &store.DeadLetterPos{Epoch: after.Epoch, Seq: after.Seq}
		}
		dls, err := a.opt.Store.DeadLettersBefore(ctx, id, before, limit)
		out, keys := make([]deadLetterJSON, len(dls)), make([]deadLetterKey, len(dls))
		for i, d := range dls {
			out[i], keys[i] = asDeadLetterJSON(d), deadLetterKey{Epoch: d.Epoch, Seq: d.Seq}
		}
		return out, keys, err
	})
}
