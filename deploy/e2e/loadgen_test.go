package e2e

import (
	"encoding/csv"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

const loadgenPkg = "github.com/yizhan/yizhan/deploy/loadgen"

// The load generator registers 50 outlets through the head-office API,
// scans on the daily curve into each one's own event log, cuts every link
// for a while and lets the sync clients come back by their own backoff.
// Afterwards every outlet's log and the hub agree: each event of each
// outlet is in the hub's store exactly once, every outlet's acknowledged
// sequence is its last, and the CSV's acknowledged total is its appended
// total.
func TestLoadgenStormEveryEventOnce(t *testing.T) {
	const outlets = 50
	c := newCluster(t, "embedded")
	bins := harness.Build(t, loadgenPkg)
	c.startHub()
	dir := t.TempDir()
	logs, csvPath, svgPath := filepath.Join(dir, "outlets"), filepath.Join(dir, "run.csv"), filepath.Join(dir, "run.svg")
	// 8 simulated hours from 06:00 at 1,800×: 16 s, the outage from 09:00
	// to 11:00 (6 s to 10 s); back within 3 s of the link's return.
	start := time.Now()
	gen := harness.Start(t, bins["loadgen"], "--hub", "http://"+c.hubHTTP, "--api-token", apiToken, "--broker", c.brokerURL(),
		"--outlets", strconv.Itoa(outlets), "--rate", "0.004", "--speed", "1800", "--start-hour", "6", "--duration", "8h",
		"--profile", "storm", "--storm-at", "3h", "--offline", "2h", "--return-within", "3s", "--ramp", "2s", "--drain", "60s",
		"--dir", logs, "--keep", "--csv", csvPath, "--svg", svgPath)
	select {
	case <-gen.Done():
	case <-time.After(2 * time.Minute):
		t.Fatalf("the load generator ran over two minutes:\n%s", gen.Output())
	}
	if code := gen.ExitCode(); code != 0 {
		t.Fatalf("the load generator exited %d:\n%s", code, gen.Output())
	}
	t.Logf("load generator ran %v:\n%s", time.Since(start).Round(time.Millisecond), lastLines(gen.Output(), 8))

	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) < 10 {
		t.Fatalf("CSV: %d rows, %v", len(rows), err)
	}
	col := func(name string) int {
		i := slices.Index(rows[0], name)
		if i < 0 {
			t.Fatalf("CSV has no column %s: %v", name, rows[0])
		}
		return i
	}
	sum := func(name string) uint64 {
		var n uint64
		for _, r := range rows[1:] {
			v, err := strconv.ParseUint(r[col(name)], 10, 64)
			if err != nil {
				t.Fatalf("CSV %s %q: %v", name, r[col(name)], err)
			}
			n += v
		}
		return n
	}
	appended, acked := sum("appended"), sum("acked")
	if appended == 0 || acked != appended {
		t.Fatalf("CSV: %d appended, %d acknowledged", appended, acked)
	}
	if down, offline := sum("link_down"), sum("offline_dials"); down == 0 || offline == 0 {
		t.Fatalf("CSV shows no outage: %d seconds down, %d refused dials", down, offline)
	}
	if connects := sum("connects"); connects < 2*outlets {
		t.Fatalf("CSV: %d connections, want every outlet's first and its return (%d)", connects, 2*outlets)
	}
	if last := rows[len(rows)-1]; last[col("backlog")] != "0" || last[col("connected")] != strconv.Itoa(outlets) {
		t.Fatalf("last row %v: want no backlog and every outlet connected", last)
	}
	raw, err := os.ReadFile(svgPath)
	if err != nil || xml.Unmarshal(raw, new(struct{})) != nil || !strings.Contains(string(raw), "<polyline") {
		t.Fatalf("SVG plot missing or not well-formed: %v", err)
	}

	var total uint64
	var hubOutlets struct {
		Outlets []struct {
			ID       string `json:"id"`
			AckedSeq uint64 `json:"acked_seq"`
		} `json:"outlets"`
	}
	if code := getJSON(t, "http://"+c.hubHTTP+"/api/v1/outlets", true, &hubOutlets); code != 200 || len(hubOutlets.Outlets) != outlets {
		t.Fatalf("hub lists %d outlets (HTTP %d), want the %d registered", len(hubOutlets.Outlets), code, outlets)
	}
	hubAcked := map[string]uint64{}
	for _, o := range hubOutlets.Outlets {
		hubAcked[o.ID] = o.AckedSeq
	}
	for i := 1; i <= outlets; i++ {
		id := "LG-" + strings.Repeat("0", 5-len(strconv.Itoa(i))) + strconv.Itoa(i)
		cnt := outletCounters(t, filepath.Join(logs, id), id)
		if cnt.LastSeq == 0 || cnt.AckedSeq != cnt.LastSeq || hubAcked[id] != cnt.LastSeq {
			t.Fatalf("outlet %s: log last_seq %d acked %d, hub acked %d", id, cnt.LastSeq, cnt.AckedSeq, hubAcked[id])
		}
		c.checkExactlyOnce(id, cnt.LastSeq, nil)
		total += cnt.LastSeq
	}
	if total != appended {
		t.Fatalf("the outlets' logs hold %d events, the CSV says %d were appended", total, appended)
	}
	t.Logf("%d events from %d outlets, each in the hub's store once", total, outlets)
}

// outletCounters reads a simulated outlet's cursors from its own log, as
// the agent would on start.
func outletCounters(t *testing.T, dir, id string) eventlog.Counters {
	t.Helper()
	f, err := datafile.Open(dir, datafile.Options{Outlet: id})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := eventlog.Open(f, eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Counters()
}
