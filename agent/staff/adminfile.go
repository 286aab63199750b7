package staff

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
)

// AdminFileName is the file in the data directory where a running agent
// says where it listens and which token the staff command may use. Only
// the service user can read it (mode 0600), the same user who could edit
// the data file directly while the agent is stopped, so the token gives
// the command line nothing it did not already have; and it needs no
// supervisor PIN, so the first supervisor can be added on a running agent.
const AdminFileName = "agent-admin.json"

// adminTokenPrefix tells an admin token from a session token at a glance.
const adminTokenPrefix = "yzadm_"

// AdminFile is the content of AdminFileName.
type AdminFile struct {
	// URL is the agent's HTTP API on loopback, e.g. http://127.0.0.1:8080.
	URL   string `json:"url"`
	Token string `json:"token"`
}

// WithAdminToken makes the staff routes accept token from loopback as the
// local admin (Sessions only).
func WithAdminToken(token string) Option { return func(c *config) { c.adminToken = token } }

// WriteAdminFile makes a fresh admin token and writes it with the loopback
// URL of addr to dir/AdminFileName. Remove the file when the agent stops.
func WriteAdminFile(dir string, addr net.Addr) (AdminFile, error) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return AdminFile{}, fmt.Errorf("admin file: %v is not a TCP address", addr)
	}
	// The command runs on this PC: loopback reaches the agent whether it
	// listens on one address or on all.
	host := "127.0.0.1"
	if tcp.IP.To4() == nil && tcp.IP != nil && !tcp.IP.IsUnspecified() {
		host = "::1"
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails since Go 1.24
	af := AdminFile{URL: "http://" + net.JoinHostPort(host, strconv.Itoa(tcp.Port)), Token: adminTokenPrefix + base64.RawURLEncoding.EncodeToString(b)}
	data, err := json.Marshal(af)
	if err != nil {
		return AdminFile{}, err
	}
	// Write then rename, so the command never reads half a file; a file
	// left by an agent that crashed is replaced here.
	tmp, err := os.CreateTemp(dir, AdminFileName+".*")
	if err != nil {
		return AdminFile{}, fmt.Errorf("admin file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && !os.IsPermission(err) {
		tmp.Close()
		return AdminFile{}, fmt.Errorf("admin file: %w", err)
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return AdminFile{}, fmt.Errorf("admin file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return AdminFile{}, fmt.Errorf("admin file: %w", err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, AdminFileName)); err != nil {
		return AdminFile{}, fmt.Errorf("admin file: %w", err)
	}
	return af, nil
}

// RemoveAdminFile deletes dir/AdminFileName if it holds token, so a
// stopping agent never deletes a newer agent's file.
func RemoveAdminFile(dir, token string) error {
	path := filepath.Join(dir, AdminFileName)
	af, err := ReadAdminFile(dir)
	if err != nil || af.Token != token {
		return nil
	}
	return os.Remove(path)
}

// ReadAdminFile reads dir/AdminFileName.
func ReadAdminFile(dir string) (AdminFile, error) {
	var af AdminFile
	data, err := os.ReadFile(filepath.Join(dir, AdminFileName))
	if err != nil {
		return af, err
	}
	if err := json.Unmarshal(data, &af); err != nil {
		return af, fmt.Errorf("%s: %w", AdminFileName, err)
	}
	return af, nil
}
