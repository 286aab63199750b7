package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto"
)

// startMosquitto runs a real Mosquitto with a password file and the outlet
// ACL (installing it if it is missing) and returns its address.
func startMosquitto(t *testing.T, users map[string]string) string {
	t.Helper()
	return harness.StartMosquitto(t, harness.MosquittoOptions{Users: users, HubUser: "hub"}).Addr()
}

// startSharedHubs starts n hubs on one store behind the broker at addr,
// each with its own client id, and waits until each is connected.
func startSharedHubs(t *testing.T, addr string, n int) []*Server {
	t.Helper()
	dataDir := t.TempDir()
	var hubs []*Server
	for i := range n {
		s, err := Start(context.Background(), Config{
			DataDir: dataDir, HTTPAddr: "127.0.0.1:0", BrokerURL: "tcp://hub:pw-hub@" + addr,
			ClientID: fmt.Sprintf("hub-%d", i), Logger: discard(),
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
	return hubs
}

// Two hub processes share one store and split the uplink through a shared
// subscription on a real Mosquitto; the outlet's stream is acked in full.
func TestExternalBrokerSharedSubscription(t *testing.T) {
	addr := startMosquitto(t, map[string]string{"hub": "pw-hub", "A": "pw-a", "B": "pw-b"})
	hubs := startSharedHubs(t, addr, 2)
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
		c, _ := hubs[0].Hub.Counters(context.Background())
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

// A hub that stops leaves the shared subscription: the other hub takes the
// whole uplink. A persistent session stayed a member of the group, and
// Mosquitto went on giving it its turn, so while it was down about half of
// every outlet's batches queued for it and no ack came for them.
func TestExternalBrokerStoppedHubLeavesTheShare(t *testing.T) {
	addr := startMosquitto(t, map[string]string{"hub": "pw-hub", "A": "pw-a"})
	hubs := startSharedHubs(t, addr, 2)
	hubs[1].Close()
	a := mustDial(t, addr, "A", "pw-a")
	a.sub(t, syncproto.OutletDownTree("A"))
	// One batch at a time, each after the last one's ack: none is lost
	// to the share of the stopped hub, or this waits for good.
	for first := uint64(1); first <= 100; first += 10 {
		a.pub(t, syncproto.UplinkTopic("A"), 1, batch(t, "A", first, first+9, "LEFT"))
		eventually(t, fmt.Sprintf("A acked through %d", first+9), func() bool {
			ack, _ := lastAck(t, a, "A")
			return ack.AckedSeq == first+9
		})
	}
}

// An outlet with more messages in flight than it may have handlers, on an
// external broker, whose one connection to the hub carries every outlet:
// the hub does not wait for A's handlers on that connection, so B's batch
// is acked while A's wait; A's messages beyond twice its handlers are shed,
// and what A sends again from its acked point, as an agent does, is taken.
// The handlers' replies get out meanwhile.
func TestExternalBrokerOutletWaitDoesNotStallReplies(t *testing.T) {
	addr := startMosquitto(t, map[string]string{"hub": "pw-hub", "A": "pw-a", "B": "pw-b"})
	s, err := Start(context.Background(), Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", BrokerURL: "tcp://hub:pw-hub@" + addr,
		ClientID: "hub-0", Logger: discard(), OutletHandlers: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	eventually(t, "hub connected", s.Connected)
	a := mustDial(t, addr, "A", "pw-a")
	a.sub(t, syncproto.OutletDownTree("A"))
	b := mustDial(t, addr, "B", "pw-b")
	b.sub(t, syncproto.OutletDownTree("B"))
	send := func(from uint64) {
		for first := from + 1; first <= 60; first += 10 {
			a.Publish(syncproto.UplinkTopic("A"), 1, false, batch(t, "A", first, first+9, "WAIT"))
		}
	}
	send(0)
	b.Publish(syncproto.UplinkTopic("B"), 1, false, batch(t, "B", 1, 10, "B"))
	eventually(t, "B acked", func() bool { ack, _ := lastAck(t, b, "B"); return ack.AckedSeq == 10 })
	var last uint64
	still := 0
	eventually(t, "all of A acked", func() bool {
		ack, _ := lastAck(t, a, "A")
		if ack.AckedSeq != last {
			last, still = ack.AckedSeq, 0
		} else if still++; still == 20 && last < 60 {
			send(last) // no progress for a while: the agent's resend from its cursor
			still = 0
		}
		return ack.AckedSeq == 60
	})
}
