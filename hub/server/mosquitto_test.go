package server

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
)

// startMosquitto runs a real Mosquitto with a password file and the outlet
// ACL, or skips the test if the binary is not installed.
func startMosquitto(t *testing.T, users map[string]string) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		for _, p := range []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"} {
			if _, err := os.Stat(p); err == nil {
				bin = p
			}
		}
	}
	pw, err := exec.LookPath("mosquitto_passwd")
	if bin == "" || err != nil {
		t.Skip("mosquitto not installed (apt-get install mosquitto)")
	}
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	for u, p := range users {
		args := []string{"-b", pwFile, u, p}
		if _, err := os.Stat(pwFile); err != nil {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(pw, args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v: %s", err, out)
		}
	}
	acl := "pattern read yz/v1/broadcast/#\npattern write yz/v1/outlets/%u/up/#\npattern read yz/v1/outlets/%u/down/#\nuser hub\ntopic readwrite yz/#\n"
	os.WriteFile(filepath.Join(dir, "acl"), []byte(acl), 0o644)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\nacl_file %s\npersistence false\n", port, pwFile, filepath.Join(dir, "acl"))
	if os.Geteuid() == 0 {
		conf += "user root\n"
	}
	os.WriteFile(filepath.Join(dir, "mosquitto.conf"), []byte(conf), 0o644)
	cmd := exec.Command(bin, "-c", filepath.Join(dir, "mosquitto.conf"))
	logFile, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			out, _ := os.ReadFile(logFile.Name())
			t.Logf("mosquitto log:\n%s", out)
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	eventually(t, "mosquitto listening", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

// Two hub processes share one store and split the uplink through a shared
// subscription on a real Mosquitto; the outlet's stream is acked in full.
func TestExternalBrokerSharedSubscription(t *testing.T) {
	addr := startMosquitto(t, map[string]string{"hub": "pw-hub", "A": "pw-a", "B": "pw-b"})
	dataDir := t.TempDir()
	var hubs []*Server
	for i := range 2 {
		s, err := Start(context.Background(), Config{
			DataDir: dataDir, HTTPAddr: "127.0.0.1:0", BrokerURL: "tcp://hub:pw-hub@" + addr,
			ClientID: fmt.Sprintf("hub-%d", i), Log: discard(),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		hubs = append(hubs, s)
	}
	for _, s := range hubs {
		eventually(t, "hub connected", s.Connected)
	}
	a := mustDial(t, addr, "A", "pw-a")
	a.sub(t, syncproto.OutletDownTree("A"))
	a.sub(t, syncproto.BroadcastTree)
	for first := uint64(1); first <= 200; first += 10 {
		a.pub(t, syncproto.UplinkTopic("A"), 1, batch(t, "A", first, first+9, "EXT"))
	}
	eventually(t, "all of A acked", func() bool { ack, _ := lastAck(t, a, "A"); return ack.AckedSeq == 200 })

	// The broker's ACL, not the hub, keeps A out of B's uplink; the hub
	// still refuses a spoofed origin on A's own topic.
	a.pub(t, syncproto.UplinkTopic("B"), 1, batch(t, "B", 1, 1, "SPOOF"))
	a.pub(t, syncproto.UplinkTopic("A"), 1, batch(t, "B", 1, 1, "SPOOF"))
	eventually(t, "origin mismatch counted", func() bool {
		c, _ := hubs[0].Store.Counters(context.Background())
		return c["reject.origin_mismatch"] == 1
	})
	if evs, _ := hubs[0].Store.SubjectEvents(context.Background(), "SPOOF"); len(evs) != 0 {
		t.Errorf("hub stored %d spoofed events", len(evs))
	}

	seq, err := hubs[1].Hub.PublishDown(context.Background(), "A", "notice.published", "", nil, "ops")
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "poke through Mosquitto", func() bool { return len(a.received(syncproto.BroadcastPoke)) > 0 })
	a.pub(t, syncproto.PullTopic("A"), 1, mustEncode(t, syncproto.KindPull, syncproto.Pull{Origin: "A"}))
	eventually(t, "downlink through Mosquitto", func() bool {
		for _, p := range a.received(syncproto.DownTopic("A")) {
			var d syncproto.Down
			if _, err := syncproto.Decode(p, syncproto.KindDown, &d); err == nil && d.Through == seq && len(d.Events) == 1 {
				return true
			}
		}
		return false
	})
}
