// Package server wires the agent together: data file, event log, sync
// client and HTTP API, started and stopped as one. The command and tests
// both use it.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/yizhan/yizhan/agent/api"
	"github.com/yizhan/yizhan/agent/backup"
	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/agent/metrics"
	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/agent/retention"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/agent/staff/tokens"
	"github.com/yizhan/yizhan/agent/syncclient"
	"github.com/yizhan/yizhan/agent/ui"
	"github.com/yizhan/yizhan/agent/workflow"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/ready"
)

// Config of one agent.
type Config struct {
	DataDir string
	// MinFreeMB: /readyz answers 503 when the data directory's disk has
	// less free space, in MiB; 0 does not check.
	MinFreeMB int
	Outlet    string
	Secret    string
	Broker    string
	HTTPAddr  string
	// AllowedHosts are more names the API answers to (api.NewHostPolicy).
	AllowedHosts []string
	Logger       *slog.Logger
	// ClockOffset shifts the PC clock as the agent sees it, to rehearse a
	// mis-set clock. Zero in normal use.
	ClockOffset time.Duration
	// ClockAt, if set, starts the PC clock at this time and lets it run,
	// for a drill with a clock further off than a Duration reaches.
	ClockAt time.Time
	// MaxClockSkew bounds the hub stamps this outlet's clock adopts;
	// hlc.DefaultMaxSkew if zero.
	MaxClockSkew time.Duration
	// Sync tuning; zero values take the client's defaults.
	Sync syncclient.Config
	// Devices are the scanners and printers to run.
	Devices peripherals.Config
	// Keys seal personal data. Without them the counter workflows are off
	// and their routes say why.
	Keys *pii.Keys
	// Workflow tuning: holding period, SLA, notifier; Keys, Labels and
	// HubClock are filled in here.
	Workflow workflow.Config
	// NotifyWebhook, if set, receives recipient notifications as JSON.
	NotifyWebhook string
	// ProgressURL is head office's public complaint progress page, printed
	// on complaint receipts with the ticket; "" prints how to quote it.
	ProgressURL string
	// SweepEvery is how often timed steps are checked; default 1 min.
	SweepEvery time.Duration
	// Backup is the nightly backup: Dir empty takes none (by hand only),
	// at Hour:Minute local time, keeping Keep (backup.DefaultKeep if 0).
	Backup struct {
		Dir          string
		Hour, Minute int
		Keep         int
	}
	// Retention is the daily pruning and purge ([retention]).
	Retention retention.Config
}

// Agent is a running agent.
type Agent struct {
	File     *datafile.File
	Events   *eventlog.Log
	Sync     *syncclient.Client
	Ingest   *ingest.Service
	Devices  *peripherals.Manager
	Workflow *workflow.Service
	Backups  *backup.Nightly
	// Retention runs daily on head office's corrected clock.
	Retention *retention.Runner
	Addr      net.Addr

	srv        *http.Server
	stop       context.CancelFunc
	dataDir    string
	adminToken string
	wg         sync.WaitGroup
}

// Start opens the data directory, starts serving HTTP and starts syncing in
// the background. It returns once the API accepts requests.
func Start(ctx context.Context, cfg Config) (*Agent, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// One logger per component, each naming itself once; the outlet is on
	// the root logger the command builds.
	part := func(name string) *slog.Logger { return logger.With("component", name) }
	pc := clock.System // the PC's clock, as the event log and the sync client read it
	if cfg.ClockOffset != 0 {
		pc = clock.Offset(clock.System, cfg.ClockOffset)
		logger.Warn("agent clock shifted", "offset", cfg.ClockOffset)
	}
	if !cfg.ClockAt.IsZero() {
		at, start := cfg.ClockAt, time.Now()
		pc = clock.Func(func() time.Time { return at.Add(time.Since(start)) })
		logger.Warn("agent clock set", "at", at)
	}
	// Values are sealed to the outlet: keys for another one would seal
	// what head office opens as that outlet's.
	if cfg.Keys != nil && cfg.Keys.Outlet() != cfg.Outlet {
		return nil, problem.New(problem.PIIKeyOutlet, "found", cfg.Keys.Outlet(), "outlet", cfg.Outlet)
	}
	if cfg.Keys != nil && cfg.Keys.HoldsMaster() {
		logger.Warn("this outlet holds head office's master key: replace it with the outlet's own key file (yizhan-hub outlet key)")
	}
	fo := datafile.Options{Outlet: cfg.Outlet}
	if cfg.Keys != nil {
		fo.Keys = cfg.Keys // re-seals what the old shared key sealed (migration 8)
	}
	file, err := datafile.Open(cfg.DataDir, fo)
	if err != nil {
		return nil, err
	}
	watch := metrics.New()
	events, err := eventlog.Open(file, eventlog.Options{Clock: pc, MaxSkew: cfg.MaxClockSkew, Logger: part("eventlog"),
		Projectors: []eventlog.Projector{workflow.Projector()}, AckLatency: watch.AckLatency})
	if err != nil {
		file.Close()
		return nil, err
	}
	a := &Agent{File: file, Events: events}
	fail := func(err error) (*Agent, error) {
		if a.stop != nil {
			a.stop()
		}
		if a.adminToken != "" {
			_ = staff.RemoveAdminFile(a.dataDir, a.adminToken)
		}
		events.Close()
		file.Close()
		return nil, err
	}
	sc := cfg.Sync
	sc.Broker, sc.Outlet, sc.Secret, sc.Events, sc.Logger, sc.Clock = cfg.Broker, cfg.Outlet, cfg.Secret, events, part("sync"), pc
	sc.DownAppliers = append(sc.DownAppliers, workflow.Projector())
	client, err := syncclient.New(sc)
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fail(fmt.Errorf("listen on %s: %w (is another program using it? choose another --http address)", cfg.HTTPAddr, err))
	}
	a.Sync, a.Ingest, a.Addr = client, &ingest.Service{Events: events}, ln.Addr()
	runCtx, cancel := context.WithCancel(ctx)
	a.stop = cancel
	a.Devices, err = peripherals.Start(runCtx, cfg.Devices, file.PrintSpool(), func(ctx context.Context, s ingest.Scan) error {
		_, err := a.Ingest.Scan(ctx, s)
		return err
	}, logger)
	if err != nil {
		ln.Close()
		return fail(err)
	}
	a.Devices.Outlet, a.Devices.ProgressURL = cfg.Outlet, cfg.ProgressURL
	people, err := staff.Open(file)
	if err != nil {
		ln.Close()
		a.Devices.Close()
		return fail(err)
	}
	// The staff command reaches the running agent with this token, as the
	// data file is locked while the agent runs.
	admin, err := staff.WriteAdminFile(cfg.DataDir, ln.Addr())
	if err != nil {
		ln.Close()
		a.Devices.Close()
		return fail(err)
	}
	a.dataDir, a.adminToken = cfg.DataDir, admin.Token
	a.Backups = &backup.Nightly{Dir: cfg.Backup.Dir, Hour: cfg.Backup.Hour, Minute: cfg.Backup.Minute, Keep: cfg.Backup.Keep,
		Outlet: cfg.Outlet, Copy: file.WriteCopy, Clock: pc, Logger: part("backup")}
	a.Backups.Recall()
	watch.Watch(metrics.Sources{Events: events, Devices: a.Devices, Spool: a.Devices.Spool(), DataDir: cfg.DataDir, Free: datafile.FreeSpace,
		MinFreeMB: cfg.MinFreeMB, Certs: map[string]string{"client": cfg.Sync.TLS.CertFile, "ca": cfg.Sync.TLS.CAFile}, Clock: pc, Logger: part("metrics")})
	listenHost, _, _ := net.SplitHostPort(cfg.HTTPAddr)
	apiSrv := &api.Server{Events: events, Parcels: workflow.NewReader(file), Ingest: a.Ingest, Sync: client, Devices: a.Devices, Printing: a.Devices, Logger: part("api"),
		Ready: []ready.Check{
			// The floor first: its answer says how full the disk is.
			{Name: "disk_free", Run: func() error { return datafile.DiskHealth(cfg.DataDir, cfg.MinFreeMB) }},
			{Name: "data_writable", Run: func() error { return datafile.Writable(cfg.DataDir) }},
		},
		DiskFull:   func(err error) error { return datafile.DiskFull(cfg.DataDir, cfg.MinFreeMB, err) },
		Collectors: watch.Collectors(),
		Sessions:   staff.NewSessions(people, staff.WithLogger(part("staff")), staff.WithAdminToken(admin.Token), staff.WithAudit(events)), UI: ui.Handler(),
		Tokens: tokens.Open(file), Hosts: api.NewHostPolicy(ln.Addr(), listenHost, cfg.AllowedHosts),
		Backups: a.Backups, BackupDir: cfg.Backup.Dir,
		LastRetention: func() (retention.Report, bool, error) { return retention.Last(file) }}
	if cfg.Keys != nil {
		wc := cfg.Workflow
		wc.Keys, wc.Labels, wc.Scales, wc.HubClock, wc.Logger = cfg.Keys, a.Devices, a.Devices, clock.Func(client.HubNow), part("workflow")
		if cfg.NotifyWebhook != "" {
			wc.Notifier = workflow.WebhookNotifier{URL: cfg.NotifyWebhook}
		}
		if a.Workflow, err = workflow.New(file, events, wc); err != nil {
			ln.Close()
			a.Devices.Close()
			return fail(err)
		}
		apiSrv.Workflow = a.Workflow
		every := cfg.SweepEvery
		if every <= 0 {
			every = time.Minute
		}
		a.wg.Add(1)
		go func() { defer a.wg.Done(); a.Workflow.RunSweeper(runCtx, every) }()
	} else {
		logger.Warn("no personal-data key configured: counter workflows are off (give --pii-key-file or YZ_PII_KEY)")
	}
	if cfg.Backup.Dir != "" {
		a.wg.Add(1)
		go func() { defer a.wg.Done(); a.Backups.Run(runCtx) }()
	} else {
		logger.Warn("no backup folder configured: no nightly backup of the data file (set [backup] dir)")
	}
	a.Retention = &retention.Runner{File: file, Log: events, Clock: clock.Func(client.HubNow), Config: cfg.Retention, Logger: part("retention")}
	a.wg.Add(1)
	go func() { defer a.wg.Done(); a.Retention.Loop(runCtx, time.Minute) }()
	h := apiSrv.Handler()
	a.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("http server stopped", "err", err)
		}
	}()
	go func() {
		defer a.wg.Done()
		_ = client.Run(runCtx)
	}()
	logger.Info("agent started", "http", ln.Addr().String(), "broker", cfg.Broker, "data", cfg.DataDir)
	return a, nil
}

// Close stops HTTP and sync, then closes the event log after queued scans
// commit, then the data file.
func (a *Agent) Close() error {
	api.Shutdown(a.srv, 5*time.Second)
	_ = staff.RemoveAdminFile(a.dataDir, a.adminToken)
	a.Devices.Close()
	a.stop()
	a.wg.Wait()
	err := a.Events.Close()
	if cerr := a.File.Close(); err == nil {
		err = cerr
	}
	return err
}
