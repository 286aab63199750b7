// Command yizhan-agent runs on an outlet PC: it records scans durably and
// syncs them with the hub.
//
//	yizhan-agent run --data DIR --outlet ID --secret S --broker tcp://host:port --http ADDR
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/agent/server"
	"github.com/yizhan/yizhan/agent/staff"
)

const usage = `yizhan-agent: the outlet agent of Yizhan (驿站)

Usage:
  yizhan-agent run --data DIR --outlet ID --secret S --broker tcp://host:port [--http ADDR] [--config FILE]
  yizhan-agent devices list [--config FILE]
  yizhan-agent devices test-scan NAME --config FILE [--count N]
  yizhan-agent devices test-print NAME --config FILE
  yizhan-agent doctor [--config FILE] [--data DIR]
  yizhan-agent keygen --out FILE      (the personal-data key; keep it outside --data)
  yizhan-agent staff add|list|remove --data DIR [--id ID --name NAME --role clerk|supervisor --pin PIN]

Run "yizhan-agent run -h" for all flags. The config file's "devices"
section lists scanners, printers and scales (see deploy/agent.sample.json).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stderr)
	case "devices":
		return cmdDevices(args[1:], stdout, stderr)
	case "doctor":
		return cmdDoctor(args[1:], stdout, stderr)
	case "keygen":
		return cmdKeygen(args[1:], stdout, stderr)
	case "staff":
		return staff.Command(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
	return 2
}

func cmdRun(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg server.Config
	var logFormat, secretFile string
	fs.StringVar(&cfg.DataDir, "data", "", "data directory (required)")
	fs.StringVar(&cfg.Outlet, "outlet", "", "this outlet's id, as registered at the hub (required)")
	fs.StringVar(&cfg.Secret, "secret", os.Getenv("YZ_SECRET"), "this outlet's secret (or env YZ_SECRET, or --secret-file)")
	fs.StringVar(&secretFile, "secret-file", "", "file holding the outlet's secret")
	fs.StringVar(&cfg.Broker, "broker", "tcp://127.0.0.1:1883", "MQTT broker URL")
	fs.StringVar(&cfg.HTTPAddr, "http", "127.0.0.1:8080", "address of the local API")
	fs.StringVar(&logFormat, "log-format", "json", "log format: json or text")
	fs.DurationVar(&cfg.ClockOffset, "clock-offset", 0, "shift the PC clock as the agent sees it (drills only), e.g. -6h")
	configFile := fs.String("config", "", "agent config file (JSON) with the devices section")
	keyFile := fs.String("pii-key-file", "", "file with the personal-data key (32 random bytes, base64; or env YZ_PII_KEY); never inside --data")
	fs.IntVar(&cfg.Workflow.HoldDays, "hold-days", 7, "days a parcel is held for pickup before it goes back")
	fs.DurationVar(&cfg.Workflow.SLA.FirstReply, "sla-first-reply", 24*time.Hour, "complaints: first reply within")
	fs.DurationVar(&cfg.Workflow.SLA.Result, "sla-result", 7*24*time.Hour, "complaints: result within")
	fs.StringVar(&cfg.NotifyWebhook, "notify-webhook", "", "URL that receives recipient notifications as JSON (default: log only)")
	fs.DurationVar(&cfg.Sync.AckTimeout, "ack-timeout", 0, "resend from the cursor after this long without hub acknowledgement (default 20s)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case *keyFile != "":
		k, err := pii.LoadKey(*keyFile)
		if err != nil {
			fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
			return 2
		}
		cfg.Keys = k
	case os.Getenv("YZ_PII_KEY") != "":
		k, err := pii.LoadKeyEnv()
		if err != nil {
			fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
			return 2
		}
		cfg.Keys = k
	}
	devs, err := peripherals.LoadConfig(*configFile)
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 2
	}
	cfg.Devices = devs
	if secretFile != "" {
		b, err := os.ReadFile(secretFile)
		if err != nil {
			fmt.Fprintf(stderr, "read secret file: %v\n", err)
			return 2
		}
		cfg.Secret = strings.TrimSpace(string(b))
	}
	var missing []string
	for name, v := range map[string]string{"--data": cfg.DataDir, "--outlet": cfg.Outlet, "--secret": cfg.Secret} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		fmt.Fprintf(stderr, "missing %s\n", strings.Join(missing, ", "))
		fs.Usage()
		return 2
	}
	var h slog.Handler
	switch logFormat {
	case "json":
		h = slog.NewJSONHandler(stderr, nil)
	case "text":
		h = slog.NewTextHandler(stderr, nil)
	default:
		fmt.Fprintf(stderr, "--log-format must be json or text, not %q\n", logFormat)
		return 2
	}
	cfg.Logger = slog.New(h).With("outlet", cfg.Outlet)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a, err := server.Start(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 1
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
	configFile := fs.String("config", "", "agent config file (JSON)")
	count := fs.Int("count", 0, "test-scan: stop after this many reads (0: until Ctrl-C)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := peripherals.LoadConfig(*configFile)
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
	configFile := fs.String("config", "", "agent config file (JSON)")
	dataDir := fs.String("data", "", "data directory to check")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := peripherals.LoadConfig(*configFile)
	if err != nil {
		fmt.Fprintf(stdout, "[有问题 / problem] config: %v\n", err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if peripherals.Doctor(ctx, stdout, cfg, *dataDir) > 0 {
		return 1
	}
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
	fmt.Fprintf(stdout, "个人信息密钥已生成 / personal-data key written to %s: give the same file to every outlet and the hub, keep a copy offline\n", *out)
	return 0
}
