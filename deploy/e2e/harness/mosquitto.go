package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// MosquittoOptions configures StartMosquitto.
type MosquittoOptions struct {
	// Users maps user name to password. Outlets log in with their outlet id
	// as the user name, which the ACL's %u patterns rely on.
	Users map[string]string
	// HubUser, if set, must be in Users or PasswordFile; it may read and
	// write all of yz/.
	HubUser string
	// PasswordFile, if set, is a password file made elsewhere
	// (mosquitto_passwd format), such as the load generator's for
	// thousands of outlets; the broker starts with a copy of it, Users
	// added.
	PasswordFile string
	// ExtraConfig is appended to the generated mosquitto.conf.
	ExtraConfig string
}

// Mosquitto is a real mosquitto broker on 127.0.0.1, started for one test.
type Mosquitto struct {
	bin     string
	passwd  string // mosquitto_passwd
	dir     string
	conf    string
	pwFile  string
	logPath string
	port    int

	mu   sync.Mutex
	proc *Proc
}

// mosquittoStartTimeout bounds how long a broker may take to listen.
const mosquittoStartTimeout = 15 * time.Second

// StartMosquitto starts a broker with a password file and the production ACL
// shape (see deploy/mosquitto/acl) on a free port. It stops the broker when
// the test ends.
func StartMosquitto(t testing.TB, opts MosquittoOptions) *Mosquitto {
	t.Helper()
	bin, passwd := mosquittoBinaries(t)
	if opts.HubUser != "" && opts.PasswordFile == "" {
		if _, ok := opts.Users[opts.HubUser]; !ok {
			t.Fatalf("StartMosquitto: HubUser %q has no password in Users", opts.HubUser)
		}
	}
	for u, p := range opts.Users {
		if err := checkCredential(u, p); err != nil {
			t.Fatalf("StartMosquitto: %v", err)
		}
	}
	dir := t.TempDir()
	m := &Mosquitto{
		bin:     bin,
		passwd:  passwd,
		dir:     dir,
		conf:    filepath.Join(dir, "mosquitto.conf"),
		pwFile:  filepath.Join(dir, "passwd"),
		logPath: filepath.Join(dir, "mosquitto.log"),
	}
	logTailOnFailure(t, "mosquitto", m.logPath)
	t.Cleanup(m.Kill)

	if err := m.writePasswords(opts.PasswordFile, opts.Users); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "acl"), []byte(ACL(opts.HubUser)), 0o644); err != nil {
		t.Fatal(err)
	}
	// The port may be taken between FreePort and bind; try a few.
	var err error
	for range 3 {
		m.port = FreePort(t)
		if err = os.WriteFile(m.conf, []byte(m.config(opts.ExtraConfig)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err = m.start(); err == nil {
			return m
		}
	}
	t.Fatalf("start mosquitto: %v", err)
	return nil
}

// ACL returns the broker ACL in the production shape: every outlet may write
// its own uplink and read its own downlink and the broadcast tree; hubUser,
// if not empty, may read and write everything under yz/. The hub's shared
// subscription $share/<group>/yz/... needs no rule of its own: Mosquitto
// checks the topic a message is published on, not the $share filter.
func ACL(hubUser string) string {
	acl := "# Rules for every authenticated client; %u is the user name (the outlet id).\n" +
		"pattern read yz/v1/broadcast/#\n" +
		"pattern write yz/v1/outlets/%u/up/#\n" +
		"pattern read yz/v1/outlets/%u/down/#\n"
	if hubUser != "" {
		acl += "\nuser " + hubUser + "\ntopic readwrite yz/#\n"
	}
	return acl
}

func (m *Mosquitto) config(extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listener %d 127.0.0.1\n", m.port)
	b.WriteString("allow_anonymous false\n")
	fmt.Fprintf(&b, "password_file %s\n", m.pwFile)
	fmt.Fprintf(&b, "acl_file %s\n", filepath.Join(m.dir, "acl"))
	b.WriteString("persistence false\n")
	// Started as root, mosquitto drops to user "mosquitto", which cannot
	// read files in the test's temporary directory; stay as ourselves.
	if u, err := user.Current(); err == nil {
		fmt.Fprintf(&b, "user %s\n", u.Username)
	}
	b.WriteString("log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\n")
	b.WriteString("log_timestamp_format %H:%M:%S\n")
	if extra != "" {
		b.WriteString(extra)
		b.WriteString("\n")
	}
	return b.String()
}

func checkCredential(user, pass string) error {
	if user == "" || strings.ContainsAny(user, ": \t\r\n+#/") {
		return fmt.Errorf("user name %q: must be non-empty without ':', '/', '+', '#' or spaces", user)
	}
	if pass == "" || strings.ContainsAny(pass, "\r\n") {
		return fmt.Errorf("password for %q: must be non-empty and one line", user)
	}
	return nil
}

// writePasswords creates the password file from a copy of from (none if
// empty) and users.
func (m *Mosquitto) writePasswords(from string, users map[string]string) error {
	var start []byte
	if from != "" {
		var err error
		if start, err = os.ReadFile(from); err != nil {
			return fmt.Errorf("mosquitto password file: %w", err)
		}
	}
	if err := os.WriteFile(m.pwFile, start, 0o600); err != nil {
		return err
	}
	names := make([]string, 0, len(users))
	for u := range users {
		names = append(names, u)
	}
	slices.Sort(names)
	for _, u := range names {
		if err := m.setPassword(u, users[u]); err != nil {
			return err
		}
	}
	return nil
}

func (m *Mosquitto) setPassword(user, pass string) error {
	out, err := exec.Command(m.passwd, "-b", m.pwFile, user, pass).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mosquitto_passwd -b %s %s: %v\n%s", m.pwFile, user, err, out)
	}
	return nil
}

// start runs the broker and waits until it accepts connections.
func (m *Mosquitto) start() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, err := spawn(exec.Command(m.bin, "-c", m.conf), m.logPath)
	if err != nil {
		return fmt.Errorf("start %s: %w", m.bin, err)
	}
	m.proc = p
	deadline := time.Now().Add(mosquittoStartTimeout)
	for wait := time.Millisecond; ; wait = min(wait*2, 50*time.Millisecond) {
		if !p.Running() {
			return fmt.Errorf("mosquitto exited during start (%v); see %s:\n%s", p.Wait(), m.logPath, tail(m.logPath, 10))
		}
		if c, err := net.DialTimeout("tcp", m.Addr(), time.Second); err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			p.Kill()
			return fmt.Errorf("mosquitto did not listen on %s within %v", m.Addr(), mosquittoStartTimeout)
		}
		time.Sleep(wait)
	}
}

// Addr returns the broker's host:port.
func (m *Mosquitto) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(m.port)) }

// URL returns the broker's address as tcp://127.0.0.1:port.
func (m *Mosquitto) URL() string { return "tcp://" + m.Addr() }

// Pid returns the running broker's process id, or 0 if it is not running.
func (m *Mosquitto) Pid() int {
	if p := m.current(); p != nil && p.Running() {
		return p.Pid()
	}
	return 0
}

// LogPath returns the broker's log file, which spans restarts.
func (m *Mosquitto) LogPath() string { return m.logPath }

// Log returns the broker's log so far.
func (m *Mosquitto) Log() string {
	b, _ := os.ReadFile(m.logPath)
	return string(b)
}

func (m *Mosquitto) current() *Proc {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proc
}

// Stop sends SIGTERM and waits for the broker to exit.
func (m *Mosquitto) Stop() {
	if p := m.current(); p != nil {
		p.Stop()
	}
}

// Kill stops the broker with SIGKILL, as a crash would.
func (m *Mosquitto) Kill() {
	if p := m.current(); p != nil {
		p.Kill()
	}
}

// Running reports whether the broker process is alive.
func (m *Mosquitto) Running() bool {
	p := m.current()
	return p != nil && p.Running()
}

// Restart stops the broker if it runs and starts it again on the same port
// with the same configuration. Sessions and retained messages are lost, as
// persistence is off.
func (m *Mosquitto) Restart(t testing.TB) {
	t.Helper()
	m.Stop()
	if err := m.start(); err != nil {
		t.Fatalf("restart mosquitto on %s: %v", m.Addr(), err)
	}
}

// AddUser adds a user or changes its password, makes the running broker
// reload its password file with SIGHUP, and returns once the broker accepts
// the new credentials.
func (m *Mosquitto) AddUser(t testing.TB, user, pass string) {
	t.Helper()
	if err := checkCredential(user, pass); err != nil {
		t.Fatalf("AddUser: %v", err)
	}
	if err := m.setPassword(user, pass); err != nil {
		t.Fatal(err)
	}
	m.Reload(t)
	// Mosquitto logs "Reloading config." before it rereads the files, so
	// the log cannot say when it is done; logging in can.
	Eventually(t, 10*time.Second, func() (bool, string) {
		err := mqttLogin(m.Addr(), user, pass)
		return err == nil, fmt.Sprintf("log in to %s as %q after reload: %v", m.Addr(), user, err)
	})
}

// Reload sends SIGHUP, which makes mosquitto reread its password and ACL
// files without dropping clients.
func (m *Mosquitto) Reload(t testing.TB) {
	t.Helper()
	p := m.current()
	if p == nil || !p.Running() {
		t.Fatalf("reload mosquitto: not running")
	}
	if err := p.Signal(syscall.SIGHUP); err != nil {
		t.Fatalf("reload mosquitto: %v", err)
	}
}

// errNotAuthorized is a CONNACK refusing the user name or password.
var errNotAuthorized = errors.New("connection refused: bad user name or password, or not authorized")

// mqttLogin performs an MQTT 3.1.1 CONNECT with the given credentials and
// returns nil if the broker accepted it. It keeps the harness from
// depending on a client library for its own checks.
func mqttLogin(addr, user, pass string) error {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	str := func(b *bytes.Buffer, s string) {
		b.WriteByte(byte(len(s) >> 8))
		b.WriteByte(byte(len(s)))
		b.WriteString(s)
	}
	var body bytes.Buffer
	str(&body, "MQTT")
	body.WriteByte(4)        // protocol level 3.1.1
	body.WriteByte(0xC2)     // user name, password, clean session
	body.Write([]byte{0, 5}) // keep alive seconds
	str(&body, "")           // empty client id: the broker assigns one
	str(&body, user)
	str(&body, pass)
	pkt := []byte{0x10}
	n := body.Len()
	for { // remaining length, 7 bits a byte
		d := byte(n & 0x7f)
		n >>= 7
		if n > 0 {
			d |= 0x80
		}
		pkt = append(pkt, d)
		if n == 0 {
			break
		}
	}
	if _, err := c.Write(append(pkt, body.Bytes()...)); err != nil {
		return err
	}
	var ack [4]byte
	if _, err := io.ReadFull(c, ack[:]); err != nil {
		return fmt.Errorf("read CONNACK: %w", err)
	}
	switch {
	case ack[0] != 0x20 || ack[1] != 2:
		return fmt.Errorf("unexpected reply %x to CONNECT", ack)
	case ack[3] == 0:
		c.Write([]byte{0xE0, 0}) // DISCONNECT, so the broker logs a clean exit
		return nil
	case ack[3] == 4 || ack[3] == 5:
		return errNotAuthorized
	default:
		return fmt.Errorf("CONNACK return code %d", ack[3])
	}
}
