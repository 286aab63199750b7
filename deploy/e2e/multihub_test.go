package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
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
// with its own HTTP port and broker client id, on one PostgreSQL database
// behind one Mosquitto, which splits the uplink between them ($share). The
// cluster underneath holds the agents, the outlets' credentials (Mosquitto
// checks them) and Mosquitto; its hubHTTP is kept on a hub that runs, so
// its helpers (hubAcked, waitDrained) ask one.
type multiHub struct {
	*cluster
	pg    *harness.Postgres
	db    string // the database's name on pg
	store string // the --store URL every hub opens
	hubs  []*hubProc
}

// hubProc is one of the hub processes.
type hubProc struct {
	http, clientID string
	proc           *harness.Proc
}

// sharedPG is one PostgreSQL server for the package's multi-hub tests,
// each in a database of its own: made by the first test that needs it
// (initdb takes seconds), closed by TestMain.
var sharedPG struct {
	once sync.Once
	p    *harness.Postgres
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedPG.p != nil {
		sharedPG.p.Close()
	}
	os.Exit(code)
}

// newMultiHub makes n hubs' set-up on a database of the shared server, or
// of a server of the test's own with ownServer (a test that stops it).
func newMultiHub(t *testing.T, n int, ownServer bool, outlets ...string) *multiHub {
	t.Helper()
	c := newCluster(t, "mosquitto", outlets...)
	m := &multiHub{cluster: c}
	if ownServer {
		m.pg = harness.StartPostgres(t, harness.PostgresOptions{})
	} else {
		sharedPG.once.Do(func() {
			if sharedPG.p, sharedPG.err = harness.NewPostgres(harness.PostgresOptions{}); sharedPG.err == nil {
				sharedPG.err = sharedPG.p.Start()
			}
		})
		if sharedPG.err != nil {
			harness.SkipOutsideCI(t, "no PostgreSQL for the multi-hub tests: %v", sharedPG.err)
		}
		m.pg = sharedPG.p
	}
	m.store = m.pg.NewDatabase(t)
	u, err := url.Parse(m.store)
	if err != nil {
		t.Fatal(err)
	}
	m.db = strings.TrimPrefix(u.Path, "/")
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

// query runs q in the database and returns its one row of integers.
func (m *multiHub) query(q string) []int64 {
	m.t.Helper()
	out, err := m.pg.SQL(m.db, q)
	if err != nil {
		m.t.Fatalf("%s: %v", q, err)
	}
	var row []int64
	for _, f := range strings.Split(out, "|") {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			m.t.Fatalf("%s: %q is not a row of integers", q, out)
		}
		row = append(row, n)
	}
	return row
}

// events lists origin's events in the database in sequence order, for
// the cluster's exactly-once check.
func (m *multiHub) events(origin string) []hubRow {
	m.t.Helper()
	out, err := m.pg.SQL(m.db, `SELECT seq, id, hlc FROM events WHERE origin = '`+origin+`' ORDER BY epoch, seq`)
	if err != nil {
		m.t.Fatal(err)
	}
	var rows []hubRow
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			continue
		}
		seq, _ := strconv.ParseUint(f[0], 10, 64)
		h, _ := strconv.ParseUint(f[2], 10, 64)
		rows = append(rows, hubRow{Seq: seq, ID: f[1], HLC: h})
	}
	return rows
}

// checkExactlyOnce is cluster.checkExactlyOnce on the database: origin's
// seqs 1..last each once, every acknowledged scan under its id.
func (m *multiHub) checkExactlyOnce(origin string, last uint64, acked []scanned) {
	m.t.Helper()
	checkRowsOnce(m.t, "database", m.events(origin), origin, last, acked)
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

// readyz is hub i's /readyz status and catalog code ("" when ok, or
// when it does not answer: status 0).
func (m *multiHub) readyz(i int) (int, string) {
	var b struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	code := getJSON(m.t, "http://"+m.hubs[i].http+"/readyz", false, &b)
	return code, b.Error.Code
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
	m := newMultiHub(t, 3, false, outlets...)
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
	m := newMultiHub(t, 3, false, "SH-001")
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
	// One store, so the answers differ only while an outlet's pull moves
	// its live fields (last seen, down cursor) between two reads: they
	// must agree once it has settled.
	harness.Eventually(m.t, 30*time.Second, func() (bool, string) {
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
				return false, fmt.Sprintf("GET %s: hub %d answers\n%v\nhub %d answers\n%v", path, i, got, firstHub, first)
			}
		}
		return true, ""
	})
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
	m := newMultiHub(t, 3, false, outlets...)
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
				if code := call(t, "POST", m.hubURL(i)+"/notices", apiToken, map[string]any{"title": fmt.Sprintf("通知 %d-%d", i, k), "text": "今日派送可能延误。"}, &n); code != 201 || n.ID == "" {
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

// TestPostgresRestartedMidStream: PostgreSQL stops while three hubs drain
// two outlets' backlogs. Every hub says so in /readyz (503
// store.unreachable) and yizhan_hub_store_up, and acknowledges nothing
// more; when PostgreSQL starts again the hubs resume by themselves, and
// nothing is lost or stored twice.
//
// (Stop is PostgreSQL's fast shutdown: it ends every session, as a server
// that goes away does.)
func TestPostgresRestartedMidStream(t *testing.T) {
	outlets := []string{"SH-001", "BJ-002"}
	m := newMultiHub(t, 3, true, outlets...)
	const n = 3000
	var agents []*agent
	var proxies []*harness.Proxy
	for _, id := range outlets {
		a := m.newAgent(id)
		p := harness.NewProxy(t, m.mosq.Addr())
		p.SetBandwidth(100 << 10)
		m.startAgentVia(a, p.URL())
		agents, proxies = append(agents, a), append(proxies, p)
	}
	acked := make([][]scanned, len(agents))
	var wg sync.WaitGroup
	for i, a := range agents {
		wg.Add(1)
		go func() { defer wg.Done(); acked[i] = scanMany(t, a.http, "P"+strconv.Itoa(i), n, 8, nil) }()
	}
	wg.Wait()
	m.startHubs()
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		return m.query(`SELECT count(*) FROM events WHERE origin <> 'hub'`)[0] > 0, "waiting for the drain to start"
	})
	if err := m.pg.Stop(); err != nil {
		t.Fatal(err)
	}
	for i := range m.hubs {
		harness.Eventually(t, 30*time.Second, func() (bool, string) {
			code, c := m.readyz(i)
			up := m.metric(i, "yizhan_hub_store_up")
			return code == http.StatusServiceUnavailable && c == "store.unreachable" && up == "0",
				fmt.Sprintf("hub %d with PostgreSQL stopped: /readyz %d %q, yizhan_hub_store_up %q", i, code, c, up)
		})
	}
	for i, h := range m.hubs {
		if !h.proc.Running() {
			t.Fatalf("hub %d exited when PostgreSQL stopped", i)
		}
	}
	for _, a := range agents {
		if a.sync(t).AckedSeq >= n {
			t.Fatalf("%s drained before PostgreSQL stopped; the test would prove nothing", a.id)
		}
	}
	// Every ack the agents hold now and later names committed events: the
	// checks at the end find each acknowledged scan in the database.
	if err := m.pg.Start(); err != nil {
		t.Fatal(err)
	}
	for _, p := range proxies {
		p.SetBandwidth(0)
	}
	for i := range m.hubs {
		harness.Eventually(t, 30*time.Second, func() (bool, string) {
			code, c := m.readyz(i)
			return code == 200 && m.metric(i, "yizhan_hub_store_up") == "1", fmt.Sprintf("hub %d after PostgreSQL started: /readyz %d %q", i, code, c)
		})
	}
	for _, a := range agents {
		m.waitDrained(a, 120*time.Second)
	}
	m.checkEventsOnce(int64(n * len(outlets)))
	for i, a := range agents {
		m.checkExactlyOnce(a.id, n, acked[i])
	}
}
