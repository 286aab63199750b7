// Package datafile owns the agent's data file, agent.db: it opens it (one
// process at a time, failing fast on the lock), claims it for one outlet,
// holds the name of every bucket (the tree is drawn in buckets.go), and
// brings any older file up to date with one ordered list of migrations and
// one schema version (migrations.go), in the transaction that opens it.
//
// The packages that keep data in the file — the event log, the workflow
// projection, the staff list and the print spool — never see the bbolt
// handle: they get transactions from a *File (View, Update) and find their
// buckets by the names here. The print spool, which knows nothing of the
// agent, gets its two buckets through the small interface it declares,
// which PrintSpool satisfies.
package datafile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// FileName is the data file inside the agent's data directory.
const FileName = "agent.db"

// lockTimeout is how long Open waits for another process's lock: long
// enough for a restart's overlap, short enough to fail at once.
const lockTimeout = 200 * time.Millisecond

// ErrInUse is returned (wrapped) when another process holds the file.
var ErrInUse = errors.New("data file is in use by another process")

// Options configure Open.
type Options struct {
	// Outlet claims a new file for this outlet, and refuses a file that
	// belongs to another. Empty opens the file without claiming it, for
	// tools that edit it while the agent is stopped (the staff command);
	// the event log needs an outlet.
	Outlet string
	// NoSync skips fsync. Only for benchmarks that want an upper bound and
	// for filling test files; call Sync before relying on the data.
	NoSync bool
	// Keys re-seal, in migration 8, the personal data sealed under the
	// installation's old shared key. Without them (or without the legacy
	// key) those values stay as they are.
	Keys Resealer
}

// File is the open data file.
type File struct {
	db          *bolt.DB
	dir         string
	outlet      string
	incarnation string
}

// Open opens or creates agent.db in dir and migrates it. A second process on
// the same directory fails at once with a clear error instead of waiting on
// the lock.
func Open(dir string, o Options) (*File, error) {
	if o.Outlet != "" {
		if err := syncproto.ValidOutletID(o.Outlet); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	// bbolt trusts the file it maps: check it first (check.go).
	rep, err := Check(dir)
	if err != nil {
		return nil, err
	}
	if err := rep.Err(); err != nil {
		return nil, err
	}
	var db *bolt.DB
	err = guard(path, func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{
			Timeout:      lockTimeout,
			FreelistType: bolt.FreelistMapType,
			NoSync:       o.NoSync,
		})
		return err
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, inUse(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	f := &File{db: db, dir: dir}
	err = guard(path, func() error { return db.Update(f.claim(o)) })
	if problem.Is(err, problem.DataFileDamaged) {
		// bbolt panicked holding its locks: Close could hang. The caller
		// exits; the process lets go of the file.
		return nil, err
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	// The running agent's purge left the removed personal data in free
	// pages: compact before anyone uses the file, so it leaves the disk.
	if compactWanted(db) {
		db.Close()
		if _, _, err := Compact(dir); err != nil {
			return nil, fmt.Errorf("compact %s after the personal-data purge: %w", path, err)
		}
		return Open(dir, o)
	}
	return f, nil
}

func inUse(dir string) error {
	return fmt.Errorf("data directory %s is in use by another yizhan-agent: stop it first, or give this one its own --data: %w", dir, ErrInUse)
}

// guard runs fn, turning a panic or a memory fault inside bbolt into the
// damaged-file error. Check reads the file before bbolt maps it, so this
// is for a file that changed after it was checked.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = problem.New(problem.DataFileDamaged, "path", path, "dir", filepath.Dir(path), "detail", fmt.Sprint("bbolt: ", r))
		}
	}()
	return fn()
}

// claim migrates the file and claims it for o.Outlet.
func (f *File) claim(o Options) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error {
		if err := migrate(tx, o); err != nil {
			return err
		}
		meta := tx.Bucket(Meta)
		f.incarnation = string(meta.Get(KeyIncarnation))
		switch have := string(meta.Get(KeyOutlet)); {
		case o.Outlet == "" || have == o.Outlet:
			f.outlet = have
		case have == "":
			f.outlet = o.Outlet
			return meta.Put(KeyOutlet, []byte(o.Outlet))
		default:
			return fmt.Errorf("data directory %s belongs to outlet %s, not %s: use that outlet id or another --data", f.dir, have, o.Outlet)
		}
		return nil
	}
}

// Close closes the file. Owners must be done with it (the event log closed
// first, so queued appends commit).
func (f *File) Close() error { return f.db.Close() }

// Dir is the data directory.
func (f *File) Dir() string { return f.dir }

// Incarnation is the data directory's identity, made with the file.
func (f *File) Incarnation() string { return f.incarnation }

// Outlet is the outlet the file belongs to; empty for a file not claimed yet.
func (f *File) Outlet() string { return f.outlet }

// View runs fn in a read-only transaction. Byte slices read inside are
// valid only until fn returns.
func (f *File) View(fn func(*bolt.Tx) error) error { return f.db.View(fn) }

// Update runs fn in a read-write transaction and commits it durably
// (unless NoSync) before returning; an error from fn rolls it back.
func (f *File) Update(fn func(*bolt.Tx) error) error { return f.db.Update(fn) }

// Sync flushes the file to disk, for files opened with NoSync.
func (f *File) Sync() error { return f.db.Sync() }

// PrintSpool is the print spool's two buckets in this file.
func (f *File) PrintSpool() SpoolBuckets { return SpoolBuckets{db: f.db} }

// SpoolBuckets gives the print spool its jobs/ and data/ buckets, in
// transactions; it satisfies spool.Buckets.
type SpoolBuckets struct{ db *bolt.DB }

// View runs fn with the spool's buckets in a read-only transaction.
func (s SpoolBuckets) View(fn func(jobs, data *bolt.Bucket) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return spoolBuckets(tx, fn) })
}

// Update runs fn with the spool's buckets in a read-write transaction.
func (s SpoolBuckets) Update(fn func(jobs, data *bolt.Bucket) error) error {
	return s.db.Update(func(tx *bolt.Tx) error { return spoolBuckets(tx, fn) })
}

func spoolBuckets(tx *bolt.Tx, fn func(jobs, data *bolt.Bucket) error) error {
	root := tx.Bucket(PrintSpool)
	return fn(root.Bucket(SpoolJobs), root.Bucket(SpoolData))
}
