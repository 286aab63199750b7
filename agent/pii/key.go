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
)

// EnvKey is the environment variable LoadKeyEnv reads.
const EnvKey = "YZ_PII_KEY"

// LoadKey reads a key file: 32 random bytes as base64 on one line. The file
// must not be readable by group or others, since whoever reads it can read
// every sealed phone number.
func LoadKey(path string) (*Keys, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("找不到个人数据密钥文件 / personal-data key file %s not found: copy the key file head office issued (all outlets and the hub share one key)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("读取密钥文件失败 / key file %s: %w", path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("密钥文件是目录 / key file %s is a directory: give the path of the key file itself", path)
	}
	// Windows has no Unix mode bits; protect the file with its ACL there.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("密钥文件权限过宽 / key file %s can be read by other users (mode %04o): run chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("读取密钥文件失败 / key file %s: %w", path, err)
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
		return nil, fmt.Errorf("未设置 %s / %s is not set: set it to the base64 key head office issued, or use a key file", EnvKey, EnvKey)
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
			return nil, fmt.Errorf("密钥长度不对 / key is %d bytes, want %d: use a key made by GenerateKeyFile or issued by head office", len(b), KeySize)
		}
		return b, nil
	}
	return nil, errors.New("密钥不是 base64 / key is not base64: the file must hold one line of base64 encoding 32 random bytes")
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
		return fmt.Errorf("密钥文件已存在 / key file %s already exists: keep it (data sealed with it cannot be read without it), or move it away first", path)
	}
	if err != nil {
		return fmt.Errorf("创建密钥文件失败 / create key file %s: %w", path, err)
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
		return fmt.Errorf("写入密钥文件失败 / write key file %s: %w", path, err)
	}
	return nil
}
