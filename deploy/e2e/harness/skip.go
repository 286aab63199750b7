package harness

import (
	"fmt"
	"os"
	"testing"
)

// SkipOutsideCI skips t for a reason the machine cannot help (no root, a
// missing tool) on a developer's machine, and fails it under CI=true,
// where nothing may be skipped.
func SkipOutsideCI(t testing.TB, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI must run this test", why)
	}
	t.Skip(why)
}
