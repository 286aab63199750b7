package config

import (
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/settings"
)

func TestWindowsPaths(t *testing.T) {
	for _, pd := range []string{`C:\ProgramData`, `C:\ProgramData\`, `D:\PD`} {
		p := WindowsPaths(pd)
		root := strings.TrimRight(pd, `\`) + `\Yizhan`
		want := Paths{Root: root, Config: root + `\agent.toml`, Data: root + `\data`, Logs: root + `\logs`, LogFile: root + `\logs\agent.log`}
		if p != want {
			t.Errorf("WindowsPaths(%q) = %+v, want %+v", pd, p, want)
		}
	}
}

// TestDataDirDefault: on Windows the data directory defaults to the
// installation's; elsewhere it stays required (systemd's unit gives it).
func TestDataDirDefault(t *testing.T) {
	p, ok := Installed()
	d := Defaults().Data.Dir
	if runtime.GOOS == "windows" {
		if !ok || d != p.Data || !strings.HasSuffix(d, `\Yizhan\data`) {
			t.Fatalf("data.dir default %q, installed %+v %v", d, p, ok)
		}
		return
	}
	if ok || d != "" {
		t.Fatalf("data.dir default %q, installed %+v %v: want none here", d, p, ok)
	}
}

func TestLogSettings(t *testing.T) {
	base := []string{"--data", "d", "--outlet", "o", "--secret", "s"}
	l, err := Parse(base, nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	if l.Log.File != "" || l.Log.MaxMB != DefaultLogMaxMB || l.Log.Keep != DefaultLogKeep {
		t.Fatalf("log defaults %+v", l.Log)
	}
	p := write(t, "agent.toml", "[log]\nfile = 'agent.log'\nmax_mb = 5\nkeep = 3\n")
	if l, err = Parse(append(base, "--config", p, "--log-keep", "4"), nil, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := l.Check(); err != nil {
		t.Fatal(err)
	}
	if l.Log.File != "agent.log" || l.Log.MaxMB != 5 || l.Log.Keep != 4 || l.Source("log.keep").Origin != settings.Flag {
		t.Fatalf("log %+v", l.Log)
	}
	for _, tc := range []struct{ body, want string }{
		{"[log]\nmax_mb = 0\n", ":2: log.max_mb: must be 1 to 10240 MiB, not 0"},
		{"[log]\nmax_mb = 20000\n", ":2: log.max_mb: must be 1 to 10240 MiB, not 20000"},
		{"[log]\nkeep = 0\n", ":2: log.keep: must be 1 to 1000 files, not 0"},
		{"[log]\nkeep = -1\n", ":2: log.keep: must be 1 to 1000 files, not -1"},
	} {
		p := write(t, "bad.toml", tc.body)
		l, err := Parse(append(base, "--config", p), nil, io.Discard)
		if err == nil {
			err = l.Check()
		}
		if err == nil || !strings.HasPrefix(err.Error(), p+tc.want) {
			t.Errorf("%q: err %v, want %q", tc.body, err, p+tc.want)
		}
	}
}

// TestWindowsSampleLoads: the Windows sample in the zip loads with every
// key known and every device right. Off Windows its COM ports are refused,
// and nothing else may be.
func TestWindowsSampleLoads(t *testing.T) {
	const sample = "../../deploy/windows/agent.sample.toml"
	l, err := Parse([]string{"--config", sample}, nil, io.Discard)
	if runtime.GOOS == "windows" {
		if err != nil {
			t.Fatal(err)
		}
		if l.Outlet.ID != "SH-001" || l.Outlet.SecretFile != `C:\ProgramData\Yizhan\outlet-secret` || len(l.Devices.Scanners) != 1 || len(l.Devices.Printers) != 3 || len(l.Devices.Scales) != 1 {
			t.Errorf("sample settings: %+v", l.Settings)
		}
		return
	}
	if err == nil {
		t.Fatal("the Windows sample's COM ports loaded off Windows")
	}
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	if len(errs) != 3 { // the scanner, the receipt printer, the scale
		t.Errorf("%d errors, want 3 (one per COM port):\n%v", len(errs), err)
	}
	for _, e := range errs {
		if !strings.Contains(e.Error(), "is a Windows port name") {
			t.Errorf("the Windows sample has another problem: %v", e)
		}
	}
}
