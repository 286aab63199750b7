package gateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/yizhan/yizhan/hub/gateway"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/hub/store/sqlite"
)

// BenchmarkOutboxSQLite measures the outbox's own cost per message on
// SQLite: enqueue, claim in batches, render, hand to the log gateway
// (discarded) and record, one message per b.N.
func BenchmarkOutboxSQLite(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "hub.db"), sqlite.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	sender, err := gateway.NewSender(gateway.Options{Store: st, Gateway: gateway.Log{Logger: slog.New(slog.DiscardHandler)},
		Contacts: gateway.ContactsFunc(func(context.Context, string) (string, error) { return "13812345678", nil }),
		Texts:    map[string]gateway.Text{"hello": func(lang string, p json.RawMessage) (string, error) { return string(p), nil }}})
	if err != nil {
		b.Fatal(err)
	}
	ms := make([]store.Message, b.N)
	for i := range ms {
		ms[i] = store.Message{Key: fmt.Sprintf("bench:%d", i), Kind: "hello", Subject: "B", Customer: fmt.Sprintf("c%d", i), Params: `{"t":1}`}
	}
	b.ResetTimer()
	for chunk := 0; chunk < len(ms); chunk += 500 {
		if _, err := st.Enqueue(ctx, ms[chunk:min(chunk+500, len(ms))]); err != nil {
			b.Fatal(err)
		}
	}
	sent := 0
	for sent < b.N {
		n, err := sender.SendDue(ctx)
		if err != nil || n == 0 {
			b.Fatalf("send: %d %v after %d", n, err, sent)
		}
		sent += n
	}
	b.StopTimer()
	if got := sender.Count("delivered"); int(got) != b.N {
		b.Fatalf("%v delivered, want %d", got, b.N)
	}
}
