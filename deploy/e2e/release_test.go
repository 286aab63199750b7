package e2e

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/store/postgres"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// releaseCommit is "this release": the commit the committed data files
// (agent/datafile/testdata/agent-v9.db, hub/store/sqlite/testdata/hub-v10.db,
// hub/store/postgres/testdata/hub-v5.sql) were made at, by its own
// programs, and the old side of the mixed-version test. Agent data file
// schema 9, hub SQLite schema 10, PostgreSQL schema 5, contract minor 2.
const releaseCommit = "796dff1d2302b224997bf3a6fd0b190b40970b80"

// releaseGolden is what a release's programs served from one data file:
// each GET path (under /api/v1) with its 200 answer.
type releaseGolden struct {
	Commit string `json:"commit"`
	// MadeAt is when the answers were recorded; the agent is started with
	// its clock there, so that its timers (holding days, SLA) stand where
	// they stood.
	MadeAt  time.Time                  `json:"made_at"`
	Answers map[string]json.RawMessage `json:"answers"`
}

// volatile are the fields of an answer that say how things stand now
// rather than what the file holds: time left, whether a deadline passed
// since, the link's state. They are left out of the comparison.
var volatile = map[string]bool{
	"handle_remaining_s": true, "remaining_s": true, "first_reply_remaining_s": true, "result_remaining_s": true,
	"breached": true, "overdue": true, "connected": true, "last_error": true, "last_problem": true,
	"uptime_s": true, "now": true, "age_s": true,
	// The agent's link, in /sync: this run's broker and its attempts.
	"broker": true, "last_error_at": true, "next_retry": true, "batches_sent": true, "reconnects": true, "resends": true,
}

// covers reports where got does not serve what want did: every field of
// an object in want is in got with a value want covers (a later version may
// add fields: those are ignored), arrays have the same length and
// elements, other values are equal. Fields in volatile are skipped.
func covers(path string, want, got any) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: was an object, now %s", path, short(got))}
		}
		var out []string
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if volatile[k] {
				continue
			}
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: gone (was %s)", path, k, short(w[k])))
				continue
			}
			out = append(out, covers(path+"."+k, w[k], gv)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{fmt.Sprintf("%s: was %s, now %s", path, short(want), short(got))}
		}
		var out []string
		for i := range w {
			out = append(out, covers(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{fmt.Sprintf("%s: was %s, now %s", path, short(want), short(got))}
		}
		return nil
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// readGolden reads a committed golden file relative to the module root.
func readGolden(t *testing.T, rel string) releaseGolden {
	t.Helper()
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatalf("release test data: %v", err)
	}
	var g releaseGolden
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	if g.Commit != releaseCommit || len(g.Answers) == 0 {
		t.Fatalf("%s was made at %s with %d answers; want %s", rel, g.Commit, len(g.Answers), releaseCommit)
	}
	return g
}

// apiGet GETs base+path with an Authorization bearer token and returns
// the status and body.
func apiGet(t *testing.T, base, path, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// sameAnswers asks base for every path of g and fails on what is not
// served as the release served it. adjust, if set, changes a golden
// answer for what the test itself did since (its own login).
func sameAnswers(t *testing.T, g releaseGolden, base, token string, adjust func(path string, want map[string]any)) {
	t.Helper()
	paths := make([]string, 0, len(g.Answers))
	for p := range g.Answers {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		code, body := apiGet(t, base, p, token)
		if code != 200 {
			t.Errorf("GET %s: HTTP %d %s", p, code, body)
			continue
		}
		var want, got any
		json.Unmarshal(g.Answers[p], &want)
		if m, ok := want.(map[string]any); ok && adjust != nil {
			adjust(p, m)
		}
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("GET %s: %v", p, err)
			continue
		}
		for _, d := range covers(p, want, got) {
			t.Error(d)
		}
	}
	t.Logf("%d answers compared", len(paths))
}

// releaseHubArgs are the settings the release's hub ran with while its
// data files were made and that the tests run the current hub with: no
// head-office timer runs while the answers are read.
var releaseHubArgs = []string{"--sweep-every", "87600h"}

// Paths of the committed release data, relative to the module root.
const (
	releaseAgentFile   = "agent/datafile/testdata/agent-v9.db"
	releaseAgentKey    = "agent/datafile/testdata/agent-v9.pii.key"
	releaseAgentGolden = "agent/datafile/testdata/agent-v9.golden.json"
	releaseHubFile     = "hub/store/sqlite/testdata/hub-v10.db"
	releaseHubGolden   = "hub/store/sqlite/testdata/hub-v10.golden.json"
	releasePGDump      = "hub/store/postgres/testdata/hub-v5.sql"
	releasePGGolden    = "hub/store/postgres/testdata/hub-v5.golden.json"
)

// Who the release data know: the outlet, its staff, head office's
// accounts (their passwords are test data).
const (
	releaseOutlet     = "SH-001"
	releaseSupervisor = "s01"
	releaseSupPIN     = "9999"
	releaseAccount    = "kefu"
	releasePassword   = "Release-service-2026"
)

func copyInto(t *testing.T, rel, dst string) {
	t.Helper()
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// startReleaseAgent starts bin on dir (a copy of a release's agent file),
// offline (its broker a closed port) and with its clock at the golden's
// time, and returns its API base and a supervisor's session.
func startReleaseAgent(t *testing.T, bin, dir, keyFile string, at time.Time, extra ...string) (string, string) {
	t.Helper()
	addr := harness.FreeAddr(t)
	harness.Start(t, bin, append([]string{"run", "--data", dir, "--outlet", releaseOutlet, "--secret", "s3cret-sh-001-Kq7vX2pLm9Rt4Wz",
		"--broker", "tcp://" + harness.FreeAddr(t), "--http", addr, "--log-format", "text", "--pii-key-file", keyFile,
		"--clock-at", at.UTC().Format(time.RFC3339Nano)}, extra...)...)
	harness.WaitHTTP(t, "http://"+addr+"/healthz", 20*time.Second)
	api := "http://" + addr + "/api/v1"
	return api, staffLogin(t, api, releaseSupervisor, releaseSupPIN)
}

// TestReleaseAgentFile: the current agent opens a copy of the release's
// data file, migrates it, and serves every answer the release served from
// it; its staff still log in and its outbox is as it was.
func TestReleaseAgentFile(t *testing.T) {
	skipShort(t)
	g := readGolden(t, releaseAgentGolden)
	bins := harness.Build(t, agentPkg)
	dir := filepath.Join(t.TempDir(), "agent")
	copyInto(t, releaseAgentFile, filepath.Join(dir, "agent.db"))
	key := filepath.Join(t.TempDir(), "pii.key")
	copyInto(t, releaseAgentKey, key)
	// The same simulated devices as when the file was made: its print
	// jobs name the label printer.
	api, tok := startReleaseAgent(t, bins["yizhan-agent"], dir, key, g.MadeAt, "--config", startCounterDevices(t).config)
	// A staff login is an event (audit.login): the test's own, like the
	// one the answers were recorded under, is one more in the outbox.
	sameAnswers(t, g, api, tok, func(path string, want map[string]any) {
		if path == "/sync" {
			want["last_seq"] = want["last_seq"].(float64) + 1
			want["backlog"] = want["backlog"].(float64) + 1
		}
		if path == "/kinds" {
			// Kinds added since the release come after its own, unchanged,
			// and so do the codes added to a kind (head office's channels).
			kinds := want["kinds"].([]any)
			for _, k := range kinds {
				codesSinceRelease(t, k.(map[string]any))
			}
			want["kinds"] = append(kinds, kindsSinceRelease(t)...)
		}
	})
}

// kindsSinceRelease are the kinds of the lifecycle table the release did
// not have, as the agent serves them.
func kindsSinceRelease(t *testing.T) []any {
	t.Helper()
	var out []any
	for _, name := range []string{lifecycle.KindIncident} {
		k, _ := lifecycle.KindByName(name)
		raw, _ := json.Marshal(k)
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// codesSinceRelease gives k, a kind as the release served it, the codes
// the lifecycle table has added to it since (head office's channels sit
// with the other channels), when the release's own are all still there, in
// their order and unchanged; otherwise k stays as it was, and the
// comparison shows what changed.
func codesSinceRelease(t *testing.T, k map[string]any) {
	t.Helper()
	name, _ := k["name"].(string)
	cur, ok := lifecycle.KindByName(name)
	if !ok {
		return
	}
	raw, _ := json.Marshal(cur)
	var now map[string]any
	if err := json.Unmarshal(raw, &now); err != nil {
		t.Fatal(err)
	}
	was, _ := k["subkinds"].([]any)
	more, _ := now["subkinds"].([]any)
	i := 0
	for _, s := range more {
		if i < len(was) && reflect.DeepEqual(s, was[i]) {
			i++
		}
	}
	if i == len(was) {
		k["subkinds"] = more
	}
}

// hubLogin logs releaseAccount in at a hub's API and fails unless its
// password still opens a session.
func hubLogin(t *testing.T, hubAPI string) {
	t.Helper()
	h := newHeadOffice(t, hubAPI)
	resp := h.send("POST", "/session", "", map[string]string{"account": releaseAccount, "password": releasePassword})
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("the release's account %s cannot log in: HTTP %d", releaseAccount, resp.StatusCode)
	}
}

// TestReleaseHubSQLiteFile: the current hub opens a copy of the release's
// SQLite store, migrates it, and serves every answer the release served.
func TestReleaseHubSQLiteFile(t *testing.T) {
	skipShort(t)
	g := readGolden(t, releaseHubGolden)
	bins := harness.Build(t, hubPkg)
	dir := filepath.Join(t.TempDir(), "hub")
	copyInto(t, releaseHubFile, filepath.Join(dir, "hub.db"))
	addr := harness.FreeAddr(t)
	harness.Start(t, bins["yizhan-hub"], append([]string{"run", "--data", dir, "--http", addr, "--api-token", apiToken,
		"--log-format", "text", "--mqtt-listen", harness.FreeAddr(t)}, releaseHubArgs...)...)
	harness.WaitHTTP(t, "http://"+addr+"/healthz", 30*time.Second)
	sameAnswers(t, g, "http://"+addr+"/api/v1", apiToken, nil)
	hubLogin(t, "http://"+addr+"/api/v1")
	checkSQLiteVersion(t, filepath.Join(dir, "hub.db"))
}

// checkSQLiteVersion fails unless the store now stands at this version's
// schema.
func checkSQLiteVersion(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != sqlite.SchemaVersion() || v < 10 {
		t.Errorf("hub.db at schema %d after opening, want %d", v, sqlite.SchemaVersion())
	}
}

// TestReleaseHubPostgresDump: the current hub opens a database restored
// from the release's pg_dump, migrates it, and serves every answer the
// release served.
func TestReleaseHubPostgresDump(t *testing.T) {
	skipShort(t)
	g := readGolden(t, releasePGGolden)
	bins := harness.Build(t, hubPkg)
	pg := harness.StartPostgres(t, harness.PostgresOptions{})
	store := pg.NewDatabase(t)
	root, _ := harness.ModuleRoot()
	restorePG(t, store, filepath.Join(root, releasePGDump))
	addr := harness.FreeAddr(t)
	harness.Start(t, bins["yizhan-hub"], append([]string{"run", "--data", t.TempDir(), "--store", store, "--http", addr,
		"--api-token", apiToken, "--log-format", "text", "--mqtt-listen", harness.FreeAddr(t)}, releaseHubArgs...)...)
	harness.WaitHTTP(t, "http://"+addr+"/healthz", 30*time.Second)
	sameAnswers(t, g, "http://"+addr+"/api/v1", apiToken, nil)
	hubLogin(t, "http://"+addr+"/api/v1")
	u, _ := url.Parse(store)
	if out, err := pg.SQL(strings.TrimPrefix(u.Path, "/"), `SELECT max(version) FROM schema_version`); err != nil || out != strconv.Itoa(postgres.SchemaVersion()) {
		t.Errorf("database at schema %q after opening (%v), want %d", out, err, postgres.SchemaVersion())
	}
}

// restorePG loads a plain-SQL dump into the database at dsn with psql.
func restorePG(t *testing.T, dsn, dump string) {
	t.Helper()
	psql, err := exec.LookPath("psql")
	if err != nil {
		psql = "/usr/lib/postgresql/15/bin/psql"
	}
	out, err := exec.Command(psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", dump).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("ERROR")) {
		t.Fatalf("restore %s: %v\n%s", dump, err, out)
	}
}
