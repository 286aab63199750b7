package service

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
)

// State is what the service reports to the service manager.
type State int

// The states a run passes through; the manager itself reports Stopped once
// Execute returns.
const (
	StateStartPending State = iota + 1
	StateRunning
	StateStopPending
)

// supervise runs the agent for the service manager: StartPending until it
// serves, then Running; a closed stop channel (Stop or Shutdown) cancels
// its context, the same graceful stop as SIGTERM, under StopPending. It
// returns the exit code, and failed when the run ended without being asked
// to, or stopped with an error: the manager's recovery actions restart it
// then. Start, stop and failures go to event. It holds no Windows call, so
// its tests run everywhere.
func supervise(run RunFunc, stop <-chan struct{}, state func(State), event func(id uint32, msg string)) (code int, failed bool) {
	state(StateStartPending)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	ready := make(chan struct{})
	var once sync.Once
	done := make(chan int, 1)
	go func() { done <- run(ctx, func() { once.Do(func() { close(ready) }) }, &stderr) }()
	started := false
	for {
		select {
		case <-ready:
			ready, started = nil, true
			state(StateRunning)
			event(EventStarted, fmt.Sprintf("%s 已启动 / started", Name))
		case code := <-done:
			what := "stopped by itself"
			if !started {
				what = "failed to start"
			}
			if code == 0 {
				code = 1 // it was not asked to stop
			}
			event(EventFailed, fmt.Sprintf("%s %s (exit %d): %s", Name, what, code, stderr.String()))
			return code, true
		case <-stop:
			state(StateStopPending)
			cancel()
			if code := <-done; code != 0 {
				event(EventFailed, fmt.Sprintf("%s stopped with exit %d: %s", Name, code, stderr.String()))
				return code, true
			}
			event(EventStopped, fmt.Sprintf("%s 已停止 / stopped", Name))
			return 0, false
		}
	}
}

// lockedBuffer is the run's stderr: written by the run, read when it ends.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.TrimSpace(l.b.String())
}
