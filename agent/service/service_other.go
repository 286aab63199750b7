//go:build !windows

package service

// Running reports whether the Windows service manager started this
// process: never here.
func Running() bool { return false }

// Run is only for a process the service manager started.
func Run(RunFunc) int { return 1 }

func install(Spec) error            { return errNotHere }
func uninstall(string) error        { return errNotHere }
func start(string) error            { return errNotHere }
func stop(string) error             { return errNotHere }
func status(string) (string, error) { return "", errNotHere }
