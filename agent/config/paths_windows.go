//go:build windows

package config

import (
	"os"

	"golang.org/x/sys/windows"
)

// programData is the ProgramData known folder; %ProgramData% if the shell
// cannot say (it is the same folder, set from it at logon).
func programData() string {
	if p, err := windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0); err == nil && p != "" {
		return p
	}
	return os.Getenv("ProgramData")
}
