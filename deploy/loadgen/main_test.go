package main

import (
	"bytes"
	"flag"
	"strings"
	"testing"
)

func TestHelpExplainsEveryFlag(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"--help"}, &out, &errb); code != 0 {
		t.Fatalf("--help exited %d", code)
	}
	help := errb.String()
	if _, err := parseFlags([]string{"--help"}, &bytes.Buffer{}); err != flag.ErrHelp {
		t.Fatalf("parseFlags --help: %v", err)
	}
	for _, name := range []string{"broker", "hub", "api-token", "credentials", "write-mosquitto", "hub-user", "hub-secret", "outlets", "prefix",
		"shard", "profile", "rate", "peak", "speed", "start-hour", "duration", "storm-at", "offline", "return-within", "ramp", "drain",
		"batch-events", "window", "dir", "keep", "csv", "svg", "log-level", "client-logs", "pprof", "backlog"} {
		i := strings.Index(help, "  -"+name+" ")
		if i < 0 {
			i = strings.Index(help, "  -"+name+"\n")
		}
		if i < 0 {
			t.Errorf("--help does not list -%s", name)
		}
	}
	if !strings.Contains(help, "--shard") || !strings.Contains(help, "simulated") {
		t.Error("--help does not say how time and shards work")
	}
}

func TestFlagsRefuseNonsense(t *testing.T) {
	for _, args := range [][]string{{"--profile", "storms"}, {"--outlets", "0"}, {"extra"}} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"--shard", "3/2"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "shard") {
		t.Errorf("--shard 3/2: exit %d, %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"--write-mosquitto", t.TempDir()}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--hub-secret") {
		t.Errorf("--write-mosquitto without --hub-secret: exit %d, %s", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"--outlets", "100000"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "--shard") {
		t.Errorf("100,000 outlets in one process: exit %d, %s", code, errb.String())
	}
}
