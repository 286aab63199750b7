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
//	                                     rule per trigger, and per trigger and per
//	                                     survey version the invitations, messages
//	                                     sent, delivered and failed, answers,
//	                                     opt-outs and response rate (answered /
//	                                     delivered)
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

// surveyCountsJSON are a trigger's or a survey version's invitations:
// sent counts the messages the gateway took (delivered among them),
// and the response rate is answered over delivered, null while none
// was delivered.
type surveyCountsJSON struct {
	Trigger      string   `json:"trigger,omitempty"`
	Survey       string   `json:"survey,omitempty"`
	Version      int64    `json:"version,omitempty"`
	Invited      int64    `json:"invited"`
	Sent         int64    `json:"sent"`
	Delivered    int64    `json:"delivered"`
	Failed       int64    `json:"failed"`
	Answered     int64    `json:"answered"`
	OptedOut     int64    `json:"opted_out"`
	ResponseRate *float64 `json:"response_rate"`
}

func surveyCounts(c store.SurveyCounts) surveyCountsJSON {
	out := surveyCountsJSON{Trigger: c.Trigger, Survey: c.Survey, Version: c.Version, Invited: c.Invited, Sent: c.Sent,
		Delivered: c.Delivered, Failed: c.Failed, Answered: c.Answered, OptedOut: c.OptedOut}
	if c.Delivered > 0 {
		rate := float64(c.Answered) / float64(c.Delivered)
		out.ResponseRate = &rate
	}
	return out
}

type surveyDefJSON struct {
	store.SurveyDef
	CreatedAt string `json:"created_at"`
	InUse     bool   `json:"in_use"`
	// Messages are its invitations' messages, over every version, by
	// state: pending, sent, delivered, failed.
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
		m := map[string]int64{}
		for _, st := range store.MessageStates {
			m[st] = 0
		}
		for _, v := range o.Versions {
			if v.Survey == d.ID {
				m[store.MessagePending] += v.Invited - v.Sent - v.Failed
				m[store.MessageSent] += v.Sent - v.Delivered
				m[store.MessageDelivered] += v.Delivered
				m[store.MessageFailed] += v.Failed
			}
		}
		defs[i] = surveyDefJSON{SurveyDef: d, CreatedAt: rfc3339(d.CreatedAt), InUse: d.InUse, Messages: m}
	}
	counts := make([]surveyCountsJSON, 0, len(o.Triggers))
	for _, t := range o.Triggers {
		c := store.SurveyCounts{Trigger: t}
		for _, n := range o.Counts {
			if n.Trigger == t {
				c = n
			}
		}
		counts = append(counts, surveyCounts(c))
	}
	versions := make([]surveyCountsJSON, len(o.Versions))
	for i, v := range o.Versions {
		versions[i] = surveyCounts(v)
	}
	rules := o.Rules
	if rules == nil {
		rules = []store.SurveyRule{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"surveys": defs, "rules": rules, "counts": counts, "versions": versions, "triggers": o.Triggers})
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
