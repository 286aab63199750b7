package backup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// BeforeRestore ends the name the replaced data file is kept under.
const BeforeRestore = ".before-restore"

// RestoreOptions say what to restore where.
type RestoreOptions struct {
	From    string // the backup file
	DataDir string // the data directory whose agent.db it replaces
	// Outlet is the outlet this PC is configured as; empty takes the
	// outlet of the data file it replaces, if there is one.
	Outlet string
	// Force takes a backup of another outlet.
	Force bool
}

// Restored is what Restore did.
type Restored struct {
	ID datafile.Identity `json:"identity"`
	// Before is where the replaced file now is; empty when there was none.
	Before string `json:"before,omitempty"`
	Path   string `json:"path"`
}

// Restore replaces the data file in o.DataDir with the backup o.From.
// It refuses, changing nothing, a backup that fails the check
// (restore.damaged), one of another outlet without Force
// (restore.other_outlet), and a data directory a running agent holds
// (restore.agent_running).
func Restore(o RestoreOptions) (Restored, error) {
	rep, err := datafile.CheckFile(o.From)
	if err == nil {
		err = rep.Err()
	}
	if err == nil {
		if st, serr := os.Stat(o.From); serr != nil {
			err = serr
		} else if st.Size() == 0 {
			err = errors.New("the file is empty")
		}
	}
	var id datafile.Identity
	if err == nil {
		id, err = datafile.ReadIdentity(o.From)
	}
	if err == nil && id.Outlet == "" {
		err = errors.New("it belongs to no outlet")
	}
	if err != nil {
		return Restored{}, problem.Wrap(err, problem.RestoreDamaged, "path", o.From, "detail", err.Error())
	}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return Restored{}, err
	}
	release, err := datafile.HoldShared(o.DataDir)
	if errors.Is(err, datafile.ErrInUse) {
		return Restored{}, problem.Wrap(err, problem.RestoreAgentRunning, "dir", o.DataDir)
	}
	if err != nil {
		return Restored{}, err
	}
	defer func() { release() }()
	current := filepath.Join(o.DataDir, datafile.FileName)
	want := o.Outlet
	if want == "" && exists(current) {
		if cur, err := datafile.ReadIdentity(current); err == nil {
			want = cur.Outlet
		}
	}
	if want != "" && id.Outlet != want && !o.Force {
		return Restored{}, problem.New(problem.RestoreOtherOutlet, "path", o.From, "found", id.Outlet, "outlet", want)
	}
	tmp := current + ".restoring"
	if err := copyFile(o.From, tmp); err != nil {
		os.Remove(tmp)
		return Restored{}, fmt.Errorf("copy %s into %s: %w", o.From, o.DataDir, err)
	}
	if err := datafile.MarkRestored(tmp); err != nil {
		os.Remove(tmp)
		return Restored{}, problem.Wrap(err, problem.RestoreDamaged, "path", o.From, "detail", err.Error())
	}
	id.Restored = true
	if err := verify(tmp, id); err != nil {
		os.Remove(tmp)
		return Restored{}, problem.Wrap(err, problem.RestoreDamaged, "path", o.From, "detail", err.Error())
	}
	out := Restored{ID: id, Path: current}
	if runtime.GOOS == "windows" {
		// Windows renames no file another handle has open, our lock's
		// included; the agent's own lock still refuses a second agent.
		release()
		release = func() {}
	}
	if exists(current) {
		out.Before = freeName(current + BeforeRestore)
		// A second name for the old file first, then the new one over
		// agent.db in one rename: agent.db is never missing.
		if err := os.Link(current, out.Before); err != nil {
			os.Remove(tmp)
			return Restored{}, fmt.Errorf("keep the old data file as %s: %w", out.Before, err)
		}
	}
	if err := os.Rename(tmp, current); err != nil {
		os.Remove(tmp)
		if out.Before != "" {
			os.Remove(out.Before)
		}
		return Restored{}, fmt.Errorf("put the backup in place of %s: %w", current, err)
	}
	syncDir(o.DataDir)
	return out, nil
}

// freeName is path, or path.2, path.3… if taken: an earlier restore's
// old file is never overwritten.
func freeName(path string) string {
	p := path
	for i := 2; exists(p); i++ {
		p = fmt.Sprintf("%s.%d", path, i)
	}
	return p
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
