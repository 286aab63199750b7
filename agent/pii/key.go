package pii

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"strings"

	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// EnvKey is the environment variable LoadKeyEnv reads.
const EnvKey = "YZ_PII_KEY"

// LoadKey reads outlet's key file: the one head office issued to it
// (yizhan-hub outlet key), or the installation's master key of earlier
// releases (32 random bytes as base64 on one line), which NewKeys takes
// for upgrading. The file must not be readable by group or others.
func LoadKey(path, outlet string) (*Keys, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, problem.Wrap(err, problem.PIIKeyMissing, "path", path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", problem.New(problem.PIIKeyUnreadable, "path", path), err)
	}
	if fi.IsDir() {
		return nil, problem.New(problem.PIIKeyIsDir, "path", path)
	}
	// Windows has no Unix mode bits; protect the file with its ACL there.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, problem.New(problem.PIIKeyMode, "path", path, "mode", fmt.Sprintf("%04o", perm))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", problem.New(problem.PIIKeyUnreadable, "path", path), err)
	}
	k, err := parseKeys(b, outlet)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return k, nil
}

// LoadKeyEnv reads outlet's keys from YZ_PII_KEY: an outlet key file's
// content, or the master key as base64 of 32 bytes.
func LoadKeyEnv(outlet string) (*Keys, error) {
	v := os.Getenv(EnvKey)
	if strings.TrimSpace(v) == "" {
		return nil, problem.New(problem.PIIKeyEnvUnset, "env", EnvKey)
	}
	k, err := parseKeys([]byte(v), outlet)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvKey, err)
	}
	return k, nil
}

func parseKeys(b []byte, outlet string) (*Keys, error) {
	if sealed.LooksLikeKeyFile(b) {
		f, err := sealed.ParseKeyFile(b)
		if err != nil {
			return nil, err
		}
		if outlet != "" && f.Outlet != outlet {
			return nil, problem.New(problem.PIIKeyOutlet, "found", f.Outlet, "outlet", outlet)
		}
		return FromKeyFile(f)
	}
	master, err := decodeKey(string(b))
	if err != nil {
		return nil, err
	}
	return NewKeys(master, outlet)
}

func decodeKey(s string) ([]byte, error) { return sealed.DecodeKey(s) }

// GenerateKeyFile writes a new random master key to path with mode 0600,
// for the first setup of a whole installation: head office keeps it and
// issues each outlet its own key file from it (yizhan-hub outlet key). It
// never overwrites a file, because data sealed with a lost key cannot be
// read again.
func GenerateKeyFile(path string) error {
	master := make([]byte, KeySize)
	_, _ = rand.Read(master) // never fails since Go 1.24
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return problem.Wrap(err, problem.PIIKeyExists, "path", path)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", problem.New(problem.PIIKeyCreate, "path", path), err)
	}
	_, err = f.WriteString(base64.StdEncoding.EncodeToString(master) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("%w: %w", problem.New(problem.PIIKeyWrite, "path", path), err)
	}
	return nil
}
