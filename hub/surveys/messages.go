package surveys

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/yizhan/yizhan/hub/gateway"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// OutboxStore is the customer-message outbox as the sender and the
// delivery-receipt route work it (store.Store), with the notices' steps
// that fill it.
type OutboxStore interface {
	ClaimMessages(ctx context.Context, claim string, until int64, limit int) ([]store.OutboxRow, error)
	AdvanceNotices(ctx context.Context) (more bool, err error)
	FinishMessage(ctx context.Context, o store.Outcome, maxAttempts int) error
	DeliverMessage(ctx context.Context, key string) (bool, error)
	OutboxMessage(ctx context.Context, key string) (store.OutboxRow, error)
}

var _ OutboxStore = (store.Store)(nil)

// Outbox is an OutboxStore that records an invitation message's send and
// delivery as hub events (lifecycle.SurveyInvitationSent and
// SurveyInvitationDelivered), each in the transaction that moves the
// message, so the measures count every send and delivery once: a
// receipt posted again, or to another hub, finds the message delivered
// already and records nothing. Every other message passes through.
type Outbox struct {
	OutboxStore
	s *Service
}

var _ gateway.Store = (*Outbox)(nil)

// Outbox wraps next.
func (s *Service) Outbox(next OutboxStore) *Outbox { return &Outbox{OutboxStore: next, s: s} }

// GatewayActor is who an invitation message's events are recorded as.
const GatewayActor = "gateway"

// errNotMoved rolls back a receipt of a message that was not sent (not
// yet, delivered already or failed): there is nothing to record.
var errNotMoved = errors.New("invitation message not moved")

// errNoInvite rolls back an event whose invitation is gone (a retention
// run): the message then moves alone.
var errNoInvite = errors.New("invitation message without its invitation")

// FinishMessage implements gateway.Store: an invitation the gateway took
// is recorded with the outcome.
func (x *Outbox) FinishMessage(ctx context.Context, o store.Outcome, maxAttempts int) error {
	id, ok := store.SurveyMessageInvite(o.Key)
	if !ok || (o.State != store.MessageSent && o.State != store.MessageDelivered) {
		return x.OutboxStore.FinishMessage(ctx, o, maxAttempts)
	}
	typ, direct := lifecycle.SurveyInvitationSent, o.State == store.MessageDelivered
	if direct {
		typ = lifecycle.SurveyInvitationDelivered
	}
	err := x.s.recordMessage(ctx, typ, id, direct, func(ctx context.Context, tx store.Tx, now int64) error {
		return tx.Outbox().Finish(ctx, o, maxAttempts, now)
	})
	if errors.Is(err, errNoInvite) || errors.Is(err, store.ErrExists) {
		return x.OutboxStore.FinishMessage(ctx, o, maxAttempts)
	}
	return err
}

// DeliverMessage implements the receipt route's store: a sent
// invitation's receipt is recorded with the delivery; false, as the
// store answers, when the message was not sent.
func (x *Outbox) DeliverMessage(ctx context.Context, key string) (bool, error) {
	id, ok := store.SurveyMessageInvite(key)
	if !ok {
		return x.OutboxStore.DeliverMessage(ctx, key)
	}
	err := x.s.recordMessage(ctx, lifecycle.SurveyInvitationDelivered, id, false, func(ctx context.Context, tx store.Tx, now int64) error {
		moved, err := tx.Outbox().Deliver(ctx, key, now)
		if err == nil && !moved {
			err = errNotMoved
		}
		return err
	})
	switch {
	case errors.Is(err, errNotMoved):
		return false, nil
	case errors.Is(err, errNoInvite) || errors.Is(err, store.ErrExists):
		return x.OutboxStore.DeliverMessage(ctx, key)
	case err != nil:
		return false, err
	}
	return true, nil
}

// recordMessage stores event typ of invitation id if move, run in the
// same transaction, moves its message. The event's idempotency key is its
// type and invitation, so however a repeat gets past the outbox's state,
// it stores no second event.
func (s *Service) recordMessage(ctx context.Context, typ, id string, direct bool, move func(ctx context.Context, tx store.Tx, now int64) error) error {
	var inv store.SurveyInvite
	now := s.opt.Clock.Now().UnixMilli()
	_, err := s.opt.Events.PublishDownAlloc(ctx, syncproto.HubOrigin, typ, id, GatewayActor, store.SerialAlloc{
		Once: typ + ":" + id,
		Check: func(ctx context.Context, tx store.Tx) error {
			var err error
			if inv, err = tx.Customers().Surveys().Invite(ctx, id); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return errNoInvite
				}
				return err
			}
			return move(ctx, tx, now)
		},
		Fill: func(e *syncproto.Event, _, _ uint64) error {
			var err error
			e.Payload, err = json.Marshal(lifecycle.SurveyInvitationV1{Survey: inv.Survey, Version: inv.Version,
				Trigger: inv.Trigger, Outlet: inv.Outlet, Sent: direct, At: now})
			return err
		},
	})
	if err != nil {
		return fmt.Errorf("record %s of invitation %s: %w", typ, id, err)
	}
	return nil
}
