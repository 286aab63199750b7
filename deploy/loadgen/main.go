// Command loadgen simulates thousands of outlets against a hub: each is the
// agent's own event log on a throwaway bbolt file and the agent's own sync
// client, a real MQTT client with its own credentials. Scans follow a daily
// curve (quiet at night, a morning and an afternoon peak), optionally
// multiplied (--peak 3 for Double 11), with time compressed by --speed;
// --profile storm cuts every outlet's link for --offline and lets the
// clients come back by their own backoff and jitter. Every second of the
// run goes into a CSV file and an SVG plot. The work is in
// deploy/loadgen/load, which benchmarks call directly.
//
// Against the hub's embedded broker, outlets are registered through the
// head-office API:
//
//	go run ./deploy/loadgen --hub http://127.0.0.1:8070 --api-token T --broker tcp://127.0.0.1:1883 --outlets 2000
//
// Against Mosquitto, write its password file and ACL first, start it with
// them, then run with the credentials file (with --api-token the hub
// learns the outlets too, under the same secrets):
//
//	go run ./deploy/loadgen --write-mosquitto DIR --outlets 2000 --hub-user hub --hub-secret S
//	go run ./deploy/loadgen --credentials DIR/outlets.csv --broker tcp://127.0.0.1:1883 --hub http://127.0.0.1:8070 --api-token T
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/yizhan/yizhan/deploy/loadgen/load"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type flags struct {
	broker, hub, token, creds, mosqDir, hubUser, hubSecret string
	prefix, shard, profile, dir, csv, svg, logLevel        string
	outlets, batchEvents, window, backlog                  int
	rate, peak, speed, startHour                           float64
	duration, stormAt, offline, returnWithin, ramp, drain  time.Duration
	pprof                                                  string
	keep, clientLogs                                       bool
}

func parseFlags(args []string, stderr io.Writer) (*flags, error) {
	f := &flags{}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `loadgen simulates outlets against a Yizhan hub, each with the agent's own
event log and sync client, and writes every second of the run to a CSV file and
an SVG plot.

Simulated time runs --speed times faster than real time: the curve, --duration,
--storm-at and --offline are simulated; --ramp, --return-within and --drain are
real. Each outlet holds two open files (its MQTT connection and its event log);
a process refuses more outlets than its open-files limit allows: split the run
with --shard.

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.broker, "broker", "tcp://127.0.0.1:1883", "MQTT broker the outlets connect to: the hub's embedded broker or Mosquitto")
	fs.StringVar(&f.hub, "hub", "http://127.0.0.1:8070", "the hub's head-office API, where outlets are registered (POST /api/v1/outlets); unused with --credentials")
	fs.StringVar(&f.token, "api-token", os.Getenv("YIZHAN_API_TOKEN"), "the hub's API token (default $YIZHAN_API_TOKEN; the hub keeps it in DIR/api-token)")
	fs.StringVar(&f.creds, "credentials", "", "read the outlets and their secrets from this file (id,secret,index lines, as --write-mosquitto writes) instead of having the hub generate them; with --api-token they are also registered at the hub under those secrets")
	fs.StringVar(&f.mosqDir, "write-mosquitto", "", "write a Mosquitto password file, ACL and outlets.csv for --outlets into this directory, then exit (start Mosquitto with password_file and acl_file naming them; it must be able to read them: as root set its 'user' option or chown them)")
	fs.StringVar(&f.hubUser, "hub-user", "hub", "with --write-mosquitto: the hub's own broker user, allowed all of yz/")
	fs.StringVar(&f.hubSecret, "hub-secret", "", "with --write-mosquitto: the hub's broker password (required)")
	fs.IntVar(&f.outlets, "outlets", 100, "how many outlets the whole run simulates (all shards together)")
	fs.StringVar(&f.prefix, "prefix", "LG", "outlet ids are PREFIX-00001, PREFIX-00002, ...")
	fs.StringVar(&f.shard, "shard", "0/1", "i/n: this process takes the outlets whose number modulo n is i (0/2 and 1/2 split a run over two processes; every process of a run gets the same --outlets)")
	fs.StringVar(&f.profile, "profile", "day", "day: the daily curve; storm: the curve with every outlet's link cut for --offline from --storm-at")
	fs.Float64Var(&f.rate, "rate", 0.05, "an outlet's mean scans a simulated second over a day (0.05 is about 4,300 a day)")
	fs.Float64Var(&f.peak, "peak", 1, "multiplies the whole curve: 3 for Double 11")
	fs.Float64Var(&f.speed, "speed", 60, "simulated seconds per real second (60: a day in 24 minutes)")
	fs.Float64Var(&f.startHour, "start-hour", 0, "time of day, in hours, at which the run starts")
	fs.DurationVar(&f.duration, "duration", 24*time.Hour, "how long the curve runs, in simulated time")
	fs.DurationVar(&f.stormAt, "storm-at", time.Hour, "with --profile storm: when the outage starts, in simulated time from the start")
	fs.DurationVar(&f.offline, "offline", time.Hour, "with --profile storm: how long every outlet is offline, in simulated time; scans keep filling their logs")
	fs.DurationVar(&f.returnWithin, "return-within", time.Minute, "with --profile storm: real time within which every outlet is back once the link returns; caps the sync client's backoff at 2/3 of it (it waits its backoff ±50%), so the spread is the client's own jitter; 0 keeps the client's 2-minute cap")
	fs.IntVar(&f.backlog, "backlog", 0, "scans each outlet's log holds before its sync client first starts, as an outage would have left them (e.g. 500 with --ramp 0 for a reconnect storm of full logs)")
	fs.DurationVar(&f.ramp, "ramp", 5*time.Second, "real time over which the outlets first start, evenly; 0 starts them all at once")
	fs.DurationVar(&f.drain, "drain", load.DefaultDrain, "real time to wait after the curve for the hub to acknowledge everything")
	fs.IntVar(&f.batchEvents, "batch-events", 0, "events per uplink batch (0: the sync client's default, 500)")
	fs.IntVar(&f.window, "window", 0, "uplink batches in flight (0: the sync client's default, 8)")
	fs.StringVar(&f.dir, "dir", "", "directory for the outlets' event logs (default: a temporary one)")
	fs.BoolVar(&f.keep, "keep", false, "keep the outlets' event logs after the run")
	fs.StringVar(&f.csv, "csv", "loadgen.csv", "where to write one row per second")
	fs.StringVar(&f.svg, "svg", "loadgen.svg", "where to write the plot of the run")
	fs.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&f.pprof, "pprof", "", "serve Go's profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6061, to see where the generator's CPU and memory go")
	fs.BoolVar(&f.clientLogs, "client-logs", false, "also log every sync client's own messages (every reconnect of every outlet)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: every setting is a flag (see --help)", fs.Arg(0))
	}
	switch f.profile {
	case "day", "storm":
	default:
		return nil, fmt.Errorf("--profile %q: want day or storm", f.profile)
	}
	if f.outlets < 1 {
		return nil, errors.New("--outlets must be at least 1")
	}
	return f, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	f, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.logLevel)); err != nil {
		fmt.Fprintln(stderr, "loadgen: --log-level:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := work(f, logger, stdout); err != nil {
		fmt.Fprintln(stderr, "loadgen:", err)
		return 1
	}
	return 0
}

func work(f *flags, logger *slog.Logger, stdout io.Writer) error {
	sh, err := load.ParseShard(f.shard)
	if err != nil {
		return err
	}
	if f.mosqDir != "" {
		if f.hubSecret == "" {
			return errors.New("--write-mosquitto needs --hub-secret, the hub's own broker password")
		}
		all, err := load.Outlets(f.prefix, f.outlets, load.Shard{})
		if err != nil {
			return err
		}
		mf, err := load.WriteMosquittoFiles(f.mosqDir, all, f.hubUser, f.hubSecret)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password_file %s\nacl_file %s\ncredentials %s (%d outlets)\n", mf.PasswordFile, mf.ACLFile, mf.Credentials, len(all))
		return nil
	}

	if f.pprof != "" {
		ln, err := net.Listen("tcp", f.pprof)
		if err != nil {
			return fmt.Errorf("--pprof: %w", err)
		}
		go http.Serve(ln, nil) // net/http/pprof registers on the default mux
		logger.Info("profiles served", "url", "http://"+ln.Addr().String()+"/debug/pprof/")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var outlets []load.Outlet
	if f.creds != "" {
		if outlets, err = load.ReadCredentials(f.creds, sh); err != nil {
			return err
		}
		if len(outlets) == 0 {
			return fmt.Errorf("%s holds no outlet of shard %s", f.creds, f.shard)
		}
		if f.token != "" {
			if err := load.Register(ctx, f.hub, f.token, outlets); err != nil {
				return err
			}
			logger.Info("outlets registered at the hub under the credentials file's secrets", "outlets", len(outlets))
		}
	} else {
		if outlets, err = load.Outlets(f.prefix, f.outlets, sh); err != nil {
			return err
		}
		if max := load.MaxOutlets(); len(outlets) > max {
			return &load.TooManyError{Asked: len(outlets), Max: max}
		}
		if f.token == "" {
			return errors.New("registering outlets at the hub needs --api-token (or $YIZHAN_API_TOKEN), or pass --credentials")
		}
		start := time.Now()
		if err := load.Register(ctx, f.hub, f.token, outlets); err != nil {
			return err
		}
		logger.Info("outlets registered at the hub", "outlets", len(outlets), "took", time.Since(start).Round(time.Millisecond))
	}
	opt := load.Options{
		Broker: f.broker, Outlets: outlets, Dir: f.dir, Keep: f.keep,
		Profile:  load.Profile{Rate: f.rate, Peak: f.peak, Speed: f.speed, StartHour: f.startHour},
		Duration: f.duration, Backlog: f.backlog, Ramp: f.ramp, Drain: f.drain, BatchEvents: f.batchEvents, Window: f.window,
		Logger: logger,
		OnSecond: func(s load.Second) {
			if s.T%10 == 0 {
				logger.Info("progress", "t_s", s.T, "acked_per_s", s.Acked, "backlog", s.Backlog, "p99_ms", s.P99.Milliseconds(),
					"connected", s.Connected, "connects_per_s", s.Connects, "errors_per_s", s.ConnectErrors, "link_down", s.LinkDown)
			}
		},
	}
	if f.clientLogs {
		opt.ClientLogger = logger
	}
	if f.profile == "storm" {
		opt.Storm = &load.Storm{At: f.stormAt, Offline: f.offline, ReturnWithin: f.returnWithin}
	}
	rep, runErr := load.Run(ctx, opt)
	if rep == nil {
		return runErr
	}
	if err := writeFile(f.csv, rep.WriteCSV); err != nil {
		return err
	}
	title := fmt.Sprintf("loadgen: %d outlets, %s profile, rate %g/s, peak ×%g, speed ×%g", len(outlets), f.profile, f.rate, f.peak, f.speed)
	if err := writeFile(f.svg, func(w io.Writer) error { return rep.WriteSVG(w, title) }); err != nil {
		return err
	}
	fmt.Fprint(stdout, rep.Summary())
	fmt.Fprintf(stdout, "csv %s\nsvg %s\n", f.csv, f.svg)
	if runErr != nil {
		return runErr
	}
	if !rep.Drained {
		return fmt.Errorf("%d of %d events were not acknowledged within --drain %v", rep.Appended-rep.Acked, rep.Appended, f.drain)
	}
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(out); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return out.Close()
}
