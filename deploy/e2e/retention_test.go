package e2e

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// TestRetentionPrunesAfterSync: an outlet's events reach head office; a
// hundred days later (the command's clock shifted) retention prunes them
// at the outlet, refusing while the agent runs; the hub still holds every
// one, the counter still shows the parcels as before, the agent goes on
// from where it was, and the run's events reach head office's audit
// list. A run before head office acknowledged anything removes nothing.
func TestRetentionPrunesAfterSync(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001")
	a := c.newAgent("SH-001")
	c.addStaff(a, "c01", "张三", "clerk", "1234")

	// Before any sync: nothing is acknowledged, so nothing goes.
	c.startAgent(a, "--broker", "tcp://127.0.0.1:1")
	scanMany(t, a.http, "RET0-", 3, 1, nil)
	a.proc.Kill()
	out, err := exec.Command(c.bins["yizhan-agent"], "retention", "--data", a.dir, "--clock-offset", "2400h", "--dry-run").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "would remove (dry run, nothing changed) 0") {
		t.Fatalf("retention before any sync: %v\n%s", err, out)
	}

	c.startHub()
	c.startAgent(a)
	scanned := scanMany(t, a.http, "RET-", 20, 4, nil)
	c.waitDrained(a, 30*time.Second)
	synced := a.sync(t).AckedSeq
	var parcel map[string]json.RawMessage
	login := staffLogin(t, "http://"+a.http+"/api/v1", "c01", "1234")
	if code := call(t, "GET", "http://"+a.http+"/api/v1/parcels/RET-00000000", login, nil, &parcel); code != 200 {
		t.Fatalf("parcel before pruning: %d %s", code, parcel)
	}
	if out, err := exec.Command(c.bins["yizhan-agent"], "retention", "--data", a.dir).CombinedOutput(); err == nil || !strings.Contains(string(out), "stop it") {
		t.Fatalf("retention while the agent runs: %v\n%s", err, out)
	}
	// The login is an audit event too: let it sync before the stop.
	c.waitDrained(a, 30*time.Second)
	synced = a.sync(t).AckedSeq
	a.proc.Kill()

	out, err = exec.Command(c.bins["yizhan-agent"], "retention", "--data", a.dir, "--clock-offset", "2400h").CombinedOutput()
	t.Logf("yizhan-agent retention:\n%s", out)
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("removed %d, seq 1..%d", synced, synced)) || !strings.Contains(string(out), "已删除") ||
		!strings.Contains(string(out), fmt.Sprintf("folded into its state: %d 个事件 / events, parcel %d", len(scanned)+3, len(scanned)+3)) {
		t.Fatalf("retention: %v\n%s", err, out)
	}
	if held := c.hubEvents("SH-001"); uint64(len(held)) != synced {
		t.Fatalf("hub holds %d events of SH-001 after pruning, want %d", len(held), synced)
	}

	c.startAgent(a)
	var st struct {
		agentSync
		PrunedSeq uint64 `json:"pruned_seq"`
	}
	getJSON(t, "http://"+a.http+"/api/v1/sync", false, &st)
	// The two retention events may already be acknowledged by now.
	if st.PrunedSeq != synced || st.AckedSeq < synced || st.AckedSeq > st.LastSeq || st.LastSeq != synced+2 {
		t.Fatalf("agent after pruning: %+v, want pruned and acked %d and the two retention events", st, synced)
	}
	// The parcel is as it was; its events, folded into its state, are at
	// head office.
	var again map[string]json.RawMessage
	login = staffLogin(t, "http://"+a.http+"/api/v1", "c01", "1234")
	if code := call(t, "GET", "http://"+a.http+"/api/v1/parcels/RET-00000000", login, nil, &again); code != 200 ||
		string(again["parcel"]) != string(parcel["parcel"]) || string(again["events"]) != "[]" || string(parcel["events"]) == "[]" {
		t.Fatalf("parcel after pruning: %d\n%s\nwas\n%s", code, again, parcel)
	}
	more := scanMany(t, a.http, "RET2-", 3, 1, nil)
	c.waitDrained(a, 30*time.Second)
	c.checkExactlyOnce("SH-001", a.sync(t).LastSeq, append(scanned, more...))

	var audit struct {
		Audit []struct{ Origin, Action, Subject, Detail string }
	}
	if code := getJSON(t, "http://"+c.hubHTTP+"/api/v1/audit?action="+lifecycle.RetentionRan+"&origin=SH-001", true, &audit); code != 200 || len(audit.Audit) != 2 {
		t.Fatalf("hub audit list: %d %+v", code, audit)
	}
	subjects := audit.Audit[0].Subject + " " + audit.Audit[1].Subject
	if !strings.Contains(subjects, "retention/events") || !strings.Contains(subjects, "retention/personal") ||
		!strings.Contains(audit.Audit[0].Detail+audit.Audit[1].Detail, fmt.Sprintf(`"events":%d`, synced)) {
		t.Fatalf("hub audit rows %+v", audit.Audit)
	}
}
