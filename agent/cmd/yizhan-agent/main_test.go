package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[http]\naddr = 8080\n"), 0o600)
	unknown := filepath.Join(dir, "unknown.toml")
	os.WriteFile(unknown, []byte("[outlet]\nid = \"SH-001\"\nscret = \"x\"\n"), 0o600)
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string // a regular expression
		stderr string
	}{
		{"no command", nil, 2, "", "Usage"},
		{"unknown flag", []string{"run", "--nope"}, 2, "", "nope"},
		{"missing", []string{"run"}, 2, "", "missing data.dir (--data), outlet.id (--outlet)"},
		{"wrong type", []string{"run", "--config", bad}, 2, "", bad + ":2: http.addr: want a string, got the integer 8080"},
		{"unknown key", []string{"run", "--config", unknown}, 2, "", unknown + ":3: outlet.scret: unknown key (did you mean outlet.secret?)"},
		{"log file unwritable", []string{"run", "--data", dir, "--outlet", "o", "--secret", "s", "--log-file", filepath.Join(bad, "agent.log")}, 2, "", "log file " + filepath.Join(bad, "agent.log") + ": "},
		{"bad log format", []string{"run", "--data", dir, "--outlet", "o", "--secret", "s", "--log-format", "xml"}, 2, "", "flag --log-format: log.format: must be json or text"},
		{"print-config", []string{"run", "--print-config", "--config", "../../../deploy/agent.sample.toml", "--outlet", "SH-002"}, 0,
			`id = "SH-002" +# flag --outlet\nsecret = "" +# default\nsecret_file = "/etc/yizhan/outlet-secret" +# \.\./\.\./\.\./deploy/agent\.sample\.toml:18\n`, ""},
		{"print-config of a broken file", []string{"run", "--print-config", "--config", bad}, 2, "", "http.addr"},
		{"migrate usage", []string{"config"}, 2, "", "config migrate --from"},
		{"devices from TOML", []string{"devices", "list", "--config", "../../../deploy/agent.sample.toml"}, 0, "desk-wedge", ""},
		{"devices from a broken file", []string{"devices", "list", "--config", unknown}, 2, "", "outlet.scret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			if !regexp.MustCompile(tc.stdout).MatchString(stdout.String()) {
				t.Errorf("stdout %q lacks %q", stdout.String(), tc.stdout)
			}
			if !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tc.stderr)
			}
		})
	}
}
