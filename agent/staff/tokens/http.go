package tokens

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/syncproto/problem"
)

type ctxKey struct{}

// NewContext returns ctx carrying t, as the agent's gate does for a request
// made with a token.
func NewContext(ctx context.Context, t Token) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// FromContext returns the token the gate put there.
func FromContext(ctx context.Context) (Token, bool) {
	t, ok := ctx.Value(ctxKey{}).(Token)
	return t, ok
}

type addRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

type addResponse struct {
	Token  Token  `json:"token"`
	Secret string `json:"secret"`
}

type listResponse struct {
	Tokens []Token `json:"tokens"`
}

// Routes mounts the token list API on mux, each route for a supervisor's
// session or the local admin token from loopback (staff's Supervisor), so
// "yizhan-agent token" works on a running agent:
//
//	GET    /api/v1/tokens         → 200 {"tokens":[{"name","scopes","created_at"}]}
//	POST   /api/v1/tokens         {"name","scopes":["scans"|"read"]} → 201 {"token","secret"}; 400, 409
//	DELETE /api/v1/tokens/{name}  → 204; 404
//
// The secret is in the answer to POST only: it is stored nowhere.
func (s *Store) Routes(mux *http.ServeMux, sessions *staff.Sessions, logger *slog.Logger) {
	guard := sessions.Supervisor
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	mux.Handle("GET /api/v1/tokens", guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		all, err := s.List()
		if err != nil {
			writeErr(w, err)
			return
		}
		writeJSON(w, http.StatusOK, listResponse{Tokens: all})
	})))
	mux.Handle("POST /api/v1/tokens", guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req addRequest
		if err := problem.Decode(r.Body, 4<<10, &req); err != nil {
			writeErr(w, err)
			return
		}
		secret, t, err := s.Add(req.Name, req.Scopes)
		if err != nil {
			writeErr(w, err)
			return
		}
		logger.Info("API token added", "token", t.Name, "scopes", strings.Join(t.Scopes, ","), "by", by(r))
		writeJSON(w, http.StatusCreated, addResponse{Token: t, Secret: secret})
	})))
	mux.Handle("DELETE /api/v1/tokens/{name}", guard(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := NormalizeName(r.PathValue("name"))
		if err := s.Revoke(name); err != nil {
			writeErr(w, err)
			return
		}
		logger.Info("API token revoked", "token", name, "by", by(r))
		w.WriteHeader(http.StatusNoContent)
	})))
}

// by names who changed the list, for the log: tokens are not events.
func by(r *http.Request) string {
	st, _ := staff.FromContext(r.Context())
	return st.ID
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = problem.Encode(w, v)
}

func writeErr(w http.ResponseWriter, err error) {
	status, body := problem.Response(err)
	writeJSON(w, status, body)
}
