package e2e

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// TestOneCustomerAcrossTwoOutlets: one phone picks a parcel up at outlet
// CA1 and sends one at outlet CB2, which takes it while head office is
// down (killed) and syncs when it is back. Head office shows one profile
// with both outlets; the customer's class reaches both counters; and no
// file of either outlet or of the hub holds the phone in clear, in any of
// the spellings the clerks typed or a person would.
func TestOneCustomerAcrossTwoOutlets(t *testing.T) {
	const outletA, outletB = "CA1", "CB2"
	const phone = "13955556666"
	c := newCluster(t, "embedded", outletA, outletB)
	masterFile, keys := c.outletKeys(outletA, outletB)
	keyA, keyB := keys[outletA], keys[outletB]
	c.startHub("--master-key", masterFile)
	a, b := c.newAgent(outletA), c.newAgent(outletB)
	for _, x := range []struct {
		ag  *agent
		key string
	}{{a, keyA}, {b, keyB}} {
		c.addStaff(x.ag, "c01", "张三", "clerk", "1234")
		c.startAgent(x.ag, "--pii-key-file", x.key)
	}
	apiA, apiB, hubAPI := "http://"+a.http+"/api/v1", "http://"+b.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"

	// Sending at CB2 needs head office's tariff, list and numbers.
	tariff := map[string]any{"version": "T-C1", "zones": map[string]string{"310000": "local"},
		"rates":              map[string]any{"local": map[string]int{"first_grams": 1000, "first_fen": 800, "step_grams": 1000, "step_fen": 200}},
		"volumetric_divisor": 8000, "max_weight_grams": 50000, "insurance": map[string]int{"rate_bp": 100, "min_fen": 100}}
	if code := call(t, "POST", hubAPI+"/tariffs", apiToken, tariff, nil); code != 201 {
		t.Fatalf("publish tariff: HTTP %d", code)
	}
	if code := call(t, "POST", hubAPI+"/prohibited-lists", apiToken, map[string]any{"version": "P-C1",
		"items": []map[string]string{{"code": "B01", "name": "易燃易爆物品", "rule": "forbidden"}}}, nil); code != 201 {
		t.Fatalf("publish prohibited-items list: HTTP %d", code)
	}
	if code := call(t, "POST", hubAPI+"/outlets/"+outletB+"/waybill-blocks", apiToken, map[string]any{"count": 10}, nil); code != 201 {
		t.Fatalf("allocate a waybill block: HTTP %d", code)
	}
	tokA, tokB := staffLogin(t, apiA, "c01", "1234"), staffLogin(t, apiB, "c01", "1234")
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		var cat struct {
			Tariff     *struct{ Version string }
			Prohibited *struct{ Version string }
			Waybills   *struct{ Remaining int }
		}
		call(t, "GET", apiB+"/sending/catalog", tokB, nil, &cat)
		return cat.Tariff != nil && cat.Prohibited != nil && cat.Waybills != nil && cat.Waybills.Remaining > 0,
			fmt.Sprintf("tariff, list and waybill block not all at %s: %+v", outletB, cat)
	})

	// CA1: the parcel comes in for the phone as the courier wrote it, and
	// the customer picks it up.
	var in struct{ Parcel lifecycle.Parcel }
	if code := call(t, "POST", apiA+"/parcels/inbound", tokA, map[string]string{"barcode": "SF5000000000001", "phone": "139 5555 6666",
		"name": "周伯通", "shelf": "1", "layer": "1"}, &in); code != 201 || in.Parcel.PickupCode == "" {
		t.Fatalf("inbound: HTTP %d %+v", code, in.Parcel)
	}
	if code := call(t, "POST", apiA+"/parcels/"+in.Parcel.Waybill+"/pickup", tokA, map[string]string{"code": in.Parcel.PickupCode, "id_check": "code_only",
		"signer": "recipient", "confirmation": "本人签收"}, nil); code != 200 {
		t.Fatalf("pickup: HTTP %d", code)
	}
	c.waitDrained(a, 60*time.Second)

	// Head office goes down; CB2 takes the same customer's parcel meanwhile.
	c.killHub()
	var sh struct{ Shipment lifecycle.ShipmentV1 }
	if code := call(t, "POST", apiB+"/shipments", tokB, map[string]any{
		"sender":         map[string]string{"name": "周伯通", "phone": "+86 139-5555-6666"},
		"sender_id_type": "resident_id", "sender_id_number": "11010519491231002X",
		"recipient": map[string]string{"name": "郭靖", "phone": "13711112222", "address": "上海市长宁区桃花岛路1号", "dest_code": "310105"},
		"item_type": "clothing", "items": "冬衣", "prohibited_version": "P-C1", "prohibited_checked": []string{"B01"},
		"weight_grams": 1500}, &sh); code != 201 {
		t.Fatalf("shipment while head office is down: HTTP %d", code)
	}
	c.startHub("--master-key", masterFile)
	c.waitDrained(b, 90*time.Second)

	// One profile with both.
	var found struct {
		Customers []struct {
			ID             string
			Received, Sent int64
			FeesFen        int64 `json:"fees_fen"`
			Class          string
		}
	}
	if code := call(t, "GET", hubAPI+"/customers?phone=13955556666", apiToken, nil, &found); code != 200 || len(found.Customers) != 1 {
		t.Fatalf("the customer at head office: HTTP %d %+v", code, found)
	}
	cust := found.Customers[0]
	if cust.Received != 1 || cust.Sent != 1 || cust.FeesFen != sh.Shipment.Quote.TotalFen || cust.FeesFen == 0 || cust.Class == "" {
		t.Errorf("profile %+v: want one parcel received, one sent for %d fen, and a class", cust, sh.Shipment.Quote.TotalFen)
	}
	var profile struct {
		Outlets []struct{ Outlet string }
	}
	if code := call(t, "GET", hubAPI+"/customers/"+cust.ID, apiToken, nil, &profile); code != 200 || len(profile.Outlets) != 2 ||
		profile.Outlets[0].Outlet != outletA || profile.Outlets[1].Outlet != outletB {
		t.Errorf("the profile's outlets: HTTP %d %+v, want %s and %s", code, profile.Outlets, outletA, outletB)
	}

	// The class reaches both counters: by the phone the clerk types at
	// either, and by the parcel at CA1.
	for _, x := range []struct {
		api, tok string
		req      map[string]string
	}{{apiA, tokA, map[string]string{"phone": phone}}, {apiA, tokA, map[string]string{"waybill": in.Parcel.Waybill}}, {apiB, tokB, map[string]string{"phone": "139 5555 6666"}}} {
		harness.Eventually(t, 60*time.Second, func() (bool, string) {
			var got struct{ Class string }
			code := call(t, "POST", x.api+"/customer-class", x.tok, x.req, &got)
			return code == 200 && got.Class != "", fmt.Sprintf("%s %v: HTTP %d class %q", x.api, x.req, code, got.Class)
		})
	}

	// The counter screens show the class's name, never a figure: at CA1
	// on the pickup of the customer's next parcel, at CB2 once the clerk
	// has typed the sender's phone.
	var next struct{ Parcel lifecycle.Parcel }
	if code := call(t, "POST", apiA+"/parcels/inbound", tokA, map[string]string{"barcode": "SF5000000000002", "phone": phone,
		"shelf": "1", "layer": "1"}, &next); code != 201 {
		t.Fatalf("second inbound: HTTP %d", code)
	}
	br := newBrowser(t)
	login := func(base string) {
		keypad := func(d string) chromedp.Action[chromedp.Void] {
			return chromedp.Click(chromedp.Search(fmt.Sprintf(`//div[@class="keypad"]/button[text()=%q]`, d)))
		}
		br.step(t, "log in at "+base,
			chromedp.Navigate(base),
			chromedp.WaitVisible(chromedp.ID("login-form")),
			chromedp.SendKeys(chromedp.ID("login-staff"), "c01"),
			chromedp.Click(chromedp.ID("login-pin")),
			keypad("1"), keypad("2"), keypad("3"), keypad("4"),
			chromedp.Click(chromedp.ID("login-submit")),
			chromedp.WaitVisible(chromedp.ID("scan-barcode")))
	}
	// shown is the class tag's words, checked against its class's name.
	shown := func(sel string) string {
		return fmt.Sprintf(`(() => { const el = document.querySelector(%q); const names = %s;
			return !!el && !el.hidden && !!names[el.dataset.class] && el.textContent === names[el.dataset.class] && !/[0-9]/.test(el.textContent); })()`, sel, classNamesJS)
	}
	login("http://" + a.http + "/")
	br.step(t, "the class on CA1's pickup",
		chromedp.Click(chromedp.ID("nav-pickup")),
		chromedp.WaitVisible(chromedp.ID("pickup-query")),
		chromedp.SendKeys(chromedp.ID("pickup-query"), next.Parcel.PickupCode), pressEnter(),
		waitJS(fmt.Sprintf(`document.querySelector('#pickup-selected').innerText.includes(%q)`, next.Parcel.Waybill)),
		waitJS(shown("#pickup-class")))
	login("http://" + b.http + "/")
	br.step(t, "the class on CB2's sending page",
		chromedp.Click(chromedp.ID("nav-sending")),
		chromedp.WaitVisible(chromedp.ID("send-sender-phone")),
		chromedp.SendKeys(chromedp.ID("send-sender-phone"), "139 5555 6666"),
		chromedp.Click(chromedp.ID("send-sender-name")),
		waitJS(shown("#send-sender-class")))
	br.checkNoExceptions(t)

	// No file of the hub or of either outlet holds the phone in clear.
	c.killHub()
	a.proc.Kill()
	b.proc.Kill()
	spellings := []string{phone, "139 5555 6666", "139-5555-6666", "+8613955556666", "5555 6666"}
	seen := 0
	for _, dir := range []string{c.hubDir(), a.dir, b.dir} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			seen++
			for _, s := range spellings {
				if bytes.Contains(raw, []byte(s)) {
					t.Errorf("%s holds the phone as %q", path, s)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if seen < 3 {
		t.Fatalf("read %d files: is the check reading the data directories?", seen)
	}
}

// classNamesJS are the counter's names of head office's classes, in
// Chinese (the screen's default), as a JavaScript object.
const classNamesJS = `{important_value: '重要价值客户', important_develop: '重要发展客户', important_keep: '重要保持客户', important_retain: '重要挽留客户',
	general_value: '一般价值客户', general_develop: '一般发展客户', general_keep: '一般保持客户', general_retain: '一般挽留客户'}`
