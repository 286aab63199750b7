package datafile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	bolt "go.etcd.io/bbolt"
)

// compactWanted reports whether a purge asked for the file to be
// compacted (KeyCompact).
func compactWanted(db *bolt.DB) bool {
	wanted := false
	_ = db.View(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(Meta); meta != nil {
			wanted = meta.Get(KeyCompact) != nil
		}
		return nil
	})
	return wanted
}

// Compact rewrites agent.db in dir into a new file holding only the live
// pages, then puts it in the old one's place. bbolt leaves the bytes of
// deleted and rewritten values in free pages until they are reused; a
// purge of personal data (agent/retention) compacts so that they are gone
// from the disk file too. The agent must not be running: the file's lock
// is held throughout.
func Compact(dir string) (before, after int64, err error) {
	path := filepath.Join(dir, FileName)
	st, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	before = st.Size()
	src, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolt.ErrTimeout) {
		return 0, 0, inUse(dir)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer src.Close()
	tmp := path + ".compact"
	_ = os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType})
	if err != nil {
		return 0, 0, fmt.Errorf("create %s: %w", tmp, err)
	}
	if err := bolt.Compact(dst, src, 4<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("compact %s: %w", path, err)
	}
	err = dst.Update(func(tx *bolt.Tx) error {
		if meta := tx.Bucket(Meta); meta != nil {
			return meta.Delete(KeyCompact)
		}
		return nil
	})
	if err != nil {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, err
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(tmp)
		return 0, 0, err
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return 0, 0, err
	}
	// Elsewhere the old file's lock is held through the rename, so no
	// agent opens it meanwhile; Windows renames over no open file.
	if runtime.GOOS == "windows" {
		src.Close()
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return 0, 0, fmt.Errorf("replace %s: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	if st, err := os.Stat(path); err == nil {
		after = st.Size()
	}
	return before, after, nil
}
