package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto"
)

// Flood sizes. Each frame is about 8 KB on the wire and inflates to just
// under syncproto.MaxBodyBytes; floodFrames of them inflate to 1.2 GB,
// almost five times the hub's default budget, and the attackers' shares
// together exceed the budget.
const (
	floodFrames       = 150
	floodBudgetMiB    = 256 // the hub's default ingest memory budget
	floodBaselineMiB  = 96  // the runtime, SQLite and the broker beside the budget, above the idle hub
	floodSecondOutlet = 200 // events the honest outlet scans during the flood
)

// TestCompressionFlood: five outlets publish hundreds of small gzip frames
// that each inflate to about 8 MiB, more than their shares together can
// hold, while another outlet keeps scanning. The hub's peak resident memory
// stays within its ingest budget plus a stated margin over its idle size,
// and every event of the honest outlet is acknowledged and stored once.
func TestCompressionFlood(t *testing.T) {
	for _, kind := range brokers {
		t.Run(kind, func(t *testing.T) { compressionFlood(t, kind) })
	}
}

func compressionFlood(t *testing.T, kind string) {
	attackers := []string{"SH-001", "SH-002", "SH-003", "SH-004", "SH-005"}
	c := newCluster(t, kind, append(attackers, "BJ-002")...)
	c.startHub()
	b := c.newAgent("BJ-002")
	c.startAgent(b)
	scanMany(t, b.http, "W", 5, 1, nil)
	c.waitDrained(b, 30*time.Second)
	idle := procStatusKB(t, c.hub.Pid(), "VmHWM:")

	sent := make(chan error, len(attackers))
	for _, id := range attackers {
		zeros, batch := floodFrame(t, id, false), floodFrame(t, id, true)
		attacker := c.mqttAs(id, c.secrets[id])
		go func() {
			for i := 0; i < floodFrames/len(attackers); i++ {
				// Not waiting for each PUBACK: the attacker writes as fast
				// as the hub reads. Most frames are refused once inflated;
				// one in ten is a batch that must be decoded to the end.
				frame := zeros
				if i%10 == 0 {
					frame = batch
				}
				attacker.Publish(syncproto.UplinkTopic(id), 1, false, frame)
			}
			tok := attacker.Publish(syncproto.UplinkTopic(id), 1, false, batch)
			tok.WaitTimeout(2 * time.Minute)
			sent <- tok.Error()
		}()
	}
	scanMany(t, b.http, "F", floodSecondOutlet, 4, nil)
	c.waitDrained(b, 2*time.Minute)
	for range attackers {
		if err := <-sent; err != nil {
			t.Fatalf("flood publish: %v", err)
		}
	}
	// Every flood frame has been read by the hub; wait until the hub has
	// refused them all, so the peak below covers the whole flood. Behind
	// Mosquitto, whose one connection carries every outlet, an attacker's
	// frames beyond what the hub holds for it are shed unread instead.
	harness.Eventually(t, 2*time.Minute, func() (bool, string) {
		r, _ := c.rejects()
		n := r[syncproto.CodeMalformed] + r[syncproto.CodeOversize] + r[syncproto.CodeInvalidEvent]
		shed := uint64(metricValue(c.hubHTTP, `yizhan_hub_uplink_messages_total{kind="batch",result="shed"}`))
		want := uint64(floodFrames + len(attackers))
		return n+shed >= want, fmt.Sprintf("%d of %d flood frames refused, %d shed: %v", n, want, shed, r)
	})
	peak := procStatusKB(t, c.hub.Pid(), "VmHWM:")
	limit := idle + (floodBudgetMiB+floodBaselineMiB)<<10
	t.Logf("hub peak RSS: idle %d MiB, after flood %d MiB, limit %d MiB", idle>>10, peak>>10, limit>>10)
	if os.Getenv("YZ_E2E_RACE") == "1" {
		// The race detector multiplies a program's memory: no bound holds.
		t.Logf("binaries built with -race: peak RSS not checked")
	} else if peak > limit {
		t.Fatalf("hub peak RSS %d MiB under a compression flood, over the budget %d MiB + margin %d MiB above idle %d MiB",
			peak>>10, floodBudgetMiB, floodBaselineMiB, idle>>10)
	}
	if !c.hub.Running() {
		t.Fatal("hub died under the flood")
	}
	c.checkExactlyOnce("BJ-002", 5+floodSecondOutlet, nil)
}

// floodFrame is a batch frame whose body inflates to just under
// syncproto.MaxBodyBytes from about 8 KB, compressed as well as gzip can:
// zero bytes, or with json a batch of origin padded with whitespace, which
// a decoder must read to the end before it knows the batch is empty.
func floodFrame(t testing.TB, origin string, json bool) []byte {
	tail := fmt.Sprintf(`{"origin":%q,"first":1,"last":1,"events":[]}`, origin)
	pad := byte(' ')
	if !json {
		pad, tail = 0, ""
	}
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zw.Write(bytes.Repeat([]byte{pad}, syncproto.MaxBodyBytes-64-len(tail)))
	zw.Write([]byte(tail))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return append([]byte{'Y', 'Z', syncproto.Major, syncproto.Minor, byte(syncproto.KindBatch), byte(syncproto.CodecGzip)}, z.Bytes()...)
}

// procStatusKB reads one kB field of /proc/PID/status, such as VmHWM (the
// peak resident set).
func procStatusKB(t testing.TB, pid int, field string) int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		harness.SkipOutsideCI(t, "no /proc here: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("%s in /proc/%d/status: %v", field, pid, err)
			}
			return kb
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
