//go:build windows

package service

import (
	"fmt"

	"golang.org/x/sys/windows"
)

// protect gives the installation's folder, and what is in it, an access
// list of its own: the service (LocalSystem) and administrators only. The
// ProgramData default lets every local user read, and this folder holds
// the outlet's secret and personal-data key.
func protect(dir string) error {
	sd, err := windows.SecurityDescriptorFromString(folderSDDL)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	if err := windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil); err != nil {
		return fmt.Errorf("restrict %s to the service and administrators: %w", dir, err)
	}
	return nil
}
