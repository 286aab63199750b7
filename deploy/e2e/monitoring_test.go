package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// promNames are the metric names PromQL reads in an expression: what
// follows is a name unless it is a function, a keyword, a label or a
// duration. Yizhan's own start with yizhan_; Prometheus makes up.
var promName = regexp.MustCompile(`\b(yizhan_[a-z0-9_]+|up)\b`)

// TestMonitoringFilesUseRealMetrics starts a hub and an agent set up so
// that every metric has a series (TLS with client certificates, a scanner
// and a printer that are not there), scrapes both, and checks that every
// metric the sample alert rules and the Grafana dashboard use is one of
// them: the files cannot drift from the programs. It also checks the
// files' shape (rule groups with alert, expr, severity; panels with
// targets) and that docs/METRICS.md documents every metric scraped.
func TestMonitoringFilesUseRealMetrics(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001")
	ca := harness.NewCA(t, "hq-ca")
	server := ca.Issue(t, "hub", harness.CertOptions{CommonName: "hub", Hosts: []string{"127.0.0.1"}})
	client := ca.Issue(t, "SH-001", harness.CertOptions{CommonName: "SH-001", Client: true})
	c.startHub("--mqtt-tls-cert", server.Cert, "--mqtt-tls-key", server.Key, "--mqtt-tls-client-ca", ca.CertPEM)
	a := c.newAgent("SH-001")
	cfg := filepath.Join(c.dir, "devices.json")
	devs := fmt.Sprintf(`{"devices": {"scanners": [{"name": "line-1", "driver": "tcp", "config": {"address": %q, "framing": {"suffix": "cr"}}}],
  "printers": [{"name": "shelf", "driver": "tspl", "address": "tcp://%s"}], "label_printer": "shelf"}}`, harness.FreeAddr(t), harness.FreeAddr(t))
	if err := os.WriteFile(cfg, []byte(devs), 0o600); err != nil {
		t.Fatal(err)
	}
	c.startAgentVia(a, "tls://"+c.hubMQTT, "--config", cfg, "--ca-file", ca.CertPEM, "--cert-file", client.Cert, "--key-file", client.Key)
	acked := scanMany(t, a.http, "MON", 5, 1, nil)
	c.waitDrained(a, 30*time.Second)
	c.checkExactlyOnce("SH-001", uint64(len(acked)), acked)

	have := map[string]bool{"up": true} // Prometheus's own
	for _, u := range []string{"http://" + a.http + "/metrics", "http://" + c.hubHTTP + "/metrics"} {
		for _, n := range scrapeNames(t, u) {
			have[n] = true
		}
	}
	// Each series the metric set promises must be there, labels and all.
	for _, want := range []string{
		"yizhan_agent_backlog_events", "yizhan_agent_oldest_unsynced_seconds", "yizhan_agent_ack_latency_seconds_bucket",
		"yizhan_agent_dead_letters", "yizhan_agent_device_up", "yizhan_agent_device_last_seen_timestamp_seconds",
		"yizhan_agent_print_jobs", "yizhan_agent_data_disk_free_bytes", "yizhan_agent_cert_expiry_seconds", "yizhan_agent_connected",
		"yizhan_hub_outlets_backlog_events", "yizhan_hub_dead_letters", "yizhan_hub_commit_seconds_bucket",
		"yizhan_hub_store_disk_free_bytes", "yizhan_hub_store_up", "yizhan_hub_cert_expiry_seconds", "yizhan_hub_broker_connected",
	} {
		if !have[want] {
			t.Errorf("%s is not on either /metrics", want)
		}
	}

	// The alert rules: Prometheus's rule file shape.
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "monitoring", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	var alerts []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts = append(alerts, r.Alert)
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("alerts.yml group %s: rule %+v lacks alert, expr, severity or summary", g.Name, r)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("alert %s: for %q: %v", r.Alert, r.For, err)
				}
			}
			checkNames(t, "alert "+r.Alert, r.Expr, have)
		}
	}
	// The alerts an operator needs: backlog old, no ack, dead letters rising, disk low,
	// certificate within 14 days, device down, hub not ready.
	for _, want := range []string{"YizhanOutboxBacklogOld", "YizhanNoAck", "YizhanAgentDeadLettersRising", "YizhanAgentDiskLow",
		"YizhanAgentCertExpiring", "YizhanDeviceDown", "YizhanHubNotReady"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("alerts.yml has no %s", want)
		}
	}

	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	raw, err = os.ReadFile(filepath.Join(repoRoot(t), "deploy", "monitoring", "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	graphs := 0
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		graphs++
		if len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for _, q := range p.Targets {
			checkNames(t, "panel "+p.Title, q.Expr, have)
		}
	}
	if dash.Title == "" || graphs < 8 {
		t.Errorf("dashboard %q has %d panels", dash.Title, graphs)
	}

	// docs/METRICS.md documents every metric of ours that was scraped.
	doc, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "METRICS.md"))
	if err != nil {
		t.Fatal(err)
	}
	for n := range have {
		base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
		if strings.HasPrefix(n, "yizhan_") && !strings.Contains(string(doc), "`"+base+"`") {
			t.Errorf("docs/METRICS.md does not document %s", base)
		}
	}
}

// checkNames fails for each metric name in expr the programs do not serve.
func checkNames(t *testing.T, where, expr string, have map[string]bool) {
	t.Helper()
	names := promName.FindAllString(expr, -1)
	if len(names) == 0 {
		t.Errorf("%s: %q reads no metric", where, expr)
	}
	for _, n := range names {
		if !have[n] {
			t.Errorf("%s uses %s, which neither program serves", where, n)
		}
	}
}

// scrapeNames are the sample names in a Prometheus text page.
func scrapeNames(t *testing.T, url string) []string {
	t.Helper()
	resp, err := httpc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	body := string(raw)
	var out []string
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, " ")
		name, _, _ = strings.Cut(name, "{")
		out = append(out, name)
	}
	return out
}

// repoRoot is the module's root: tests run in deploy/e2e.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}
