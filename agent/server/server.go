// Package server wires the agent together: event log, sync client and HTTP
// API, started and stopped as one. The command and tests both use it.
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
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/agent/syncclient"
	"github.com/yizhan/yizhan/agent/ui"
	"github.com/yizhan/yizhan/agent/workflow"
)

// Config of one agent.
type Config struct {
	DataDir  string
	Outlet   string
	Secret   string
	Broker   string
	HTTPAddr string
	Logger   *slog.Logger
	// ClockOffset shifts the PC clock as the agent sees it, to rehearse a
	// mis-set clock. Zero in normal use.
	ClockOffset time.Duration
	// Sync tuning; zero values take the client's defaults.
	Sync syncclient.Config
	// Devices are the scanners and printers to run.
	Devices peripherals.Config
	// Keys seal personal data. Without them the counter workflows are off
	// and their routes say why.
	Keys *pii.Keys
	// Workflow tuning: holding period, SLA, notifier; Keys, Labels and
	// HubNow are filled in here.
	Workflow workflow.Config
	// NotifyWebhook, if set, receives recipient notifications as JSON.
	NotifyWebhook string
	// SweepEvery is how often timed steps are checked; default 1 min.
	SweepEvery time.Duration
}

// Agent is a running agent.
type Agent struct {
	Log      *eventlog.Log
	Sync     *syncclient.Client
	Ingest   *ingest.Service
	Devices  *peripherals.Manager
	Workflow *workflow.Service
	Addr     net.Addr

	srv  *http.Server
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// Start opens the data directory, starts serving HTTP and starts syncing in
// the background. It returns once the API accepts requests.
func Start(ctx context.Context, cfg Config) (*Agent, error) {
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	now := time.Now
	if cfg.ClockOffset != 0 {
		off := cfg.ClockOffset
		now = func() time.Time { return time.Now().Add(off) }
		lg.Warn("agent clock shifted", "offset", off)
	}
	log, err := eventlog.Open(cfg.DataDir, eventlog.Options{Outlet: cfg.Outlet, Now: now, Logger: lg,
		Projectors: []eventlog.Projector{workflow.Projector()}})
	if err != nil {
		return nil, err
	}
	sc := cfg.Sync
	sc.Broker, sc.Outlet, sc.Secret, sc.Log, sc.Logger, sc.Now = cfg.Broker, cfg.Outlet, cfg.Secret, log, lg, now
	sc.DownAppliers = append(sc.DownAppliers, workflow.Projector())
	client, err := syncclient.New(sc)
	if err != nil {
		log.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("listen on %s: %w (is another program using it? choose another --http address)", cfg.HTTPAddr, err)
	}
	a := &Agent{Log: log, Sync: client, Ingest: &ingest.Service{Log: log}, Addr: ln.Addr()}
	runCtx, cancel := context.WithCancel(ctx)
	a.stop = cancel
	a.Devices, err = peripherals.Start(runCtx, cfg.Devices, log.DB(), func(ctx context.Context, s ingest.Scan) error {
		_, err := a.Ingest.Scan(ctx, s)
		return err
	}, lg)
	if err != nil {
		cancel()
		ln.Close()
		log.Close()
		return nil, err
	}
	a.Devices.Outlet = cfg.Outlet
	people, err := staff.Open(log.DB())
	if err != nil {
		cancel()
		ln.Close()
		log.Close()
		return nil, err
	}
	apiSrv := &api.Server{Log: log, Ingest: a.Ingest, Sync: client, Devices: a.Devices, Logger: lg,
		Sessions: staff.NewSessions(people, staff.WithLogger(lg)), UI: ui.Handler()}
	if cfg.Keys != nil {
		wc := cfg.Workflow
		wc.Keys, wc.Labels, wc.Scales, wc.HubNow, wc.Logger = cfg.Keys, a.Devices, a.Devices, client.HubNow, lg
		if cfg.NotifyWebhook != "" {
			wc.Notifier = workflow.WebhookNotifier{URL: cfg.NotifyWebhook}
		}
		if a.Workflow, err = workflow.New(log, wc); err != nil {
			cancel()
			ln.Close()
			log.Close()
			return nil, err
		}
		apiSrv.Workflow = a.Workflow
		every := cfg.SweepEvery
		if every <= 0 {
			every = time.Minute
		}
		a.wg.Add(1)
		go func() { defer a.wg.Done(); a.Workflow.RunSweeper(runCtx, every) }()
	} else {
		lg.Warn("no personal-data key configured: counter workflows are off (give --pii-key-file or YZ_PII_KEY)")
	}
	h := apiSrv.Handler()
	a.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	a.wg.Add(2)
	go func() {
		defer a.wg.Done()
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			lg.Error("http server stopped", "err", err)
		}
	}()
	go func() {
		defer a.wg.Done()
		_ = client.Run(runCtx)
	}()
	lg.Info("agent started", "outlet", cfg.Outlet, "http", ln.Addr().String(), "broker", cfg.Broker, "data", cfg.DataDir)
	return a, nil
}

// Close stops HTTP and sync, then closes the log after queued scans commit.
func (a *Agent) Close() error {
	api.Shutdown(a.srv, 5*time.Second)
	a.Devices.Close()
	a.stop()
	a.wg.Wait()
	return a.Log.Close()
}
