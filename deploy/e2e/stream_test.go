package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

// ackLog collects the acks on an outlet's ack topic.
type ackLog struct {
	mu   sync.Mutex
	acks []syncproto.Ack
}

func (l *ackLog) watch(t testing.TB, cl paho.Client, outlet string) {
	cl.Subscribe(syncproto.AckTopic(outlet), 1, func(_ paho.Client, m paho.Message) {
		var a syncproto.Ack
		if _, err := syncproto.Decode(m.Payload(), syncproto.KindAck, &a); err == nil {
			l.mu.Lock()
			l.acks = append(l.acks, a)
			l.mu.Unlock()
		}
	}).WaitTimeout(5 * time.Second)
}

func (l *ackLog) all() []syncproto.Ack {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]syncproto.Ack(nil), l.acks...)
}

// streamFrame is a batch of origin's incarnation inc; each event is what
// mk makes of its seq (by default a forged scan).
func streamFrame(t testing.TB, origin, inc string, first uint64, n int, mk func(seq uint64) syncproto.Event) []byte {
	b := syncproto.Batch{Origin: origin, Incarnation: inc, First: first, Last: first + uint64(n) - 1}
	for i := range n {
		seq := first + uint64(i)
		e := syncproto.Event{ID: fmt.Sprintf("forged-%s-%d", origin, seq), HLC: 1 << 30, Actor: "x", Type: "parcel.scanned", V: 1,
			Subject: "FORGED", Payload: json.RawMessage(`{"barcode":"FORGED","action":"inbound"}`)}
		if mk != nil {
			e = mk(seq)
		}
		e.Origin, e.Seq = origin, seq
		b.Events = append(b.Events, e)
	}
	f, err := syncproto.Encode(syncproto.KindBatch, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestReplacedPCRefusedUntilNewIncarnation: an outlet syncs 8 events, its
// data directory is replaced by a fresh one that writes 8 more. The hub
// refuses them with the reason, stores none, and the agent keeps its
// backlog and shows why; once head office starts a new incarnation by
// command, the 8 land and are acked, and the old 8 are still there.
func TestReplacedPCRefusedUntilNewIncarnation(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001", "BJ-002")
	c.startHub()
	old := c.newAgent("SH-001")
	c.startAgent(old)
	first := scanMany(t, old.http, "OLD", 8, 1, nil)
	c.waitDrained(old, 30*time.Second)
	if err := old.proc.Stop(); err != nil {
		t.Fatal(err)
	}

	fresh := &agent{id: "SH-001", dir: filepath.Join(c.dir, "agent-SH-001-replaced"), http: harness.FreeAddr(t)}
	c.startAgent(fresh)
	second := scanMany(t, fresh.http, "NEW", 8, 1, nil)
	const reason = "head office already holds 8 events of this outlet: restore its backup, or have head office start a new incarnation"
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		s := fresh.sync(t)
		ok := s.Refused != nil && s.Refused.Code == "sync.incarnation" && s.Refused.Params["held"] == float64(8) &&
			s.Backlog == 8 && s.AckedSeq == 0 && strings.Contains(s.LastError, reason)
		return ok, fmt.Sprintf("fresh agent's sync status %+v refused %+v", s, s.Refused)
	})
	// The screen's header shows it before login too, from /healthz.
	var health struct {
		Sync struct {
			Backlog uint64 `json:"backlog"`
			Refused *struct {
				Code string `json:"code"`
			} `json:"refused"`
		} `json:"sync"`
	}
	getJSON(t, "http://"+fresh.http+"/healthz", false, &health)
	if health.Sync.Refused == nil || health.Sync.Refused.Code != "sync.incarnation" || health.Sync.Backlog != 8 {
		t.Fatalf("/healthz sync %+v", health.Sync)
	}
	rows := c.hubEvents("SH-001")
	if len(rows) != 8 {
		t.Fatalf("hub holds %d events of SH-001, want the old 8 and none of the new as replays", len(rows))
	}
	for i, r := range rows {
		if r.ID != first[i].EventID {
			t.Fatalf("hub event %d is %s, want the old directory's %s", r.Seq, r.ID, first[i].EventID)
		}
	}

	out, err := exec.Command(c.bins["yizhan-hub"], "outlet", "new-incarnation", "--data", c.hubDir(), "--id", "SH-001").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "incarnation 1 started") {
		t.Fatalf("outlet new-incarnation: %v\n%s", err, out)
	}
	c.waitDrained(fresh, 30*time.Second)
	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		s := fresh.sync(t)
		return s.Refused == nil && s.Backlog == 0, fmt.Sprintf("status %+v refused %+v", s, s.Refused)
	})
	held := map[string]bool{}
	for _, r := range c.hubEvents("SH-001") {
		held[r.ID] = true
	}
	for _, s := range append(append([]scanned(nil), first...), second...) {
		if !held[s.EventID] {
			t.Fatalf("event %s (seq %d) of %s missing at the hub", s.EventID, s.Seq, s.barcode)
		}
	}
	if len(held) != 16 {
		t.Fatalf("hub holds %d events of SH-001, want 8 of each data directory", len(held))
	}

	// The same by the API, for an outlet with no PC yet.
	post := func(path, body string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", "http://"+c.hubHTTP+path, bytes.NewReader([]byte(body)))
		req.Header.Set("Authorization", "Bearer "+apiToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := httpc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	if st, v := post("/api/v1/outlets/BJ-002/incarnations", `{}`); st != 200 || v["epoch"] != float64(1) {
		t.Fatalf("API new incarnation: %d %v", st, v)
	}
	if st, v := post("/api/v1/outlets/NOPE-9/incarnations", `{}`); st != 404 {
		t.Fatalf("API new incarnation of an unknown outlet: %d %v", st, v)
	}
	if st, v := post("/api/v1/outlets/BJ-002/incarnations", `{"incarnation":"bad id"}`); st != 400 {
		t.Fatalf("API new incarnation with a bad id: %d %v", st, v)
	}
}

// TestConflictingResendRefused: the same (origin, incarnation, seq) with
// other content is refused and counted as a conflict, with both versions'
// ids kept for head office, and never acknowledged.
func TestConflictingResendRefused(t *testing.T) {
	c := newCluster(t, "embedded", "SH-001")
	c.startHub()
	a := c.newAgent("SH-001")
	c.startAgent(a)
	real := scanMany(t, a.http, "R", 8, 1, nil)
	c.waitDrained(a, 30*time.Second)
	inc := a.sync(t).Incarnation
	if len(inc) != 32 {
		t.Fatalf("agent's incarnation %q", inc)
	}
	probe := c.mqttAs("SH-001", c.secrets["SH-001"])
	var acks ackLog
	acks.watch(t, probe, "SH-001")
	before, _ := c.rejects()
	for range 2 {
		probe.Publish(syncproto.UplinkTopic("SH-001"), 1, false, streamFrame(t, "SH-001", inc, 3, 2, nil)).WaitTimeout(5 * time.Second)
	}
	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		n := 0
		for _, x := range acks.all() {
			if x.Error != nil && x.Error.Code == syncproto.CodeConflict {
				n++
			}
		}
		return n == 2, fmt.Sprintf("%d conflict acks among %+v", n, acks.all())
	})
	for _, x := range acks.all() {
		if x.Error != nil && x.Error.Code == syncproto.CodeConflict && (x.AckedSeq >= 3 || x.Incarnation != inc) {
			t.Fatalf("conflicting events acknowledged: %+v", x)
		}
	}
	if r, _ := c.rejects(); r[syncproto.CodeConflict] != before[syncproto.CodeConflict]+1 {
		t.Fatalf("conflict counted %d times (before %d), want once", r[syncproto.CodeConflict], before[syncproto.CodeConflict])
	}
	var o struct {
		Conflicts       uint64 `json:"conflicts"`
		RecentConflicts []struct {
			Seq    uint64 `json:"seq"`
			HeldID string `json:"held_id"`
			SentID string `json:"sent_id"`
		} `json:"recent_conflicts"`
	}
	getJSON(t, "http://"+c.hubHTTP+"/api/v1/outlets/SH-001", true, &o)
	found := false
	for _, x := range o.RecentConflicts {
		if x.Seq == 3 && x.HeldID == real[2].EventID && x.SentID == "forged-SH-001-3" {
			found = true
		}
	}
	if !found || o.Conflicts != 1 {
		t.Fatalf("head office's view of the conflict: %+v", o)
	}
	c.checkExactlyOnce("SH-001", 8, real)
}

// TestFarFutureSequencesRefused: a batch far beyond an outlet's
// contiguous point is refused with a reason and counted, and stores
// nothing; one within the window is held but shows in no head-office view
// until the gap before it closes.
func TestFarFutureSequencesRefused(t *testing.T) {
	c := newCluster(t, "embedded", "BJ-002")
	c.startHub()
	probe := c.mqttAs("BJ-002", c.secrets["BJ-002"])
	var acks ackLog
	acks.watch(t, probe, "BJ-002")
	const inc = "e2e00000000000000000000000000001"
	mk := func(wb, ex string) func(seq uint64) syncproto.Event {
		return func(seq uint64) syncproto.Event {
			e := syncproto.Event{ID: fmt.Sprintf("ev-%d", seq), HLC: hlc.Make(time.Now().UnixMilli()-10_000+int64(seq%1000), 0), Actor: "c01", V: 1}
			if seq%2 == 0 {
				e.Type, e.Subject = "exception.reported", fmt.Sprintf("%s-%d", ex, seq)
				e.Payload = json.RawMessage(fmt.Sprintf(`{"waybill":%q,"kind":"damaged","owner":"c01","at":1}`, wb))
			} else {
				e.Type, e.Subject = "parcel.scanned", wb
				e.Payload = json.RawMessage(fmt.Sprintf(`{"barcode":%q,"action":"inbound"}`, wb))
			}
			return e
		}
	}
	publish := func(f []byte) {
		probe.Publish(syncproto.UplinkTopic("BJ-002"), 1, false, f).WaitTimeout(5 * time.Second)
	}
	ackWith := func(what string, ok func(syncproto.Ack) bool) {
		harness.Eventually(t, 20*time.Second, func() (bool, string) {
			for _, a := range acks.all() {
				if ok(a) {
					return true, ""
				}
			}
			return false, fmt.Sprintf("no ack %s among %+v", what, acks.all())
		})
	}
	parcel := func(wb string) int { return getJSON(t, "http://"+c.hubHTTP+"/api/v1/parcels/"+wb, true, nil) }
	listed := func(prefix string) []string {
		var l struct {
			Exceptions []struct {
				ID string `json:"id"`
			} `json:"exceptions"`
		}
		getJSON(t, "http://"+c.hubHTTP+"/api/v1/exceptions?outlet=BJ-002", true, &l)
		var out []string
		for _, x := range l.Exceptions {
			if strings.HasPrefix(x.ID, prefix) {
				out = append(out, x.ID)
			}
		}
		return out
	}

	// 1. Far ahead: 500 events at seq 2^40.
	publish(streamFrame(t, "BJ-002", inc, 1<<40, 500, mk("FARWB", "EX-FAR")))
	ackWith("refusing 2^40", func(a syncproto.Ack) bool {
		return a.Error != nil && a.Error.Code == syncproto.CodeBeyondWindow && a.AckedSeq == 0
	})
	if r, _ := c.rejects(); r[syncproto.CodeBeyondWindow] < 1 {
		t.Fatalf("rejects %v: no beyond_window", r)
	}
	if st := parcel("FARWB"); st != 404 {
		t.Fatalf("parcel view of a far-future waybill: %d, want 404", st)
	}
	if l := listed("EX-FAR"); len(l) != 0 {
		t.Fatalf("far-future exceptions listed: %v", l)
	}

	// 2. Within the window, beyond a gap: held, in no view.
	publish(streamFrame(t, "BJ-002", inc, 1, 2, mk("GAPWB", "EX-GAP")))
	ackWith("of 2", func(a syncproto.Ack) bool { return a.Error == nil && a.AckedSeq == 2 && a.Incarnation == inc })
	publish(streamFrame(t, "BJ-002", inc, 5, 2, mk("HELDWB", "EX-GAP")))
	harness.Eventually(t, 20*time.Second, func() (bool, string) {
		var o struct {
			Held uint64 `json:"held_events"`
		}
		getJSON(t, "http://"+c.hubHTTP+"/api/v1/outlets/BJ-002", true, &o)
		return o.Held == 2, fmt.Sprintf("held %d", o.Held)
	})
	if st := parcel("HELDWB"); st != 404 {
		t.Fatalf("parcel view before the gap closed: %d, want 404", st)
	}
	if l := listed("EX-GAP-6"); len(l) != 0 {
		t.Fatalf("exception listed before the gap closed: %v", l)
	}
	// 3. The gap closes: everything is visible, the case rows refreshed.
	publish(streamFrame(t, "BJ-002", inc, 3, 2, mk("GAPWB", "EX-GAP")))
	ackWith("of 6", func(a syncproto.Ack) bool { return a.Error == nil && a.AckedSeq == 6 && a.Incarnation == inc })
	if st := parcel("HELDWB"); st != 200 {
		t.Fatalf("parcel view after the gap closed: %d", st)
	}
	if l := listed("EX-GAP"); len(l) != 3 {
		t.Fatalf("exceptions listed after the gap closed: %v, want EX-GAP-2, -4, -6", l)
	}
	for _, r := range c.hubEvents("BJ-002") {
		if r.Seq > 6 {
			t.Fatalf("hub stored seq %d of BJ-002", r.Seq)
		}
	}
}

// replayFrame is a batch of events first..first+n-1 exactly as the hub
// holds them, under the agent's incarnation: an honest resend.
func (c *cluster) replayFrame(origin, inc string, first uint64, n int) []byte {
	c.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.hubDir(), "hub.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	evs := map[uint64]syncproto.Event{}
	rows, err := db.QueryContext(context.Background(), `SELECT seq, id, hlc, actor, type, v, subject, target, payload FROM events
		WHERE origin = ? AND seq >= ? AND seq < ? ORDER BY seq`, origin, first, first+uint64(n))
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var e syncproto.Event
		var payload sql.NullString
		if err := rows.Scan(&e.Seq, &e.ID, &e.HLC, &e.Actor, &e.Type, &e.V, &e.Subject, &e.Target, &payload); err != nil {
			c.t.Fatal(err)
		}
		if payload.Valid {
			e.Payload = json.RawMessage(payload.String)
		}
		evs[e.Seq] = e
	}
	return streamFrame(c.t, origin, inc, first, n, func(seq uint64) syncproto.Event { return evs[seq] })
}
