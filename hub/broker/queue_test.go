package broker

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/yizhan/yizhan/hub/store"
)

type oneOutlet struct{ id, hash string }

func (o oneOutlet) SecretHash(_ context.Context, id string) (string, error) {
	if id != o.id {
		return "", store.ErrNotFound
	}
	return o.hash, nil
}

// A connection that stops reading fills its write queue after the
// kernel's buffers; the broker then drops what the hub sends it, and the
// log must say so (mochi would drop it silently). The queue is bounded at
// WritesPending, not mochi's 8,192: 2,000 messages must overflow it.
//
// The subscription is at QoS 0: at QoS 1, as agents subscribe, mochi
// numbers each message under the lock its writer holds while the socket
// is full, so the hub's publish waits there instead of queueing (the
// queue holds about one message per goroutine publishing to the outlet).
func TestFullWriteQueueIsLogged(t *testing.T) {
	const id, secret = "SH-001", "s3cret-sh-001-Kq7vX2pLm9Rt4Wz"
	hash, err := store.HashSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	b, err := Start(Options{Addr: "127.0.0.1:0", Secrets: oneOutlet{id, hash}, Logger: slog.New(slog.NewJSONHandler(&out, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	conn, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	cp := packets.NewControlPacket(packets.Connect).(*packets.ConnectPacket)
	cp.ProtocolName, cp.ProtocolVersion, cp.CleanSession, cp.Keepalive = "MQTT", 4, true, 60
	cp.ClientIdentifier, cp.UsernameFlag, cp.Username = "yz-agent-"+id, true, id
	cp.PasswordFlag, cp.Password = true, []byte(secret)
	sp := packets.NewControlPacket(packets.Subscribe).(*packets.SubscribePacket)
	sp.MessageID, sp.Topics, sp.Qoss = 1, []string{"yz/v1/outlets/" + id + "/down/#"}, []byte{0}
	for _, p := range []packets.ControlPacket{cp, sp} {
		if err := p.Write(conn); err != nil {
			t.Fatal(err)
		}
		if _, err := packets.ReadPacket(conn); err != nil { // CONNACK, SUBACK
			t.Fatal(err)
		}
	}
	// From here the outlet reads nothing.
	payload := make([]byte, 64<<10)
	for i := 0; i < 2000 && !strings.Contains(out.String(), "dropped"); i++ {
		if err := b.Publish(context.Background(), "yz/v1/outlets/"+id+"/down/events", payload); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "dropped") {
		if time.Now().After(deadline) {
			t.Fatalf("2,000 messages to a connection that does not read, and no drop in the log:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec struct {
			Msg    string
			Outlet string
			Queue  int
		}
		if json.Unmarshal([]byte(line), &rec) == nil && strings.Contains(rec.Msg, "dropped") {
			if rec.Outlet != id || rec.Queue != WritesPending {
				t.Errorf("drop logged as %s, want outlet %s and queue %d", line, id, WritesPending)
			}
			return
		}
	}
	t.Fatalf("no parsable drop line:\n%s", out.String())
}
