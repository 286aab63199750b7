package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/broker"
	"github.com/yizhan/yizhan/syncproto"
)

// TestReadyzBrokerDown: a hub on an external Mosquitto is ready while
// subscribed; with the broker stopped /readyz answers 503
// broker.not_subscribed and yizhan_hub_broker_connected 0 while /healthz
// answers 200; with the broker back it is ready again by itself.
func TestReadyzBrokerDown(t *testing.T) {
	m := harness.StartMosquitto(t, harness.MosquittoOptions{Users: map[string]string{"hub": "pw-hub"}, HubUser: "hub"})
	s, err := Start(context.Background(), Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerURL: "tcp://hub:pw-hub@" + m.Addr(), Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	eventually(t, "ready on the broker", func() bool {
		code, _ := readyz(t, s)
		return code == http.StatusOK && metric(t, s, "yizhan_hub_broker_connected") == "1"
	})
	m.Stop()
	eventually(t, "not ready without the broker", func() bool {
		code, c := readyz(t, s)
		return code == http.StatusServiceUnavailable && c == "broker.not_subscribed" && metric(t, s, "yizhan_hub_broker_connected") == "0"
	})
	if code := liveness(t, s); code != http.StatusOK {
		t.Fatalf("/healthz %d without the broker", code)
	}
	m.Restart(t)
	eventually(t, "ready again", func() bool { code, _ := readyz(t, s); return code == http.StatusOK })
}

// TestWatchMetrics: the hub's gauges say what they should: the server
// certificate's time left, the outlets' reported backlog and its age,
// the store's disk.
func TestWatchMetrics(t *testing.T) {
	ca := harness.NewCA(t, "hq-ca")
	ends := time.Now().Add(10 * 24 * time.Hour)
	cert := ca.Issue(t, "hub", harness.CertOptions{CommonName: "hub", Hosts: []string{"127.0.0.1"}, NotAfter: ends})
	s, err := Start(context.Background(), Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard(), MinFreeMB: 1,
		MQTTTLS: broker.TLSFiles{CertFile: cert.Cert, KeyFile: cert.Key}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	left := number(t, metric(t, s, `yizhan_hub_cert_expiry_seconds{cert="server"}`))
	if want := time.Until(ends).Seconds(); left > want+1 || left < want-60 {
		t.Fatalf("server certificate: %v s left, want about %v", left, want)
	}
	if free := number(t, metric(t, s, "yizhan_hub_store_disk_free_bytes")); free <= 0 {
		t.Fatalf("disk free %v", free)
	}
	if floor := number(t, metric(t, s, "yizhan_hub_store_disk_min_free_bytes")); floor != 1<<20 {
		t.Fatalf("floor %v", floor)
	}
	for _, id := range []string{"SH-001", "BJ-002"} {
		addOutlet(t, s, id)
	}
	head, oldest := uint64(7), time.Now().Add(-time.Hour).UnixMilli()
	s.Hub.Handle(context.Background(), syncproto.PullTopic("SH-001"), mustEncode(t, syncproto.KindPull, syncproto.Pull{Origin: "SH-001", Head: &head, OldestUnsynced: &oldest}))
	eventually(t, "the backlog reported", func() bool { return metric(t, s, "yizhan_hub_outlets_backlog_events") == "7" })
	if age := number(t, metric(t, s, "yizhan_hub_outlets_oldest_unsynced_seconds")); age < 3600 || age > 3700 {
		t.Fatalf("oldest unsynced %v s, want about an hour", age)
	}
	if n := metric(t, s, "yizhan_hub_outlets"); n != "2" {
		t.Fatalf("outlets %s", n)
	}
	if d := metric(t, s, "yizhan_hub_dead_letters"); d != "0" {
		t.Fatalf("dead letters %s", d)
	}
}

func number(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
