// Package ready is the one shape of both programs' /readyz: named checks
// run in order, every one of them each time, and the answer is either
// ready or the first failure's catalog problem with every check's outcome
// beside it, so a probe's log says what failed and what did not.
//
// Liveness (/healthz) is not here on purpose: it only says the process
// answers, and must not fail on a full disk or a lost broker, or a
// supervisor would restart a process that restarting cannot help.
package ready

import "github.com/yizhan/yizhan/syncproto/problem"

// Check is one readiness condition. Run returns nil when it holds, else
// the catalog problem that says why not (a plain error is answered as
// internal.error).
type Check struct {
	Name string
	Run  func() error
}

// Result is one check's outcome as /readyz shows it.
type Result struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Code is the failure's catalog code, "" when it held.
	Code string `json:"code,omitempty"`
}

// Run runs every check. It returns their outcomes and, when any failed, the
// first failure as a problem carrying the outcomes in the field "checks".
func Run(checks []Check) ([]Result, error) {
	out := make([]Result, 0, len(checks))
	var first error
	for _, c := range checks {
		err := c.Run()
		r := Result{Name: c.Name, OK: err == nil}
		if err != nil {
			r.Code = problem.CodeOf(err).String()
			if first == nil {
				first = err
			}
		}
		out = append(out, r)
	}
	if first == nil {
		return out, nil
	}
	e := problem.As(first)
	if e == nil {
		e = problem.Wrap(first, problem.InternalError)
	}
	return out, e.WithFields("checks", out)
}
