// Package backup keeps copies of the agent's data file and puts one back.
//
// A copy is taken while the agent runs, from one bbolt read transaction
// (datafile.File.WriteCopy: Tx.WriteTo), so scans go on meanwhile. It is
// written under a temporary name, synced, opened read-only and checked
// with the data file's own check, and only then renamed to
// yizhan-agent-<outlet>-<UTC time>.bak; a copy that fails any step is
// removed and never counts. The nightly run (Nightly) keeps the newest N
// good copies, removing older ones only after a new one passed.
//
// Restore checks a backup before anything is touched: it must pass the
// check, belong to the expected outlet (unless forced), and no agent may
// hold the data directory. The old file stays as agent.db.before-restore
// and the new one takes its place in one rename.
//
// What a backup does not hold: the outlet's secret and its personal-data
// key file live outside the data directory and must be kept by the
// operator; without the key file the restored file's sealed values stay
// sealed.
package backup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Suffix ends every backup's name.
const Suffix = ".bak"

// namePrefix starts every backup's name; the outlet follows.
const namePrefix = "yizhan-agent-"

// stampLayout is the UTC time in a backup's name: sortable, and a legal
// file name on Windows (no colons).
const stampLayout = "20060102T150405Z"

// Name is a backup's file name for outlet, taken at.
func Name(outlet string, at time.Time) string {
	return namePrefix + outlet + "-" + at.UTC().Format(stampLayout) + Suffix
}

// Copier writes a consistent copy of a data file to w and says whose it
// is; *datafile.File's WriteCopy is one, datafile.CopyClosed another.
type Copier func(w io.Writer) (datafile.Identity, int64, error)

// Result is a backup taken.
type Result struct {
	Path  string            `json:"path"`
	Bytes int64             `json:"bytes"`
	ID    datafile.Identity `json:"identity"`
	// Took is how long the copy, sync and check took.
	Took time.Duration `json:"took_ns"`
}

// Take writes a backup into dir (created if missing) with copy, at now.
// Errors are backup.failed with what went wrong; nothing is left behind
// under a backup's name unless it passed the check.
func Take(dir string, copy Copier, now time.Time) (Result, error) {
	start := time.Now()
	if dir == "" {
		return Result{}, problem.New(problem.BackupNoDir)
	}
	failed := func(err error) (Result, error) {
		return Result{}, problem.Wrap(err, problem.BackupFailed, "detail", err.Error())
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return failed(fmt.Errorf("create backup directory %s: %w", dir, err))
	}
	tmp, err := os.CreateTemp(dir, ".yizhan-agent-*.tmp")
	if err != nil {
		return failed(fmt.Errorf("create a file in %s: %w", dir, err))
	}
	tmpName := tmp.Name()
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	id, n, err := copy(tmp)
	if err != nil {
		return failed(fmt.Errorf("copy the data file: %w", err))
	}
	if err := tmp.Sync(); err != nil {
		return failed(fmt.Errorf("sync %s: %w", tmpName, err))
	}
	if err := tmp.Close(); err != nil {
		return failed(fmt.Errorf("close %s: %w", tmpName, err))
	}
	if err := verify(tmpName, id); err != nil {
		return failed(err)
	}
	path := filepath.Join(dir, Name(id.Outlet, now))
	for i := 2; exists(path); i++ { // two in one second: keep both
		path = filepath.Join(dir, strings.TrimSuffix(Name(id.Outlet, now), Suffix)+fmt.Sprintf("-%d", i)+Suffix)
	}
	if err := os.Rename(tmpName, path); err != nil {
		return failed(fmt.Errorf("rename the checked copy to %s: %w", path, err))
	}
	keep = true
	syncDir(dir)
	return Result{Path: path, Bytes: n, ID: id, Took: time.Since(start)}, nil
}

// verify opens the copy at path read-only, runs the data file's check on
// it and compares its identity with the one read in the copying
// transaction.
func verify(path string, want datafile.Identity) error {
	rep, err := datafile.CheckFile(path)
	if err != nil {
		return fmt.Errorf("check the copy: %w", err)
	}
	if err := rep.Err(); err != nil {
		return fmt.Errorf("the copy fails the check: %w", err)
	}
	got, err := datafile.ReadIdentity(path)
	if err != nil {
		return fmt.Errorf("open the copy: %w", err)
	}
	if got != want {
		return fmt.Errorf("the copy says %+v, the data file said %+v", got, want)
	}
	if got.Outlet == "" {
		return errors.New("the data file belongs to no outlet yet")
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// Entry is one backup in a directory.
type Entry struct {
	Path string
	At   time.Time // from its name
	Size int64
}

// List lists outlet's backups in dir, newest first. Files of other
// outlets, temporary files and anything not named as a backup are left
// out. A missing directory lists nothing.
func List(dir, outlet string) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	prefix := namePrefix + outlet + "-"
	var out []Entry
	for _, de := range des {
		name := de.Name()
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok || !strings.HasSuffix(rest, Suffix) || !de.Type().IsRegular() {
			continue
		}
		stamp := strings.TrimSuffix(rest, Suffix)
		if len(stamp) > len(stampLayout) && stamp[len(stampLayout)] == '-' {
			stamp = stamp[:len(stampLayout)] // a second one in the same second
		}
		at, err := time.Parse(stampLayout, stamp)
		if err != nil {
			continue // another outlet whose id starts with this one's and a dash
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		out = append(out, Entry{Path: filepath.Join(dir, name), At: at, Size: info.Size()})
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.Path, a.Path)
	})
	return out, nil
}

// Prune removes outlet's backups in dir beyond the newest keep, and
// returns what it removed. Call it only after a new backup passed.
func Prune(dir, outlet string, keep int) ([]string, error) {
	if keep < 1 {
		keep = 1
	}
	list, err := List(dir, outlet)
	if err != nil || len(list) <= keep {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range list[keep:] {
		if err := os.Remove(e.Path); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Path)
	}
	return removed, errors.Join(errs...)
}

// syncDir makes a rename in dir durable where the system allows it
// (Windows cannot sync a directory; NTFS journals the rename).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
