package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// MessageReceipts records the company gateway's delivery receipts of
// customer messages (store.Store).
type MessageReceipts interface {
	DeliverMessage(ctx context.Context, key string) (bool, error)
	OutboxMessage(ctx context.Context, key string) (store.OutboxRow, error)
}

func (a *api) messageRoutes(mux *http.ServeMux) {
	a.handle(mux, "POST /api/v1/messages/{key}/delivered", a.messageDelivered)
}

// messageDelivered takes a delivery receipt: a sent message becomes
// delivered; a receipt of a delivered one answers the same (the gateway
// may send it again); one of a message not sent yet, or failed, is
// refused, and an unknown key is not found.
func (a *api) messageDelivered(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	var req struct{}
	if !decode(w, r, &req) {
		return
	}
	if a.opt.Messages == nil {
		a.fail(w, r, problem.New(problem.MessageNotFound, "key", key))
		return
	}
	if _, err := a.opt.Messages.DeliverMessage(r.Context(), key); err != nil {
		a.fail(w, r, err)
		return
	}
	m, err := a.opt.Messages.OutboxMessage(r.Context(), key)
	if errors.Is(err, store.ErrNotFound) {
		err = problem.New(problem.MessageNotFound, "key", key)
	} else if err == nil && m.State != store.MessageDelivered {
		err = problem.New(problem.MessageNotSent, "key", key, "state", m.State)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"key": key, "state": m.State})
}
