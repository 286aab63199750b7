package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// pinClient is an HTTP client whose connections come from one loopback
// address, so the agent sees it as its own client (127.0.0.0/8 all reach
// the agent on 127.0.0.1).
func pinClient(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// pinAnswer is a login's answer: status, Retry-After in seconds (-1 without
// one), error code, parameters and the whole body with the id taken out.
type pinAnswer struct {
	status     int
	retryAfter int
	code       string
	params     map[string]any
	body       string
	token      string
}

func pinLogin(t *testing.T, hc *http.Client, agentAPI, id, pin string) pinAnswer {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"staff_id": id, "pin": pin})
	req, _ := http.NewRequest("POST", agentAPI+"/session", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("login %s: %v", id, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := pinAnswer{status: resp.StatusCode, retryAfter: -1, body: strings.ReplaceAll(string(raw), id, "ID")}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if a.retryAfter, err = strconv.Atoi(v); err != nil {
			t.Fatalf("Retry-After %q", v)
		}
	}
	var body struct {
		Token string `json:"token"`
		Error struct {
			Code   string         `json:"code"`
			Params map[string]any `json:"params"`
		} `json:"error"`
	}
	_ = json.Unmarshal(raw, &body)
	a.code, a.params, a.token = body.Error.Code, body.Error.Params, body.Token
	return a
}

// endLocks rewrites the stopped agent's lock table so that every lock has
// ended, as the hours would have: the count of locks in a row stays.
func endLocks(t *testing.T, dir string) {
	t.Helper()
	f, err := datafile.Open(dir, datafile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = f.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(datafile.Staff).Bucket(datafile.StaffAttempts)
		recs := map[string]map[string]any{}
		if err := b.ForEach(func(k, v []byte) error {
			var m map[string]any
			if err := json.Unmarshal(v, &m); err != nil {
				return err
			}
			recs[string(k)] = m
			return nil
		}); err != nil {
			return err
		}
		for k, m := range recs {
			if _, ok := m["locked_until"]; ok {
				m["locked_until"] = time.Now().Add(-time.Second).UTC().Format(time.RFC3339Nano)
			}
			v, _ := json.Marshal(m)
			if err := b.Put([]byte(k), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPINGuessing guesses PINs at a real agent: one id's locks escalate and
// survive restarts; an id no one has answers exactly like a member's; one
// client guessing across ids runs out of its budget; a supervisor's unlock
// clears a clerk's lock, its escalation and the client's budget; and every
// login, wrong PIN, lock and unlock reaches head office as an audit event
// without a PIN in it.
func TestPINGuessing(t *testing.T) {
	const outlet = "PIN1"
	c := newCluster(t, "embedded", outlet)
	c.startHub()
	a := c.newAgent(outlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.addStaff(a, "s01", "李主管", "supervisor", "9999")
	c.startAgent(a)
	agentAPI := "http://" + a.http + "/api/v1"
	const wrong = "4711" // no one's PIN; must never reach an event
	known, ghost := pinClient("127.0.0.2"), pinClient("127.0.0.3")

	// Member c01 from one client, the unknown id "ghost" from another, step
	// by step: c01's locks escalate and survive restarts, and the unknown
	// id's answers are the same, locks and escalation included.
	escalation := []int{300, 600}
	t.Run("escalation, and an unknown id answers like a member's", func(t *testing.T) {
		differ := func(what string, k, g pinAnswer) {
			t.Helper()
			t.Errorf("%s: member c01 answers %+v\nunknown id answers %+v", what, k, g)
		}
		for lock, want := range escalation {
			for i := 1; i <= 5; i++ {
				k := pinLogin(t, known, agentAPI, "c01", wrong)
				g := pinLogin(t, ghost, agentAPI, "ghost", wrong)
				if i < 5 {
					if k.status != 401 {
						t.Fatalf("lock %d, wrong PIN %d at c01: %+v", lock+1, i, k)
					}
					if k.status != g.status || k.retryAfter != g.retryAfter || k.body != g.body {
						differ(fmt.Sprintf("lock %d, wrong PIN %d", lock+1, i), k, g)
					}
					continue
				}
				if k.status != 429 || k.code != "staff.locked" || k.retryAfter < want-1 || k.retryAfter > want {
					t.Fatalf("lock %d of c01: %+v, want 429 staff.locked with Retry-After %d", lock+1, k, want)
				}
				if g.status != k.status || g.code != k.code || k.params["failures"] != g.params["failures"] || len(k.params) != len(g.params) ||
					k.retryAfter-g.retryAfter > 1 || g.retryAfter-k.retryAfter > 1 {
					differ(fmt.Sprintf("lock %d", lock+1), k, g)
				}
			}
			// Locked, the right PIN is refused too.
			if k := pinLogin(t, known, agentAPI, "c01", "1234"); k.status != 429 {
				t.Fatalf("right PIN while locked: %+v", k)
			}
			if lock == len(escalation)-1 {
				break
			}
			// The minutes pass while the agent is stopped: the locks end,
			// the count of locks in a row stays.
			if err := a.proc.Stop(); err != nil {
				t.Fatal(err)
			}
			endLocks(t, a.dir)
			c.startAgent(a)
		}
	})

	// One client guessing across ids: its budget runs out, for every id and
	// the right PIN too, while other clients log in.
	spray := pinClient("127.0.0.4")
	t.Run("one client across ids", func(t *testing.T) {
		var limited pinAnswer
		tries := 0
		for ; tries < 30; tries++ {
			limited = pinLogin(t, spray, agentAPI, fmt.Sprintf("p%02d", tries), wrong)
			if limited.status == 429 {
				break
			}
			if limited.status != 401 {
				t.Fatalf("wrong PIN %d across ids: %+v", tries+1, limited)
			}
		}
		if limited.code != "staff.client_limited" || limited.retryAfter < 60 || tries > 10 {
			t.Fatalf("after %d wrong PINs at %d ids from one client: %+v, want 429 staff.client_limited with Retry-After", tries, tries, limited)
		}
		if ans := pinLogin(t, spray, agentAPI, "s01", "9999"); ans.status != 429 || ans.code != "staff.client_limited" {
			t.Fatalf("the right PIN from a client over its budget: %+v", ans)
		}
	})

	t.Run("a supervisor unlocks", func(t *testing.T) {
		super := pinLogin(t, pinClient("127.0.0.5"), agentAPI, "s01", "9999")
		if super.status != 200 || super.token == "" {
			t.Fatalf("the supervisor from another client: %+v", super)
		}
		// On the staff page's route: c01 logs in, and its next lock is the
		// first again.
		if code := call(t, "POST", agentAPI+"/staff/c01/unlock", super.token, nil, nil); code != 200 {
			t.Fatalf("unlock: HTTP %d", code)
		}
		if k := pinLogin(t, known, agentAPI, "c01", "1234"); k.status != 200 {
			t.Fatalf("c01 after the unlock: %+v", k)
		}
		var k pinAnswer
		for range 5 {
			k = pinLogin(t, known, agentAPI, "c01", wrong)
		}
		if k.status != 429 || k.retryAfter < 299 || k.retryAfter > 300 {
			t.Fatalf("c01's first lock after the unlock: %+v, want Retry-After 300", k)
		}
		// The staff command unlocks through the running agent, and clears
		// the spent budget of the client (the way out when the counter's
		// own PC is the one shut out).
		// (The unlock above cleared it: spend it again.)
		for i := range 10 {
			pinLogin(t, spray, agentAPI, fmt.Sprintf("q%02d", i), wrong)
		}
		if ans := pinLogin(t, spray, agentAPI, "s01", "9999"); ans.status != 429 {
			t.Fatalf("the sprayed client after 10 more wrong PINs: %+v, want its budget spent", ans)
		}
		out, err := exec.Command(c.bins["yizhan-agent"], "staff", "unlock", "--data", a.dir, "--id", "c01").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "unlocked c01") {
			t.Fatalf("staff unlock: %v\n%s", err, out)
		}
		if ans := pinLogin(t, spray, agentAPI, "c01", "1234"); ans.status != 200 {
			t.Fatalf("c01 from the sprayed client after staff unlock: %+v", ans)
		}
	})

	// Head office gets the audit trail, without a PIN.
	t.Run("audit events at head office", func(t *testing.T) {
		var rows [][3]string
		has := func(typ, subject, actor string) bool {
			for _, r := range rows {
				if r[0] == typ && r[1] == subject && r[2] == actor {
					return true
				}
			}
			return false
		}
		harness.Eventually(t, 30*time.Second, func() (bool, string) {
			rows = c.hubQuery(t, `SELECT type, subject, actor FROM events WHERE origin = ? AND type LIKE 'audit.%'`, outlet)
			for _, w := range [][3]string{
				{lifecycle.LoginSucceeded, "staff/s01", "s01"}, {lifecycle.LoginSucceeded, "staff/c01", "c01"},
				{lifecycle.LoginFailed, "staff/c01", "system"}, {lifecycle.LoginFailed, "staff/ghost", "system"},
				{lifecycle.StaffLocked, "staff/c01", "system"}, {lifecycle.StaffLocked, "staff/ghost", "system"},
				{lifecycle.StaffUnlocked, "staff/c01", "s01"}, {lifecycle.StaffUnlocked, "staff/c01", "(local admin)"},
				{lifecycle.LoginLimited, "client/127.0.0.4", "system"},
			} {
				if !has(w[0], w[1], w[2]) {
					return false, fmt.Sprintf("the hub has no %s %s by %s from %s: %v", w[0], w[1], w[2], outlet, rows)
				}
			}
			return true, ""
		})
		payloads := c.hubQuery(t, `SELECT type, subject, payload FROM events WHERE origin = ? AND type LIKE 'audit.%'`, outlet)
		locks := 0
		for _, r := range payloads {
			// A PIN would be a JSON string; the times are digits too.
			if strings.Contains(r[2], `"`+wrong+`"`) || strings.Contains(r[2], `"9999"`) || strings.Contains(r[2], `"1234"`) || strings.Contains(strings.ToLower(r[2]), "pin") {
				t.Errorf("%s %s holds a PIN: %s", r[0], r[1], r[2])
			}
			var p lifecycle.LoginAuditV1
			if err := json.Unmarshal([]byte(r[2]), &p); err != nil {
				t.Fatal(err)
			}
			if r[1] == "staff/ghost" && !p.Unknown || r[1] == "staff/c01" && p.Unknown {
				t.Errorf("%s %s says unknown=%v: %s", r[0], r[1], p.Unknown, r[2])
			}
			if r[0] == lifecycle.StaffLocked && r[1] == "staff/c01" {
				locks = max(locks, p.Lock)
			}
		}
		if locks != len(escalation) {
			t.Errorf("the hub's lock events for c01 count up to lock %d, want %d", locks, len(escalation))
		}
	})
}
