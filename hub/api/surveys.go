package api

import (
	"maps"
	"net/http"
	"slices"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/surveys"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Head office's satisfaction surveys (hub/surveys):
//
//	GET /api/v1/surveys                  every definition's newest version with its
//	                                     invitation messages by state, the
//	                                     rule per trigger, and per trigger the
//	                                     invitations, answers, opt-outs and response rate
//	PUT /api/v1/surveys/{id}             {"title_zh","title_en","questions":[{"key","zh","en"}],
//	                                     "comment"}: saved over the newest version
//	                                     while no invitation names it, else as the next
//	PUT /api/v1/surveys/rules/{trigger}  {"survey","share","every_days","expiry_minutes"}
//
// and the customers' answer page, public: GET and POST /s/{token}, GET
// /s/assets/{file} (hub/surveys page.go).

func (a *api) surveyRoutes(mux *http.ServeMux) {
	routes := map[string]http.HandlerFunc{"GET /api/v1/surveys": a.surveys, "PUT /api/v1/surveys/{id}": a.saveSurvey,
		"PUT /api/v1/surveys/rules/{trigger}": a.saveSurveyRule}
	if s := a.opt.Surveys; s != nil {
		s.Routes(func(pattern string, h http.HandlerFunc) { routes[pattern] = h })
	} else {
		// A handler made without the surveys (a test of other routes).
		for p := range routes {
			routes[p] = nil
		}
		for _, p := range surveys.PagePatterns {
			routes[p] = nil
		}
	}
	for _, p := range slices.Sorted(maps.Keys(routes)) {
		h := routes[p]
		if h == nil {
			h = func(w http.ResponseWriter, r *http.Request) { writeErr(w, problem.New(problem.SurveyNoKey)) }
		}
		a.handle(mux, p, h)
	}
}

type surveyCountsJSON struct {
	Trigger      string   `json:"trigger"`
	Invited      int64    `json:"invited"`
	Answered     int64    `json:"answered"`
	OptedOut     int64    `json:"opted_out"`
	ResponseRate *float64 `json:"response_rate"`
}

type surveyDefJSON struct {
	store.SurveyDef
	CreatedAt string `json:"created_at"`
	InUse     bool   `json:"in_use"`
	// Messages are its invitations' messages by state: pending, sent,
	// delivered, failed.
	Messages map[string]int64 `json:"messages"`
}

func (a *api) surveys(w http.ResponseWriter, r *http.Request) {
	o, err := a.opt.Surveys.Read(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defs := make([]surveyDefJSON, len(o.Surveys))
	for i, d := range o.Surveys {
		defs[i] = surveyDefJSON{SurveyDef: d, CreatedAt: rfc3339(d.CreatedAt), InUse: d.InUse, Messages: o.Messages[d.ID]}
	}
	counts := make([]surveyCountsJSON, 0, len(o.Triggers))
	for _, t := range o.Triggers {
		c := surveyCountsJSON{Trigger: t}
		for _, n := range o.Counts {
			if n.Trigger == t {
				c.Invited, c.Answered, c.OptedOut = n.Invited, n.Answered, n.OptedOut
			}
		}
		if c.Invited > 0 {
			rate := float64(c.Answered) / float64(c.Invited)
			c.ResponseRate = &rate
		}
		counts = append(counts, c)
	}
	rules := o.Rules
	if rules == nil {
		rules = []store.SurveyRule{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"surveys": defs, "rules": rules, "counts": counts, "triggers": o.Triggers})
}

func (a *api) saveSurvey(w http.ResponseWriter, r *http.Request) {
	var body struct {
		TitleZH   string                 `json:"title_zh"`
		TitleEN   string                 `json:"title_en"`
		Questions []store.SurveyQuestion `json:"questions"`
		Comment   bool                   `json:"comment"`
	}
	if !decode(w, r, &body) {
		return
	}
	d := store.SurveyDef{ID: r.PathValue("id"), TitleZH: body.TitleZH, TitleEN: body.TitleEN, Questions: body.Questions, Comment: body.Comment}
	v, err := a.opt.Surveys.SaveDef(r.Context(), d)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": d.ID, "version": v})
}

func (a *api) saveSurveyRule(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Survey        string `json:"survey"`
		Share         int64  `json:"share"`
		EveryDays     int64  `json:"every_days"`
		ExpiryMinutes int64  `json:"expiry_minutes"`
	}
	if !decode(w, r, &body) {
		return
	}
	rule := store.SurveyRule{Trigger: r.PathValue("trigger"), Survey: body.Survey, Share: body.Share, EveryDays: body.EveryDays, ExpiryMinutes: body.ExpiryMinutes}
	if err := a.opt.Surveys.SaveRule(r.Context(), rule); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rule)
}
