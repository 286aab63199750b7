package syncproto

import "github.com/yizhan/yizhan/syncproto/problem"

// DefaultMinFreeMB is the free space, in MiB, under a program's store below
// which its /healthz reports the store unhealthy: room for bbolt to grow
// its file or SQLite its journal, and for the operator to notice before
// writes fail.
const DefaultMinFreeMB = 100

// CheckFreeSpace is the one rule both programs' /healthz apply to the disk
// holding their store: free bytes below minMB MiB is store.disk_full (503).
// minMB 0 turns the check off. Reading free is each program's own I/O.
func CheckFreeSpace(dir string, free uint64, minMB int) error {
	if minMB <= 0 || free >= uint64(minMB)<<20 {
		return nil
	}
	return problem.New(problem.StoreDiskFull, "dir", dir, "free_mb", free>>20, "min_mb", minMB)
}
