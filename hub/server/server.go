// Package server wires a whole hub together (store, ingest, embedded broker
// or external-broker client, HTTP API) so that the yizhan-hub command, tests
// and the demo start the same thing in one call.
package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/api"
	"github.com/yizhan/yizhan/hub/broker"
	"github.com/yizhan/yizhan/hub/cases"
	"github.com/yizhan/yizhan/hub/catalog"
	"github.com/yizhan/yizhan/hub/channels"
	"github.com/yizhan/yizhan/hub/config"
	"github.com/yizhan/yizhan/hub/customers"
	"github.com/yizhan/yizhan/hub/downlink"
	"github.com/yizhan/yizhan/hub/gateway"
	"github.com/yizhan/yizhan/hub/ingest"
	"github.com/yizhan/yizhan/hub/manifests"
	"github.com/yizhan/yizhan/hub/measures"
	"github.com/yizhan/yizhan/hub/mqttclient"
	"github.com/yizhan/yizhan/hub/notices"
	"github.com/yizhan/yizhan/hub/peak"
	"github.com/yizhan/yizhan/hub/progress"
	"github.com/yizhan/yizhan/hub/ratelimit"
	"github.com/yizhan/yizhan/hub/retention"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/hub/surveys"
	"github.com/yizhan/yizhan/hub/waybills"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// Config is everything `yizhan-hub run` takes.
type Config struct {
	// DataDir holds hub.db and api-token. Created if missing.
	DataDir string
	// MinFreeMB: /readyz answers 503 when the store's disk has less free
	// space, in MiB; 0 does not check.
	MinFreeMB int
	// HTTPAddr is the API's listen address. Default config.DefaultHTTPAddr.
	HTTPAddr string
	// MQTTListen is the embedded broker's address. Default
	// config.DefaultMQTTListen.
	MQTTListen string
	// MQTTTLS makes the embedded broker listen with TLS.
	MQTTTLS broker.TLSFiles
	// MQTTAllowPlain permits plain MQTT off loopback: the embedded broker
	// listening, or the external broker's tcp:// URL.
	MQTTAllowPlain bool
	// BrokerCAFile is the external broker's CA with an ssl:// URL.
	BrokerCAFile string
	// BrokerURL, if set, uses an external broker instead of the embedded one.
	BrokerURL string
	// ClientID for the external broker. Default
	// yizhan-hub-<hostname>-<HTTP port> (DefaultClientID): hubs sharing a
	// broker need distinct ids, or it drops one whenever another connects.
	ClientID string
	// StoreURL is sqlite:///path, postgres://user:password@host/db, or
	// empty for SQLite in DataDir.
	StoreURL string
	// APIToken; if empty, DataDir/api-token is read or created.
	APIToken string
	Logger   *slog.Logger
	// SLA is the complaint service level the head-office timers use;
	// lifecycle.DefaultSLA where zero.
	SLA lifecycle.SLA
	// ExceptionDeadlines are the exceptions' handling deadlines per kind;
	// lifecycle.DefaultExceptionDeadlines for a kind not named.
	ExceptionDeadlines lifecycle.ExceptionDeadlines
	// SweepEvery is how often the head-office timers run. Default
	// config.DefaultSweepEvery.
	SweepEvery time.Duration
	// Clock is head office's wall clock; clock.System if nil. Tests step
	// it.
	Clock clock.Clock
	// WaybillBlock is the size of a waybill block allocated on an outlet's
	// request. Default lifecycle.DefaultWaybillBlock.
	WaybillBlock int
	// BusyTimeout is how long a store write waits for another process's
	// lock before the API answers 503; the store's default where zero.
	BusyTimeout time.Duration
	// IngestMemory, OutletShare and OutletHandlers bound the uplink's
	// memory (ingest.Options); ingest's defaults where zero.
	IngestMemory, OutletShare int64
	OutletHandlers            int
	// SyncWindow bounds how far past an outlet's contiguous point its
	// out-of-order batches are held. Default syncproto.DefaultWindow.
	SyncWindow uint64
	// Location is the time zone the measures count days in; UTC if nil.
	Location *time.Location
	// MaxSkew is how far ahead of hub time an outlet's stamp may lie and
	// still move the hub's clock; the store folds stamps beyond it at the
	// bound. Default hlc.DefaultMaxSkew.
	MaxSkew time.Duration
	// OnBrokerClients, if set, is told how many outlets are connected to
	// the embedded broker whenever that changed, at most every
	// clientsEvery: the command grows the hub's soft memory limit with
	// them, since each holds its connection's buffers and goroutines.
	OnBrokerClients func(n int64)
	// HealthEvery is how often the store is pinged for /readyz and
	// yizhan_hub_store_up. Default DefaultHealthEvery.
	HealthEvery time.Duration
	// HTTPNames are more host names the API answers to, besides the
	// listen host, localhost, 127.0.0.1, ::1 and the machine's hostname.
	HTTPNames []string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client ([http] trusted_proxies); none: the peer is the client.
	TrustedProxies accounts.Proxies
	// MasterKey is head office's master key (hub/customers: search by
	// phone, reveal); nil for neither.
	MasterKey []byte
	// SurveyURL is where customers open survey links ([surveys]
	// public_url); "" is the hub's own HTTP address.
	SurveyURL string
	// CustomerWindowDays is the customer classes' window until head office
	// sets its own; 365 where zero.
	CustomerWindowDays int
	// SessionIdle and SessionLifetime end head-office sessions;
	// accounts.DefaultIdle and DefaultLifetime where zero.
	SessionIdle, SessionLifetime time.Duration
	// Retention is the daily purge of personal data ([retention]).
	Retention retention.Config
	// PerClerkHour and Hours are the forecast's staffing hint
	// ([forecast]): parcels a clerk handles an hour, opening hours by
	// time.Weekday; hub/forecast's defaults where zero.
	PerClerkHour float64
	Hours        [7]float64
	// Gateway is where customer messages go ([gateway]): a webhook, or
	// the log when its Webhook is empty.
	Gateway GatewayConfig
	// IMAP is the complaints mailbox ([channels.imap]); read every
	// IMAP.Poll when IMAP.Addr is set (Password read by the caller).
	IMAP channels.IMAP
}

// GatewayConfig is config.Gateway as the server takes it.
type GatewayConfig struct {
	Webhook, Token string
	Timeout        time.Duration
	MaxAttempts    int
	// Every is how often the sender looks for due messages; DefaultSendEvery if zero.
	Every time.Duration
	// Backoff is the first retry's delay; gateway.DefaultBackoff if zero.
	Backoff time.Duration
	// MaxPerOutlet caps a notice's start messages at one outlet (0: no
	// cap); the customers over it are counted, not messaged.
	MaxPerOutlet int
}

// DefaultSendEvery is how often a hub looks for due customer messages.
const DefaultSendEvery = 2 * time.Second

// classSendEvery is how often queued customer classes go down to the
// outlets.
const classSendEvery = 3 * time.Second

// forecastSendEvery is how often the forecast sender looks whether the
// day or the calendar changed (a calendar edit here wakes it at once).
const forecastSendEvery = 10 * time.Second

// DefaultHealthEvery is how often a hub pings its store by default.
const DefaultHealthEvery = 2 * time.Second

// ConfigError is a usage or configuration mistake (exit code 2).
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

// Server is a running hub.
type Server struct {
	Hub      *ingest.Hub
	Store    store.Store
	Cases    *cases.Service
	Accounts *accounts.Service
	// Channels makes complaints of the webhook's and the mailbox's messages.
	Channels *channels.Service

	broker   *broker.Broker
	client   *mqttclient.Client
	http     *http.Server
	httpAddr string
	cancel   context.CancelFunc
	token    string

	stopSweep  context.CancelFunc
	sweeperEnd chan struct{}
	classesEnd chan struct{} // the daily customer classes pass ended
	sendEnd    chan struct{} // the class sender ended
	// forecastEnd: the forecast sender ended.
	forecastEnd chan struct{}
	// Messages delivers the customer-message outbox; messagesEnd
	// closes when its loop ended.
	Messages    *gateway.Sender
	messagesEnd chan struct{}
	// Retention purges personal data daily on the lease holder.
	Retention *retention.Runner
	purgeEnd  chan struct{}
	imapEnd   chan struct{} // the mailbox reader ended
	health    *storeHealth
	probeEnd  chan struct{}
}

// DefaultClientID is the external-broker client id of a hub whose API
// listens on httpAddr: unique per machine and port, so that hubs sharing a
// broker, even on one machine, never share an id.
func DefaultClientID(httpAddr string) string {
	host, _ := os.Hostname()
	_, port, _ := net.SplitHostPort(httpAddr)
	return "yizhan-hub-" + host + "-" + port
}

// PrivateDataDir creates the hub's data directory readable by the hub's
// user only, or tightens an existing one and logs it: it holds hub.db and
// the API token.
func PrivateDataDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("make data directory %s private (mode %v): %w", dir, fi.Mode().Perm(), err)
	}
	log.Warn("data directory was open to others; made it private", "dir", dir, "was", fi.Mode().Perm().String(), "now", "drwx------")
	return nil
}

// Start opens the store and starts the broker (or client) and the API.
func Start(ctx context.Context, cfg Config) (_ *Server, err error) {
	if cfg.Logger == nil {
		return nil, &ConfigError{"server: Logger is required"}
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = config.DefaultHTTPAddr
	}
	if cfg.MQTTListen == "" {
		cfg.MQTTListen = config.DefaultMQTTListen
	}
	if cfg.SweepEvery == 0 {
		cfg.SweepEvery = config.DefaultSweepEvery
	}
	if cfg.SweepEvery < 0 || cfg.SLA.FirstReply < 0 || cfg.SLA.Result < 0 {
		return nil, &ConfigError{"--sweep-every, --sla-first-reply and --sla-result must be positive durations such as 1m or 24h"}
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System
	}
	if cfg.DataDir != "" {
		if err := PrivateDataDir(cfg.DataDir, cfg.Logger); err != nil {
			return nil, err
		}
	}
	if cfg.BrokerURL != "" {
		if _, _, _, err := mqttclient.ParseURL(cfg.BrokerURL); err != nil {
			return nil, &ConfigError{err.Error()}
		}
	}
	token := cfg.APIToken
	if token == "" {
		if cfg.DataDir == "" {
			return nil, &ConfigError{"--api-token or --data is required"}
		}
		if token, err = loadToken(filepath.Join(cfg.DataDir, "api-token"), cfg.Logger); err != nil {
			return nil, err
		}
	}
	s := &Server{token: token}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	st, err := openStore(ctx, cfg, true)
	if err != nil {
		return nil, err
	}
	if c, ok := st.Store.(interface{ SetMaxPerOutlet(int) }); ok {
		c.SetMaxPerOutlet(cfg.Gateway.MaxPerOutlet)
	}
	s.Store = st.Store
	if cfg.HealthEvery <= 0 {
		cfg.HealthEvery = DefaultHealthEvery
	}
	s.health = &storeHealth{log: cfg.Logger.With("component", "store"), where: st.where}
	watched := watchedStore{Store: s.Store, health: s.health}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.Hub, err = ingest.New(ingest.Options{Store: watched, Logger: cfg.Logger.With("component", "ingest"), Registerer: reg, Clock: cfg.Clock,
		MemoryBudget: cfg.IngestMemory, OutletShare: cfg.OutletShare, OutletHandlers: cfg.OutletHandlers,
		Shared: cfg.BrokerURL != "", // one connection carries every outlet's uplink
		Window: cfg.SyncWindow, MaxSkew: cfg.MaxSkew})
	if err != nil {
		return nil, err
	}
	svc, err := newServices(cfg, s.Store, st.locks, s.Hub)
	if err != nil {
		return nil, &ConfigError{err.Error()}
	}
	s.Cases, s.Channels = svc.Cases, svc.Channels
	if err := svc.Customers.Init(ctx); err != nil {
		return nil, fmt.Errorf("customer classes: %w", err)
	}
	if s.Messages, err = newMessages(cfg, s.Store, svc.Customers, svc.Surveys, reg); err != nil {
		return nil, &ConfigError{err.Error()}
	}
	s.Retention = &retention.Runner{Store: s.Store, Clock: cfg.Clock, Config: cfg.Retention, Leased: s.Cases.Leased, Logger: cfg.Logger.With("component", "retention")}
	if err := s.Retention.Load(ctx); err != nil {
		cfg.Logger.Warn("read the last personal-data purge from the audit trail", "err", err)
	}
	lastPurge := func(f func(lifecycle.RetentionV1) float64) func() float64 {
		return func() float64 {
			if p, ok := s.Retention.Last(); ok {
				return f(p)
			}
			return 0
		}
	}
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yizhan_hub_retention_last_run_timestamp_seconds",
			Help: "when head office last purged personal data (Unix seconds; 0: never)"}, lastPurge(func(p lifecycle.RetentionV1) float64 { return float64(p.At) / 1000 })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yizhan_hub_retention_events_scrubbed",
			Help: "stored events the last purge removed personal data from"}, lastPurge(func(p lifecycle.RetentionV1) float64 { return float64(p.Removed["events"]) })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yizhan_hub_retention_values_purged",
			Help: "personal values the last purge removed"}, lastPurge(func(p lifecycle.RetentionV1) float64 { return float64(p.Removed["values"]) })))
	reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yizhan_hub_store_up",
			Help: "1 while the hub reaches its store (the latest health probe or commit succeeded), 0 while it takes no events"}, s.health.up),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yizhan_hub_timer_lease",
			Help: "1 while this hub holds the lease that runs head office's timers (one hub of those sharing the store)"}, func() float64 {
			if s.Cases.Leased() {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "yizhan_hub_timer_sweeps_total",
			Help: "head-office timer sweeps this hub finished (only the lease holder sweeps)"}, func() float64 { return float64(s.Cases.Sweeps()) }))
	for _, ch := range channels.Names {
		for _, res := range []string{channels.ResultRecorded, channels.ResultDuplicate, channels.ResultRefused} {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "yizhan_hub_channel_messages_total",
				Help:        "messages of head office's own channels (webhook, mailbox): recorded as complaints, sent again (duplicate), or refused",
				ConstLabels: prometheus.Labels{"channel": ch, "result": res}}, func() float64 { return float64(svc.Channels.Count(ch, res)) }))
		}
	}
	for i, res := range []string{"ok", "failed"} {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "yizhan_hub_mailbox_reads_total",
			Help: "reads of the complaints mailbox ([channels.imap]), by result", ConstLabels: prometheus.Labels{"result": res}},
			func() float64 { ok, failed, _ := svc.Channels.MailboxReads(); return float64([]uint64{ok, failed}[i]) }))
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yizhan_hub_mailbox_last_read_timestamp_seconds",
		Help: "when the complaints mailbox was last read without error (Unix seconds; 0: never)"}, func() float64 {
		if _, _, last := svc.Channels.MailboxReads(); !last.IsZero() {
			return float64(last.UnixMilli()) / 1000
		}
		return 0
	}))
	// Handlers outlive the caller's ctx until Close has drained them.
	hctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.probeEnd = make(chan struct{})
	go func() {
		defer close(s.probeEnd)
		s.health.probe(hctx, st.ping, cfg.HealthEvery)
	}()

	reg.MustRegister(&watchCollector{s: s, outlets: s.Store.Outlets, diskDir: st.dir, minFreeMB: cfg.MinFreeMB, free: sqlite.FreeSpace,
		certs: [][2]string{{"server", cfg.MQTTTLS.CertFile}, {"client_ca", cfg.MQTTTLS.ClientCAFile}, {"broker_ca", cfg.BrokerCAFile}},
		now:   cfg.Clock.Now, log: cfg.Logger.With("component", "metrics")})
	// The API's port goes into the default client id, so listen first.
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen for HTTP on %s: %w (is another hub running? choose another address with --http, e.g. 127.0.0.1:8071)", cfg.HTTPAddr, err)
	}
	s.httpAddr = ln.Addr().String()
	if cfg.SurveyURL == "" {
		svc.Surveys.SetPublicURL("http://" + s.httpAddr)
	}
	defer func() {
		if err != nil && s.http == nil {
			ln.Close()
		}
	}()
	s.Hub.SetBatchFunc(svc.Waybills.OnBatch)
	if cfg.BrokerURL != "" {
		id := cfg.ClientID
		if id == "" {
			id = DefaultClientID(s.httpAddr)
		}
		cfg.Logger.Info("joining the external broker", "client_id", id)
		s.client, err = mqttclient.Start(hctx, mqttclient.Options{
			URL: cfg.BrokerURL, CAFile: cfg.BrokerCAFile, AllowPlain: cfg.MQTTAllowPlain, ClientID: id, Logger: cfg.Logger.With("component", "mqtt-client"),
			OnMessage: func(topic string, payload []byte) { s.Hub.Dispatch(hctx, topic, payload) },
		})
		if err != nil {
			return nil, &ConfigError{err.Error()}
		}
		s.Hub.SetPublisher(s.client)
	} else {
		s.broker, err = broker.Start(broker.Options{Addr: cfg.MQTTListen, TLS: cfg.MQTTTLS, AllowPlain: cfg.MQTTAllowPlain, Secrets: s.Store, Logger: cfg.Logger.With("component", "broker")})
		if err != nil {
			return nil, err
		}
		s.Hub.SetPublisher(s.broker)
		if err := s.broker.Subscribe(syncproto.UplinkWildcard, 1, func(topic string, payload []byte) {
			s.Hub.Dispatch(hctx, topic, payload)
		}); err != nil {
			return nil, fmt.Errorf("subscribe the hub to %s: %w", syncproto.UplinkWildcard, err)
		}
		if cfg.OnBrokerClients != nil {
			go watchClients(hctx, s.broker, cfg.OnBrokerClients)
		}
		cfg.Logger.Info("embedded MQTT broker listening", "addr", s.broker.Addr(), "tls", cfg.MQTTTLS.On(), "client_certs", cfg.MQTTTLS.ClientCAFile != "")
	}

	s.Accounts = accounts.New(accounts.Options{Store: s.Store, Clock: cfg.Clock, Idle: cfg.SessionIdle, Lifetime: cfg.SessionLifetime})
	s.http = &http.Server{
		// The list cursors are keyed by the API token, which the hub
		// processes sharing one store share: a cursor one gave, another takes.
		Handler: cfg.TrustedProxies.Wrap(api.Handler(api.Options{
			Store: apiReader{s.Store, s.Hub}, Incarnations: s.Store, Registrar: s.Store, Down: s.Hub, Token: token, CursorKey: []byte(token), Busy: st.busy, Unreachable: st.unreachable, Gatherer: reg, Logger: cfg.Logger.With("component", "api"),
			Accounts: s.Accounts, Hosts: hostPolicy(cfg.HTTPAddr, ln.Addr(), cfg.HTTPNames),
			Outlets: s.Store, Places: s.Store, Connected: s.connectedOutlets(), Clock: cfg.Clock,
			Services: svc, Messages: svc.Surveys.Outbox(s.Store),
			Ready: s.readyChecks(st, cfg.BrokerURL),
		})),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Error("HTTP server stopped", "err", err)
		}
	}()
	cfg.Logger.Info("hub API listening", "addr", s.httpAddr, "store", st.where)
	sctx, stop := context.WithCancel(context.Background())
	s.stopSweep, s.sweeperEnd = stop, make(chan struct{})
	go func() {
		defer close(s.sweeperEnd)
		s.Cases.RunSweeper(sctx, cfg.SweepEvery)
	}()
	s.classesEnd = make(chan struct{})
	go func() {
		defer close(s.classesEnd)
		svc.Customers.Daily(sctx, time.Hour, func(err error) { cfg.Logger.Error("daily customer classes", "err", err) })
	}()
	s.sendEnd = make(chan struct{})
	go func() {
		defer close(s.sendEnd)
		svc.Customers.RunClassSender(sctx, classSendEvery, s.Hub, func(err error) { cfg.Logger.Error("send customer classes to the outlets", "err", err) })
	}()
	s.forecastEnd = make(chan struct{})
	go func() {
		defer close(s.forecastEnd)
		svc.Peak.RunSender(sctx, forecastSendEvery, s.Hub, s.Cases.Leased, func(err error) { cfg.Logger.Error("send the forecasts to the outlets", "err", err) })
	}()
	s.messagesEnd = make(chan struct{})
	go func() {
		defer close(s.messagesEnd)
		every := cfg.Gateway.Every
		if every <= 0 {
			every = DefaultSendEvery
		}
		s.Messages.Run(sctx, every, func(err error) { cfg.Logger.Error("send customer messages", "err", err) })
	}()
	s.purgeEnd = make(chan struct{})
	go func() {
		defer close(s.purgeEnd)
		s.Retention.Loop(sctx, time.Minute)
	}()
	s.imapEnd = make(chan struct{})
	go func() {
		defer close(s.imapEnd)
		// Every hub may read the mailbox: a mail two read at once is
		// still one complaint (its claim), and \Seen only follows it.
		if cfg.IMAP.Addr != "" {
			svc.Channels.RunIMAP(sctx, cfg.IMAP, func(err error) { cfg.Logger.Warn("read the complaints mailbox", "err", err) })
		}
	}()
	return s, nil
}

// connectedOutlets is how the API knows which outlets are connected now:
// the embedded broker's clients, or nil with an external broker (the API
// then judges by their last batch or pull).
func (s *Server) connectedOutlets() func() map[string]bool {
	if s.broker == nil {
		return nil
	}
	return s.broker.Connected
}

// apiReader is the store as the API reads it, with the reject counters the
// hub has not yet committed counted in.
type apiReader struct {
	store.Store
	hub *ingest.Hub
}

func (r apiReader) Counters(ctx context.Context) (map[string]uint64, error) {
	return r.hub.Counters(ctx)
}

// newServices makes head office's action packages, sharing one
// downlink.Sender so that their steps take turns, on this hub and (by
// locks) on every other hub of the store.
func newServices(cfg Config, st store.Store, locks store.Locker, hub *ingest.Hub) (svc api.Services, err error) {
	down, err := downlink.New(downlink.Options{Store: st, Down: hub, Locks: locks, Clock: cfg.Clock})
	if err != nil {
		return svc, err
	}
	if svc.Cases, err = cases.New(cases.Options{Store: st, Down: down, Logger: cfg.Logger.With("component", "cases"), SLA: cfg.SLA, Deadlines: cfg.ExceptionDeadlines, Lease: locks}); err != nil {
		return svc, err
	}
	svc.Notices, svc.Catalog, svc.Manifests = notices.New(down, st), catalog.New(down), manifests.New(st, down)
	if r, ok := st.(measures.Rollups); ok {
		svc.Measures = measures.New(measures.Options{Store: r, SLA: cfg.SLA, Clock: cfg.Clock, Regions: regionsOf(st)})
	}
	if svc.Customers, err = customers.New(customers.Options{Store: st, Master: cfg.MasterKey, WindowDays: cfg.CustomerWindowDays, Clock: cfg.Clock, Location: cfg.Location}); err != nil {
		return svc, err
	}
	// One limiter for the public pages, counting in the store: every hub
	// on it shares the budgets.
	guesses, err := ratelimit.New(ratelimit.Options{Store: st, Clock: cfg.Clock, Logger: cfg.Logger.With("component", "ratelimit")})
	if err != nil {
		return svc, err
	}
	if svc.Progress, err = progress.New(progress.Options{Complaints: svc.Cases, Outlets: st, Location: cfg.Location, Limiter: guesses,
		Logger: cfg.Logger.With("component", "progress")}); err != nil {
		return svc, err
	}
	if svc.Peak, err = peak.New(peak.Options{Store: st, Locks: locks, Clock: cfg.Clock, Location: cfg.Location, PerClerkHour: cfg.PerClerkHour, Hours: cfg.Hours}); err != nil {
		return svc, err
	}
	var master *sealed.Master
	if len(cfg.MasterKey) > 0 {
		if master, err = sealed.NewMaster(cfg.MasterKey); err != nil {
			return svc, err
		}
	}
	if svc.Channels, err = channels.New(channels.Options{Store: st, Down: hub, Templates: svc.Notices, Cases: svc.Cases, Master: master,
		Clock: cfg.Clock, Logger: cfg.Logger.With("component", "channels")}); err != nil {
		return svc, err
	}
	if svc.Surveys, err = surveys.New(surveys.Options{Store: st, Events: hub, Master: cfg.MasterKey, PublicURL: cfg.SurveyURL,
		Limiter: guesses, Clock: cfg.Clock, Logger: cfg.Logger.With("component", "surveys")}); err != nil {
		return svc, err
	}
	svc.Waybills, err = waybills.New(waybills.Options{Store: st, Alloc: hub, Logger: cfg.Logger.With("component", "waybills"), Clock: cfg.Clock, Block: cfg.WaybillBlock})
	return svc, err
}

// MQTTAddr is the embedded broker's address, or "" with an external broker.
func (s *Server) MQTTAddr() string {
	if s.broker == nil {
		return ""
	}
	return s.broker.Addr()
}

// HTTPAddr is the API's address.
func (s *Server) HTTPAddr() string { return s.httpAddr }

// Token is the API bearer token in use.
func (s *Server) Token() string { return s.token }

// Connected reports whether the hub can reach its broker.
func (s *Server) Connected() bool { return s.client == nil || s.client.Connected() }

// Close stops taking messages, finishes the ones being handled, then closes
// the API and the store.
func (s *Server) Close() error {
	if s.stopSweep != nil {
		s.stopSweep()
		<-s.sweeperEnd
		<-s.classesEnd
		<-s.sendEnd
		<-s.forecastEnd
		<-s.messagesEnd
		<-s.purgeEnd
		<-s.imapEnd
	}
	// Stop the intake first; handlers already running finish and ack.
	if s.broker != nil {
		s.broker.Close()
	}
	if s.client != nil {
		s.cancel()
		s.client.Wait()
	}
	if s.Hub != nil {
		s.Hub.Close()
	}
	if s.cancel != nil {
		s.cancel()
	}
	if s.probeEnd != nil {
		<-s.probeEnd
	}
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.http.Shutdown(ctx)
		cancel()
	}
	if s.Store != nil {
		return s.Store.Close()
	}
	return nil
}

// Run starts a hub and serves until ctx ends.
func Run(ctx context.Context, cfg Config) error {
	s, err := Start(ctx, cfg)
	if err != nil {
		return err
	}
	<-ctx.Done()
	cfg.Logger.Info("shutting down")
	return s.Close()
}

func loadToken(path string, log *slog.Logger) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		t := strings.TrimSpace(string(b))
		if t == "" {
			return "", &ConfigError{fmt.Sprintf("API token file %s is empty; delete it to have a new one made, or pass --api-token", path)}
		}
		log.Info("API token read", "file", path)
		return t, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read API token %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	t := base64.RawURLEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(t+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write API token %s: %w", path, err)
	}
	log.Info("API token created", "file", path)
	return t, nil
}

// clientsEvery is how often watchClients looks at the broker.
const clientsEvery = 2 * time.Second

// watchClients tells f the broker's connected outlets when they changed,
// until ctx ends.
func watchClients(ctx context.Context, b *broker.Broker, f func(int64)) {
	t := time.NewTicker(clientsEvery)
	defer t.Stop()
	last := int64(-1)
	for {
		if n := b.Clients(); n != last {
			f(n)
			last = n
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// hostPolicy is the names the API answers to: the listen host as
// configured, the address it listens on, localhost and the loopback
// addresses, the machine's hostname, and names.
func hostPolicy(configured string, ln net.Addr, names []string) problem.HostPolicy {
	host, _, _ := net.SplitHostPort(configured)
	all := append([]string{host}, names...)
	if h, err := os.Hostname(); err == nil {
		all = append(all, h)
	}
	port, anyIP := "", false
	if tcp, ok := ln.(*net.TCPAddr); ok {
		port = fmt.Sprint(tcp.Port)
		if tcp.IP == nil || tcp.IP.IsUnspecified() {
			anyIP = true
		} else {
			all = append(all, tcp.IP.String())
		}
	}
	return problem.NewHostPolicy(port, anyIP, all...)
}
