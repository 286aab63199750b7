// Package service runs the agent as a Windows service and installs it.
//
//	yizhan-agent service install [--config FILE]   register YizhanAgent: automatic start at boot, restart on failure, an event source
//	yizhan-agent service start | stop | status
//	yizhan-agent service uninstall                 stop it and remove it; the data and settings stay
//
// The service manager starts "yizhan-agent.exe run --config FILE", which
// runs the same code as that command on a console (Run); Stop and Shutdown
// cancel the run as Ctrl-C or SIGTERM do, and start, stop and a failed start
// go to the Windows event log (Application, source YizhanAgent). The files
// live under ProgramData (config.Paths). Other systems get a pointer to the
// systemd unit instead.
package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yizhan/yizhan/agent/config"
)

// The service as Windows knows it.
const (
	Name        = "YizhanAgent"
	DisplayName = "驿站网点代理 / Yizhan outlet agent"
	Description = "驿站网点代理：记录扫描并与总部同步 / Yizhan outlet agent: records the outlet's scans and syncs them with head office"
)

// Restarts are the service manager's recovery actions: restart after each
// delay on the first, second and later failures; the count starts again
// after ResetAfter without one.
var (
	Restarts   = []time.Duration{5 * time.Second, 30 * time.Second, time.Minute}
	ResetAfter = 24 * time.Hour
)

// Event ids in the event log.
const (
	EventStarted = 1
	EventStopped = 2
	EventFailed  = 3
)

// RunFunc is the agent's run as the command line's "run" does it, with the
// arguments the service was installed with: it returns run's exit code
// when ctx ends (Stop or Shutdown) or when it fails, calls ready once the
// agent serves, and writes why it failed to stderr.
type RunFunc func(ctx context.Context, ready func(), stderr io.Writer) int

// Spec is what install registers.
type Spec struct {
	Name, DisplayName, Description string
	Exe                            string   // absolute path of yizhan-agent.exe
	Args                           []string // after the exe: run --config FILE
}

// NewSpec is the service for exe run with the settings file configFile.
func NewSpec(exe, configFile string) Spec {
	return Spec{Name: Name, DisplayName: DisplayName, Description: Description, Exe: exe, Args: []string{"run", "--config", configFile}}
}

// RunArgs are the "run" arguments in the command line the service manager
// started this process with (without the program name): install wrote
// "run --config FILE", and an operator may have added flags after it.
func RunArgs(args []string) ([]string, error) {
	if len(args) == 0 || args[0] != "run" {
		return nil, fmt.Errorf("started by the service manager with %q: the service's command line must be \"yizhan-agent.exe run --config FILE\"; reinstall it with yizhan-agent service uninstall, then install", strings.Join(args, " "))
	}
	return args[1:], nil
}

// folderSDDL is the installation folder's access list: full control for
// LocalSystem (SY, the service) and administrators (BA), inherited by what
// is inside (OICI), and nothing from ProgramData above it (P).
const folderSDDL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

// errNotHere is "service" on a system without Windows services.
var errNotHere = errors.New("yizhan-agent service manages a Windows service; on Linux the agent runs under systemd: install the unit deploy/systemd/yizhan-agent.service (the .deb does), then systemctl enable --now yizhan-agent, systemctl status yizhan-agent, journalctl -u yizhan-agent")

const usage = `Usage (Windows, from an administrator command prompt):
  yizhan-agent service install [--config FILE]   register the service %s (%s): starts at boot, restarts on failure
  yizhan-agent service start | stop | status
  yizhan-agent service uninstall                 stop and remove the service; data and settings stay
The settings file defaults to %s.
`

// Command is "yizhan-agent service ...": 0 done, 1 failed, 2 usage or a
// settings file the agent could not run with (nothing was changed then).
func Command(args []string, stdout, stderr io.Writer) int {
	paths, ok := config.Installed()
	if !ok {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", errNotHere)
		return 2
	}
	if len(args) == 0 {
		fmt.Fprintf(stderr, usage, Name, DisplayName, paths.Config)
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("service "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configFile := fs.String("config", paths.Config, "install: the settings file the service runs with")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "service %s takes no argument %q\n", sub, fs.Arg(0))
		return 2
	}
	var err error
	switch sub {
	case "install":
		var spec Spec
		if spec, err = prepare(*configFile, paths, stderr); err != nil {
			fmt.Fprintf(stderr, "yizhan-agent: service install: %v\n", err)
			return 2
		}
		if err = install(spec); err == nil {
			fmt.Fprintf(stdout, "已安装服务 %s / service %s installed: %s %s\n开机自动启动；启动: yizhan-agent service start / starts at boot; start it now with: yizhan-agent service start\n",
				Name, Name, spec.Exe, strings.Join(spec.Args, " "))
		}
	case "uninstall":
		if err = uninstall(Name); err == nil {
			fmt.Fprintf(stdout, "已卸载服务 %s，数据和配置保留 / service %s removed; the data and settings stay\n", Name, Name)
		}
	case "start":
		if err = start(Name); err == nil {
			fmt.Fprintf(stdout, "服务已启动 / service %s running\n", Name)
		}
	case "stop":
		if err = stop(Name); err == nil {
			fmt.Fprintf(stdout, "服务已停止 / service %s stopped\n", Name)
		}
	case "status":
		var st string
		if st, err = status(Name); err == nil {
			fmt.Fprintf(stdout, "%s: %s\n", Name, st)
		}
	default:
		fmt.Fprintf(stderr, "unknown service command %q\n\n"+usage, sub, Name, DisplayName, paths.Config)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: service %s: %v\n", sub, err)
		return 1
	}
	return 0
}

// prepare checks, before anything is registered, that the service could
// run: the settings file loads and passes the run's checks. It then makes
// the installation, data and log folders, keeps other users out of the
// installation's (protect), and names this program as the service's.
func prepare(configFile string, paths config.Paths, stderr io.Writer) (Spec, error) {
	abs, err := filepath.Abs(configFile)
	if err != nil {
		return Spec{}, err
	}
	if _, err := os.Stat(abs); err != nil {
		return Spec{}, fmt.Errorf("settings file %s: %w: write it first (start from agent.sample.toml: the outlet id, secret, broker and COM ports)", abs, err)
	}
	l, err := config.Parse([]string{"--config", abs}, os.LookupEnv, stderr)
	if err == nil {
		err = l.Check()
	}
	if err != nil {
		return Spec{}, err
	}
	logFile := l.Log.File
	if logFile == "" {
		logFile = paths.LogFile
	}
	for _, dir := range []string{paths.Root, l.Data.Dir, filepath.Dir(logFile)} {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return Spec{}, err
		}
	}
	if err := protect(paths.Root); err != nil {
		return Spec{}, err
	}
	exe, err := os.Executable()
	if err != nil {
		return Spec{}, fmt.Errorf("find this program's path: %w", err)
	}
	return NewSpec(exe, abs), nil
}

// StateWords names a service state (the service manager's numbers) for
// "service status".
func StateWords(state uint32) string {
	switch state {
	case 1:
		return "已停止 / stopped"
	case 2:
		return "正在启动 / starting"
	case 3:
		return "正在停止 / stopping"
	case 4:
		return "运行中 / running"
	}
	return fmt.Sprintf("state %d", state)
}
