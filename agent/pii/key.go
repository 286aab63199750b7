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
)

// EnvKey is the environment variable LoadKeyEnv reads.
const EnvKey = "YZ_PII_KEY"

// LoadKey reads a key file: 32 random bytes as base64 on one line. The file
// must not be readable by group or others, since whoever reads it can read
// every sealed phone number.
func LoadKey(path string) (*Keys, error) {
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
	master, err := decodeKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return NewKeys(master)
}

// LoadKeyEnv reads the key from YZ_PII_KEY (base64 of 32 bytes).
func LoadKeyEnv() (*Keys, error) {
	v := os.Getenv(EnvKey)
	if strings.TrimSpace(v) == "" {
		return nil, problem.New(problem.PIIKeyEnvUnset, "env", EnvKey)
	}
	master, err := decodeKey(v)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvKey, err)
	}
	return NewKeys(master)
}

// decodeKey accepts standard or URL base64, padded or not, since keys get
// pasted between systems. It never quotes the input.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != KeySize {
			return nil, problem.New(problem.PIIKeySize, "size", len(b), "want", KeySize)
		}
		return b, nil
	}
	return nil, problem.New(problem.PIIKeyNotBase64)
}

// GenerateKeyFile writes a new random key to path with mode 0600, for the
// first setup of a whole installation: copy the same file to the hub and to
// every outlet. It never overwrites a file, because data sealed with a lost
// key cannot be read again.
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
