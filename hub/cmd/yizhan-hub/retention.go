package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/yizhan/yizhan/hub/config"
	"github.com/yizhan/yizhan/hub/retention"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// cmdRetention purges personal data once by hand, as the running hub does
// daily: the store is shared, so it works while the hub runs.
//
//	yizhan-hub retention --data DIR|--store URL|--config hub.toml [--personal-days N] [--dry-run]
func cmdRetention(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the hub's data directory (works while the hub runs)")
	storeURL := fs.String("store", "", "store URL: sqlite:///path/hub.db or postgres://user:password@host:5432/database (default sqlite://DIR/hub.db)")
	cfgFile := fs.String("config", "", "the hub's settings file, for data.dir, store.url and [retention]")
	days := fs.Int("personal-days", 0, "override [retention] personal_days")
	dry := fs.Bool("dry-run", false, "say what would be purged, and change nothing")
	if err := parse(fs, args); err != nil {
		return err
	}
	s := config.Defaults()
	if *cfgFile != "" {
		l, err := config.Parse([]string{"--config", *cfgFile}, os.LookupEnv, stderr)
		if err != nil {
			return usageError{msg: err.Error()}
		}
		s = l.Settings
		if *dataDir == "" {
			*dataDir = l.Data.Dir
		}
		if *storeURL == "" {
			*storeURL = l.Store.URL
		}
	}
	cfg := s.RetentionConfig()
	if *days != 0 {
		cfg.PersonalDays = *days
	}
	if err := cfg.Check(); err != nil {
		return usageError{msg: err.Error()}
	}
	if cfg.PersonalDays < 0 {
		fmt.Fprintln(stdout, "个人信息清除已关闭 / the personal-data purge is off ([retention] personal_days = -1)")
		return nil
	}
	st, err := openStore(*dataDir, *storeURL, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep, err := retention.Run(ctx, st, clock.System, cfg, *dry)
	if err != nil {
		return err
	}
	retention.Print(stdout, rep, cfg.PersonalDays, *dry)
	return nil
}
