// Package config is the agent's settings: every knob of "yizhan-agent run"
// as one struct with its defaults, read from the TOML file given with
// --config (see deploy/agent.sample.toml), the environment and the flags,
// through the mechanism in syncproto/settings. Precedence, highest first:
// flag, environment variable, file, default.
//
// The older JSON file with only a "devices" section still loads when its
// name ends in .json; "yizhan-agent config migrate" turns it into TOML.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/yizhan/yizhan/agent/backup"
	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/agent/retention"
	"github.com/yizhan/yizhan/agent/syncclient"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/settings"
)

// The agent's own defaults; business defaults shared with the hub are in
// syncproto/lifecycle.
const (
	DefaultHTTPAddr  = "127.0.0.1:8080"
	DefaultBroker    = "tcp://127.0.0.1:1883"
	DefaultLogFormat = "json"
	DefaultLogMaxMB  = 20
	DefaultLogKeep   = 10
)

// Settings is everything "yizhan-agent run" can be told; each field's key
// in the TOML file is its section and toml tag, e.g. [http] addr.
type Settings struct {
	Outlet     Outlet             `toml:"outlet"`
	Data       Data               `toml:"data"`
	HTTP       HTTP               `toml:"http"`
	Sync       Sync               `toml:"sync"`
	PII        PII                `toml:"pii"`
	Log        Log                `toml:"log"`
	Counter    Counter            `toml:"counter"`
	Complaints Complaints         `toml:"complaints"`
	Exceptions Exceptions         `toml:"exceptions"`
	Backup     Backup             `toml:"backup"`
	Retention  Retention          `toml:"retention"`
	Devices    peripherals.Config `toml:"devices"`
}

// Outlet is who this agent is at the hub.
type Outlet struct {
	ID          string        `toml:"id" flag:"outlet" help:"this outlet's id, as registered at the hub (required)"`
	Secret      string        `toml:"secret" flag:"secret" env:"YZ_SECRET" settings:"secret" help:"this outlet's secret (or secret_file)"`
	SecretFile  string        `toml:"secret_file" flag:"secret-file" help:"file holding the outlet's secret"`
	ClockOffset time.Duration `toml:"clock_offset" flag:"clock-offset" help:"shift the PC clock as the agent sees it (drills only), e.g. -6h"`
	// ClockAt is for drills and tests that need a clock further off than a
	// time.Duration reaches (about 292 years), e.g. a PC set to 2500.
	ClockAt time.Time `toml:"clock_at" flag:"clock-at" help:"start the PC clock as the agent sees it at this time and let it run (drills and tests only), e.g. 2500-01-01T00:00:00Z"`
}

// Data is where the agent keeps its event log.
type Data struct {
	Dir       string `toml:"dir" flag:"data" help:"data directory (required; on Windows ProgramData\\Yizhan\\data by default)"`
	MinFreeMB int    `toml:"min_free_mb" flag:"min-free-mb" help:"/readyz answers 503 when the data directory's disk has less free space than this, in MiB (0: no check)"`
}

// HTTP is the local API and counter screen.
type HTTP struct {
	Addr string `toml:"addr" flag:"http" help:"address of the local API and counter screen"`
	// AllowedHosts are more names the API answers to, besides localhost,
	// 127.0.0.1, ::1 and the address it listens on; any other Host header
	// is refused (DNS rebinding).
	AllowedHosts string `toml:"allowed_hosts" flag:"allowed-hosts" help:"more host names the API answers to, comma-separated, e.g. outlet-pc,outlet-pc.local"`
}

// AllowedHosts are the names of [http] allowed_hosts.
func (s Settings) AllowedHosts() []string {
	var out []string
	for _, h := range strings.Split(s.HTTP.AllowedHosts, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// Sync is the link to the hub.
type Sync struct {
	Broker     string        `toml:"broker" flag:"broker" settings:"url" help:"MQTT broker URL: tls://host:8883 (also ssl://, mqtts://), or tcp://127.0.0.1:1883 on this machine"`
	AckTimeout time.Duration `toml:"ack_timeout" flag:"ack-timeout" help:"resend from the cursor after this long without hub acknowledgement"`
	CAFile     string        `toml:"ca_file" flag:"ca-file" help:"PEM file with head office's CA certificate; the hub's certificate must be signed by it (required with tls://)"`
	CertFile   string        `toml:"cert_file" flag:"cert-file" help:"PEM file with this outlet's client certificate, for a broker that asks for one"`
	KeyFile    string        `toml:"key_file" flag:"key-file" help:"PEM file with the client certificate's private key"`
	AllowPlain bool          `toml:"allow_plain" flag:"allow-plain" help:"allow a plain tcp:// broker that is not on this machine (only where the network itself is protected)"`
	// MaxClockSkew is the agent's side of the one skew rule (hlc.Adoptable);
	// the hub's is its clock.max_skew, with the same default.
	MaxClockSkew time.Duration `toml:"max_clock_skew" flag:"max-clock-skew" help:"how far ahead of the hub time it came with a hub stamp may lie and still move this outlet's clock; a PC clock further from the hub's than this is shown as a clock problem"`
}

// TLS is the sync link's certificate files.
func (s Sync) TLS() syncclient.TLSFiles {
	return syncclient.TLSFiles{CAFile: s.CAFile, CertFile: s.CertFile, KeyFile: s.KeyFile}
}

// PII is the personal-data key. The key itself comes only from the
// environment; in a file, name the key file.
type PII struct {
	KeyFile string `toml:"key_file" flag:"pii-key-file" help:"this outlet's key file, issued by head office (yizhan-hub outlet key); never inside the data directory"`
	Key     string `toml:"key" env:"YZ_PII_KEY" settings:"secret,nofile"`
}

// Log is the agent's log output: stderr (journald under systemd) unless a
// file is named. A Windows service has no stderr, so there an empty file
// means the installation's logs\agent.log (Paths).
type Log struct {
	Format string `toml:"format" flag:"log-format" help:"log format: json or text"`
	File   string `toml:"file" flag:"log-file" help:"write the log to this file, rotated by size, instead of stderr (a Windows service: ProgramData\\Yizhan\\logs\\agent.log when empty)"`
	MaxMB  int    `toml:"max_mb" flag:"log-max-mb" help:"start a new log file when the current one reaches this size, in MiB"`
	Keep   int    `toml:"keep" flag:"log-keep" help:"how many full log files to keep besides the current one; older ones are deleted"`
}

// Counter is the outlet's counter rules.
type Counter struct {
	HoldDays      int    `toml:"hold_days" flag:"hold-days" help:"days a parcel is held for pickup before it goes back"`
	NotifyWebhook string `toml:"notify_webhook" flag:"notify-webhook" help:"URL that receives recipient notifications as JSON (empty: log only)"`
}

// Complaints is the complaint service level the outlet's timers use.
type Complaints struct {
	FirstReply time.Duration `toml:"first_reply" flag:"sla-first-reply" help:"complaints: first reply within"`
	Result     time.Duration `toml:"result" flag:"sla-result" help:"complaints: result within"`
	// ProgressURL is head office's public progress page (hub/progress),
	// printed on every complaint receipt with its ticket.
	ProgressURL string `toml:"progress_url" flag:"progress-url" help:"head office's public complaint progress page, printed on receipts with the ticket, e.g. https://kefu.example.com/p (empty: the receipt says to quote the ticket)"`
}

// Exceptions is how long each exception kind may take to be handled.
type Exceptions struct {
	// Deadlines overrides lifecycle.DefaultExceptionDeadlines per kind, as
	// "kind=duration,…"; empty keeps them all. Set it as head office does,
	// so the counter and head office see the same deadline.
	Deadlines string `toml:"deadlines" flag:"exception-deadlines" help:"exception handling deadlines over the defaults, e.g. delayed=36h,refused=12h"`
}

// Backup is the nightly copy of the data file (agent/backup).
type Backup struct {
	// Dir is off by default: a copy on the data file's own disk does not
	// survive the PC, so the operator names a folder on another disk or
	// a share.
	Dir  string `toml:"dir" flag:"backup-dir" help:"folder for the nightly backups, best on another disk or a network share (empty: no nightly backup)"`
	At   string `toml:"at" flag:"backup-at" help:"local time of day of the nightly backup, HH:MM"`
	Keep int    `toml:"keep" flag:"backup-keep" help:"backups kept in the folder; older ones are removed only after a new one passed its check"`
}

// BackupAt is [backup] at as hour and minute.
func (s Settings) BackupAt() (hour, minute int, err error) { return backup.ParseAt(s.Backup.At) }

// Retention is how long the outlet keeps what head office already holds
// (agent/retention).
type Retention struct {
	EventsDays   int    `toml:"events_days" flag:"retention-events-days" help:"acknowledged events older than this many days leave the local event log (head office keeps them); -1: never"`
	PersonalDays int    `toml:"personal_days" flag:"retention-personal-days" help:"personal data (phones, names, signatures, photos) of business finished longer ago than this many days is purged; -1: never"`
	At           string `toml:"at" flag:"retention-at" help:"local time of day of the daily retention run, e.g. 03:30"`
}

// RetentionConfig is the [retention] section for agent/retention.
func (s Settings) RetentionConfig() retention.Config {
	return retention.Config{EventsDays: s.Retention.EventsDays, PersonalDays: s.Retention.PersonalDays, At: s.Retention.At}
}

// ExceptionDeadlines are the checked deadlines per kind.
func (s Settings) ExceptionDeadlines() (lifecycle.ExceptionDeadlines, error) {
	return lifecycle.ParseExceptionDeadlines(s.Exceptions.Deadlines)
}

// ProgressURL is the checked [complaints] progress_url: "" or an http(s)
// address with a host and no query, which the receipt extends with
// ?t=<ticket>.
func (s Settings) ProgressURL() (string, error) {
	raw := strings.TrimSpace(s.Complaints.ProgressURL)
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("complaints.progress_url %q: give head office's page as https://host/p, with no query", raw)
	}
	return u.String(), nil
}

// Defaults are the settings before any file, environment or flag.
func Defaults() Settings {
	return Settings{
		Data:       Data{Dir: defaultDataDir(), MinFreeMB: syncproto.DefaultMinFreeMB},
		HTTP:       HTTP{Addr: DefaultHTTPAddr},
		Sync:       Sync{Broker: DefaultBroker, AckTimeout: syncclient.DefaultAckTimeout, MaxClockSkew: hlc.DefaultMaxSkew},
		Log:        Log{Format: DefaultLogFormat, MaxMB: DefaultLogMaxMB, Keep: DefaultLogKeep},
		Counter:    Counter{HoldDays: lifecycle.DefaultHoldDays},
		Complaints: Complaints{FirstReply: lifecycle.DefaultFirstReply, Result: lifecycle.DefaultResult},
		Backup:     Backup{At: backup.DefaultAt, Keep: backup.DefaultKeep},
		Retention:  Retention{EventsDays: retention.DefaultEventsDays, PersonalDays: retention.DefaultPersonalDays, At: retention.DefaultAt},
	}
}

// Loaded is the outcome of the command line: the settings and where each
// came from.
type Loaded struct {
	Settings
	set *settings.Set
}

// Parse reads "run"'s command line, then the file it names, then the
// environment. Every error it returns is a configuration error (exit 2);
// a *settings.UsageError (wrapping flag.ErrHelp after -h) is already on stderr.
func Parse(args []string, lookupEnv func(string) (string, bool), stderr io.Writer) (*Loaded, error) {
	l := &Loaded{Settings: Defaults()}
	set, err := settings.CommandLine("run", args, &l.Settings,
		"settings file (TOML, see deploy/agent.sample.toml; a .json file holds only the devices section); flags and environment override it", stderr)
	if err != nil {
		return nil, err
	}
	l.set = set
	if err := l.load(lookupEnv); err != nil {
		return nil, err
	}
	return l, nil
}

func bind(fs *flag.FlagSet) (*Loaded, error) {
	l := &Loaded{Settings: Defaults()}
	set, err := settings.Bind(fs, &l.Settings)
	if err != nil {
		return nil, err
	}
	l.set = set
	return l, nil
}

// load applies the file --config named and the environment, then checks
// the devices. A .json file is the old devices file.
func (l *Loaded) load(lookupEnv func(string) (string, bool)) error {
	if path := l.set.File(); strings.HasSuffix(path, ".json") {
		if err := l.set.Load("", nil, lookupEnv); err != nil {
			return err
		}
		devs, err := peripherals.LoadConfig(path)
		if err != nil {
			return err
		}
		l.Devices = devs
		l.set.Mark("devices", settings.Source{Origin: settings.File, Name: path})
		return nil
	}
	if err := l.set.LoadFile(os.ReadFile, lookupEnv); err != nil {
		return err
	}
	return l.checkDevices()
}

func (l *Loaded) loadBytes(name string, data []byte, lookupEnv func(string) (string, bool)) error {
	if err := l.set.Load(name, data, lookupEnv); err != nil {
		return err
	}
	return l.checkDevices()
}

// checkDevices checks the devices as the JSON loader does, naming each
// problem's entry and line.
func (l *Loaded) checkDevices() error {
	err := l.Devices.Check()
	if err == nil {
		return nil
	}
	var out []error
	for _, e := range unjoin(err) {
		var ee *peripherals.EntryError
		if errors.As(e, &ee) {
			e = l.set.Errorf("devices."+ee.Key, "%v", ee.Err)
		}
		out = append(out, e)
	}
	return errors.Join(out...)
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// Check refuses settings the agent cannot run with. It reads secret_file
// into Outlet.Secret when that is the secret in force.
func (l *Loaded) Check() error {
	secret, err := l.secret()
	if err != nil {
		return err
	}
	l.Outlet.Secret = secret
	var missing []string
	if l.Data.Dir == "" {
		missing = append(missing, "data.dir (--data)")
	}
	if l.Outlet.ID == "" {
		missing = append(missing, "outlet.id (--outlet)")
	}
	if l.Outlet.Secret == "" {
		missing = append(missing, "outlet.secret (--secret, YZ_SECRET or secret_file)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %s", strings.Join(missing, ", "))
	}
	b, err := syncclient.ParseBroker(l.Sync.Broker, l.Sync.AllowPlain)
	if err != nil {
		return l.set.Errorf("sync.broker", "%v", err)
	}
	if err := syncclient.CheckTLSFiles(b, l.Sync.TLS()); err != nil {
		return l.set.Errorf("sync.broker", "%v", err)
	}
	if f := l.Log.Format; f != "json" && f != "text" {
		return l.set.Errorf("log.format", "must be json or text, not %q", f)
	}
	if n := l.Log.MaxMB; n < 1 || n > 10240 {
		return l.set.Errorf("log.max_mb", "must be 1 to 10240 MiB, not %d", n)
	}
	if n := l.Log.Keep; n < 1 || n > 1000 {
		return l.set.Errorf("log.keep", "must be 1 to 1000 files, not %d (the log would otherwise grow without end)", n)
	}
	if _, err := l.ExceptionDeadlines(); err != nil {
		return l.set.Errorf("exceptions.deadlines", "%v", err)
	}
	if _, _, err := l.BackupAt(); err != nil {
		return l.set.Errorf("backup.at", "%v", err)
	}
	if l.Backup.Keep < 1 {
		return l.set.Errorf("backup.keep", "must be at least 1, not %d", l.Backup.Keep)
	}
	if err := l.RetentionConfig().Check(); err != nil {
		return l.set.Errorf("retention.at", "%v", err)
	}
	return nil
}

// secret is the outlet's secret: from secret_file or secret, whichever was
// given at the higher level (a file wins a tie, as --secret-file did).
func (l *Loaded) secret() (string, error) {
	if l.Outlet.SecretFile == "" || l.set.Source("outlet.secret").Origin > l.set.Source("outlet.secret_file").Origin {
		return l.Outlet.Secret, nil
	}
	b, err := os.ReadFile(l.Outlet.SecretFile)
	if err != nil {
		return "", fmt.Errorf("read secret file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Keys loads this outlet's personal-data keys: from key_file or YZ_PII_KEY,
// whichever was given at the higher level; nil if neither was.
func (l *Loaded) Keys() (*pii.Keys, error) {
	fileSrc, envSrc := l.set.Source("pii.key_file"), l.set.Source("pii.key")
	switch {
	case l.PII.KeyFile != "" && fileSrc.Origin >= envSrc.Origin:
		return pii.LoadKey(l.PII.KeyFile, l.Outlet.ID)
	case l.PII.Key != "":
		return pii.LoadKeyEnv(l.Outlet.ID)
	}
	return nil, nil
}

// Print writes the effective settings with the source of each.
func (l *Loaded) Print(w io.Writer) error {
	return l.set.Print(w, "yizhan-agent run: effective settings")
}

// PrintRequested reports whether --print-config was given.
func (l *Loaded) PrintRequested() bool { return l.set.PrintRequested() }

// Source says where the setting at key came from.
func (l *Loaded) Source(key string) settings.Source { return l.set.Source(key) }

// LoadDevices reads only the devices from the file at path, for the
// devices and doctor commands: a .json file as before, else the TOML
// settings file, all of which must be right. No path means no devices.
func LoadDevices(path string) (peripherals.Config, error) {
	if path == "" || strings.HasSuffix(path, ".json") {
		return peripherals.LoadConfig(path)
	}
	s, err := LoadFile(path)
	return s.Devices, err
}

// LoadFile reads the TOML settings file at path over the defaults, with
// no flags and no environment, for the commands that work beside "run"
// (backup, restore, doctor) and find the data directory there.
func LoadFile(path string) (Settings, error) {
	l, err := bind(flag.NewFlagSet("settings", flag.ContinueOnError))
	if err != nil {
		return Settings{}, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Settings{}, fmt.Errorf("read settings file: %w", err)
	}
	if err := l.loadBytes(path, data, nil); err != nil {
		return Settings{}, err
	}
	return l.Settings, nil
}

// Load reads the settings file at path and the environment, as run would
// with no flags, for commands that check a configured agent (doctor): a
// .json file gives only its devices; no path gives the defaults and the
// environment. The secret is read from secret_file when that is the one in
// force. Nothing is required: the caller says what it lacks.
func Load(path string, lookupEnv func(string) (string, bool)) (*Loaded, error) {
	l, err := bind(flag.NewFlagSet("load", flag.ContinueOnError))
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasSuffix(path, ".json"):
		if err := l.set.Load("", nil, lookupEnv); err != nil {
			return nil, err
		}
		if l.Devices, err = peripherals.LoadConfig(path); err != nil {
			return nil, err
		}
	case path != "":
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read settings file: %w", err)
		}
		if err := l.loadBytes(path, data, lookupEnv); err != nil {
			return nil, err
		}
	default:
		if err := l.set.Load("", nil, lookupEnv); err != nil {
			return nil, err
		}
	}
	if l.Outlet.Secret, err = l.secret(); err != nil {
		return nil, err
	}
	return l, nil
}
