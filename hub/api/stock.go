package api

import (
	"context"
	"net/http"

	"github.com/yizhan/yizhan/hub/catalog"
	"github.com/yizhan/yizhan/hub/manifests"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// stockRoutes serve what head office sends outlets for the counter work:
// manifests, waybill blocks, the tariff and the prohibited-items list, and
// the outlets' handovers, read-only. The lists: manifests, handovers, an
// outlet's waybill blocks, and the tariff's and prohibited-items list's
// versions (GET /api/v1/tariffs and /prohibited-lists answer the one in
// force; …/versions list them all).
func (a *api) stockRoutes(mux *http.ServeMux) {
	a.handle(mux, "GET /api/v1/manifests", a.manifests)
	a.handle(mux, "POST /api/v1/manifests", a.publishManifest)
	a.handle(mux, "GET /api/v1/manifests/{id}", a.manifest)
	a.handle(mux, "PUT /api/v1/manifests/{id}", a.amendManifest)
	a.handle(mux, "GET /api/v1/handovers", a.handovers)
	a.handle(mux, "GET /api/v1/handovers/{id}", a.handover)
	a.handle(mux, "POST /api/v1/outlets/{id}/waybill-blocks", a.allocateBlock)
	a.handle(mux, "GET /api/v1/outlets/{id}/waybills", a.waybills)
	a.handle(mux, "GET /api/v1/tariffs", a.tariff)
	a.handle(mux, "GET /api/v1/tariffs/versions", a.versions(lifecycle.KindTariff, "tariffs"))
	a.handle(mux, "GET /api/v1/prohibited-lists/versions", a.versions(lifecycle.KindProhibited, "prohibited_lists"))
	a.handle(mux, "GET /api/v1/outlets/{id}/waybill-blocks", a.waybillBlocks)
	a.handle(mux, "POST /api/v1/tariffs", a.publishTariff)
	a.handle(mux, "GET /api/v1/prohibited-lists", a.prohibited)
	a.handle(mux, "POST /api/v1/prohibited-lists", a.publishProhibited)
}

// answer writes v with status, or the error as fail does.
func (a *api) answer(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

var manifestList = listSpec{Name: "manifests", Columns: []column{
	{"id", "编号", "ID"}, {"outlet", "网点", "Outlet"}, {"courier", "快递员", "Courier"}, {"line", "线路", "Line"},
	{"expected_at", "预计到达", "Expected at"}, {"at", "发布时间", "Published at"}, {"revision", "版本", "Revision"},
	{"waybills", "运单", "Waybills"},
}}

func (a *api) manifests(w http.ResponseWriter, r *http.Request) {
	q, ok := a.caseFilters(w, r, fOutlet)
	if !ok {
		return
	}
	serveList(a, w, r, manifestList, casePager(q, func(ctx context.Context, q store.CaseQuery) ([]manifestJSON, []store.Case, error) {
		ms, rows, err := a.opt.Manifests.Manifests(ctx, q)
		out := make([]manifestJSON, len(ms))
		for i, m := range ms {
			out[i] = asManifestJSON(m)
		}
		return out, rows, err
	}))
}

func (a *api) manifest(w http.ResponseWriter, r *http.Request) {
	m, err := a.opt.Manifests.Manifest(r.Context(), r.PathValue("id"))
	a.answer(w, r, http.StatusOK, asManifestJSON(m), err)
}

func (a *api) publishManifest(w http.ResponseWriter, r *http.Request) {
	var req manifests.ManifestReq
	if !decode(w, r, &req) {
		return
	}
	req.Actor = actor(r)
	m, err := a.opt.Manifests.PublishManifest(r.Context(), req)
	a.answer(w, r, http.StatusCreated, asManifestJSON(m), err)
}

func (a *api) amendManifest(w http.ResponseWriter, r *http.Request) {
	var req manifests.ManifestReq
	if !decode(w, r, &req) {
		return
	}
	req.Actor = actor(r)
	m, err := a.opt.Manifests.AmendManifest(r.Context(), r.PathValue("id"), req)
	a.answer(w, r, http.StatusOK, asManifestJSON(m), err)
}

// manifestJSON is a manifest as head office sends it: expected_at and the
// publication time "at" in RFC 3339 (UTC), as noticeJSON does for notices.
type manifestJSON struct {
	manifests.ManifestView
	ExpectedAt string `json:"expected_at"`
	At         string `json:"at"`
}

func asManifestJSON(m manifests.ManifestView) manifestJSON {
	return manifestJSON{ManifestView: m, ExpectedAt: rfc3339(m.ExpectedAt), At: rfc3339(m.At)}
}

var handoverList = listSpec{Name: "handovers", Columns: []column{
	{"id", "编号", "ID"}, {"outlet", "网点", "Outlet"}, {"state", "状态", "State"}, {"courier", "快递员", "Courier"},
	{"staff", "店员", "Staff"}, {"opened_at", "开始时间", "Opened at"}, {"closed_at", "结束时间", "Closed at"},
	{"missing", "缺件", "Missing"}, {"extra", "多件", "Extra"},
}}

func (a *api) handovers(w http.ResponseWriter, r *http.Request) {
	q, ok := a.caseFilters(w, r, fOutlet, fOpen)
	if !ok {
		return
	}
	serveList(a, w, r, handoverList, casePager(q, a.opt.Manifests.Handovers))
}

func (a *api) handover(w http.ResponseWriter, r *http.Request) {
	h, err := a.opt.Manifests.Handover(r.Context(), r.PathValue("id"))
	a.answer(w, r, http.StatusOK, h, err)
}

func (a *api) allocateBlock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Count int `json:"count"`
	}
	if !decode(w, r, &req) {
		return
	}
	b, err := a.opt.Waybills.AllocateBlock(r.Context(), r.PathValue("id"), req.Count, actor(r), "")
	a.answer(w, r, http.StatusCreated, b, err)
}

func (a *api) waybills(w http.ResponseWriter, r *http.Request) {
	v, err := a.opt.Waybills.Stock(r.Context(), r.PathValue("id"))
	a.answer(w, r, http.StatusOK, v, err)
}

func (a *api) tariff(w http.ResponseWriter, r *http.Request) {
	t, err := a.opt.Catalog.Tariff(r.Context())
	a.answer(w, r, http.StatusOK, t, err)
}

func (a *api) publishTariff(w http.ResponseWriter, r *http.Request) {
	var req catalog.TariffReq
	if !decode(w, r, &req) {
		return
	}
	req.Actor = actor(r)
	t, err := a.opt.Catalog.PublishTariff(r.Context(), req)
	a.answer(w, r, http.StatusCreated, t, err)
}

func (a *api) prohibited(w http.ResponseWriter, r *http.Request) {
	l, err := a.opt.Catalog.Prohibited(r.Context())
	a.answer(w, r, http.StatusOK, l, err)
}

func (a *api) publishProhibited(w http.ResponseWriter, r *http.Request) {
	var req catalog.ProhibitedReq
	if !decode(w, r, &req) {
		return
	}
	req.Actor = actor(r)
	l, err := a.opt.Catalog.PublishProhibited(r.Context(), req)
	a.answer(w, r, http.StatusCreated, l, err)
}

var versionColumns = []column{{"version", "版本", "Version"}, {"published_at", "发布时间", "Published at"}, {"current", "现行", "Current"}}

// versions lists the published versions of the tariff or the
// prohibited-items list, newest first; GET of the list itself answers the
// one in force.
func (a *api) versions(kind, name string) http.HandlerFunc {
	spec := listSpec{Name: name, Columns: versionColumns}
	return func(w http.ResponseWriter, r *http.Request) {
		q, ok := a.caseFilters(w, r)
		if !ok {
			return
		}
		serveList(a, w, r, spec, casePager(q, func(ctx context.Context, q store.CaseQuery) ([]catalog.Version, []store.Case, error) {
			return a.opt.Catalog.Versions(ctx, kind, q)
		}))
	}
}

var blockList = listSpec{Name: "blocks", Columns: []column{
	{"prefix", "前缀", "Prefix"}, {"first", "起始号", "First"}, {"last", "截止号", "Last"}, {"next", "下一个", "Next"},
	{"country", "国家", "Country"}, {"at", "分配时间(毫秒)", "Allocated at (ms)"},
}}

// waybillBlocks lists the blocks allocated to an outlet, in allocation
// order (an outlet holds tens of them: they are folded and a page cut).
func (a *api) waybillBlocks(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, takes()...) {
		return
	}
	id := r.PathValue("id")
	serveList(a, w, r, blockList, func(ctx context.Context, after *int, limit int) ([]lifecycle.WaybillBlock, []int, error) {
		v, err := a.opt.Waybills.Stock(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		from := 0
		if after != nil {
			from = min(max(*after+1, 0), len(v.Blocks))
		}
		bs := v.Blocks[from:min(from+limit, len(v.Blocks))]
		keys := make([]int, len(bs))
		for i := range bs {
			keys[i] = from + i
		}
		return bs, keys, nil
	})
}
