package datafile

import (
	"errors"
	"os"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// DiskHealth is /readyz's check of the disk holding dir: store.disk_full
// when less than minMB MiB are free (0: no check). A system where free
// space cannot be read passes.
func DiskHealth(dir string, minMB int) error {
	if minMB <= 0 {
		return nil
	}
	free, err := FreeSpace(dir)
	if errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	if err != nil {
		return err
	}
	return syncproto.CheckFreeSpace(dir, free, minMB)
}

// Writable is /readyz's check that the agent can still write in dir: it
// writes one byte to a new file there and removes it. A full disk fails
// here even where it keeps free space for root (tmpfs, or a quota), which
// the free-space floor may not see.
func Writable(dir string) error {
	f, err := os.CreateTemp(dir, ".ready-*")
	if err != nil {
		return problem.Wrap(err, problem.DataFileNotWritable, "dir", dir, "detail", err.Error())
	}
	_, err = f.Write([]byte{0})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if rerr := os.Remove(f.Name()); err == nil {
		err = rerr
	}
	if err != nil {
		return problem.Wrap(err, problem.DataFileNotWritable, "dir", dir, "detail", err.Error())
	}
	return nil
}

// DiskFull is err as store.disk_full when it says the disk holding dir is
// full (a commit that could not write), with the free space now and the
// floor minMB; nil for any other error. The scan API answers it, so the
// clerk reads why, not only that the scan was not saved.
func DiskFull(dir string, minMB int, err error) error {
	if err == nil || !isNoSpace(err) {
		return nil
	}
	free, ferr := FreeSpace(dir)
	if ferr != nil {
		free = 0
	}
	return problem.Wrap(err, problem.StoreDiskFull, "dir", dir, "free_mb", free>>20, "min_mb", max(minMB, 0))
}
