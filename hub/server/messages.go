package server

import (
	"context"
	"fmt"
	"maps"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yizhan/yizhan/hub/customers"
	"github.com/yizhan/yizhan/hub/gateway"
	"github.com/yizhan/yizhan/hub/notices"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/surveys"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// newMessages makes the sender of the customer-message outbox: to the
// webhook configured, else to the log. Every hub of a store runs one; the
// outbox's claims give each message to one of them. A survey invitation's
// send is recorded through the surveys (surveys.Outbox), as its receipt
// is on the API.
func newMessages(cfg Config, st store.Store, cs *customers.Service, sv *surveys.Service, reg prometheus.Registerer) (*gateway.Sender, error) {
	texts := notices.MessageTexts(cfg.Location)
	maps.Copy(texts, sv.MessageTexts())
	var gw gateway.Gateway = gateway.Log{Logger: cfg.Logger.With("component", "gateway")}
	if cfg.Gateway.Webhook != "" {
		w, err := gateway.NewWebhook(cfg.Gateway.Webhook, cfg.Gateway.Token, cfg.Gateway.Timeout)
		if err != nil {
			return nil, err
		}
		gw = w
	}
	return gateway.NewSender(gateway.Options{Store: sv.Outbox(st), Gateway: gw, Contacts: contacts(cs), Texts: texts,
		MaxAttempts: cfg.Gateway.MaxAttempts, Timeout: cfg.Gateway.Timeout, Backoff: cfg.Gateway.Backoff,
		Clock: cfg.Clock, Logger: cfg.Logger.With("component", "gateway"), Registerer: reg})
}

// contacts unseals a customer's phone with head office's master key. A
// customer with no number, no key to open it, or a number that will not
// open fails the message at once: another try meets the same.
func contacts(cs *customers.Service) gateway.ContactsFunc {
	return func(ctx context.Context, id string) (string, error) {
		c, err := cs.Reveal(ctx, id)
		switch problem.CodeOf(err) {
		case problem.CustomerNoKey, problem.CustomerNoContact, problem.CustomerNotFound, problem.CustomerUnreadable:
			return "", fmt.Errorf("%w: %w", err, gateway.ErrPermanent)
		}
		return c.Phone, err
	}
}
