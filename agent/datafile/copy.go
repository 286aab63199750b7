package datafile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Identity is what a data file says about itself in meta/: whose it is,
// which stream it writes and how far it got. A backup is judged by it
// before it replaces anything.
type Identity struct {
	Outlet      string `json:"outlet"`
	Incarnation string `json:"incarnation"`
	LastSeq     uint64 `json:"last_seq"`
	AckedSeq    uint64 `json:"acked_seq"`
	Schema      uint64 `json:"schema_version"`
	// Restored: the file was restored from a backup and its agent has not
	// yet heard from the hub (MarkRestored).
	Restored bool `json:"restored,omitempty"`
}

func identity(tx *bolt.Tx) Identity {
	meta := tx.Bucket(Meta)
	if meta == nil {
		return Identity{}
	}
	return Identity{
		Outlet:      string(meta.Get(KeyOutlet)),
		Incarnation: string(meta.Get(KeyIncarnation)),
		LastSeq:     GetU64(meta, KeyLastSeq),
		AckedSeq:    GetU64(meta, KeyAckedSeq),
		Schema:      GetU64(meta, KeySchemaVersion),
		Restored:    meta.Get(KeyRestored) != nil,
	}
}

// WriteCopy writes a consistent copy of the open file to w from one read
// transaction (bbolt's Tx.WriteTo), with the identity as of that
// transaction. Appends go on meanwhile: in bbolt a reader never blocks
// the writer, it only keeps the pages it reads from being reused.
func (f *File) WriteCopy(w io.Writer) (Identity, int64, error) {
	var id Identity
	var n int64
	err := f.db.View(func(tx *bolt.Tx) (err error) {
		id = identity(tx)
		n, err = tx.WriteTo(w)
		return err
	})
	return id, n, err
}

// CopyClosed is WriteCopy for the data file in dir while no agent has it
// open: it opens the file read-only, which takes bbolt's shared lock, so
// a running agent (holding the exclusive lock) makes it fail at once with
// ErrInUse. The file is checked first, as Open does.
func CopyClosed(dir string, w io.Writer) (Identity, int64, error) {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return Identity{}, 0, fmt.Errorf("no data file at %s: %w", path, err)
	}
	rep, err := Check(dir)
	if err != nil {
		return Identity{}, 0, err
	}
	if err := rep.Err(); err != nil {
		return Identity{}, 0, err
	}
	var id Identity
	var n int64
	err = withReadOnly(path, func(db *bolt.DB) error {
		return db.View(func(tx *bolt.Tx) (err error) {
			id = identity(tx)
			n, err = tx.WriteTo(w)
			return err
		})
	})
	return id, n, err
}

// ReadIdentity reads the identity of the data file at path, read-only.
// Check it first (CheckFile): bbolt trusts the file it maps.
func ReadIdentity(path string) (Identity, error) {
	var id Identity
	err := withReadOnly(path, func(db *bolt.DB) error {
		return db.View(func(tx *bolt.Tx) error {
			if tx.Bucket(Meta) == nil {
				return fmt.Errorf("%s holds no meta bucket: it is not an agent data file", path)
			}
			id = identity(tx)
			return nil
		})
	})
	return id, err
}

// HoldShared takes bbolt's shared lock on the data file in dir for as
// long as the caller replaces it (release lets go), so that no agent
// starts on it meanwhile; ErrInUse while an agent runs. A missing file
// needs no lock, and a file bbolt cannot open is no agent's either.
func HoldShared(dir string) (release func(), err error) {
	return lockShared(filepath.Join(dir, FileName))
}

func withReadOnly(path string, fn func(*bolt.DB) error) error {
	var db *bolt.DB
	err := guard(path, func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: lockTimeout})
		return err
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return inUse(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	return guard(path, func() error { return fn(db) })
}

// MarkRestored marks the data file at path (a restored copy, no agent's)
// as restored from a backup: its event log takes no new event until the
// hub has said how far it holds the file's stream (agent/eventlog).
func MarkRestored(path string) error {
	var db *bolt.DB
	err := guard(path, func() (err error) {
		db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout, FreelistType: bolt.FreelistMapType})
		return err
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return inUse(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	err = guard(path, func() error {
		return db.Update(func(tx *bolt.Tx) error {
			meta := tx.Bucket(Meta)
			if meta == nil {
				return fmt.Errorf("%s holds no meta bucket: it is not an agent data file", path)
			}
			return meta.Put(KeyRestored, []byte("1"))
		})
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	return err
}
