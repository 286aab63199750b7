package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Notification is what the recipient is told.
type Notification struct {
	Reason      string    `json:"reason"` // arrival, reminder
	Outlet      string    `json:"outlet"`
	Waybill     string    `json:"waybill"`
	PickupCode  string    `json:"pickup_code"`
	Phone       string    `json:"phone"` // full: the gateway needs it to send
	PhoneMasked string    `json:"phone_masked"`
	HeldUntil   time.Time `json:"held_until"`
}

// Notifier delivers notifications. No SMS vendor is wired in: the webhook
// hands them to whatever gateway the company runs.
type Notifier interface {
	Name() string
	Send(ctx context.Context, n Notification) error
}

// LogNotifier only logs (masked), for outlets without a gateway and for the
// demo.
type LogNotifier struct{ Logger *slog.Logger }

func (LogNotifier) Name() string { return "log" }

func (l LogNotifier) Send(_ context.Context, n Notification) error {
	l.Logger.Info("notify recipient", "reason", n.Reason, "waybill", n.Waybill, "pickup_code", n.PickupCode, "phone", n.PhoneMasked)
	return nil
}

// WebhookNotifier POSTs each notification as JSON to URL.
type WebhookNotifier struct {
	URL    string
	Client *http.Client
}

func (WebhookNotifier) Name() string { return "webhook" }

func (w WebhookNotifier) Send(ctx context.Context, n Notification) error {
	body, err := json.Marshal(n)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("notification webhook %s: %w", w.URL, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("notification webhook %s answered %s", w.URL, resp.Status)
	}
	return nil
}
