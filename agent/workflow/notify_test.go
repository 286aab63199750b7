package workflow

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWebhookNotifier(t *testing.T) {
	got := make(chan Notification, 1)
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n Notification
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&n) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		got <- n
		w.WriteHeader(status)
	}))
	defer srv.Close()
	w := WebhookNotifier{URL: srv.URL}
	n := Notification{Reason: "arrival", Waybill: "SF1", PickupCode: "3-2-0042", Phone: "13812345678", PhoneMasked: "138****5678", HeldUntil: time.Now()}
	if err := w.Send(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if r := <-got; r.Waybill != "SF1" || r.PickupCode != "3-2-0042" || r.Phone != "13812345678" {
		t.Fatalf("gateway got %+v", r)
	}
	status = http.StatusBadGateway
	if err := w.Send(context.Background(), n); err == nil || !strings.Contains(err.Error(), "502") {
		t.Fatalf("a failing gateway was not reported: %v", err)
	}
	<-got
	if err := (WebhookNotifier{URL: "http://127.0.0.1:1/none"}).Send(context.Background(), n); err == nil {
		t.Fatal("an unreachable gateway was not reported")
	}
}

// The service hands each arrival to the configured notifier with the full
// number, and records the event whatever the gateway does.
func TestArrivalGoesThroughNotifier(t *testing.T) {
	got := make(chan Notification, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n Notification
		json.NewDecoder(r.Body).Decode(&n)
		got <- n
	}))
	defer srv.Close()
	f := newFixture(t, 0)
	f.svc.cfg.Notifier = WebhookNotifier{URL: srv.URL}
	p, _, err := f.svc.Inbound(context.Background(), f.clerk, InboundReq{Barcode: "SF1000000000009", Phone: "13600001111", Shelf: "1", Layer: "1"})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		if n.Reason != "arrival" || n.Phone != "13600001111" || n.PickupCode != p.PickupCode {
			t.Fatalf("notification %+v", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification reached the webhook")
	}
	if p.Notified != 1 {
		t.Fatalf("notified = %d", p.Notified)
	}
}
