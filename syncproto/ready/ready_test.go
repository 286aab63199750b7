package ready

import (
	"errors"
	"testing"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// TestRun: every check runs; the first failure's code is the answer, and
// the outcomes travel beside it.
func TestRun(t *testing.T) {
	ran := 0
	ok := Check{Name: "a", Run: func() error { ran++; return nil }}
	full := Check{Name: "b", Run: func() error {
		ran++
		return problem.New(problem.StoreDiskFull, "dir", "/d", "free_mb", 1, "min_mb", 100)
	}}
	plain := Check{Name: "c", Run: func() error { ran++; return errors.New("boom") }}
	res, err := Run([]Check{ok, full, plain})
	if ran != 3 || len(res) != 3 {
		t.Fatalf("ran %d, results %v", ran, res)
	}
	if !problem.Is(err, problem.StoreDiskFull) {
		t.Fatalf("err %v", err)
	}
	if res[0] != (Result{Name: "a", OK: true}) || res[1].Code != "store.disk_full" || res[2].Code != "internal.error" || res[2].OK {
		t.Fatalf("results %+v", res)
	}
	if got, _ := problem.As(err).Fields()["checks"].([]Result); len(got) != 3 {
		t.Fatalf("fields %v", problem.As(err).Fields())
	}
	if res, err := Run([]Check{ok}); err != nil || len(res) != 1 {
		t.Fatalf("all ok: %v %v", res, err)
	}
}
