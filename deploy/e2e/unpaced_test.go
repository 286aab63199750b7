package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestUnpacedScansThroughMosquittoDropNothing: eight outlets, each scanned
// by six clients as fast as its agent answers, sync through a real
// Mosquitto with its default queue (1,000 messages a client) to two hubs
// on PostgreSQL sharing the uplink. A scan that arrives while batches are
// in flight makes a small batch of its own; an agent whose window counted
// events let hundreds of them pile up, more than the hubs take at once,
// and the broker's queue for a hub overflowed ("Outgoing messages are
// being dropped"), leaving the outlets to their resend timers. Here the
// broker drops nothing, and every event of every outlet reaches the store
// exactly once. The time it took is logged, not checked.
func TestUnpacedScansThroughMosquittoDropNothing(t *testing.T) {
	ids := []string{"SH-001", "SH-002", "BJ-003", "BJ-004", "GZ-005", "GZ-006", "SZ-007", "SZ-008"}
	m := newMultiHub(t, 2, false, ids...)
	m.startHubs()
	c := m.cluster
	var agents []*agent
	for _, id := range ids {
		a := c.newAgent(id)
		c.startAgent(a)
		agents = append(agents, a)
	}
	const scans = 2000
	acked := make([][]scanned, len(agents))
	var wg sync.WaitGroup
	start := time.Now()
	for i, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acked[i] = scanMany(t, a.http, fmt.Sprintf("P%d-", i), scans, 6, nil)
		}()
	}
	wg.Wait()
	for _, a := range agents {
		c.waitDrained(a, 120*time.Second)
	}
	took := time.Since(start)
	var resends uint64
	for i, a := range agents {
		if len(acked[i]) != scans {
			t.Fatalf("%s: %d of %d scans answered 201", a.id, len(acked[i]), scans)
		}
		m.checkExactlyOnce(a.id, a.sync(t).LastSeq, acked[i])
		var st struct {
			Batches uint64 `json:"batches_sent"`
			Resends uint64 `json:"resends"`
		}
		getJSON(t, "http://"+a.http+"/api/v1/sync", false, &st)
		resends += st.Resends
		t.Logf("%s: %d events in %d batches, %d resends", a.id, a.sync(t).LastSeq, st.Batches, st.Resends)
	}
	dropped := strings.Count(c.mosq.Log(), "being dropped")
	// A measurement, not a threshold: docs/BENCHMARKS.md records it.
	t.Logf("%d events from %d outlets scanned and acknowledged in %v (%.0f events/s), %d resends, %d dropped lines",
		scans*len(agents), len(agents), took.Round(time.Millisecond), float64(scans*len(agents))/took.Seconds(), resends, dropped)
	if dropped != 0 {
		t.Fatalf("Mosquitto dropped messages queued for the hubs %d times:\n%s", dropped, lastLines(c.mosq.Log(), 20))
	}
}
