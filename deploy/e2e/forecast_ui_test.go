package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/peak/peakgen"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
)

// fillForecastHistory writes two years of generated inbound parcels of
// outlets into the stopped hub's store, counted in the hub's time zone.
func fillForecastHistory(t *testing.T, c *cluster, outlets ...string) {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai") // the hub's default zone
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(c.hubDir(), "hub.db"), sqlite.Options{Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	today := store.DayOf(time.Now().UnixMilli(), loc)
	if err := peakgen.Write(ctx, st, peakgen.Tallies(outlets, today-730, today-1, 11)); err != nil {
		t.Fatal(err)
	}
}

// TestForecastReachesTheCounter: head office's forecast of an outlet
// reaches its agent through the downlink and the counter's forecast page
// shows it with its date; an event head office adds to the calendar
// reaches the counter as a new forecast; with the hub stopped, the page
// still shows the last one.
func TestForecastReachesTheCounter(t *testing.T) {
	const outlet = "FC1"
	c := newCluster(t, "embedded", outlet)
	fillForecastHistory(t, c, outlet)
	c.startHub()
	a := c.newAgent(outlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.startAgent(a, "--pii-key-file", writePIIKey(t))
	base := "http://" + a.http + "/"
	agentAPI, hubAPI := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"
	tok := staffLogin(t, agentAPI, "c01", "1234")

	type day struct {
		Date     string `json:"date"`
		Expected int    `json:"expected"`
		Clerks   int    `json:"clerks"`
		EventZH  string `json:"event_zh"`
	}
	var got struct {
		Forecast *struct {
			AsOf string `json:"as_of"`
			Days []day  `json:"days"`
		} `json:"forecast"`
	}
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		code := call(t, "GET", agentAPI+"/forecast", tok, nil, &got)
		return code == 200 && got.Forecast != nil && len(got.Forecast.Days) == 14, "the agent's forecast"
	})
	// The hub's own plan of the outlet is what the agent holds.
	var plan struct {
		AsOf string `json:"as_of"`
		Days []day  `json:"days"`
	}
	if code := call(t, "GET", hubAPI+"/forecast?outlet="+outlet, apiToken, nil, &plan); code != 200 || plan.AsOf != got.Forecast.AsOf || plan.Days[3] != got.Forecast.Days[3] {
		t.Fatalf("the hub's plan (%d) %+v, the agent holds %+v", code, plan.Days[3], got.Forecast.Days[3])
	}

	b := newBrowser(t)
	shots := newShots(t)
	loginScreen(t, b, base, "c01", "1234", "张三")
	b.step(t, "the forecast page shows the 14 days and their date",
		runJS(`location.hash = '#/forecast'`),
		chromedp.WaitVisible(chromedp.ID("forecast-asof")),
		waitJS(`document.querySelectorAll('.forecast-table tbody tr').length === 14`),
		waitJS(fmt.Sprintf(`document.querySelector('#forecast-asof').innerText.includes(%q)`, got.Forecast.AsOf)))

	// Head office adds a promotion three days ahead, at three times the
	// usual parcels: the counter gets a new forecast with it.
	event := got.Forecast.Days[3].Date
	var added struct{ ID string }
	if code := call(t, "POST", hubAPI+"/calendar", apiToken, map[string]any{"name_zh": "店庆", "name_en": "Store anniversary", "kind": "promotion",
		"first": event, "last": event, "uplift": 3}, &added); code != 201 || added.ID == "" {
		t.Fatalf("add a calendar event: %d %+v", code, added)
	}
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		code := call(t, "GET", agentAPI+"/forecast", tok, nil, &got)
		return code == 200 && got.Forecast != nil && got.Forecast.Days[3].EventZH == "店庆", "the new forecast at the agent"
	})
	if d := got.Forecast.Days[3]; d.Expected < 2*got.Forecast.Days[2].Expected || d.Clerks <= got.Forecast.Days[2].Clerks {
		t.Errorf("the promotion day %+v after %+v: want about three times the parcels and more clerks", d, got.Forecast.Days[2])
	}
	rowSel := fmt.Sprintf(`document.querySelector('.forecast-table tr[data-date="%s"]')`, event)
	b.step(t, "the counter shows the promotion as a peak",
		runJS(`location.hash = '#/scan'`), chromedp.WaitVisible(chromedp.ID("scan-barcode")),
		runJS(`location.hash = '#/forecast'`),
		waitJS(rowSel+` && `+rowSel+`.classList.contains('peak') && `+rowSel+`.innerText.includes('店庆')`))
	shots.take(t, b, "forecast")
	b.step(t, "in English",
		runJS(`document.querySelector('#lang').click()`),
		waitJS(rowSel+` && `+rowSel+`.innerText.includes('Store anniversary')`))

	// Offline: the hub is gone, the page still shows the last forecast.
	c.killHub()
	b.step(t, "offline, the last forecast stays",
		chromedp.Reload(),
		waitJS(rowSel+` && `+rowSel+`.innerText.includes('Store anniversary')`),
		waitJS(fmt.Sprintf(`document.querySelector('#forecast-asof').innerText.includes(%q)`, got.Forecast.AsOf)))
	raw, _ := json.Marshal(got.Forecast.Days[3])
	t.Logf("the counter shows %s", raw)
}

// TestReleaseAgentIgnoresTheForecast: an agent of the release before
// contract minor 4 takes the downlink with head office's forecast in it:
// it moves its cursor past the event, stores nothing of it, and keeps
// taking scans and later downlink events.
func TestReleaseAgentIgnoresTheForecast(t *testing.T) {
	skipShort(t)
	const outlet = "FO1"
	old := harness.BuildAt(t, releaseCommit, agentPkg, hubPkg)
	c := newCluster(t, "embedded", outlet)
	fillForecastHistory(t, c, outlet)
	c.startHub()
	var seq uint64
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		rows := c.hubQuery(t, `SELECT seq, target, event FROM downlink WHERE target = ? AND event LIKE '%forecast.published%'`, outlet)
		if len(rows) > 0 {
			seq, _ = strconv.ParseUint(rows[0][0], 10, 64)
		}
		return seq > 0, "the hub sends the outlet its forecast"
	})
	a := c.newAgent(outlet)
	c.startAgentWith(a, old["yizhan-agent"])
	// It applies the forecast (and a notice after it) and moves on.
	c.publishNotice(t)
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		cursor := metricValue(a.http, "yizhan_agent_down_cursor")
		return cursor >= float64(seq+1), fmt.Sprintf("the release's agent applied the downlink past %d: at %v", seq+1, cursor)
	})
	if _, code, err := postScan(a.http, "73600000000011"); err != nil || code != 201 {
		t.Fatalf("a scan at the release's agent after the forecast: %d %v", code, err)
	}
	c.waitDrained(a, 30*time.Second)
}
