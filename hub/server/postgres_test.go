package server

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto"
)

// TestHubOnPostgres: a hub started with --store postgres://… takes an
// outlet's batch and acknowledges it from PostgreSQL; /readyz says
// store.unreachable while PostgreSQL is down, and so do the API's reads,
// and ok again once it is back,
// and the hub then acknowledges the next batch by itself.
func TestHubOnPostgres(t *testing.T) {
	pg := harness.StartPostgres(t, harness.PostgresOptions{})
	s, err := Start(context.Background(), Config{
		DataDir: t.TempDir(), StoreURL: pg.NewDatabase(t), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	secret := addOutlet(t, s, "SH-001")
	c := mustDial(t, s.MQTTAddr(), "SH-001", secret)
	c.sub(t, syncproto.OutletDownTree("SH-001"))
	acked := func(seq uint64) func() bool {
		return func() bool { a, ok := lastAck(t, c, "SH-001"); return ok && a.AckedSeq == seq }
	}
	c.pub(t, syncproto.UplinkTopic("SH-001"), 1, batch(t, "SH-001", 1, 3, "WB1"))
	eventually(t, "ack of 1..3", acked(3))

	health := func() (int, string) {
		resp, err := http.Get("http://" + s.HTTPAddr() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			Error struct{ Code string } `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body.Error.Code
	}
	if code, _ := health(); code != http.StatusOK {
		t.Fatalf("readyz %d with PostgreSQL up", code)
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "readyz to say store.unreachable", func() bool {
		code, problem := health()
		return code == http.StatusServiceUnavailable && problem == "store.unreachable"
	})
	// The API's reads say the same, not an internal error.
	req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/api/v1/outlets", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || body.Error.Code != "store.unreachable" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("GET /api/v1/outlets with PostgreSQL down: %d %q Retry-After %q, want 503 store.unreachable", resp.StatusCode, body.Error.Code, resp.Header.Get("Retry-After"))
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	if code := liveness(t, s); code != http.StatusOK {
		t.Fatalf("/healthz %d with PostgreSQL down: liveness must not depend on it", code)
	}
	eventually(t, "readyz ok again", func() bool { code, _ := health(); return code == http.StatusOK })
	c.pub(t, syncproto.UplinkTopic("SH-001"), 1, batch(t, "SH-001", 4, 5, "WB1"))
	eventually(t, "ack of 4..5 after the restart", acked(5))
	if o, err := s.Store.Outlet(context.Background(), "SH-001"); err != nil || o.AckedSeq != 5 {
		t.Fatalf("outlet after restart: %+v %v", o, err)
	}
}
