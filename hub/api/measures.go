package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/yizhan/yizhan/hub/measures"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// measures answers GET /api/v1/measures?from=&to=&by=&period=&outlet=&region=
// &format=csv&lang=: JSON, or with format=csv the rows and then the total
// as the list mechanism writes CSV (writeCSV), one column per measure
// headed by its label.
func (a *api) measures(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, "from", "to", "by", "period", fOutlet, "region", fFormat, fLang) {
		return
	}
	q := r.URL.Query()
	la, err := readListArgs(q)
	if err != nil {
		writeErr(w, err)
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
	if !la.csv {
		writeJSON(w, http.StatusOK, res)
		return
	}
	rows := make([]map[string]any, 0, len(res.Rows)+1)
	for _, row := range res.Rows {
		rows = append(rows, cells(row.Key, row.Period, row.Values))
	}
	total := "合计"
	if la.lang == "en" {
		total = "total"
	}
	rows = append(rows, cells(total, res.From+"/"+res.To, res.Total.Values))
	writeCSV(a, w, r, measuresCSV, la.lang, nil, func(_ context.Context, after *int, limit int) ([]map[string]any, []int, error) {
		from := 0
		if after != nil {
			from = *after + 1
		}
		to := min(from+limit, len(rows))
		keys := make([]int, to-from)
		for i := range keys {
			keys[i] = from + i
		}
		return rows[from:to], keys, nil
	})
}

// measuresCSV is the measures' CSV: the group, the period, then each
// measure in display order under its label.
var measuresCSV = func() listSpec {
	spec := listSpec{Name: "measures", Columns: []column{{Field: "key", ZH: "分组", EN: "group"}, {Field: "period", ZH: "期间", EN: "period"}}}
	for _, d := range measures.Defs {
		spec.Columns = append(spec.Columns, column{Field: d.Name, ZH: d.LabelZH, EN: d.LabelEN})
	}
	return spec
}()

// cells is one CSV row of the measures: a group's values beside its key
// and period.
func cells(key, period string, values map[string]any) map[string]any {
	m := make(map[string]any, len(values)+2)
	for k, v := range values {
		m[k] = v
	}
	m["key"], m["period"] = key, period
	return m
}
