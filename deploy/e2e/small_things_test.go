package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// Every log line of both programs has a message and names each attribute
// once, through a connect, an outage, a refused login and a shutdown: one
// logger per component, its attributes set once.
func TestLogLinesHaveAMessageAndNoRepeatedKeys(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001", "SH-002")
	var hubs []*harness.Proc
	startHub := func() {
		c.hub = harness.Start(t, c.bins["yizhan-hub"], "run", "--data", c.hubDir(), "--http", c.hubHTTP,
			"--api-token", apiToken, "--mqtt-listen", c.hubMQTT, "--log-format", "json")
		harness.WaitHTTP(t, "http://"+c.hubHTTP+"/healthz", 20*time.Second)
		hubs = append(hubs, c.hub)
	}
	startHub()
	a := c.newAgent("SH-001")
	c.startAgent(a, "--log-format", "json")
	bad := c.newAgent("SH-002")
	c.secrets["SH-002"] = "not-the-secret"
	c.startAgent(bad, "--log-format", "json")
	for i := range 5 {
		if _, code, err := postScan(a.http, fmt.Sprintf("SF%012d", i)); err != nil || code != 201 {
			t.Fatalf("scan: %d %v", code, err)
		}
	}
	c.waitDrained(a, 20*time.Second)
	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		s := bad.sync(t)
		return strings.Contains(s.LastError, "refused"), "the wrong secret refused: " + s.LastError
	})
	if err := c.hub.Stop(); err != nil {
		t.Fatal(err)
	}
	postScan(a.http, "SF900000000001")
	startHub()
	c.waitDrained(a, 60*time.Second)
	for _, p := range append(hubs, a.proc, bad.proc) {
		if err := p.Stop(); err != nil {
			t.Error(err)
		}
	}
	lines := 0
	for _, p := range append(hubs, a.proc, bad.proc) {
		f, err := os.Open(p.LogPath())
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines++
			if problem := checkLogLine(sc.Bytes()); problem != "" {
				t.Errorf("%s: %s: %s", p.Name, problem, sc.Text())
			}
		}
		f.Close()
	}
	if lines < 10 {
		t.Fatalf("only %d log lines: not a meaningful check", lines)
	}
}

// checkLogLine says what is wrong with one JSON log line, or "".
func checkLogLine(line []byte) string {
	dec := json.NewDecoder(strings.NewReader(string(line)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "not a JSON object"
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "bad JSON: " + err.Error()
		}
		key := tok.(string)
		if seen[key] {
			return fmt.Sprintf("key %q twice", key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return "bad JSON: " + err.Error()
		}
		if key == "msg" && string(v) == `""` {
			return "empty message"
		}
	}
	if !seen["msg"] {
		return "no message"
	}
	return ""
}
