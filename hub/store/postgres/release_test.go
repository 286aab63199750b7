package postgres

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/hub/store/storetest"
)

// TestOpenReleaseV5Dump restores the pg_dump of this release's hub
// (testdata/README.md) into a fresh database, opens it, which migrates it
// to the current schema, and checks what it holds against what that
// release served.
func TestOpenReleaseV5Dump(t *testing.T) {
	dsn := newDSN(t)
	psql, err := exec.LookPath("psql")
	if err != nil {
		t.Fatalf("psql is not on the PATH (apt-get install -y postgresql-client): %v", err)
	}
	out, err := exec.Command(psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", filepath.Join("testdata", "hub-v5.sql")).CombinedOutput()
	if err != nil || strings.Contains(string(out), "ERROR") {
		t.Fatalf("restore the dump: %v\n%s", err, out)
	}
	s := openDSN(t, dsn, nil)
	if n := count(t, s, `SELECT max(version) FROM schema_version`); n != SchemaVersion() {
		t.Errorf("schema %d after opening, want %d", n, SchemaVersion())
	}
	storetest.Release(t, s, filepath.Join("testdata", "hub-v5.golden.json"))
}
