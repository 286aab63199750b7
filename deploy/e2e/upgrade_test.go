package e2e

import (
	"fmt"
	"math"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/store/postgres"
)

// startHubWith starts hub i of m with the binary bin (another version's).
func (m *multiHub) startHubWith(i int, bin string, extra ...string) {
	m.t.Helper()
	h := m.hubs[i]
	args := append([]string{"run", "--data", filepath.Join(m.dir, fmt.Sprintf("hub-%d", i)), "--store", m.store,
		"--http", h.http, "--api-token", apiToken, "--log-format", "text",
		"--broker", fmt.Sprintf("tcp://%s:%s@%s", hubUser, hubPass, m.mosq.Addr()), "--mqtt-client-id", h.clientID}, extra...)
	h.proc = harness.Start(m.t, bin, args...)
	harness.WaitHTTP(m.t, "http://"+h.http+"/healthz", 30*time.Second)
}

// startAgentWith starts a with the agent binary bin, its API token made by
// the same binary, so that an older agent's data file is written only by
// its own version.
func (c *cluster) startAgentWith(a *agent, bin string) {
	c.t.Helper()
	if a.token == "" {
		out, err := exec.Command(bin, "token", "add", "--data", a.dir, "--name", "e2e", "--scope", "scans,read").CombinedOutput()
		if err != nil {
			c.t.Fatalf("token add for %s: %v\n%s", a.id, err, out)
		}
		a.token = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	c.rememberToken(a)
	a.proc = harness.Start(c.t, bin, c.agentArgs(a, c.brokerURL())...)
	harness.WaitHTTP(c.t, "http://"+a.http+"/healthz", 20*time.Second)
}

// scanPaced posts a scan to the agent at addr every interval, as a busy
// counter does, until stop closes, and returns every 201. A scan cut off
// by stop is not counted and fails nothing.
func scanPaced(t *testing.T, addr, prefix string, every time.Duration, stop <-chan struct{}) []scanned {
	var out []scanned
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return out
		case <-tick.C:
		}
		s, code, err := postScan(addr, fmt.Sprintf("%s%08d", prefix, i))
		if err != nil || code != http.StatusCreated {
			select {
			case <-stop:
				return out
			default:
			}
			t.Errorf("scan %d at %s: code %d err %v", i, addr, code, err)
			return out
		}
		out = append(out, s)
	}
}

// TestUpgradeHubsOneAtATime: head office runs two hubs of the release
// (releaseCommit) on one PostgreSQL database behind Mosquitto, sharing the
// uplink ($share). An outlet on the release's agent (the contract's older
// minor) and one on the current agent scan while the hubs are upgraded one
// at a time: SIGTERM an old hub, start the current one on the same store,
// which migrates it while the other hub still runs. At the end the
// release's agent is upgraded on its data file, with what it has not
// sent, and scans on; every event of both outlets is in the store exactly
// once, and both outboxes are empty.
//
// The current agent is scanned by two clients as fast as it answers. The
// release's agent is paced to 50 scans a second: its window counts events,
// not batches, so scans arriving one by one put hundreds of small batches
// in flight, more than the release's hubs take at once, and Mosquitto
// dropped messages queued for them ("Outgoing messages are being
// dropped"); the current hubs shed that excess instead, and the outlet
// then waits for its own resends. Unpaced, it also overflowed the queue
// Mosquitto keeps for a stopped release hub, whose persistent session
// still takes its turn of the shared subscription (the current hubs'
// clean sessions leave it). The current agent keeps
// syncproto.UplinkWindow batches in flight, whatever their size
// (TestUnpacedScansThroughMosquittoDropNothing).
func TestUpgradeHubsOneAtATime(t *testing.T) {
	skipShort(t)
	old := harness.BuildAt(t, releaseCommit, agentPkg, hubPkg)
	m := newMultiHub(t, 2, false, "SH-001", "BJ-002")
	cur := m.bins
	for i := range m.hubs {
		m.startHubWith(i, old["yizhan-hub"])
	}
	if v := m.query(`SELECT max(version) FROM schema_version`)[0]; v != 5 {
		t.Fatalf("the release's hubs made a store at schema %d, want the release's 5", v)
	}
	olda, newa := m.newAgent("SH-001"), m.newAgent("BJ-002")
	m.startAgentWith(olda, old["yizhan-agent"])
	m.startAgentWith(newa, cur["yizhan-agent"])

	stop := make(chan struct{})
	var wg sync.WaitGroup
	acked := make([][]scanned, 2)
	for i, a := range []*agent{olda, newa} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if a == olda {
				acked[i] = scanPaced(t, a.http, fmt.Sprintf("U%d-", i), 20*time.Millisecond, stop)
			} else {
				acked[i] = scanMany(t, a.http, fmt.Sprintf("U%d-", i), math.MaxInt32, 2, stop)
			}
		}()
	}
	// progress waits until both outlets' events reached the store since
	// the last call: each step happens while both are syncing.
	seen := map[string]int64{}
	progress := func(what string) {
		t.Helper()
		harness.Eventually(t, 60*time.Second, func() (bool, string) {
			ok := true
			var desc []string
			for _, id := range []string{"SH-001", "BJ-002"} {
				n := m.query(`SELECT count(*) FROM events WHERE origin = '` + id + `'`)[0]
				desc = append(desc, fmt.Sprintf("%s %d (was %d)", id, n, seen[id]))
				if n <= seen[id] {
					ok = false
				}
			}
			if ok {
				for _, id := range []string{"SH-001", "BJ-002"} {
					seen[id] = m.query(`SELECT count(*) FROM events WHERE origin = '` + id + `'`)[0]
				}
			}
			return ok, what + ": events in the store: " + strings.Join(desc, ", ")
		})
	}
	progress("both release hubs")
	for i := range m.hubs {
		other := (i + 1) % len(m.hubs)
		m.hubHTTP = m.hubs[other].http
		if err := m.hubs[i].proc.Stop(); err != nil {
			t.Logf("hub %d stopped: %v", i, err)
		}
		progress(fmt.Sprintf("hub %d stopped, hub %d alone", i, other))
		m.startHubWith(i, cur["yizhan-hub"])
		progress(fmt.Sprintf("hub %d upgraded", i))
	}
	close(stop)
	wg.Wait()
	// Last, the outlet on the release's agent is upgraded too, with
	// whatever it has not sent yet: the current agent opens its data file
	// (migrating it) and goes on from its outbox.
	if err := olda.proc.Stop(); err != nil {
		t.Logf("release agent stopped: %v", err)
	}
	m.startAgentWith(olda, cur["yizhan-agent"])
	acked[0] = append(acked[0], scanMany(t, olda.http, "U0-after-", 20, 2, nil)...)
	if v := m.query(`SELECT max(version) FROM schema_version`)[0]; v != int64(postgres.SchemaVersion()) {
		t.Fatalf("store at schema %d after the upgrade, want this version's %d", v, postgres.SchemaVersion())
	}
	for i, a := range []*agent{olda, newa} {
		m.waitDrained(a, 120*time.Second)
		s := a.sync(t)
		if s.Backlog != 0 || s.AckedSeq != s.LastSeq || len(acked[i]) == 0 {
			t.Fatalf("%s after the upgrade: %+v, %d scans acknowledged", a.id, s, len(acked[i]))
		}
		m.checkExactlyOnce(a.id, s.LastSeq, acked[i])
		t.Logf("%s: %d events, each once in the store", a.id, s.LastSeq)
	}
	m.checkEventsOnce(int64(olda.sync(t).LastSeq + newa.sync(t).LastSeq))
}
