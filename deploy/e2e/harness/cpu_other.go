//go:build !linux

package harness

import (
	"errors"
	"time"
)

func cpuTime(int) (time.Duration, error) {
	return 0, errors.New("CPU time of a process: only read from /proc on Linux")
}

func treeCPUTime(int) (time.Duration, error) {
	return 0, errors.New("CPU time of a process tree: only read from /proc on Linux")
}
