package doctor

import (
	"path/filepath"
	"time"

	"github.com/yizhan/yizhan/agent/backup"
	"github.com/yizhan/yizhan/agent/datafile"
)

// Backups checks the newest backup of this outlet in dir ([backup] dir):
// its age against backup.StaleAfter. With no folder configured it warns,
// because a replacement PC then has nothing to restore and starts a new
// incarnation that head office must accept.
func Backups(dir, outlet, dataDir string, now time.Time) Result {
	r := Result{Check: "backup"}
	if dir == "" {
		r.Level, r.Reason = Warn, say("backup_none")
		return r
	}
	if outlet == "" && dataDir != "" {
		if id, err := datafile.ReadIdentity(filepath.Join(dataDir, datafile.FileName)); err == nil {
			outlet = id.Outlet
		}
	}
	list, err := backup.List(dir, outlet)
	switch {
	case err != nil:
		r.Level, r.Reason = Fail, say("backup_unreadable", "dir", dir, "detail", err.Error())
	case len(list) == 0:
		r.Level, r.Reason = Fail, say("backup_missing", "dir", dir)
	default:
		age := now.Sub(list[0].At).Round(time.Minute)
		r.Reason = say("backup_ok", "file", filepath.Base(list[0].Path), "age", age.String(), "kept", len(list))
		if age > backup.StaleAfter {
			r.Level, r.Reason = Fail, say("backup_stale", "file", filepath.Base(list[0].Path), "age", age.String())
		}
	}
	return r
}
