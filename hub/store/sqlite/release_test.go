package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/yizhan/yizhan/hub/store/storetest"
)

// TestOpenReleaseV10Store opens a copy of the store this release's hub
// wrote (testdata/README.md), which migrates it to the current schema,
// and checks what it holds against what that release served.
func TestOpenReleaseV10Store(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "hub-v10.db"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hub.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("the release's store does not open: %v", err)
	}
	defer s.Close()
	var v int
	if err := s.b.r.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != SchemaVersion() {
		t.Errorf("schema %d after opening, want %d", v, SchemaVersion())
	}
	storetest.Release(t, s, filepath.Join("testdata", "hub-v10.golden.json"))
}
