package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// untilNoticesPage opens the notices page (which fetches the notices in
// force) again and again until cond holds: a notice reaches the outlet
// through the downlink, and the screen polls only every 30 s.
func untilNoticesPage(t *testing.T, b *browser, what, cond string) {
	t.Helper()
	harness.Eventually(t, 40*time.Second, func() (bool, string) {
		ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
		defer cancel()
		err := chromedp.Do(ctx,
			runJS(`location.hash = '#/scan'`), chromedp.WaitVisible(chromedp.ID("scan-barcode")),
			runJS(`location.hash = '#/notices'`), chromedp.WaitVisible(chromedp.ID("notice-list")),
			waitJS(cond))
		return err == nil, what + ": " + b.pageState()
	})
}

// TestNoticeEffectsOnScreen: head office publishes a notice that holds
// parcels 10 days, suspends delivery to 540000 and sets counter hours. The
// notices page lists what it changes; scan-in shows the holding period and
// the hours, and a parcel checked in says it is held 10 days; the sending
// page lists the suspended area and warns when the recipient is there.
// After the recovery notice the banners go, a parcel checked in is held 7
// days, and the first parcel keeps its 10.
func TestNoticeEffectsOnScreen(t *testing.T) {
	const outlet = "EF1"
	c, a, b := parcelScreen(t, outlet, "")
	hubAPI := "http://" + c.hubHTTP + "/api/v1"
	now := time.Now()
	var n struct {
		ID string `json:"id"`
	}
	if code := call(t, "POST", hubAPI+"/notices", apiToken, map[string]any{"title": "双十一期间服务调整", "severity": "warning",
		"text":       "保管期延长至10天，西藏地区暂停派送。",
		"effects":    map[string]any{"hold_days": 10, "delivery_suspended": []string{"540000"}, "counter_hours": map[string]string{"open": "08:00", "close": "22:00"}},
		"valid_from": now.Add(-time.Hour).Format(time.RFC3339), "valid_to": now.Add(7 * 24 * time.Hour).Format(time.RFC3339)}, &n); code != 201 || n.ID == "" {
		t.Fatalf("publish notice: HTTP %d %+v", code, n)
	}

	untilNoticesPage(t, b, "the notice lists its effects",
		fmt.Sprintf(`(() => { const t = %s; return t.includes('现在入库的包裹保管 10 天') && t.includes('暂停派送地区：540000') && t.includes('营业时间 08:00–22:00'); })()`, jsText(".notice-effects")))

	checkIn := func(waybill, phone string) {
		t.Helper()
		b.step(t, "check in "+waybill,
			runJS(`location.hash = '#/scan'`),
			chromedp.WaitVisible(chromedp.ID("scan-barcode")),
			runJS(`document.querySelector('#scan-shelf').value = '4'; document.querySelector('#scan-layer').value = '1'`),
			chromedp.Click(chromedp.ID("scan-barcode")),
			typeFocused(waybill), pressEnter(),
			focusedIs("scan-phone"),
			typeFocused(phone), pressEnter(),
			waitJS(fmt.Sprintf(`%s.includes(%q)`, jsText("#scan-result"), waybill)))
	}
	b.step(t, "scan-in shows the holding period and the hours in force",
		runJS(`location.hash = '#/scan'`),
		chromedp.WaitVisible(chromedp.ID("scan-effects")),
		waitJS(fmt.Sprintf(`%s.includes('保管 10 天') && %[1]s.includes('08:00–22:00') && !%[1]s.includes('540000')`, jsText("#scan-effects"))))
	checkIn("73500000000011", "13800005678")
	b.step(t, "the parcel checked in during the notice is held 10 days",
		waitJS(fmt.Sprintf(`%s.includes('（10 天）')`, jsText("#scan-held"))))

	b.step(t, "sending lists the suspended area and warns for a recipient there",
		runJS(`location.hash = '#/sending'`),
		chromedp.WaitVisible(chromedp.ID("send-dest")),
		waitJS(fmt.Sprintf(`%s.includes('540000')`, jsText("#send-effects"))),
		waitJS(`document.querySelector('#send-dest-suspended').hidden`),
		chromedp.SendKeys(chromedp.ID("send-dest"), "540000"),
		waitJS(fmt.Sprintf(`!document.querySelector('#send-dest-suspended').hidden && %s.includes('540000')`, jsText("#send-dest-suspended"))),
		runJS(`document.querySelector('#send-dest').value = ''; document.querySelector('#send-dest').dispatchEvent(new Event('input'))`),
		waitJS(`document.querySelector('#send-dest-suspended').hidden`))

	if code := call(t, "POST", hubAPI+"/notices/"+n.ID+"/end", apiToken, map[string]any{"text": "恢复正常"}, nil); code != 200 {
		t.Fatalf("end notice: HTTP %d", code)
	}
	untilNoticesPage(t, b, "the ended notice leaves the page", `document.querySelectorAll('.notice-effects').length === 0`)
	b.step(t, "scan-in no longer shows an extension",
		runJS(`location.hash = '#/scan'`),
		chromedp.WaitVisible(chromedp.ID("scan-barcode")),
		waitJS(`document.querySelector('#scan-effects').hidden`))
	checkIn("73500000000022", "13900001234")
	b.step(t, "the parcel checked in after the notice ended is held 7 days",
		waitJS(fmt.Sprintf(`%s.includes('（7 天）')`, jsText("#scan-held"))))

	// Head office holds each parcel's period as it was checked in.
	c.waitDrained(a, 30*time.Second)
	for wb, want := range map[string]int{"73500000000011": 10, "73500000000022": lifecycle.DefaultHoldDays} {
		var in lifecycle.InboundV1
		if err := json.Unmarshal(c.hubEvent(t, outlet, wb, lifecycle.ParcelInbound), &in); err != nil || in.HoldDays != want {
			t.Errorf("%s checked in with hold_days %d (%v), want %d", wb, in.HoldDays, err, want)
		}
	}
	b.checkNoExceptions(t)
}
