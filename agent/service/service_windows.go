//go:build windows

package service

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/eventlog"
	"golang.org/x/sys/windows/svc/mgr"
)

// Running reports whether the service manager started this process.
func Running() bool {
	ok, err := svc.IsWindowsService()
	return err == nil && ok
}

// Run runs the agent under the service manager until it is told to stop,
// and returns the process's exit code.
func Run(run RunFunc) int {
	elog, _ := eventlog.Open(Name) // without a source the service still runs
	h := &handler{run: run, elog: elog}
	if err := svc.Run(Name, h); err != nil {
		h.report(EventFailed, "service: "+err.Error())
		return 1
	}
	if elog != nil {
		elog.Close()
	}
	return h.code
}

type handler struct {
	run  RunFunc
	elog *eventlog.Log
	code int
}

// Execute is supervise with the manager's requests and statuses: Stop and
// Shutdown close its stop channel, Interrogate is answered with the last
// status reported, and a failed run's exit code goes back as the
// service's own.
func (h *handler) Execute(_ []string, req <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	var mu sync.Mutex
	current := svc.Status{State: svc.StartPending}
	set := func(st svc.Status) {
		mu.Lock()
		current = st
		mu.Unlock()
		changes <- st
	}
	stop := make(chan struct{})
	go func() {
		var once sync.Once
		for c := range req {
			switch c.Cmd {
			case svc.Interrogate:
				mu.Lock()
				st := current
				mu.Unlock()
				changes <- st
			case svc.Stop, svc.Shutdown:
				once.Do(func() { close(stop) })
			}
		}
	}()
	code, failed := supervise(h.run, stop, func(s State) {
		switch s {
		case StateStartPending:
			set(svc.Status{State: svc.StartPending, WaitHint: 30000})
		case StateRunning:
			set(svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown})
		case StateStopPending:
			set(svc.Status{State: svc.StopPending, WaitHint: 20000})
		}
	}, h.report)
	h.code = code
	return failed, uint32(code)
}

func (h *handler) report(id uint32, msg string) {
	if h.elog == nil {
		return
	}
	if id == EventFailed {
		h.elog.Error(id, msg)
		return
	}
	h.elog.Info(id, msg)
}

// connect opens the service manager, saying what to do when that is refused.
func connect() (*mgr.Mgr, error) {
	m, err := mgr.Connect()
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		return nil, fmt.Errorf("%w: run it from a command prompt opened as administrator", err)
	}
	return m, err
}

func install(s Spec) error {
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	if old, err := m.OpenService(s.Name); err == nil {
		old.Close()
		return fmt.Errorf("service %s is already installed: yizhan-agent service uninstall first (the data and settings stay)", s.Name)
	}
	sv, err := m.CreateService(s.Name, s.Exe, mgr.Config{
		DisplayName: s.DisplayName, Description: s.Description,
		StartType: mgr.StartAutomatic, ErrorControl: mgr.ErrorNormal,
	}, s.Args...)
	if err != nil {
		return err
	}
	defer sv.Close()
	undo := func(err error) error {
		sv.Delete()
		return err
	}
	actions := make([]mgr.RecoveryAction, len(Restarts))
	for i, d := range Restarts {
		actions[i] = mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: d}
	}
	if err := sv.SetRecoveryActions(actions, uint32(ResetAfter/time.Second)); err != nil {
		return undo(fmt.Errorf("set restart on failure: %w", err))
	}
	// A run that exits with an error, not only a crash, is a failure.
	if err := sv.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return undo(fmt.Errorf("set restart on failure: %w", err))
	}
	if err := eventlog.InstallAsEventCreate(s.Name, eventlog.Error|eventlog.Warning|eventlog.Info); err != nil && !strings.Contains(err.Error(), "already exists") {
		return undo(fmt.Errorf("register the event source: %w", err))
	}
	return nil
}

func uninstall(name string) error {
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	sv, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("service %s is not installed", name)
	}
	defer sv.Close()
	if st, err := sv.Query(); err == nil && st.State != svc.Stopped {
		if err := stopAndWait(sv); err != nil {
			return err
		}
	}
	if err := sv.Delete(); err != nil {
		return err
	}
	eventlog.Remove(name) // the events written stay readable
	return nil
}

func start(name string) error {
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	sv, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("service %s is not installed: yizhan-agent service install", name)
	}
	defer sv.Close()
	if err := sv.Start(); err != nil {
		return err
	}
	st, err := waitFor(sv, svc.Running, svc.StartPending, 45*time.Second)
	if err != nil {
		return err
	}
	if st.State == svc.StartPending {
		return fmt.Errorf("service %s is still starting (a large data file being checked or migrated can take minutes): see yizhan-agent service status", name)
	}
	if st.State != svc.Running {
		return fmt.Errorf("it did not start (exit %d): see the event log (Event Viewer, Windows Logs, Application, source %s) and the log file", st.ServiceSpecificExitCode, name)
	}
	return nil
}

func stop(name string) error {
	m, err := connect()
	if err != nil {
		return err
	}
	defer m.Disconnect()
	sv, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("service %s is not installed", name)
	}
	defer sv.Close()
	return stopAndWait(sv)
}

func stopAndWait(sv *mgr.Service) error {
	if _, err := sv.Control(svc.Stop); err != nil && !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
		return err
	}
	st, err := waitFor(sv, svc.Stopped, svc.StopPending, 45*time.Second)
	if err != nil {
		return err
	}
	if st.State != svc.Stopped {
		return errors.New("it did not stop in time; every acknowledged scan is already on disk, and it can be ended in Task Manager")
	}
	return nil
}

// waitFor polls the service until it leaves the pending state or the
// deadline passes, and returns the state it is in.
func waitFor(sv *mgr.Service, want, pending svc.State, limit time.Duration) (svc.Status, error) {
	deadline := time.Now().Add(limit)
	for {
		st, err := sv.Query()
		if err != nil || st.State == want || st.State != pending || time.Now().After(deadline) {
			return st, err
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func status(name string) (string, error) {
	m, err := connect()
	if err != nil {
		return "", err
	}
	defer m.Disconnect()
	sv, err := m.OpenService(name)
	if err != nil {
		return "未安装 / not installed (yizhan-agent service install)", nil
	}
	defer sv.Close()
	st, err := sv.Query()
	if err != nil {
		return "", err
	}
	cfg, err := sv.Config()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s; %s", StateWords(uint32(st.State)), cfg.BinaryPathName), nil
}
