package ci

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The README's layout table names the rooms of the tree. Every path it
// names exists, and every package under agent/, hub/ and syncproto/ is
// named by its own row (packages below a named one, such as
// syncproto/lifecycle under syncproto/, need a row of their own only at
// the second level). devices/ and deploy/ are described as wholes.
func TestReadmeLayoutMatchesTree(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "### Layout")
	if start < 0 {
		t.Fatal("README.md has no ### Layout section")
	}
	section := readme[start:]
	if end := strings.Index(section[4:], "\n#"); end >= 0 {
		section = section[:end+4]
	}
	named := map[string]bool{}
	cell := regexp.MustCompile("`([a-z0-9_./-]+)`")
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first := strings.SplitN(line, "|", 3)[1]
		for _, m := range cell.FindAllStringSubmatch(first, -1) {
			named[strings.TrimSuffix(m[1], "/")] = true
		}
	}
	if len(named) < 10 {
		t.Fatalf("found only %d paths in the layout table: %v", len(named), named)
	}
	for p := range named {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("README layout names %s, which is not in the tree", p)
		}
	}
	for _, top := range []string{"agent", "hub", "syncproto"} {
		for _, pkg := range packagesUnder(t, top) {
			parts := strings.Split(pkg, "/")
			want := strings.Join(parts[:min(len(parts), 2)], "/")
			if top == "syncproto" && len(parts) == 1 {
				want = "syncproto"
			}
			if len(parts) > 2 && parts[1] == "cmd" {
				want = strings.Join(parts[:min(len(parts), 3)], "/")
			}
			if !named[want] {
				t.Errorf("package %s has no row in the README's layout table (add `%s`)", pkg, want)
			}
		}
	}
}

// packagesUnder lists the directories under top holding non-test Go files,
// slash-separated and relative to the repository root.
func packagesUnder(t *testing.T, top string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(root, top), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || d.Name() == "jstest" || d.Name() == "static") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); !slices.Contains(out, rel) {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
