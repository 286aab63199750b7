package eventlog

import (
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// migration moves the file from version-1 to version. Migrations run in order,
// all in the one transaction that opens the file, so a crash leaves the old
// version intact.
type migration struct {
	version uint64
	name    string
	apply   func(tx *bolt.Tx) error
}

var migrations = []migration{
	{1, "create the event log, projections and sync cursors", func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMeta, bucketEvents, bucketParcels, bucketParcelEvents, bucketDead, bucketDown} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}},
}

// SchemaVersion is the version a file has after Open.
func SchemaVersion() uint64 { return migrations[len(migrations)-1].version }

func migrate(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	have := getU64(meta, keySchemaVersion)
	if have > SchemaVersion() {
		return fmt.Errorf("data file has schema version %d, newer than this agent's %d: install the newer agent or restore a backup", have, SchemaVersion())
	}
	for _, m := range migrations {
		if m.version <= have {
			continue
		}
		if err := m.apply(tx); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		if err := putU64(tx.Bucket(bucketMeta), keySchemaVersion, m.version); err != nil {
			return err
		}
	}
	return nil
}
