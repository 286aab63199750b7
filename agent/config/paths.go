package config

import "strings"

// Paths are where an installation on Windows keeps its files, all under the
// machine's ProgramData folder (C:\ProgramData on most PCs), which the
// service account can write and that survives an upgrade of the program.
type Paths struct {
	Root    string // ProgramData\Yizhan
	Config  string // ProgramData\Yizhan\agent.toml, what the service runs with
	Data    string // ProgramData\Yizhan\data, the default data.dir
	Logs    string // ProgramData\Yizhan\logs
	LogFile string // ProgramData\Yizhan\logs\agent.log, a service's log.file when none is set
}

// WindowsPaths are the paths under programData, joined with backslashes
// whatever system computes them (the installer's tests run on Linux).
func WindowsPaths(programData string) Paths {
	root := strings.TrimRight(programData, `\/`) + `\Yizhan`
	return Paths{
		Root:    root,
		Config:  root + `\agent.toml`,
		Data:    root + `\data`,
		Logs:    root + `\logs`,
		LogFile: root + `\logs\agent.log`,
	}
}

// Installed are this system's installation paths; ok is false where the
// agent is not installed that way (anywhere but Windows: systemd's unit
// names its own paths), or ProgramData cannot be found.
func Installed() (p Paths, ok bool) {
	pd := programData()
	if pd == "" {
		return Paths{}, false
	}
	return WindowsPaths(pd), true
}

func defaultDataDir() string {
	p, _ := Installed()
	return p.Data
}
