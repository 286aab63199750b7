package e2e

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// TestExceptionDeadlinesOnScreen: each exception counts down its kind's
// handling deadline on the exceptions page. With refused parcels given 20 s
// (on hub and agent alike), a damaged parcel's 7 days tick down while the
// refused one's countdown runs out on the open page and turns into a breach,
// which the agent confirms on reload; head office's ?overdue=1 lists the
// refused one only, with the same breach.
func TestExceptionDeadlinesOnScreen(t *testing.T) {
	const outlet = "UI9"
	const short = "refused=20s"
	c := newCluster(t, "embedded", outlet)
	c.startHub("--exception-deadlines", short)
	a := c.newAgent(outlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.startAgent(a, "--pii-key-file", writePIIKey(t), "--exception-deadlines", short)
	base := "http://" + a.http + "/"
	checkScreenServed(t, base)
	agentAPI, hubAPI := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"

	login := staffLogin(t, agentAPI, "c01", "1234")
	ids := map[string]string{}
	for kind, waybill := range map[string]string{"damaged": "SF1000000000001", "refused": "SF1000000000002"} {
		var rep struct{ Exception struct{ ID string } }
		if code := call(t, "POST", agentAPI+"/exceptions", login, map[string]any{"waybill": waybill, "kind": kind}, &rep); code != 201 {
			t.Fatalf("report %s: HTTP %d", kind, code)
		}
		ids[kind] = rep.Exception.ID
	}
	reported := time.Now()

	b := newBrowser(t)
	loginScreen(t, b, base, "c01", "1234", "张三")
	card := func(kind string) string {
		return fmt.Sprintf(`#exc-list li[data-id=%q] .deadline[data-deadline="handle"]`, ids[kind])
	}
	left := func(kind string) string { return jsText(card(kind) + " .deadline-left") }
	b.step(t, "open the exceptions page",
		chromedp.Navigate(base+"#/exceptions"),
		waitJS(fmt.Sprintf(`document.querySelectorAll('#exc-list li[data-id] .deadline').length === 2 && /\d\d:\d\d:\d\d/.test(%s)`, left("refused"))))

	// The damaged parcel has days left and its countdown ticks.
	damaged := read(t, b, "damaged countdown", chromedp.Evaluate[string](left("damaged")))
	if !regexp.MustCompile(`^(剩余 6天|6d) 23:59:\d\d`).MatchString(damaged) {
		t.Errorf("damaged countdown %q, want 6 days 23:59 left", damaged)
	}
	b.step(t, "the damaged countdown ticks", waitJS(fmt.Sprintf(`%s !== %q`, left("damaged"), damaged)))
	if read(t, b, "damaged breached?", chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).classList.contains('breached')`, card("damaged")))) {
		t.Error("the damaged parcel shows a breach within its 7 days")
	}
	// The refused one runs out on the open page, without a reload.
	if read(t, b, "refused breached early?", chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).classList.contains('breached')`, card("refused")))) &&
		time.Since(reported) < 15*time.Second {
		t.Error("the refused parcel shows a breach before its 20 s")
	}
	waitBreach := func(what string) {
		t.Helper()
		harness.Eventually(t, 40*time.Second, func() (bool, string) {
			s := read(t, b, what, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).classList.contains('breached') + ' ' + %s`, card("refused"), left("refused"))))
			return regexp.MustCompile(`^true (已超时|overdue by) 00:00:\d\d$`).MatchString(s), s
		})
	}
	waitBreach("refused countdown")
	b.step(t, "reload the exceptions page",
		chromedp.Reload(),
		waitJS(`document.querySelectorAll("#exc-list li[data-id] .deadline").length === 2`))
	waitBreach("refused breach after reload")
	if read(t, b, "damaged breached after reload?", chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).classList.contains('breached')`, card("damaged")))) {
		t.Error("the damaged parcel shows a breach after reload")
	}

	// Head office asks for the overdue ones once both reports are up.
	type row struct {
		ID              string   `json:"id"`
		Kind            string   `json:"kind"`
		HandleRemaining int64    `json:"handle_remaining_s"`
		Breached        []string `json:"breached"`
	}
	harness.Eventually(t, 60*time.Second, func() (bool, string) {
		var all struct{ Exceptions []row }
		getJSON(t, hubAPI+"/exceptions", true, &all)
		return len(all.Exceptions) == 2, fmt.Sprintf("%+v", all.Exceptions)
	})
	// The report's time at head office is the outlet's time corrected by
	// its estimate of the hub's clock, which under load can be a second or
	// two off what the screen counted from; so the breach is awaited, and
	// then it must be the refused one alone. Its remaining seconds are 0
	// in the deadline's first second (they count whole seconds, the breach
	// the instant), below after.
	var overdue struct{ Exceptions []row }
	var code int
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		overdue.Exceptions = nil
		code = getJSON(t, hubAPI+"/exceptions?overdue=1&outlet="+outlet, true, &overdue)
		return code != 200 || len(overdue.Exceptions) > 0, fmt.Sprintf("HTTP %d %+v", code, overdue.Exceptions)
	})
	if code != 200 || len(overdue.Exceptions) != 1 ||
		overdue.Exceptions[0].ID != ids["refused"] || fmt.Sprint(overdue.Exceptions[0].Breached) != "[handle_deadline]" || overdue.Exceptions[0].HandleRemaining > 0 {
		t.Errorf("?overdue=1: HTTP %d %+v, want the refused one breached", code, overdue.Exceptions)
	}
	b.checkNoExceptions(t)
}
