package harness

import (
	"net"
	"strings"
	"testing"
)

func TestPostgresSurvivesKillAndStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	pg := StartPostgres(t, PostgresOptions{})
	dsn := pg.NewDatabase(t)
	db := dsn[strings.LastIndex(dsn, "/")+1 : strings.Index(dsn, "?")]
	if _, err := pg.SQL(db, "CREATE TABLE t (n bigint PRIMARY KEY); INSERT INTO t VALUES (1), (2)"); err != nil {
		t.Fatal(err)
	}
	pg.Kill()
	if c, err := net.Dial("tcp", pg.Addr()); err == nil {
		c.Close()
		t.Fatal("server still listens after Kill")
	}
	if _, err := pg.SQL(db, "SELECT 1"); err == nil {
		t.Fatal("a killed server answered")
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	if out, err := pg.SQL(db, "SELECT sum(n) FROM t"); err != nil || out != "3" {
		t.Fatalf("after a crash and restart: %q %v, want the committed rows (3)", out, err)
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	if out, err := pg.SQL(db, "INSERT INTO t VALUES (3); SELECT count(*) FROM t"); err != nil || out != "3" {
		t.Fatalf("after a clean stop and start: %q %v", out, err)
	}
	if !strings.HasPrefix(dsn, "postgres://yz@127.0.0.1:") {
		t.Errorf("DSN %s", dsn)
	}
}
