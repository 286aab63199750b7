package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestUnpacedScansThroughMosquittoDropNothing: four outlets, each scanned
// by four clients as fast as its agent answers, sync to one hub through a
// real Mosquitto with its default queue (1,000 messages a client). A scan
// arriving while the previous batch is in flight goes in a batch of its
// own, so an agent may pipeline many small batches; the hub must read its
// one subscription as fast as they come, or the broker's queue for it
// overflows: "Outgoing messages are being dropped", and the outlets wait
// for their resend timers. Here the broker drops nothing, and every event
// of every outlet reaches the store exactly once.
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
	for i, a := range agents {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acked[i] = scanMany(t, a.http, fmt.Sprintf("P%d-", i), scans, 6, nil)
		}()
	}
	wg.Wait()
	for i, a := range agents {
		if len(acked[i]) != scans {
			t.Fatalf("%s: %d of %d scans answered 201", a.id, len(acked[i]), scans)
		}
		c.waitDrained(a, 120*time.Second)
		m.checkExactlyOnce(a.id, a.sync(t).LastSeq, acked[i])
		var st struct {
			Batches uint64 `json:"batches_sent"`
			Resends uint64 `json:"resends"`
		}
		getJSON(t, "http://"+a.http+"/api/v1/sync", false, &st)
		t.Logf("%s: %d events in %d batches, %d resends", a.id, a.sync(t).LastSeq, st.Batches, st.Resends)
	}
	if n := strings.Count(c.mosq.Log(), "being dropped"); n != 0 {
		t.Fatalf("Mosquitto dropped messages queued for the hub %d times:\n%s", n, lastLines(c.mosq.Log(), 20))
	}
}
