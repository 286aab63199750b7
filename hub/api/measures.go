package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/yizhan/yizhan/hub/measures"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// measures answers GET /api/v1/measures?from=&to=&by=&period=&outlet=&region=
// &format=csv&lang=, in JSON or, with format=csv, as a CSV attachment.
func (a *api) measures(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, "from", "to", "by", "period", fOutlet, "region", "format", "lang") {
		return
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		writeErr(w, problem.New(problem.RequestUnknownFilter, "filter", "format="+format, "known", []string{"format=csv", "format=json"}))
		return
	}
	if o := q.Get(fOutlet); o != "" {
		if _, err := a.opt.Store.Outlet(r.Context(), o); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				err = problem.Wrap(err, problem.OutletNotFound, "outlet", o)
			}
			a.fail(w, r, err)
			return
		}
	}
	res, err := a.opt.Measures.Compute(r.Context(), measures.Query{From: q.Get("from"), To: q.Get("to"), By: q.Get("by"),
		Period: q.Get("period"), Outlet: q.Get(fOutlet), Region: q.Get("region")})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if format != "csv" {
		writeJSON(w, http.StatusOK, res)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="measures-`+time.Now().Format(time.DateOnly)+`.csv"`)
	w.WriteHeader(http.StatusOK)
	if err := measures.WriteCSV(w, res, q.Get("lang")); err != nil {
		a.opt.Logger.Warn("measures CSV cut short", "err", err)
	}
}
