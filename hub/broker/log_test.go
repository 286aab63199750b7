package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
)

type noOutlets struct{}

func (noOutlets) SecretHash(context.Context, string) (string, error) { return "", store.ErrNotFound }

// lockedBuffer is a log sink the broker's goroutines may share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A refused client makes mochi's listener log the connection's error with
// no message; the hub's log line must still say what happened.
func TestRefusedConnectionLogsAMessage(t *testing.T) {
	var out lockedBuffer
	b, err := Start(Options{Addr: "127.0.0.1:0", Secrets: noOutlets{}, Logger: slog.New(slog.NewJSONHandler(&out, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	conn, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// MQTT 3.1.1 CONNECT, clean session, user "SH-404", password "p".
	vh := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0xC2, 0, 60}
	pl := []byte{0, 1, 'c', 0, 6, 'S', 'H', '-', '4', '0', '4', 0, 1, 'p'}
	conn.Write(append([]byte{0x10, byte(len(vh) + len(pl))}, append(vh, pl...)...))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), emptyMessage) {
		if time.Now().After(deadline) {
			t.Fatalf("no connection-ended line in the log:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec struct{ Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Msg == "" {
			t.Errorf("log line without a message: %s", line)
		}
	}
}
