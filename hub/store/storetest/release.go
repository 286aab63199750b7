package storetest

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/yizhan/yizhan/hub/store"
)

// Release checks s, opened with the current code on a copy of a release's
// store (a backend's testdata), against what that release's hub served
// from it (goldenPath, its "answers" under /api/v1): every outlet with the
// same acknowledged sequence, epoch, incarnation, downlink cursor, region
// and city, and every account with the same name, role and state. The
// system test in deploy/e2e compares every answer; this one holds at the
// store.
func Release(t *testing.T, s store.Store, goldenPath string) {
	t.Helper()
	raw, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Answers struct {
			Outlets struct {
				Outlets []map[string]any `json:"outlets"`
			} `json:"/outlets"`
			Accounts struct {
				Accounts []map[string]any `json:"accounts"`
			} `json:"/accounts"`
		} `json:"answers"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.Answers.Outlets.Outlets) == 0 || len(g.Answers.Accounts.Accounts) == 0 {
		t.Fatalf("%s holds no outlets or no accounts", goldenPath)
	}
	ctx := context.Background()
	for _, want := range g.Answers.Outlets.Outlets {
		id, _ := want["id"].(string)
		o, err := s.Outlet(ctx, id)
		if err != nil {
			t.Errorf("outlet %s: %v", id, err)
			continue
		}
		var got map[string]any
		b, _ := json.Marshal(o)
		json.Unmarshal(b, &got)
		for _, k := range []string{"acked_seq", "epoch", "incarnation", "down_cursor", "dead_letters", "region", "city", "has_secret"} {
			if _, ok := want[k]; !ok {
				t.Fatalf("the golden outlet %s has no %s", id, k)
			}
			if got[k] != want[k] {
				t.Errorf("outlet %s %s: %v, the release served %v", id, k, got[k], want[k])
			}
		}
	}
	for _, want := range g.Answers.Accounts.Accounts {
		id, _ := want["id"].(string)
		a, err := s.Account(ctx, id)
		if err != nil {
			t.Errorf("account %s: %v", id, err)
			continue
		}
		if a.Name != want["name"] || a.Role != want["role"] || a.Disabled != want["disabled"] || a.PasswordHash == "" {
			t.Errorf("account %s: %s %s disabled %v, the release served %v", id, a.Name, a.Role, a.Disabled, want)
		}
	}
}
