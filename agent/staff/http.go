package staff

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto/problem"
)

type ctxKey struct{}

// NewContext returns ctx carrying st, as Middleware does; handler tests use
// it to act as a logged-in member.
func NewContext(ctx context.Context, st Staff) context.Context {
	return context.WithValue(ctx, ctxKey{}, st)
}

// FromContext returns the logged-in staff member Middleware put there.
func FromContext(ctx context.Context) (Staff, bool) {
	st, ok := ctx.Value(ctxKey{}).(Staff)
	return st, ok
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = problem.Encode(w, v)
}

// writeErr answers err in the one error shape (syncproto/problem).
func writeErr(w http.ResponseWriter, err error) {
	status, body := problem.Response(err)
	writeJSON(w, status, body)
}

func unauthenticated(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="yizhan-agent"`)
	writeErr(w, problem.New(problem.AuthLoginRequired))
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	return problem.BearerToken(r.Header.Get("Authorization"))
}

// Middleware lets a request through only with a live session, and puts
// its staff member in the request context. Otherwise it answers 401.
func (s *Sessions) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok {
			unauthenticated(w)
			return
		}
		st, ok := s.Lookup(token)
		if !ok {
			unauthenticated(w)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), st)))
	})
}

// roleRequired is the refusal for a member without role.
var roleRequired = map[string]problem.Code{RoleSupervisor: problem.AuthSupervisorRequired, RoleClerk: problem.AuthClerkRequired}

// RequireRole lets a request through only if the staff member in its
// context may act in role (a supervisor may act as a clerk). Put it inside
// Middleware. It answers 401 without a staff member and 403 with the wrong
// role. It panics on an unknown role, a mistake in the route table.
func RequireRole(role string, next http.Handler) http.Handler {
	if ValidRole(role) != nil {
		panic(fmt.Sprintf("staff.RequireRole: unknown role %q", role))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, ok := FromContext(r.Context())
		if !ok {
			unauthenticated(w)
			return
		}
		if !st.HasRole(role) {
			writeErr(w, problem.New(roleRequired[role], "staff", st.ID, "role", st.Role))
			return
		}
		next.ServeHTTP(w, r)
	})
}

type loginRequest struct {
	StaffID string `json:"staff_id"`
	PIN     string `json:"pin"`
}

type loginResponse struct {
	Token string `json:"token"`
	Staff Staff  `json:"staff"`
}

type sessionResponse struct {
	Staff Staff `json:"staff"`
}

// Routes mounts the session API on mux:
//
//	POST   /api/v1/session  {"staff_id","pin"} → 200 {"token","staff"}; 400, 401, 403 (disabled), 429 (locked, or the client's budget spent; with Retry-After)
//
// An unknown id answers as a member's id does to a wrong PIN. The client
// is the request's peer address (RemoteAddr), never a header.
//
// Errors are the one shape of syncproto/problem.
//
//	DELETE /api/v1/session  → 204; logging out twice is fine; 401 without a token
//	GET    /api/v1/session  → 200 {"staff"} or 401
func (s *Sessions) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/session", s.postSession)
	mux.HandleFunc("DELETE /api/v1/session", s.deleteSession)
	mux.Handle("GET /api/v1/session", s.Middleware(http.HandlerFunc(getSession)))
}

func (s *Sessions) postSession(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := problem.Decode(r.Body, 4<<10, &req); err != nil {
		writeErr(w, err)
		return
	}
	if strings.TrimSpace(req.StaffID) == "" || req.PIN == "" {
		writeErr(w, problem.New(problem.StaffLoginMissing))
		return
	}
	token, st, err := s.LoginFrom(r.Context(), clientAddr(r), req.StaffID, req.PIN)
	var wait interface{ RetryAfter() time.Duration }
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, loginResponse{Token: token, Staff: st})
	case errors.As(err, &wait):
		// A locked id and a client over its budget: both say when.
		secs := math.Ceil(wait.RetryAfter().Seconds())
		w.Header().Set("Retry-After", strconv.Itoa(int(max(secs, 1))))
		writeErr(w, err)
	case errors.Is(err, ErrBadPIN), errors.Is(err, ErrBadCredentials), problem.Is(err, problem.StaffDisabled):
		writeErr(w, err)
	default:
		// A damaged record or a broken file: the words stay in the log.
		s.logger.Warn("login could not check the PIN", "staff", req.StaffID, "err", err)
		writeErr(w, problem.Wrap(err, problem.StaffLoginFailed))
	}
}

func (s *Sessions) deleteSession(w http.ResponseWriter, r *http.Request) {
	token, ok := bearer(r)
	if !ok {
		unauthenticated(w)
		return
	}
	s.Logout(token)
	w.WriteHeader(http.StatusNoContent)
}

func getSession(w http.ResponseWriter, r *http.Request) {
	st, _ := FromContext(r.Context())
	writeJSON(w, http.StatusOK, sessionResponse{Staff: st})
}
