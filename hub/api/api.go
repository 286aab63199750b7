// Package api is the hub's HTTP JSON API for head office:
//
//	GET  /api/v1/overview             counts for the first screen: outlets by sync
//	                                  health, open, overdue and soon-due cases, active notices
//	GET  /api/v1/outlets              every outlet's sync state (a list; filters: outlets.go)
//	POST /api/v1/outlets              register an outlet: {"id", "secret", "region", "city" (optional)};
//	                                  201 with the secret head office generated when none
//	                                  was given, 409 outlet.exists for a taken id
//	GET  /api/v1/outlets/{id}         one outlet plus its recent dead letters and conflicts
//	GET  /api/v1/outlets/{id}/dead-letters  its refused events, newest first (a list)
//	POST /api/v1/outlets/{id}/incarnations  start a new incarnation: a replaced PC's
//	                                  fresh data directory is then taken from seq 1
//	GET  /api/v1/parcels/{waybill}    every outlet's events about a waybill, HLC order,
//	                                  and the parcel's folded state at each outlet
//	POST /api/v1/downlink             create a hub event for one outlet or "*"
//	GET  /api/v1/rejects              refused messages and events by code
//	GET  /api/v1/measures             ?from=&to=&by=outlet|region|person|all&period=day|week|month
//	                                  &outlet=&region=&format=csv&lang=: hub/measures, days in
//	                                  the hub's zone, to included
//
//	GET  /api/v1/exceptions                 the exception queue (a list): ?outlet=&open=1
//	                                        &overdue=1&owner=&state=&label=&sort=due|newest,
//	                                        each with its deadline, due_at and overdue
//	GET  /api/v1/exceptions/{id}            state, steps head office may take, events
//	POST /api/v1/exceptions/{id}/steps      head-office step: assign, decide_claim, close…
//	POST /api/v1/exceptions/steps           the same step on up to 200 ids: {"ids", "step", …}
//	GET  /api/v1/complaints                 the complaint queue, with the same filters
//	GET  /api/v1/complaints/{id}            state, deadlines, allowed steps, events
//	POST /api/v1/complaints/{id}/steps      head-office step: assign, escalate, close…
//	POST /api/v1/complaints/steps           the same step on up to 200 ids
//	GET  /api/v1/notices                    ?open=1: notices with acknowledgements (a list)
//	POST /api/v1/notices                    publish to a scope of outlets or all
//	GET  /api/v1/notices/{id}               one notice
//	POST /api/v1/notices/{id}/end           recovery notice to the same outlets
//	GET  /api/v1/reply-templates            reply templates (a list)
//	POST /api/v1/reply-templates            publish a reply template to every outlet
//	PUT  /api/v1/reply-templates/{id}       edit it; POST …/{id}/withdraw: no longer offered
//	POST/GET/DELETE /api/v1/session         log in (cookie yizhan_hub_session), who, log out
//	GET/POST /api/v1/accounts, POST /api/v1/accounts/{id}/disable|enable|reset|unlock
//	GET/POST /api/v1/tokens, DELETE /api/v1/tokens/{name}   API tokens (accounts.go)
//	GET  /api/v1/audit                      the audit trail, paged by cursor, or CSV
//	GET  /api/v1/customers…                 head office's customers and their classes (customers.go)
//	GET  /api/v1/forecast, /api/v1/calendar… peak planning and head office's calendar (peak.go)
//	POST /api/v1/channels/{channel}/messages, GET /api/v1/channels/review, GET/PUT /api/v1/channels/autosend
//	                                        complaints from head office's other channels (channels.go)
//	GET  /api/v1/surveys…                   satisfaction surveys' definitions, rules, counts (surveys.go)
//	GET/POST /s/{token}                     the customers' survey answer page, no auth (hub/surveys)
//	GET  /healthz                     liveness (the process answers), no auth
//	GET  /readyz                      readiness: store, its disk, the broker subscription; no auth
//	GET  /metrics                     Prometheus text, no auth
//	GET  /                            head office's screen (hub/ui), no auth
//	GET  /p, POST /p                  the customers' complaint progress page (hub/progress),
//	                                  no auth; POST takes a form, not JSON
//
// and stock.go's routes. Every list (lists.go) takes ?limit= (default 50,
// at most 500) and ?cursor= (the previous answer's "next", null on the
// last page) and answers {"<list>": [...], "next"}; ?format=csv answers
// every row as a UTF-8 CSV file with a BOM, its header in ?lang=zh|en.
// The queues' deadlines are the case list's (store.Case.Due): the store
// computes them with the same SLA and exception deadlines the views show.
//
// A list route refuses a query parameter it does not read (400
// request.unknown_filter, naming it and the ones it takes) and an outlet
// the hub does not know (404 outlet.not_found). Notices and manifests answer
// their times in RFC 3339, as they are sent.
// Answers are JSON written by problem.Encode, without HTML escaping.
//
// Every /api route needs a caller (gate.go): a session cookie from POST
// /api/v1/session, "Authorization: Bearer <token>" with an API token, or
// the legacy --api-token (an administrator named admin), and a role the
// route table (hub/accounts) gives the route. Errors are the
// one shape of syncproto/problem, {"error": {"code", "params", "message"}},
// with a 4xx or 5xx status; a step the lifecycle rules do not allow now is
// 409 with "state" and "allowed" beside "error". Request bodies are read
// by problem.Decode: a field the route does not know is refused.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/cases"
	"github.com/yizhan/yizhan/hub/catalog"
	"github.com/yizhan/yizhan/hub/channels"
	"github.com/yizhan/yizhan/hub/customers"
	"github.com/yizhan/yizhan/hub/manifests"
	"github.com/yizhan/yizhan/hub/measures"
	"github.com/yizhan/yizhan/hub/notices"
	"github.com/yizhan/yizhan/hub/peak"
	"github.com/yizhan/yizhan/hub/progress"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/surveys"
	"github.com/yizhan/yizhan/hub/ui"
	"github.com/yizhan/yizhan/hub/waybills"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/ready"
)

// Reader is the part of the store the API reads.
type Reader interface {
	Outlets(ctx context.Context) ([]store.Outlet, error)
	Outlet(ctx context.Context, id string) (store.Outlet, error)
	DeadLetters(ctx context.Context, outlet string, limit int) ([]store.DeadLetter, error)
	Counters(ctx context.Context) (map[string]uint64, error)
	SubjectEvents(ctx context.Context, subject string) ([]syncproto.Event, error)
	Conflicts(ctx context.Context, outlet string, limit int) ([]store.Conflict, error)
	DeadLettersBefore(ctx context.Context, outlet string, before *store.DeadLetterPos, limit int) ([]store.DeadLetter, error)
	CountCases(ctx context.Context, q store.CaseQuery) (int64, error)
	OutletCounts(ctx context.Context, seenSince, staleBefore int64) (store.OutletCounts, error)
}

// Incarnations starts new incarnations of outlets (store.Store).
type Incarnations interface {
	StartIncarnation(ctx context.Context, outlet, incarnation string) (store.Outlet, error)
}

// Registrar registers outlets (store.Store).
type Registrar interface {
	AddOutlet(ctx context.Context, id, secretHash string, replace bool) error
}

// Downlinker creates hub events for outlets.
type Downlinker interface {
	PublishDown(ctx context.Context, target, typ, subject string, payload json.RawMessage, actor string) (uint64, error)
}

// Options configure Handler.
type Options struct {
	Store        Reader
	Incarnations Incarnations
	Registrar    Registrar
	Down         Downlinker
	// Token is the legacy --api-token: an administrator named admin.
	Token string
	// Accounts are head office's people, sessions and API tokens; nil
	// takes only Token.
	Accounts *accounts.Service
	// Hosts are the names the hub answers to (the gate refuses others);
	// the zero value takes the loopback names at any port.
	Hosts problem.HostPolicy
	// Outlets and Places read and set outlets' groups (store.Store).
	Outlets OutletFinder
	Places  Placer
	// Connected, if set, is the set of outlets the embedded broker holds
	// a connection of now; nil judges by the last batch or pull
	// (ConnectedWithin).
	Connected func() map[string]bool
	// Clock is the wall clock; clock.System if nil.
	Clock    clock.Clock
	Gatherer prometheus.Gatherer
	Logger   *slog.Logger
	// Busy says whether a store error is the database locked by another
	// process, answered 503 with Retry-After; nil for never.
	Busy func(error) bool
	// Unreachable, if set, turns a store error that says the database
	// could not be reached into store.unreachable, answered 503 with
	// Retry-After; nil for any other error.
	Unreachable func(error) error
	// Ready are /readyz's checks (store reachable, its disk above the
	// floor, the broker subscription up). /healthz checks nothing: it
	// answers while the process does.
	Ready []ready.Check
	// CursorKey keys the list cursors (their HMAC), so that a cursor one
	// hub process gave another accepts; empty for a random key, cursors
	// then last as long as the process.
	CursorKey []byte
	// Messages takes the company gateway's delivery receipts; nil
	// answers every receipt not found.
	Messages MessageReceipts
	Services
}

// busyRetryAfter is the Retry-After, in seconds, of a busy store.
const busyRetryAfter = 5

// Services are head office's action packages the routes call, one field
// each. Every one is required.
type Services struct {
	// Cases folds exceptions, complaints and parcels and takes head
	// office's steps on them.
	Cases *cases.Service
	// Notices publishes and folds notices and reply templates.
	Notices *notices.Service
	// Catalog publishes and reads tariffs and prohibited-items lists.
	Catalog *catalog.Service
	// Waybills allocates and folds waybill blocks.
	Waybills *waybills.Service
	// Manifests publishes manifests and folds them and the handovers.
	Manifests *manifests.Service
	// Measures computes head office's measures from the store's rollups.
	Measures *measures.Service
	// Customers finds, opens and classes head office's customers.
	Customers *customers.Service
	// Progress is the customers' public complaint progress page.
	Progress *progress.Service
	// Peak forecasts the outlets' parcels and keeps head office's calendar.
	Peak *peak.Service
	// Channels makes complaints of head office's other channels' messages.
	Channels *channels.Service
	// Surveys are the satisfaction surveys (without the master key their
	// links cannot be signed or checked: survey.no_key).
	Surveys *surveys.Service
}

// Handler returns the API's http.Handler: the routes behind the gate
// (gate.go).
func Handler(opt Options) http.Handler {
	if f, ok := opt.Store.(OutletFinder); ok && opt.Outlets == nil {
		opt.Outlets = f
	}
	if p, ok := opt.Registrar.(Placer); ok && opt.Places == nil {
		opt.Places = p
	}
	a := &api{opt: opt, cursors: newCursors(opt.CursorKey)}
	mux := http.NewServeMux()
	a.routes(mux)
	return &gate{a: a, mux: mux}
}

func (a *api) routes(mux *http.ServeMux) {
	opt := a.opt
	a.handle(mux, "GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	a.handle(mux, "GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		res, err := ready.Run(opt.Ready)
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": res})
	})
	gatherer := opt.Gatherer
	if gatherer == nil {
		gatherer = prometheus.NewRegistry()
	}
	a.handle(mux, "GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}).ServeHTTP)
	a.handle(mux, "GET /api/v1/outlets", a.outlets)
	a.handle(mux, "POST /api/v1/outlets", a.addOutlet)
	a.handle(mux, "GET /api/v1/outlets/{id}", a.outlet)
	a.handle(mux, "GET /api/v1/outlets/{id}/dead-letters", a.deadLetters)
	a.handle(mux, "POST /api/v1/outlets/{id}/incarnations", a.startIncarnation)
	a.handle(mux, "GET /api/v1/parcels/{waybill}", a.parcel)
	a.handle(mux, "POST /api/v1/downlink", a.downlink)
	a.handle(mux, "GET /api/v1/rejects", a.rejects)
	a.handle(mux, "GET /api/v1/measures", a.measures)
	a.outletRoutes(mux)
	a.caseRoutes(mux)
	a.incidentRoutes(mux)
	a.messageRoutes(mux)
	a.templateRoutes(mux)
	a.stockRoutes(mux)
	a.accountRoutes(mux)
	a.customerRoutes(mux)
	// The customers' complaint progress page: public, its own HTML.
	a.handle(mux, "GET "+progress.Path, opt.Progress.ServeHTTP)
	a.handle(mux, "POST "+progress.Path, opt.Progress.ServeHTTP)
	a.peakRoutes(mux)
	a.channelRoutes(mux)
	a.surveyRoutes(mux)
	a.handle(mux, "/api/", func(w http.ResponseWriter, r *http.Request) {
		writeErr(w, problem.New(problem.APINoRoute, "method", r.Method, "path", r.URL.Path))
	})
	// Head office's screen: public files (it logs in through the API). No
	// method in the pattern, which would conflict with "/api/"; the screen
	// answers 405 to anything but GET and HEAD.
	a.handle(mux, "/", ui.Handler().ServeHTTP)
}

type api struct {
	opt      Options
	patterns []string
	cursors  cursors
}

var outletList = listSpec{Name: "outlets", Columns: []column{
	{"id", "网点", "Outlet"}, {"last_seen", "最后联系", "Last seen"}, {"acked_seq", "已确认序号", "Acked seq"},
	{"held_events", "待补事件", "Held events"}, {"dead_letters", "死信", "Dead letters"}, {"conflicts", "冲突", "Conflicts"},
	{"clock_offset_ms", "时钟偏差(毫秒)", "Clock offset (ms)"}, {"clock_skewed_events", "时钟超前事件", "Clock-skewed events"},
	{"epoch", "化身", "Epoch"}, {"incarnation", "数据目录", "Incarnation"}, {"has_secret", "有密钥", "Has secret"},
	{"created_at", "登记时间", "Registered at"},
	{"region", "片区", "Region"}, {"city", "城市", "City"}, {"connected", "在线", "Connected"},
	{"backlog", "积压事件", "Backlog"}, {"oldest_unsynced_at", "最早未同步", "Oldest unsynced"}, {"rejects", "拒收", "Rejects"},
}}

// outlets pages the outlets by id. The store answers them all at once
// (there are thousands, not millions); a page is cut from that answer.
func (a *api) outlets(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, takes(fRegion, fCity, fConnected, fQuery)...) {
		return
	}
	find, ok := a.findOutlets(w, r)
	if !ok {
		return
	}
	serveList(a, w, r, outletList, func(ctx context.Context, after *string, limit int) ([]outletJSON, []string, error) {
		os, err := find(ctx)
		if err != nil {
			return nil, nil, err
		}
		rows, keys := pageAfter(os, func(o outletJSON) string { return o.ID }, after, limit)
		return rows, keys, nil
	})
}

type outletReq struct {
	ID string `json:"id"`
	// Secret, if set, must pass store.CheckSecretStrength; empty makes
	// head office generate one and answer it, the only time it is shown.
	Secret string `json:"secret"`
	placeReq
}

// addOutlet registers an outlet as `yizhan-hub outlet add` does, for
// tools that set up many outlets against a running hub, on any store.
func (a *api) addOutlet(w http.ResponseWriter, r *http.Request) {
	var req outletReq
	if err := problem.Decode(r.Body, 4096, &req); err != nil {
		writeErr(w, err)
		return
	}
	if err := syncproto.ValidOutletID(req.ID); err != nil {
		writeErr(w, err)
		return
	}
	place, err := req.place()
	if err != nil {
		writeErr(w, err)
		return
	}
	secret, generated := req.Secret, req.Secret == ""
	if generated {
		var err error
		if secret, err = store.NewSecret(); err != nil {
			a.fail(w, r, err)
			return
		}
	} else if err := store.CheckSecretStrength(secret); err != nil {
		writeErr(w, problem.Wrap(err, problem.OutletWeakSecret, "min_length", store.MinSecretLen, "min_distinct", store.MinSecretDistinct))
		return
	}
	hash, err := store.HashSecret(secret)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	err = a.opt.Registrar.AddOutlet(r.Context(), req.ID, hash, false)
	if errors.Is(err, store.ErrExists) {
		err = problem.Wrap(err, problem.OutletExists, "outlet", req.ID)
	}
	if err == nil && (place.Region != nil || place.City != nil) {
		_, err = a.opt.Places.SetPlace(r.Context(), req.ID, place)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.opt.Logger.Info("outlet registered", "outlet", req.ID, "secret_generated", generated, "region", deref(place.Region), "city", deref(place.City))
	out := map[string]string{"id": req.ID, "region": deref(place.Region), "city": deref(place.City)}
	if generated {
		out["secret"] = secret
	}
	writeJSON(w, http.StatusCreated, out)
}

type deadLetterJSON struct {
	Seq    uint64          `json:"seq"`
	Code   string          `json:"code"`
	Reason string          `json:"reason"`
	At     time.Time       `json:"at"`
	Event  json.RawMessage `json:"event,omitempty"`
}

func asDeadLetterJSON(d store.DeadLetter) deadLetterJSON {
	dj := deadLetterJSON{Seq: d.Seq, Code: d.Code, Reason: d.Reason, At: d.At}
	if json.Valid(d.Event) {
		dj.Event = d.Event
	}
	return dj
}

// outletErr is outlet.not_found for an outlet the store does not know.
func outletErr(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return problem.Wrap(err, problem.OutletNotFound, "outlet", id)
	}
	return err
}

func (a *api) outlet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	o, err := a.opt.Store.Outlet(r.Context(), id)
	if err != nil {
		a.fail(w, r, outletErr(err, id))
		return
	}
	dls, err := a.opt.Store.DeadLetters(r.Context(), id, 50)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	recent := make([]deadLetterJSON, 0, len(dls))
	for _, d := range dls {
		recent = append(recent, asDeadLetterJSON(d))
	}
	cs, err := a.opt.Store.Conflicts(r.Context(), id, 50)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	conflicts := make([]conflictJSON, 0, len(cs))
	for _, x := range cs {
		cj := conflictJSON{Epoch: x.Epoch, Seq: x.Seq, HeldID: x.HeldID, SentID: x.SentID, At: x.At}
		if json.Valid(x.Event) {
			cj.Sent = x.Event
		}
		conflicts = append(conflicts, cj)
	}
	writeJSON(w, http.StatusOK, struct {
		outletJSON
		RecentDeadLetters []deadLetterJSON `json:"recent_dead_letters"`
		RecentConflicts   []conflictJSON   `json:"recent_conflicts"`
	}{a.outletView(o), recent, conflicts})
}

type conflictJSON struct {
	Epoch  uint64          `json:"epoch"`
	Seq    uint64          `json:"seq"`
	HeldID string          `json:"held_id"`
	SentID string          `json:"sent_id"`
	At     time.Time       `json:"at"`
	Sent   json.RawMessage `json:"sent,omitempty"`
}

type incarnationReq struct {
	// Incarnation, if set, is the only data directory the new epoch
	// takes (its id is in that agent's GET /api/v1/sync); empty takes the
	// next one that starts at seq 1.
	Incarnation string `json:"incarnation"`
}

func (a *api) startIncarnation(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req incarnationReq
	if r.ContentLength != 0 {
		if err := problem.Decode(r.Body, 4096, &req); err != nil {
			writeErr(w, err)
			return
		}
	}
	if req.Incarnation != "" && syncproto.CheckIncarnation(req.Incarnation) != nil {
		writeErr(w, problem.New(problem.OutletBadIncarnation, "incarnation", req.Incarnation))
		return
	}
	o, err := a.opt.Incarnations.StartIncarnation(r.Context(), id, req.Incarnation)
	if errors.Is(err, store.ErrNotFound) {
		err = problem.Wrap(err, problem.OutletNotFound, "outlet", id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.opt.Logger.Info("new incarnation started", "outlet", id, "epoch", o.Epoch, "incarnation", req.Incarnation)
	writeJSON(w, http.StatusOK, o)
}

func (a *api) parcel(w http.ResponseWriter, r *http.Request) {
	wb := r.PathValue("waybill")
	ps, evs, err := a.opt.Cases.Parcels(r.Context(), wb)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if len(evs) == 0 {
		writeErr(w, problem.New(problem.ParcelNotFound, "waybill", wb))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"waybill": wb, "events": evs, "parcels": ps})
}

type downlinkReq struct {
	Target  string          `json:"target"`
	Type    string          `json:"type"`
	Subject string          `json:"subject"`
	Payload json.RawMessage `json:"payload"`
}

func (a *api) downlink(w http.ResponseWriter, r *http.Request) {
	var req downlinkReq
	if err := problem.Decode(r.Body, syncproto.MaxEventBytes+4096, &req); err != nil {
		writeErr(w, err)
		return
	}
	if req.Target == "" || req.Type == "" {
		writeErr(w, problem.New(problem.DownlinkTargetType))
		return
	}
	seq, err := a.opt.Down.PublishDown(r.Context(), req.Target, req.Type, req.Subject, req.Payload, actor(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"seq": seq, "target": req.Target})
}

func (a *api) rejects(w http.ResponseWriter, r *http.Request) {
	c, err := a.opt.Store.Counters(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	byCode := map[string]uint64{}
	for k, n := range c {
		if code, ok := strings.CutPrefix(k, store.CounterRejectPrefix); ok {
			byCode[code] = n
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rejects": byCode, "replayed_batches": c[store.CounterReplayed]})
}

// fail answers err: a catalog error with its own status (a refused step
// also with its state and allowed steps), anything else as internal.error
// after logging it, because its words are not for the caller.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	p, retry := a.problemOf(r, err)
	if retry {
		w.Header().Set("Retry-After", strconv.Itoa(busyRetryAfter))
	}
	writeErr(w, p)
}

// problemOf is the error a caller is answered for err: the store locked
// or unreachable (retry: answer Retry-After), a catalog error as it is,
// not found, or internal.error after logging err.
func (a *api) problemOf(r *http.Request, err error) (p error, retry bool) {
	if a.opt.Busy != nil && a.opt.Busy(err) {
		a.opt.Logger.Warn("API request found the store locked", "method", r.Method, "path", r.URL.Path, "err", err)
		return problem.Wrap(err, problem.StoreBusy, "seconds", busyRetryAfter), true
	}
	if a.opt.Unreachable != nil {
		if p := a.opt.Unreachable(err); p != nil {
			a.opt.Logger.Warn("API request found the store unreachable", "method", r.Method, "path", r.URL.Path, "err", err)
			return p, true
		}
	}
	if problem.As(err) == nil {
		if errors.Is(err, store.ErrNotFound) {
			return problem.Wrap(err, problem.APINotFound), false
		}
		a.opt.Logger.Error("API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	return err, false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = problem.Encode(w, v)
}

// writeErr answers err in the one error shape of syncproto/problem.
func writeErr(w http.ResponseWriter, err error) {
	status, body := problem.Response(err)
	writeJSON(w, status, body)
}
