package api

import (
	"net/http"

	"github.com/yizhan/yizhan/agent/backup"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Backups is the part of the backup runner the API uses.
type Backups interface {
	Take(dir string) (backup.Result, error)
	// LastSuccess is in Unix seconds, 0 for never; Failures counts since
	// start.
	LastSuccess() int64
	Failures() uint64
}

type backupRequest struct {
	// To is the folder; empty takes [backup] dir.
	To string `json:"to"`
}

// postBackup takes a backup now, for "yizhan-agent backup" on this PC:
//
//	POST /api/v1/backup {"to"?} → 201 backup.Result; 400 backup.no_dir; 503 backup.failed
//
// It takes only the local admin token from loopback: the request names a
// folder on this PC to write the whole data file to, which no web page
// and no clerk's session may choose.
func (s *Server) postBackup(w http.ResponseWriter, r *http.Request) {
	if by, _ := staff.FromContext(r.Context()); by.ID != staff.LocalAdmin.ID {
		writeErr(w, problem.New(problem.BackupLocalOnly))
		return
	}
	var req backupRequest
	if err := problem.Decode(r.Body, 8<<10, &req); err != nil {
		writeErr(w, err)
		return
	}
	dir := req.To
	if dir == "" {
		dir = s.BackupDir
	}
	res, err := s.Backups.Take(dir)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, res)
}
