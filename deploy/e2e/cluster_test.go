package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

const (
	agentPkg = "github.com/yizhan/yizhan/agent/cmd/yizhan-agent"
	hubPkg   = "github.com/yizhan/yizhan/hub/cmd/yizhan-hub"
	hubUser  = "hub"
	hubPass  = "hub-secret-for-tests"
	apiToken = "test-token"
)

// brokers are the two broker set-ups every system test runs against.
var brokers = []string{"embedded", "mosquitto"}

// cluster is one hub (its own process), optionally a real Mosquitto, and
// agent processes, each on free ports with data in the test's temp dir.
type cluster struct {
	t       testing.TB
	kind    string
	bins    map[string]string
	dir     string
	hubHTTP string
	hubMQTT string // embedded broker listen address
	mosq    *harness.Mosquitto
	hub     *harness.Proc
	secrets map[string]string
}

func newCluster(t testing.TB, kind string, outlets ...string) *cluster {
	t.Helper()
	skipShort(t)
	return newClusterOf(t, kind, harness.Build(t, agentPkg, hubPkg), outlets...)
}

// skipShort skips a system test under -short, outside CI.
func skipShort(t testing.TB) {
	t.Helper()
	if testing.Short() {
		if os.Getenv("CI") == "true" {
			t.Fatal("system tests must run in CI: drop -short")
		}
		t.Skip("system test; run without -short (make test-unit uses -short)")
	}
}

// newClusterOf is newCluster with the given binaries (another version's),
// which also register the outlets.
func newClusterOf(t testing.TB, kind string, bins map[string]string, outlets ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, kind: kind, bins: bins, dir: t.TempDir(),
		hubHTTP: harness.FreeAddr(t), hubMQTT: harness.FreeAddr(t), secrets: map[string]string{}}
	users := map[string]string{hubUser: hubPass}
	for _, id := range outlets {
		secret := "s3cret-" + strings.ToLower(id) + "-Kq7vX2pLm9Rt4Wz" // long enough for the hub's strength check
		c.secrets[id] = secret
		users[id] = secret
		out, err := exec.Command(c.bins["yizhan-hub"], "outlet", "add", "--data", c.hubDir(), "--id", id, "--secret", secret).CombinedOutput()
		if err != nil {
			t.Fatalf("outlet add %s: %v\n%s", id, err, out)
		}
	}
	if kind == "mosquitto" {
		c.mosq = harness.StartMosquitto(t, harness.MosquittoOptions{Users: users, HubUser: hubUser})
	}
	return c
}

func (c *cluster) hubDir() string { return filepath.Join(c.dir, "hub") }

// brokerURL is where agents connect.
func (c *cluster) brokerURL() string {
	if c.mosq != nil {
		return c.mosq.URL()
	}
	return "tcp://" + c.hubMQTT
}

func (c *cluster) startHub(extra ...string) {
	c.t.Helper()
	args := append([]string{"run", "--data", c.hubDir(), "--http", c.hubHTTP, "--api-token", apiToken, "--log-format", "text"}, extra...)
	if c.mosq != nil {
		args = append(args, "--broker", fmt.Sprintf("tcp://%s:%s@%s", hubUser, hubPass, c.mosq.Addr()))
	} else {
		args = append(args, "--mqtt-listen", c.hubMQTT)
	}
	c.hub = harness.Start(c.t, c.bins["yizhan-hub"], args...)
	harness.WaitHTTP(c.t, "http://"+c.hubHTTP+"/healthz", 20*time.Second)
}

func (c *cluster) killHub() { c.hub.Kill() }

// agent is one yizhan-agent process and its address.
type agent struct {
	id, dir, http string
	proc          *harness.Proc
	// token is the agent API token (scopes scans and read) the helpers
	// send to this agent: its API needs one or a staff session.
	token string
}

// agentTokens maps an agent's HTTP address to its token, so postScan and
// getJSON, which take an address or URL, send the right one.
var agentTokens sync.Map

// agentToken makes a's API token if it has none, with the token command:
// directly in the data file while the agent is stopped, through it while it
// runs. Call it before starting an agent another way than startAgent (in a
// network namespace, where the command cannot reach it).
func (c *cluster) agentToken(a *agent) string {
	c.t.Helper()
	if a.token == "" {
		out, err := exec.Command(c.bins["yizhan-agent"], "token", "add", "--data", a.dir, "--name", "e2e", "--scope", "scans,read").CombinedOutput()
		if err != nil {
			c.t.Fatalf("yizhan-agent token add for %s: %v\n%s", a.id, err, out)
		}
		a.token = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	c.rememberToken(a)
	return a.token
}

// rememberToken records a's token for its address until the test ends: the
// address is free again then, and a later test's hub may listen there; it
// must not be sent this agent's token (it would answer 401).
func (c *cluster) rememberToken(a *agent) {
	addr, tok := a.http, a.token
	agentTokens.Store(addr, tok)
	c.t.Cleanup(func() { agentTokens.CompareAndDelete(addr, tok) })
}

// tokenFor is the API token of the agent at addr (host:port), "" if none.
func tokenFor(addr string) string {
	v, _ := agentTokens.Load(addr)
	s, _ := v.(string)
	return s
}

func (c *cluster) newAgent(id string) *agent {
	return &agent{id: id, dir: filepath.Join(c.dir, "agent-"+id), http: harness.FreeAddr(c.t)}
}

func (c *cluster) startAgent(a *agent, extra ...string) {
	c.startAgentVia(a, c.brokerURL(), extra...)
}

func (c *cluster) startAgentVia(a *agent, broker string, extra ...string) {
	c.t.Helper()
	a.proc = harness.Start(c.t, c.bins["yizhan-agent"], c.agentArgs(a, broker, extra...)...)
	harness.WaitHTTP(c.t, "http://"+a.http+"/healthz", 20*time.Second)
	c.agentToken(a)
}

// agentArgs are the arguments of yizhan-agent for a, for callers that
// start it in another way (inside a network namespace).
func (c *cluster) agentArgs(a *agent, broker string, extra ...string) []string {
	return append([]string{"run", "--data", a.dir, "--outlet", a.id, "--secret", c.secrets[a.id],
		"--broker", broker, "--http", a.http, "--log-format", "text", "--ack-timeout", "5s"}, extra...)
}

// scanned is one scan the agent answered 201 for.
type scanned struct {
	EventID string `json:"event_id"`
	Seq     uint64 `json:"seq"`
	barcode string
}

var httpc = &http.Client{Timeout: 10 * time.Second}

// postScan posts a scan to the agent at addr with its API token (the
// actor is then token:e2e).
func postScan(addr, barcode string) (scanned, int, error) {
	s, code, _, err := postScanRaw(addr, barcode)
	return s, code, err
}

// postScanRaw is postScan with the answer's body.
func postScanRaw(addr, barcode string) (scanned, int, string, error) {
	body, _ := json.Marshal(map[string]string{"barcode": barcode, "action": "inbound"})
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/scans", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if tok := tokenFor(addr); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return scanned{}, 0, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var s scanned
	if resp.StatusCode == http.StatusCreated {
		if err := json.Unmarshal(raw, &s); err != nil {
			return s, resp.StatusCode, string(raw), err
		}
	}
	s.barcode = barcode
	return s, resp.StatusCode, string(raw), nil
}

// scanMany posts n scans with conc workers and returns every 201. It stops
// early without failing when stop closes (the agent may be killed).
func scanMany(t testing.TB, addr, prefix string, n, conc int, stop <-chan struct{}) []scanned {
	var mu sync.Mutex
	var out []scanned
	var wg sync.WaitGroup
	next := make(chan int)
	go func() {
		defer close(next)
		for i := 0; i < n; i++ {
			select {
			case next <- i:
			case <-stop:
				return
			}
		}
	}()
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s, code, err := postScan(addr, fmt.Sprintf("%s%08d", prefix, i))
				if err != nil || code != http.StatusCreated {
					select {
					case <-stop:
						return
					default:
					}
					t.Errorf("scan %d: code %d err %v", i, code, err)
					return
				}
				mu.Lock()
				out = append(out, s)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out
}

// getJSON GETs url and decodes the answer into v. A URL of an agent
// carries that agent's API token (scopes scans and read); auth sends the
// hub's API token to the hub.
func getJSON(t testing.TB, url string, auth bool, v any) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if tok := tokenFor(req.URL.Host); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	} else if auth {
		req.Header.Set("Authorization", "Bearer "+apiToken)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if v != nil {
		json.NewDecoder(resp.Body).Decode(v)
	}
	return resp.StatusCode
}

// hubAcked is the outlet's acked_seq at the hub, via its API; 0 if the hub
// does not answer.
func (c *cluster) hubAcked(id string) uint64 {
	n, _ := c.hubAckedWhy(id)
	return n
}

// hubAckedWhy is hubAcked with what the hub answered: the status (0: no
// answer) and, when it is not 200, the error's code.
func (c *cluster) hubAckedWhy(id string) (uint64, string) {
	var o struct {
		AckedSeq uint64 `json:"acked_seq"`
		Code     string `json:"code"`
	}
	if code := getJSON(c.t, "http://"+c.hubHTTP+"/api/v1/outlets/"+id, true, &o); code != 200 {
		return 0, fmt.Sprintf("HTTP %d %s", code, o.Code)
	}
	return o.AckedSeq, "HTTP 200"
}

type agentSync struct {
	LastSeq   uint64 `json:"last_seq"`
	AckedSeq  uint64 `json:"acked_seq"`
	Backlog   uint64 `json:"backlog"`
	Dead      uint64 `json:"dead_letters"`
	Down      uint64 `json:"down_cursor"`
	Connected bool   `json:"connected"`
	LastError string `json:"last_error"`
	// LastProblem is last_error as the catalog code the screen words.
	LastProblem *codedProblem `json:"last_problem"`
	Incarnation string        `json:"incarnation"`
	// Refused is head office's refusal of this data directory's stream.
	Refused *codedProblem `json:"refused"`
}

// codedProblem is a catalog code with its parameters, as the status
// routes carry them for the screen to word.
type codedProblem struct {
	Code   string         `json:"code"`
	Params map[string]any `json:"params"`
}

func (a *agent) sync(t testing.TB) agentSync {
	var s agentSync
	getJSON(t, "http://"+a.http+"/api/v1/sync", false, &s)
	return s
}

// hubRow is one event as the hub stored it.
type hubRow struct {
	Seq uint64
	ID  string
	HLC uint64
}

// hubEvents reads the hub's store directly, in sequence order.
func (c *cluster) hubEvents(origin string) []hubRow {
	c.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.hubDir(), "hub.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), `SELECT seq, id, hlc FROM events WHERE origin = ? ORDER BY seq`, origin)
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	var out []hubRow
	for rows.Next() {
		var r hubRow
		if err := rows.Scan(&r.Seq, &r.ID, &r.HLC); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// checkExactlyOnce asserts the hub holds seqs 1..last of origin, each once,
// and that every acknowledged scan is there under the id the agent gave it.
func (c *cluster) checkExactlyOnce(origin string, last uint64, acked []scanned) {
	c.t.Helper()
	checkRowsOnce(c.t, "hub", c.hubEvents(origin), origin, last, acked)
}

// checkRowsOnce asserts rows, origin's events as where holds them in seq
// order, are seqs 1..last each once, with every acknowledged scan among
// them under the id the agent gave it.
func checkRowsOnce(t testing.TB, where string, rows []hubRow, origin string, last uint64, acked []scanned) {
	t.Helper()
	if uint64(len(rows)) != last {
		t.Fatalf("%s holds %d events of %s, agent wrote %d", where, len(rows), origin, last)
	}
	byID := map[string]uint64{}
	for i, r := range rows {
		if r.Seq != uint64(i+1) {
			t.Fatalf("%s: events of %s out of order or with a gap at index %d: seq %d", where, origin, i, r.Seq)
		}
		if _, dup := byID[r.ID]; dup {
			t.Fatalf("event id %s stored twice", r.ID)
		}
		byID[r.ID] = r.Seq
	}
	for _, s := range acked {
		if seq, ok := byID[s.EventID]; !ok || seq != s.Seq {
			t.Fatalf("acknowledged scan %s (seq %d, id %s) missing at the %s", s.barcode, s.Seq, s.EventID, where)
		}
	}
}

func (c *cluster) waitDrained(a *agent, timeout time.Duration) {
	c.t.Helper()
	harness.Eventually(c.t, timeout, func() (bool, string) {
		s := a.sync(c.t)
		h, why := c.hubAckedWhy(a.id)
		return s.LastSeq > 0 && s.AckedSeq == s.LastSeq && h == s.LastSeq,
			fmt.Sprintf("agent %s last_seq %d acked %d, hub acked %d (%s), connected %v, last error %q", a.id, s.LastSeq, s.AckedSeq, h, why, s.Connected, s.LastError)
	})
}

// newBenchCluster is newCluster for benchmarks.
func newBenchCluster(b *testing.B, kind string, outlets ...string) *cluster {
	return newCluster(b, kind, outlets...)
}

// hubEventsOfType lists the subjects of origin's events of one type, as the
// hub stored them.
func (c *cluster) hubEventsOfType(origin, typ string) []string {
	c.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.hubDir(), "hub.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), `SELECT subject FROM events WHERE origin = ? AND type = ? ORDER BY seq`, origin, typ)
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			c.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// outletKeys makes head office's master key and an issued key file for
// each outlet id, with the programs' own commands.
func (c *cluster) outletKeys(ids ...string) (master string, keys map[string]string) {
	t := c.t
	t.Helper()
	dir := t.TempDir()
	master = filepath.Join(dir, "master.key")
	if out, err := exec.Command(c.bins["yizhan-agent"], "keygen", "--out", master).CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	keys = map[string]string{}
	for _, id := range ids {
		path := filepath.Join(dir, id+".key")
		if out, err := exec.Command(c.bins["yizhan-hub"], "outlet", "key", "--master", master, "--id", id, "--out", path).CombinedOutput(); err != nil {
			t.Fatalf("yizhan-hub outlet key %s: %v\n%s", id, err, out)
		}
		keys[id] = path
	}
	return master, keys
}
