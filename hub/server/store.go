package server

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/postgres"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// openedStore is the store a --store URL names, with what the API asks of
// it beside the Store.
type openedStore struct {
	store.Store
	// busy says whether an error is the database locked by another
	// process (the API answers 503 store.busy); disk, if set, is
	// /readyz's check of the disk under it (reachability is the probe's).
	busy func(error) bool
	disk func() error
	// unreachable turns an error that says the store could not be
	// reached into store.unreachable (the API answers 503); nil for none.
	unreachable func(error) error
	// locks are its locks and leases across hub processes; ping is the
	// health probe's check that it answers.
	locks store.Locker
	ping  func(context.Context) error
	// where names it in logs: the file, or the database without password.
	where string
	// dir is the directory of a store file (SQLite), for the disk metrics;
	// "" for a database server.
	dir string
}

// OpenStore opens the store cfg.StoreURL names, SQLite in cfg.DataDir when
// it is empty, as `yizhan-hub run` does; the outlet commands use it too.
// It reads DataDir, StoreURL, Logger, Clock, MaxSkew, BusyTimeout, SLA and
// ExceptionDeadlines. A tool opening the store beside a running hub leaves
// the case list's deadlines as that hub set them.
func OpenStore(ctx context.Context, cfg Config) (store.Store, error) {
	s, err := openStore(ctx, cfg, false)
	if err != nil {
		return nil, err
	}
	return s.Store, nil
}

// openStore is the one place that chooses the backend from the URL. hub
// is true for the hub itself, which brings the case list's deadlines to
// its settings (store.Core.Relist).
func openStore(ctx context.Context, cfg Config, hub bool) (*openedStore, error) {
	log := cfg.Logger.With("component", "store")
	// The case list orders the queues by the deadlines the cases service
	// shows: the same settings.
	var limits *lifecycle.Limits
	// The rollups count days in the hub's zone; a tool leaves them as the
	// hub built them.
	var loc *time.Location
	if hub {
		limits = &lifecycle.Limits{SLA: cfg.SLA, Exceptions: cfg.ExceptionDeadlines}
		loc = cmp.Or(cfg.Location, time.UTC)
	}
	switch u := cfg.StoreURL; {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		s, err := postgres.Open(ctx, u, postgres.Options{Clock: cfg.Clock, MaxSkew: cfg.MaxSkew, Logger: log, Limits: limits, Location: loc})
		if errors.Is(err, postgres.ErrBadDSN) {
			return nil, &ConfigError{err.Error()}
		}
		if err != nil {
			return nil, err
		}
		return &openedStore{Store: s, where: s.Describe(), busy: postgres.IsBusy, unreachable: s.Unreachable, locks: s, ping: s.Ping}, nil
	case u == "", strings.HasPrefix(u, "sqlite://"):
		path, err := sqlitePath(cfg.DataDir, u)
		if err != nil {
			return nil, err
		}
		s, err := sqlite.Open(ctx, path, sqlite.Options{BusyTimeout: cfg.BusyTimeout, Logger: log, Clock: cfg.Clock, MaxSkew: cfg.MaxSkew, Limits: limits, Location: loc})
		if err != nil {
			return nil, err
		}
		return &openedStore{Store: s, where: path, dir: filepath.Dir(path), busy: sqlite.IsBusy, locks: s, ping: s.Ping, disk: func() error {
			return sqlite.DiskHealth(filepath.Dir(path), cfg.MinFreeMB)
		}}, nil
	}
	return nil, &ConfigError{fmt.Sprintf("--store %q: unknown scheme; use sqlite:///path/hub.db or postgres://user:password@host:5432/database", redactURL(cfg.StoreURL))}
}

// sqlitePath resolves an empty or sqlite:// --store URL to the file.
func sqlitePath(dataDir, storeURL string) (string, error) {
	if storeURL == "" {
		if dataDir == "" {
			return "", &ConfigError{"--data is required (the hub's data directory)"}
		}
		return filepath.Join(dataDir, "hub.db"), nil
	}
	p := strings.TrimPrefix(storeURL, "sqlite://")
	if p == "" {
		return "", &ConfigError{fmt.Sprintf("--store %q: no path; use sqlite:///abs/path/hub.db", storeURL)}
	}
	return p, nil
}

// redactURL is u without the password of its user part.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return u
	}
	if name, _, ok := strings.Cut(userinfo, ":"); ok {
		return scheme + "://" + name + ":xxxxx@" + host
	}
	return u
}
