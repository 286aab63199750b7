package api

import (
	"net/http"
	"strconv"

	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// PrintJobs is the part of the device manager the print-job routes use.
type PrintJobs interface {
	PrintJobs(problemsOnly bool, limit int) ([]peripherals.PrintJob, error)
	PrintJob(id uint64) (peripherals.PrintJob, error)
	PrintAction(id uint64, action, by string) (peripherals.PrintJob, error)
}

var _ PrintJobs = (*peripherals.Manager)(nil)

// printRoutes mount the print queue for the counter: the jobs a clerk must
// act on (a label that could not be drawn, one that may not have printed,
// one its printer holds) and the actions on them. They need a logged-in
// staff member but no personal-data key.
func (s *Server) printRoutes(mux *http.ServeMux) {
	h := func(pattern string, f func(w http.ResponseWriter, r *http.Request, by string)) {
		// The gate has looked the session up and put its staff member in
		// the context; a token never reaches these routes.
		mux.Handle(pattern, staff.RequireRole(staff.RoleClerk, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, _ := staff.FromContext(r.Context())
			f(w, r, st.ID)
		})))
	}
	h("GET /api/v1/print-jobs", s.getPrintJobs)
	h("GET /api/v1/print-jobs/{id}", s.getPrintJob)
	h("POST /api/v1/print-jobs/{id}/{action}", s.postPrintAction)
}

func (s *Server) getPrintJobs(w http.ResponseWriter, r *http.Request, _ string) {
	problems := false
	switch v := r.URL.Query().Get("problems"); v {
	case "", "0":
	case "1":
		problems = true
	default:
		writeErr(w, problem.New(problem.RequestBadFlag, "field", "problems"))
		return
	}
	js, err := s.Printing.PrintJobs(problems, limit(r, 100))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"jobs": nonNil(js)})
}

func (s *Server) getPrintJob(w http.ResponseWriter, r *http.Request, _ string) {
	id, ok := jobID(w, r)
	if !ok {
		return
	}
	j, err := s.Printing.PrintJob(id)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job": j})
}

func (s *Server) postPrintAction(w http.ResponseWriter, r *http.Request, by string) {
	id, ok := jobID(w, r)
	if !ok {
		return
	}
	j, err := s.Printing.PrintAction(id, r.PathValue("action"), by)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job": j})
}

func jobID(w http.ResponseWriter, r *http.Request) (uint64, bool) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		writeErr(w, problem.New(problem.PrintJobNotFound, "id", r.PathValue("id")))
		return 0, false
	}
	return id, true
}
