package harness

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Dovecot is a real IMAP server (Debian's dovecot-imapd) on 127.0.0.1,
// started for one test, its mail in a directory of its own.
type Dovecot struct {
	dir  string
	port int
	proc *Proc
}

// StartDovecot starts Dovecot with users (name to password) on a free
// port, plain IMAP on loopback, and stops it when the test ends. It needs
// root (Dovecot drops to its own users, dovecot and dovenull); without
// it, or without the package, the test is skipped outside CI and fails in
// CI.
func StartDovecot(t testing.TB, users map[string]string) *Dovecot {
	t.Helper()
	bin := lookBin("dovecot", "/usr/sbin", "/usr/local/sbin")
	if bin == "" && os.Geteuid() == 0 {
		if err := aptInstall("dovecot-imapd"); err != nil {
			t.Fatalf("dovecot is not installed and installing dovecot-imapd failed: %v", err)
		}
		bin = lookBin("dovecot", "/usr/sbin", "/usr/local/sbin")
	}
	if bin == "" {
		SkipOutsideCI(t, "dovecot not found: apt-get install -y dovecot-imapd (deploy/ci/install-deps.sh)")
	}
	if os.Geteuid() != 0 {
		SkipOutsideCI(t, "Dovecot's test instance runs as root (it drops to dovecot and dovenull)")
	}
	// Dovecot's own users must read the mail and the base directory:
	// a temporary directory of mode 755, not t.TempDir's 700 chain.
	dir, err := os.MkdirTemp("", "yz-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var pw strings.Builder
	for u, p := range users {
		if strings.ContainsAny(u+p, ":\n") {
			t.Fatalf("StartDovecot: user %q or its password holds ':' or a newline", u)
		}
		fmt.Fprintf(&pw, "%s:{PLAIN}%s::::::\n", u, p)
	}
	for _, sub := range []string{"run", "state", "mail"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(pw.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chownTo(filepath.Join(dir, "mail"), "dovecot:dovecot"); err != nil {
		t.Fatal(err)
	}
	d := &Dovecot{dir: dir}
	logTailOnFailure(t, "dovecot", filepath.Join(dir, "log"))
	for range 3 {
		d.port = FreePort(t)
		conf := filepath.Join(dir, "dovecot.conf")
		if err := os.WriteFile(conf, []byte(d.config()), 0o644); err != nil {
			t.Fatal(err)
		}
		// -F: in the foreground, so the test's process handle is the
		// master and stopping it stops them all.
		d.proc = Start(t, bin, "-F", "-c", conf)
		if waitListen(d.Addr(), 15*time.Second) {
			t.Cleanup(func() { d.proc.Stop() })
			return d
		}
		d.proc.Kill()
	}
	t.Fatalf("dovecot did not listen on 127.0.0.1: see %s", filepath.Join(dir, "log"))
	return nil
}

// Addr is the server's host:port.
func (d *Dovecot) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)) }

// Stop stops the server; a test may start another.
func (d *Dovecot) Stop() { d.proc.Stop() }

func (d *Dovecot) config() string {
	return strings.NewReplacer("DIR", d.dir, "PORT", strconv.Itoa(d.port)).Replace(`protocols = imap
listen = 127.0.0.1
base_dir = DIR/run
state_dir = DIR/state
log_path = DIR/log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 100
mail_location = maildir:DIR/mail/%u
passdb {
  driver = passwd-file
  args = scheme=PLAIN DIR/passwd
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=DIR/mail/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = PORT
  }
  inet_listener imaps {
    port = 0
  }
}
`)
}

func waitListen(addr string, within time.Duration) bool {
	end := time.Now().Add(within)
	for time.Now().Before(end) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}
