package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// multiHub is head office's set-up: several yizhan-hub processes, each
// with its own HTTP port and broker client id, on one store behind one
// Mosquitto, which splits the uplink between them ($share). The cluster
// underneath holds the agents, the outlets' credentials and Mosquitto; its
// hubHTTP is kept on a hub that runs, so its helpers (hubAcked,
// waitDrained) ask one.
type multiHub struct {
	*cluster
	store string // the --store URL every hub opens
	hubs  []*hubProc
}

// hubProc is one of the hub processes.
type hubProc struct {
	http, clientID string
	proc           *harness.Proc
}

func newMultiHub(t *testing.T, n int, outlets ...string) *multiHub {
	t.Helper()
	c := newCluster(t, "mosquitto", outlets...)
	m := &multiHub{cluster: c, store: "sqlite://" + filepath.Join(c.hubDir(), "hub.db")}
	for i := range n {
		m.hubs = append(m.hubs, &hubProc{http: harness.FreeAddr(t), clientID: fmt.Sprintf("yizhan-hub-e2e-%d", i)})
	}
	c.hubHTTP = m.hubs[0].http
	return m
}

func (m *multiHub) hubURL(i int) string { return "http://" + m.hubs[i].http + "/api/v1" }

// startHubs starts every hub, each with extra arguments.
func (m *multiHub) startHubs(extra ...string) {
	m.t.Helper()
	for i, h := range m.hubs {
		args := append([]string{"run", "--data", filepath.Join(m.dir, fmt.Sprintf("hub-%d", i)), "--store", m.store,
			"--http", h.http, "--api-token", apiToken, "--log-format", "text",
			"--broker", fmt.Sprintf("tcp://%s:%s@%s", hubUser, hubPass, m.mosq.Addr()), "--mqtt-client-id", h.clientID}, extra...)
		h.proc = harness.Start(m.t, m.bins["yizhan-hub"], args...)
	}
	for _, h := range m.hubs {
		harness.WaitHTTP(m.t, "http://"+h.http+"/healthz", 20*time.Second)
	}
}

// kill SIGKILLs hub i; the cluster's helpers then ask another.
func (m *multiHub) kill(i int) {
	m.hubs[i].proc.Kill()
	m.hubHTTP = m.hubs[(i+1)%len(m.hubs)].http
}

// query runs q on the store and returns its one row of integers.
func (m *multiHub) query(q string) []int64 {
	m.t.Helper()
	db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(m.store, "sqlite://")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		m.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), q)
	if err != nil {
		m.t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	out := make([]int64, len(cols))
	ptrs := make([]any, len(cols))
	for i := range out {
		ptrs[i] = &out[i]
	}
	if !rows.Next() {
		m.t.Fatalf("%s: no row", q)
	}
	if err := rows.Scan(ptrs...); err != nil {
		m.t.Fatalf("%s: %v", q, err)
	}
	return out
}

// checkEventsOnce counts the outlets' events in the store with SQL: each
// (origin, epoch, seq) once, want of them in all.
func (m *multiHub) checkEventsOnce(want int64) {
	m.t.Helper()
	r := m.query(`SELECT count(*), count(DISTINCT origin || '/' || epoch || '/' || seq) FROM events WHERE origin <> 'hub'`)
	if r[0] != want || r[1] != want {
		m.t.Fatalf("store holds %d outlet events, %d distinct (origin, epoch, seq); want %d of each", r[0], r[1], want)
	}
}

// metric is an unlabelled metric of hub i, or "" if it does not answer.
func (m *multiHub) metric(i int, name string) string {
	resp, err := httpc.Get("http://" + m.hubs[i].http + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	return ""
}

// TestThreeHubsAndAKill: three hubs on one store drain the backlogs of
// three outlets; one hub is SIGKILLed mid-stream, then Mosquitto is
// restarted. Every event is stored exactly once, counted with SQL, and
// every agent's acked sequence equals its last.
func TestThreeHubsAndAKill(t *testing.T) {
	outlets := []string{"SH-001", "BJ-002", "GZ-003"}
	m := newMultiHub(t, 3, outlets...)
	const n = 3000
	var agents []*agent
	var acked [][]scanned
	var proxies []*harness.Proxy
	for _, id := range outlets {
		a := m.newAgent(id)
		// A slow link keeps the drain going long enough to interrupt it.
		p := harness.NewProxy(t, m.mosq.Addr())
		p.SetBandwidth(100 << 10)
		m.startAgentVia(a, p.URL())
		agents, proxies = append(agents, a), append(proxies, p)
	}
	var wg sync.WaitGroup
	acked = make([][]scanned, len(agents))
	for i, a := range agents {
		wg.Add(1)
		go func() { defer wg.Done(); acked[i] = scanMany(t, a.http, "M"+strconv.Itoa(i), n, 8, nil) }()
	}
	wg.Wait()
	m.startHubs()
	midDrain := func(what string) {
		t.Helper()
		harness.Eventually(t, 60*time.Second, func() (bool, string) {
			total := uint64(0)
			for _, id := range outlets {
				total += m.hubAcked(id)
			}
			return total > 0, "waiting for the drain to start"
		})
		for _, id := range outlets {
			if m.hubAcked(id) >= n {
				t.Fatalf("%s drained before %s; the test would prove nothing", id, what)
			}
		}
	}
	midDrain("the hub kill")
	m.kill(1)
	midDrain("the broker restart")
	m.mosq.Restart(t)
	for _, p := range proxies {
		p.SetBandwidth(0)
	}
	for _, a := range agents {
		m.waitDrained(a, 120*time.Second)
	}
	m.checkEventsOnce(int64(n * len(outlets)))
	for i, a := range agents {
		m.checkExactlyOnce(a.id, n, acked[i])
	}
}

// TestTimersAcrossHubs: with three hubs running, one complaint past its
// first-reply SLA is escalated exactly once; the hub holding the timers'
// lease is SIGKILLed, another takes the lease, sweeps, and escalates
// nothing again. Every hub then lists the same complaints.
func TestTimersAcrossHubs(t *testing.T) {
	m := newMultiHub(t, 3, "SH-001")
	m.startHubs("--sla-first-reply", "2s", "--sweep-every", "100ms")
	a := m.newAgent("SH-001")
	m.addStaff(a, "c01", "张三", "clerk", "1234")
	m.startAgent(a, "--pii-key-file", writePIIKey(t))
	agentURL := "http://" + a.http + "/api/v1"
	tok := staffLogin(t, agentURL, "c01", "1234")
	var comp struct{ Complaint struct{ ID string } }
	if code := call(t, "POST", agentURL+"/complaints", tok, map[string]any{"channel": "counter", "type": "complaint", "category": "delay",
		"severity": "routine", "text": "包裹迟到"}, &comp); code != 201 {
		t.Fatalf("complaint: HTTP %d", code)
	}
	m.waitDrained(a, 30*time.Second)
	escalations := func() int64 {
		return m.query(`SELECT count(*) FROM events WHERE origin = 'hub' AND type = 'complaint.step' AND actor = 'sla-timer' AND subject = '` + comp.Complaint.ID + `'`)[0]
	}
	holder := func() int {
		t.Helper()
		h := -1
		harness.Eventually(t, 30*time.Second, func() (bool, string) {
			held := 0
			for i := range m.hubs {
				if m.metric(i, "yizhan_hub_timer_lease") == "1" {
					held, h = held+1, i
				}
			}
			return held == 1, fmt.Sprintf("%d hubs hold the timers' lease", held)
		})
		return h
	}
	// sweeps waits for hub i to finish k more sweeps: whatever is due has
	// been sent by then.
	sweeps := func(i, k int) {
		t.Helper()
		from, _ := strconv.Atoi(m.metric(i, "yizhan_hub_timer_sweeps_total"))
		harness.Eventually(t, 30*time.Second, func() (bool, string) {
			now, _ := strconv.Atoi(m.metric(i, "yizhan_hub_timer_sweeps_total"))
			return now >= from+k, fmt.Sprintf("hub %d swept %d times since %d", i, now, from)
		})
	}
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		n := escalations()
		return n > 0, "waiting for the SLA escalation"
	})
	h := holder()
	sweeps(h, 5)
	if n := escalations(); n != 1 {
		t.Fatalf("%d SLA escalations in the store, want 1", n)
	}
	m.kill(h)
	next := holder()
	if next == h {
		t.Fatal("the killed hub still holds the lease")
	}
	sweeps(next, 5)
	if n := escalations(); n != 1 {
		t.Fatalf("after the lease changed hands: %d SLA escalations in the store, want 1", n)
	}
	m.sameOnEveryHub("/complaints", h)
}

// sameOnEveryHub asserts that every running hub (all but the skipped
// ones) answers path with the same JSON.
func (m *multiHub) sameOnEveryHub(path string, skip ...int) {
	m.t.Helper()
	var first any
	firstHub := -1
	for i := range m.hubs {
		if containsInt(skip, i) {
			continue
		}
		var got any
		if code := getJSON(m.t, m.hubURL(i)+path, true, &got); code != 200 {
			m.t.Fatalf("GET %s from hub %d: HTTP %d", path, i, code)
		}
		if firstHub < 0 {
			first, firstHub = got, i
			continue
		}
		if !reflect.DeepEqual(got, first) {
			m.t.Fatalf("GET %s: hub %d answers\n%v\nhub %d answers\n%v", path, i, got, firstHub, first)
		}
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestDownlinkAcrossHubs: notices published at once through the API of
// three hubs reach every outlet exactly once: the downlink log is numbered
// 1..N without a gap, every agent's cursor reaches N and it holds each
// notice once. Every hub then answers the head-office API with the same
// data.
func TestDownlinkAcrossHubs(t *testing.T) {
	outlets := []string{"SH-001", "BJ-002"}
	m := newMultiHub(t, 3, outlets...)
	m.startHubs()
	key := writePIIKey(t)
	var agents []*agent
	var logins []string
	for _, id := range outlets {
		a := m.newAgent(id)
		m.addStaff(a, "c01", "张三", "clerk", "1234")
		m.startAgent(a, "--pii-key-file", key)
		agents = append(agents, a)
		logins = append(logins, staffLogin(t, "http://"+a.http+"/api/v1", "c01", "1234"))
		scanMany(t, a.http, "D"+id, 5, 1, nil)
	}
	const perHub = 6
	var mu sync.Mutex
	published := map[string]bool{}
	var wg sync.WaitGroup
	for i := range m.hubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range perHub {
				var n struct {
					ID string `json:"id"`
				}
				if code := call(t, "POST", m.hubURL(i)+"/notices", apiToken, map[string]any{"title": fmt.Sprintf("通知 %d-%d", i, k), "text": "今日派送可能延误。", "actor": "hq-ops"}, &n); code != 201 || n.ID == "" {
					t.Errorf("publish notice through hub %d: HTTP %d", i, code)
					return
				}
				mu.Lock()
				published[n.ID] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	total := int64(len(m.hubs) * perHub)
	if r := m.query(`SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM downlink`); r[0] != total || r[1] != total || r[2] != 1 || r[3] != total {
		t.Fatalf("downlink log: %d rows, %d distinct, seqs %d..%d; want 1..%d once each", r[0], r[1], r[2], r[3], total)
	}
	for i, a := range agents {
		harness.Eventually(t, 30*time.Second, func() (bool, string) {
			s := a.sync(t)
			return s.Down == uint64(total), fmt.Sprintf("%s down cursor %d, want %d", a.id, s.Down, total)
		})
		var got struct {
			Notices []struct {
				ID string `json:"id"`
			} `json:"notices"`
		}
		if code := call(t, "GET", "http://"+a.http+"/api/v1/notices", logins[i], nil, &got); code != 200 {
			t.Fatalf("%s notices: HTTP %d", a.id, code)
		}
		seen := map[string]bool{}
		for _, n := range got.Notices {
			if seen[n.ID] || !published[n.ID] {
				t.Fatalf("%s holds notice %s twice or never published", a.id, n.ID)
			}
			seen[n.ID] = true
		}
		if len(seen) != len(published) {
			t.Fatalf("%s holds %d notices, %d were published", a.id, len(seen), len(published))
		}
	}
	for _, a := range agents {
		m.waitDrained(a, 30*time.Second)
	}
	for _, path := range []string{"/outlets", "/notices", "/complaints", "/exceptions"} {
		m.sameOnEveryHub(path)
	}
}
