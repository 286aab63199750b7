// Package config is the hub's settings: every knob of "yizhan-hub run" as
// one struct with its defaults, read from the TOML file given with --config
// (see deploy/hub.sample.toml) and the flags, through the mechanism in
// syncproto/settings. Precedence, highest first: flag, environment
// variable, file, default.
package config

import (
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // the zone database, for hubs on Windows

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/broker"
	"github.com/yizhan/yizhan/hub/channels"
	"github.com/yizhan/yizhan/hub/forecast"
	"github.com/yizhan/yizhan/hub/ingest"
	"github.com/yizhan/yizhan/hub/mqttclient"
	"github.com/yizhan/yizhan/hub/retention"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/settings"
)

// The hub's own defaults; business defaults shared with the agents are in
// syncproto/lifecycle. hub/server falls back to these for zero values.
const (
	DefaultHTTPAddr   = "127.0.0.1:8070"
	DefaultMQTTListen = "127.0.0.1:1883"
	DefaultSweepEvery = time.Minute
	DefaultLogFormat  = "json"
	DefaultLogLevel   = "info"
	// DefaultTimezone is the zone of head office's days, weeks and months.
	DefaultTimezone = "Asia/Shanghai"
)

// Settings is everything "yizhan-hub run" can be told; each field's key in
// the TOML file is its section and toml tag, e.g. [mqtt] listen.
type Settings struct {
	Data       Data       `toml:"data"`
	HTTP       HTTP       `toml:"http"`
	MQTT       MQTT       `toml:"mqtt"`
	Store      Store      `toml:"store"`
	Log        Log        `toml:"log"`
	Complaints Complaints `toml:"complaints"`
	Exceptions Exceptions `toml:"exceptions"`
	Timers     Timers     `toml:"timers"`
	Waybills   Waybills   `toml:"waybills"`
	Ingest     Ingest     `toml:"ingest"`
	Sync       Sync       `toml:"sync"`
	Clock      Clock      `toml:"clock"`
	Accounts   Accounts   `toml:"accounts"`
	Measures   Measures   `toml:"measures"`
	Customers  Customers  `toml:"customers"`
	Surveys    Surveys    `toml:"surveys"`
	Retention  Retention  `toml:"retention"`
	Forecast   Forecast   `toml:"forecast"`
	Gateway    Gateway    `toml:"gateway"`
	Channels   Channels   `toml:"channels"`
}

// Forecast is peak planning's staffing hint (hub/peak).
type Forecast struct {
	ParcelsPerClerkHour float64 `toml:"parcels_per_clerk_hour" flag:"forecast-parcels-per-clerk-hour" help:"inbound parcels one clerk handles in an hour, for the forecast's staffing hint"`
	OpeningHours        float64 `toml:"opening_hours" flag:"forecast-opening-hours" help:"an outlet's opening hours on a weekday, for the staffing hint"`
	WeekendHours        float64 `toml:"weekend_opening_hours" flag:"forecast-weekend-opening-hours" help:"opening hours on Saturday and Sunday (0: as on a weekday)"`
}

// WeekdayHours are the opening hours by time.Weekday.
func (f Forecast) WeekdayHours() [7]float64 {
	var h [7]float64
	for i := range h {
		h[i] = f.OpeningHours
	}
	if f.WeekendHours > 0 {
		h[0], h[6] = f.WeekendHours, f.WeekendHours
	}
	return h
}

// DefaultMaxPerOutlet is [gateway] max_per_outlet's default: more than a
// busy campus point holds, so only a runaway notice meets it.
const DefaultMaxPerOutlet = 2000

// Gateway is how head office's messages reach customers (hub/gateway).
type Gateway struct {
	Webhook      string        `toml:"webhook" flag:"gateway-webhook" help:"URL of the company's SMS or WeChat gateway that customer messages are posted to as JSON (empty: they are written to the log, masked, for the demo)"`
	Token        string        `toml:"token" flag:"gateway-token" help:"bearer token sent to the gateway webhook (empty: none)"`
	Timeout      time.Duration `toml:"timeout" flag:"gateway-timeout" help:"how long one message may take at the gateway webhook"`
	MaxAttempts  int           `toml:"max_attempts" flag:"gateway-max-attempts" help:"tries of a customer message before it counts as failed"`
	MaxPerOutlet int           `toml:"max_per_outlet" flag:"gateway-max-per-outlet" help:"most start messages one notice sends to the customers of one outlet; the rest are counted as capped (0: no cap)"`
}

// Channels are head office's own complaint channels beside the counter
// (hub/channels); the webhook needs no settings, only a token of scope
// channels.
type Channels struct {
	IMAP channels.IMAP `toml:"imap"`
}

// Surveys is how customers reach the satisfaction surveys' answer page.
type Surveys struct {
	PublicURL string `toml:"public_url" flag:"survey-url" help:"the address customers open survey links at, e.g. https://survey.example.com (the hub serves /s/ there; empty: the hub's own http address)"`
}

// Customers is head office's customer database.
type Customers struct {
	MasterKeyFile string `toml:"master_key_file" flag:"master-key" help:"head office's master key file: search customers by phone and reveal their sealed contact (empty: neither)"`
	WindowDays    int    `toml:"window_days" flag:"customer-window-days" help:"days the customer classes count recency, parcels and fees over, until head office sets its own"`
}

// Measures is how head office's measures count.
type Measures struct {
	Timezone string `toml:"timezone" flag:"timezone" help:"IANA time zone of the measures' days, weeks (from Monday) and months, e.g. Asia/Shanghai; a change rebuilds the measures at the next start"`
}

// Location is the measures' checked time zone.
func (s Settings) Location() (*time.Location, error) {
	return time.LoadLocation(s.Measures.Timezone)
}

// Retention is head office's purge of personal data (hub/retention).
type Retention struct {
	PersonalDays int    `toml:"personal_days" flag:"retention-personal-days" help:"personal data (sealed phones, names, addresses, a customer's words, signatures) of business finished longer ago than this many days is purged from the stored events; -1: never"`
	At           string `toml:"at" flag:"retention-at" help:"local time of day of the daily purge, run by the hub holding the timer lease, e.g. 04:00"`
}

// RetentionConfig is the [retention] section for hub/retention.
func (s Settings) RetentionConfig() retention.Config {
	return retention.Config{PersonalDays: s.Retention.PersonalDays, At: s.Retention.At}
}

// Data is the hub's directory.
type Data struct {
	Dir       string `toml:"dir" flag:"data" help:"data directory (hub.db, api-token); created if missing"`
	MinFreeMB int    `toml:"min_free_mb" flag:"min-free-mb" help:"/readyz answers 503 when the store's disk has less free space than this, in MiB (0: no check)"`
}

// HTTP is the head-office API.
type HTTP struct {
	Addr     string `toml:"addr" flag:"http" help:"HTTP API listen address"`
	APIToken string `toml:"api_token" flag:"api-token" settings:"secret" help:"API bearer token, an administrator named admin (default: read or create DIR/api-token)"`
	// Names are the host names head office opens the screen by, besides
	// the listen host, localhost, 127.0.0.1, ::1 and the machine's
	// hostname: the gate refuses any other Host (DNS rebinding).
	Names string `toml:"names" flag:"http-names" help:"more host names the API and screen answer to, comma-separated (e.g. hub.example.com,hub)"`
	// TrustedProxies are the reverse proxies in front of the hub: only a
	// request from one of them has its client address read from
	// X-Forwarded-For (accounts.Proxies).
	TrustedProxies string `toml:"trusted_proxies" flag:"http-trusted-proxies" help:"reverse proxies whose X-Forwarded-For names the client, CIDR prefixes or addresses, comma-separated (e.g. 10.0.0.0/8,192.0.2.7); empty: none, the peer is the client"`
}

// Proxies are [http] trusted_proxies.
func (h HTTP) Proxies() (accounts.Proxies, error) { return accounts.ParseProxies(h.TrustedProxies) }

// HostNames are the names of [http] names.
func (h HTTP) HostNames() []string {
	var out []string
	for _, n := range strings.Split(h.Names, ",") {
		if n = strings.TrimSpace(n); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Accounts is head office's sessions.
type Accounts struct {
	SessionIdle     time.Duration `toml:"session_idle" flag:"session-idle" help:"a head-office session ends after this long without a request"`
	SessionLifetime time.Duration `toml:"session_lifetime" flag:"session-lifetime" help:"a head-office session ends this long after its login, busy or not"`
}

// MQTT is the broker the outlets reach: embedded, or an external one.
type MQTT struct {
	Listen   string `toml:"listen" flag:"mqtt-listen" help:"embedded MQTT broker listen address"`
	Broker   string `toml:"broker" flag:"broker" settings:"url" help:"external broker tcp://user:pass@host:port instead of the embedded one"`
	ClientID string `toml:"client_id" flag:"mqtt-client-id" help:"client id at the external broker, one per hub (default yizhan-hub-<hostname>-<http port>)"`
	// The embedded broker's TLS; without it the broker listens plain, which
	// only a loopback address or AllowPlain permits.
	TLSCert  string `toml:"tls_cert" flag:"mqtt-tls-cert" help:"PEM certificate of the embedded broker (with intermediates); with tls_key it listens with TLS"`
	TLSKey   string `toml:"tls_key" flag:"mqtt-tls-key" help:"PEM private key of tls_cert"`
	ClientCA string `toml:"tls_client_ca" flag:"mqtt-tls-client-ca" help:"PEM CA of the outlets' client certificates; set, every outlet needs one naming its id"`
	// Revoked lists serials of outlet certificates no longer taken (the
	// ones yizhan-hub certs renewed or revoked); read again when it changes.
	Revoked    string `toml:"tls_client_revoked" flag:"mqtt-tls-client-revoked" help:"file of revoked outlet certificate serials, one hex serial a line (yizhan-hub certs writes revoked.txt in its CA directory); a missing file revokes none"`
	AllowPlain bool   `toml:"allow_plain" flag:"mqtt-allow-plain" help:"allow plain MQTT off loopback: the embedded broker listening, or the external broker's tcp:// URL"`
	// BrokerCA is the external broker's CA with an ssl:// URL.
	BrokerCA string `toml:"broker_ca_file" flag:"broker-ca-file" help:"PEM CA the external broker's certificate must be signed by (ssl:// URL); empty: the system's roots"`
}

// BrokerTLS is the embedded broker's certificate files.
func (m MQTT) BrokerTLS() broker.TLSFiles {
	return broker.TLSFiles{CertFile: m.TLSCert, KeyFile: m.TLSKey, ClientCAFile: m.ClientCA, RevokedFile: m.Revoked}
}

// Store is where the events are kept.
type Store struct {
	URL string `toml:"url" flag:"store" settings:"url" help:"store URL: sqlite:///path/hub.db or postgres://user:password@host:5432/database (default sqlite://DIR/hub.db)"`
}

// Log is the hub's log output.
type Log struct {
	Format string `toml:"format" flag:"log-format" help:"log format: json or text"`
	Level  string `toml:"level" flag:"log-level" help:"log level: debug, info, warn, error"`
}

// Complaints is the complaint service level head office's timers enforce.
type Complaints struct {
	FirstReply time.Duration `toml:"first_reply" flag:"sla-first-reply" help:"complaint first-reply deadline; a breach escalates to head office"`
	Result     time.Duration `toml:"result" flag:"sla-result" help:"complaint result deadline; a breach escalates to head office"`
}

// Exceptions is how long each exception kind may take to be handled.
type Exceptions struct {
	// Deadlines overrides lifecycle.DefaultExceptionDeadlines per kind, as
	// "kind=duration,…"; empty keeps them all.
	Deadlines string `toml:"deadlines" flag:"exception-deadlines" help:"exception handling deadlines over the defaults, e.g. delayed=36h,refused=12h; past one, an exception is overdue"`
}

// ExceptionDeadlines are the checked deadlines per kind.
func (s Settings) ExceptionDeadlines() (lifecycle.ExceptionDeadlines, error) {
	return lifecycle.ParseExceptionDeadlines(s.Exceptions.Deadlines)
}

// Timers is head office's sweeper.
type Timers struct {
	SweepEvery time.Duration `toml:"sweep_every" flag:"sweep-every" help:"how often the head-office SLA and suspected-loss timers run"`
}

// Waybills is waybill number allocation.
type Waybills struct {
	Block int `toml:"block" flag:"waybill-block" help:"waybill numbers per block allocated when an outlet asks for more (1–100000)"`
}

// Ingest bounds the memory the outlets' uplink messages may take at once.
type Ingest struct {
	MemoryMiB      int `toml:"memory_mib" flag:"ingest-memory-mib" help:"MiB the hub may hold for uplink messages being inflated, decoded and committed, whatever the outlets send"`
	OutletShareMiB int `toml:"outlet_share_mib" flag:"ingest-outlet-share-mib" help:"MiB of ingest.memory_mib one outlet may hold; a message needing more is refused"`
	OutletHandlers int `toml:"outlet_handlers" flag:"ingest-outlet-handlers" help:"uplink messages of one outlet handled at once"`
}

// Sync bounds what the hub holds of an outlet's uplink stream.
type Sync struct {
	Window int `toml:"window" flag:"sync-window" help:"events past an outlet's contiguous point that out-of-order batches may reach; beyond, they are refused"`
}

// Clock is how far the hub trusts an outlet's clock.
type Clock struct {
	MaxSkew time.Duration `toml:"max_skew" flag:"max-clock-skew" help:"how far ahead of hub time an outlet's stamp may lie and still move the hub's clock; events beyond are kept, flagged and ordered at hub time plus this"`
}

// Defaults are the settings before any file, environment or flag.
func Defaults() Settings {
	return Settings{
		Data:       Data{MinFreeMB: syncproto.DefaultMinFreeMB},
		HTTP:       HTTP{Addr: DefaultHTTPAddr},
		MQTT:       MQTT{Listen: DefaultMQTTListen},
		Log:        Log{Format: DefaultLogFormat, Level: DefaultLogLevel},
		Complaints: Complaints{FirstReply: lifecycle.DefaultFirstReply, Result: lifecycle.DefaultResult},
		Timers:     Timers{SweepEvery: DefaultSweepEvery},
		Waybills:   Waybills{Block: lifecycle.DefaultWaybillBlock},
		Ingest:     Ingest{MemoryMiB: ingest.DefaultMemoryBudget >> 20, OutletShareMiB: ingest.DefaultMemoryBudget >> 22, OutletHandlers: ingest.DefaultOutletHandlers},
		Sync:       Sync{Window: syncproto.DefaultWindow},
		Clock:      Clock{MaxSkew: hlc.DefaultMaxSkew},
		Accounts:   Accounts{SessionIdle: 8 * time.Hour, SessionLifetime: 24 * time.Hour},
		Measures:   Measures{Timezone: DefaultTimezone},
		Customers:  Customers{WindowDays: 365},
		Retention:  Retention{PersonalDays: retention.DefaultPersonalDays, At: retention.DefaultAt},
		Forecast:   Forecast{ParcelsPerClerkHour: forecast.DefaultPerClerkHour, OpeningHours: forecast.DefaultOpeningHours},
		Gateway:    Gateway{Timeout: 10 * time.Second, MaxAttempts: 8, MaxPerOutlet: DefaultMaxPerOutlet},
		Channels:   Channels{IMAP: channels.DefaultIMAP},
	}
}

// Loaded is the outcome of the command line: the settings and where each
// came from.
type Loaded struct {
	Settings
	set *settings.Set
}

// Parse reads "run"'s command line, then the file it names, then the
// environment. Every error it returns is a configuration error (exit 2).
func Parse(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (*Loaded, error) {
	l := &Loaded{Settings: Defaults()}
	set, err := settings.CommandLine("run", args, &l.Settings,
		"settings file (TOML, see deploy/hub.sample.toml); flags and environment override it", stderr)
	if err != nil {
		return nil, err
	}
	l.set = set
	if err := set.LoadFile(os.ReadFile, lookupEnv); err != nil {
		return nil, err
	}
	return l, nil
}

// Check refuses settings the hub cannot run with.
func (l *Loaded) Check() error {
	if l.MQTT.Broker != "" && l.set.Source("mqtt.listen").Origin != settings.Default {
		return fmt.Errorf("mqtt.listen (%s) and mqtt.broker (%s) exclude each other: the hub either embeds a broker (--mqtt-listen) or uses an external one (--broker)",
			l.set.Source("mqtt.listen"), l.set.Source("mqtt.broker"))
	}
	if l.MQTT.Broker == "" {
		if err := broker.CheckListen(l.MQTT.Listen, l.MQTT.BrokerTLS(), l.MQTT.AllowPlain); err != nil {
			return l.set.Errorf("mqtt.listen", "%v", err)
		}
	} else if err := mqttclient.CheckPlain(l.MQTT.Broker, l.MQTT.AllowPlain); err != nil {
		return l.set.Errorf("mqtt.broker", "%v", err)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"complaints.first_reply", l.Complaints.FirstReply}, {"complaints.result", l.Complaints.Result}, {"timers.sweep_every", l.Timers.SweepEvery},
		{"accounts.session_idle", l.Accounts.SessionIdle}, {"accounts.session_lifetime", l.Accounts.SessionLifetime}} {
		if d.v <= 0 {
			return l.set.Errorf(d.key, "must be positive, e.g. 24h, 168h, 1m (--sla-first-reply, --sla-result, --sweep-every)")
		}
	}
	if l.Ingest.OutletShareMiB < ingest.MinOutletShare>>20 || l.Ingest.OutletShareMiB > l.Ingest.MemoryMiB {
		return l.set.Errorf("ingest.outlet_share_mib", "%d: must be at least %d and at most ingest.memory_mib (%d)", l.Ingest.OutletShareMiB, ingest.MinOutletShare>>20, l.Ingest.MemoryMiB)
	}
	if l.Ingest.OutletHandlers < 1 || l.Ingest.OutletHandlers > 256 {
		return l.set.Errorf("ingest.outlet_handlers", "%d: must be 1 to 256", l.Ingest.OutletHandlers)
	}
	if l.Sync.Window < syncproto.MaxEventsPerBatch {
		return l.set.Errorf("sync.window", "must be at least one batch, %d events (--sync-window)", syncproto.MaxEventsPerBatch)
	}
	if _, err := l.HTTP.Proxies(); err != nil {
		return l.set.Errorf("http.trusted_proxies", "%v (--http-trusted-proxies)", err)
	}
	if _, err := l.ExceptionDeadlines(); err != nil {
		return l.set.Errorf("exceptions.deadlines", "%v", err)
	}
	if _, err := l.Location(); err != nil || l.Measures.Timezone == "" {
		return l.set.Errorf("measures.timezone", "%q is not a time zone: use an IANA name such as Asia/Shanghai or UTC (--timezone)", l.Measures.Timezone)
	}
	if l.Customers.WindowDays < 1 || l.Customers.WindowDays > 3660 {
		return l.set.Errorf("customers.window_days", "%d: must be 1 to 3660 days (--customer-window-days)", l.Customers.WindowDays)
	}
	if f := l.Forecast.ParcelsPerClerkHour; !(f > 0 && f <= 10_000) {
		return l.set.Errorf("forecast.parcels_per_clerk_hour", "%v: must be more than 0 and at most 10000 (--forecast-parcels-per-clerk-hour)", f)
	}
	if h := l.Forecast.OpeningHours; !(h > 0 && h <= 24) {
		return l.set.Errorf("forecast.opening_hours", "%v: must be more than 0 and at most 24 (--forecast-opening-hours)", h)
	}
	if h := l.Forecast.WeekendHours; !(h >= 0 && h <= 24) {
		return l.set.Errorf("forecast.weekend_opening_hours", "%v: must be 0 (as on a weekday) to 24 (--forecast-weekend-opening-hours)", h)
	}
	if l.Gateway.Timeout <= 0 || l.Gateway.MaxAttempts < 1 || l.Gateway.MaxAttempts > 100 {
		return l.set.Errorf("gateway.timeout", "timeout %v and max_attempts %d: a positive duration, and 1 to 100 tries (--gateway-timeout, --gateway-max-attempts)", l.Gateway.Timeout, l.Gateway.MaxAttempts)
	}
	if l.Gateway.MaxPerOutlet < 0 {
		return l.set.Errorf("gateway.max_per_outlet", "%d: 0 for no cap, or the most start messages per outlet (--gateway-max-per-outlet)", l.Gateway.MaxPerOutlet)
	}
	if l.Gateway.Webhook != "" {
		if _, err := url.Parse(l.Gateway.Webhook); err != nil || !strings.HasPrefix(l.Gateway.Webhook, "http://") && !strings.HasPrefix(l.Gateway.Webhook, "https://") {
			return l.set.Errorf("gateway.webhook", "want an http:// or https:// URL (--gateway-webhook)")
		}
	}
	if err := l.RetentionConfig().Check(); err != nil {
		return l.set.Errorf("retention.at", "%v", err)
	}
	if err := l.Channels.IMAP.Check(); err != nil {
		return l.set.Errorf("channels.imap.addr", "%v", err)
	}
	if l.Channels.IMAP.Addr != "" && l.Customers.MasterKeyFile == "" {
		return l.set.Errorf("channels.imap.addr", "the mailbox's complaints are sealed under head office's master key: set customers.master_key_file")
	}
	if l.Data.Dir == "" && (l.Store.URL == "" || l.HTTP.APIToken == "") {
		return fmt.Errorf("--data DIR is required (data.dir)")
	}
	if _, err := l.Logger(io.Discard); err != nil {
		return err
	}
	return nil
}

// Logger is the hub's logger writing to w, as log.format and log.level say.
func (l *Loaded) Logger(w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(l.Log.Level)); err != nil {
		return nil, l.set.Errorf("log.level", "--log-level %q: use debug, info, warn or error", l.Log.Level)
	}
	o := &slog.HandlerOptions{Level: lv}
	switch l.Log.Format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	}
	return nil, l.set.Errorf("log.format", "--log-format %q: use json or text", l.Log.Format)
}

// PrintRequested reports whether --print-config was given.
func (l *Loaded) PrintRequested() bool { return l.set.PrintRequested() }

// Print writes the effective settings with the source of each.
func (l *Loaded) Print(w io.Writer) error {
	return l.set.Print(w, "yizhan-hub run: effective settings")
}

// Source says where the setting at key came from.
func (l *Loaded) Source(key string) settings.Source { return l.set.Source(key) }
