package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto"
)

// mqttAs connects a raw client with an outlet's credentials under its own
// client id, as an attacker holding those credentials would.
func (c *cluster) mqttAs(user, pass string) paho.Client {
	c.t.Helper()
	opts := paho.NewClientOptions().AddBroker(c.brokerURL()).SetClientID(fmt.Sprintf("probe-%s-%d", user, time.Now().UnixNano())).
		SetUsername(user).SetPassword(pass).SetCleanSession(true).SetAutoReconnect(false)
	cl := paho.NewClient(opts)
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		c.t.Fatalf("connect as %s: %v", user, tok.Error())
	}
	c.t.Cleanup(func() { cl.Disconnect(100) })
	return cl
}

func (c *cluster) rejects() (map[string]uint64, uint64) {
	var r struct {
		Rejects  map[string]uint64 `json:"rejects"`
		Replayed uint64            `json:"replayed_batches"`
	}
	getJSON(c.t, "http://"+c.hubHTTP+"/api/v1/rejects", true, &r)
	return r.Rejects, r.Replayed
}

func batchFrame(t testing.TB, origin string, first uint64, n int) []byte {
	b := syncproto.Batch{Origin: origin, First: first, Last: first + uint64(n) - 1}
	for i := 0; i < n; i++ {
		seq := first + uint64(i)
		b.Events = append(b.Events, syncproto.Event{ID: fmt.Sprintf("forged-%s-%d", origin, seq), Origin: origin, Seq: seq, HLC: 1 << 30,
			Actor: "x", Type: "parcel.scanned", V: 1, Subject: "FORGED", Payload: json.RawMessage(`{"barcode":"FORGED","action":"inbound"}`)})
	}
	f, err := syncproto.Encode(syncproto.KindBatch, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func postDownlink(t testing.TB, c *cluster, target, typ string) {
	body, _ := json.Marshal(map[string]any{"target": target, "type": typ, "subject": "N-1", "payload": map[string]string{"text": "暂停服务 / service suspended"}})
	req, _ := http.NewRequest("POST", "http://"+c.hubHTTP+"/api/v1/downlink", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := httpc.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("post downlink: %v %v", resp, err)
	}
	resp.Body.Close()
}

// TestACLAndSpoofing: outlet A's credentials cannot publish into B's uplink
// or read B's downlink; a batch in A's own topic claiming B's origin is
// rejected and counted. On both brokers.
func TestACLAndSpoofing(t *testing.T) {
	for _, kind := range brokers {
		t.Run(kind, func(t *testing.T) {
			c := newCluster(t, kind, "SH-001", "BJ-002")
			c.startHub()
			b := c.newAgent("BJ-002")
			c.startAgent(b)
			scanMany(t, b.http, "B", 5, 1, nil)
			c.waitDrained(b, 30*time.Second)

			// 1. Spoof: B's origin inside A's own topic, which the broker allows.
			spoof := c.mqttAs("SH-001", c.secrets["SH-001"])
			spoof.Publish(syncproto.UplinkTopic("SH-001"), 1, false, batchFrame(t, "BJ-002", 6, 3)).WaitTimeout(5 * time.Second)
			harness.Eventually(t, 20*time.Second, func() (bool, string) {
				r, _ := c.rejects()
				return r[syncproto.CodeOriginMismatch] >= 1, fmt.Sprintf("rejects %v", r)
			})
			// 2. A forged batch for B into B's uplink topic, and a subscription
			// to B's downlink. A broker may answer the denied publish by
			// dropping the connection (mochi does); either way nothing may
			// reach the hub or A.
			spy := c.mqttAs("SH-001", c.secrets["SH-001"])
			var mu sync.Mutex
			var stolen []string
			spy.Subscribe(syncproto.OutletDownTree("BJ-002"), 1, func(_ paho.Client, m paho.Message) {
				mu.Lock()
				stolen = append(stolen, m.Topic())
				mu.Unlock()
			}).WaitTimeout(5 * time.Second)
			evil := c.mqttAs("SH-001", c.secrets["SH-001"])
			evil.Publish(syncproto.UplinkTopic("BJ-002"), 1, false, batchFrame(t, "BJ-002", 6, 3)).WaitTimeout(5 * time.Second)
			// B's real traffic and a downlink for B flow after the attempts;
			// once they are through, the forged batch has had its chance.
			scanMany(t, b.http, "B2", 5, 1, nil)
			postDownlink(t, c, "BJ-002", "notice.published")
			c.waitDrained(b, 30*time.Second)
			harness.Eventually(t, 20*time.Second, func() (bool, string) {
				s := b.sync(t)
				return s.Down >= 1, fmt.Sprintf("B's down cursor %d", s.Down)
			})
			for _, r := range c.hubEvents("BJ-002") {
				if strings.HasPrefix(r.ID, "forged-") {
					t.Fatalf("forged event %s stored as BJ-002's", r.ID)
				}
			}
			if n := len(c.hubEvents("BJ-002")); n != 10 {
				t.Fatalf("hub holds %d events of BJ-002, want its 10 real ones", n)
			}
			if !spy.IsConnectionOpen() {
				t.Fatal("the spying client was disconnected, so its silence proves nothing")
			}
			mu.Lock()
			defer mu.Unlock()
			if len(stolen) > 0 {
				t.Fatalf("SH-001 read BJ-002's downlink: %v", stolen)
			}
		})
	}
}

// TestBadInputAtHub: malformed, oversize, truncated, unknown-version and
// replayed payloads are each rejected with a reason and counted, and the
// outlet's good stream keeps flowing.
func TestBadInputAtHub(t *testing.T) {
	for _, kind := range brokers {
		t.Run(kind, func(t *testing.T) {
			c := newCluster(t, kind, "SH-001")
			c.startHub()
			a := c.newAgent("SH-001")
			c.startAgent(a)
			scanMany(t, a.http, "G", 20, 2, nil)
			c.waitDrained(a, 30*time.Second)

			probe := c.mqttAs("SH-001", c.secrets["SH-001"])
			var mu sync.Mutex
			var acks []syncproto.Ack
			probe.Subscribe(syncproto.AckTopic("SH-001"), 1, func(_ paho.Client, m paho.Message) {
				var ack syncproto.Ack
				if _, err := syncproto.Decode(m.Payload(), syncproto.KindAck, &ack); err == nil {
					mu.Lock()
					acks = append(acks, ack)
					mu.Unlock()
				}
			}).WaitTimeout(5 * time.Second)

			good := c.replayFrame("SH-001", a.sync(t).Incarnation, 1, 2) // events the hub already holds: a replay
			var bomb bytes.Buffer
			zw := gzip.NewWriter(&bomb)
			zw.Write(bytes.Repeat([]byte{' '}, syncproto.MaxBodyBytes+1024))
			zw.Close()
			v2 := append([]byte{'Y', 'Z', 2, 0}, good[4:]...)
			bad := map[string][]byte{
				syncproto.CodeMalformed + "/garbage":   []byte("not a frame at all"),
				syncproto.CodeMalformed + "/truncated": good[:len(good)/2],
				syncproto.CodeOversize + "/frame":      append(append([]byte{}, good[:6]...), make([]byte, syncproto.MaxFrameBytes)...),
				syncproto.CodeOversize + "/bomb":       append([]byte{'Y', 'Z', 1, 0, 1, 1}, bomb.Bytes()...),
				syncproto.CodeUnsupportedVersion:       v2,
			}
			before, replayedBefore := c.rejects()
			for name, frame := range bad {
				probe.Publish(syncproto.UplinkTopic("SH-001"), 1, false, frame).WaitTimeout(5 * time.Second)
				_ = name
			}
			probe.Publish(syncproto.UplinkTopic("SH-001"), 1, false, good).WaitTimeout(5 * time.Second)
			harness.Eventually(t, 20*time.Second, func() (bool, string) {
				r, replayed := c.rejects()
				ok := r[syncproto.CodeMalformed] >= before[syncproto.CodeMalformed]+2 &&
					r[syncproto.CodeOversize] >= before[syncproto.CodeOversize]+2 &&
					r[syncproto.CodeUnsupportedVersion] >= before[syncproto.CodeUnsupportedVersion]+1 &&
					replayed >= replayedBefore+1
				return ok, fmt.Sprintf("rejects %v replayed %d (before %v, %d)", r, replayed, before, replayedBefore)
			})
			harness.Eventually(t, 10*time.Second, func() (bool, string) {
				mu.Lock()
				defer mu.Unlock()
				for _, a := range acks {
					if a.Error != nil && a.Error.Code == syncproto.CodeUnsupportedVersion && a.Error.Reason != "" {
						return true, ""
					}
				}
				return false, fmt.Sprintf("no ack with an unsupported_version reason among %d acks", len(acks))
			})
			if !c.hub.Running() {
				t.Fatal("hub died on bad input")
			}
			scanMany(t, a.http, "G2", 20, 2, nil)
			c.waitDrained(a, 30*time.Second)
			c.checkExactlyOnce("SH-001", 40, nil)
		})
	}
}

// TestAgentRejectsBadBarcodes: the API answers 400 and saves nothing.
func TestAgentRejectsBadBarcodes(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001")
	a := c.newAgent("SH-001")
	c.startAgent(a)
	for _, bc := range []string{"", "   ", strings.Repeat("9", 200), "SF12\x0734", "SF\x1b[2J"} {
		_, code, err := postScan(a.http, bc)
		if err != nil || code != http.StatusBadRequest {
			t.Fatalf("barcode %q: code %d err %v", bc, code, err)
		}
	}
	if s := a.sync(t); s.LastSeq != 0 {
		t.Fatalf("bad barcodes saved: last_seq %d", s.LastSeq)
	}
}

// TestClockSkew: an agent whose clock is 6 hours behind, then 6 hours
// ahead, then behind again keeps a monotonic HLC, and the hub's HLC order
// of its events is their sequence order.
func TestClockSkew(t *testing.T) {
	for _, kind := range brokers {
		t.Run(kind, func(t *testing.T) {
			c := newCluster(t, kind, "SH-001")
			c.startHub()
			a := c.newAgent("SH-001")
			for i, off := range []string{"-6h", "6h", "-6h"} {
				c.startAgent(a, "--clock-offset", off)
				scanMany(t, a.http, fmt.Sprintf("C%d-", i), 50, 4, nil)
				c.waitDrained(a, 30*time.Second)
				a.proc.Stop()
			}
			rows := c.hubEvents("SH-001")
			if len(rows) != 150 {
				t.Fatalf("%d events at the hub", len(rows))
			}
			for i := 1; i < len(rows); i++ {
				if rows[i].HLC <= rows[i-1].HLC {
					t.Fatalf("HLC not increasing with seq at seq %d: %d after %d", rows[i].Seq, rows[i].HLC, rows[i-1].HLC)
				}
			}
		})
	}
}

// TestDownlinkToOneAndAll: a notice for all outlets and one for a single
// outlet each arrive where they should, including at an outlet that was
// offline when they were published.
func TestDownlinkToOneAndAll(t *testing.T) {
	for _, kind := range brokers {
		t.Run(kind, func(t *testing.T) {
			c := newCluster(t, kind, "SH-001", "BJ-002")
			c.startHub()
			a, b := c.newAgent("SH-001"), c.newAgent("BJ-002")
			c.startAgent(a)
			postDownlink(t, c, "*", "notice.published")
			postDownlink(t, c, "SH-001", "template.published")
			harness.Eventually(t, 20*time.Second, func() (bool, string) {
				s := a.sync(t)
				return s.Down >= 2, fmt.Sprintf("SH-001 down cursor %d", s.Down)
			})
			c.startAgent(b) // was offline when both were published
			harness.Eventually(t, 20*time.Second, func() (bool, string) {
				s := b.sync(t)
				return s.Down >= 2, fmt.Sprintf("BJ-002 down cursor %d", s.Down)
			})
			var got struct {
				Events []syncproto.Event `json:"events"`
			}
			getJSON(t, "http://"+b.http+"/api/v1/downlink", false, &got)
			if len(got.Events) != 1 || got.Events[0].Type != "notice.published" {
				t.Fatalf("BJ-002 got %+v; want only the broadcast", got.Events)
			}
			getJSON(t, "http://"+a.http+"/api/v1/downlink", false, &got)
			if len(got.Events) != 2 {
				t.Fatalf("SH-001 got %d downlink events, want 2", len(got.Events))
			}
		})
	}
}
