package ci

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// typingCalls are the browser-test calls that type text: Enter must not be
// a character in their text.
var typingCalls = map[string]bool{"SendKeys": true, "KeyEvent": true, "KeyEventNode": true, "typeFocused": true}

// enterTypedAsText lists the places in a browser test's source that send
// Enter as a typed character ("\r" or "\n" in typed text) or as kb.Enter,
// instead of through pressEnter, which sends it as a keyboard does: key down
// with its code, key and key code, then key up.
func enterTypedAsText(fset *token.FileSet, f *ast.File) []string {
	var bad []string
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && x.Name == "kb" && n.Sel.Name == "Enter" {
				bad = append(bad, fset.Position(n.Pos()).String()+": kb.Enter")
			}
		case *ast.CallExpr:
			name := ""
			switch fn := n.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			if !typingCalls[name] {
				return true
			}
			for _, arg := range n.Args {
				ast.Inspect(arg, func(m ast.Node) bool {
					if lit, ok := m.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						if s, err := strconv.Unquote(lit.Value); err == nil && strings.ContainsAny(s, "\r\n") {
							bad = append(bad, fset.Position(lit.Pos()).String()+": Enter typed as text in "+name)
						}
					}
					return true
				})
			}
		}
		return true
	})
	return bad
}

// Every browser test sends Enter the way the counter's keyboard and wedge
// scanners do; typed as a character it skips the key's code, and a page
// that listens for it would pass the test and fail at the counter.
func TestBrowserTestsPressEnter(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "deploy", "e2e", "*_test.go"))
	if err != nil || len(files) < 5 {
		t.Fatalf("browser tests not found (%v, %d files); is the test running in deploy/ci?", err, len(files))
	}
	for _, p := range files {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, pos := range enterTypedAsText(fset, f) {
			t.Errorf("%s: send Enter with pressEnter() (deploy/e2e/browser_test.go)", pos)
		}
	}
}

func TestEnterTypedAsTextCatches(t *testing.T) {
	src := `package x
func f() {
	chromedp.SendKeys(id("login-pin"), "1234\r")
	typeFocused(wb + "\r")
	chromedp.KeyEvent(kb.Enter)
	chromedp.KeyEvent("\n")
	typeFocused(wb)
	chromedp.SendKeys(id("x"), "plain")
	pressEnter()
}`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := enterTypedAsText(fset, f)
	want := []string{"x.go:3:37: Enter typed as text in SendKeys", "x.go:4:19: Enter typed as text in typeFocused", "x.go:5:20: kb.Enter", "x.go:6:20: Enter typed as text in KeyEvent"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
