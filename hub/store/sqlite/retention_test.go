package sqlite

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/storetest"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// After the purge no byte of the purged values is left in the database
// file or its write-ahead log, free pages included.
func TestPurgeLeavesNoBytes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	path := filepath.Join(dir, "hub.db")
	s, err := Open(ctx, path, Options{Clock: clock.NewManual(now)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Commit(ctx, []store.Unit{{Batch: storetest.PurgeScenario(now)}}); err != nil {
		t.Fatal(err)
	}
	files := func() []byte {
		var all []byte
		for _, name := range []string{"hub.db", "hub.db-wal"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil && !os.IsNotExist(err) {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		return all
	}
	raw := files()
	for _, v := range storetest.PurgeSecrets {
		if !bytes.Contains(raw, []byte(v)) {
			t.Fatalf("%q not on disk before the purge: is the check looking at the right file?", v)
		}
	}
	if _, err := s.PurgePersonal(ctx, now.Add(-180*24*time.Hour), 180, 0, false); err != nil {
		t.Fatal(err)
	}
	raw = files()
	for _, v := range storetest.PurgeSecrets {
		if bytes.Contains(raw, []byte(v)) {
			t.Fatalf("%q is still on disk after the purge", v)
		}
	}
	for _, v := range storetest.PurgeKept {
		if !bytes.Contains(raw, []byte(v)) {
			t.Fatalf("%q, which stays, is not on disk", v)
		}
	}
}
