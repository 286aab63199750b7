package ui

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/yizhan/yizhan/hub/accounts"
)

// screenPage is a page module as roles_test reads it from main.js.
type screenPage struct {
	ID    string   `json:"id"`
	Roles []string `json:"roles"`
	Nav   string   `json:"nav"`
	Reads []string `json:"reads"`
	Acts  *struct {
		Roles  []string `json:"roles"`
		Routes []string `json:"routes"`
	} `json:"acts"`
}

func readPages(t *testing.T) []screenPage {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("static", "main.js"))
	if err != nil {
		t.Fatal(err)
	}
	const script = `const { pathToFileURL } = await import('node:url');
const m = await import(pathToFileURL(process.argv[1]).href);
process.stdout.write(JSON.stringify(m.PAGES.map(({ id, roles, nav, reads, acts }) => ({ id, roles, nav, reads, acts }))));`
	out, err := exec.Command(nodePath(t), "--input-type=module", "-e", script, abs).Output()
	if err != nil {
		t.Fatalf("node cannot import main.js: %v", err)
	}
	var ps []screenPage
	if err := json.Unmarshal(out, &ps); err != nil {
		t.Fatal(err)
	}
	return ps
}

// A page is in a role's navigation exactly when the hub lets the role call
// what the page reads, and the page offers changes exactly to the roles the
// hub lets make them: no page that answers "forbidden", no page hidden from
// someone who may use it. The route table is hub/accounts'.
func TestPagesFollowTheRouteTable(t *testing.T) {
	pages := readPages(t)
	if len(pages) < 10 {
		t.Fatalf("only %d pages read from main.js", len(pages))
	}
	allowedAll := func(role string, routes []string) bool {
		for _, r := range routes {
			if !accounts.Allowed(accounts.Role(role), r) {
				return false
			}
		}
		return true
	}
	for _, p := range pages {
		if p.ID == "login" {
			continue
		}
		if len(p.Reads) == 0 {
			t.Errorf("page %s names no routes it reads", p.ID)
			continue
		}
		for _, r := range append(slices.Clone(p.Reads), actsRoutes(p)...) {
			if !accounts.Listed(r) {
				t.Errorf("page %s calls %s, which the hub's route table does not have", p.ID, r)
			}
		}
		for _, role := range accounts.Roles {
			in := slices.Contains(p.Roles, string(role))
			if can := allowedAll(string(role), p.Reads); in != can {
				t.Errorf("page %s: role %s has it %v, the hub lets it read %v: %v", p.ID, role, in, p.Reads, can)
			}
			if p.Acts == nil || !in {
				continue
			}
			acts := slices.Contains(p.Acts.Roles, string(role))
			if can := allowedAll(string(role), p.Acts.Routes); acts != can {
				t.Errorf("page %s: role %s may change things here %v, the hub lets it call %v: %v", p.ID, role, acts, p.Acts.Routes, can)
			}
		}
	}
}

func actsRoutes(p screenPage) []string {
	if p.Acts == nil {
		return nil
	}
	return p.Acts.Routes
}
