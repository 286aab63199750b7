package staff

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// LocalAdmin is the actor of a request made with the local admin token
// (the staff command on the agent's own PC). Its id is not a valid staff
// id, so it can never be a member's.
var LocalAdmin = Staff{ID: "(local admin)", Name: "yizhan-agent staff", Role: RoleSupervisor}

type addRequest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
	PIN  string `json:"pin"`
}

type pinRequest struct {
	PIN string `json:"pin"`
}

type memberResponse struct {
	Staff Member `json:"staff"`
}

type membersResponse struct {
	Staff []Member `json:"staff"`
}

// AdminRoutes mounts the staff list API for supervisors on mux. Each route
// takes a supervisor's session, or the local admin token (see
// WriteAdminFile) from a loopback address:
//
//	GET    /api/v1/staff               → 200 {"staff":[member]}
//	POST   /api/v1/staff               {"id","name","role","pin"} → 201 {"staff":member}; 400, 409
//	DELETE /api/v1/staff/{id}          → 204; 404
//	POST   /api/v1/staff/{id}/disable  → 200 {"staff":member}
//	POST   /api/v1/staff/{id}/enable   → 200 {"staff":member}
//	POST   /api/v1/staff/{id}/unlock   → 200 {"staff":member}
//	PUT    /api/v1/staff/{id}/pin      {"pin"} → 200 {"staff":member}
//
// A member is {"id","name","role","disabled","locked_until"?}. A clerk gets
// 403 auth.supervisor_required; disabling or removing oneself is 409
// staff.self.
func (s *Sessions) AdminRoutes(mux *http.ServeMux) {
	h := func(pattern string, f http.HandlerFunc) {
		mux.Handle(pattern, s.Supervisor(f))
	}
	h("GET /api/v1/staff", s.getStaff)
	h("POST /api/v1/staff", s.postStaff)
	h("DELETE /api/v1/staff/{id}", s.deleteStaff)
	h("POST /api/v1/staff/{id}/disable", s.memberAction(func(id string, r *http.Request) error {
		if err := notSelf(r, id); err != nil {
			return err
		}
		return s.store.SetDisabled(id, true)
	}))
	h("POST /api/v1/staff/{id}/enable", s.memberAction(func(id string, _ *http.Request) error { return s.store.SetDisabled(id, false) }))
	h("POST /api/v1/staff/{id}/unlock", s.memberAction(func(id string, r *http.Request) error {
		by, _ := FromContext(r.Context())
		return s.Unlock(r.Context(), by, id)
	}))
	h("PUT /api/v1/staff/{id}/pin", s.memberAction(func(id string, r *http.Request) error {
		var req pinRequest
		if err := problem.Decode(r.Body, 4<<10, &req); err != nil {
			return err
		}
		return s.store.SetPIN(id, req.PIN)
	}))
}

// Supervisor lets through the local admin token from loopback, or else a
// supervisor's session; other administration routes (agent/staff/tokens)
// take it too.
func (s *Sessions) Supervisor(next http.Handler) http.Handler {
	bySession := s.Middleware(RequireRole(RoleSupervisor, next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if ok && IsAdminToken(token) {
			if s.adminToken == "" || !loopback(r) || subtle.ConstantTimeCompare([]byte(token), []byte(s.adminToken)) != 1 {
				writeErr(w, problem.New(problem.StaffAdminToken))
				return
			}
			next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), LocalAdmin)))
			return
		}
		bySession.ServeHTTP(w, r)
	})
}

// IsAdminToken reports whether token has the form of a local admin token,
// so a gate in front of the routes can tell it from a session.
func IsAdminToken(token string) bool { return strings.HasPrefix(token, adminTokenPrefix) }

func loopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logChange records who changed whom: staff changes are not events (they
// stay on this PC and never sync), so the agent's log is their record.
func (s *Sessions) logChange(r *http.Request, action, id string) {
	by, _ := FromContext(r.Context())
	s.logger.Info("staff changed", "action", action, "staff", NormalizeID(id), "by", by.ID)
}

func (s *Sessions) getStaff(w http.ResponseWriter, r *http.Request) {
	all, err := s.store.Members()
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, membersResponse{Staff: all})
}

func (s *Sessions) postStaff(w http.ResponseWriter, r *http.Request) {
	var req addRequest
	if err := problem.Decode(r.Body, 4<<10, &req); err != nil {
		writeErr(w, err)
		return
	}
	if req.Role == "" {
		req.Role = RoleClerk
	}
	if err := s.store.Add(req.ID, req.Name, req.Role, req.PIN); err != nil {
		writeErr(w, err)
		return
	}
	s.logChange(r, "add", req.ID)
	s.writeMember(w, http.StatusCreated, req.ID)
}

// notSelf refuses a supervisor's disabling or removing their own id: it
// would end their session and could leave the outlet without a supervisor.
func notSelf(r *http.Request, id string) error {
	if by, _ := FromContext(r.Context()); by.ID == NormalizeID(id) {
		return problem.New(problem.StaffSelf, "id", by.ID)
	}
	return nil
}

func (s *Sessions) deleteStaff(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := notSelf(r, id); err != nil {
		writeErr(w, err)
		return
	}
	if err := s.store.Remove(id); err != nil {
		writeErr(w, err)
		return
	}
	s.logChange(r, "remove", id)
	w.WriteHeader(http.StatusNoContent)
}

// memberAction runs f on the member named in the path and answers with
// the member as they are now.
func (s *Sessions) memberAction(f func(id string, r *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if err := f(id, r); err != nil {
			writeErr(w, err)
			return
		}
		action := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		s.logChange(r, action, id)
		s.writeMember(w, http.StatusOK, id)
	}
}

func (s *Sessions) writeMember(w http.ResponseWriter, status int, id string) {
	m, err := s.store.Member(id)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, status, memberResponse{Staff: m})
}
