// Package gateway sends head office's messages to customers (a notice's
// start and recovery, a survey's invitation) through the company's SMS or
// WeChat gateway: a Gateway is one way to hand a message over (Webhook
// posts JSON to the company's gateway, Log writes a masked line for the
// demo), and a Sender delivers the store's outbox through one, with
// retries and backoff, at most once per claim.
//
// Nothing is sent twice: a message is enqueued once by its key
// (store.Message), handed to the gateway at most once per successful claim
// and marked sent right after under that claim. One rare repeat remains: a
// hub that dies after the gateway took a message and before it recorded
// that sends it again once its claim runs out. The webhook carries the
// message key as its Idempotency-Key header, so the company gateway drops
// that repeat.
package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/yizhan/yizhan/syncproto/phone"
)

// Message is one message as a Gateway hands it over.
type Message struct {
	// Key is unique per message: the idempotency key.
	Key  string `json:"key"`
	Kind string `json:"kind"`
	// To is the customer's phone number in clear: unsealed for this send
	// only, never logged or stored.
	To string `json:"to"`
	// Lang is the language Text is in: the customer's (zh or en).
	Lang string `json:"lang"`
	Text string `json:"text"`
}

// Receipt is what a gateway answered for a message it took.
type Receipt struct {
	// Delivered is set when the gateway reports the message delivered
	// already (the log gateway; a webhook answering "status":"delivered").
	Delivered bool
}

// Gateway hands messages to customers.
type Gateway interface {
	// Send hands m over once; an error wrapping ErrPermanent is not worth
	// another try (the gateway refused the message itself).
	Send(ctx context.Context, m Message) (Receipt, error)
}

// ErrPermanent marks a refusal that another attempt would meet again.
var ErrPermanent = errors.New("refused for good")

// Webhook posts each message as JSON to the company's gateway.
type Webhook struct {
	URL string
	// Token, if set, goes in the Authorization header as a bearer token.
	Token string
	// Client makes the requests; its Timeout bounds each send. A nil
	// Client is one with DefaultTimeout that follows no redirect.
	Client *http.Client
}

// DefaultTimeout bounds one webhook request.
const DefaultTimeout = 10 * time.Second

var _ Gateway = (*Webhook)(nil)

// NewWebhook checks the URL and returns a Webhook with its own client.
func NewWebhook(rawURL, token string, timeout time.Duration) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("gateway webhook %q: want an http or https URL", rawURL)
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Webhook{URL: rawURL, Token: token, Client: &http.Client{Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

// IdempotencyHeader carries the message key on every webhook request.
const IdempotencyHeader = "Idempotency-Key"

// Send implements Gateway: 2xx is taken, 408, 425, 429 and 5xx (and no
// answer) are worth another try, any other answer is permanent. Errors
// name the status only: an answer's body might echo the number.
func (w *Webhook) Send(ctx context.Context, m Message) (Receipt, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return Receipt{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return Receipt{}, fmt.Errorf("gateway webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(IdempotencyHeader, m.Key)
	if w.Token != "" {
		req.Header.Set("Authorization", "Bearer "+w.Token)
	}
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: DefaultTimeout}
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL may hold a secret
		}
		return Receipt{}, fmt.Errorf("gateway webhook: %w", err)
	}
	defer resp.Body.Close()
	var answer struct {
		Status string `json:"status"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		_ = json.Unmarshal(raw, &answer)
		return Receipt{Delivered: answer.Status == "delivered"}, nil
	case s == http.StatusRequestTimeout || s == http.StatusTooEarly || s == http.StatusTooManyRequests || s >= 500:
		return Receipt{}, fmt.Errorf("gateway webhook answered %d", s)
	default:
		return Receipt{}, fmt.Errorf("gateway webhook answered %d: %w", s, ErrPermanent)
	}
}

// Log writes each message to a logger, the number masked: the demo's
// gateway, which delivers at once.
type Log struct{ Logger *slog.Logger }

var _ Gateway = Log{}

// Send implements Gateway.
func (l Log) Send(_ context.Context, m Message) (Receipt, error) {
	l.Logger.Info("customer message", "key", m.Key, "kind", m.Kind, "to", phone.Mask(m.To), "lang", m.Lang, "text", m.Text)
	return Receipt{Delivered: true}, nil
}
