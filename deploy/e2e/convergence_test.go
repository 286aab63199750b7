package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// call sends a JSON request and decodes the answer. An empty token sends
// the agent's API token (scopes scans and read) when url is an agent's, and
// none otherwise; to send no credentials at all to an agent, use rawAgent.
// staffLogin logs a staff member in at an agent's API (…/api/v1) and
// returns the session token.
func staffLogin(t *testing.T, agentAPI, id, pin string) string {
	t.Helper()
	var login struct{ Token string }
	if code := call(t, "POST", agentAPI+"/session", "", map[string]string{"staff_id": id, "pin": pin}, &login); code != 200 {
		t.Fatalf("login of %s at %s: HTTP %d", id, agentAPI, code)
	}
	return login.Token
}

func call(t *testing.T, method, url, token string, body, out any) int {
	t.Helper()
	var rd bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = *bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, &rd)
	if token == "" {
		token = tokenFor(req.URL.Host)
	}
	if method != "GET" {
		// The agent takes state-changing requests as JSON only.
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// TestOutletAndHeadOfficeConverge: the outlet and head office act on the
// same exception and the same complaint while the outlet's link is cut.
// After the link returns, the agent and the hub fold both entities to
// identical state.
func TestOutletAndHeadOfficeConverge(t *testing.T) {
	for _, kind := range brokers {
		t.Run(kind, func(t *testing.T) {
			c := newCluster(t, kind, "SH-001")
			c.startHub()
			a := c.newAgent("SH-001")
			c.addStaff(a, "c01", "张三", "clerk", "1234")
			target := c.hubMQTT
			if c.mosq != nil {
				target = c.mosq.Addr()
			}
			link := harness.NewProxy(t, target)
			c.startAgentVia(a, link.URL(), "--pii-key-file", writePIIKey(t))
			agentURL, hubURL := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"
			tok := staffLogin(t, agentURL, "c01", "1234")
			step := func(url, token string, body map[string]any) {
				t.Helper()
				var e problem.Body
				if code := call(t, "POST", url, token, body, &e); code != 200 {
					t.Fatalf("POST %s %v: %d %s %s", url, body, code, e.Error.Code, e.Error.Message)
				}
			}

			var rep struct{ Exception struct{ ID string } }
			if code := call(t, "POST", agentURL+"/exceptions", tok, map[string]any{"waybill": "SF1234567890123", "kind": "damaged", "note": "外箱压坏"}, &rep); code != 201 {
				t.Fatalf("report exception: %d", code)
			}
			var comp struct{ Complaint struct{ ID string } }
			if code := call(t, "POST", agentURL+"/complaints", tok, map[string]any{"channel": "counter", "type": "complaint", "category": "damage",
				"severity": "major", "customer_phone": "13812345678", "text": "东西坏了"}, &comp); code != 201 {
				t.Fatalf("complaint: %d", code)
			}
			x, cid := rep.Exception.ID, comp.Complaint.ID
			step(agentURL+"/exceptions/"+x+"/steps", tok, map[string]any{"step": "start_handling"})
			c.waitDrained(a, 30*time.Second)

			// Apart: the outlet works offline while head office acts.
			link.Cut()
			step(agentURL+"/exceptions/"+x+"/steps", tok, map[string]any{"step": "inform_customer"})
			step(agentURL+"/exceptions/"+x+"/steps", tok, map[string]any{"step": "open_claim"})
			step(agentURL+"/complaints/"+cid+"/steps", tok, map[string]any{"step": "acknowledge"})
			step(agentURL+"/complaints/"+cid+"/steps", tok, map[string]any{"step": "investigate"})
			step(hubURL+"/exceptions/"+x+"/steps", apiToken, map[string]any{"step": "assign", "owner": "hq-li"})
			step(hubURL+"/complaints/"+cid+"/steps", apiToken, map[string]any{"step": "escalate", "reason": "media"})
			step(hubURL+"/complaints/"+cid+"/steps", apiToken, map[string]any{"step": "assign", "owner": "hq-wang"})
			link.Restore()

			c.waitDrained(a, 60*time.Second)
			// Head office can decide the claim only once it sees it open.
			harness.Eventually(t, 30*time.Second, func() (bool, string) {
				var h lifecycle.Exception // the hub answers with the state itself
				call(t, "GET", hubURL+"/exceptions/"+x, apiToken, nil, &h)
				return h.State == lifecycle.ExceptionStateClaimOpen, "hub exception state " + h.State
			})
			step(hubURL+"/exceptions/"+x+"/steps", apiToken, map[string]any{"step": "decide_claim", "approved": true, "amount_cents": 8800})

			same := func(what, agentPath, hubPath string, agentOut, hubOut any, field func(any) any) {
				harness.Eventually(t, 30*time.Second, func() (bool, string) {
					call(t, "GET", agentURL+agentPath, tok, nil, agentOut)
					call(t, "GET", hubURL+hubPath, apiToken, nil, hubOut)
					av, hv := field(agentOut), field(hubOut)
					return reflect.DeepEqual(av, hv), fmt.Sprintf("%s differs:\nagent %+v\nhub   %+v", what, av, hv)
				})
			}
			var ax struct{ Exception lifecycle.Exception }
			var hx lifecycle.Exception
			same("exception", "/exceptions/"+x, "/exceptions/"+x, &ax, &hx, func(v any) any {
				if w, ok := v.(*struct{ Exception lifecycle.Exception }); ok {
					return w.Exception
				}
				return *v.(*lifecycle.Exception)
			})
			var ac struct{ Complaint lifecycle.Complaint }
			var hc lifecycle.Complaint
			same("complaint", "/complaints/"+cid, "/complaints/"+cid, &ac, &hc, func(v any) any {
				if w, ok := v.(*struct{ Complaint lifecycle.Complaint }); ok {
					// The counter opens the customer's words for staff; the
					// folded state both hold is the sealed text.
					c := w.Complaint
					c.Text = ""
					return c
				}
				return *v.(*lifecycle.Complaint)
			})
			if ac.Complaint.Text != "东西坏了" || hc.Text != "" || hc.TextSealed == "" || hc.TextSealed != ac.Complaint.TextSealed {
				t.Fatalf("complaint text: the counter shows %q, head office holds %q sealed as %.12s", ac.Complaint.Text, hc.Text, hc.TextSealed)
			}

			if ax.Exception.State != lifecycle.ExceptionStateClaimDecided || ax.Exception.Owner != "hq-li" || !ax.Exception.Claim.Approved {
				t.Fatalf("exception after sync: %+v", ax.Exception)
			}
			if ac.Complaint.State != lifecycle.ComplaintStateInvestigating || ac.Complaint.Owner != "hq-wang" || len(ac.Complaint.Escalations) != 1 {
				t.Fatalf("complaint after sync: %+v", ac.Complaint)
			}
		})
	}
}
