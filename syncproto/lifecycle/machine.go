package lifecycle

import (
	"slices"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// step is one edge of a state machine: the states it may leave from, the
// state it leads to ("" keeps the state), and which side may take it.
type step struct {
	from    []string
	to      string
	hubOnly bool
}

// machine is a table of named steps over named states.
type machine struct {
	entity string
	order  []string // step names in the order screens list them
	steps  map[string]step
	closed string // the terminal state
}

func (m *machine) allowed(state, origin string) []string {
	var out []string
	for _, name := range m.order {
		s := m.steps[name]
		if slices.Contains(s.from, state) && (!s.hubOnly || origin == "hub") {
			out = append(out, name)
		}
	}
	return out
}

// check returns nil or the error that explains why name is illegal in state
// for a step recorded at origin.
func (m *machine) check(id, state, name, origin string) error {
	s, ok := m.steps[name]
	if !ok {
		return &StepError{Entity: m.entity, ID: id, State: state, Step: name, Allowed: m.allowed(state, origin), Why: problem.StepUnknown}
	}
	if !slices.Contains(s.from, state) {
		return &StepError{Entity: m.entity, ID: id, State: state, Step: name, Allowed: m.allowed(state, origin)}
	}
	if s.hubOnly && origin != "hub" {
		return &StepError{Entity: m.entity, ID: id, State: state, Step: name, Allowed: m.allowed(state, origin), Why: problem.StepHubOnly}
	}
	return nil
}

// next is the state after name from state.
func (m *machine) next(state, name string) string {
	if to := m.steps[name].to; to != "" {
		return to
	}
	return state
}

// open lists every state but the terminal one, for steps allowed anywhere
// before closing.
func open(states ...string) []string { return states }

// ComplaintSteps lists every step of a complaint, in the order screens list
// them (head office's screen labels each one).
func ComplaintSteps() []string { return slices.Clone(complaintMachine.order) }

// ExceptionSteps lists every step of an exception, in the order screens list
// them.
func ExceptionSteps() []string { return slices.Clone(exceptionMachine.order) }
