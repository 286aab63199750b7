package peripherals

import (
	"errors"
	"fmt"
	"testing"

	"github.com/yizhan/yizhan/devices/scale"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// A weighing that fails reaches the counter as a catalog code, with the
// device's error kept for the log.
func TestScaleErrorsHaveCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want problem.Code
	}{
		{scale.ErrUnstable, problem.ScaleUnstable},
		{fmt.Errorf("wait: %w", scale.ErrOverload), problem.ScaleOverload},
		{scale.ErrDisconnected, problem.ScaleDisconnected},
		{scale.ErrSilent, problem.ScaleSilent},
		{scale.ErrNoReading, problem.ScaleNoReading},
		{errors.New("serial: input/output error"), problem.ScaleFailed},
	} {
		err := scaleProblem(tc.err, "counter")
		if !problem.Is(err, tc.want) || !errors.Is(err, tc.err) {
			t.Errorf("%v: got %v, want %s", tc.err, err, tc.want)
		}
	}
	if _, err := (&Manager{}).StableGrams(t.Context(), "nope"); !problem.Is(err, problem.ScaleUnknown) {
		t.Errorf("unknown scale: %v", err)
	}
}
