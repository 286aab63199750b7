// Command yizhan-agent runs on an outlet PC: it records scans durably and
// syncs them with the hub.
//
//	yizhan-agent run [--config agent.toml] [--data DIR --outlet ID --secret S --broker tcp://host:port --http ADDR]
//
// Every run setting can be given in the TOML file (deploy/agent.sample.toml),
// by environment variable where one exists, or by flag; a flag wins over the
// environment, which wins over the file. --print-config shows the result.
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
	"strings"
	"syscall"
	"time"

	"github.com/yizhan/yizhan/agent/config"
	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/doctor"
	"github.com/yizhan/yizhan/agent/logfile"
	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/agent/server"
	"github.com/yizhan/yizhan/agent/service"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/agent/staff/tokens"
	"github.com/yizhan/yizhan/syncproto/settings"
)

const usage = `yizhan-agent: the outlet agent of Yizhan (驿站)

Usage:
  yizhan-agent run [--config agent.toml] [--data DIR --outlet ID --secret S --broker tcp://host:port --http ADDR] [--print-config]
  yizhan-agent config migrate --from agent.json --to agent.toml
  yizhan-agent devices list [--config FILE]
  yizhan-agent devices test-scan NAME --config FILE [--count N]
  yizhan-agent devices test-print NAME --config FILE
  yizhan-agent doctor [--config FILE] [--data DIR] [--lang zh|en] [--timeout 5s]
  yizhan-agent salvage --data DIR --to NEWDIR   (a damaged agent.db: copy what can be read into NEWDIR)
  yizhan-agent service install [--config FILE] | uninstall | start | stop | status
                      (Windows: the YizhanAgent service; on Linux, systemd's unit)
  yizhan-agent backup [--config FILE | --data DIR] [--to DIR]   (a checked copy, also while the agent runs)
  yizhan-agent restore --from FILE [--config FILE | --data DIR] [--outlet ID] [--force]   (the agent stopped)
  yizhan-agent retention --data DIR [--config FILE] [--dry-run]
                      (prune acknowledged events and purge old personal data now, with the agent stopped;
                       the running agent does it daily at [retention] at)
  yizhan-agent keygen --out FILE      (the personal-data key; keep it outside --data)
  yizhan-agent staff add|list|remove|disable|enable|unlock|pin --data DIR [--id ID --name NAME --role clerk|supervisor --pin PIN]
                      (while the agent runs, through it; it says which)
  yizhan-agent token add|list|revoke --data DIR [--name NAME --scope scans|read[,...]]
                      (API tokens for local integrations; through a running agent too)

Run "yizhan-agent run -h" for all flags. Every run setting can also go in
the TOML settings file (see deploy/agent.sample.toml): flags override the
environment, which overrides the file. Its [devices] section lists scanners,
printers and scales; an older JSON file (deploy/agent.sample.json) still loads.
`

func main() {
	if service.Running() {
		os.Exit(runService())
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "config":
		return config.Command(args[1:], stdout, stderr)
	case "devices":
		return cmdDevices(args[1:], stdout, stderr)
	case "doctor":
		return cmdDoctor(args[1:], stdout, stderr)
	case "keygen":
		return cmdKeygen(args[1:], stdout, stderr)
	case "salvage":
		return cmdSalvage(args[1:], stdout, stderr)
	case "service":
		return service.Command(args[1:], stdout, stderr)
	case "backup":
		return cmdBackup(args[1:], stdout, stderr)
	case "restore":
		return cmdRestore(args[1:], stdout, stderr)
	case "retention":
		return cmdRetention(args[1:], stdout, stderr)
	case "staff":
		return staff.Command(args[1:], stdout, stderr)
	case "token":
		return tokens.Command(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
	return 2
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runAgent(ctx, args, stdout, stderr, runOptions{})
}

// runOptions are what a run under the Windows service manager differs in.
type runOptions struct {
	service bool   // no console: the log goes to the installation's file unless [log] file names one
	ready   func() // called once the agent serves
}

// runAgent is "run" until ctx ends (SIGINT or SIGTERM, or the service
// manager's Stop), then the graceful stop.
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer, opts runOptions) int {
	c, err := config.Parse(args, os.LookupEnv, stderr)
	if err != nil {
		if ue := (*settings.UsageError)(nil); !errors.As(err, &ue) {
			fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		}
		return 2
	}
	if c.PrintRequested() {
		if err := c.Print(stdout); err != nil {
			fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
			return 1
		}
		return 0
	}
	if err := c.Check(); err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 2
	}
	keys, err := c.Keys()
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 2
	}
	cfg := server.Config{DataDir: c.Data.Dir, MinFreeMB: c.Data.MinFreeMB, Outlet: c.Outlet.ID, Secret: c.Outlet.Secret, Broker: c.Sync.Broker,
		HTTPAddr: c.HTTP.Addr, AllowedHosts: c.AllowedHosts(), ClockOffset: c.Outlet.ClockOffset, ClockAt: c.Outlet.ClockAt, MaxClockSkew: c.Sync.MaxClockSkew, Devices: c.Devices, Keys: keys,
		NotifyWebhook: c.Counter.NotifyWebhook, Retention: c.RetentionConfig()}
	cfg.Sync.AckTimeout = c.Sync.AckTimeout
	cfg.Sync.TLS, cfg.Sync.AllowPlain = c.Sync.TLS(), c.Sync.AllowPlain
	cfg.Workflow.HoldDays = c.Counter.HoldDays
	cfg.Workflow.SLA.FirstReply, cfg.Workflow.SLA.Result = c.Complaints.FirstReply, c.Complaints.Result
	cfg.Backup.Dir, cfg.Backup.Keep = c.Backup.Dir, c.Backup.Keep
	if cfg.Backup.Hour, cfg.Backup.Minute, err = c.BackupAt(); err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 2
	}
	if cfg.ProgressURL, err = c.ProgressURL(); err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 2
	}
	if cfg.Workflow.Deadlines, err = c.ExceptionDeadlines(); err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 2
	}
	if p, ok := config.Installed(); ok && opts.service && c.Log.File == "" {
		c.Log.File = p.LogFile
	}
	logOut, err := logfile.Open(logfile.Options{File: c.Log.File, MaxMB: c.Log.MaxMB, Keep: c.Log.Keep}, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 2
	}
	defer logOut.Close()
	h := slog.Handler(slog.NewJSONHandler(logOut, nil))
	if c.Log.Format == "text" {
		h = slog.NewTextHandler(logOut, nil)
	}
	cfg.Logger = slog.New(h).With("outlet", cfg.Outlet)
	stopProfile, err := startCPUProfile()
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 2
	}
	defer stopProfile()
	a, err := server.Start(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 1
	}
	if opts.ready != nil {
		opts.ready()
	}
	<-ctx.Done()
	cfg.Logger.Info("shutting down")
	done := make(chan error, 1)
	go func() { done <- a.Close() }()
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintf(stderr, "yizhan-agent: close: %v\n", err)
			return 1
		}
	case <-time.After(15 * time.Second):
		fmt.Fprintln(stderr, "yizhan-agent: shutdown took too long; exiting (every acknowledged scan is already on disk)")
		return 1
	}
	return 0
}

func cmdDevices(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	sub, args := args[0], args[1:]
	var name string
	if sub == "test-scan" || sub == "test-print" {
		if len(args) == 0 || strings.HasPrefix(args[0], "-") {
			fmt.Fprintf(stderr, "devices %s needs a device NAME from the config\n", sub)
			return 2
		}
		name, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("devices "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "agent settings file (TOML, or the older JSON)")
	count := fs.Int("count", 0, "test-scan: stop after this many reads (0: until Ctrl-C)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := config.LoadDevices(*configFile)
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch sub {
	case "list":
		peripherals.List(stdout, cfg)
		return 0
	case "test-scan":
		err = peripherals.TestScan(ctx, stdout, cfg, name, *count)
	case "test-print":
		err = peripherals.TestPrint(ctx, stdout, cfg, name)
	default:
		fmt.Fprintf(stderr, "unknown devices command %q\n\n%s", sub, usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 1
	}
	return 0
}

func cmdDoctor(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "agent settings file (TOML, or the older JSON)")
	dataDir := fs.String("data", "", "data directory to check (default: data.dir of --config, or the platform's)")
	lang := fs.String("lang", "zh", "language of the report: zh or en")
	timeout := fs.Duration("timeout", 5*time.Second, "how long the broker may take to answer")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *lang != "zh" && *lang != "en" {
		fmt.Fprintf(stderr, "doctor: --lang must be zh or en, not %q\n", *lang)
		return 2
	}
	c, err := config.Load(*configFile, os.LookupEnv)
	if err != nil {
		fmt.Fprintf(stdout, "[有问题 / problem] config: %v\n", err)
		return 1
	}
	if *dataDir == "" {
		*dataDir = c.Data.Dir // the file's, or Windows' default
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	checks := doctor.Run(ctx, doctorOptions(c, *dataDir, *timeout))
	doctor.Print(stdout, checks, *lang)
	problems := peripherals.Doctor(ctx, stdout, c.Devices, *dataDir)
	if doctor.Failed(checks) || problems > 0 {
		return 1
	}
	fmt.Fprintln(stdout, map[string]string{"zh": "没有需要立即处理的问题", "en": "nothing needs fixing now"}[*lang])
	return 0
}

// doctorOptions are the doctor's checks' settings from the agent's.
func doctorOptions(c *config.Loaded, dataDir string, timeout time.Duration) doctor.Options {
	return doctor.Options{DataDir: dataDir, MinFreeMB: c.Data.MinFreeMB, Outlet: c.Outlet.ID, Secret: c.Outlet.Secret, Broker: c.Sync.Broker,
		TLS: c.Sync.TLS(), AllowPlain: c.Sync.AllowPlain, MaxClockSkew: c.Sync.MaxClockSkew, Timeout: timeout, BackupDir: c.Backup.Dir}
}

func cmdSalvage(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("salvage", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the data directory whose agent.db is damaged")
	to := fs.String("to", "", "a new directory for the salvaged agent.db")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *dataDir == "" || *to == "" {
		fmt.Fprintln(stderr, "salvage needs --data DIR and --to NEWDIR")
		return 2
	}
	rep, err := datafile.Salvage(*dataDir, *to)
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: salvage: %v\n", err)
		return 1
	}
	rep.Print(stdout)
	return 0
}

func cmdKeygen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "file to create (mode 0600); it must not exist")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" {
		fmt.Fprintln(stderr, "keygen needs --out FILE")
		return 2
	}
	if err := pii.GenerateKeyFile(*out); err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "个人信息主密钥已生成 / head office's personal-data master key written to %s: keep it at head office with a copy offline, and give each outlet its own key file (yizhan-hub outlet key --master %s --id ID --out FILE)\n", *out, *out)
	return 0
}
