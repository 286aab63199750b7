package e2e

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// TestOfflineThenOnline: 10,000 scans while the hub is down all arrive
// exactly once and in order when it starts.
func TestOfflineThenOnline(t *testing.T) {
	for _, kind := range brokers {
		t.Run(kind, func(t *testing.T) {
			c := newCluster(t, kind, "SH-001")
			a := c.newAgent("SH-001")
			c.startAgent(a)
			acked := scanMany(t, a.http, "SF", 10000, 16, nil)
			if len(acked) != 10000 {
				t.Fatalf("%d of 10000 scans acknowledged while offline", len(acked))
			}
			if s := a.sync(t); s.AckedSeq != 0 || s.Backlog != 10000 {
				t.Fatalf("before the hub starts: %+v", s)
			}
			c.startHub()
			c.waitDrained(a, 90*time.Second)
			c.checkExactlyOnce("SH-001", 10000, acked)
			c.checkOutletHealth("SH-001", "SF")
		})
	}
}

// TestKilledAgent: SIGKILL the agent at random moments while it scans; every
// scan answered 201 reaches the hub, none twice.
func TestKilledAgent(t *testing.T) {
	for _, kind := range brokers {
		t.Run(kind, func(t *testing.T) {
			c := newCluster(t, kind, "SH-001")
			c.startHub()
			a := c.newAgent("SH-001")
			var acked []scanned
			for round := 0; round < 4; round++ {
				c.startAgent(a)
				stop := make(chan struct{})
				done := make(chan []scanned)
				go func(round int) { done <- scanMany(t, a.http, "K"+string(rune('A'+round)), 1<<30, 8, stop) }(round)
				time.Sleep(time.Duration(300+rand.IntN(1200)) * time.Millisecond) // a random moment, not a sync point
				close(stop)                                                       // workers stop taking new scans; those in flight race the kill
				a.proc.Kill()
				got := <-done
				if len(got) == 0 {
					t.Fatalf("round %d: no scan acknowledged before the kill", round)
				}
				acked = append(acked, got...)
			}
			c.startAgent(a)
			c.waitDrained(a, 90*time.Second)
			c.checkExactlyOnce("SH-001", a.sync(t).LastSeq, acked)
			t.Logf("%d acknowledged scans over 4 kills, %d events in the log", len(acked), a.sync(t).LastSeq)
		})
	}
}

// TestKilledHubAndBroker: kill the hub and restart the broker in the middle
// of a drain; the result is the same.
func TestKilledHubAndBroker(t *testing.T) {
	for _, kind := range brokers {
		t.Run(kind, func(t *testing.T) {
			c := newCluster(t, kind, "SH-001")
			a := c.newAgent("SH-001")
			// A slow link keeps the drain going long enough to interrupt it.
			var proxy *harness.Proxy
			if c.mosq != nil {
				proxy = harness.NewProxy(t, c.mosq.Addr())
			} else {
				proxy = harness.NewProxy(t, c.hubMQTT)
			}
			proxy.SetBandwidth(150 << 10)
			c.startAgentVia(a, proxy.URL())
			const n = 12000
			acked := scanMany(t, a.http, "H", n, 16, nil)
			c.startHub()
			midDrain := func(what string) {
				harness.Eventually(t, 60*time.Second, func() (bool, string) {
					h := c.hubAcked("SH-001")
					return h > 0, "waiting for the drain to start"
				})
				if h := c.hubAcked("SH-001"); h >= n {
					t.Fatalf("drain finished before %s; the test would prove nothing", what)
				}
			}
			midDrain("the hub kill")
			c.killHub()
			c.startHub()
			if c.mosq != nil {
				midDrain("the broker restart")
				c.mosq.Restart(t)
			}
			proxy.SetBandwidth(0)
			c.waitDrained(a, 120*time.Second)
			c.checkExactlyOnce("SH-001", n, acked)
		})
	}
}
