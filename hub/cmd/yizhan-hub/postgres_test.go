package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// TestOutletCommandsOnPostgres: --store postgres://… reaches PostgreSQL
// from the outlet commands: an outlet added there is listed, and a second
// add is refused as for SQLite.
func TestOutletCommandsOnPostgres(t *testing.T) {
	pg := harness.StartPostgres(t, harness.PostgresOptions{})
	dsn := pg.NewDatabase(t)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"outlet", "add", "--store", dsn, "--id", "SH-001"}, &stdout, &stderr); code != 0 {
		t.Fatalf("outlet add: exit %d: %s", code, stderr.String())
	}
	if secret := strings.TrimSpace(stdout.String()); len(secret) < 32 {
		t.Fatalf("outlet add printed %q, want the generated secret", secret)
	}
	stdout.Reset()
	if code := run([]string{"outlet", "add", "--store", dsn, "--id", "SH-001"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "--rotate") {
		t.Fatalf("second add: exit %d: %s", code, stderr.String())
	}
	if code := run([]string{"outlet", "list", "--store", dsn}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "SH-001") {
		t.Fatalf("outlet list: exit %d: %s %s", code, stdout.String(), stderr.String())
	}
	if out, err := pg.SQL(dsn[strings.LastIndex(dsn, "/")+1:strings.Index(dsn, "?")], `SELECT id FROM outlets`); err != nil || out != "SH-001" {
		t.Fatalf("outlets in PostgreSQL: %q %v", out, err)
	}
}

// TestStorePasswordNotPrinted: a --store URL's password never reaches the
// terminal, whatever is wrong with the URL.
func TestStorePasswordNotPrinted(t *testing.T) {
	for _, u := range []string{
		"postgres://yz:s3cretpw@127.0.0.1:1/yizhan?connect_timeout=5",
		"postgres://yz:s3cretpw@h:notaport/yizhan",
		"mysql://yz:s3cretpw@h/yizhan",
	} {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"outlet", "list", "--store", u}, &stdout, &stderr); code == 0 {
			t.Errorf("%s: exit 0", u)
		}
		if strings.Contains(stderr.String()+stdout.String(), "s3cretpw") {
			t.Errorf("the password was printed: %s", stderr.String())
		}
	}
}
