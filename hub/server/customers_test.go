package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

// customerPage is the customers list's answer.
type customerPage struct {
	Customers []struct {
		ID, Class      string
		PhoneMasked    string `json:"phone_masked"`
		Received, Sent int64
		FeesFen        int64  `json:"fees_fen"`
		ContactOutlet  string `json:"contact_outlet"`
	} `json:"customers"`
	Next *string `json:"next"`
}

// Head office finds a customer by phone, sees one profile for what two
// outlets sealed under their own keys, reveals the contact as customer
// service (audited, the phone in no audit row), and is refused the reveal
// as an analyst or auditor; an unknown phone answers as a phone that
// finds nobody. The hub's data directory never holds the phone.
func TestCustomerRoutes(t *testing.T) {
	start := time.Date(2026, 7, 1, 1, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	master := bytes.Repeat([]byte{7}, 32)
	dir := t.TempDir()
	s, err := Start(context.Background(), Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard(),
		Clock: clk, SweepEvery: time.Hour, MasterKey: master, CustomerWindowDays: 90})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			s.Close()
		}
	})
	m, _ := sealed.NewMaster(master)
	const phone = "13912345678"
	id := sealed.CustomerID(m.CustomerSecret(), phone)

	addOutlet(t, s, "SH-A")
	addOutlet(t, s, "SH-B")
	a, b := newOutlet("SH-A", clk), newOutlet("SH-B", clk)
	rec := sealed.Record{Kind: lifecycle.KindParcel, ID: "SF100"}
	a.event(lifecycle.ParcelInbound, "SF100", lifecycle.InboundV1{Waybill: "SF100", Customer: id, PhoneSealed: m.Outlet("SH-A").Seal(sealed.Phone, rec, phone),
		PhoneMasked: "139****5678", NameSealed: m.Outlet("SH-A").Seal(sealed.Name, rec, "王小二"), NameMasked: "王**", HoldDays: 3, At: ms(clk.Now())})
	a.event(lifecycle.ParcelPickedUp, "SF100", lifecycle.PickupV1{IDCheck: "code", Signer: "recipient", Staff: "c01", At: ms(clk.Now())})
	a.send(t, s, 1)
	clk.Set(start.Add(time.Hour))
	srec := sealed.Record{Kind: lifecycle.KindShipment, ID: "YZ1"}
	b.event(lifecycle.ShipmentAccepted, "YZ1", lifecycle.ShipmentV1{Number: "YZ1", Quote: tariff.Quotation{TotalFen: 1800}, Staff: "c02", At: ms(clk.Now()),
		Sender: lifecycle.PartyV1{Customer: id, PhoneSealed: m.Outlet("SH-B").Seal(sealed.Phone, srec, phone), PhoneMasked: "139****5678",
			NameSealed: m.Outlet("SH-B").Seal(sealed.Name, srec, "王小二"), NameMasked: "王**"}})
	b.send(t, s, 1)

	// Both outlets are told the customer's class, and only the class.
	for _, o := range []*fakeOutlet{a, b} {
		deadline := time.Now().Add(30 * time.Second)
		var got []lifecycle.CustomerClassV1
		for len(got) == 0 {
			for _, e := range o.pull(t, s) {
				if e.Type != lifecycle.CustomerClasses {
					continue
				}
				var p lifecycle.CustomerClassesV1
				if err := json.Unmarshal(e.Payload, &p); err != nil {
					t.Fatal(err)
				}
				var fields map[string]any
				json.Unmarshal(e.Payload, &fields)
				if len(fields) != 2 || e.Target != o.id {
					t.Errorf("%s got %s for %s, want only classes and a time", o.id, e.Payload, e.Target)
				}
				got = append(got, p.Classes...)
			}
			if len(got) == 0 && time.Now().After(deadline) {
				t.Fatalf("%s was never sent the class", o.id)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// A class that changed between two sends comes twice; the newest wins.
		if last := got[len(got)-1]; last.Customer != id || last.Class == "" {
			t.Errorf("%s got classes %+v", o.id, got)
		}
	}

	svc, analyst, auditor := loginAs(t, s, "li", "service"), loginAs(t, s, "wu", "analyst"), loginAs(t, s, "zhou", "auditor")
	var found customerPage
	if code := svc.do("GET", "/api/v1/customers?phone=+86%20139-1234-5678", "", &found); code != 200 || len(found.Customers) != 1 {
		t.Fatalf("search: %d %+v", code, found)
	}
	if c := found.Customers[0]; c.ID != id || c.Received != 1 || c.Sent != 1 || c.FeesFen != 1800 || c.PhoneMasked != "139****5678" || c.ContactOutlet != "SH-B" {
		t.Errorf("found %+v", c)
	}
	var none customerPage
	if code := svc.do("GET", "/api/v1/customers?phone=13800000000", "", &none); code != 200 || len(none.Customers) != 0 || none.Next != nil {
		t.Errorf("unknown phone: %d %+v, want an empty list", code, none)
	}
	if code, ecode := svc.call("GET", "/api/v1/customers?phone=1391234", "", nil); code != 400 || ecode != problem.PhoneLength.String() {
		t.Errorf("short phone: %d %s", code, ecode)
	}
	var profile struct {
		Customer map[string]any
		Outlets  []struct{ Outlet string }
		Parcels  []struct{ Kind, Outlet, Waybill string }
	}
	if code := analyst.do("GET", "/api/v1/customers/"+id, "", &profile); code != 200 || len(profile.Outlets) != 2 || len(profile.Parcels) != 2 {
		t.Fatalf("profile: %d %+v", code, profile)
	}
	for _, k := range []string{"phone", "name", "phone_sealed", "name_sealed"} {
		if _, ok := profile.Customer[k]; ok {
			t.Errorf("the profile shows %s", k)
		}
	}

	for _, c := range []*apiClient{analyst, auditor} {
		if code, ecode := c.call("POST", "/api/v1/customers/"+id+"/reveal", `{}`, nil); code != 403 || ecode != problem.AuthRoleForbidden.String() {
			t.Errorf("reveal refused: %d %s", code, ecode)
		}
	}
	var k struct{ Phone, Name, Outlet string }
	if code := svc.do("POST", "/api/v1/customers/"+id+"/reveal", `{}`, &k); code != 200 || k.Phone != phone || k.Name != "王小二" || k.Outlet != "SH-B" {
		t.Fatalf("reveal: %d %+v", code, k)
	}
	if code, ecode := svc.call("POST", "/api/v1/customers/0000/reveal", `{}`, nil); code != 404 || ecode != problem.CustomerNotFound.String() {
		t.Errorf("reveal of nobody: %d %s", code, ecode)
	}
	var trail auditPage
	if code := auditor.do("GET", "/api/v1/audit?limit=500", "", &trail); code != 200 {
		t.Fatalf("audit: %d", code)
	}
	if n := trail.find("customer.revealed", id, "li"); n != 1 {
		t.Errorf("%d reveal rows by li, want 1: %+v", n, trail.Audit)
	}
	if n := trail.find("customer.revealed", "", ""); n != 1 {
		t.Errorf("%d reveal rows, want only li's", n)
	}
	if trail.find("customer.searched", id, "li") != 1 || trail.find("customer.searched", "", "li") != 2 {
		t.Errorf("searches in the trail: %+v", trail.Audit)
	}
	for _, r := range trail.Audit {
		for _, f := range []string{r.Subject, r.Detail} {
			if strings.Contains(f, "5678") || strings.Contains(f, "0000000") {
				t.Errorf("audit row %+v holds a phone", r)
			}
		}
	}

	// Enterprise account and its statement.
	if code := analyst.do("PUT", "/api/v1/customers/"+id+"/enterprise", `{"name":"华东贸易"}`, nil); code != 200 {
		t.Errorf("enterprise: %d", code)
	}
	if code, _ := svc.call("PUT", "/api/v1/customers/"+id+"/enterprise", `{"name":"x"}`, nil); code != 403 {
		t.Errorf("enterprise as service: %d", code)
	}
	var st struct {
		Enterprise string
		Count      int
		FeesFen    int64 `json:"fees_fen"`
	}
	if code := analyst.do("GET", "/api/v1/customers/"+id+"/statement?month=2026-07", "", &st); code != 200 || st.Enterprise != "华东贸易" || st.Count != 1 || st.FeesFen != 1800 {
		t.Errorf("statement: %d %+v", code, st)
	}
	if code, ecode := analyst.call("GET", "/api/v1/customers/"+id+"/statement?month=2026-7", "", nil); code != 400 || ecode != problem.CustomerBadMonth.String() {
		t.Errorf("bad month: %d %s", code, ecode)
	}
	req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/api/v1/customers/"+id+"/statement?month=2026-07&format=csv&lang=en", nil)
	req.Header.Set("Authorization", "Bearer "+s.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if lines := strings.Split(strings.TrimSpace(string(raw)), "\n"); len(lines) != 3 || !strings.Contains(lines[1], "YZ1,SH-B,1800") || !strings.HasPrefix(lines[2], "total,1,,1800") {
		t.Errorf("statement CSV:\n%s", raw)
	}

	// Classes: the configured window is in force, counts add up, settings
	// are the analyst's, and a bad threshold changes nothing.
	var set store.ClassSettings
	if code := analyst.do("GET", "/api/v1/customers/classes/settings", "", &set); code != 200 || set.WindowDays != 90 {
		t.Errorf("settings: %d %+v", code, set)
	}
	var counts struct {
		Counts map[string]int64
		Total  int64
	}
	if code := svc.do("GET", "/api/v1/customers/classes", "", &counts); code != 200 || counts.Total != 1 || len(counts.Counts) != 8 {
		t.Errorf("counts: %d %+v", code, counts)
	}
	if code, ecode := analyst.call("PUT", "/api/v1/customers/classes/settings", `{"window_days":30,"r_days":[1,2,3,3],"f_parcels":[1,2,3,4],"m_fen":[1,2,3,4]}`, nil); code != 400 ||
		ecode != problem.CustomerBadSettings.String() {
		t.Errorf("bad thresholds: %d %s", code, ecode)
	}
	if code := analyst.do("PUT", "/api/v1/customers/classes/settings", `{"window_days":30,"r_days":[1,2,3,4],"f_parcels":[1,2,3,4],"m_fen":[1,2,3,4]}`, nil); code != 200 {
		t.Errorf("set thresholds: %d", code)
	}
	var moves struct {
		Moves map[string]map[string]int64
	}
	if code := analyst.do("GET", "/api/v1/customers/classes/moves?since=2026-07", "", &moves); code != 200 || moves.Moves["new"] == nil {
		t.Fatalf("moves: %d %+v", code, moves)
	}
	var fromNew int64
	for _, n := range moves.Moves["new"] {
		fromNew += n
	}
	if fromNew != 1 {
		t.Errorf("moves %+v: want the one new customer", moves.Moves)
	}
	if code, ecode := svc.call("GET", "/api/v1/customers?class=vip", "", nil); code != 400 || ecode != problem.CustomerBadClass.String() {
		t.Errorf("bad class: %d %s", code, ecode)
	}

	// Nothing the hub wrote holds the phone in clear, in any spelling.
	s.Close()
	closed = true
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, spelling := range []string{phone, "139 1234 5678", "139-1234-5678", "+8613912345678"} {
			if bytes.Contains(b, []byte(spelling)) {
				t.Errorf("%s holds the phone as %q", f, spelling)
			}
		}
	}
}
