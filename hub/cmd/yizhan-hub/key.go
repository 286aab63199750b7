package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// cmdOutletKey writes one outlet's personal-data key file from head
// office's master key: that outlet's own sealing key and the shared
// customer-id key, never the master, so a stolen outlet PC opens only its
// own outlet's values.
func cmdOutletKey(args []string, stdout, stderr io.Writer) error {
	fls := flag.NewFlagSet("outlet key", flag.ContinueOnError)
	fls.SetOutput(stderr)
	masterPath := fls.String("master", "", "head office's master key file (yizhan-agent keygen; the shared key of earlier releases)")
	id := fls.String("id", "", "outlet id (e.g. SH-001)")
	out := fls.String("out", "", "the outlet's key file to create (mode 0600); it must not exist")
	legacy := fls.Bool("legacy", false, "also let the outlet open what it sealed under the old shared key (for upgraded outlets, until those records are closed)")
	if err := parse(fls, args); err != nil {
		return err
	}
	if err := syncproto.ValidOutletID(*id); err != nil {
		return usageError{msg: "--id: " + err.Error()}
	}
	if *masterPath == "" || *out == "" {
		return usageError{msg: "outlet key needs --master FILE and --out FILE"}
	}
	master, err := readMaster(*masterPath)
	if err != nil {
		return err
	}
	raw, err := sealed.IssueKeyFile(master, *id, *legacy)
	if err != nil {
		return err
	}
	if err := writeNew(*out, raw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "outlet %s's key written to %s: install it on that outlet's PC as its pii key_file\n", *id, *out)
	return nil
}

// readMaster reads the master key file, which must be readable by its
// owner only.
func readMaster(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	// Windows has no Unix mode bits; protect the file with its ACL there.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("master key file %s can be read by other users (mode %04o): run chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("master key file: %w", err)
	}
	master, err := sealed.DecodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("master key file %s: %w", path, err)
	}
	return master, nil
}

func writeNew(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists: move it away first", path)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
