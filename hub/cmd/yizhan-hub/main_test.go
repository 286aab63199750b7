package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/hub/server"
	"github.com/yizhan/yizhan/hub/store"
)

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // substring of stderr
	}{
		{"no command", nil, 2, "command is required"},
		{"unknown command", []string{"serve"}, 2, "unknown command"},
		{"add without id", []string{"outlet", "add", "--data", dir}, 2, "--id"},
		{"add bad id", []string{"outlet", "add", "--data", dir, "--id", "a/b"}, 2, "only letters"},
		{"add", []string{"outlet", "add", "--data", dir, "--id", "SH-001", "--secret", "kT9-wq2Zr7vB4xLm8sYc1pHd"}, 0, ""},
		{"add twice", []string{"outlet", "add", "--data", dir, "--id", "SH-001"}, 1, "--rotate"},
		{"rotate", []string{"outlet", "add", "--data", dir, "--id", "SH-001", "--rotate"}, 0, ""},
		{"list", []string{"outlet", "list", "--data", dir}, 0, ""},
		{"postgres unreachable", []string{"outlet", "list", "--store", "postgres://yz:pw@127.0.0.1:1/yizhan?connect_timeout=5"}, 1, "open hub database postgres://yz@127.0.0.1:1/yizhan"},
		{"bad postgres URL", []string{"run", "--data", dir, "--store", "postgres://h:notaport/yizhan"}, 2, "not a PostgreSQL URL"},
		{"unknown store", []string{"run", "--data", dir, "--store", "mysql://u:hunter2@h/db"}, 2, "unknown scheme"},
		{"both brokers", []string{"run", "--data", dir, "--mqtt-listen", ":1", "--broker", "tcp://h:1"}, 2, "exclude"},
		{"bad broker URL", []string{"run", "--data", dir, "--broker", "http://h"}, 2, "scheme"},
		{"bad log format", []string{"run", "--data", dir, "--log-format", "xml"}, 2, "log-format"},
		{"unknown flag", []string{"run", "--nope"}, 2, "nope"},
		{"zero SLA", []string{"run", "--data", dir, "--sla-first-reply", "0s"}, 2, "positive"},
		{"bad SLA", []string{"run", "--data", dir, "--sla-result", "a week"}, 2, "sla-result"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.out) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.out)
			}
		})
	}
}

// TestWeakSecretRefused: a hand-set outlet secret that is short, or long
// but made of few characters or runs, is refused before anything is
// stored, with the minimum and the way to get a good one; the outlet stays
// unregistered.
func TestWeakSecretRefused(t *testing.T) {
	dir := t.TempDir()
	for _, secret := range []string{"s3cret-sh-001", "a-long-enough-secret", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"abababababababababababababab", "abcdefghijklmnopqrstuvwxyz", "12345678901234567890123456789", "password-password-password"} {
		var stdout, stderr bytes.Buffer
		code := run([]string{"outlet", "add", "--data", dir, "--id", "SH-009", "--secret", secret}, &stdout, &stderr)
		if code != 2 {
			t.Errorf("--secret %q: exit %d, want 2; stderr %q", secret, code, stderr.String())
		}
		for _, want := range []string{"at least 24 characters", "omit --secret", "openssl rand -base64 32"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("--secret %q: stderr %q lacks %q", secret, stderr.String(), want)
			}
		}
		if stdout.Len() != 0 {
			t.Errorf("--secret %q: printed %q", secret, stdout.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"outlet", "list", "--data", dir}, &stdout, &stderr); code != 0 || strings.Contains(stdout.String(), "SH-009") {
		t.Errorf("a refused secret registered the outlet: exit %d\n%s", code, stdout.String())
	}
}

// A command line that names no known command lists the commands, so a new
// operator learns them without reading the source.
func TestMissingCommandListsCommands(t *testing.T) {
	for _, args := range [][]string{nil, {"serve"}, {"outlet"}, {"outlet", "remove"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		for _, cmd := range []string{"yizhan-hub run", "yizhan-hub outlet add", "yizhan-hub outlet list"} {
			if !strings.Contains(stderr.String(), cmd) {
				t.Errorf("%q: stderr %q does not list %q", args, stderr.String(), cmd)
			}
		}
	}
}

// outlet add works against the data directory of a running hub, and the
// new outlet can authenticate at once.
func TestOutletAddWhileRunning(t *testing.T) {
	dir := t.TempDir()
	s, err := server.Start(context.Background(), server.Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"outlet", "add", "--data", dir, "--id", "GZ-7"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	secret := strings.TrimSpace(stdout.String())
	if len(secret) != 43 {
		t.Errorf("generated secret %q is not 32 bytes of base64url", secret)
	}
	h, err := s.Store.SecretHash(context.Background(), "GZ-7")
	if err != nil || !store.CheckSecret(h, secret) {
		t.Errorf("running hub does not see the new outlet: %v", err)
	}
}

func TestSettingsFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[waybills]\nblok = 10\n"), 0o600)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"run", "--config", bad}, &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), bad+":2: waybills.blok: unknown key (did you mean waybills.block?)") {
		t.Errorf("exit %d; stderr: %s", code, stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"run", "--config", "../../../deploy/hub.sample.toml", "--http", "127.0.0.1:9999", "--print-config"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d; stderr: %s", code, stderr.String())
	}
	// Each value from the file names its line there.
	sample, err := os.ReadFile("../../../deploy/hub.sample.toml")
	if err != nil {
		t.Fatal(err)
	}
	lineOf := func(text string) int {
		for i, l := range strings.Split(string(sample), "\n") {
			if l == text {
				return i + 1
			}
		}
		t.Fatalf("hub.sample.toml has no line %q", text)
		return 0
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`addr = "127.0.0.1:9999" +# flag --http\n`),
		regexp.MustCompile(fmt.Sprintf(`listen = "0.0.0.0:8883" +# \.\./\.\./\.\./deploy/hub\.sample\.toml:%d\n`, lineOf(`listen = "0.0.0.0:8883"`))),
		regexp.MustCompile(fmt.Sprintf(`tls_cert = "/etc/yizhan/hub-mqtt.crt" +# \.\./\.\./\.\./deploy/hub\.sample\.toml:%d\n`, lineOf(`tls_cert = "/etc/yizhan/hub-mqtt.crt"`))),
		regexp.MustCompile(`block = 1000 +# default\n`),
	} {
		if !want.MatchString(stdout.String()) {
			t.Errorf("print-config lacks %s:\n%s", want, stdout.String())
		}
	}
}

// outlet add and outlet set give an outlet its region and city, checked,
// and outlet list shows them.
func TestOutletRegionAndCity(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // substring of stderr
	}{
		{"add with a place", []string{"outlet", "add", "--data", dir, "--id", "SH-001", "--region", "华东", "--city", "上海"}, 0, ""},
		{"add without", []string{"outlet", "add", "--data", dir, "--id", "HZ-001"}, 0, ""},
		{"set the city", []string{"outlet", "set", "--data", dir, "--id", "HZ-001", "--city", " 杭州 "}, 0, ""},
		{"set the region", []string{"outlet", "set", "--data", dir, "--id", "HZ-001", "--region", "华东"}, 0, ""},
		{"set nothing", []string{"outlet", "set", "--data", dir, "--id", "HZ-001"}, 2, "--region, --city"},
		{"bad region", []string{"outlet", "set", "--data", dir, "--id", "HZ-001", "--region", "华\t东"}, 2, "--region"},
		{"long city", []string{"outlet", "add", "--data", dir, "--id", "NJ-001", "--city", strings.Repeat("城", store.MaxPlaceLen+1)}, 2, "--city"},
		{"unknown outlet", []string{"outlet", "set", "--data", dir, "--id", "NOPE", "--city", "x"}, 1, "not registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.out) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.out)
			}
		})
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"outlet", "list", "--data", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("list: exit %d %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("list:\n%s", stdout.String())
	}
	for i, want := range [][]string{{"HZ-001", "华东", "杭州"}, {"SH-001", "华东", "上海"}} {
		f := strings.Fields(lines[i+1])
		if f[0] != want[0] || f[len(f)-3] != want[1] || f[len(f)-2] != want[2] || f[len(f)-1] != "-" {
			t.Errorf("list line %q, want %v and an unknown backlog", lines[i+1], want)
		}
	}
}
