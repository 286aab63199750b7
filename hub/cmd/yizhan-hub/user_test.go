package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/server"
	"github.com/yizhan/yizhan/hub/store"
)

// TestUserCommand adds, lists, disables, enables, resets and unlocks an
// account in the store, with the password from a file or standard input
// and never from an argument; a weak password is refused in both
// languages before anything is stored.
func TestUserCommand(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pwFile, []byte("Counter-2026!\n"), 0o600)
	weakFile := filepath.Join(t.TempDir(), "weak")
	os.WriteFile(weakFile, []byte("123456\n"), 0o600)
	cfg := filepath.Join(t.TempDir(), "hub.toml")
	os.WriteFile(cfg, []byte("[data]\ndir = \""+dir+"\"\n"), 0o600)
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string // substring of stdout, or of stderr when code != 0
	}{
		{"no subcommand", []string{"user"}, "", 2, "add, list"},
		{"weak", []string{"user", "add", "--data", dir, "--id", "li", "--name", "李雷", "--role", "service", "--password-file", weakFile}, "", 2, "密码太弱"},
		{"weak in English", []string{"user", "add", "--data", dir, "--id", "li", "--name", "李雷", "--role", "service", "--password-file", weakFile}, "", 2, "at least 10 characters"},
		{"no terminal", []string{"user", "add", "--data", dir, "--id", "li", "--name", "李雷", "--role", "service"}, "", 2, "--password-file"},
		{"password as an argument", []string{"user", "add", "--data", dir, "--id", "li", "--password", "Counter-2026!"}, "", 2, "password"},
		{"bad role", []string{"user", "add", "--data", dir, "--id", "li", "--name", "李雷", "--role", "boss", "--password-file", pwFile}, "", 1, "boss"},
		{"add", []string{"user", "add", "--data", dir, "--id", "li", "--name", "李雷", "--role", "service", "--password-file", pwFile}, "", 0, "user li: add done"},
		{"add from stdin", []string{"user", "add", "--config", cfg, "--id", "han", "--name", "韩梅梅", "--role", "admin", "--password-file", "-"}, "Other-pass-77\n", 0, "done"},
		{"add twice", []string{"user", "add", "--data", dir, "--id", "li", "--name", "李雷", "--role", "service", "--password-file", pwFile}, "", 1, "already exists"},
		{"disable", []string{"user", "disable", "--data", dir, "--id", "li"}, "", 0, "done"},
		{"list", []string{"user", "list", "--data", dir}, "", 0, "service  true"},
		{"enable", []string{"user", "enable", "--data", dir, "--id", "li"}, "", 0, "done"},
		{"reset", []string{"user", "reset", "--data", dir, "--id", "li", "--password-file", "-"}, "Fresh-pass-99\n", 0, "done"},
		{"unlock", []string{"user", "unlock", "--data", dir, "--id", "li"}, "", 0, "done"},
		{"unlock unknown", []string{"user", "unlock", "--data", dir, "--id", "nobody"}, "", 1, "nobody"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdin = strings.NewReader(tc.stdin)
			t.Cleanup(func() { stdin = os.Stdin })
			var stdout, stderr bytes.Buffer
			if code := run(tc.args, &stdout, &stderr); code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			got := stdout.String()
			if tc.code != 0 {
				got = stderr.String()
			}
			if !strings.Contains(got, tc.out) {
				t.Errorf("output %q lacks %q", got, tc.out)
			}
		})
	}
	// What the command stored is what a hub logs in with.
	st, err := server.OpenStore(context.Background(), server.Config{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := accounts.New(accounts.Options{Store: st})
	if _, err := svc.Login(context.Background(), "li", "Fresh-pass-99", ""); err != nil {
		t.Errorf("login with the reset password: %v", err)
	}
	if _, err := svc.Login(context.Background(), "han", "Other-pass-77", ""); err != nil {
		t.Errorf("login of the account added from standard input: %v", err)
	}
	rows, err := st.Audit(context.Background(), store.AuditQuery{Origin: "hub"})
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, r := range rows {
		if strings.HasPrefix(r.Actor, "cli") {
			changes = append(changes, r.Action+" "+r.Subject)
		}
	}
	if want := "user unlock account/li,user reset account/li,user enable account/li,user disable account/li,user add account/han,user add account/li"; strings.Join(changes, ",") != want {
		t.Errorf("audit trail of the command: %v, want %s", changes, want)
	}
}
