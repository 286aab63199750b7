package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// A notice's customer messages, decided in the transaction that appends
// the notice's downlink event to an outlet (AppendDown): the notice's
// publication to an outlet enqueues one start message for each customer
// with a parcel waiting there (inbound, on the shelf, overdue) or out for
// delivery from there, once per customer across the notice's outlets; its
// end enqueues one recovery message to each customer a start message went
// to. Keys make both idempotent across retries, restarts and hubs. A notice
// to every outlet (no scope) messages no one: it is news, not an outage
// somewhere; so does one published with NoCustomerMessages.

// Kinds of a notice's customer messages (Message.Kind).
const (
	NoticeStartMessage = "notice.start"
	NoticeEndMessage   = "notice.end"
)

// NoticeMessageParams are what a notice's customer messages render from
// (Message.Params).
type NoticeMessageParams struct {
	Title string `json:"title"`
	Text  string `json:"text,omitempty"`
	// Until is the expected recovery (the notice's valid_to), Unix ms; 0
	// when not known.
	Until int64 `json:"until,omitempty"`
	// Recovery is the recovery notice's text (NoticeEndMessage).
	Recovery string `json:"recovery,omitempty"`
}

// AffectedStates are the parcel states whose customers a notice at their
// outlet messages: waiting there, or out for delivery from it.
var AffectedStates = []string{lifecycle.ParcelStateInbound, lifecycle.ParcelStateInStock, lifecycle.ParcelStateOverdue, lifecycle.ParcelStateOutForDelivery}

// NoticeMessageKey is the key of a notice's message of kind to customer.
func NoticeMessageKey(notice, kind, customer string) string {
	part := "start"
	if kind == NoticeEndMessage {
		part = "end"
	}
	return "notice:" + notice + ":" + part + ":" + customer
}

// noticeMessages enqueues what e, a downlink event appended in tx, decides.
func noticeMessages(ctx context.Context, tx Tx, e *syncproto.Event, now int64) error {
	if e.Subject == "" {
		return nil
	}
	switch e.Type {
	case lifecycle.NoticePublished:
		if e.Target == "" || e.Target == syncproto.TargetAll {
			return nil
		}
		var p lifecycle.NoticePublishedV1
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.NoCustomerMessages {
			return nil
		}
		ids, err := affected(ctx, tx, e.Target)
		if err != nil {
			return err
		}
		params, _ := json.Marshal(NoticeMessageParams{Title: p.Title, Text: p.Text, Until: p.ValidTo})
		ms := make([]Message, 0, len(ids))
		for _, id := range ids {
			m := Message{Key: NoticeMessageKey(e.Subject, NoticeStartMessage, id), Kind: NoticeStartMessage, Subject: e.Subject, Customer: id, Params: string(params)}
			// A customer id no phone hashes to (an outlet may send any)
			// is left out rather than failing the notice.
			if m.Check() == nil {
				ms = append(ms, m)
			}
		}
		_, err = tx.Outbox().Enqueue(ctx, ms, now)
		return err
	case lifecycle.NoticeEnded:
		var end lifecycle.NoticeEndedV1
		if err := json.Unmarshal(e.Payload, &end); err != nil {
			return nil
		}
		evs, err := tx.SubjectEvents(ctx, e.Subject)
		if err != nil {
			return fmt.Errorf("read notice %s: %w", e.Subject, err)
		}
		n := lifecycle.FoldNotice(e.Subject, evs)
		params, _ := json.Marshal(NoticeMessageParams{Title: n.Title, Recovery: end.Text})
		_, err = tx.Outbox().Resend(ctx, e.Subject, NoticeStartMessage, NoticeEndMessage, "notice:"+e.Subject+":end:", string(params), now)
		return err
	}
	return nil
}

// affected lists, by id, the customers of the parcels at outlet in one of
// AffectedStates (the customer its latest intake there named) who left a
// number to reach them by.
func affected(ctx context.Context, tx Tx, outlet string) ([]string, error) {
	waybills, err := tx.Outbox().Waybills(ctx, outlet, AffectedStates)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for chunk := range slices.Chunk(waybills, pickupsPerRead) {
		evs, err := parcelEventsOf(ctx, tx, outlet, chunk)
		if err != nil {
			return nil, err
		}
		for _, w := range chunk {
			id := intakeCustomer(evs, w, math.MaxInt64)
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			c, err := tx.Customers().Customer(ctx, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if c.Contact.PhoneSealed != "" {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Waybills lists the waybills of the parcel index at outlet in one of
// states.
func (q OutboxSQL) Waybills(ctx context.Context, outlet string, states []string) ([]string, error) {
	args := []any{outlet}
	for _, s := range states {
		args = append(args, s)
	}
	rows, done, err := q.SQL.Query(ctx, `SELECT waybill FROM parcels WHERE outlet = ? AND state IN (?`+strings.Repeat(",?", len(states)-1)+`) ORDER BY waybill`, args...)
	if err != nil {
		return nil, fmt.Errorf("find the parcels at %s: %w", outlet, err)
	}
	defer done()
	return Collect(rows, func(sc Scanner) (string, error) {
		var w string
		return w, sc.Scan(&w)
	})
}
