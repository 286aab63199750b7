package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startHub(t *testing.T) *Server {
	t.Helper()
	s, err := Start(context.Background(), Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// addOutlet registers an outlet while the hub runs, as `outlet add` does.
func addOutlet(t *testing.T, s *Server, id string) string { return addOutletB(t, s, id) }

func addOutletB(t testing.TB, s *Server, id string) string {
	t.Helper()
	secret, _ := store.NewSecret()
	h, _ := store.HashSecret(secret)
	if err := s.Store.AddOutlet(context.Background(), id, h, false); err != nil {
		t.Fatal(err)
	}
	return secret
}

// client is a real MQTT 3.1.1 client recording what it receives.
type client struct {
	paho.Client
	mu   sync.Mutex
	msgs []paho.Message
}

var dials atomic.Int64

func dial(addr, user, pass string) (*client, error) {
	return dialID(addr, fmt.Sprintf("%s-test-%d", user, dials.Add(1)), user, pass)
}

func dialID(addr, id, user, pass string) (*client, error) {
	c := &client{}
	o := paho.NewClientOptions().AddBroker("tcp://" + addr).SetClientID(id).
		SetUsername(user).SetPassword(pass).SetAutoReconnect(false).SetConnectRetry(false).
		SetDefaultPublishHandler(func(_ paho.Client, m paho.Message) {
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
		})
	c.Client = paho.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, fmt.Errorf("connect timed out")
	}
	return c, tok.Error()
}

func mustDial(t *testing.T, addr, user, pass string) *client {
	t.Helper()
	c, err := dial(addr, user, pass)
	if err != nil {
		t.Fatalf("connect as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func (c *client) sub(t *testing.T, filter string) {
	t.Helper()
	tok := c.Subscribe(filter, 1, nil)
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatalf("subscribe %s timed out", filter)
	}
}

func (c *client) pub(t *testing.T, topic string, qos byte, payload []byte) {
	t.Helper()
	c.Publish(topic, qos, false, payload).WaitTimeout(10 * time.Second)
}

// received returns the payloads received on topic.
func (c *client) received(topic string) [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out [][]byte
	for _, m := range c.msgs {
		if m.Topic() == topic {
			out = append(out, m.Payload())
		}
	}
	return out
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func batch(t *testing.T, origin string, first, last uint64, subject string) []byte {
	t.Helper()
	b := syncproto.Batch{Origin: origin, First: first, Last: last}
	for s := first; s <= last; s++ {
		b.Events = append(b.Events, syncproto.Event{ID: fmt.Sprintf("%s-%s-%d", origin, subject, s), Origin: origin, Seq: s,
			HLC: hlc.Make(time.Now().UnixMilli(), 0), Actor: "clerk", Type: "parcel.inbound", V: 1, Subject: subject})
	}
	f, err := syncproto.Encode(syncproto.KindBatch, b, 512)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func lastAck(t *testing.T, c *client, outlet string) (syncproto.Ack, bool) {
	acks := c.received(syncproto.AckTopic(outlet))
	if len(acks) == 0 {
		return syncproto.Ack{}, false
	}
	var best syncproto.Ack
	for _, p := range acks {
		var a syncproto.Ack
		if _, err := syncproto.Decode(p, syncproto.KindAck, &a); err != nil {
			t.Fatalf("bad ack: %v", err)
		}
		if a.AckedSeq >= best.AckedSeq {
			best = a
		}
	}
	return best, true
}

func TestEmbeddedBrokerACL(t *testing.T) {
	s := startHub(t)
	addr := s.MQTTAddr()
	secA, secB := addOutlet(t, s, "A"), addOutlet(t, s, "B")
	ctx := context.Background()

	t.Run("refused credentials", func(t *testing.T) {
		for _, tc := range []struct{ user, pass string }{
			{"A", "wrong"}, {"A", ""}, {"C", secA}, {"", ""}, {"hub", secA}, {"yz/#", secA},
		} {
			if c, err := dial(addr, tc.user, tc.pass); err == nil {
				c.Disconnect(0)
				t.Errorf("connected as %q with password %q", tc.user, tc.pass)
			}
		}
	})

	a := mustDial(t, addr, "A", secA)
	b := mustDial(t, addr, "B", secB)
	a.sub(t, syncproto.OutletDownTree("A"))
	a.sub(t, syncproto.BroadcastTree)
	b.sub(t, syncproto.OutletDownTree("B"))
	b.sub(t, syncproto.BroadcastTree)

	t.Run("cannot take over another outlet's client id", func(t *testing.T) {
		if c, err := dialID(addr, optsID(a), "B", secB); err == nil {
			c.Disconnect(0)
			t.Errorf("B took over A's client id")
		}
		if !a.IsConnectionOpen() {
			t.Fatalf("A was disconnected by B's attempt")
		}
	})

	t.Run("own flow works", func(t *testing.T) {
		a.pub(t, syncproto.UplinkTopic("A"), 1, batch(t, "A", 1, 3, "OWN"))
		eventually(t, "A's ack", func() bool { ack, ok := lastAck(t, a, "A"); return ok && ack.AckedSeq == 3 })
	})

	t.Run("cannot read B's downlink", func(t *testing.T) {
		for _, f := range []string{"yz/v1/outlets/B/down/#", "yz/v1/outlets/+/down/#", "#", "yz/v1/outlets/B/down/ack"} {
			a.sub(t, f)
		}
		if _, err := s.Hub.PublishDown(ctx, "B", "notice.published", "", json.RawMessage(`{"for":"B"}`), "ops"); err != nil {
			t.Fatal(err)
		}
		b.pub(t, syncproto.UplinkTopic("B"), 1, batch(t, "B", 1, 1, "BOWN"))
		b.pub(t, syncproto.PullTopic("B"), 1, mustEncode(t, syncproto.KindPull, syncproto.Pull{Origin: "B"}))
		eventually(t, "B's downlink", func() bool { return len(b.received(syncproto.DownTopic("B"))) == 1 })
		eventually(t, "B's ack", func() bool { _, ok := lastAck(t, b, "B"); return ok })
		// A's own traffic goes through after B's, so anything A could see
		// of B's would have arrived by now.
		a.pub(t, syncproto.UplinkTopic("A"), 1, batch(t, "A", 4, 4, "OWN"))
		eventually(t, "A's ack", func() bool { ack, _ := lastAck(t, a, "A"); return ack.AckedSeq == 4 })
		a.mu.Lock()
		defer a.mu.Unlock()
		for _, m := range a.msgs {
			if strings.Contains(m.Topic(), "/B/") {
				t.Errorf("A received %s", m.Topic())
			}
		}
	})

	t.Run("cannot publish into B's uplink", func(t *testing.T) {
		// QoS 0: dropped silently. QoS 1: mochi disconnects a 3.1.1 client;
		// either way the hub must never see it, which is what we check.
		a.pub(t, syncproto.UplinkTopic("B"), 0, batch(t, "B", 2, 5, "SPOOF"))
		a.pub(t, "yz/v1/outlets/B/up/pull", 0, mustEncode(t, syncproto.KindPull, syncproto.Pull{Origin: "B", Since: 99}))
		a.pub(t, syncproto.UplinkTopic("A"), 1, batch(t, "A", 5, 5, "OWN"))
		eventually(t, "A's ack", func() bool { ack, _ := lastAck(t, a, "A"); return ack.AckedSeq == 5 })
		a2 := mustDial(t, addr, "A", secA)
		a2.pub(t, syncproto.UplinkTopic("B"), 1, batch(t, "B", 2, 5, "SPOOF"))
		eventually(t, "A's second connection dropped", func() bool { return !a2.IsConnectionOpen() })

		b.pub(t, syncproto.UplinkTopic("B"), 1, batch(t, "B", 2, 2, "BOWN"))
		eventually(t, "B's ack", func() bool { ack, _ := lastAck(t, b, "B"); return ack.AckedSeq == 2 })
		evs, _ := s.Store.SubjectEvents(ctx, "SPOOF")
		if len(evs) != 0 {
			t.Errorf("hub stored %d events A published as B", len(evs))
		}
		ob, _ := s.Store.Outlet(ctx, "B")
		if ob.AckedSeq != 2 || ob.DownCursor != 0 {
			t.Errorf("B's state changed by A: %+v", ob)
		}
	})

	t.Run("spoofed origin in own topic is refused", func(t *testing.T) {
		a3 := mustDial(t, addr, "A", secA)
		a3.sub(t, syncproto.OutletDownTree("A"))
		a3.pub(t, syncproto.UplinkTopic("A"), 1, batch(t, "B", 3, 3, "SPOOF"))
		eventually(t, "error ack", func() bool {
			for _, p := range a3.received(syncproto.AckTopic("A")) {
				var ack syncproto.Ack
				syncproto.Decode(p, syncproto.KindAck, &ack)
				if ack.Error != nil && ack.Error.Code == syncproto.CodeOriginMismatch {
					return true
				}
			}
			return false
		})
		c, _ := s.Hub.Counters(ctx)
		if c["reject.origin_mismatch"] != 1 {
			t.Errorf("origin_mismatch counted %d times, want 1", c["reject.origin_mismatch"])
		}
	})

	t.Run("broadcast reaches both", func(t *testing.T) {
		seq, err := s.Hub.PublishDown(ctx, syncproto.TargetAll, "notice.published", "", json.RawMessage(`{"text":"typhoon"}`), "ops")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []*client{a, b} {
			eventually(t, "poke", func() bool {
				for _, p := range c.received(syncproto.BroadcastPoke) {
					var pk syncproto.Poke
					if _, err := syncproto.Decode(p, syncproto.KindPoke, &pk); err == nil && pk.Seq == seq {
						return true
					}
				}
				return false
			})
		}
		a.pub(t, syncproto.PullTopic("A"), 1, mustEncode(t, syncproto.KindPull, syncproto.Pull{Origin: "A"}))
		eventually(t, "A's downlink", func() bool { return len(a.received(syncproto.DownTopic("A"))) == 1 })
		var d syncproto.Down
		if _, err := syncproto.Decode(a.received(syncproto.DownTopic("A"))[0], syncproto.KindDown, &d); err != nil {
			t.Fatal(err)
		}
		if len(d.Events) != 1 || d.Events[0].Seq != seq || d.Through != seq {
			t.Errorf("A's downlink = %+v (B's own notice must not be there)", d)
		}
	})
}

func mustEncode(t *testing.T, k syncproto.Kind, v any) []byte {
	f, err := syncproto.Encode(k, v, -1)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestAPI(t *testing.T) {
	s := startHub(t)
	base := "http://" + s.HTTPAddr()
	addOutlet(t, s, "SH-001")
	s.Hub.Handle(context.Background(), syncproto.UplinkTopic("SH-001"), batch(t, "SH-001", 1, 2, "RB123456785GB"))
	do := func(method, path, token, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatalf("%s %s: bad JSON %q", method, path, raw)
			}
		}
		return resp.StatusCode, m
	}
	tok := s.Token()
	for _, tc := range []struct {
		name, method, path, token, body string
		want                            int
		wantKey                         string
	}{
		{"healthz without token", "GET", "/healthz", "", "", 200, "status"},
		{"readyz without token", "GET", "/readyz", "", "", 200, "checks"},
		{"no token", "GET", "/api/v1/outlets", "", "", 401, "error"},
		{"wrong token", "GET", "/api/v1/outlets", tok + "x", "", 401, "error"},
		{"outlets", "GET", "/api/v1/outlets", tok, "", 200, "outlets"},
		{"outlet", "GET", "/api/v1/outlets/SH-001", tok, "", 200, "recent_dead_letters"},
		{"unknown outlet", "GET", "/api/v1/outlets/NOPE", tok, "", 404, "error"},
		{"parcel", "GET", "/api/v1/parcels/RB123456785GB", tok, "", 200, "events"},
		{"unknown parcel", "GET", "/api/v1/parcels/XX", tok, "", 404, "error"},
		{"downlink", "POST", "/api/v1/downlink", tok, `{"target":"*","type":"notice.published","payload":{"text":"hi"}}`, 201, "seq"},
		{"downlink bad target", "POST", "/api/v1/downlink", tok, `{"target":"a b","type":"x"}`, 400, "error"},
		{"downlink bad body", "POST", "/api/v1/downlink", tok, `{`, 400, "error"},
		{"rejects", "GET", "/api/v1/rejects", tok, "", 200, "rejects"},
		{"unknown route", "GET", "/api/v1/nope", tok, "", 404, "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, m := do(tc.method, tc.path, tc.token, tc.body)
			if code != tc.want {
				t.Errorf("status %d, want %d (%v)", code, tc.want, m)
			}
			if _, ok := m[tc.wantKey]; !ok {
				t.Errorf("response %v lacks %q", m, tc.wantKey)
			}
		})
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(raw, []byte("yizhan_hub_events_committed_total 2")) {
		t.Errorf("metrics lack the committed events counter")
	}
}

func optsID(c *client) string {
	r := c.OptionsReader()
	return r.ClientID()
}
