package syncproto

import (
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/problem"
)

func TestCheckFreeSpace(t *testing.T) {
	for _, c := range []struct {
		free  uint64
		min   int
		full  bool
		inMsg string
	}{
		{free: 200 << 20, min: 100},
		{free: 100 << 20, min: 100},
		{free: 100<<20 - 1, min: 100, full: true, inMsg: "99 MB free, below 100 MB"},
		{free: 0, min: 1, full: true, inMsg: "0 MB free"},
		{free: 0, min: 0},
	} {
		err := CheckFreeSpace("/var/lib/x", c.free, c.min)
		if full := err != nil; full != c.full {
			t.Errorf("free %d min %d MiB: %v", c.free, c.min, err)
			continue
		}
		if err == nil {
			continue
		}
		if !problem.Is(err, problem.StoreDiskFull) || problem.Status(err) != 503 {
			t.Errorf("free %d: %v is not a 503 store.disk_full", c.free, err)
		}
		if got := err.Error(); !strings.Contains(got, c.inMsg) || !strings.Contains(got, "/var/lib/x") {
			t.Errorf("free %d: %q lacks %q", c.free, got, c.inMsg)
		}
	}
}
