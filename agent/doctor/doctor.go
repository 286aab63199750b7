// Package doctor is what `yizhan-agent doctor` checks of an outlet beyond
// its devices: that the broker takes the outlet's login, how far this PC's
// clock was from head office's, the disk under the data directory, the
// data file's integrity, and when the TLS certificates end. Each check
// gives OK, WARN or FAIL with one line in the operator's language (Chinese
// by default, English on request); a FAIL's catalog code and its bilingual
// message follow it, for the log and for support.
//
// Nothing here writes to the data file. While an agent runs it holds the
// file's lock: the integrity check then says the running agent checked
// the file when it opened it, and the clock offset is read from the
// running agent's /healthz instead of the file.
package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/agent/syncclient"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/expiry"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Level is a check's verdict.
type Level int

const (
	OK   Level = iota // nothing to do
	Warn              // works now, but look at it (soon)
	Fail              // broken or about to stop the outlet: fix it now
)

func (l Level) String() string { return [...]string{"OK", "WARN", "FAIL"}[l] }

// Result is one check's verdict and its reason in both languages.
type Result struct {
	Check  string // broker, clock, disk, datafile, cert
	Level  Level
	Reason [2]string // Chinese, English
	// Problem is the catalog problem behind the verdict, if any: printed
	// with its code under a FAIL.
	Problem *problem.Error
}

// Options are what the checks read: the agent's settings.
type Options struct {
	DataDir   string
	MinFreeMB int
	// Outlet, Secret and Broker are the login; with no outlet the broker
	// check warns that it cannot run.
	Outlet, Secret, Broker string
	TLS                    syncclient.TLSFiles
	AllowPlain             bool
	// MaxClockSkew is the bound the clock is judged by; hlc.DefaultMaxSkew
	// if zero.
	MaxClockSkew time.Duration
	// Timeout bounds the broker connect; 5 s if zero.
	Timeout time.Duration
	// BackupDir is [backup] dir: the newest backup's age is checked there.
	BackupDir string
	// Now is the time certificates and backups are judged at; time.Now if nil.
	Now func() time.Time
}

// Run runs every check in order: data file, disk, clock, backup, broker,
// certificates.
func Run(ctx context.Context, o Options) []Result {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.MaxClockSkew <= 0 {
		o.MaxClockSkew = hlc.DefaultMaxSkew
	}
	var out []Result
	if o.DataDir == "" {
		out = append(out, Result{Check: "datafile", Level: Warn, Reason: say("no_data_dir")})
	} else {
		df, st := DataFile(o.DataDir)
		out = append(out, df, Disk(o.DataDir, o.MinFreeMB), Clock(ctx, o.DataDir, st, o.MaxClockSkew))
	}
	out = append(out, Backups(o.BackupDir, o.Outlet, o.DataDir, o.Now()))
	out = append(out, Broker(ctx, o))
	return append(out, Certs(o.TLS, o.Now())...)
}

// Failed reports whether any result is a FAIL.
func Failed(rs []Result) bool {
	for _, r := range rs {
		if r.Level == Fail {
			return true
		}
	}
	return false
}

// Print writes one line per result in lang ("zh" or "en"), and under a
// FAIL with a catalog problem its code and bilingual message.
func Print(w io.Writer, rs []Result, lang string) {
	i := 0
	if lang == "en" {
		i = 1
	}
	for _, r := range rs {
		fmt.Fprintf(w, "[%s] %s: %s\n", r.Level, checkNames[r.Check][i], r.Reason[i])
		if r.Level == Fail && r.Problem != nil {
			fmt.Fprintf(w, "    %s: %s\n", r.Problem.Code(), r.Problem.Error())
		}
	}
}

// FileState is what the integrity check found, for the clock check: only
// a sound file may be opened by bbolt, and a file in use is read through
// the running agent.
type FileState int

const (
	Unsound FileState = iota // damaged or unreadable: not to be mapped
	Sound                    // read whole, no damage (or no file yet)
	InUse                    // a running agent holds it
)

// DataFile checks agent.db's integrity without mapping it (datafile.Check).
func DataFile(dir string) (r Result, st FileState) {
	r.Check = "datafile"
	rep, err := datafile.Check(dir)
	switch {
	case errors.Is(err, datafile.ErrInUse):
		r.Reason, st = say("datafile_in_use"), InUse
	case err != nil:
		r.Level, r.Reason = Fail, say("datafile_unreadable", "detail", err.Error())
	case rep.Err() != nil:
		r.Level, r.Problem = Fail, problem.As(rep.Err())
		r.Reason = halves(r.Problem)
	case rep.Size == 0:
		r.Level, r.Reason, st = Warn, say("datafile_none", "path", rep.Path), Sound
	default:
		r.Reason, st = say("datafile_ok", "pages", rep.Pages, "events", rep.Keys["events"]), Sound
	}
	return r, st
}

// Disk checks the free space under dir against the floor: FAIL below it
// (/readyz says not ready), WARN below twice it.
func Disk(dir string, minMB int) Result {
	r := Result{Check: "disk"}
	free, err := datafile.FreeSpace(existing(dir))
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		r.Level, r.Reason = Warn, say("disk_unknown")
		return r
	case err != nil:
		r.Level, r.Reason = Fail, say("disk_unreadable", "dir", dir, "detail", err.Error())
		return r
	}
	mb := free >> 20
	switch err := syncproto.CheckFreeSpace(dir, free, minMB); {
	case err != nil:
		r.Level, r.Problem = Fail, problem.As(err)
		r.Reason = halves(r.Problem)
	case minMB > 0 && free < uint64(2*minMB)<<20:
		r.Level, r.Reason = Warn, say("disk_low", "free_mb", mb, "min_mb", minMB)
	default:
		r.Reason = say("disk_ok", "free_mb", mb, "min_mb", minMB)
	}
	return r
}

// existing is dir, or its nearest parent that exists: the disk a data
// directory not made yet will be on.
func existing(dir string) string {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || filepath.Dir(d) == d {
			return d
		}
	}
}

// Clock judges this PC's clock by head office's as last measured: from a
// running agent, else from the data file (only a sound one). Unknown when
// the outlet never heard from the hub: a WARN, since nothing can be said.
func Clock(ctx context.Context, dir string, st FileState, bound time.Duration) Result {
	r := Result{Check: "clock"}
	off, known, from, err := hubOffset(ctx, dir, st)
	switch {
	case err != nil:
		r.Level, r.Reason = Warn, say("clock_unreadable", "detail", err.Error())
		return r
	case !known:
		r.Level, r.Reason = Warn, say("clock_unknown")
		return r
	}
	if cp := syncclient.ClockOff(off, bound); cp != nil {
		code, _ := problem.Lookup(cp.Code)
		var kv []any
		for k, v := range cp.Params {
			kv = append(kv, k, v)
		}
		r.Level, r.Problem = Fail, problem.New(code, kv...)
		r.Reason = halves(r.Problem)
		return r
	}
	key := "clock_ok_file"
	if from == "agent" {
		key = "clock_ok_agent"
	}
	r.Reason = say(key, "offset", syncclient.Span(off), "bound", bound.String())
	return r
}

// hubOffset is head office's clock less this PC's, in ms, from the running
// agent (from "agent") or the data file ("file").
func hubOffset(ctx context.Context, dir string, st FileState) (ms int64, known bool, from string, err error) {
	switch st {
	case Unsound:
		return 0, false, "file", errors.New("the data file is damaged or unreadable (see above)")
	case Sound:
		ms, known, err = datafile.ReadHubOffset(dir)
		if !errors.Is(err, datafile.ErrInUse) { // an agent that started since: ask it
			return ms, known, "file", err
		}
	}
	af, err := staff.ReadAdminFile(dir)
	if err != nil {
		return 0, false, "agent", fmt.Errorf("the agent runs, but its %s cannot be read: %w", staff.AdminFileName, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, af.URL+"/healthz", nil)
	if err != nil {
		return 0, false, "agent", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false, "agent", err
	}
	defer resp.Body.Close()
	var h struct {
		Sync struct {
			HubClockOffsetMS *int64 `json:"hub_clock_offset_ms"`
		} `json:"sync"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&h); err != nil {
		return 0, false, "agent", fmt.Errorf("%s/healthz: %w", af.URL, err)
	}
	if h.Sync.HubClockOffsetMS == nil {
		return 0, false, "agent", nil
	}
	return *h.Sync.HubClockOffsetMS, true, "agent", nil
}

// Broker connects once with the outlet's login and TLS files.
func Broker(ctx context.Context, o Options) Result {
	r := Result{Check: "broker"}
	if o.Outlet == "" || o.Secret == "" {
		r.Level, r.Reason = Warn, say("broker_unconfigured")
		return r
	}
	err := syncclient.Probe(ctx, o.Broker, o.Outlet, o.Secret, o.TLS, o.AllowPlain, o.Timeout)
	if err == nil {
		r.Reason = say("broker_ok", "broker", o.Broker, "outlet", o.Outlet)
		return r
	}
	r.Level = Fail
	if p := problem.As(err); p != nil {
		r.Problem = p
		r.Reason = halves(p)
		return r
	}
	r.Reason = say("broker_failed", "broker", o.Broker, "detail", err.Error())
	return r
}

// Certs judges the CA file and the client certificate: FAIL once ended (or
// unreadable), WARN within expiry.Warn of the end. No TLS configured is
// one OK line.
func Certs(f syncclient.TLSFiles, now time.Time) []Result {
	var out []Result
	for _, c := range []struct{ key, path string }{{"sync.ca_file", f.CAFile}, {"sync.cert_file", f.CertFile}} {
		if c.path == "" {
			continue
		}
		out = append(out, cert(c.key, c.path, now))
	}
	if len(out) == 0 {
		out = append(out, Result{Check: "cert", Reason: say("cert_none")})
	}
	return out
}

// certDate is how a certificate's end is shown, as the sync status does.
const certDate = "2006-01-02 15:04 UTC"

func cert(key, path string, now time.Time) Result {
	r := Result{Check: "cert"}
	data, err := os.ReadFile(path)
	if err != nil {
		r.Level, r.Reason = Fail, say("cert_unreadable", "key", key, "file", path, "detail", err.Error())
		return r
	}
	c, err := expiry.Earliest(data)
	if err != nil {
		r.Level, r.Reason = Fail, say("cert_unreadable", "key", key, "file", path, "detail", err.Error())
		return r
	}
	date, days := c.NotAfter.UTC().Format(certDate), int(c.NotAfter.Sub(now).Hours()/24)
	switch expiry.Judge(c.NotAfter, now) {
	case expiry.Expired:
		r.Level, r.Reason = Fail, say("cert_expired", "key", key, "file", path, "date", date)
	case expiry.Expiring:
		r.Level, r.Reason = Warn, say("cert_expiring", "key", key, "file", path, "date", date, "days", days)
	default:
		r.Reason = say("cert_ok", "key", key, "file", path, "date", date, "days", days)
	}
	return r
}
