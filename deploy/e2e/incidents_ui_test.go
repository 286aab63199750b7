package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// bigPhoto writes a 2400×1800 JPEG of a few MB, a phone photo as copied
// over: the counter must shrink it before it is sent.
func bigPhoto(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2400, 1800))
	r := rand.New(rand.NewPCG(1, 2))
	for y := range 1800 {
		for x := range 2400 {
			img.Set(x, y, color.RGBA{uint8(x / 10), uint8(y / 8), uint8(r.IntN(256)), 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	if b.Len() < 1<<20 {
		t.Fatalf("the test photo is only %d bytes", b.Len())
	}
	path := filepath.Join(t.TempDir(), "flood.jpg")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// smallPhoto is a 320×240 JPEG, a photo the counter has already shrunk.
func smallPhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			img.Set(x, y, color.RGBA{uint8(x * 3 / 4), uint8(y), 160, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// getBytes GETs url with token and answers the status, headers and body.
func getBytes(t *testing.T, url, token string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpc.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, body
}

// TestIncidentReportFromTheCounter: with head office down, a clerk reports
// an incident on the counter screen with a phone photo of several MB; the
// screen sends it as a JPEG within 300 KB and the report waits in the
// outbox. When head office is back, the report is in its queue with the
// photo's bytes exactly as the counter sent them, served as image/jpeg that
// no browser sniffs. The emergency lead acknowledges it on head office's
// screen, the counter shows the step, and "make a notice draft" fills the
// notice compose page from the report with its outlet ticked, publishing
// nothing. A hostile counter's photos (not JPEG, too large) and a step only
// head office may take are refused with their codes and record nothing.
func TestIncidentReportFromTheCounter(t *testing.T) {
	const outlet = "INC1"
	const lead, leadPass = "zhao.lei", "Emergency-lead-2026"
	c, a, b := parcelScreen(t, outlet, "")
	shots := newShots(t)
	hubAPI, agentAPI := "http://"+c.hubHTTP+"/api/v1", "http://"+a.http+"/api/v1"
	agentBase, hubBase := "http://"+a.http+"/", "http://"+c.hubHTTP+"/"
	tok := staffLogin(t, agentAPI, "c01", "1234")
	photo := bigPhoto(t)

	c.killHub()
	const text = "暴雨导致门口积水约 20 厘米，包裹已移至二楼。"
	b.step(t, "fill the incident form with a photo while head office is down",
		runJS(`location.hash = '#/incidents'`), chromedp.WaitVisible(chromedp.ID("inc-form")),
		runJS(`document.querySelector('#inc-cause').value = 'weather'; document.querySelector('#inc-cause').dispatchEvent(new Event('change'))`),
		runJS(`document.querySelector('#inc-parcels').value = '35'; document.querySelector('#inc-delay').value = '24'`),
		runJS(fmt.Sprintf(`document.querySelector('#inc-text').value = %q`, text)),
		chromedp.SetUploadFiles(chromedp.CSS(`#inc-photos`), []string{photo}),
		waitJS(`document.querySelectorAll('#inc-form .thumbs img').length === 1 && !document.querySelector('#inc-submit').disabled`))
	sent := read(t, b, "the photo as the screen will send it", chromedp.Evaluate[string](`document.querySelector('#inc-form .thumbs img').src`))
	_, b64, _ := strings.Cut(sent, ";base64,")
	want, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(want) > 300<<10 || !bytes.HasPrefix(want, []byte{0xFF, 0xD8, 0xFF}) {
		t.Fatalf("the screen's photo: %d bytes (%v), want a JPEG of at most 300 KB", len(want), err)
	}
	if st, _ := os.Stat(photo); st != nil {
		t.Logf("the counter sends the %d-byte photo as a %d-byte JPEG", st.Size(), len(want))
	}
	b.step(t, "report it",
		chromedp.Click(chromedp.ID("inc-submit")),
		waitJS(`document.querySelectorAll('#inc-list li.card').length === 1`),
		waitJS(fmt.Sprintf(`%s.includes(%q) && %s.includes('已上报')`, jsText("#inc-list li.card"), text, jsText("#inc-list li.card .tag.state"))))
	var list struct {
		Incidents []struct {
			ID     string
			State  string
			Photos []struct {
				SHA256   string `json:"sha256"`
				Size     int    `json:"size"`
				Complete bool   `json:"complete"`
			}
		}
	}
	if code := call(t, "GET", agentAPI+"/incidents", tok, nil, &list); code != 200 || len(list.Incidents) != 1 || len(list.Incidents[0].Photos) != 1 ||
		list.Incidents[0].Photos[0].Size != len(want) {
		t.Fatalf("the counter's incidents: HTTP %d %+v", code, list)
	}
	id, sha := list.Incidents[0].ID, list.Incidents[0].Photos[0].SHA256

	// ---- a hostile counter: refused, nothing recorded ----
	png := base64.StdEncoding.EncodeToString(append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...))
	huge := make([]byte, 400<<10)
	copy(huge, []byte{0xFF, 0xD8, 0xFF, 0xE0})
	for _, tc := range []struct {
		name, code string
		body       map[string]any
	}{
		{"a PNG", "incident.photo_not_jpeg", map[string]any{"photos": []string{png}}},
		{"an HTML page", "incident.photo_not_jpeg", map[string]any{"photos": []string{base64.StdEncoding.EncodeToString([]byte("<html><script>alert(1)</script>"))}}},
		{"a 400 KB JPEG", "incident.photo_too_large", map[string]any{"photos": []string{base64.StdEncoding.EncodeToString(huge)}}},
	} {
		body := map[string]any{"occurred_at": time.Now().UnixMilli(), "cause": "power", "text": "停电"}
		for k, v := range tc.body {
			body[k] = v
		}
		var e struct{ Error struct{ Code string } }
		if code := call(t, "POST", agentAPI+"/incidents", tok, body, &e); code != 400 || e.Error.Code != tc.code {
			t.Errorf("%s: HTTP %d %q, want 400 %s", tc.name, code, e.Error.Code, tc.code)
		}
	}
	var e struct{ Error struct{ Code string } }
	if code := call(t, "POST", agentAPI+"/incidents/"+id+"/steps", tok, map[string]any{"step": "acknowledge"}, &e); code != 409 || e.Error.Code != "step.hub_only" {
		t.Errorf("the outlet acknowledging its own report: HTTP %d %q, want 409 step.hub_only", code, e.Error.Code)
	}
	if code := call(t, "GET", agentAPI+"/incidents", tok, nil, &list); code != 200 || len(list.Incidents) != 1 || list.Incidents[0].State != "reported" {
		t.Fatalf("after the refused requests: %+v", list)
	}

	// ---- head office back: the report and its photo arrive ----
	c.startHub()
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		code, _, _ := getBytes(t, hubAPI+"/incidents/"+id+"/photos/"+sha, apiToken)
		return code == 200, fmt.Sprintf("head office answers the photo with HTTP %d", code)
	})
	code, hdr, got := getBytes(t, hubAPI+"/incidents/"+id+"/photos/"+sha, apiToken)
	if code != 200 || !bytes.Equal(got, want) {
		t.Fatalf("head office's photo: HTTP %d, %d bytes, want the counter's %d bytes exactly", code, len(got), len(want))
	}
	if hdr.Get("Content-Type") != "image/jpeg" || hdr.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(hdr.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("photo headers: %v", hdr)
	}
	if code, _, _ := getBytes(t, hubAPI+"/incidents/"+id+"/photos/"+strings.Repeat("0", 64), apiToken); code != 404 {
		t.Errorf("an unknown photo: HTTP %d, want 404", code)
	}
	// The queue filters by cause and exports CSV like every list.
	var q struct{ Incidents []struct{ ID string } }
	for cause, n := range map[string]int{"weather": 1, "power": 0} {
		if code := call(t, "GET", hubAPI+"/incidents?open=1&label="+cause, apiToken, nil, &q); code != 200 || len(q.Incidents) != n {
			t.Errorf("?label=%s: HTTP %d, %d incidents, want %d", cause, code, len(q.Incidents), n)
		}
	}
	if code := call(t, "GET", hubAPI+"/incidents?label=aliens", apiToken, nil, &e); code != 400 || e.Error.Code != "request.bad_value" {
		t.Errorf("?label=aliens: HTTP %d %q, want 400 request.bad_value", code, e.Error.Code)
	}
	if code, hdr, csv := getBytes(t, hubAPI+"/incidents?format=csv&lang=en", apiToken); code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") ||
		!strings.Contains(string(csv), "Occurred at") || !strings.Contains(string(csv), id) || !strings.Contains(string(csv), text) {
		t.Errorf("CSV: HTTP %d %q\n%s", code, hdr.Get("Content-Type"), csv)
	}
	addHubAccount(t, hubAPI, lead, "赵磊", "emergency", leadPass)
	// An analyst neither works incident reports nor sees their photos.
	hq := newHeadOffice(t, hubAPI)
	if code := hq.post("fenxi2", "analyst", "/incidents/"+id+"/steps", map[string]any{"step": "note", "note": "x"}, nil); code != 403 {
		t.Errorf("an analyst's step: HTTP %d, want 403", code)
	}
	resp := hq.send("GET", "/incidents/"+id+"/photos/"+sha, hq.sessions["fenxi2"], nil)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("an analyst's GET of the photo: HTTP %d, want 403", resp.StatusCode)
	}

	// ---- the emergency lead on head office's screen ----
	loginHub := func() {
		b.step(t, "log in to head office's screen as "+lead,
			chromedp.Navigate(hubBase+"#/login"),
			chromedp.WaitVisible(chromedp.ID("login-account")),
			chromedp.SendKeys(chromedp.ID("login-account"), lead),
			chromedp.SendKeys(chromedp.ID("login-password"), leadPass),
			chromedp.Click(chromedp.ID("login-submit")),
			waitJS(`document.querySelector('#page').dataset.page && document.querySelector('#page').dataset.page !== 'login'`))
	}
	loginHub()
	row := fmt.Sprintf(`a[data-case=%q]`, id)
	b.step(t, "the incident is in head office's queue",
		runJS(`location.hash = '#/incidents'`),
		waitJS(fmt.Sprintf(`!!document.querySelector(%q)`, row)),
		chromedp.Click(chromedp.CSS(row)),
		waitJS(fmt.Sprintf(`!!document.querySelector('[data-case-id=%q]')`, id)),
		// The photo is shown from head office's route, decoded by the browser.
		waitJS(fmt.Sprintf(`(() => { const img = document.querySelector('[data-incident=photos] img[data-sha=%q]'); return !!img && img.complete && img.naturalWidth > 0; })()`, sha)),
		waitJS(fmt.Sprintf(`document.querySelector('[data-case-id=%q]').innerText.includes(%q)`, id, text)))
	b.step(t, "acknowledge it",
		runJS(`document.querySelector('[data-step-form=acknowledge] textarea').value = '已收到，正在安排。'`),
		chromedp.Click(chromedp.CSS(`[data-step-form=acknowledge] button[data-step=acknowledge]`)),
		waitJS(`document.querySelector('.tag[data-state]').dataset.state === 'acknowledged'`))
	b.step(t, "make a notice draft: the compose page is filled from the report",
		chromedp.Click(chromedp.CSS(`a[data-incident=draft]`)),
		waitJS(`!!document.querySelector('[data-notice=from-incident]')`),
		waitJS(fmt.Sprintf(`document.querySelector('[data-notice=form] [name=title]').value.includes('恶劣天气') && document.querySelector('[data-notice=form] [name=title]').value.includes(%q)`, outlet)),
		waitJS(fmt.Sprintf(`document.querySelector('[data-notice=form] [name=text]').value.includes(%q) && document.querySelector('[data-notice=form] [name=text]').value.includes('35')`, text)),
		waitJS(`document.querySelector('[data-notice=form] [name=severity]').value === 'warning'`),
		waitJS(fmt.Sprintf(`(() => { const c = document.querySelector('[data-scope=outlets] input[data-outlet=%q]'); return !!c && c.checked; })()`, outlet)))
	var notices struct{ Notices []any }
	if code := call(t, "GET", hubAPI+"/notices", apiToken, nil, &notices); code != 200 || len(notices.Notices) != 0 {
		t.Errorf("a draft published a notice: HTTP %d %+v", code, notices)
	}

	// ---- the counter sees head office's step ----
	b.step(t, "back to the counter", chromedp.Navigate(agentBase), chromedp.WaitVisible(chromedp.ID("scan-barcode")))
	card := fmt.Sprintf(`#inc-list li[data-id=%q]`, id)
	untilOnPage(t, b, "#/incidents", "inc-list", "the counter shows head office's acknowledgement",
		fmt.Sprintf(`!!document.querySelector(%q) && document.querySelector(%[1]q + ' .tag.state').dataset.state === 'acknowledged' && !!document.querySelector(%[1]q + ' .history-item[data-origin="hub"][data-step="acknowledge"]')`, card))
	shots.take(t, b, "incidents")
	inLanguage(t, b, "en", "inc-list")
	inLanguage(t, b, "zh", "inc-list")
	b.checkNoExceptions(t)
}

// TestHostileIncidentOverMQTT: an outlet's credentials in a hostile hand
// send an incident report with a photo part that is a PNG, one that claims
// more parts than a photo may have, and head office's acknowledgement. The
// hub acknowledges the batch, refuses exactly those three under their
// codes (dead letters and reject counters name them), lists the report with
// its photo still missing, and its state untouched; through the embedded
// broker and through Mosquitto.
func TestHostileIncidentOverMQTT(t *testing.T) {
	for _, kind := range brokers {
		t.Run(kind, func(t *testing.T) { hostileIncident(t, kind) })
	}
}

func hostileIncident(t *testing.T, kind string) {
	const outlet = "EVIL1"
	c := newCluster(t, kind, outlet)
	c.startHub()
	hubAPI := "http://" + c.hubHTTP + "/api/v1"
	probe := c.mqttAs(outlet, c.secrets[outlet])
	acks := make(chan syncproto.Ack, 16)
	probe.Subscribe(syncproto.AckTopic(outlet), 1, func(_ paho.Client, m paho.Message) {
		var ack syncproto.Ack
		if _, err := syncproto.Decode(m.Payload(), syncproto.KindAck, &ack); err == nil {
			acks <- ack
		}
	}).WaitTimeout(5 * time.Second)

	photo := smallPhoto(t)
	ref, parts := lifecycle.SplitIncidentPhoto(photo)
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	now := time.Now().UnixMilli()
	payloads := []struct {
		typ     string
		payload any
		refused string
	}{
		{lifecycle.IncidentReported, lifecycle.IncidentReportedV1{OccurredAt: now, Cause: "security", Text: "有人闯入", Photos: []lifecycle.IncidentPhotoRef{ref}, At: now}, ""},
		{lifecycle.IncidentPhoto, lifecycle.IncidentPhotoV1{SHA256: ref.SHA256, Part: 0, Parts: 1, Data: base64.StdEncoding.EncodeToString(png)}, "incident.photo_not_jpeg"},
		{lifecycle.IncidentPhoto, lifecycle.IncidentPhotoV1{SHA256: ref.SHA256, Part: 0, Parts: 99, Data: parts[0].Data}, "incident.photo_too_large"},
		{lifecycle.IncidentStep, lifecycle.IncidentStepV1{Step: "acknowledge", At: now}, "step.hub_only"},
	}
	b := syncproto.Batch{Origin: outlet, First: 1, Last: uint64(len(payloads))}
	for i, p := range payloads {
		raw, _ := json.Marshal(p.payload)
		b.Events = append(b.Events, syncproto.Event{ID: fmt.Sprintf("evil-%d", i+1), Origin: outlet, Seq: uint64(i + 1),
			HLC: hlc.Make(now+int64(i), 0), Actor: "x", Type: p.typ, V: 1, Subject: "EVIL-INC", Payload: raw})
	}
	frame, err := syncproto.Encode(syncproto.KindBatch, b, 0)
	if err != nil {
		t.Fatal(err)
	}
	probe.Publish(syncproto.UplinkTopic(outlet), 1, false, frame).WaitTimeout(5 * time.Second)
	var ack syncproto.Ack
	select {
	case ack = <-acks:
	case <-time.After(30 * time.Second):
		t.Fatal("no acknowledgement from the hub")
	}
	got := map[uint64]string{}
	for _, r := range ack.Rejected {
		got[r.Seq] = r.Code
	}
	if ack.AckedSeq != b.Last || len(got) != 3 {
		t.Fatalf("ack %d, rejected %+v; want %d with three refused", ack.AckedSeq, ack.Rejected, b.Last)
	}
	for i, p := range payloads {
		if got[uint64(i+1)] != p.refused {
			t.Errorf("event %d (%s) refused as %q, want %q", i+1, p.typ, got[uint64(i+1)], p.refused)
		}
	}
	var x struct {
		State  string
		Photos []struct{ Complete bool }
		Events []any
	}
	if code := call(t, "GET", hubAPI+"/incidents/EVIL-INC", apiToken, nil, &x); code != 200 || x.State != "reported" || len(x.Photos) != 1 || x.Photos[0].Complete || len(x.Events) != 1 {
		t.Fatalf("head office's report: HTTP %d %+v; want it reported, its photo missing, one event kept", code, x)
	}
	if code, _, _ := getBytes(t, hubAPI+"/incidents/EVIL-INC/photos/"+ref.SHA256, apiToken); code != 404 {
		t.Errorf("the missing photo: HTTP %d, want 404", code)
	}
	r, _ := c.rejects()
	for _, code := range []string{"incident.photo_not_jpeg", "incident.photo_too_large", "step.hub_only"} {
		if r[code] != 1 {
			t.Errorf("reject counter %s = %d, want 1 (%v)", code, r[code], r)
		}
	}
}
