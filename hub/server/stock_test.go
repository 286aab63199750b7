package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/manifests"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

// received lists the subjects of the events of typ in evs.
func received(evs []syncproto.Event, typ string) []string {
	var out []string
	for _, e := range evs {
		if e.Type == typ {
			out = append(out, e.Subject)
		}
	}
	return out
}

type manifestJSON struct {
	lifecycle.Manifest
	Outlet string `json:"outlet"`
	// The API answers times in RFC 3339, as they are sent.
	ExpectedAt string `json:"expected_at"`
	At         string `json:"at"`
}

// A manifest reaches only its outlet, an amendment replaces it there, and
// head office lists it under that outlet.
func TestManifestDownlink(t *testing.T) {
	clk := clock.NewManual(time.Now().Truncate(time.Second))
	s := startHubClock(t, clk, time.Hour)
	api := newAPI(t, s)
	sh1, sh2 := newOutlet("SH-001", clk), newOutlet("SH-002", clk)
	addOutlet(t, s, sh1.id)
	addOutlet(t, s, sh2.id)

	var m manifestJSON
	if code := api.do("POST", "/api/v1/manifests", `{"outlet":"SH-001","line":"沪西线","expected_at":"2025-07-01T09:00:00+08:00","waybills":["SF1","SF2"]}`, &m); code != 201 {
		t.Fatalf("publish: %d", code)
	}
	if m.Revision != 1 || m.Outlet != "SH-001" || m.Line != "沪西线" || fmt.Sprint(m.Waybills) != "[SF1 SF2]" {
		t.Fatalf("published manifest = %+v", m)
	}
	if at, err := time.Parse(time.RFC3339, m.At); m.ExpectedAt != "2025-07-01T01:00:00Z" || err != nil || !at.Equal(clk.Now()) {
		t.Errorf("expected_at %q, at %q: want RFC 3339, as sent", m.ExpectedAt, m.At)
	}
	if got := received(sh1.pull(t, s), lifecycle.ManifestPublished); fmt.Sprint(got) != fmt.Sprint([]string{m.ID}) {
		t.Errorf("SH-001 received manifests %v, want [%s]", got, m.ID)
	}
	if got := received(sh2.pull(t, s), lifecycle.ManifestPublished); len(got) != 0 {
		t.Errorf("SH-002 received manifests %v, want none", got)
	}

	var amended manifestJSON
	if code := api.do("PUT", "/api/v1/manifests/"+m.ID, `{"outlet":"SH-001","line":"沪西线","expected_at":"2025-07-01T10:00:00+08:00","waybills":["SF1","SF2","SF3"]}`, &amended); code != 200 {
		t.Fatalf("amend: %d", code)
	}
	if amended.Revision != 2 || len(amended.Waybills) != 3 {
		t.Errorf("amended manifest = %+v", amended)
	}
	evs := sh1.pull(t, s)
	if got := received(evs, lifecycle.ManifestPublished); fmt.Sprint(got) != fmt.Sprint([]string{m.ID}) {
		t.Fatalf("SH-001 received amendments %v", got)
	}
	// The outlet's own fold of everything it received is the amended one.
	all, _, _, _ := s.Store.Down(context.Background(), "SH-001", 0, 100, 1<<20)
	if f := lifecycle.FoldManifest(m.ID, all); f.Revision != 2 || len(f.Waybills) != 3 {
		t.Errorf("outlet's fold = %+v", f)
	}
	if got := received(sh2.pull(t, s), lifecycle.ManifestPublished); len(got) != 0 {
		t.Errorf("SH-002 received the amendment %v", got)
	}
	if code := api.do("PUT", "/api/v1/manifests/"+m.ID, `{"outlet":"SH-002","expected_at":"2025-07-01T10:00:00+08:00","waybills":["SF1"]}`, nil); code != 400 {
		t.Errorf("moving a manifest to another outlet: %d, want 400", code)
	}
	if code := api.do("PUT", "/api/v1/manifests/nope", `{"outlet":"SH-001","expected_at":"2025-07-01T10:00:00+08:00","waybills":["SF1"]}`, nil); code != 404 {
		t.Errorf("amending an unknown manifest: %d, want 404", code)
	}

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"?outlet=SH-001", []string{m.ID}},
		{"?outlet=SH-002", nil},
		{"", []string{m.ID}},
	} {
		t.Run("list"+tc.query, func(t *testing.T) {
			var list struct{ Manifests []manifestJSON }
			if code := api.do("GET", "/api/v1/manifests"+tc.query, "", &list); code != 200 {
				t.Fatalf("list: %d", code)
			}
			var ids []string
			for _, x := range list.Manifests {
				ids = append(ids, x.ID)
				if x.Revision != 2 {
					t.Errorf("listed %+v, want revision 2", x)
				}
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Errorf("listed %v, want %v", ids, tc.want)
			}
		})
	}
	var one manifestJSON
	if code := api.do("GET", "/api/v1/manifests/"+m.ID, "", &one); code != 200 || one.Revision != 2 {
		t.Errorf("get: %d %+v", code, one)
	}
}

func TestManifestValidation(t *testing.T) {
	s := startHub(t)
	api := newAPI(t, s)
	addOutlet(t, s, "SH-001")
	many := make([]string, manifests.MaxManifestWaybills+1)
	for i := range many {
		many[i] = fmt.Sprintf("SF%d", i)
	}
	big, _ := json.Marshal(many)
	for _, tc := range []struct{ name, body string }{
		{"unknown outlet", `{"outlet":"SH-404","expected_at":"2025-07-01T09:00:00Z","waybills":["SF1"]}`},
		{"bad outlet id", `{"outlet":"sh 1","expected_at":"2025-07-01T09:00:00Z","waybills":["SF1"]}`},
		{"no waybills", `{"outlet":"SH-001","expected_at":"2025-07-01T09:00:00Z","waybills":[]}`},
		{"empty waybill", `{"outlet":"SH-001","expected_at":"2025-07-01T09:00:00Z","waybills":["SF1",""]}`},
		{"duplicate", `{"outlet":"SH-001","expected_at":"2025-07-01T09:00:00Z","waybills":["SF1","SF1"]}`},
		{"too long", `{"outlet":"SH-001","expected_at":"2025-07-01T09:00:00Z","waybills":["` + strings.Repeat("9", 65) + `"]}`},
		{"control character", `{"outlet":"SH-001","expected_at":"2025-07-01T09:00:00Z","waybills":["SF\u00071"]}`},
		{"over 5000", `{"outlet":"SH-001","expected_at":"2025-07-01T09:00:00Z","waybills":` + string(big) + `}`},
		{"no expected_at", `{"outlet":"SH-001","waybills":["SF1"]}`},
		{"bad expected_at", `{"outlet":"SH-001","expected_at":"tomorrow","waybills":["SF1"]}`},
		{"unknown field", `{"outlet":"SH-001","expected_at":"2025-07-01T09:00:00Z","waybills":["SF1"],"eta":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e problem.Body
			if code := api.do("POST", "/api/v1/manifests", tc.body, &e); code != 400 {
				t.Fatalf("%d, want 400", code)
			}
			if msg := e.Error.Message; e.Error.Code == "" || !strings.Contains(msg, " / ") || !strings.ContainsFunc(msg, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
				t.Errorf("error %+v has no code or is not \"中文 / English\"", e.Error)
			}
			if tc.name == "unknown field" && (e.Error.Code != "request.unknown_field" || e.Error.Params["field"] != "eta") {
				t.Errorf("unknown field: %+v", e.Error)
			}
		})
	}
	var list struct{ Manifests []manifestJSON }
	api.do("GET", "/api/v1/manifests", "", &list)
	if len(list.Manifests) != 0 {
		t.Errorf("refused manifests were listed: %+v", list.Manifests)
	}
}

// Head office folds a handover from the outlet's real batches against the
// manifest it sent: one parcel missing, one extra, a repeat scan.
func TestHandoverFoldAtHub(t *testing.T) {
	clk := clock.NewManual(time.Now().Truncate(time.Second))
	s := startHubClock(t, clk, time.Hour)
	api := newAPI(t, s)
	o := newOutlet("SH-001", clk)
	addOutlet(t, s, o.id)
	addOutlet(t, s, "SH-002")
	var m manifestJSON
	if code := api.do("POST", "/api/v1/manifests", `{"outlet":"SH-001","courier":"c7","expected_at":"2025-07-01T09:00:00Z","waybills":["SF1","SF2","SF3"]}`, &m); code != 201 {
		t.Fatalf("publish: %d", code)
	}
	o.pull(t, s)
	now := ms(clk.Now())
	o.event(lifecycle.HandoverOpened, "H1", lifecycle.HandoverOpenedV1{Manifests: []string{m.ID}, Courier: "c7", Staff: "li", At: now})
	for _, w := range []string{"SF2", "SF9", "SF1", "SF2"} {
		o.event(lifecycle.HandoverScanned, "H1", lifecycle.HandoverScanV1{Waybill: w, At: now})
	}
	o.send(t, s, 1)

	var h struct {
		lifecycle.Handover
		Exceptions []lifecycle.HandoverException `json:"exceptions"`
	}
	if code := api.do("GET", "/api/v1/handovers/H1", "", &h); code != 200 {
		t.Fatalf("get open handover: %d", code)
	}
	if h.State != lifecycle.HandoverStateOpen || len(h.Exceptions) != 0 || h.Counts.Missing != 1 || h.Counts.Extra != 1 {
		t.Errorf("open handover = %+v", h)
	}

	o.event(lifecycle.HandoverClosed, "H1", lifecycle.HandoverClosedV1{
		Courier: lifecycle.Signature{Signer: "c7", SHA256: "aa"}, Clerk: lifecycle.Signature{Signer: "li", SHA256: "bb"}, At: now})
	o.send(t, s, 6)
	if code := api.do("GET", "/api/v1/handovers/H1", "", &h); code != 200 {
		t.Fatalf("get: %d", code)
	}
	want := lifecycle.HandoverCounts{Expected: 3, Scanned: 3, Matched: 2, Missing: 1, Extra: 1, Duplicates: 1}
	if h.State != lifecycle.HandoverStateClosed || h.Outlet != "SH-001" || h.Counts != want ||
		fmt.Sprint(h.Missing) != "[SF3]" || fmt.Sprint(h.Extra) != "[SF9]" || len(h.UnknownManifests) != 0 {
		t.Errorf("closed handover = %+v", h.Handover)
	}
	var kinds []string
	for _, x := range h.Exceptions {
		kinds = append(kinds, x.Report.Waybill+":"+x.Report.Kind)
	}
	if fmt.Sprint(kinds) != "[SF3:lost SF9:mis_sorted]" {
		t.Errorf("exceptions = %v", kinds)
	}
	for _, tc := range []struct {
		query string
		n     int
	}{{"?outlet=SH-001", 1}, {"?outlet=SH-002", 0}, {"?open=1", 0}, {"", 1}} {
		t.Run("list"+tc.query, func(t *testing.T) {
			var list struct{ Handovers []json.RawMessage }
			if code := api.do("GET", "/api/v1/handovers"+tc.query, "", &list); code != 200 || len(list.Handovers) != tc.n {
				t.Errorf("%d, %d handovers, want %d", code, len(list.Handovers), tc.n)
			}
		})
	}
	if code := api.do("GET", "/api/v1/handovers/H404", "", nil); code != 404 {
		t.Errorf("unknown handover: %d", code)
	}
}

// startAt starts a hub on dir, so a test can restart it.
func startAt(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := Start(context.Background(), Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0", Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type blockJSON = lifecycle.WaybillBlockV1

// noOverlap fails if any two blocks share a number.
func noOverlap(t *testing.T, blocks map[string][]blockJSON) {
	t.Helper()
	type owned struct {
		outlet string
		b      blockJSON
	}
	var all []owned
	for o, bs := range blocks {
		for _, b := range bs {
			all = append(all, owned{o, b})
		}
	}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if all[i].b.Overlaps(all[j].b) {
				t.Errorf("%s %+v overlaps %s %+v", all[i].outlet, all[i].b, all[j].outlet, all[j].b)
			}
		}
	}
}

// Blocks for two outlets never overlap, allocated one after another, all at
// once, or after a restart; an outlet's request is answered exactly once.
func TestWaybillBlocks(t *testing.T) {
	dir := t.TempDir()
	s := startAt(t, dir)
	api := newAPI(t, s)
	outlets := []string{"SH-001", "SH-002"}
	for _, id := range outlets {
		addOutlet(t, s, id)
	}
	blocks := map[string][]blockJSON{}
	var mu sync.Mutex
	alloc := func(api *apiClient, outlet string, count int) {
		var b blockJSON
		if code := api.do("POST", "/api/v1/outlets/"+outlet+"/waybill-blocks", fmt.Sprintf(`{"count":%d}`, count), &b); code != 201 {
			t.Errorf("allocate %d to %s: %d", count, outlet, code)
			return
		}
		if int(b.Last-b.First)+1 != count || b.Prefix != "YZ" || b.Country != "CN" {
			t.Errorf("block %+v for %d numbers", b, count)
		}
		mu.Lock()
		blocks[outlet] = append(blocks[outlet], b)
		mu.Unlock()
	}
	alloc(api, "SH-001", 1000)
	alloc(api, "SH-002", 1000)
	alloc(api, "SH-001", 1)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { alloc(api, outlets[i%2], 10+i) })
	}
	wg.Wait()
	noOverlap(t, blocks)

	for _, tc := range []struct {
		name, path, body string
		code             int
	}{
		{"zero", "/api/v1/outlets/SH-001/waybill-blocks", `{"count":0}`, 400},
		{"too many", "/api/v1/outlets/SH-001/waybill-blocks", `{"count":100001}`, 400},
		{"unknown outlet", "/api/v1/outlets/SH-404/waybill-blocks", `{"count":10}`, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code := api.do("POST", tc.path, tc.body, nil); code != tc.code {
				t.Errorf("%d, want %d", code, tc.code)
			}
		})
	}

	// After a restart the counter carries on where it was.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = startAt(t, dir)
	t.Cleanup(func() { s.Close() })
	api = newAPI(t, s)
	alloc(api, "SH-002", 500)
	alloc(api, "SH-001", 500)
	noOverlap(t, blocks)

	var stock struct {
		lifecycle.WaybillStock
		RefillDue bool `json:"refill_due"`
	}
	if code := api.do("GET", "/api/v1/outlets/SH-001/waybills", "", &stock); code != 200 {
		t.Fatalf("waybills: %d", code)
	}
	sum := 0
	for _, b := range blocks["SH-001"] {
		sum += int(b.Last-b.First) + 1
	}
	if stock.Remaining != sum || len(stock.Blocks) != len(blocks["SH-001"]) || stock.Next == "" || stock.RefillDue {
		t.Errorf("stock = %+v, want %d remaining in %d blocks", stock, sum, len(blocks["SH-001"]))
	}

	// SH-002 asks for more; sending the batch again asks nothing new.
	clk := clock.NewManual(time.Now())
	o := newOutlet("SH-002", clk)
	o.pull(t, s)
	o.event(lifecycle.WaybillBlockRequested, "SH-002", lifecycle.WaybillBlockRequestV1{Remaining: 3, At: ms(clk.Now())})
	o.send(t, s, 1)
	s.Hub.Handle(context.Background(), syncproto.UplinkTopic(o.id), o.batch(t, 1))
	var got []blockJSON
	for _, e := range o.pull(t, s) {
		var b blockJSON
		if e.Type == lifecycle.WaybillBlockAllocated && json.Unmarshal(e.Payload, &b) == nil {
			got = append(got, b)
		}
	}
	if len(got) != 1 || got[0].Last-got[0].First+1 != 1000 {
		t.Fatalf("blocks sent for one request: %+v, want one of 1000", got)
	}
	blocks["SH-002"] = append(blocks["SH-002"], got[0])
	noOverlap(t, blocks)
	if code := api.do("GET", "/api/v1/outlets/SH-002/waybills", "", &stock); code != 200 || len(stock.Blocks) != len(blocks["SH-002"]) {
		t.Errorf("SH-002 stock: %d %+v", code, stock)
	}
}

// Tariff and prohibited-items versions reach every outlet; the newest is in
// force; a version is published once.
func TestTariffAndProhibitedLists(t *testing.T) {
	clk := clock.NewManual(time.Now().Truncate(time.Second))
	s := startHubClock(t, clk, time.Hour)
	api := newAPI(t, s)
	outlets := []*fakeOutlet{newOutlet("SH-001", clk), newOutlet("SH-002", clk), newOutlet("BJ-001", clk)}
	for _, o := range outlets {
		addOutlet(t, s, o.id)
	}
	tf := func(version string, divisor int) string {
		t := tariff.Tariff{Version: version, Zones: map[string]string{"310000": "local"}, Rates: map[string]tariff.Rate{"local": {FirstGrams: 1000, FirstFen: 800, StepGrams: 1000, StepFen: 200}},
			VolumetricDivisor: int64(divisor), MaxWeightGrams: 50000, Insurance: tariff.Insurance{RateBP: 100, MinFen: 100}}
		raw, _ := json.Marshal(t)
		return string(raw)
	}
	for _, tc := range []struct {
		name, path, body string
		code             int
	}{
		{"tariff v1", "/api/v1/tariffs", tf("2025-07", 8000), 201},
		{"tariff v2", "/api/v1/tariffs", tf("2025-08", 6000), 201},
		{"tariff again", "/api/v1/tariffs", tf("2025-07", 8000), 400},
		{"tariff invalid", "/api/v1/tariffs", tf("2025-09", 0), 400},
		{"tariff no version", "/api/v1/tariffs", tf("", 6000), 400},
		{"prohibited v1", "/api/v1/prohibited-lists", `{"version":"p1","items":[{"code":"B01","name":"易燃液体","rule":"forbidden"}]}`, 201},
		{"prohibited v2", "/api/v1/prohibited-lists", `{"version":"p2","items":[{"code":"B01","name":"易燃液体","rule":"forbidden"},{"code":"R01","name":"锂电池","rule":"restricted","note":"≤100Wh"}]}`, 201},
		{"prohibited bad rule", "/api/v1/prohibited-lists", `{"version":"p3","items":[{"code":"B01","name":"x","rule":"maybe"}]}`, 400},
		{"prohibited again", "/api/v1/prohibited-lists", `{"version":"p1","items":[{"code":"B01","name":"x","rule":"forbidden"}]}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e problem.Body
			if code := api.do("POST", tc.path, tc.body, &e); code != tc.code {
				t.Fatalf("%d %+v, want %d", code, e.Error, tc.code)
			}
			if tc.code == 400 && (e.Error.Code == "" || !strings.Contains(e.Error.Message, " / ")) {
				t.Errorf("error %+v has no code or is not \"中文 / English\"", e.Error)
			}
		})
	}
	var cur tariff.Tariff
	if code := api.do("GET", "/api/v1/tariffs", "", &cur); code != 200 || cur.Version != "2025-08" || cur.VolumetricDivisor != 6000 {
		t.Errorf("current tariff: %d %+v", code, cur)
	}
	var list lifecycle.ProhibitedListV1
	if code := api.do("GET", "/api/v1/prohibited-lists", "", &list); code != 200 || list.Version != "p2" || len(list.Items) != 2 {
		t.Errorf("current prohibited list: %d %+v", code, list)
	}
	for _, o := range outlets {
		evs := o.pull(t, s)
		if got := received(evs, lifecycle.TariffPublished); !slices.Equal(got, []string{"2025-07", "2025-08"}) {
			t.Errorf("%s received tariffs %v", o.id, got)
		}
		if got := received(evs, lifecycle.ProhibitedPublished); !slices.Equal(got, []string{"p1", "p2"}) {
			t.Errorf("%s received prohibited lists %v", o.id, got)
		}
	}
}
