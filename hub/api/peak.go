package api

import (
	"context"
	"net/http"

	"github.com/yizhan/yizhan/hub/peak"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Peak planning (hub/peak):
//
//	GET    /api/v1/forecast        ?outlet=ID | ?region=R | neither for all outlets: the
//	                               history (inbound parcels a day), 14 days from today
//	                               with band and clerks, the calendar's events, and the
//	                               backtest (WAPE against seasonal-naive)
//	GET    /api/v1/calendar        head office's promotions and holidays (a list):
//	                               ?from=&to= (YYYY-MM-DD) keeps the events overlapping them
//	POST   /api/v1/calendar        add one: {"name_zh","name_en","kind","first","last","uplift"}
//	PUT    /api/v1/calendar/{id}   edit one, the same body
//	DELETE /api/v1/calendar/{id}   remove one
//
// An edit drops the cached forecasts and sends the outlets new ones.
func (a *api) peakRoutes(mux *http.ServeMux) {
	a.handle(mux, "GET /api/v1/forecast", a.forecast)
	a.handle(mux, "GET /api/v1/calendar", a.calendar)
	a.handle(mux, "POST /api/v1/calendar", a.addCalendarEvent)
	a.handle(mux, "PUT /api/v1/calendar/{id}", a.updateCalendarEvent)
	a.handle(mux, "DELETE /api/v1/calendar/{id}", a.deleteCalendarEvent)
}

func (a *api) forecast(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, fOutlet, fRegion) {
		return
	}
	q := r.URL.Query()
	var p peak.Plan
	var err error
	switch o, rg := q.Get(fOutlet), q.Get(fRegion); {
	case o != "" && rg != "":
		err = problem.New(problem.RequestUnknownFilter, "filter", fRegion, "known", []string{fOutlet})
	case o != "":
		p, err = a.opt.Peak.Outlet(r.Context(), o)
	default:
		if _, ok := a.knownRegion(w, r, rg); !ok {
			return
		}
		p, err = a.opt.Peak.Region(r.Context(), rg)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

var calendarList = listSpec{Name: "calendar", Columns: []column{
	{"id", "编号", "ID"}, {"name_zh", "中文名", "Chinese name"}, {"name_en", "英文名", "English name"}, {"kind", "类型", "Kind"},
	{"first", "开始", "First day"}, {"last", "结束", "Last day"}, {"uplift", "预期倍数", "Expected uplift"},
	{"updated_at", "修改时间", "Updated at"}, {"updated_by", "修改人", "Updated by"},
}}

// calendarKey is a calendar row's place in its list.
type calendarKey struct {
	First int64  `json:"f"`
	ID    string `json:"i"`
}

func (a *api) calendar(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, append([]string{"from", "to"}, listParams...)...) {
		return
	}
	q := r.URL.Query()
	var cq store.CalendarQuery
	for _, f := range []struct {
		name string
		day  *int64
	}{{"from", &cq.From}, {"to", &cq.To}} {
		if s := q.Get(f.name); s != "" {
			d, ok := peak.ParseDate(s)
			if !ok {
				writeErr(w, problem.New(problem.MeasuresBadDate, "field", f.name, "value", s))
				return
			}
			*f.day = d
		}
	}
	serveList(a, w, r, calendarList, func(ctx context.Context, after *calendarKey, limit int) ([]peak.EventJSON, []calendarKey, error) {
		page := cq
		page.Limit = limit
		if after != nil {
			page.AfterFirst, page.AfterID = after.First, after.ID
		}
		es, err := a.opt.Peak.Calendar(ctx, page)
		if err != nil {
			return nil, nil, err
		}
		keys := make([]calendarKey, len(es))
		for i, e := range es {
			d, _ := peak.ParseDate(e.First)
			keys[i] = calendarKey{First: d, ID: e.ID}
		}
		return es, keys, nil
	})
}

func (a *api) addCalendarEvent(w http.ResponseWriter, r *http.Request) {
	var req peak.EventReq
	if !decode(w, r, &req) {
		return
	}
	e, err := a.opt.Peak.AddEvent(r.Context(), req, actor(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, e)
}

func (a *api) updateCalendarEvent(w http.ResponseWriter, r *http.Request) {
	var req peak.EventReq
	if !decode(w, r, &req) {
		return
	}
	e, err := a.opt.Peak.UpdateEvent(r.Context(), r.PathValue("id"), req, actor(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, e)
}

func (a *api) deleteCalendarEvent(w http.ResponseWriter, r *http.Request) {
	if err := a.opt.Peak.DeleteEvent(r.Context(), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
