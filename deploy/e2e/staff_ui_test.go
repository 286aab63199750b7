package e2e

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestStaffScreen: while the agent runs, a supervisor adds a clerk on the
// staff page, the clerk logs in (and sees no staff page), the supervisor
// disables them and their login is refused, and the supervisor unlocks a
// clerk locked by wrong PINs. The staff command works on the running agent
// too, and says it went through it.
func TestStaffScreen(t *testing.T) {
	const outlet = "UI9"
	c := newCluster(t, "embedded", outlet)
	c.startHub()
	a := c.newAgent(outlet)
	c.addStaff(a, "s01", "李主管", "supervisor", "1234")
	c.startAgent(a, "--pii-key-file", writePIIKey(t))
	base := "http://" + a.http + "/"
	agentAPI := "http://" + a.http + "/api/v1"
	checkScreenServed(t, base)

	// The command line while the agent runs: through the agent, saying so.
	out, err := exec.Command(c.bins["yizhan-agent"], "staff", "add", "--data", a.dir, "--id", "c09", "--name", "赵六", "--pin", "9090").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "added c09") || !strings.Contains(string(out), "via the running agent at 127.0.0.1:") {
		t.Fatalf("staff add on a running agent: %v\n%s", err, out)
	}
	// c09 locks itself out with wrong PINs.
	for i := range 5 {
		call(t, "POST", agentAPI+"/session", "", map[string]string{"staff_id": "c09", "pin": fmt.Sprintf("000%d", i)}, nil)
	}
	if code := call(t, "POST", agentAPI+"/session", "", map[string]string{"staff_id": "c09", "pin": "9090"}, nil); code != 429 {
		t.Fatalf("c09 after five wrong PINs: HTTP %d, want 429", code)
	}

	b := newBrowser(t)
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	loginAs := func(what, staff, pin string, then chromedp.Action[chromedp.Void]) {
		b.step(t, what,
			chromedp.WaitVisible(id("login-form")),
			// A refused login keeps the id typed: start afresh.
			runJS(`document.querySelector('#login-staff').value = ''`),
			chromedp.SendKeys(id("login-staff"), staff),
			chromedp.SendKeys(id("login-pin"), pin), pressEnter(),
			then)
	}
	logout := func() {
		b.step(t, "log out", chromedp.Click(id("logout")), chromedp.WaitVisible(id("login-form")))
	}

	b.step(t, "open the screen", chromedp.Navigate(base))
	loginAs("the supervisor logs in", "s01", "1234", chromedp.WaitVisible(id("scan-barcode")))
	b.step(t, "the supervisor adds a clerk on the staff page",
		chromedp.Click(id("nav-staff")),
		chromedp.WaitVisible(css(`#stf-list li[data-id="s01"]`)),
		chromedp.SendKeys(id("stf-id"), "C02"),
		chromedp.SendKeys(id("stf-name"), "王五"),
		chromedp.SendKeys(id("stf-pin"), "2468"),
		chromedp.Click(id("stf-add")),
		chromedp.WaitVisible(css(`#stf-list li[data-id="c02"][data-status="active"]`)),
		waitJS(`document.querySelector('#stf-list li[data-id="c02"]').innerText.includes('王五')`))
	logout()

	loginAs("the new clerk logs in", "c02", "2468", chromedp.WaitVisible(id("scan-barcode")))
	b.step(t, "a clerk has no staff page",
		waitJS(`document.querySelector('#nav-staff') === null`),
		runJS(`location.hash = '#/staff'`),
		chromedp.WaitVisible(id("stf-refused")),
		waitJS(`document.querySelector('#stf-add') === null`))
	logout()

	loginAs("the supervisor logs in again", "s01", "1234", chromedp.WaitVisible(id("scan-barcode")))
	b.step(t, "the supervisor disables the clerk and unlocks the locked one",
		chromedp.Click(id("nav-staff")),
		chromedp.WaitVisible(css(`#stf-list li[data-id="c09"][data-status="locked"]`)),
		chromedp.Click(css(`#stf-list li[data-id="c02"] [data-act="disable"]`)),
		chromedp.WaitVisible(css(`#stf-list li[data-id="c02"][data-status="disabled"]`)),
		chromedp.Click(css(`#stf-list li[data-id="c09"] [data-act="unlock"]`)),
		chromedp.WaitVisible(css(`#stf-list li[data-id="c09"][data-status="active"]`)))
	logout()

	loginAs("the disabled clerk is refused", "c02", "2468", chromedp.WaitVisible(id("error-banner")))
	b.step(t, "the refusal says why",
		waitJS(`document.querySelector('#error-text').innerText.includes('已停用')`),
		waitJS(`document.querySelector('#login-form') !== null`))
	loginAs("the unlocked clerk logs in", "c09", "9090", chromedp.WaitVisible(id("scan-barcode")))
	b.checkNoExceptions(t)
}
