package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// TestOutletKeysSealEverythingPersonal: head office issues outlet KA1 its
// own key file from the master key; KA1 takes in a parcel for a named
// recipient who picks it up with a confirmation naming them, a complaint in
// the customer's words, and a parcel for sending with the recipient's
// address. Once all of it is at the hub, no byte of the hub's database
// holds any of those words in clear; head office opens each with the
// master key; outlet KB2's key opens none; and a value moved to another
// record does not open.
func TestOutletKeysSealEverythingPersonal(t *testing.T) {
	const outlet, other = "KA1", "KB2"
	c := newCluster(t, "embedded", outlet, other)
	masterFile, keys := c.outletKeys(outlet, other)
	keyA, keyB := keys[outlet], keys[other]
	c.startHub()
	a := c.newAgent(outlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.startAgent(a, "--pii-key-file", keyA)
	agentAPI, hubAPI := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"

	// Sending needs head office's tariff, prohibited-items list and numbers.
	tariff := map[string]any{"version": "T-K1", "zones": map[string]string{"310000": "local"},
		"rates":              map[string]any{"local": map[string]int{"first_grams": 1000, "first_fen": 800, "step_grams": 1000, "step_fen": 200}},
		"volumetric_divisor": 8000, "max_weight_grams": 50000, "insurance": map[string]int{"rate_bp": 100, "min_fen": 100}}
	if code := call(t, "POST", hubAPI+"/tariffs", apiToken, tariff, nil); code != 201 {
		t.Fatalf("publish tariff: HTTP %d", code)
	}
	if code := call(t, "POST", hubAPI+"/prohibited-lists", apiToken, map[string]any{"version": "P-K1",
		"items": []map[string]string{{"code": "B01", "name": "易燃易爆物品", "rule": "forbidden"}}}, nil); code != 201 {
		t.Fatalf("publish prohibited-items list: HTTP %d", code)
	}
	if code := call(t, "POST", hubAPI+"/outlets/"+outlet+"/waybill-blocks", apiToken, map[string]any{"count": 10}, nil); code != 201 {
		t.Fatalf("allocate a waybill block: HTTP %d", code)
	}
	tok := staffLogin(t, agentAPI, "c01", "1234")
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		var cat struct {
			Tariff     *struct{ Version string }
			Prohibited *struct{ Version string }
			Waybills   *struct{ Remaining int }
		}
		call(t, "GET", agentAPI+"/sending/catalog", tok, nil, &cat)
		return cat.Tariff != nil && cat.Prohibited != nil && cat.Waybills != nil && cat.Waybills.Remaining > 0,
			fmt.Sprintf("tariff, list and waybill block not all at the outlet: %+v", cat)
	})

	// The words that must never reach head office in clear.
	const (
		recipientName = "欧阳锋"
		confirmation  = "欧阳锋本人签收"
		complaintText = "快递员把包裹扔在白驼山庄门口"
		address       = "上海市浦东新区白驼山路88弄7号"
	)
	var in struct{ Parcel lifecycle.Parcel }
	if code := call(t, "POST", agentAPI+"/parcels/inbound", tok, map[string]string{"barcode": "SF4000000000001", "phone": "13912345678",
		"name": recipientName, "shelf": "3", "layer": "2"}, &in); code != 201 || in.Parcel.PickupCode == "" {
		t.Fatalf("inbound: HTTP %d %+v", code, in.Parcel)
	}
	waybill := in.Parcel.Waybill
	if code := call(t, "POST", agentAPI+"/parcels/"+waybill+"/pickup", tok, map[string]string{"code": in.Parcel.PickupCode, "id_check": "code_only",
		"signer": "recipient", "confirmation": confirmation}, nil); code != 200 {
		t.Fatalf("pickup: HTTP %d", code)
	}
	var cr struct{ Complaint struct{ ID, Text string } }
	if code := call(t, "POST", agentAPI+"/complaints", tok, map[string]string{"channel": "counter", "type": "complaint", "category": "delay",
		"severity": "routine", "customer_phone": "13912345678", "customer_name": recipientName, "text": complaintText}, &cr); code != 201 {
		t.Fatalf("complaint: HTTP %d", code)
	}
	// The clerk works from the customer's words.
	if cr.Complaint.Text != complaintText {
		t.Fatalf("the counter shows the complaint text as %q", cr.Complaint.Text)
	}
	var sh struct{ Shipment lifecycle.ShipmentV1 }
	if code := call(t, "POST", agentAPI+"/shipments", tok, map[string]any{
		"sender":         map[string]string{"name": "黄药师", "phone": "13811112222"},
		"sender_id_type": "resident_id", "sender_id_number": "11010519491231002X",
		"recipient": map[string]string{"name": recipientName, "phone": "13912345678", "address": address, "dest_code": "310115"},
		"item_type": "clothing", "items": "冬衣两件", "prohibited_version": "P-K1", "prohibited_checked": []string{"B01"},
		"weight_grams": 1200}, &sh); code != 201 {
		t.Fatalf("shipment: HTTP %d", code)
	}
	if sh.Shipment.Recipient.Address != address {
		t.Fatalf("the counter shows the address as %q", sh.Shipment.Recipient.Address)
	}
	c.waitDrained(a, 60*time.Second)

	// No byte of the hub's store, its WAL included, holds them in clear.
	var store []byte
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(filepath.Join(c.hubDir(), "hub.db"+suffix))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		store = append(store, b...)
	}
	if !bytes.Contains(store, []byte(waybill)) {
		t.Fatal("the parcel's waybill is not in the hub's store: is the check reading the right file?")
	}
	for _, clear := range []string{recipientName, confirmation, complaintText, address, "白驼山", "13912345678"} {
		if bytes.Contains(store, []byte(clear)) {
			t.Errorf("the hub's store holds %q in clear", clear)
		}
	}

	// Head office opens each with the master key; KB2's key opens none.
	raw, err := os.ReadFile(masterFile)
	if err != nil {
		t.Fatal(err)
	}
	mk, err := sealed.DecodeKey(string(raw))
	if err != nil {
		t.Fatal(err)
	}
	master, err := sealed.NewMaster(mk)
	if err != nil {
		t.Fatal(err)
	}
	rawB, _ := os.ReadFile(keyB)
	kfB, err := sealed.ParseKeyFile(rawB)
	if err != nil {
		t.Fatal(err)
	}
	outletB, err := sealed.NewKey(kfB.Outlet, kfB.Seal)
	if err != nil {
		t.Fatal(err)
	}
	type value struct {
		field string
		rec   sealed.Record
		s     string
		want  string
	}
	var values []value
	for _, ev := range c.hubPayloads(outlet) {
		switch ev.typ {
		case lifecycle.ParcelInbound:
			var p lifecycle.InboundV1
			json.Unmarshal(ev.payload, &p)
			values = append(values, value{sealed.Name, sealed.Record{Kind: lifecycle.KindParcel, ID: ev.subject}, p.NameSealed, recipientName})
		case lifecycle.ParcelPickedUp:
			var p lifecycle.PickupV1
			json.Unmarshal(ev.payload, &p)
			values = append(values, value{sealed.Confirmation, sealed.Record{Kind: lifecycle.KindParcel, ID: ev.subject}, p.ConfirmationSealed, confirmation})
		case lifecycle.ComplaintReceived:
			var p lifecycle.ComplaintReceivedV1
			json.Unmarshal(ev.payload, &p)
			values = append(values, value{sealed.Text, sealed.Record{Kind: lifecycle.KindComplaint, ID: ev.subject}, p.TextSealed, complaintText})
		case lifecycle.ShipmentAccepted:
			var p lifecycle.ShipmentV1
			json.Unmarshal(ev.payload, &p)
			values = append(values, value{sealed.Address, sealed.Record{Kind: lifecycle.KindShipment, ID: ev.subject}, p.Recipient.AddressSealed, address})
		}
	}
	if len(values) != 4 {
		t.Fatalf("found %d of the 4 events at the hub", len(values))
	}
	for _, v := range values {
		got, err := master.Open(outlet, v.field, v.rec, v.s)
		if err != nil || got != v.want {
			t.Errorf("head office opens the %s of %s as %q, %v; want %q", v.field, v.rec.ID, got, err, v.want)
		}
		if _, err := outletB.Open(v.field, v.rec, v.s); !errors.Is(err, sealed.ErrWrongKey) {
			t.Errorf("outlet %s's key on %s's %s: %v, want it refused as another key", other, outlet, v.field, err)
		}
		if _, err := master.Open(other, v.field, v.rec, v.s); !errors.Is(err, sealed.ErrWrongKey) {
			t.Errorf("%s's %s opened as %s's: %v", outlet, v.field, other, err)
		}
	}
	// A sealed value copied into another record does not open.
	moved := values[2]
	moved.rec = sealed.Record{Kind: lifecycle.KindComplaint, ID: "another-complaint"}
	if _, err := master.Open(outlet, moved.field, moved.rec, moved.s); !errors.Is(err, sealed.ErrTampered) {
		t.Errorf("a complaint's text moved to another complaint: %v, want it refused", err)
	}
}

type hubPayload struct {
	typ, subject string
	payload      []byte
}

// hubPayloads reads origin's events as the hub stored them.
func (c *cluster) hubPayloads(origin string) []hubPayload {
	c.t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(c.hubDir(), "hub.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		c.t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(), `SELECT type, subject, payload FROM events WHERE origin = ? ORDER BY seq`, origin)
	if err != nil {
		c.t.Fatal(err)
	}
	defer rows.Close()
	var out []hubPayload
	for rows.Next() {
		var p hubPayload
		var payload sql.NullString
		if err := rows.Scan(&p.typ, &p.subject, &payload); err != nil {
			c.t.Fatal(err)
		}
		p.payload = []byte(payload.String)
		out = append(out, p)
	}
	return out
}
