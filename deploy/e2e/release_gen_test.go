//go:build releasedata

package e2e

// The generator of the release data files (see the testdata READMEs). It
// builds the programs of releaseCommit, drives them through their APIs to
// hold every kind of record, and writes each file with the answers those
// programs served from it:
//
//	go test -tags releasedata ./deploy/e2e/ -run TestWriteReleaseData -v
//
// It is behind a build tag because it rewrites committed test data.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// A 1×1 PNG, an exception's photo.
const releasePhoto = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

const releaseSVG = `<svg xmlns="http://www.w3.org/2000/svg"><path d="M1 1 L20 9 L30 2"/></svg>`

func TestWriteReleaseData(t *testing.T) {
	root, err := harness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bins := harness.BuildAt(t, releaseCommit, agentPkg, hubPkg)
	t.Run("sqlite", func(t *testing.T) {
		c := newClusterOf(t, "embedded", bins, releaseOutlet, "BJ-002")
		r := runRelease(t, c, nil)
		// The agent's answers, from the release agent offline on its file.
		r.agent.proc.Stop()
		at := time.Now().UTC()
		api, tok := startReleaseAgent(t, bins["yizhan-agent"], r.agent.dir, r.keyFile, at, "--config", startCounterDevices(t).config)
		writeGolden(t, filepath.Join(root, releaseAgentGolden), at, api, tok, r.agentPaths)
		stopAll(t)
		copyInto(t, mustRel(t, root, filepath.Join(r.agent.dir, "agent.db")), filepath.Join(root, releaseAgentFile))
		copyInto(t, mustRel(t, root, r.keyFile), filepath.Join(root, releaseAgentKey))

		writeGolden(t, filepath.Join(root, releaseHubGolden), at, "http://"+c.hubHTTP+"/api/v1", apiToken, r.hubPaths)
		c.hub.Stop()
		out := filepath.Join(root, releaseHubFile)
		os.Remove(out)
		db, err := sql.Open("sqlite", "file:"+filepath.Join(c.hubDir(), "hub.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(context.Background(), `VACUUM INTO ?`, out); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		c := newClusterOf(t, "embedded", bins)
		pg := harness.StartPostgres(t, harness.PostgresOptions{})
		store := pg.NewDatabase(t)
		for _, id := range []string{releaseOutlet, "BJ-002"} {
			secret := "s3cret-" + lower(id) + "-Kq7vX2pLm9Rt4Wz"
			c.secrets[id] = secret
			run(t, bins["yizhan-hub"], "outlet", "add", "--store", store, "--data", c.hubDir(), "--id", id, "--secret", secret)
		}
		r := runRelease(t, c, []string{"--store", store})
		r.agent.proc.Stop()
		at := time.Now().UTC()
		writeGolden(t, filepath.Join(root, releasePGGolden), at, "http://"+c.hubHTTP+"/api/v1", apiToken, r.hubPaths)
		c.hub.Stop()
		pgDump, err := exec.LookPath("pg_dump")
		if err != nil {
			pgDump = "/usr/lib/postgresql/15/bin/pg_dump"
		}
		dump, err := exec.Command(pgDump, "--no-owner", "--no-privileges", "-d", store).Output()
		if err != nil {
			t.Fatalf("pg_dump: %v", err)
		}
		if err := os.WriteFile(filepath.Join(root, releasePGDump), dump, 0o644); err != nil {
			t.Fatal(err)
		}
	})
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// stopAll is a no-op marker: processes stop through their cleanups.
func stopAll(*testing.T) {}

func mustRel(t *testing.T, root, path string) string {
	t.Helper()
	rel, err := filepath.Rel(root, path)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
	}
	return string(out)
}

// writeGolden records base's answer to each path.
func writeGolden(t *testing.T, path string, at time.Time, base, token string, paths []string) {
	t.Helper()
	g := releaseGolden{Commit: releaseCommit, MadeAt: at, Answers: map[string]json.RawMessage{}}
	for _, p := range paths {
		code, body := apiGet(t, base, p, token)
		if code != 200 {
			t.Fatalf("GET %s: HTTP %d %s", p, code, body)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		g.Answers[p], _ = json.Marshal(v)
	}
	raw, _ := json.MarshalIndent(g, "", " ")
	if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// releaseRun is what one run made, and the paths whose answers record it.
type releaseRun struct {
	agent                *agent
	keyFile              string
	agentPaths, hubPaths []string
}

// runRelease drives the release's hub and agent through every kind of
// record each keeps.
func runRelease(t *testing.T, c *cluster, hubExtra []string) releaseRun {
	c.startHub(append(append([]string{}, releaseHubArgs...), hubExtra...)...)
	hub := "http://" + c.hubHTTP + "/api/v1"
	data := []string{"--data", c.hubDir()}
	if len(hubExtra) > 0 {
		data = append(data, hubExtra...)
	}
	run(t, c.bins["yizhan-hub"], append([]string{"outlet", "set", "--id", releaseOutlet, "--region", "华东", "--city", "上海"}, data...)...)
	run(t, c.bins["yizhan-hub"], append([]string{"outlet", "set", "--id", "BJ-002", "--region", "华北", "--city", "北京"}, data...)...)
	post := func(url, token string, body any, want int) map[string]any {
		t.Helper()
		var out map[string]any
		if code := call(t, "POST", url, token, body, &out); code != want {
			t.Fatalf("POST %s: HTTP %d %v", url, code, out)
		}
		return out
	}
	// Head office: accounts, a token, notices, a template, a tariff and a
	// list, waybill numbers, manifests.
	addHubAccount(t, hub, releaseAccount, "客服小王", "service", releasePassword)
	addHubAccount(t, hub, "yingji", "应急小李", "emergency", "Release-emergency-2026")
	ho := newHeadOffice(t, hub)
	resp := ho.send("POST", "/session", "", map[string]string{"account": releaseAccount, "password": releasePassword})
	resp.Body.Close()
	post(hub+"/tokens", apiToken, map[string]any{"name": "bi-export", "scope": "read"}, 201)
	notice := post(hub+"/notices", apiToken, map[string]any{"title": "双十一期间服务调整", "severity": "warning", "text": "延长营业时间至22点。"}, 201)
	ended := post(hub+"/notices", apiToken, map[string]any{"title": "暴雨预警", "text": "今日派送可能延误。"}, 201)
	post(hub+"/notices/"+fmt.Sprint(ended["id"])+"/end", apiToken, map[string]any{"text": "预警解除。"}, 200)
	post(hub+"/reply-templates", apiToken, map[string]any{"title": "延误致歉", "category": "delay", "text": "您好，包裹因天气延误，我们深表歉意。"}, 201)
	tariff := map[string]any{"version": "T-R1", "zones": map[string]string{"310000": "local"},
		"rates":              map[string]any{"local": map[string]int{"first_grams": 1000, "first_fen": 800, "step_grams": 1000, "step_fen": 200}},
		"volumetric_divisor": 8000, "max_weight_grams": 50000, "insurance": map[string]int{"rate_bp": 100, "min_fen": 100}}
	post(hub+"/tariffs", apiToken, tariff, 201)
	post(hub+"/prohibited-lists", apiToken, map[string]any{"version": "P-R1",
		"items": []map[string]string{{"code": "B01", "name": "易燃易爆物品", "rule": "forbidden"}}}, 201)
	post(hub+"/outlets/"+releaseOutlet+"/waybill-blocks", apiToken, map[string]any{"count": 10}, 201)
	manifest := post(hub+"/manifests", apiToken, map[string]any{"outlet": releaseOutlet, "courier": "K-07",
		"expected_at": time.Now().Add(time.Hour).Format(time.RFC3339), "waybills": []string{"SF7000000000001", "SF7000000000002"}}, 201)

	// The outlet: staff, a token, scans, parcels in each state, pickups
	// with signatures, exceptions with photos, complaints, handover,
	// dispatch, sending.
	a := c.newAgent(releaseOutlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.addStaff(a, releaseSupervisor, "李主管", "supervisor", releaseSupPIN)
	key := writePIIKey(t)
	dev := startCounterDevices(t)
	c.startAgent(a, "--pii-key-file", key, "--config", dev.config)
	agentAPI := "http://" + a.http + "/api/v1"
	tok := staffLogin(t, agentAPI, "c01", "1234")
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		var cat struct {
			Tariff   *struct{ Version string }
			Waybills *struct{ Remaining int }
		}
		call(t, "GET", agentAPI+"/sending/catalog", tok, nil, &cat)
		var ns struct{ Notices []any }
		call(t, "GET", agentAPI+"/notices", tok, nil, &ns)
		return cat.Tariff != nil && cat.Waybills != nil && len(ns.Notices) == 2 && call(t, "GET", agentAPI+"/manifests/"+fmt.Sprint(manifest["id"]), tok, nil, nil) == 200,
			"head office's downlink not at the outlet yet"
	})
	for _, b := range []string{"SF1000000000001", "SF1000000000001", "XYZ-0001"} {
		if _, code, err := postScan(a.http, b); err != nil || code != 201 {
			t.Fatalf("scan %s: %d %v", b, code, err)
		}
	}
	type parcelReply struct{ Parcel lifecycle.Parcel }
	inbound := func(w, phone string) lifecycle.Parcel {
		var p parcelReply
		if code := call(t, "POST", agentAPI+"/parcels/inbound", tok, map[string]string{"barcode": w, "phone": phone, "name": "王小明"}, &p); code != 201 {
			t.Fatalf("inbound %s: %d", w, code)
		}
		return p.Parcel
	}
	shelve := func(w, shelf string) lifecycle.Parcel {
		var p parcelReply
		if code := call(t, "POST", agentAPI+"/parcels/"+w+"/shelve", tok, map[string]string{"shelf": shelf, "layer": "2"}, &p); code != 200 {
			t.Fatalf("shelve %s: %d", w, code)
		}
		return p.Parcel
	}
	waybills := map[string]string{
		"inbound":   "SF2000000000001",
		"in_stock":  "SF2000000000002",
		"picked_up": "SF2000000000003",
		"agent":     "SF2000000000004",
		"refused":   "SF2000000000005",
		"returning": "SF2000000000006",
		"out":       "SF2000000000007",
		"delivered": "SF2000000000008",
		"notified":  "SF2000000000009",
	}
	for state, w := range waybills {
		inbound(w, "13812345678")
		if state != "inbound" {
			shelve(w, "3")
		}
	}
	shelve(waybills["in_stock"], "4") // moved: a new code
	post(agentAPI+"/parcels/"+waybills["notified"]+"/notify", tok, nil, 200)
	p := shelve(waybills["picked_up"], "5")
	post(agentAPI+"/parcels/"+waybills["picked_up"]+"/pickup", tok, map[string]string{"code": p.PickupCode, "id_check": "id_card",
		"signer": "recipient", "signature_svg": releaseSVG}, 200)
	p = shelve(waybills["agent"], "5")
	post(agentAPI+"/parcels/"+waybills["agent"]+"/pickup", tok, map[string]string{"code": p.PickupCode, "id_check": "code_only",
		"signer": "agent", "agent_name": "邻居赵六", "confirmation": "代收人确认"}, 200)
	post(agentAPI+"/parcels/"+waybills["refused"]+"/refuse", tok, map[string]string{"reason": "外包装破损"}, 200)
	post(agentAPI+"/parcels/"+waybills["returning"]+"/refuse", tok, map[string]string{"reason": "不要了"}, 200)
	batch := post(agentAPI+"/dispatches", tok, map[string]any{"courier": "K-09", "courier_name": "快递员孙七",
		"waybills": []string{waybills["out"], waybills["delivered"]}, "signature": map[string]string{"signer": "K-09", "svg": releaseSVG}}, 201)
	post(agentAPI+"/parcels/"+waybills["delivered"]+"/delivered", tok, map[string]any{"proof": map[string]string{"signer": "王小明", "confirmation": "本人签收"}}, 200)

	x := post(agentAPI+"/exceptions", tok, map[string]any{"waybill": waybills["in_stock"], "kind": "damaged", "note": "外箱压坏", "photos": []string{releasePhoto}}, 201)
	xid := fmt.Sprint(x["exception"].(map[string]any)["id"])
	post(agentAPI+"/exceptions/"+xid+"/steps", tok, map[string]any{"step": "start_handling"}, 200)
	post(agentAPI+"/exceptions/"+xid+"/steps", tok, map[string]any{"step": "inform_customer"}, 200)
	post(agentAPI+"/exceptions/"+xid+"/steps", tok, map[string]any{"step": "open_claim"}, 200)
	x2 := post(agentAPI+"/exceptions", tok, map[string]any{"waybill": "SF2000000000010", "kind": "lost", "note": "找不到"}, 201)
	x2id := fmt.Sprint(x2["exception"].(map[string]any)["id"])
	cp := post(agentAPI+"/complaints", tok, map[string]any{"channel": "counter", "type": "complaint", "category": "delay",
		"severity": "major", "customer_phone": "13912345678", "customer_name": "欧阳锋", "text": "包裹迟到三天"}, 201)
	cid := fmt.Sprint(cp["complaint"].(map[string]any)["id"])
	post(agentAPI+"/complaints/"+cid+"/steps", tok, map[string]any{"step": "acknowledge"}, 200)
	cp2 := post(agentAPI+"/complaints", tok, map[string]any{"channel": "phone", "type": "suggestion", "category": "other",
		"severity": "routine", "customer_phone": "13700001111", "text": "营业时间？"}, 201)
	c2id := fmt.Sprint(cp2["complaint"].(map[string]any)["id"])
	post(agentAPI+"/notices/"+fmt.Sprint(notice["id"])+"/ack", tok, nil, 200)

	mid := fmt.Sprint(manifest["id"])
	h := post(agentAPI+"/handovers", tok, map[string]any{"courier": "K-07", "manifests": []string{mid}}, 201)
	hid := fmt.Sprint(h["handover"].(map[string]any)["id"])
	post(agentAPI+"/handovers/"+hid+"/scans", tok, map[string]string{"barcode": "SF7000000000001"}, 200)
	post(agentAPI+"/handovers/"+hid+"/close", tok, map[string]any{"courier": map[string]string{"signer": "K-07", "confirmation": "快递员确认"},
		"clerk": map[string]string{"svg": releaseSVG}}, 200)
	sh := post(agentAPI+"/shipments", tok, map[string]any{
		"sender":         map[string]string{"name": "黄药师", "phone": "13811112222"},
		"sender_id_type": "resident_id", "sender_id_number": "11010519491231002X",
		"recipient": map[string]string{"name": "郭靖", "phone": "13912345678", "address": "上海市浦东新区世纪大道1号", "dest_code": "310115"},
		"item_type": "clothing", "items": "冬衣两件", "prohibited_version": "P-R1", "prohibited_checked": []string{"B01"},
		"weight_grams": 1200}, 201)
	shn := fmt.Sprint(sh["shipment"].(map[string]any)["number"])
	c.waitDrained(a, 60*time.Second)

	// Head office's side of the cases.
	post(hub+"/exceptions/"+xid+"/steps", apiToken, map[string]any{"step": "assign", "owner": "hq-li"}, 200)
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		var hx lifecycle.Exception
		call(t, "GET", hub+"/exceptions/"+xid, apiToken, nil, &hx)
		return hx.State == lifecycle.ExceptionStateClaimOpen, "hub exception state " + hx.State
	})
	post(hub+"/exceptions/"+xid+"/steps", apiToken, map[string]any{"step": "decide_claim", "approved": true, "amount_cents": 8800}, 200)
	post(hub+"/complaints/"+cid+"/steps", apiToken, map[string]any{"step": "escalate", "reason": "media"}, 200)
	// The outlet takes them, and one more scan is left unsent.
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		var ax struct{ Exception lifecycle.Exception }
		call(t, "GET", agentAPI+"/exceptions/"+xid, tok, nil, &ax)
		return ax.Exception.State == lifecycle.ExceptionStateClaimDecided, "agent exception state " + ax.Exception.State
	})
	c.waitDrained(a, 60*time.Second)

	photo := x["exception"].(map[string]any)["photos"].([]any)[0].(map[string]any)["sha256"]
	_ = photo
	r := releaseRun{agent: a, keyFile: key}
	r.agentPaths = []string{"/parcels?limit=100", "/parcels/find?phone_last4=5678", "/exceptions", "/exceptions/" + xid, "/exceptions/" + x2id,
		"/complaints", "/complaints/" + cid, "/complaints/" + c2id, "/reply-templates?category=delay", "/notices",
		"/manifests", "/manifests/" + mid, "/handovers", "/handovers/" + hid, "/dispatches",
		"/dispatches/" + fmt.Sprint(batch["batch"].(map[string]any)["id"]), "/shipments", "/shipments/" + shn, "/print-jobs",
		"/staff", "/sync", "/sync/dead-letters", "/downlink", "/sending/catalog", "/kinds"}
	for _, w := range waybills {
		r.agentPaths = append(r.agentPaths, "/parcels/"+w)
	}
	r.agentPaths = append(r.agentPaths, "/parcels/SF1000000000001", "/parcels/XYZ-0001")
	r.hubPaths = []string{"/outlets", "/outlets/" + releaseOutlet, "/outlets/BJ-002", "/outlets/" + releaseOutlet + "/dead-letters",
		"/regions", "/rejects", "/outlets/" + releaseOutlet + "/waybills", "/outlets/" + releaseOutlet + "/waybill-blocks",
		"/parcels?q=SF2000", "/parcels/" + waybills["picked_up"], "/parcels/" + waybills["returning"],
		"/complaints", "/complaints/" + cid, "/complaints/" + c2id, "/exceptions", "/exceptions/" + xid, "/exceptions/" + x2id,
		"/reply-templates", "/notices", "/notices/" + fmt.Sprint(notice["id"]), "/notices/" + fmt.Sprint(ended["id"]),
		"/tariffs", "/tariffs/versions", "/prohibited-lists", "/prohibited-lists/versions", "/manifests", "/manifests/" + mid,
		"/handovers", "/handovers/" + hid, "/audit", "/accounts", "/tokens"}
	return r
}
