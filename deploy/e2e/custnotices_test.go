package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/hub/gateway"
	"github.com/yizhan/yizhan/hub/store"
)

// slowGateway is a company SMS gateway that takes a while over each
// message, and, as a real one keyed by Idempotency-Key, delivers a
// message only once it finished taking it: a request whose sender went
// away meanwhile is not delivered.
type slowGateway struct {
	delay time.Duration
	mu    sync.Mutex
	// arrived counts requests by key; delivered counts deliveries by key.
	arrived, delivered map[string]int
	msgs               map[string]gateway.Message
	first              chan struct{}
	once               sync.Once
}

func (g *slowGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m gateway.Message
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil || m.Key == "" || m.Key != r.Header.Get(gateway.IdempotencyHeader) {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	g.arrived[m.Key]++
	g.mu.Unlock()
	g.once.Do(func() { close(g.first) })
	select {
	case <-time.After(g.delay):
	case <-r.Context().Done():
		return // the hub went away: not taken
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.delivered[m.Key] > 0 {
		// A repeat of a message taken before: dropped by its key, but
		// counted, since the hub should not have sent it.
		g.delivered[m.Key]++
		return
	}
	g.delivered[m.Key]++
	g.msgs[m.Key] = m
}

func (g *slowGateway) counts() (arrived, delivered map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a, d := map[string]int{}, map[string]int{}
	for k, v := range g.arrived {
		a[k] = v
	}
	for k, v := range g.delivered {
		d[k] = v
	}
	return a, d
}

// TestNoticeMessagesSurviveHubKill: a notice to every outlet, one of
// them with a dozen customers waiting, makes the hub message them through
// a slow gateway (its steps taken by the hub's sender); the hub is
// SIGKILLed while the first messages are at the gateway, started again,
// and every customer is then sent the message exactly once (by key), none
// of them twice, and the notice counts them sent.
func TestNoticeMessagesSurviveHubKill(t *testing.T) {
	const outlet = "KN1"
	const customers = 12
	c := newCluster(t, "embedded", outlet)
	keys := t.TempDir()
	masterFile := filepath.Join(keys, "master.key")
	if out, err := exec.Command(c.bins["yizhan-agent"], "keygen", "--out", masterFile).CombinedOutput(); err != nil {
		t.Fatalf("keygen: %v\n%s", err, out)
	}
	keyFile := filepath.Join(keys, outlet+".key")
	if out, err := exec.Command(c.bins["yizhan-hub"], "outlet", "key", "--master", masterFile, "--id", outlet, "--out", keyFile).CombinedOutput(); err != nil {
		t.Fatalf("outlet key: %v\n%s", err, out)
	}
	gw := &slowGateway{delay: 1500 * time.Millisecond, arrived: map[string]int{}, delivered: map[string]int{}, msgs: map[string]gateway.Message{}, first: make(chan struct{})}
	srv := httptest.NewServer(gw)
	defer srv.Close()
	hubArgs := []string{"--master-key", masterFile, "--gateway-webhook", srv.URL, "--gateway-timeout", "3s"}
	c.startHub(hubArgs...)
	a := c.newAgent(outlet)
	c.addStaff(a, "c01", "张三", "clerk", "1234")
	c.startAgent(a, "--pii-key-file", keyFile)
	api, hubAPI := "http://"+a.http+"/api/v1", "http://"+c.hubHTTP+"/api/v1"
	tok := staffLogin(t, api, "c01", "1234")
	phones := map[string]bool{}
	for i := range customers {
		phone := fmt.Sprintf("1390000%04d", i)
		phones[phone] = true
		if code := call(t, "POST", api+"/parcels/inbound", tok, map[string]string{"barcode": fmt.Sprintf("SF70000000%05d", i), "phone": phone,
			"shelf": "1", "layer": "1"}, nil); code != 201 {
			t.Fatalf("inbound %d: HTTP %d", i, code)
		}
	}
	c.waitDrained(a, 60*time.Second)

	var n struct{ ID string }
	if code := call(t, "POST", hubAPI+"/notices", apiToken, map[string]any{"title": "道路封闭", "text": "因道路封闭，全网暂停派送。"}, &n); code != 201 {
		t.Fatalf("publish: HTTP %d", code)
	}
	select {
	case <-gw.first:
	case <-time.After(60 * time.Second):
		t.Fatal("no message reached the gateway")
	}
	c.killHub()
	arrivedAtKill, deliveredAtKill := gw.counts()
	t.Logf("at the kill: %d messages at the gateway, %d taken", len(arrivedAtKill), len(deliveredAtKill))
	if len(arrivedAtKill) == 0 || len(deliveredAtKill) == customers {
		t.Fatalf("the kill came too late to be mid-send: %d arrived, %d taken", len(arrivedAtKill), len(deliveredAtKill))
	}
	c.startHub(hubArgs...)

	harness.Eventually(t, 120*time.Second, func() (bool, string) {
		_, d := gw.counts()
		return len(d) == customers, fmt.Sprintf("%d of %d customers messaged", len(d), customers)
	})
	// A round more for any message that should not come.
	var view struct {
		Messages map[string]map[string]int64 `json:"messages"`
	}
	harness.Eventually(t, 30*time.Second, func() (bool, string) {
		call(t, "GET", hubAPI+"/notices/"+n.ID, apiToken, nil, &view)
		return view.Messages[store.NoticeStartMessage]["sent"] == customers, fmt.Sprintf("notice view %+v", view.Messages)
	})
	arrived, delivered := gw.counts()
	to := map[string]int{}
	for k, v := range delivered {
		if v != 1 {
			t.Errorf("message %s delivered %d times", k, v)
		}
		to[gw.msgs[k].To]++
	}
	for p := range phones {
		if to[p] != 1 {
			t.Errorf("%s got %d messages, want 1", p, to[p])
		}
	}
	resent := 0
	for k, v := range arrived {
		if v > 1 {
			resent++
			if arrivedAtKill[k] == 0 {
				t.Errorf("message %s came %d times though it was not at the gateway at the kill", k, v)
			}
		}
	}
	t.Logf("%d messages in flight at the kill were handed over again after the restart, under the same key", resent)
	if m := view.Messages[store.NoticeStartMessage]; m["failed"] != 0 || m["pending"] != 0 || m["capped"] != 0 || m["cancelled"] != 0 {
		t.Errorf("notice view %+v", view.Messages)
	}
}
