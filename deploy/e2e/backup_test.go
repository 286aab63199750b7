package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// takeBackup runs "yizhan-agent backup" on a's data directory into dir
// and returns the backup's path and the last sequence it holds.
func (c *cluster) takeBackup(a *agent, dir string) (string, uint64) {
	c.t.Helper()
	out, err := exec.Command(c.bins["yizhan-agent"], "backup", "--data", a.dir, "--to", dir).CombinedOutput()
	if err != nil {
		c.t.Fatalf("yizhan-agent backup: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m): (\S+\.bak)\n.*events 1\.\.(\d+),`).FindSubmatch(out)
	if m == nil {
		c.t.Fatalf("backup output names no file and no last sequence:\n%s", out)
	}
	last, _ := strconv.ParseUint(string(m[2]), 10, 64)
	if !strings.Contains(string(out), "personal-data key file") {
		c.t.Errorf("backup output does not say the key file must be kept apart:\n%s", out)
	}
	return string(m[1]), last
}

// restoreInto restores the backup at path into a new data directory for
// a replacement PC of a and returns that agent (not started). It keeps
// a's API token: the backup holds it.
func (c *cluster) restoreInto(a *agent, path string) *agent {
	c.t.Helper()
	b := &agent{id: a.id, dir: filepath.Join(c.dir, "agent-"+a.id+"-restored"), http: harness.FreeAddr(c.t), token: a.token}
	out, err := exec.Command(c.bins["yizhan-agent"], "restore", "--from", path, "--data", b.dir, "--outlet", a.id).CombinedOutput()
	if err != nil {
		c.t.Fatalf("yizhan-agent restore: %v\n%s", err, out)
	}
	out, err = exec.Command(c.bins["yizhan-agent"], "doctor", "--data", b.dir, "--lang", "en").CombinedOutput()
	if !bytes.Contains(out, []byte("[OK] data file: sound: all")) {
		c.t.Fatalf("the restored file does not pass doctor's check: %v\n%s", err, out)
	}
	return b
}

// hubConflicts is the outlet's conflict count at the hub.
func (c *cluster) hubConflicts(id string) uint64 {
	var o struct {
		Conflicts uint64 `json:"conflicts"`
	}
	getJSON(c.t, "http://"+c.hubHTTP+"/api/v1/outlets/"+id, true, &o)
	return o.Conflicts
}

// parcelView is a parcel and its history as the counter shows them.
func parcelView(t *testing.T, a *agent, session, waybill string) string {
	t.Helper()
	var v json.RawMessage
	if code := call(t, "GET", "http://"+a.http+"/api/v1/parcels/"+waybill, session, nil, &v); code != 200 {
		t.Fatalf("parcel %s at %s: HTTP %d", waybill, a.http, code)
	}
	return string(v)
}

// TestReplacedPCCatchesUp: agent A syncs events 1..N, a backup taken at
// K<N; A is killed and its data directory destroyed; a new PC restored
// from the backup fetches K+1..N back from head office (its parcel views
// then equal A's), numbers new scans after N, and the hub holds every
// event once, with no conflict.
func TestReplacedPCCatchesUp(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001")
	c.startHub()
	a := c.newAgent("SH-001")
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.startAgent(a)
	before := scanMany(t, a.http, "PRE", 30, 4, nil)
	c.waitDrained(a, 30*time.Second)
	path, k := c.takeBackup(a, filepath.Join(c.dir, "backups"))
	after := scanMany(t, a.http, "POST", 700, 8, nil)                   // more than one page of catch-up
	session := staffLogin(t, "http://"+a.http+"/api/v1", "c01", "1234") // a login is an event too
	views := map[string]string{}
	for _, s := range []scanned{before[0], after[0], after[len(after)/2], after[len(after)-1]} {
		views[s.barcode] = parcelView(t, a, session, s.barcode)
	}
	c.waitDrained(a, 60*time.Second)
	n := a.sync(t).LastSeq
	if k == 0 || k >= n {
		t.Fatalf("backup at %d, A wrote %d", k, n)
	}
	a.proc.Kill()
	if err := os.RemoveAll(a.dir); err != nil {
		t.Fatal(err)
	}

	b := c.restoreInto(a, path)
	c.startAgent(b)
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		s := b.sync(t)
		return s.LastSeq == n && s.AckedSeq == n, fmt.Sprintf("restored agent last_seq %d acked %d, want %d (backup at %d); last error %q", s.LastSeq, s.AckedSeq, n, k, s.LastError)
	})
	session = staffLogin(t, "http://"+b.http+"/api/v1", "c01", "1234")
	for wb, want := range views {
		if got := parcelView(t, b, session, wb); got != want {
			t.Fatalf("parcel %s on the restored PC:\n%s\nwas on A:\n%s", wb, got, want)
		}
	}
	n = b.sync(t).LastSeq // the login above is an event of the restored PC
	fresh := scanMany(t, b.http, "NEW", 20, 4, nil)
	for _, s := range fresh {
		if s.Seq <= n {
			t.Fatalf("new scan %s got seq %d, at or below the hub's %d", s.barcode, s.Seq, n)
		}
	}
	c.waitDrained(b, 30*time.Second)
	all := append(append(append([]scanned(nil), before...), after...), fresh...)
	c.checkExactlyOnce("SH-001", b.sync(t).LastSeq, all)
	if got := c.hubConflicts("SH-001"); got != 0 {
		t.Fatalf("hub recorded %d conflicts of SH-001", got)
	}
	if r, _ := c.rejects(); r["conflict"] != 0 {
		t.Fatalf("hub counted conflicts: %v", r)
	}
	t.Logf("backup at seq %d, A wrote %d; the restored PC fetched %d back and wrote %d more", k, n, n-k, len(fresh))
}

// TestBackupWhileScanning: 8 clients scan through the agent's API while
// a backup is taken; the backup restores to a file that passes the
// check; an agent on it syncs (fetching back what A wrote after the
// backup) and the hub ends with every scan once: those before the
// backup's instant, those A took after it, and the restored agent's.
func TestBackupWhileScanning(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001")
	c.startHub()
	a := c.newAgent("SH-001")
	c.startAgent(a)
	stop := make(chan struct{})
	done := make(chan []scanned)
	go func() { done <- scanMany(t, a.http, "BWS", 1500, 8, stop) }()
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		s := a.sync(t)
		return s.LastSeq >= 300, fmt.Sprintf("agent at seq %d", s.LastSeq)
	})
	start := time.Now()
	path, k := c.takeBackup(a, filepath.Join(c.dir, "backups"))
	took := time.Since(start)
	during := a.sync(t).LastSeq
	scans := <-done
	if len(scans) != 1500 {
		t.Fatalf("%d of 1500 scans answered 201", len(scans))
	}
	c.waitDrained(a, 60*time.Second)
	n := a.sync(t).LastSeq
	if k < 300 || k >= n {
		t.Fatalf("backup at seq %d, scans reached %d", k, n)
	}
	t.Logf("backup of %d events took %s while 8 clients scanned (seq %d when it returned, %d at the end)", k, took.Round(time.Millisecond), during, n)
	close(stop)
	a.proc.Kill()

	b := c.restoreInto(a, path)
	c.startAgent(b)
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		s := b.sync(t)
		return s.LastSeq == n && s.AckedSeq == n, fmt.Sprintf("restored agent last_seq %d acked %d, want %d; last error %q", s.LastSeq, s.AckedSeq, n, s.LastError)
	})
	more := scanMany(t, b.http, "RST", 200, 8, nil)
	c.waitDrained(b, 30*time.Second)
	c.checkExactlyOnce("SH-001", n+uint64(len(more)), append(scans, more...))
	if got := c.hubConflicts("SH-001"); got != 0 {
		t.Fatalf("hub recorded %d conflicts", got)
	}
}
