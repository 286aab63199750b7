package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
)

// The customer-message outbox: one row per message head office decided to
// send a customer (a notice's start and recovery, a survey's invitation),
// written in the transaction that decides it and delivered later by
// hub/gateway's sender. A row is keyed by the message's unique key, so
// deciding the same message again (a retried step, a second hub) adds
// nothing. A sender claims due rows for a while (its claim token and
// claimed_until), hands each to the gateway once and records the outcome
// under that claim; a claim whose hub died runs out and the row is claimed
// again.
//
// Rows hold no personal data in clear: the customer id only; the phone is
// unsealed at send time, in memory.

// Message states.
const (
	MessagePending   = "pending"   // not handed to the gateway yet, or to try again
	MessageSent      = "sent"      // the gateway took it (2xx)
	MessageDelivered = "delivered" // the gateway reported it delivered
	MessageFailed    = "failed"    // given up: attempts used up, or a permanent refusal
	// MessageCancelled is a notice's start message its end overtook
	// before it went out: neither sent nor failed, and no recovery
	// message follows it.
	MessageCancelled = "cancelled"
)

// MessageStates are the states, in the order screens show them.
var MessageStates = []string{MessagePending, MessageSent, MessageDelivered, MessageFailed, MessageCancelled}

// MessageCapped is the state MessageCounts counts a notice's customers in
// that its start messages left out over the cap per outlet
// (notice_messages.go); no outbox row is ever in it.
const MessageCapped = "capped"

// Message is one customer message to enqueue.
type Message struct {
	// Key is unique across every message ever enqueued, e.g.
	// "notice:<id>:start:<customer>"; it is also the idempotency key the
	// gateway receives, so the company gateway can drop a repeat.
	Key string `json:"key"`
	// Kind names the text it renders with (hub/gateway's Texts), e.g.
	// "notice.start".
	Kind string `json:"kind"`
	// Subject is what it is about (a notice id), for counting.
	Subject string `json:"subject"`
	// Customer is the customer id (Customer.ID) whose sealed phone it
	// goes to.
	Customer string `json:"customer"`
	// Lang is the language it is rendered in; "" is the customer's
	// (Customer.Lang, DefaultLang for a customer the hub has no profile
	// of), looked up as it is enqueued.
	Lang string `json:"lang,omitempty"`
	// Params is a JSON object the kind's text reads; "" for none.
	Params string `json:"params,omitempty"`
	// NotBefore is when it is due at the earliest (Unix ms), e.g. a
	// notice's valid_from; 0 (or a time past) for at once.
	NotBefore int64 `json:"not_before,omitempty"`
}

// MaxMessageKey and MaxMessageParams bound a message's key and parameters.
const (
	MaxMessageKey    = 200
	MaxMessageParams = 8 << 10
)

// Check refuses a message that cannot be enqueued.
func (m *Message) Check() error {
	switch {
	case m.Key == "" || len(m.Key) > MaxMessageKey:
		return fmt.Errorf("message key %q: 1 to %d bytes", m.Key, MaxMessageKey)
	case m.Kind == "" || m.Customer == "":
		return fmt.Errorf("message %s: kind and customer are required", m.Key)
	case len(m.Params) > MaxMessageParams:
		return fmt.Errorf("message %s: parameters of %d bytes, at most %d", m.Key, len(m.Params), MaxMessageParams)
	}
	return nil
}

// OutboxRow is a message as the outbox holds it.
type OutboxRow struct {
	Message
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	// NextAt is when it is due (Unix ms); CreatedAt when it was enqueued;
	// DoneAt when it was sent, delivered or failed (0 before).
	NextAt    int64  `json:"next_at"`
	CreatedAt int64  `json:"created_at"`
	DoneAt    int64  `json:"done_at"`
	LastError string `json:"last_error,omitempty"`
	// Claim is the token of the claim that handed it out (ClaimMessages).
	Claim string `json:"-"`
}

// Outcome is what a sender reports of one claimed message.
type Outcome struct {
	Key, Claim string
	// State is MessageSent or MessageDelivered on success; MessagePending
	// to try again at RetryAt (it becomes MessageFailed once its attempts
	// reach the claim's maximum); MessageFailed to give up now.
	State   string
	RetryAt int64
	Error   string
}

// ErrClaimLost is FinishMessage's answer when the message's claim ran out
// and another claim took it: the outcome is not recorded.
var ErrClaimLost = errors.New("message claim lost")

// MessageCount is how many messages of a kind about a subject are in a
// state.
type MessageCount struct {
	Kind  string `json:"kind"`
	State string `json:"state"`
	N     int64  `json:"n"`
}

// OutboxSQL writes and reads the outbox with the same statements on every
// backend (the table is each backend's migration).
type OutboxSQL struct {
	SQL CustomerSQL
	// SkipLocked makes a claim pass over rows another transaction holds
	// (PostgreSQL's FOR UPDATE SKIP LOCKED); SQLite's single writer
	// needs none.
	SkipLocked bool
}

const outboxColumns = `key, kind, subject, customer, lang, params, state, attempts, next_at, created_at, done_at, last_error, claim`

func scanOutbox(sc Scanner) (OutboxRow, error) {
	var r OutboxRow
	return r, sc.Scan(&r.Key, &r.Kind, &r.Subject, &r.Customer, &r.Lang, &r.Params, &r.State, &r.Attempts,
		&r.NextAt, &r.CreatedAt, &r.DoneAt, &r.LastError, &r.Claim)
}

// customerLang is the SQL of the language of the customer named by the
// next placeholder.
const customerLang = `COALESCE((SELECT c.lang FROM customers c WHERE c.id = ?), '` + DefaultLang + `')`

// Enqueue adds the messages not enqueued before (by key), due at now (or
// their NotBefore), and returns how many were new.
func (q OutboxSQL) Enqueue(ctx context.Context, ms []Message, now int64) (int, error) {
	n := 0
	for i := range ms {
		m := &ms[i]
		if err := m.Check(); err != nil {
			return n, err
		}
		k, err := q.SQL.Exec(ctx, `INSERT INTO outbox (`+outboxColumns+`, claimed_until)
			VALUES (?,?,?,?,COALESCE(NULLIF(CAST(? AS TEXT), ''), `+customerLang+`),?,'pending',0,?,?,0,'','',0) ON CONFLICT (key) DO NOTHING`,
			m.Key, m.Kind, m.Subject, m.Customer, m.Lang, m.Customer, m.Params, max(now, m.NotBefore), now)
		if err != nil {
			return n, fmt.Errorf("enqueue message %s: %w", m.Key, err)
		}
		n += int(k)
	}
	return n, nil
}

// Claim takes up to limit pending messages due at now that no live claim
// holds, under the token claim until until, counting an attempt on each:
// an attempt that dies with its hub counts too, so a message that kills
// its sender still reaches its cap. A start message of a notice whose end
// is still being worked through (notice_jobs) waits: that end cancels it.
func (q OutboxSQL) Claim(ctx context.Context, claim string, now, until int64, limit int) ([]OutboxRow, error) {
	lock := ""
	if q.SkipLocked {
		lock = " FOR UPDATE SKIP LOCKED"
	}
	// The outer conditions repeat the inner ones: PostgreSQL rechecks
	// them on a row another claim changed meanwhile, not the subquery.
	rows, done, err := q.SQL.Query(ctx, `UPDATE outbox SET claim = ?, claimed_until = ?, attempts = attempts + 1
		WHERE key IN (SELECT key FROM outbox WHERE state = 'pending' AND next_at <= ? AND claimed_until <= ?
			AND NOT (kind = '`+NoticeStartMessage+`' AND EXISTS (SELECT 1 FROM notice_jobs j
				WHERE j.notice = outbox.subject AND j.kind = '`+noticeJobEnd+`' AND j.done = 0))
			ORDER BY next_at, key LIMIT ?`+lock+`)
		AND state = 'pending' AND claimed_until <= ?
		RETURNING `+outboxColumns, claim, until, now, now, limit, now)
	if err != nil {
		return nil, fmt.Errorf("claim messages: %w", err)
	}
	defer done()
	return Collect(rows, scanOutbox)
}

// Finish records an outcome under its claim; ErrClaimLost when the claim
// no longer holds the message. maxAttempts turns a retry of a message that
// used them up into MessageFailed.
func (q OutboxSQL) Finish(ctx context.Context, o Outcome, maxAttempts int, now int64) error {
	var n int64
	var err error
	switch o.State {
	case MessageSent, MessageDelivered, MessageFailed:
		n, err = q.SQL.Exec(ctx, `UPDATE outbox SET state = ?, done_at = ?, last_error = ?, claimed_until = 0
			WHERE key = ? AND claim = ? AND state = 'pending'`, o.State, now, o.Error, o.Key, o.Claim)
	case MessagePending:
		n, err = q.SQL.Exec(ctx, `UPDATE outbox SET
			state = CASE WHEN attempts >= ? THEN 'failed' ELSE 'pending' END,
			done_at = CASE WHEN attempts >= ? THEN CAST(? AS BIGINT) ELSE 0 END,
			next_at = ?, last_error = ?, claimed_until = 0
			WHERE key = ? AND claim = ? AND state = 'pending'`, maxAttempts, maxAttempts, now, o.RetryAt, o.Error, o.Key, o.Claim)
	default:
		return fmt.Errorf("message %s: outcome state %q", o.Key, o.State)
	}
	if err != nil {
		return fmt.Errorf("record message %s: %w", o.Key, err)
	}
	if n == 0 {
		return ErrClaimLost
	}
	return nil
}

// Deliver records a delivery receipt for a sent message: ok reports
// whether the message was sent (not yet delivered) before.
func (q OutboxSQL) Deliver(ctx context.Context, key string, now int64) (bool, error) {
	n, err := q.SQL.Exec(ctx, `UPDATE outbox SET state = 'delivered', done_at = ? WHERE key = ? AND state = 'sent'`, now, key)
	return n > 0, err
}

// Message reads one message by key; ErrNotFound if none.
func (q OutboxSQL) Message(ctx context.Context, key string) (OutboxRow, error) {
	rows, done, err := q.SQL.Query(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE key = ?`, key)
	if err != nil {
		return OutboxRow{}, fmt.Errorf("read message: %w", err)
	}
	defer done()
	rs, err := Collect(rows, scanOutbox)
	if err != nil {
		return OutboxRow{}, fmt.Errorf("read message: %w", err)
	}
	if len(rs) == 0 {
		return OutboxRow{}, ErrNotFound
	}
	return rs[0], nil
}

// Counts counts the messages about subject by kind and state, in that
// order; every subject when subject is "".
func (q OutboxSQL) Counts(ctx context.Context, subject string) ([]MessageCount, error) {
	where, args := "", []any{}
	if subject != "" {
		where, args = ` WHERE subject = ?`, append(args, subject)
	}
	rows, done, err := q.SQL.Query(ctx, `SELECT kind, state, count(*) FROM outbox`+where+` GROUP BY kind, state ORDER BY kind, state`, args...)
	if err != nil {
		return nil, fmt.Errorf("count messages: %w", err)
	}
	defer done()
	cs, err := Collect(rows, func(sc Scanner) (MessageCount, error) {
		var c MessageCount
		return c, sc.Scan(&c.Kind, &c.State, &c.N)
	})
	if err != nil || subject == "" {
		return cs, err
	}
	capped, err := q.capped(ctx, subject)
	if err != nil || capped == 0 {
		return cs, err
	}
	return append(cs, MessageCount{Kind: NoticeStartMessage, State: MessageCapped, N: capped}), nil
}

// EndNotice works through a notice's start messages (kind from about
// subject) after key after, at most limit of them (0: all), in key order:
// one still pending that no live claim holds is cancelled; to every other
// it enqueues one message of kind to under key prefix+customer with
// params, in the customer's language. It returns the last start key it
// read ("" for none left) and how many it read.
func (q OutboxSQL) EndNotice(ctx context.Context, subject, from, to, prefix, params, after string, limit int, now int64) (string, int, error) {
	if strings.ContainsAny(prefix, "%_") {
		return "", 0, fmt.Errorf("message key prefix %q", prefix)
	}
	if limit <= 0 {
		limit = math.MaxInt32
	}
	keys, err := queryAll(ctx, q.SQL, scanValue[string], "read the "+from+" messages of "+subject,
		`SELECT key FROM outbox WHERE subject = ? AND kind = ? AND key > ? ORDER BY key LIMIT ?`, subject, from, after, limit)
	if err != nil || len(keys) == 0 {
		return "", 0, err
	}
	last := keys[len(keys)-1]
	if _, err := q.SQL.Exec(ctx, `UPDATE outbox SET state = 'cancelled', done_at = ?
		WHERE subject = ? AND kind = ? AND key > ? AND key <= ? AND state = 'pending' AND claimed_until <= ?`,
		now, subject, from, after, last, now); err != nil {
		return "", 0, fmt.Errorf("cancel the %s messages of %s: %w", from, subject, err)
	}
	if _, err := q.SQL.Exec(ctx, `INSERT INTO outbox (`+outboxColumns+`, claimed_until)
		SELECT CAST(? AS TEXT) || o.customer, CAST(? AS TEXT), o.subject, o.customer,
			COALESCE((SELECT c.lang FROM customers c WHERE c.id = o.customer), o.lang),
			CAST(? AS TEXT), 'pending', 0, CAST(? AS BIGINT), CAST(? AS BIGINT), 0, '', '', 0
		FROM outbox o WHERE o.subject = ? AND o.kind = ? AND o.key > ? AND o.key <= ? AND o.state <> 'cancelled'
		ON CONFLICT (key) DO NOTHING`, prefix, to, params, now, now, subject, from, after, last); err != nil {
		return "", 0, fmt.Errorf("enqueue %s of %s: %w", to, subject, err)
	}
	return last, len(keys), nil
}

// Enqueue implements Store: the messages in a transaction of their own.
func (s *Core) Enqueue(ctx context.Context, ms []Message) (n int, err error) {
	err = s.inTx(ctx, func(tx Tx) error {
		n, err = tx.Outbox().Enqueue(ctx, ms, s.clock.Now().UnixMilli())
		return err
	})
	return n, err
}

// ClaimMessages implements Store.
func (s *Core) ClaimMessages(ctx context.Context, claim string, until int64, limit int) (rs []OutboxRow, err error) {
	err = s.inTx(ctx, func(tx Tx) error {
		rs, err = tx.Outbox().Claim(ctx, claim, s.clock.Now().UnixMilli(), until, limit)
		return err
	})
	return rs, err
}

// FinishMessage implements Store.
func (s *Core) FinishMessage(ctx context.Context, o Outcome, maxAttempts int) error {
	return s.inTx(ctx, func(tx Tx) error { return tx.Outbox().Finish(ctx, o, maxAttempts, s.clock.Now().UnixMilli()) })
}

// DeliverMessage implements Store.
func (s *Core) DeliverMessage(ctx context.Context, key string) (ok bool, err error) {
	err = s.inTx(ctx, func(tx Tx) error {
		ok, err = tx.Outbox().Deliver(ctx, key, s.clock.Now().UnixMilli())
		return err
	})
	return ok, err
}
