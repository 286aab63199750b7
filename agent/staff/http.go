package staff

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
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

// apiError is the API's error body; fields in the order the docs show.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

const msgLogIn = "请先登录 / log in first"

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: msg, Code: code})
}

func unauthenticated(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="yizhan-agent"`)
	writeErr(w, http.StatusUnauthorized, "unauthenticated", msgLogIn)
}

// bearer returns the token of an "Authorization: Bearer <token>" header.
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
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

func roleName(role string) string {
	switch role {
	case RoleSupervisor:
		return "主管 / a supervisor"
	case RoleClerk:
		return "店员 / a clerk"
	}
	return role
}

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
			zh, en, _ := strings.Cut(roleName(role), " / ")
			writeErr(w, http.StatusForbidden, "forbidden", fmt.Sprintf(
				"需要%s权限 / this needs %s; you are logged in as %s (%s): ask %s to log in and do it",
				zh, en, st.ID, st.Role, en))
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
//	POST   /api/v1/session  {"staff_id","pin"} → 200 {"token","staff"}; 400, 401, 429 (locked, with Retry-After)
//	DELETE /api/v1/session  → 204; logging out twice is fine; 401 without a token
//	GET    /api/v1/session  → 200 {"staff"} or 401
func (s *Sessions) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/session", s.postSession)
	mux.HandleFunc("DELETE /api/v1/session", s.deleteSession)
	mux.Handle("GET /api/v1/session", s.Middleware(http.HandlerFunc(getSession)))
}

func (s *Sessions) postSession(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10)).Decode(&req); err != nil {
		writeErr(w, http.StatusBadRequest, "bad_request", `请求格式不对 / send JSON {"staff_id":"…","pin":"…"}`)
		return
	}
	if strings.TrimSpace(req.StaffID) == "" || req.PIN == "" {
		writeErr(w, http.StatusBadRequest, "bad_request", "请输入工号和 PIN / enter your staff id and PIN")
		return
	}
	token, st, err := s.Login(req.StaffID, req.PIN)
	var locked *LockedError
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, loginResponse{Token: token, Staff: st})
	case errors.As(err, &locked):
		secs := math.Ceil(locked.Until.Sub(locked.Now).Seconds())
		w.Header().Set("Retry-After", strconv.Itoa(int(max(secs, 1))))
		writeErr(w, http.StatusTooManyRequests, "locked", err.Error())
	case errors.Is(err, ErrBadPIN):
		writeErr(w, http.StatusBadRequest, "bad_request", err.Error())
	case errors.Is(err, ErrBadCredentials):
		writeErr(w, http.StatusUnauthorized, "bad_credentials", err.Error())
	default:
		writeErr(w, http.StatusServiceUnavailable, "unavailable", "暂时无法登录 / could not check the PIN ("+err.Error()+"): try again; if it persists, run yizhan-agent doctor")
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
