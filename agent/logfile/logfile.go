// Package logfile is where the agent's log lines go: stderr (journald under
// systemd), or a file that rotates by size with a number of full files
// kept, so a Windows service's log never fills the disk. Rotation is
// lumberjack's, which closes the file before it renames it: Windows cannot
// rename a file that is open.
package logfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Options are the [log] settings.
type Options struct {
	File  string // empty: stderr
	MaxMB int    // rotate at this size, MiB
	Keep  int    // full files kept besides the current one
}

// Open returns where to write the log, and its closer. With no file it is
// stderr, left open. A file is opened (its folder made) before Open
// returns, so a log that cannot be written is an error at start, not lost
// lines later.
func Open(o Options, stderr io.Writer) (io.WriteCloser, error) {
	if o.File == "" {
		return nopCloser{stderr}, nil
	}
	if o.MaxMB < 1 || o.Keep < 1 {
		return nil, fmt.Errorf("log file %s: max_mb and keep must be at least 1 (got %d and %d)", o.File, o.MaxMB, o.Keep)
	}
	if err := os.MkdirAll(filepath.Dir(o.File), 0o750); err != nil {
		return nil, fmt.Errorf("log file %s: %w", o.File, err)
	}
	l := &lumberjack.Logger{Filename: o.File, MaxSize: o.MaxMB, MaxBackups: o.Keep, LocalTime: true}
	// An empty write opens (or creates) the file now.
	if _, err := l.Write(nil); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("log file %s: %w", o.File, err)
	}
	return l, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
