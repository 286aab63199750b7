package load

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/server"
	"github.com/yizhan/yizhan/hub/store"
)

// Run in process against a real hub (embedded broker, SQLite): outlets
// registered through the API scan, lose their link, come back, and every
// event is acknowledged; the report's rows add up to its totals and agree
// with the outlets' logs and the hub's store.
func TestRunAgainstAHubThroughAStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a hub; run without -short")
	}
	hub, err := server.Start(context.Background(), server.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0",
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	outlets, _ := Outlets("LR", 10, Shard{})
	if err := Register(t.Context(), "http://"+hub.HTTPAddr(), hub.Token(), outlets); err != nil {
		t.Fatal(err)
	}
	if err := Register(t.Context(), "http://"+hub.HTTPAddr(), hub.Token(), outlets[:1]); err == nil {
		t.Fatal("registering an outlet twice passed")
	}
	// An outlet that brings its own secret (the Mosquitto files') keeps it.
	own := []Outlet{{ID: "LR-OWN", Secret: "Zr8-Kq2vX7pLm4Wn9sYb3Hd6Tc1"}}
	if err := Register(t.Context(), "http://"+hub.HTTPAddr(), hub.Token(), own); err != nil || own[0].Secret != "Zr8-Kq2vX7pLm4Wn9sYb3Hd6Tc1" {
		t.Fatalf("register with its own secret: %v, secret now %q", err, own[0].Secret)
	}
	if hash, err := hub.Store.SecretHash(t.Context(), "LR-OWN"); err != nil || !store.CheckSecret(hash, own[0].Secret) {
		t.Fatalf("the hub does not hold the outlet's own secret: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "logs")
	rep, err := Run(t.Context(), Options{
		Broker: "tcp://" + hub.MQTTAddr(), Outlets: outlets, Dir: dir,
		Profile:  Profile{Rate: 4, StartHour: 10},
		Duration: 5 * time.Second,
		Backlog:  30,
		Storm:    &Storm{At: 1500 * time.Millisecond, Offline: 1500 * time.Millisecond, ReturnWithin: 1500 * time.Millisecond},
		Drain:    30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Drained || rep.Appended == 0 || rep.Acked != rep.Appended || rep.AppendErrors != 0 {
		t.Fatalf("drained %v, appended %d, acked %d, append errors %d", rep.Drained, rep.Appended, rep.Acked, rep.AppendErrors)
	}
	var appended, acked, connects, offline uint64
	down := 0
	for _, s := range rep.Seconds {
		appended += s.Appended
		acked += s.Acked
		connects += s.Connects
		offline += s.OfflineDials
		if s.LinkDown {
			down++
		}
	}
	if appended != rep.Appended || acked != rep.Acked {
		t.Fatalf("rows add up to %d appended and %d acked, totals %d and %d", appended, acked, rep.Appended, rep.Acked)
	}
	// The outage starts when the curve says, or later on a busy machine,
	// and always lasts its length.
	if down == 0 || offline == 0 || connects < 2*uint64(len(outlets)) || rep.StormStart < 1500*time.Millisecond || rep.StormEnd-rep.StormStart < 1500*time.Millisecond {
		t.Fatalf("storm not in the report: %d seconds down, %d refused dials, %d connects, storm %v–%v", down, offline, connects, rep.StormStart, rep.StormEnd)
	}
	if rep.AllConnected <= 0 {
		t.Fatal("never all connected")
	}
	var logs uint64
	for _, o := range rep.Outlets {
		held, err := hub.Store.Outlet(t.Context(), o.ID)
		if err != nil || o.LastSeq <= 30 || o.AckedSeq != o.LastSeq || held.AckedSeq != o.LastSeq {
			t.Fatalf("outlet %s: log %d acked %d, hub acked %d (%v)", o.ID, o.LastSeq, o.AckedSeq, held.AckedSeq, err)
		}
		logs += o.LastSeq
	}
	// The backlog is counted as appended and, acknowledged in the first
	// rows, with the run's start as its append time.
	if logs != rep.Appended || rep.Seconds[0].Appended < 30*uint64(len(outlets)) {
		t.Fatalf("logs hold %d events, report says %d appended, %d of them in the first second (the backlog is %d)", logs, rep.Appended, rep.Seconds[0].Appended, 30*len(outlets))
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the outlets' logs were left behind: %v", err)
	}
}
