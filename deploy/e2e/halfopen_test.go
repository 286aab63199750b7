package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
)

// netnsSeq keeps the names of namespaces, links and subnets of one test
// binary apart; the process id keeps them apart from other binaries.
var netnsSeq atomic.Int32

// agentNetns is a network namespace for an agent with two veth pairs to the
// host: the sync link, which the test makes die silently, and a control
// link for the agent's HTTP API, which stays up.
type agentNetns struct {
	t                *testing.T
	name             string
	hostSync, nsSync string // addresses of the sync link
	hostCtrl, nsCtrl string // addresses of the control link
	blackholed       bool
}

// needRoot skips outside root, but never in CI, where tests run as root.
func needRoot(t *testing.T) {
	t.Helper()
	why := ""
	if os.Geteuid() != 0 {
		why = "network namespaces need root"
	} else if _, err := exec.LookPath("ip"); err != nil {
		why = "the ip command (iproute2) is not installed"
	}
	if why == "" {
		return
	}
	harness.SkipOutsideCI(t, "%s; run as root to test a half-open link", why)
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newAgentNetns makes the namespace and its links; t.Cleanup removes them
// whatever happens to the test.
func newAgentNetns(t *testing.T) *agentNetns {
	t.Helper()
	id := fmt.Sprintf("%d%d", os.Getpid()%100000, netnsSeq.Add(1))
	sub := os.Getpid()%200 + int(netnsSeq.Load())%50 + 1 // 10.77.sub.0/30 and 10.78.sub.0/30
	n := &agentNetns{t: t, name: "yzho" + id,
		hostSync: fmt.Sprintf("10.77.%d.1", sub), nsSync: fmt.Sprintf("10.77.%d.2", sub),
		hostCtrl: fmt.Sprintf("10.78.%d.1", sub), nsCtrl: fmt.Sprintf("10.78.%d.2", sub)}
	syncLink, ctrlLink := "yzs"+id, "yzc"+id
	ipCmd(t, "netns", "add", n.name)
	t.Cleanup(func() {
		n.restore()
		// Deleting the namespace deletes the links inside it and with them
		// their host ends; the explicit deletes cover a half-made setup.
		exec.Command("ip", "netns", "del", n.name).Run()
		exec.Command("ip", "link", "del", syncLink).Run()
		exec.Command("ip", "link", "del", ctrlLink).Run()
	})
	ipCmd(t, "-n", n.name, "link", "set", "lo", "up")
	for _, l := range []struct{ link, host, ns string }{{syncLink, n.hostSync, n.nsSync}, {ctrlLink, n.hostCtrl, n.nsCtrl}} {
		ipCmd(t, "link", "add", l.link, "type", "veth", "peer", "name", l.link+"n")
		ipCmd(t, "link", "set", l.link+"n", "netns", n.name)
		ipCmd(t, "addr", "add", l.host+"/30", "dev", l.link)
		ipCmd(t, "link", "set", l.link, "up")
		ipCmd(t, "-n", n.name, "addr", "add", l.ns+"/30", "dev", l.link+"n")
		ipCmd(t, "-n", n.name, "link", "set", l.link+"n", "up")
	}
	return n
}

// blackhole makes the sync link drop everything in both directions without
// a reset or a close: a half-open connection.
func (n *agentNetns) blackhole() {
	n.t.Helper()
	ipCmd(n.t, "route", "add", "blackhole", n.nsSync+"/32")
	ipCmd(n.t, "-n", n.name, "route", "add", "blackhole", n.hostSync+"/32")
	n.blackholed = true
}

// restore brings the sync link back.
func (n *agentNetns) restore() {
	if !n.blackholed {
		return
	}
	n.blackholed = false
	out1, err1 := exec.Command("ip", "route", "del", "blackhole", n.nsSync+"/32").CombinedOutput()
	out2, err2 := exec.Command("ip", "-n", n.name, "route", "del", "blackhole", n.hostSync+"/32").CombinedOutput()
	if err1 != nil || err2 != nil {
		n.t.Errorf("remove blackhole routes: %v %s / %v %s", err1, out1, err2, out2)
	}
}

// heardStatus is the part of GET /api/v1/sync this test reads beyond
// agentSync.
type heardStatus struct {
	Connected     bool   `json:"connected"`
	LastHeard     string `json:"last_heard"`
	LastHeardAgoS *int64 `json:"last_heard_ago_s"`
}

// A link that dies silently is reported offline within 15 s, the sync
// status says how long head office has been silent, and once the link is
// back the agent reconnects and delivers what was scanned meanwhile
// exactly once.
func TestHalfOpenLinkIsNoticed(t *testing.T) {
	needRoot(t)
	const outlet = "HO1"
	c := newCluster(t, "embedded", outlet)
	n := newAgentNetns(t)
	_, port, _ := net.SplitHostPort(harness.FreeAddr(t))
	c.hubMQTT = net.JoinHostPort(n.hostSync, port)
	// The sync link is a veth pair of this test, not loopback: plain MQTT
	// there needs saying so on both sides.
	c.startHub("--mqtt-allow-plain")

	a := c.newAgent(outlet)
	a.http = net.JoinHostPort(n.nsCtrl, "8080") // a fresh namespace has every port free
	c.agentToken(a)                             // before it starts: the command cannot reach into the namespace
	args := append([]string{"netns", "exec", n.name, c.bins["yizhan-agent"]}, c.agentArgs(a, c.brokerURL(), "--allow-plain")...)
	a.proc = harness.Start(t, "ip", args...)
	harness.WaitHTTP(t, "http://"+a.http+"/healthz", 20*time.Second)

	var all []scanned
	all = append(all, scanMany(t, a.http, "HOBEFORE", 10, 2, nil)...)
	c.waitDrained(a, 30*time.Second)

	n.blackhole()
	cut := time.Now()
	// Work in flight on the dead link: batches go out and no ack comes.
	all = append(all, scanMany(t, a.http, "HOINFLIGHT", 5, 1, nil)...)
	var st heardStatus
	offline := false
	for deadline := cut.Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		st = heardStatus{}
		if getJSON(t, "http://"+a.http+"/api/v1/sync", false, &st) == 200 && !st.Connected {
			offline = true
			break
		}
	}
	took := time.Since(cut)
	if !offline {
		t.Fatalf("agent still says connected %v after the link died silently; status %+v", took.Round(time.Millisecond), st)
	}
	t.Logf("offline reported %.1f s after the link died silently", took.Seconds())
	if st.LastHeard == "" || st.LastHeardAgoS == nil {
		t.Fatalf("offline status does not say when head office was last heard: %+v", st)
	}
	heard, err := time.Parse(time.RFC3339Nano, st.LastHeard)
	if err != nil {
		t.Fatalf("last_heard %q: %v", st.LastHeard, err)
	}
	// Nothing can have been heard over the dead link after the cut, but for
	// a packet already past the routes when they went in.
	if heard.After(cut.Add(time.Second)) {
		t.Fatalf("last_heard %v is after the link died at %v", heard, cut)
	}

	// The counter screen says so, and how long head office has been silent.
	b := newBrowser(t)
	b.step(t, "the header says offline and when head office was last heard",
		chromedp.Navigate("http://"+a.http+"/"),
		waitJS(`document.querySelector('#sync-state')?.textContent === '离线' &&
			/^\d+ (秒|分钟)前.*收到总部消息$/.test(document.querySelector('#sync-heard')?.textContent || '')`))

	// Scans while offline are kept for later.
	all = append(all, scanMany(t, a.http, "HOOFFLINE", 10, 2, nil)...)
	if s := a.sync(t); s.Connected || s.Backlog == 0 {
		t.Fatalf("while the link is dead: connected %v, backlog %d", s.Connected, s.Backlog)
	}

	n.restore()
	back := time.Now()
	c.waitDrained(a, 90*time.Second)
	t.Logf("drained %.1f s after the link came back", time.Since(back).Seconds())
	s := a.sync(t)
	if !s.Connected {
		t.Fatalf("drained but not connected: %+v", s)
	}
	if len(all) != 25 {
		t.Fatalf("%d scans accepted, want 25", len(all))
	}
	c.checkExactlyOnce(outlet, s.LastSeq, all)
}
