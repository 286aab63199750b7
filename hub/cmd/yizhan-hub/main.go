// Command yizhan-hub is the head-office hub: it embeds an MQTT broker (or
// joins an external one), stores every outlet's events and serves the
// head-office API.
//
//	yizhan-hub run [--config hub.toml] [--data DIR --http ADDR] [--mqtt-listen ADDR | --broker URL] [--store URL] [--api-token T]
//	               [--sla-first-reply 24h] [--sla-result 168h] [--sweep-every 1m] [--print-config]
//	yizhan-hub outlet add --data DIR --id ID [--secret S] [--rotate] [--region R] [--city C]
//	yizhan-hub outlet set --data DIR --id ID [--region R] [--city C]
//	yizhan-hub outlet list --data DIR
//	yizhan-hub outlet key --master FILE --id ID --out FILE [--legacy]
//	yizhan-hub outlet new-incarnation --data DIR --id ID [--incarnation INC]
//	yizhan-hub user add|list|disable|enable|reset|unlock --data DIR [--id ID ...]  (user.go)
//	yizhan-hub certs ca|server|outlet|list|show  (certs.go)
//	yizhan-hub retention --data DIR [--personal-days N] [--dry-run]  (retention.go)
//
// Every run setting can be given in the TOML file (deploy/hub.sample.toml) or
// by flag; a flag wins over the file. --print-config shows the result.
//
// YIZHAN_CPUPROFILE=FILE in the environment of "run" writes a CPU profile of
// the run to FILE when the program stops on SIGINT or SIGTERM.
//
// Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/yizhan/yizhan/hub/config"
	"github.com/yizhan/yizhan/hub/server"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/settings"
)

const usage = `usage:
  yizhan-hub run [--config hub.toml] [--data DIR] [--http ADDR] [--mqtt-listen ADDR | --broker URL] [--store URL] [--api-token T]
                 [--sla-first-reply 24h] [--sla-result 168h] [--sweep-every 1m] [--print-config]
  yizhan-hub outlet add --data DIR --id ID [--secret S] [--rotate] [--region R] [--city C]
  yizhan-hub outlet set --data DIR --id ID [--region R] [--city C]
  yizhan-hub outlet list --data DIR
  yizhan-hub outlet key --master FILE --id ID --out FILE [--legacy]
  yizhan-hub outlet new-incarnation --data DIR --id ID [--incarnation INC]
  yizhan-hub user add --data DIR --id ID --name NAME --role admin|service|emergency|analyst|auditor [--password-file FILE|-]
  yizhan-hub user list --data DIR
  yizhan-hub user disable|enable|unlock --data DIR --id ID
  yizhan-hub user reset --data DIR --id ID [--password-file FILE|-]
  yizhan-hub certs ca|server|outlet|list|show ...   (yizhan-hub certs for the flags)
  yizhan-hub retention --data DIR [--personal-days N] [--dry-run]   (also --store URL or --config FILE)
Run "yizhan-hub run -h" or "yizhan-hub outlet add -h" for the flags. Every run
setting can also go in the TOML settings file (see deploy/hub.sample.toml).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// usageError is a mistake in the command line; withUsage also prints the
// commands, for when the mistake is not knowing them.
type usageError struct {
	msg       string
	withUsage bool
}

func (e usageError) Error() string { return e.msg }

func run(args []string, stdout, stderr io.Writer) int {
	err := dispatch(args, stdout, stderr)
	var ue usageError
	var ce *server.ConfigError
	var fe *settings.UsageError // already on stderr with the usage
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &fe):
		return 2
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "yizhan-hub: %s\n", err)
		if ue.withUsage {
			fmt.Fprint(stderr, usage)
		}
		return 2
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "yizhan-hub: %s\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "yizhan-hub: %s\n", err)
	return 1
}

func dispatch(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"a command is required", true}
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "outlet":
		if len(args) < 2 {
			return usageError{"outlet: say add, set, list, key or new-incarnation", true}
		}
		switch args[1] {
		case "add":
			return cmdOutletAdd(args[2:], stdout, stderr)
		case "set":
			return cmdOutletSet(args[2:], stdout, stderr)
		case "list":
			return cmdOutletList(args[2:], stdout, stderr)
		case "key":
			return cmdOutletKey(args[2:], stdout, stderr)
		case "new-incarnation":
			return cmdOutletNewIncarnation(args[2:], stdout, stderr)
		}
		return usageError{fmt.Sprintf("unknown command: outlet %s", args[1]), true}
	case "user":
		return cmdUser(args[1:], stdout, stderr)
	case "certs":
		return cmdCerts(args[1:], stdout, stderr)
	case "retention":
		return cmdRetention(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command: %s", args[0]), true}
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func cmdRun(args []string, stdout, stderr io.Writer) error {
	c, err := config.Parse(args, os.LookupEnv, stderr)
	if fe := (*settings.UsageError)(nil); errors.As(err, &fe) {
		return err
	} else if err != nil {
		return usageError{msg: err.Error()}
	}
	if c.PrintRequested() {
		return c.Print(stdout)
	}
	if err := c.Check(); err != nil {
		return usageError{msg: err.Error()}
	}
	log, err := c.Logger(stderr)
	if err != nil {
		return usageError{msg: err.Error()}
	}
	deadlines, err := c.ExceptionDeadlines()
	if err != nil {
		return usageError{msg: err.Error()}
	}
	loc, err := c.Location()
	if err != nil {
		return usageError{msg: err.Error()}
	}
	var master []byte
	if c.Customers.MasterKeyFile != "" {
		if master, err = readMaster(c.Customers.MasterKeyFile); err != nil {
			return usageError{msg: "customers.master_key_file: " + err.Error()}
		}
	}
	proxies, err := c.HTTP.Proxies()
	if err != nil {
		return usageError{msg: "http.trusted_proxies: " + err.Error()}
	}
	cfg := server.Config{MasterKey: master, CustomerWindowDays: c.Customers.WindowDays, SurveyURL: c.Surveys.PublicURL, DataDir: c.Data.Dir, MinFreeMB: c.Data.MinFreeMB, HTTPAddr: c.HTTP.Addr, APIToken: c.HTTP.APIToken,
		MQTTListen: c.MQTT.Listen, MQTTTLS: c.MQTT.BrokerTLS(), MQTTAllowPlain: c.MQTT.AllowPlain, BrokerCAFile: c.MQTT.BrokerCA, BrokerURL: c.MQTT.Broker, ClientID: c.MQTT.ClientID, StoreURL: c.Store.URL,
		SLA: lifecycle.SLA{FirstReply: c.Complaints.FirstReply, Result: c.Complaints.Result}, SweepEvery: c.Timers.SweepEvery,
		ExceptionDeadlines: deadlines, WaybillBlock: c.Waybills.Block, MaxSkew: c.Clock.MaxSkew, Logger: log,
		IngestMemory: int64(c.Ingest.MemoryMiB) << 20, OutletShare: int64(c.Ingest.OutletShareMiB) << 20, OutletHandlers: c.Ingest.OutletHandlers,
		SyncWindow: uint64(c.Sync.Window), HTTPNames: c.HTTP.HostNames(), TrustedProxies: proxies, SessionIdle: c.Accounts.SessionIdle, SessionLifetime: c.Accounts.SessionLifetime, Location: loc,
		Retention: c.RetentionConfig(), PerClerkHour: c.Forecast.ParcelsPerClerkHour, Hours: c.Forecast.WeekdayHours(),
		Gateway: server.GatewayConfig{Webhook: c.Gateway.Webhook, Token: c.Gateway.Token, Timeout: c.Gateway.Timeout, MaxAttempts: c.Gateway.MaxAttempts, MaxPerOutlet: c.Gateway.MaxPerOutlet},
		IMAP:    c.Channels.IMAP}
	if cfg.IMAP.Addr != "" {
		pw, err := os.ReadFile(cfg.IMAP.PasswordFile)
		if err != nil {
			return usageError{msg: "channels.imap.password_file: " + err.Error()}
		}
		cfg.IMAP.Password = strings.TrimRight(string(pw), "\r\n")
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		// The uplink's memory is bounded by its budget; a soft limit a
		// little above it keeps the garbage collector from letting the
		// heap grow to twice that under a flood.
		// Connected outlets add theirs: with 10,000 idle ones a fixed
		// limit kept the collector running on a third of a core.
		base := cfg.IngestMemory + memoryHeadroom
		debug.SetMemoryLimit(base)
		cfg.OnBrokerClients = func(n int64) { debug.SetMemoryLimit(base + n*memoryPerClient) }
	}
	stopProfile, err := startCPUProfile()
	if err != nil {
		return usageError{msg: err.Error()}
	}
	defer stopProfile()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return server.Run(ctx, cfg)
}

// memoryHeadroom is what the hub needs beside its ingest budget: the
// runtime, the API, the broker's connections, SQLite's caches.
const memoryHeadroom = 64 << 20

// memoryPerClient is what the soft memory limit allows each outlet
// connected to the embedded broker: an idle one holds 35–60 KB
// (docs/BENCHMARKS.md, "Idle outlets at the embedded broker").
const memoryPerClient = 64 << 10

func openStore(dataDir, storeURL string, stderr io.Writer) (store.Store, error) {
	if dataDir == "" && storeURL == "" {
		return nil, usageError{msg: "--data DIR is required"}
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	if dataDir != "" {
		if err := server.PrivateDataDir(dataDir, log); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return server.OpenStore(ctx, server.Config{DataDir: dataDir, StoreURL: storeURL, Logger: log})
}

func cmdOutletAdd(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("outlet add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the hub's data directory (works while the hub runs)")
	storeURL := fs.String("store", "", "store URL: sqlite:///path/hub.db or postgres://user:password@host:5432/database (default sqlite://DIR/hub.db)")
	id := fs.String("id", "", "outlet id: letters, digits, '-' and '_' (e.g. SH-001)")
	secret := fs.String("secret", "", fmt.Sprintf("the outlet's secret, at least %d characters (default: generate 32 random bytes, base64url)", store.MinSecretLen))
	rotate := fs.Bool("rotate", false, "replace the secret of an outlet that is already registered")
	pf := placeFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := syncproto.ValidOutletID(*id); err != nil {
		return usageError{msg: "--id: " + err.Error()}
	}
	place, err := pf.place(fs)
	if err != nil {
		return err
	}
	if *secret == "" {
		s, err := store.NewSecret()
		if err != nil {
			return fmt.Errorf("generate secret: %w", err)
		}
		*secret = s
	} else if err := store.CheckSecretStrength(*secret); err != nil {
		return usageError{msg: "--secret: " + err.Error()}
	}
	st, err := openStore(*dataDir, *storeURL, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	hash, err := store.HashSecret(*secret)
	if err != nil {
		return fmt.Errorf("hash secret: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.AddOutlet(ctx, *id, hash, *rotate); err != nil {
		if errors.Is(err, store.ErrExists) {
			return fmt.Errorf("outlet %s is already registered; pass --rotate to give it a new secret", *id)
		}
		return err
	}
	if place.Region != nil || place.City != nil {
		if _, err := st.SetPlace(ctx, *id, place); err != nil {
			return err
		}
	}
	// Only the secret on stdout, so scripts can capture it.
	fmt.Fprintln(stdout, *secret)
	return nil
}

// cmdOutletNewIncarnation lets a replaced PC's fresh data directory sync:
// the hub refuses a second incarnation of an outlet it holds events of until
// head office says the old data directory is gone for good.
func cmdOutletNewIncarnation(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("outlet new-incarnation", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the hub's data directory (works while the hub runs)")
	storeURL := fs.String("store", "", "store URL: sqlite:///path/hub.db or postgres://user:password@host:5432/database (default sqlite://DIR/hub.db)")
	id := fs.String("id", "", "the outlet whose PC or data directory was replaced")
	inc := fs.String("incarnation", "", "take only this data directory (the incarnation in its agent's GET /api/v1/sync); default: the next one that starts at seq 1")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := syncproto.ValidOutletID(*id); err != nil {
		return usageError{msg: "--id: " + err.Error()}
	}
	if err := syncproto.CheckIncarnation(*inc); err != nil {
		return usageError{msg: "--incarnation: " + err.Error()}
	}
	st, err := openStore(*dataDir, *storeURL, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o, err := st.StartIncarnation(ctx, *id, *inc)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("outlet %s is not registered: add it with yizhan-hub outlet add", *id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "outlet %s: incarnation %d started; its earlier events stay. The agent now syncs from seq 1 of its data directory.\n", o.ID, o.Epoch)
	return nil
}

// placeFlagValues are --region and --city, which outlet add and outlet
// set take.
type placeFlagValues struct{ region, city *string }

func placeFlags(fs *flag.FlagSet) placeFlagValues {
	return placeFlagValues{
		region: fs.String("region", "", fmt.Sprintf("the outlet's region, e.g. 华东 (at most %d characters; \"\" clears it)", store.MaxPlaceLen)),
		city:   fs.String("city", "", fmt.Sprintf("the outlet's city, e.g. 上海 (at most %d characters; \"\" clears it)", store.MaxPlaceLen)),
	}
}

// place is the flags given (only those set), checked.
func (v placeFlagValues) place(fs *flag.FlagSet) (store.Place, error) {
	var p store.Place
	var err error
	fs.Visit(func(f *flag.Flag) {
		if err != nil {
			return
		}
		var s string
		switch f.Name {
		case "region":
			if s, err = store.CheckPlace("region", *v.region); err == nil {
				p.Region = &s
			}
		case "city":
			if s, err = store.CheckPlace("city", *v.city); err == nil {
				p.City = &s
			}
		}
		if err != nil {
			err = usageError{msg: "--" + f.Name + ": " + err.Error()}
		}
	})
	return p, err
}

// cmdOutletSet changes an outlet's region or city, which notices to a
// region and the measures group by.
func cmdOutletSet(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("outlet set", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the hub's data directory (works while the hub runs)")
	storeURL := fs.String("store", "", "store URL: sqlite:///path/hub.db or postgres://user:password@host:5432/database (default sqlite://DIR/hub.db)")
	id := fs.String("id", "", "the outlet to change")
	pf := placeFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := syncproto.ValidOutletID(*id); err != nil {
		return usageError{msg: "--id: " + err.Error()}
	}
	place, err := pf.place(fs)
	if err != nil {
		return err
	}
	if place.Region == nil && place.City == nil {
		return usageError{msg: "outlet set: give --region, --city or both"}
	}
	st, err := openStore(*dataDir, *storeURL, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	o, err := st.SetPlace(ctx, *id, place)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("outlet %s is not registered: add it with yizhan-hub outlet add", *id)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "outlet %s: region %q, city %q\n", o.ID, o.Region, o.City)
	return nil
}

func cmdOutletList(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("outlet list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the hub's data directory")
	storeURL := fs.String("store", "", "store URL: sqlite:///path/hub.db or postgres://user:password@host:5432/database (default sqlite://DIR/hub.db)")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(*dataDir, *storeURL, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	os, err := st.Outlets(context.Background())
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tACKED_SEQ\tLAST_SEEN\tDOWN_CURSOR\tDEAD_LETTERS\tCREDENTIALS\tEPOCH\tINCARNATION\tHELD\tCONFLICTS\tREGION\tCITY\tBACKLOG")
	for _, o := range os {
		seen := "never"
		if o.LastSeen != nil {
			seen = o.LastSeen.Format(time.RFC3339)
		}
		cred := "yes"
		if !o.HasSecret {
			cred = "no (external broker)"
		}
		inc := o.Incarnation
		if inc == "" {
			inc = "-"
		}
		backlog := "-"
		if o.Backlog != nil {
			backlog = fmt.Sprint(*o.Backlog)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%s\t%d\t%s\t%d\t%d\t%s\t%s\t%s\n", o.ID, o.AckedSeq, seen, o.DownCursor, o.DeadLetters, cred, o.Epoch, inc, o.Held, o.Conflicts,
			dashIfEmpty(o.Region), dashIfEmpty(o.City), backlog)
	}
	return tw.Flush()
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
