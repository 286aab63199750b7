package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// Ctrl-C stops the demo cleanly: it stops the hub and the outlets itself,
// exits 0 (so `make run` reports no error) and says where the data stays.
// On the way it takes the hub down once and reports each outlet's drain.
func TestInterruptStopsEverythingAndExitsZero(t *testing.T) {
	if testing.Short() {
		t.Skip("system test: builds and runs the demo")
	}
	const agent, hub, demo = "github.com/yizhan/yizhan/agent/cmd/yizhan-agent", "github.com/yizhan/yizhan/hub/cmd/yizhan-hub", "github.com/yizhan/yizhan/deploy/demo"
	bins := harness.Build(t, agent, hub, demo)
	binDir := t.TempDir() // --bin wants both programs in one directory
	for _, pkg := range []string{agent, hub} {
		if err := os.Symlink(bins[filepath.Base(pkg)], filepath.Join(binDir, filepath.Base(pkg))); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(t.TempDir(), "demo")
	p := harness.Start(t, bins["demo"], "--bin", binDir, "--dir", data,
		"--offline-every", "15s", "--offline-for", "3s", "--any-port")
	// Whatever happens, nothing the demo started outlives the test.
	t.Cleanup(p.KillGroup)
	harness.Eventually(t, 90*time.Second, func() (bool, string) {
		out := p.Output()
		return strings.Contains(out, "SH-001 drained") && strings.Contains(out, "BJ-002 drained"), "waiting for both outlets to drain after an outage"
	})
	out := p.Output()
	if !strings.Contains(out, "after a 3s outage that takes up to about") {
		t.Errorf("the banner does not say how long the drain takes:\n%s", out)
	}
	addrs := regexp.MustCompile(`(?:hub API|counter screen) +http://(127\.0\.0\.1:\d+)/`).FindAllStringSubmatch(out, -1)
	if len(addrs) != 3 { // the hub and two counter screens
		t.Fatalf("addresses not in the banner:\n%s", out)
	}

	// The curl line the banner prints works as printed: the token it
	// carries posts a scan.
	m := regexp.MustCompile(`curl -s -XPOST -H 'Authorization: Bearer (yzt_[A-Za-z0-9_-]+)' -H 'Content-Type: application/json' (http://127\.0\.0\.1:\d+/api/v1/scans) -d '([^']+)'`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no curl line for posting a scan with a token in the banner:\n%s", out)
	}
	req, _ := http.NewRequest("POST", m[2], strings.NewReader(m[3]))
	req.Header.Set("Authorization", "Bearer "+m[1])
	req.Header.Set("Content-Type", "application/json")
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req); err != nil || resp.StatusCode != http.StatusCreated {
		t.Errorf("the banner's curl line: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// Head office's screen is where the banner says, and its administrator
	// logs in with the password printed.
	hq := regexp.MustCompile(`head office +(http://127\.0\.0\.1:\d+/) +\(administrator (\S+) / (\S+),`).FindStringSubmatch(out)
	if hq == nil {
		t.Fatalf("no head-office screen with its administrator in the banner:\n%s", out)
	}
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(hq[1]); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET %s: %v %v", hq[1], resp, err)
	} else {
		resp.Body.Close()
	}
	login, _ := json.Marshal(map[string]string{"account": hq[2], "password": hq[3]})
	req, _ = http.NewRequest("POST", hq[1]+"api/v1/session", bytes.NewReader(login))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("the banner's administrator cannot log in: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	if err := p.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.Done():
	case <-time.After(40 * time.Second):
		t.Fatalf("the demo did not stop within 40 s of SIGINT:\n%s", p.Output())
	}
	if code := p.ExitCode(); code != 0 {
		t.Errorf("exit code %d after SIGINT, want 0:\n%s", code, p.Output())
	}
	if !strings.Contains(p.Output(), "The data stays in "+data) {
		t.Errorf("no word on where the data stays:\n%s", p.Output())
	}
	c := &http.Client{Timeout: time.Second}
	for _, a := range addrs {
		if resp, err := c.Get("http://" + a[1] + "/healthz"); err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers after the demo stopped", a[1])
		}
	}
}
