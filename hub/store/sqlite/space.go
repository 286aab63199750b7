package sqlite

import (
	"errors"

	"github.com/yizhan/yizhan/syncproto"
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
