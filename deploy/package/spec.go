package main

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"text/template"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
	"golang.org/x/sync/errgroup"
)

// program is one package: a binary, its unit, its settings and its user.
type program struct {
	Name        string // package, binary, unit and user name
	Summary     string
	Description string
	User        string
	DataDir     string
	ConfigFile  string // where the package puts its settings file
	SampleFile  string // the sample it is made from, in the repository
	EnvFile     string // the unit's EnvironmentFile, for secrets
	Groups      []group
	Steps       []string // what to fill in before the first start
}

// group is a supplementary group the user joins, if the system has it.
type group struct{ Name, Why string }

// The paths both formats use: /usr/lib/systemd/system is where systemd
// looks for packaged units on Debian (merged /usr) and on RPM systems.
const (
	binDir  = "/usr/bin"
	unitDir = "/usr/lib/systemd/system"
	confDir = "/etc/yizhan"
)

var programs = []program{
	{
		Name:        "yizhan-agent",
		Summary:     "Yizhan outlet agent",
		Description: "The Yizhan outlet agent: records every scan of a branch outlet in a local file, works with no network, and syncs with head office's hub over MQTT.",
		User:        "yizhan-agent",
		DataDir:     "/var/lib/yizhan-agent",
		ConfigFile:  confDir + "/agent.toml",
		SampleFile:  "deploy/agent.sample.toml",
		EnvFile:     "/etc/default/yizhan-agent",
		Groups: []group{
			{"dialout", "Serial scanners and scales."},
			{"lp", "USB printers (/dev/usb/lp*)."},
			{"input", "Keyboard-wedge scanners (/dev/input/event*)."},
		},
		Steps: []string{
			"([outlet] id, [sync] broker and ca_file, the devices), put the outlet's",
			"secret in /etc/yizhan/outlet-secret (mode 0640, group yizhan-agent) or",
			"YZ_SECRET in /etc/default/yizhan-agent, the personal-data key in",
			"/etc/yizhan/pii.key,",
		},
	},
	{
		Name:        "yizhan-hub",
		Summary:     "Yizhan head-office hub",
		Description: "The Yizhan head-office hub: receives every outlet's events over MQTT exactly once, stores them in SQLite or PostgreSQL, and serves head office's API and screen.",
		User:        "yizhan-hub",
		DataDir:     "/var/lib/yizhan-hub",
		ConfigFile:  confDir + "/hub.toml",
		SampleFile:  "deploy/hub.sample.toml",
		EnvFile:     "/etc/default/yizhan-hub",
		Steps: []string{
			"([mqtt] and its certificates, or an external broker; [store] for",
			"PostgreSQL, with PGPASSWORD in /etc/default/yizhan-hub),",
		},
	},
}

// unitFile is the program's systemd unit in the repository.
func (p program) unitFile() string { return filepath.Join("deploy", "systemd", p.Name+".service") }

// envSample is the sample environment file in the repository.
func (p program) envSample() string { return filepath.Join("deploy", "systemd", p.Name+".env") }

// contents is what the package installs. The settings file and the
// environment file are conffiles that an upgrade never replaces once
// changed (noreplace), and a removal keeps; the data directory is made by
// postinst and owned by no package.
func (p program) contents(repo, binary string) files.Contents {
	return files.Contents{
		{Source: binary, Destination: binDir + "/" + p.Name, FileInfo: &files.ContentFileInfo{Mode: 0o755}},
		{Source: filepath.Join(repo, p.unitFile()), Destination: unitDir + "/" + p.Name + ".service", FileInfo: &files.ContentFileInfo{Mode: 0o644}},
		{Destination: confDir, Type: files.TypeDir, FileInfo: &files.ContentFileInfo{Mode: 0o755}},
		{Source: filepath.Join(repo, p.SampleFile), Destination: p.ConfigFile, Type: files.TypeConfigNoReplace, FileInfo: &files.ContentFileInfo{Mode: 0o640}},
		{Source: filepath.Join(repo, p.envSample()), Destination: p.EnvFile, Type: files.TypeConfigNoReplace, FileInfo: &files.ContentFileInfo{Mode: 0o600}},
	}
}

//go:embed scripts/*.sh
var scriptFS embed.FS

// scripts renders the maintainer scripts for p into dir.
func (p program) scripts(dir string) (nfpm.Scripts, error) {
	var s nfpm.Scripts
	for _, sc := range []struct {
		name string
		dst  *string
	}{{"postinst", &s.PostInstall}, {"prerm", &s.PreRemove}, {"postrm", &s.PostRemove}} {
		t, err := template.ParseFS(scriptFS, "scripts/"+sc.name+".sh")
		if err != nil {
			return s, err
		}
		var b bytes.Buffer
		if err := t.Execute(&b, p); err != nil {
			return s, fmt.Errorf("%s for %s: %w", sc.name, p.Name, err)
		}
		path := filepath.Join(dir, p.Name+"."+sc.name)
		if err := os.WriteFile(path, b.Bytes(), 0o755); err != nil {
			return s, err
		}
		*sc.dst = path
	}
	return s, nil
}

// Options say what Build makes.
type Options struct {
	Repo    string   // the repository's root
	Bin     string   // directory with the linux binaries
	Out     string   // where the packages go
	Version string   // e.g. 1.2.3 or 0.0.0+812.g796dff1
	Arch    string   // GOARCH
	Formats []string // deb, rpm
	// MTime stamps every file, for packages that are the same byte for
	// byte from the same input; zero: the commit time is not known here,
	// so a fixed date.
	MTime time.Time
}

// Build writes one package per program and format into o.Out and returns
// their paths. The packages are compressed in parallel (goreleaser runs
// nfpm the same way).
func Build(o Options) ([]string, error) {
	if err := checkVersion(o.Version); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "yizhan-scripts-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	mtime := o.MTime
	if mtime.IsZero() {
		mtime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	type job struct {
		p       program
		binary  string
		scripts nfpm.Scripts
		format  string
	}
	var jobs []job
	for _, p := range programs {
		// nfpm packages a symlink as a symlink: take the file it names.
		binary, err := filepath.EvalSymlinks(filepath.Join(o.Bin, p.Name))
		if err != nil {
			return nil, fmt.Errorf("%s: the binary is missing (build it for linux/%s, or leave out --bin): %w", p.Name, o.Arch, err)
		}
		scripts, err := p.scripts(tmp)
		if err != nil {
			return nil, err
		}
		for _, format := range o.Formats {
			jobs = append(jobs, job{p, binary, scripts, format})
		}
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return nil, err
	}
	built := make([]string, len(jobs))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, j := range jobs {
		g.Go(func() error {
			info := &nfpm.Info{
				Name:          j.p.Name,
				Arch:          o.Arch,
				Platform:      "linux",
				Version:       o.Version,
				VersionSchema: "none",
				Release:       "1",
				Section:       "net",
				Priority:      "optional",
				Maintainer:    "Yizhan",
				Vendor:        "Yizhan",
				Description:   j.p.Summary + "\n" + j.p.Description,
				License:       "Proprietary",
				MTime:         mtime,
				Overridables: nfpm.Overridables{
					Contents: j.p.contents(o.Repo, j.binary),
					Scripts:  j.scripts,
					RPM:      nfpm.RPM{Summary: j.p.Summary, Group: "System Environment/Daemons"},
				},
			}
			// useradd, groupadd and usermod: Debian's passwd, the RPM
			// systems' shadow-utils.
			switch j.format {
			case "deb":
				info.Depends = []string{"passwd"}
			case "rpm":
				info.Depends = []string{"shadow-utils"}
			}
			info = nfpm.WithDefaults(info)
			pkgr, err := nfpm.Get(j.format)
			if err != nil {
				return err
			}
			target := filepath.Join(o.Out, pkgr.ConventionalFileName(info))
			if err := write(pkgr, info, target); err != nil {
				return fmt.Errorf("%s %s: %w", j.p.Name, j.format, err)
			}
			built[i] = target
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return built, nil
}

func write(pkgr nfpm.Packager, info *nfpm.Info, target string) error {
	f, err := os.Create(target)
	if err != nil {
		return err
	}
	info.Target = target
	if err := pkgr.Package(info, f); err != nil {
		f.Close()
		os.Remove(target)
		return err
	}
	return f.Close()
}
