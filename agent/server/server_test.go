package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/syncproto/problem"
)

type client struct {
	t     *testing.T
	base  string
	token string
}

func (c *client) do(method, path string, body any, out any) int {
	c.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if method != "GET" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// counterAgent starts an agent with a personal-data key and clerk c01
// (PIN 1234), and gives a client of its API, not logged in yet.
func counterAgent(t *testing.T) *client {
	t.Helper()
	keys, _ := pii.NewKeys(bytes.Repeat([]byte{9}, 32), "SH-001")
	a, err := Start(context.Background(), Config{DataDir: t.TempDir(), Outlet: "SH-001", Secret: "x",
		Broker: "tcp://127.0.0.1:1", HTTPAddr: "127.0.0.1:0", Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	people, err := staff.Open(a.File)
	if err != nil {
		t.Fatal(err)
	}
	if err := people.Add("c01", "张三", "clerk", "1234"); err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: "http://" + a.Addr.String()}
}

func (c *client) login() {
	c.t.Helper()
	var login struct{ Token string }
	if code := c.do("POST", "/api/v1/session", map[string]string{"staff_id": "c01", "pin": "1234"}, &login); code != 200 || login.Token == "" {
		c.t.Fatalf("login: %d", code)
	}
	c.token = login.Token
}

// TestCounterWorkflowOverHTTP walks the counter API as the screen does.
func TestCounterWorkflowOverHTTP(t *testing.T) {
	c := counterAgent(t)
	if code := c.do("POST", "/api/v1/parcels/inbound", map[string]string{"barcode": "SF1"}, nil); code != http.StatusUnauthorized {
		t.Fatalf("no login: %d", code)
	}
	c.login()

	var in struct {
		Parcel struct {
			Waybill     string
			PickupCode  string `json:"pickup_code"`
			Status      string
			PhoneMasked string `json:"phone_masked"`
		}
	}
	if code := c.do("POST", "/api/v1/parcels/inbound", map[string]string{"barcode": "RB123456785GB", "phone": "13812345678", "shelf": "3", "layer": "2"}, &in); code != 201 || in.Parcel.Status != "in_stock" || !strings.HasPrefix(in.Parcel.PickupCode, "3-2-") {
		t.Fatalf("inbound: %d %+v", code, in)
	}
	var e problem.Body
	if code := c.do("POST", "/api/v1/parcels/inbound", map[string]string{"barcode": "RB123456785GB", "phone": "13812345678"}, &e); code != 409 || e.Error.Code != "parcel.in_stock" {
		t.Fatalf("second inbound: %d %+v", code, e)
	}
	var found struct{ Parcels []map[string]any }
	if c.do("GET", "/api/v1/parcels/find?phone_last4=5678", nil, &found); len(found.Parcels) != 1 {
		t.Fatalf("find: %+v", found)
	}
	pick := map[string]string{"code": in.Parcel.PickupCode, "id_check": "code_only", "signer": "recipient",
		"signature_svg": `<svg xmlns="http://www.w3.org/2000/svg"><path d="M1 1 L9 9"/></svg>`}
	if code := c.do("POST", "/api/v1/parcels/RB123456785GB/pickup", pick, nil); code != 200 {
		t.Fatalf("pickup: %d", code)
	}
	if code := c.do("POST", "/api/v1/parcels/RB123456785GB/pickup", pick, &e); code != 409 {
		t.Fatalf("second pickup: %d %+v", code, e)
	}
	var comp struct {
		Complaint struct {
			ID, Ticket string
			Remaining  int64 `json:"first_reply_remaining_s"`
		}
	}
	body := map[string]string{"channel": "counter", "type": "complaint", "category": "delay", "severity": "routine", "customer_phone": "13812345678", "text": "太慢"}
	if code := c.do("POST", "/api/v1/complaints", body, &comp); code != 201 || comp.Complaint.Remaining <= 0 || comp.Complaint.Ticket == "" {
		t.Fatalf("complaint: %d %+v", code, comp)
	}
	var st struct {
		problem.Body
		State   string
		Allowed []string
	}
	if code := c.do("POST", "/api/v1/complaints/"+comp.Complaint.ID+"/steps", map[string]string{"step": "close"}, &st); code != 409 || len(st.Allowed) == 0 || !strings.Contains(st.Error.Message, "received") ||
		st.Error.Code != "step.not_allowed" || st.State != "received" {
		t.Fatalf("illegal step: %d %+v", code, st)
	}
	if code := c.do("GET", "/api/v1/personal/parcel/RB123456785GB?field=phone", nil, &e); code != 403 {
		t.Fatalf("clerk reveal: %d %+v", code, e)
	}
	if code := c.do("GET", "/", nil, nil); code != 200 {
		t.Fatalf("counter screen: %d", code)
	}
}

// Without a key the workflow routes explain themselves instead of failing.
// TestUnshelvedParcelOverHTTP: a parcel checked in without a shelf is
// listed, found by the phone's last four, refused at pickup and at a second
// check-in as not shelved (never "in stock" with an empty code), and
// shelved through the route the screen calls; a half-given place records
// nothing.
func TestUnshelvedParcelOverHTTP(t *testing.T) {
	c := counterAgent(t)
	c.login()
	var e problem.Body
	if code := c.do("POST", "/api/v1/parcels/inbound", map[string]string{"barcode": "SF1000000000055", "phone": "13812341357", "shelf": "3"}, &e); code != 400 || e.Error.Code != "shelf.bad_place" {
		t.Fatalf("inbound with a shelf and no layer: %d %+v", code, e)
	}
	var list struct{ Parcels []map[string]any }
	if c.do("GET", "/api/v1/parcels?status=inbound", nil, &list); len(list.Parcels) != 0 {
		t.Fatalf("a refused check-in was recorded: %+v", list)
	}
	if code := c.do("POST", "/api/v1/parcels/inbound", map[string]string{"barcode": "SF1000000000055", "phone": "13812341357"}, nil); code != 201 {
		t.Fatalf("inbound with no shelf: %d", code)
	}
	if c.do("GET", "/api/v1/parcels?status=inbound", nil, &list); len(list.Parcels) != 1 || list.Parcels[0]["waybill"] != "SF1000000000055" {
		t.Fatalf("unshelved list: %+v", list)
	}
	if c.do("GET", "/api/v1/parcels/find?phone_last4=1357", nil, &list); len(list.Parcels) != 1 || list.Parcels[0]["status"] != "inbound" {
		t.Fatalf("find an unshelved parcel by the phone's last four: %+v", list)
	}
	e = problem.Body{}
	if code := c.do("POST", "/api/v1/parcels/inbound", map[string]string{"barcode": "SF1000000000055", "phone": "13812341357", "shelf": "3", "layer": "1"}, &e); code != 409 || e.Error.Code != "parcel.not_shelved" {
		t.Fatalf("second inbound of an unshelved parcel: %d %+v", code, e)
	}
	pick := map[string]string{"id_check": "code_only", "signer": "recipient", "signature_svg": `<svg xmlns="http://www.w3.org/2000/svg"><path d="M1 1 L9 9"/></svg>`}
	e = problem.Body{}
	if code := c.do("POST", "/api/v1/parcels/SF1000000000055/pickup", pick, &e); code != 409 || e.Error.Code != "parcel.not_shelved" {
		t.Fatalf("pickup of an unshelved parcel: %d %+v", code, e)
	}
	var sh struct {
		Parcel struct {
			Status     string
			PickupCode string `json:"pickup_code"`
		}
	}
	if code := c.do("POST", "/api/v1/parcels/SF1000000000055/shelve", map[string]string{"shelf": "3", "layer": "1"}, &sh); code != 200 || sh.Parcel.Status != "in_stock" || !strings.HasPrefix(sh.Parcel.PickupCode, "3-1-") {
		t.Fatalf("shelve: %d %+v", code, sh)
	}
}

func TestWorkflowNeedsKey(t *testing.T) {
	a, err := Start(context.Background(), Config{DataDir: t.TempDir(), Outlet: "SH-001", Secret: "x", Broker: "tcp://127.0.0.1:1", HTTPAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	people, _ := staff.Open(a.File)
	people.Add("c01", "张三", "clerk", "1234")
	c := &client{t: t, base: "http://" + a.Addr.String()}
	var login struct{ Token string }
	c.do("POST", "/api/v1/session", map[string]string{"staff_id": "c01", "pin": "1234"}, &login)
	c.token = login.Token
	var e problem.Body
	if code := c.do("GET", "/api/v1/parcels", nil, &e); code != 503 || e.Error.Code != "agent.no_key" {
		t.Fatalf("%d %+v", code, e)
	}
}

// GET /api/v1/parcels/{waybill} has one shape, with or without the key:
// the lifecycle parcel, scans included, and its events in fold order.
func TestParcelRoute(t *testing.T) {
	keys, _ := pii.NewKeys(bytes.Repeat([]byte{9}, 32), "SH-001")
	for _, tc := range []struct {
		name string
		keys *pii.Keys
	}{{"with key", keys}, {"without key", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Start(context.Background(), Config{DataDir: t.TempDir(), Outlet: "SH-001", Secret: "x",
				Broker: "tcp://127.0.0.1:1", HTTPAddr: "127.0.0.1:0", Keys: tc.keys})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			people, _ := staff.Open(a.File, staff.WithIterations(staff.MinIterations))
			if err := people.Add("c01", "张三", "clerk", "1234"); err != nil {
				t.Fatal(err)
			}
			c := &client{t: t, base: "http://" + a.Addr.String()}
			c.login()
			// The login is an audit event: the scans come after it.
			base := a.Events.Counters().LastSeq
			if base != 1 {
				t.Fatalf("%d events after the login, want its audit event", base)
			}
			for _, code := range []string{"RB123456785GB", "RB123456785GB", "SF1234567890123"} {
				if got := c.do("POST", "/api/v1/scans", map[string]string{"barcode": code, "action": "inbound"}, nil); got != http.StatusCreated {
					t.Fatalf("scan %s: %d", code, got)
				}
			}
			var got struct {
				Parcel struct {
					Waybill    string
					Status     string
					Scans      int
					LastAction string `json:"last_action"`
					FirstSeq   uint64 `json:"first_seq"`
					LastSeq    uint64 `json:"last_seq"`
				}
				Events []struct {
					Seq  uint64
					Type string
				}
			}
			if code := c.do("GET", "/api/v1/parcels/RB123456785GB", nil, &got); code != 200 {
				t.Fatalf("get parcel: %d", code)
			}
			p := got.Parcel
			if p.Waybill != "RB123456785GB" || p.Status != "scanned" || p.Scans != 2 || p.LastAction != "inbound" || p.FirstSeq != base+1 || p.LastSeq != base+2 {
				t.Fatalf("parcel %+v", p)
			}
			if len(got.Events) != 2 || got.Events[0].Seq != base+1 || got.Events[1].Seq != base+2 || got.Events[0].Type != "parcel.scanned" {
				t.Fatalf("events %+v", got.Events)
			}
			var e problem.Body
			if code := c.do("GET", "/api/v1/parcels/RB123456785", nil, &e); code != 404 || e.Error.Code != problem.ParcelNotFound.String() || e.Error.Message == "" {
				t.Fatalf("unknown waybill: %d %+v", code, e)
			}
		})
	}
}
