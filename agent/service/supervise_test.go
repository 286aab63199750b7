package service

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder keeps what supervise reported, in order.
type recorder struct {
	mu     sync.Mutex
	states []State
	events []uint32
	msgs   []string
}

func (r *recorder) state(s State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.states = append(r.states, s)
}

func (r *recorder) event(id uint32, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, id)
	r.msgs = append(r.msgs, msg)
}

// TestSuperviseStop: Running only once the agent serves; Stop cancels the
// run's context and waits for its graceful end; start and stop are events.
func TestSuperviseStop(t *testing.T) {
	var r recorder
	stop := make(chan struct{})
	served := make(chan struct{})
	cancelled := false
	run := func(ctx context.Context, ready func(), _ io.Writer) int {
		ready()
		ready() // a second call changes nothing
		close(served)
		<-ctx.Done()
		cancelled = true
		return 0
	}
	go func() { <-served; close(stop) }()
	code, failed := supervise(run, stop, r.state, r.event)
	if code != 0 || failed || !cancelled {
		t.Fatalf("code %d failed %v cancelled %v", code, failed, cancelled)
	}
	if want := []State{StateStartPending, StateRunning, StateStopPending}; !slices.Equal(r.states, want) {
		t.Errorf("states %v, want %v", r.states, want)
	}
	if want := []uint32{EventStarted, EventStopped}; !slices.Equal(r.events, want) {
		t.Errorf("events %v, want %v", r.events, want)
	}
}

// TestSuperviseFailedStart: a run that ends before it serves is a failed
// start, with its exit code and what it wrote to stderr in the event log,
// and never reported Running.
func TestSuperviseFailedStart(t *testing.T) {
	var r recorder
	run := func(_ context.Context, _ func(), stderr io.Writer) int {
		fmt.Fprintln(stderr, "yizhan-agent: missing outlet.id (--outlet)")
		return 2
	}
	code, failed := supervise(run, make(chan struct{}), r.state, r.event)
	if code != 2 || !failed {
		t.Fatalf("code %d failed %v, want 2 and a failure", code, failed)
	}
	if want := []State{StateStartPending}; !slices.Equal(r.states, want) {
		t.Errorf("states %v, want %v", r.states, want)
	}
	if len(r.events) != 1 || r.events[0] != EventFailed || !strings.Contains(r.msgs[0], "failed to start (exit 2): yizhan-agent: missing outlet.id") {
		t.Errorf("events %v %q", r.events, r.msgs)
	}
}

// TestSuperviseEndsByItself: a run that ends unasked after it served is a
// failure even with exit 0, so the recovery actions restart it.
func TestSuperviseEndsByItself(t *testing.T) {
	for _, exit := range []int{0, 1} {
		var r recorder
		run := func(_ context.Context, ready func(), _ io.Writer) int { ready(); return exit }
		code, failed := supervise(run, make(chan struct{}), r.state, r.event)
		if code == 0 || !failed {
			t.Errorf("exit %d: code %d failed %v, want a failure", exit, code, failed)
		}
		// ready and the end race; either way the end is a failure event.
		if last := r.events[len(r.events)-1]; last != EventFailed {
			t.Errorf("exit %d: events %v", exit, r.events)
		}
	}
}

// TestSuperviseStopWithError: a graceful stop that fails (shutdown took too
// long) is reported as a failure with the run's words.
func TestSuperviseStopWithError(t *testing.T) {
	var r recorder
	stop := make(chan struct{})
	close(stop) // Stop before the agent serves
	run := func(ctx context.Context, _ func(), stderr io.Writer) int {
		<-ctx.Done()
		fmt.Fprintln(stderr, "yizhan-agent: shutdown took too long")
		return 1
	}
	code, failed := supervise(run, stop, r.state, r.event)
	if code != 1 || !failed {
		t.Fatalf("code %d failed %v", code, failed)
	}
	if want := []State{StateStartPending, StateStopPending}; !slices.Equal(r.states, want) {
		t.Errorf("states %v, want %v", r.states, want)
	}
	if len(r.msgs) != 1 || !strings.Contains(r.msgs[0], "shutdown took too long") {
		t.Errorf("events %q", r.msgs)
	}
}
