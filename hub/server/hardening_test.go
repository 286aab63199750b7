package server

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// TestBearerSchemeIsCaseInsensitive: the head-office API takes the token
// under any spelling of the scheme (RFC 9110 §11.1), and nothing else.
func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	s := startHub(t)
	for _, tc := range []struct {
		header string
		want   int
	}{
		{"Bearer " + s.Token(), 200},
		{"bearer " + s.Token(), 200},
		{"BEARER " + s.Token(), 200},
		{"bEaReR  " + s.Token() + " ", 200},
		{"Basic " + s.Token(), 401},
		{"bearer " + s.Token() + "x", 401},
		{"bearer", 401},
		{s.Token(), 401},
	} {
		req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/api/v1/outlets", nil)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("authorization", tc.header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("Authorization %q: status %d, want %d", tc.header, resp.StatusCode, tc.want)
		}
	}
}

// TestLockedStoreAnswers503: while another process holds hub.db's write
// lock, a head-office write is answered 503 store.busy with Retry-After,
// not 500; once the lock is gone the same request succeeds.
func TestLockedStoreAnswers503(t *testing.T) {
	dir := t.TempDir()
	s, err := Start(context.Background(), Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0",
		Logger: discard(), BusyTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "hub.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	lock, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	post := func() (*http.Response, problem.Body) {
		body := `{"target":"*","type":"notice.published","payload":{"text":"hi"}}`
		req, _ := http.NewRequest("POST", "http://"+s.HTTPAddr()+"/api/v1/downlink", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.Token())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b problem.Body
		raw, _ := io.ReadAll(resp.Body)
		json.Unmarshal(raw, &b)
		return resp, b
	}
	resp, b := post()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || b.Error.Code != "store.busy" {
		t.Fatalf("with the store locked: status %d, Retry-After %q, code %q; want 503, a Retry-After and store.busy",
			resp.StatusCode, resp.Header.Get("Retry-After"), b.Error.Code)
	}
	if _, err := lock.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if resp, b := post(); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after the lock went: status %d %+v", resp.StatusCode, b)
	}
}

// logBuffer is a logger whose lines can be read back.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestDataFilesArePrivate: a new hub makes its directory 0700 and hub.db
// with its -wal and -shm 0600; a hub started on files left open to others
// tightens them and says so.
func TestDataFilesArePrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hub")
	start := func(log io.Writer) *Server {
		s, err := Start(context.Background(), Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", MQTTListen: "127.0.0.1:0",
			Logger: slog.New(slog.NewTextHandler(log, nil))})
		if err != nil {
			t.Fatal(err)
		}
		// A write, so that the -wal and -shm files exist.
		if _, err := s.Hub.PublishDown(context.Background(), "*", "notice.published", "", json.RawMessage(`{"text":"x"}`), "ops"); err != nil {
			t.Fatal(err)
		}
		return s
	}
	check := func(when string) {
		t.Helper()
		want := map[string]os.FileMode{dir: 0o700, filepath.Join(dir, "hub.db"): 0o600,
			filepath.Join(dir, "hub.db-wal"): 0o600, filepath.Join(dir, "hub.db-shm"): 0o600}
		for p, mode := range want {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if fi.Mode().Perm() != mode {
				t.Errorf("%s: %s has mode %v, want %v", when, p, fi.Mode().Perm(), mode)
			}
		}
	}
	s := start(io.Discard)
	check("new hub")
	s.Close()

	for p, mode := range map[string]os.FileMode{dir: 0o755, filepath.Join(dir, "hub.db"): 0o644} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
	var log logBuffer
	s = start(&log)
	defer s.Close()
	check("restarted on open files")
	for _, what := range []string{"data directory was open to others", "hub database file was readable by others"} {
		if !strings.Contains(log.String(), what) {
			t.Errorf("no log line %q in:\n%s", what, log.String())
		}
	}
}
