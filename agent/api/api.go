// Package api is the agent's local HTTP API: scans in, parcel and sync state
// out, health and metrics, and the counter workflows. It binds to localhost
// unless told otherwise, and one gate in front of every route (guard.go)
// decides who may call which.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/agent/retention"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/agent/staff/tokens"
	"github.com/yizhan/yizhan/agent/syncclient"
	"github.com/yizhan/yizhan/agent/workflow"
	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/preview"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/ready"
)

// Syncer is the part of the sync client the API reads.
type Syncer interface {
	Status() syncclient.Status
}

// Parcels reads a parcel's folded state and its events in fold order; it
// works without the personal-data key.
type Parcels interface {
	Parcel(waybill string) (lifecycle.Parcel, error)
	History(kind, id string) ([]syncproto.Event, error)
}

// Devices is the part of the device manager the API reads.
type Devices interface {
	Status() []devices.Status
	Recent() []peripherals.Read
}

// Server holds the handlers' dependencies.
type Server struct {
	// Hosts are the Host headers that name this agent (see the gate in
	// guard.go); the zero value allows the loopback names at any port.
	Hosts HostPolicy
	// Tokens are the local integrations' API tokens; nil takes none.
	Tokens *tokens.Store
	// LastRetention reads the last retention run's report, for
	// /metrics; nil shows none.
	LastRetention func() (retention.Report, bool, error)
	// Workflow is nil when no personal-data key is configured; the
	// workflow routes then answer 503 saying so.
	Workflow *workflow.Service
	Sessions *staff.Sessions
	// UI serves the counter screen at /; nil serves nothing there.
	UI      http.Handler
	Events  *eventlog.Log
	Parcels Parcels
	Ingest  *ingest.Service
	Sync    Syncer
	Devices Devices
	// Printing is the print queue; nil mounts no print-job routes.
	Printing PrintJobs
	Logger   *slog.Logger
	// Ready are /readyz's checks (the data directory writable, the disk
	// above its floor). /healthz checks nothing: it answers while the
	// process does.
	Ready []ready.Check
	// DiskFull, if set, turns a scan's failed commit into the reason when
	// the disk is full (datafile.DiskFull); nil for any other error.
	DiskFull func(error) error
	// Collectors are more metrics for /metrics (agent/metrics).
	Collectors []prometheus.Collector
	// Backups takes backups by hand and counts them; nil mounts no backup
	// route. BackupDir is [backup] dir, where one goes by default.
	Backups   Backups
	BackupDir string

	scans   *prometheus.CounterVec
	latency prometheus.Histogram
	reg     *prometheus.Registry
}

// Handler builds the routes, behind the gate (guard.go) that every request
// passes.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	s.metrics()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/scans", s.postScan)
	mux.HandleFunc("GET /api/v1/parcels/{waybill}", s.getParcel)
	mux.HandleFunc("GET /api/v1/sync", s.getSync)
	mux.HandleFunc("GET /api/v1/sync/dead-letters", s.getDead)
	mux.HandleFunc("GET /api/v1/downlink", s.getDown)
	mux.HandleFunc("GET /api/v1/devices", s.getDevices)
	mux.HandleFunc("GET /api/v1/labels/preview", s.getLabelPreview)
	mux.HandleFunc("GET /api/v1/kinds", s.getKinds)
	mux.HandleFunc("GET /healthz", s.getHealth)
	mux.HandleFunc("GET /readyz", s.getReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	if s.Sessions != nil {
		s.workflowRoutes(mux)
		if s.Printing != nil {
			s.printRoutes(mux)
		}
		if s.Tokens != nil {
			s.Tokens.Routes(mux, s.Sessions, s.Logger)
		}
		if s.Backups != nil {
			mux.Handle("POST /api/v1/backup", s.Sessions.Supervisor(http.HandlerFunc(s.postBackup)))
		}
	}
	if s.UI != nil {
		mux.Handle(uiRoute, s.UI)
	}
	g := &gate{next: mux, hosts: s.Hosts, sessions: s.Sessions}
	if s.Tokens != nil {
		g.tokens = s.Tokens
	}
	return g
}

// publicSync is the part of the sync status anyone may read: what the
// counter screen's header shows before login. /metrics tells as much.
type publicSync struct {
	Connected     bool      `json:"connected"`
	Backlog       uint64    `json:"backlog"`
	DeadLetters   uint64    `json:"dead_letters"`
	LastHeard     time.Time `json:"last_heard,omitzero"`
	LastHeardAgoS *int64    `json:"last_heard_ago_s,omitempty"`
	// Refused is why head office does not take the outlet's events: the
	// header shows it before login too, since someone must act on it.
	Refused *problem.Detail `json:"refused,omitempty"`
	// ClockProblem: a PC clock off from head office's is for the clerk to
	// see at the login screen already.
	ClockProblem *syncclient.ClockProblem `json:"clock_problem,omitempty"`
	// HubClockOffsetMS is head office's clock less this PC's as last
	// measured, absent until the hub was heard from: yizhan-agent doctor
	// reads it from a running agent.
	HubClockOffsetMS *int64 `json:"hub_clock_offset_ms,omitempty"`
}

// getHealth is liveness: it reads only what the process holds in memory,
// so it answers 200 while the process lives, a full disk or a lost broker
// included (those are /readyz's). The screen's header reads its sync part.
func (s *Server) getHealth(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"status": "ok", "outlet": s.Events.Outlet()}
	if s.Sync != nil {
		c, st := s.Events.Counters(), s.Sync.Status()
		ps := publicSync{Connected: st.Connected, Backlog: c.Backlog, DeadLetters: c.DeadLetter, LastHeard: st.LastHeard, LastHeardAgoS: st.LastHeardAgoS, Refused: st.Refused,
			ClockProblem: st.ClockProblem}
		if st.HubTimeKnow {
			ps.HubClockOffsetMS = &st.HubOffsetMS
		}
		out["sync"] = ps
	}
	writeJSON(w, http.StatusOK, out)
}

// getReady is readiness: 200 {"status":"ready","checks":[…]} when every
// check holds, else 503 with the first failure's problem and every check's
// outcome in "checks".
func (s *Server) getReady(w http.ResponseWriter, r *http.Request) {
	res, err := ready.Run(s.Ready)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": res})
}

type scanReq struct {
	Barcode   string `json:"barcode"`
	Action    string `json:"action"`
	Scanner   string `json:"scanner,omitempty"`
	Symbology string `json:"symbology,omitempty"`
}

func (s *Server) postScan(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req scanReq
	if err := problem.Decode(r.Body, 4<<10, &req); err != nil {
		s.scans.WithLabelValues("bad_request").Inc()
		writeErr(w, err)
		return
	}
	// The actor is who the gate let in, never a field of the body.
	ev, err := s.Ingest.Scan(r.Context(), ingest.Scan{Barcode: req.Barcode, Action: req.Action, Actor: actor(r), Scanner: req.Scanner, Symbology: req.Symbology})
	switch {
	case problem.CodeOf(err).Class() == problem.Invalid:
		s.scans.WithLabelValues("rejected").Inc()
		writeErr(w, err)
		return
	case err != nil:
		s.scans.WithLabelValues("error").Inc()
		s.Logger.Error("scan not saved", "err", err)
		if s.DiskFull != nil {
			if full := s.DiskFull(err); full != nil {
				writeErr(w, full)
				return
			}
		}
		writeErr(w, problem.Wrap(err, problem.AgentNotSaved))
		return
	}
	s.scans.WithLabelValues("ok").Inc()
	s.latency.Observe(time.Since(start).Seconds())
	writeJSON(w, http.StatusCreated, map[string]any{"event_id": ev.ID, "seq": ev.Seq, "hlc": ev.HLC})
}

// getParcel answers the lifecycle parcel (scans included) and every event
// of it, in fold order.
func (s *Server) getParcel(w http.ResponseWriter, r *http.Request) {
	p, err := s.Parcels.Parcel(r.PathValue("waybill"))
	if problem.Is(err, problem.ParcelNotFound) {
		writeErr(w, err)
		return
	}
	var evs []syncproto.Event
	if err == nil {
		evs, err = s.Parcels.History(lifecycle.KindParcel, p.Waybill)
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcel": p, "events": evs})
}

type syncView struct {
	eventlog.Counters
	syncclient.Status
}

func (s *Server) getSync(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, syncView{s.Events.Counters(), s.Sync.Status()})
}

func (s *Server) getDead(w http.ResponseWriter, r *http.Request) {
	dl, err := s.Events.DeadLetters(200)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"dead_letters": dl})
}

func (s *Server) getDown(w http.ResponseWriter, r *http.Request) {
	evs, err := s.Events.DownEvents(200)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}

func (s *Server) getDevices(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"devices": s.Devices.Status(), "recent_reads": s.Devices.Recent()})
}

// getLabelPreview draws a label as SVG, laid out for the printer named by
// ?printer= or else the first configured label printer (zpl defaults if the
// device manager does not list its printers). Parameters: preview.FromQuery.
func (s *Server) getLabelPreview(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var cfg printer.Config
	if pc, ok := s.Devices.(interface{ PrinterConfigs() []printer.Config }); ok {
		for _, c := range pc.PrinterConfigs() {
			if c.Name == q.Get("printer") || q.Get("printer") == "" && c.Driver != "escpos" {
				cfg = c
				break
			}
		}
	}
	if name := q.Get("printer"); name != "" && cfg.Name != name {
		writeErr(w, problem.New(problem.LabelNoPrinter, "printer", name))
		return
	}
	svg, err := preview.FromQuery(cfg, q, time.Now())
	if err != nil {
		// The preview is a tool for setting printers up; its words come
		// from the label code in devices/.
		writeErr(w, problem.Wrap(err, problem.LabelPreviewInvalid, "detail", err.Error()))
		return
	}
	w.Header().Set("Content-Type", preview.ContentType)
	_, _ = w.Write(svg)
}

func (s *Server) metrics() {
	s.reg = prometheus.NewRegistry()
	s.scans = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yizhan_agent_scans_total", Help: "Scan requests by result."}, []string{"result"})
	s.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "yizhan_agent_scan_seconds", Help: "Time from request to durable commit.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14)})
	gauge := func(name, help string, f func() float64) {
		s.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f))
	}
	counter := func(name, help string, f func() float64) {
		s.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f))
	}
	c := func() eventlog.Counters { return s.Events.Counters() }
	gauge("yizhan_agent_last_seq", "Highest event sequence written.", func() float64 { return float64(c().LastSeq) })
	gauge("yizhan_agent_acked_seq", "Highest sequence the hub has committed.", func() float64 { return float64(c().AckedSeq) })
	gauge("yizhan_agent_backlog_events", "Events not yet acknowledged by the hub.", func() float64 { return float64(c().Backlog) })
	gauge("yizhan_agent_dead_letters", "Events the hub refused.", func() float64 { return float64(c().DeadLetter) })
	gauge("yizhan_agent_down_cursor", "Highest hub downlink sequence applied.", func() float64 { return float64(c().DownCursor) })
	gauge("yizhan_agent_connected", "1 when connected to the broker.", func() float64 {
		if s.Sync.Status().Connected {
			return 1
		}
		return 0
	})
	counter("yizhan_agent_batches_sent_total", "Uplink batches published.", func() float64 { return float64(s.Sync.Status().Batches) })
	counter("yizhan_agent_resends_total", "Resends from the cursor after no acknowledgement.", func() float64 { return float64(s.Sync.Status().Resends) })
	counter("yizhan_agent_reconnects_total", "Broker reconnect attempts.", func() float64 { return float64(s.Sync.Status().Reconnects) })
	if b := s.Backups; b != nil {
		gauge("yizhan_agent_backup_last_success_timestamp_seconds", "When the last backup passed its check, in Unix seconds (0: none in the backup folder).",
			func() float64 { return float64(b.LastSuccess()) })
		counter("yizhan_agent_backup_failures_total", "Backups that failed since the agent started.", func() float64 { return float64(b.Failures()) })
	}
	s.retentionMetrics(gauge)
	s.reg.MustRegister(s.scans, s.latency, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	s.reg.MustRegister(s.Collectors...)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = problem.Encode(w, v)
}

// writeErr answers err in the one error shape of syncproto/problem.
func writeErr(w http.ResponseWriter, err error) {
	status, body := problem.Response(err)
	writeJSON(w, status, body)
}

// internal logs an error that is not the caller's and answers 500 without
// its words.
func (s *Server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.Logger.Error("API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeErr(w, err)
}

// Shutdown helper so callers need not import net/http for a timeout.
func Shutdown(srv *http.Server, d time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// retentionMetrics are the last retention run's: when, and what it removed.
func (s *Server) retentionMetrics(gauge func(name, help string, f func() float64)) {
	if s.LastRetention == nil {
		return
	}
	last := func() retention.Report {
		rep, _, err := s.LastRetention()
		if err != nil {
			s.Logger.Warn("read the last retention report", "err", err)
		}
		return rep
	}
	gauge("yizhan_agent_retention_last_run_timestamp_seconds", "When retention last ran (Unix seconds; 0: never).", func() float64 {
		if at := last().At; !at.IsZero() {
			return float64(at.Unix())
		}
		return 0
	})
	gauge("yizhan_agent_retention_events_pruned", "Acknowledged events the last retention run removed from the event log.", func() float64 { return float64(last().Events.Events) })
	gauge("yizhan_agent_retention_downlink_pruned", "Head office's events the last retention run removed from the downlink's copies.", func() float64 { return float64(last().Events.Down) })
	gauge("yizhan_agent_retention_dead_letters_pruned", "Dead letters the last retention run removed.", func() float64 { return float64(last().Events.Dead) })
	gauge("yizhan_agent_retention_history_compacted", "Events of finished business the last retention run folded into their entities' states.", func() float64 { return float64(last().Compacted.Events) })
	gauge("yizhan_agent_retention_personal_values_purged", "Personal values the last retention run purged.", func() float64 { return float64(last().Personal.Values) })
	gauge("yizhan_agent_retention_photos_purged", "Exception and incident photos the last retention run deleted.", func() float64 { return float64(last().Personal.Photos) })
	gauge("yizhan_agent_pruned_seq", "The event log holds the events after this sequence; retention removed those before.", func() float64 { return float64(s.Events.Counters().PrunedSeq) })
}
