package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/gateway"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// company is a test company gateway: it answers each request with the
// next status of its script (the last one repeats) and records what came.
type company struct {
	mu       sync.Mutex
	script   []int
	requests []http.Header
	bodies   []gateway.Message
}

func (c *company) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var m gateway.Message
	err := json.NewDecoder(r.Body).Decode(&m)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	c.requests = append(c.requests, r.Header.Clone())
	c.bodies = append(c.bodies, m)
	status := c.script[min(len(c.requests)-1, len(c.script)-1)]
	w.WriteHeader(status)
}

func (c *company) seen() []gateway.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]gateway.Message(nil), c.bodies...)
}

type fixture struct {
	st     store.Store
	clk    *clock.Manual
	sender *gateway.Sender
	co     *company
}

func newFixture(t *testing.T, maxAttempts int, script ...int) *fixture {
	t.Helper()
	clk := clock.NewManual(time.Date(2026, 8, 1, 8, 0, 0, 0, time.UTC))
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "hub.db"), sqlite.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	co := &company{script: script}
	srv := httptest.NewServer(co)
	t.Cleanup(srv.Close)
	wh, err := gateway.NewWebhook(srv.URL, "s3cret", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	phones := map[string]string{"c1": "13812345678", "c2": "13900001111"}
	sender, err := gateway.NewSender(gateway.Options{Store: st, Gateway: wh, Clock: clk, MaxAttempts: maxAttempts, Backoff: time.Second,
		Contacts: gateway.ContactsFunc(func(_ context.Context, id string) (string, error) {
			if p, ok := phones[id]; ok {
				return p, nil
			}
			return "", gateway.ErrPermanent
		}),
		Texts: map[string]gateway.Text{"hello": func(lang string, p json.RawMessage) (string, error) { return lang + ":" + string(p), nil }}})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, clk: clk, sender: sender, co: co}
}

// drain runs the sender until nothing is due for an hour of test time.
func (f *fixture) drain(t *testing.T) {
	t.Helper()
	for range 50 {
		n, err := f.sender.SendDue(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			f.clk.Advance(time.Hour)
			if n, _ = f.sender.SendDue(context.Background()); n == 0 {
				return
			}
		}
	}
	t.Fatal("the sender never ran out of due messages")
}

func (f *fixture) state(t *testing.T, key string) store.OutboxRow {
	t.Helper()
	r, err := f.st.OutboxMessage(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestWebhookRetriedThenSentOnce: a gateway answering 503 twice and then
// 200 gets the message three times under one idempotency key; the
// message is then sent, the retries are counted, and it is never sent
// again.
func TestWebhookRetriedThenSentOnce(t *testing.T) {
	f := newFixture(t, 5, 503, 503, 200)
	if _, err := f.st.Enqueue(context.Background(), []store.Message{{Key: "k1", Kind: "hello", Subject: "N1", Customer: "c1", Params: `{"a":1}`}}); err != nil {
		t.Fatal(err)
	}
	// The retry waits for its backoff: nothing is due at once.
	if n, err := f.sender.SendDue(context.Background()); err != nil || n != 1 {
		t.Fatalf("first send: %d %v", n, err)
	}
	if n, _ := f.sender.SendDue(context.Background()); n != 0 {
		t.Fatalf("a failed message was due again at once")
	}
	f.drain(t)
	got := f.co.seen()
	if len(got) != 3 {
		t.Fatalf("the gateway saw %d requests, want 3 (two 503s, one 200)", len(got))
	}
	for i, h := range f.co.requests {
		if h.Get(gateway.IdempotencyHeader) != "k1" || h.Get("Authorization") != "Bearer s3cret" {
			t.Errorf("request %d headers %v", i, h)
		}
		if got[i].To != "13812345678" || got[i].Text != `zh:{"a":1}` || got[i].Key != "k1" {
			t.Errorf("request %d body %+v", i, got[i])
		}
	}
	if r := f.state(t, "k1"); r.State != store.MessageSent || r.Attempts != 3 {
		t.Errorf("message after 503, 503, 200: %+v", r)
	}
	if f.sender.Count("retry") != 2 || f.sender.Count("sent") != 1 || f.sender.Count("failed") != 0 {
		t.Errorf("counted retry %v sent %v failed %v", f.sender.Count("retry"), f.sender.Count("sent"), f.sender.Count("failed"))
	}
	// The row never holds the number.
	if r := f.state(t, "k1"); r.Params != `{"a":1}` || r.LastError == "13812345678" {
		t.Errorf("row %+v", r)
	}
}

// TestWebhookGivesUp: a gateway that keeps failing gets the message
// MaxAttempts times and it fails; a refusal (400) and a customer with no
// number fail at the first attempt.
func TestWebhookGivesUp(t *testing.T) {
	f := newFixture(t, 3, 500)
	ctx := context.Background()
	f.st.Enqueue(ctx, []store.Message{{Key: "k1", Kind: "hello", Customer: "c1"}, {Key: "k2", Kind: "hello", Customer: "nobody"}, {Key: "k3", Kind: "unknown", Customer: "c2"}})
	f.drain(t)
	if r := f.state(t, "k1"); r.State != store.MessageFailed || r.Attempts != 3 || r.LastError != "gateway webhook answered 500" {
		t.Errorf("k1 after three 500s: %+v", r)
	}
	for _, k := range []string{"k2", "k3"} {
		if r := f.state(t, k); r.State != store.MessageFailed || r.Attempts != 1 {
			t.Errorf("%s (no number / no text): %+v, want failed at once", k, r)
		}
	}
	if n := len(f.co.seen()); n != 3 {
		t.Errorf("the gateway saw %d requests, want 3 (k1 only)", n)
	}
	if f.sender.Count("failed") != 3 || f.sender.Count("retry") != 2 {
		t.Errorf("counted failed %v retry %v", f.sender.Count("failed"), f.sender.Count("retry"))
	}

	g := newFixture(t, 5, 400)
	g.st.Enqueue(ctx, []store.Message{{Key: "k1", Kind: "hello", Customer: "c1"}})
	g.drain(t)
	if r := g.state(t, "k1"); r.State != store.MessageFailed || r.Attempts != 1 {
		t.Errorf("after a 400: %+v, want failed at once", r)
	}
}

// TestWebhookTimeoutAndBadURL: a gateway slower than the timeout is a
// failure worth another try; a redirect is a failure, not followed; URLs
// that are not http(s) are refused.
func TestWebhookTimeoutAndBadURL(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	wh, err := gateway.NewWebhook(srv.URL, "", 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	_, err = wh.Send(context.Background(), gateway.Message{Key: "k", To: "13812345678"})
	if err == nil || errors.Is(err, gateway.ErrPermanent) {
		t.Errorf("slow gateway: %v, want a temporary failure", err)
	}
	// A gateway that redirects is not followed: the number goes to the
	// configured URL only.
	var followed sync.Mutex
	hits := 0
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		followed.Lock()
		hits++
		followed.Unlock()
	}))
	defer elsewhere.Close()
	redirect := httptest.NewServer(http.RedirectHandler(elsewhere.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	rw, _ := gateway.NewWebhook(redirect.URL, "", time.Second)
	if _, err := rw.Send(context.Background(), gateway.Message{Key: "k", To: "13812345678"}); err == nil {
		t.Error("a redirect was taken as sent")
	}
	followed.Lock()
	if hits != 0 {
		t.Errorf("the redirect was followed (%d requests elsewhere)", hits)
	}
	followed.Unlock()
	for _, u := range []string{"", "ftp://x/y", "localhost:80", "http://"} {
		if _, err := gateway.NewWebhook(u, "", 0); err == nil {
			t.Errorf("webhook URL %q taken", u)
		}
	}
}
