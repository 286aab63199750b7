package harness

import (
	"bytes"
	"os"
	"testing"
)

// tailLines is how much of a process log is shown when a test fails.
const tailLines = 60

// logTailOnFailure prints the end of the log at path when t has failed.
func logTailOnFailure(t testing.TB, name, path string) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last %d lines of %s log %s:\n%s", tailLines, name, path, tail(path, tailLines))
		}
	})
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	b = bytes.TrimRight(b, "\n")
	i := len(b)
	for ; n > 0 && i > 0; n-- {
		i = bytes.LastIndexByte(b[:i], '\n')
		if i < 0 {
			i = 0
			break
		}
	}
	return string(bytes.TrimPrefix(b[i:], []byte("\n")))
}
