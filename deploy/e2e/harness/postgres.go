package harness

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// PostgresOptions configures StartPostgres.
type PostgresOptions struct {
	// Fsync keeps PostgreSQL's fsync on, for benchmarks that must pay for
	// durability. Tests leave it off: a killed server still loses nothing
	// (every commit reached the kernel), only a machine crash would.
	Fsync bool
}

// Postgres is a throwaway PostgreSQL cluster on 127.0.0.1 and a free port,
// made with the machine's own initdb for one test or one test binary.
// As root it runs as the postgres user, since initdb and postgres refuse
// to run as root.
type Postgres struct {
	bin     string // directory of initdb, postgres, psql
	dir     string
	data    string
	logPath string
	port    int
	runAs   string // "" for the current user
	opts    PostgresOptions

	mu   sync.Mutex
	proc *Proc
}

// pgUser is the cluster's superuser; tests connect as it without a password
// (trust authentication, loopback only).
const pgUser = "yz"

var pgDatabases atomic.Uint64

// postgresBin finds the server binaries: the newest under
// /usr/lib/postgresql, else initdb on the PATH.
func postgresBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("PostgreSQL's server binaries (initdb, postgres) are not installed: apt-get install -y postgresql (or run make deps as root)")
}

// StartPostgres makes a new cluster and starts it; it is stopped and
// removed when t ends. A machine without PostgreSQL skips t, or fails it
// under CI=true.
func StartPostgres(t testing.TB, opts PostgresOptions) *Postgres {
	t.Helper()
	p, err := NewPostgres(opts)
	if err != nil {
		SkipOutsideCI(t, "%v", err)
	}
	t.Cleanup(p.Close)
	logTailOnFailure(t, "postgres", p.logPath)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

// NewPostgres makes a cluster in a new temporary directory without
// starting it, for a TestMain that shares one server across a package's
// tests. Close stops it and removes the directory.
func NewPostgres(opts PostgresOptions) (*Postgres, error) {
	bin, err := postgresBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "yizhan-pg-")
	if err != nil {
		return nil, err
	}
	p := &Postgres{bin: bin, dir: dir, data: filepath.Join(dir, "data"), logPath: filepath.Join(dir, "postgres.log"), opts: opts}
	if os.Geteuid() == 0 {
		p.runAs = "postgres"
		if err := chownTo(dir, p.runAs); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if out, err := p.run(filepath.Join(bin, "initdb"), "-D", p.data, "-A", "trust", "-U", pgUser, "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	p.port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p, nil
}

// chownTo gives dir to the named user, so that a server running as it can
// write there.
func chownTo(dir, name string) error {
	out, err := exec.Command("chown", name, dir).CombinedOutput()
	if err != nil {
		return fmt.Errorf("chown %s %s: %v %s", name, dir, err, out)
	}
	return nil
}

// run runs a PostgreSQL tool as the cluster's user.
func (p *Postgres) run(bin string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = p.dir
	if p.runAs != "" {
		if err := asUser(cmd, p.runAs); err != nil {
			return nil, err
		}
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

const postgresStartTimeout = 30 * time.Second

// Start starts the server (again, after Stop or Kill) and waits until it
// takes connections.
func (p *Postgres) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil && p.proc.Running() {
		return nil
	}
	// After a kill the old backends, each in a session of its own, exit
	// only when they notice their postmaster is gone; until then they hold
	// its shared memory and a new server refuses to start.
	deadline := time.Now().Add(postgresStartTimeout)
	for {
		err := p.start()
		if err == nil || !errors.Is(err, errSharedMemoryInUse) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var errSharedMemoryInUse = errors.New("the old server's shared memory is still in use")

func (p *Postgres) start() error {
	fsync := "off"
	if p.opts.Fsync {
		fsync = "on"
	}
	logStart, _ := os.Stat(p.logPath)
	cmd := exec.Command(filepath.Join(p.bin, "postgres"), "-D", p.data, "-p", strconv.Itoa(p.port), "-k", p.dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync="+fsync, "-c", "max_connections=200", "-c", "shared_buffers=64MB")
	cmd.Dir = p.dir
	if p.runAs != "" {
		if err := asUser(cmd, p.runAs); err != nil {
			return err
		}
	}
	proc, err := spawn(cmd, p.logPath)
	if err != nil {
		return fmt.Errorf("start postgres: %w", err)
	}
	p.proc = proc
	deadline := time.Now().Add(postgresStartTimeout)
	for wait := 5 * time.Millisecond; ; wait = min(wait*2, 100*time.Millisecond) {
		if !proc.Running() {
			err := proc.Wait()
			if logSince(p.logPath, logStart, "pre-existing shared memory block") {
				return fmt.Errorf("%w (%v)", errSharedMemoryInUse, err)
			}
			return fmt.Errorf("postgres exited during start (%v); see %s:\n%s", err, p.logPath, tail(p.logPath, 10))
		}
		if out, err := p.run(filepath.Join(p.bin, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", pgUser); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			proc.Kill()
			return fmt.Errorf("postgres did not take connections on %s within %v: %v %s", p.Addr(), postgresStartTimeout, err, out)
		}
		time.Sleep(wait)
	}
}

// logSince reports whether the log written after it stood at before
// holds text.
func logSince(path string, before os.FileInfo, text string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	if before != nil && before.Size() <= int64(len(b)) {
		b = b[before.Size():]
	}
	return bytes.Contains(b, []byte(text))
}

// Stop shuts the server down cleanly ("fast": open sessions are ended).
func (p *Postgres) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc == nil || !p.proc.Running() {
		return nil
	}
	if err := p.proc.cmd.Process.Signal(syscall.SIGINT); err != nil {
		return err
	}
	select {
	case <-p.proc.done:
		return nil
	case <-time.After(StopTimeout):
		p.proc.Kill()
		return fmt.Errorf("postgres did not stop within %v; killed", StopTimeout)
	}
}

// Kill sends SIGKILL to the server, as a crash would. Its backends end by
// themselves when they notice; Start waits for that.
func (p *Postgres) Kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil {
		p.proc.Kill()
	}
}

// Close stops the server and removes its directory.
func (p *Postgres) Close() {
	p.Kill()
	os.RemoveAll(p.dir)
}

// Addr is the server's host:port.
func (p *Postgres) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

// LogPath is the server's log.
func (p *Postgres) LogPath() string { return p.logPath }

// DSN is the URL of database db on this server.
func (p *Postgres) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", pgUser, p.Addr(), db)
}

// SQL runs statements in database db with psql and returns its output,
// unaligned and without headers: one row a line, columns split by '|'.
func (p *Postgres) SQL(db, statements string) (string, error) {
	out, err := p.run(filepath.Join(p.bin, "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", strconv.Itoa(p.port), "-U", pgUser, "-d", db, "-c", statements)
	if err != nil {
		return "", fmt.Errorf("psql: %v: %s", err, bytes.TrimSpace(out))
	}
	return strings.TrimSpace(string(out)), nil
}

// NewDatabase creates an empty database for one test and returns its DSN;
// it is dropped when t ends.
func (p *Postgres) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), pgDatabases.Add(1))
	if _, err := p.SQL("postgres", "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() { p.SQL("postgres", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	return p.DSN(name)
}

// Pid is the postmaster's process id, or 0 if it is not running; its
// backends are its children (see TreeCPUTime).
func (p *Postgres) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.proc != nil && p.proc.Running() {
		return p.proc.Pid()
	}
	return 0
}
