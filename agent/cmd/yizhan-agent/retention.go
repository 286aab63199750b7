package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/yizhan/yizhan/agent/config"
	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/retention"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// cmdRetention runs retention once by hand. The running agent holds the
// data file's lock and runs it daily itself, so this refuses while it
// runs, as salvage and doctor do. A run that removed personal data
// compacts the file, so the removed bytes leave the disk too.
func cmdRetention(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", "", "agent settings file (TOML): its [retention] section and data.dir")
	dataDir := fs.String("data", "", "data directory (overrides the file's data.dir)")
	dry := fs.Bool("dry-run", false, "say what would be removed, and change nothing")
	eventsDays := fs.Int("events-days", 0, "override [retention] events_days")
	personalDays := fs.Int("personal-days", 0, "override [retention] personal_days")
	shift := fs.Duration("clock-offset", 0, "shift the PC clock as retention sees it (drills and tests only), e.g. 2400h")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	s := config.Defaults()
	if *configFile != "" {
		l, cerr := config.Parse([]string{"--config", *configFile}, os.LookupEnv, io.Discard)
		if cerr != nil {
			fmt.Fprintf(stderr, "yizhan-agent: %v\n", cerr)
			return 2
		}
		s = l.Settings
	}
	if *dataDir != "" {
		s.Data.Dir = *dataDir
	}
	if s.Data.Dir == "" {
		fmt.Fprintln(stderr, "retention needs --data DIR (or --config FILE with data.dir)")
		return 2
	}
	cfg := s.RetentionConfig()
	if *eventsDays != 0 {
		cfg.EventsDays = *eventsDays
	}
	if *personalDays != 0 {
		cfg.PersonalDays = *personalDays
	}
	if err := cfg.Check(); err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 2
	}
	f, err := datafile.Open(s.Data.Dir, datafile.Options{})
	if errors.Is(err, datafile.ErrInUse) {
		fmt.Fprintf(stderr, "yizhan-agent: the agent is running on %s and runs retention itself every day at %s; stop it to run retention by hand\n", s.Data.Dir, cfg.At)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 1
	}
	if f.Outlet() == "" {
		f.Close()
		fmt.Fprintf(stderr, "yizhan-agent: %s belongs to no outlet yet: nothing to do\n", s.Data.Dir)
		return 1
	}
	log, err := eventlog.Open(f, eventlog.Options{})
	if err != nil {
		f.Close()
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		return 1
	}
	// Head office's time as last seen, so a PC clock set ahead does not
	// purge early.
	clk := clock.Offset(clock.System, *shift)
	if off, ok := log.HubOffset(); ok && off > -1e12 && off < 1e12 {
		clk = clock.Offset(clk, time.Duration(off)*time.Millisecond)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := retention.Run(ctx, f, log, clk, cfg, *dry)
	log.Close()
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: retention: %v\n", err)
		return 1
	}
	rep.Print(stdout)
	if !*dry && (rep.Personal.Values > 0 || rep.Personal.Photos > 0 || rep.Events.Events > 0) {
		before, after, err := datafile.Compact(s.Data.Dir)
		if err != nil {
			fmt.Fprintf(stderr, "yizhan-agent: compact the data file: %v (what was removed stays removed; run retention again to compact)\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "数据文件已压缩 / data file compacted: %d → %d bytes\n", before, after)
	}
	return 0
}
