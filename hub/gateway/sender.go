package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/clock"
)

// Store is the outbox as a Sender works it (store.Store), and the steps
// of the notices to every outlet that fill it.
type Store interface {
	ClaimMessages(ctx context.Context, claim string, until int64, limit int) ([]store.OutboxRow, error)
	FinishMessage(ctx context.Context, o store.Outcome, maxAttempts int) error
	AdvanceNotices(ctx context.Context) (more bool, err error)
}

// Contacts unseals a customer's phone number for one send. An error
// wrapping ErrPermanent (no key, no contact) fails the message at once.
type Contacts interface {
	Phone(ctx context.Context, customer string) (string, error)
}

// ContactsFunc adapts a function to Contacts.
type ContactsFunc func(ctx context.Context, customer string) (string, error)

// Phone calls f.
func (f ContactsFunc) Phone(ctx context.Context, customer string) (string, error) {
	return f(ctx, customer)
}

// Text renders a message kind's text in lang ("" or "zh" for Chinese, "en")
// from the parameters it was enqueued with.
type Text func(lang string, params json.RawMessage) (string, error)

// Options configure a Sender. Store, Gateway, Contacts and Texts are
// required.
type Options struct {
	Store    Store
	Gateway  Gateway
	Contacts Contacts
	// Texts renders each kind of message; a kind without one fails.
	Texts map[string]Text
	// MaxAttempts is how many times a message is tried before it is
	// failed; DefaultMaxAttempts if 0.
	MaxAttempts int
	// Timeout bounds one send (the webhook's own timeout should be the
	// same); DefaultTimeout if 0. A claim lasts twice that and a margin,
	// so a live sender always records its outcome before another hub may
	// claim the message again.
	Timeout time.Duration
	// Batch is how many messages one claim takes and sends at once;
	// DefaultBatch if 0.
	Batch int
	// Backoff is the first retry's delay and Cap the longest, doubled
	// with ±50 % jitter in between (DefaultBackoff, DefaultBackoffCap).
	Backoff, Cap time.Duration
	Clock        clock.Clock
	Logger       *slog.Logger
	// Registerer receives the counters (docs/METRICS.md); nil for none.
	Registerer prometheus.Registerer
}

// Defaults of Options.
const (
	DefaultMaxAttempts = 8
	DefaultBatch       = 8
	DefaultBackoff     = 30 * time.Second
	DefaultBackoffCap  = time.Hour
)

// Sender delivers the outbox.
type Sender struct {
	opt      Options
	lease    time.Duration
	outcomes *prometheus.CounterVec
}

// NewSender returns a Sender.
func NewSender(opt Options) (*Sender, error) {
	if opt.Store == nil || opt.Gateway == nil || opt.Contacts == nil || opt.Texts == nil {
		return nil, errors.New("gateway: Store, Gateway, Contacts and Texts are required")
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = DefaultMaxAttempts
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Batch <= 0 {
		opt.Batch = DefaultBatch
	}
	if opt.Backoff <= 0 {
		opt.Backoff = DefaultBackoff
	}
	if opt.Cap < opt.Backoff {
		opt.Cap = max(DefaultBackoffCap, opt.Backoff)
	}
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Sender{opt: opt, lease: 2*opt.Timeout + 5*time.Second,
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yizhan_hub_customer_messages_total",
			Help: "customer messages this hub handed to the gateway, by outcome: sent, delivered (the gateway said so at once), retry (failed, tried again later), failed (given up), claim_lost (recorded too late; another hub had it)"},
			[]string{"outcome"})}
	for _, o := range []string{"sent", "delivered", "retry", "failed", "claim_lost"} {
		s.outcomes.WithLabelValues(o)
	}
	if opt.Registerer != nil {
		if err := opt.Registerer.Register(s.outcomes); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Count is the number of messages of an outcome this Sender recorded.
func (s *Sender) Count(outcome string) float64 {
	var m dto.Metric
	if err := s.outcomes.WithLabelValues(outcome).Write(&m); err != nil {
		return 0
	}
	return m.GetCounter().GetValue()
}

// Run sends due messages until ctx ends, looking again every every while
// there is nothing to send, and at once while claims come back full. Each
// round first takes one step of a notice to every outlet (each hub takes
// them in turn), so a national notice fills the outbox a bounded
// transaction at a time while messages already go out.
func (s *Sender) Run(ctx context.Context, every time.Duration, onErr func(error)) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		more, aerr := s.opt.Store.AdvanceNotices(ctx)
		if aerr != nil {
			aerr = fmt.Errorf("enqueue a notice's messages: %w", aerr)
		}
		n, err := s.SendDue(ctx)
		if err = errors.Join(aerr, err); err != nil && ctx.Err() == nil {
			onErr(err)
		}
		if (n == s.opt.Batch || more) && err == nil {
			t.Reset(0)
		} else {
			t.Reset(every)
		}
	}
}

// SendDue claims one batch of due messages, sends them at once and
// records each outcome; it returns how many it claimed.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return 0, err
	}
	claim := hex.EncodeToString(b[:])
	rows, err := s.opt.Store.ClaimMessages(ctx, claim, s.opt.Clock.Now().Add(s.lease).UnixMilli(), s.opt.Batch)
	if err != nil {
		return 0, fmt.Errorf("claim customer messages: %w", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(rows))
	for i := range rows {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.send(ctx, rows[i])
		}()
	}
	wg.Wait()
	return len(rows), errors.Join(errs...)
}

// send hands one claimed message to the gateway and records the outcome.
func (s *Sender) send(ctx context.Context, r store.OutboxRow) error {
	o := store.Outcome{Key: r.Key, Claim: r.Claim}
	receipt, err := s.deliver(ctx, r)
	switch {
	case err == nil && receipt.Delivered:
		o.State = store.MessageDelivered
	case err == nil:
		o.State = store.MessageSent
	case errors.Is(err, ErrPermanent) || r.Attempts >= s.opt.MaxAttempts:
		o.State, o.Error = store.MessageFailed, err.Error()
	default:
		o.State, o.Error, o.RetryAt = store.MessagePending, err.Error(), s.retryAt(r.Attempts)
	}
	// The outcome is recorded even when ctx ended meanwhile: the send
	// happened.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opt.Timeout)
	defer cancel()
	ferr := s.opt.Store.FinishMessage(fctx, o, s.opt.MaxAttempts)
	label := o.State
	switch {
	case errors.Is(ferr, store.ErrClaimLost):
		label, ferr = "claim_lost", nil
		s.opt.Logger.Warn("customer message recorded after its claim ran out", "key", r.Key)
	case o.State == store.MessagePending:
		label = "retry"
	}
	if ferr != nil {
		return fmt.Errorf("record customer message %s: %w", r.Key, ferr)
	}
	s.outcomes.WithLabelValues(label).Inc()
	if err != nil {
		s.opt.Logger.Warn("customer message not sent", "key", r.Key, "attempt", r.Attempts, "state", o.State, "err", err)
	}
	return nil
}

// deliver renders r, unseals its number and hands it over.
func (s *Sender) deliver(ctx context.Context, r store.OutboxRow) (Receipt, error) {
	text, ok := s.opt.Texts[r.Kind]
	if !ok {
		return Receipt{}, fmt.Errorf("no text for messages of kind %q: %w", r.Kind, ErrPermanent)
	}
	params := json.RawMessage(r.Params)
	if r.Params == "" {
		params = json.RawMessage("{}")
	}
	body, err := text(r.Lang, params)
	if err != nil {
		return Receipt{}, fmt.Errorf("render %s: %v: %w", r.Kind, err, ErrPermanent)
	}
	to, err := s.opt.Contacts.Phone(ctx, r.Customer)
	if err != nil {
		return Receipt{}, fmt.Errorf("customer's number: %w", err)
	}
	sctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	return s.opt.Gateway.Send(sctx, Message{Key: r.Key, Kind: r.Kind, To: to, Lang: r.Lang, Text: body})
}

// retryAt is when a message that failed its attempt-th try is due again:
// exponential from Backoff to Cap, with jitter, as cenkalti/backoff
// computes it.
func (s *Sender) retryAt(attempt int) int64 {
	b := &backoff.ExponentialBackOff{InitialInterval: s.opt.Backoff, RandomizationFactor: 0.5, Multiplier: 2,
		MaxInterval: s.opt.Cap, Stop: backoff.Stop, Clock: backoff.SystemClock}
	b.Reset()
	d := b.NextBackOff()
	for i := 1; i < attempt; i++ {
		d = b.NextBackOff()
	}
	return s.opt.Clock.Now().Add(d).UnixMilli()
}
