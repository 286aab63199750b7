package broker

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"strings"
	"sync"
	"time"
)

// revocations is the list of revoked client certificate serials, read
// from its file again when the file's size or time changes, so an
// operator's revocation needs no restart. It is checked at each TLS
// handshake, after the chain verified.
type revocations struct {
	path string

	mu      sync.Mutex
	mod     time.Time
	size    int64
	serials map[string]bool // lower-case hex without leading zeros
}

func (r *revocations) load() (map[string]bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fi, err := os.Stat(r.path)
	if errors.Is(err, fs.ErrNotExist) {
		r.serials, r.mod, r.size = map[string]bool{}, time.Time{}, -1
		return r.serials, nil
	}
	if err != nil {
		return nil, fmt.Errorf("revoked client certificates (mqtt.tls_client_revoked %s): %w", r.path, err)
	}
	if r.serials != nil && fi.ModTime().Equal(r.mod) && fi.Size() == r.size {
		return r.serials, nil
	}
	b, err := os.ReadFile(r.path)
	if err != nil {
		return nil, fmt.Errorf("revoked client certificates (mqtt.tls_client_revoked %s): %w", r.path, err)
	}
	serials, err := parseRevoked(b)
	if err != nil {
		return nil, fmt.Errorf("revoked client certificates (mqtt.tls_client_revoked %s): %w", r.path, err)
	}
	r.serials, r.mod, r.size = serials, fi.ModTime(), fi.Size()
	return serials, nil
}

// parseRevoked reads one hex serial a line; text after '#' and blank
// lines are ignored.
func parseRevoked(b []byte) (map[string]bool, error) {
	out := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		v, ok := new(big.Int).SetString(strings.ReplaceAll(line, ":", ""), 16)
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not a hex serial", n, line)
		}
		out[v.Text(16)] = true
	}
	return out, sc.Err()
}

// verify refuses a client certificate whose serial is revoked, and every
// one while the list cannot be read: a revocation must not lapse.
func (r *revocations) verify(_ [][]byte, chains [][]*x509.Certificate) error {
	serials, err := r.load()
	if err != nil {
		return err
	}
	for _, chain := range chains {
		if len(chain) > 0 && serials[chain[0].SerialNumber.Text(16)] {
			return fmt.Errorf("client certificate %q (serial %s) was revoked", chain[0].Subject.CommonName, chain[0].SerialNumber.Text(16))
		}
	}
	return nil
}
