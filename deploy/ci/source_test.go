package ci

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

const (
	root        = "../.."
	catalogFile = "syncproto/problem/catalog.go"
	problemPath = "github.com/yizhan/yizhan/syncproto/problem"
)

// Where words may not be put into errors: everything whose errors can
// reach a screen. devices/ words its own errors for device diagnostics and
// the command line (its errors are turned into codes where they reach an
// API), and deploy/ is the demo and the tests.
var wordless = []string{"agent", "hub", "syncproto"}

type goFile struct {
	path string // relative to the repository root, slash-separated
	fset *token.FileSet
	ast  *ast.File
}

// parseTree parses the non-test Go files under the given top-level dirs.
func parseTree(t *testing.T, dirs ...string) []goFile {
	t.Helper()
	var out []goFile
	for _, dir := range dirs {
		err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return nil
			}
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			out = append(out, goFile{path: filepath.ToSlash(rel), fset: fset, ast: f})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(out) < 50 {
		t.Fatalf("only %d Go files found under %v; is the test running in deploy/ci?", len(out), dirs)
	}
	return out
}

// importName is the name file f uses for the package at path, or "".
func importName(f *ast.File, path string) string {
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		if p != path {
			continue
		}
		if im.Name != nil {
			return im.Name.Name
		}
		return path[strings.LastIndex(path, "/")+1:]
	}
	return ""
}

func hasHan(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) })
}

// cjkInErrors lists the Chinese string literals inside fmt.Errorf and
// errors.New calls of f.
func cjkInErrors(f goFile) []string {
	fmtName, errorsName := importName(f.ast, "fmt"), importName(f.ast, "errors")
	var bad []string
	ast.Inspect(f.ast, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		pkg, ok := sel.X.(*ast.Ident)
		if !ok || !(pkg.Name == fmtName && fmtName != "" && sel.Sel.Name == "Errorf" || pkg.Name == errorsName && errorsName != "" && sel.Sel.Name == "New") {
			return true
		}
		for _, arg := range call.Args {
			ast.Inspect(arg, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && hasHan(lit.Value) {
					bad = append(bad, f.fset.Position(lit.Pos()).String())
				}
				return true
			})
		}
		return true
	})
	return bad
}

// A newcomer who writes errors.New("运单不存在 / …") is told where errors go.
func TestNoWordsInErrors(t *testing.T) {
	for _, f := range parseTree(t, wordless...) {
		if f.path == catalogFile {
			continue
		}
		for _, pos := range cjkInErrors(f) {
			t.Errorf("%s: Chinese text in an error: declare the error in %s (\"中文 / English\" with {params}), "+
				"return problem.New(problem.YourCode, \"param\", value), and add \"error.<code>\" to agent/ui/static/i18n/zh.js and en.js", pos, catalogFile)
		}
	}
}

func TestNoWordsInErrorsCatches(t *testing.T) {
	src := `package x
import (
	"errors"
	e2 "errors"
	"fmt"
)
var a = errors.New("运单不存在 / no such waybill")
var b = fmt.Errorf("%s: %w", "运单", a)
var c = e2.New("渠道 / channel")
var d = errors.New("no such waybill")
var e = fmt.Sprintf("运单 %s", "x")
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "x.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := cjkInErrors(goFile{path: "x.go", fset: fset, ast: f}); len(got) != 2 {
		// e2 is not caught: an aliased import is unusual enough to leave to review.
		t.Fatalf("found %v, want the errors.New and the fmt.Errorf", got)
	}
}

// catalogParams reads catalog.go: each code's Go name and the placeholders
// of its fallback.
func catalogParams(t *testing.T) map[string][]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(root, catalogFile), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || len(vs.Values) != 1 {
			return true
		}
		call, ok := vs.Values[0].(*ast.CallExpr)
		if id, isID := call.Fun.(*ast.Ident); !ok || !isID || id.Name != "def" || len(call.Args) != 3 {
			return true
		}
		lit, ok := call.Args[2].(*ast.BasicLit)
		if !ok {
			t.Fatalf("%s: a fallback must be a string literal", fset.Position(call.Pos()))
		}
		fb, _ := strconv.Unquote(lit.Value)
		out[vs.Names[0].Name] = placeholders(fb)
		return true
	})
	if len(out) < 100 {
		t.Fatalf("only %d codes read from %s", len(out), catalogFile)
	}
	return out
}

// placeholders are the sorted distinct {name}s of a template.
func placeholders(s string) []string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		j := strings.IndexByte(s[i+1:], '}')
		if i < 0 || j < 0 {
			break
		}
		if name := s[i+1 : i+1+j]; !slices.Contains(out, name) {
			out = append(out, name)
		}
		s = s[i+1+j+1:]
	}
	slices.Sort(out)
	return out
}

// callSite is one problem.New or problem.Wrap with a code named literally.
type callSite struct {
	pos      string
	code     string
	keys     []string // nil when not all keys are string literals
	spread   bool     // kv... : the keys are not visible here
	sentinel bool     // the value of a package-level var: a sentinel for errors.Is
}

// problemCalls finds the calls of problem.New and problem.Wrap in f.
func problemCalls(f goFile) (sites []callSite, codesUsed []string) {
	pkg := importName(f.ast, problemPath)
	inProblem := f.ast.Name.Name == "problem"
	isCode := func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.SelectorExpr:
			if x, ok := e.X.(*ast.Ident); ok && pkg != "" && x.Name == pkg {
				return e.Sel.Name, true
			}
		case *ast.Ident:
			if inProblem && ast.IsExported(e.Name) {
				return e.Name, true
			}
		}
		return "", false
	}
	sentinels := map[*ast.CallExpr]bool{}
	for _, d := range f.ast.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.VAR {
			for _, s := range gd.Specs {
				for _, v := range s.(*ast.ValueSpec).Values {
					if c, ok := v.(*ast.CallExpr); ok {
						sentinels[c] = true
					}
				}
			}
		}
	}
	ast.Inspect(f.ast, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok && pkg != "" && x.Name == pkg {
				codesUsed = append(codesUsed, sel.Sel.Name)
			}
		}
		if id, ok := n.(*ast.Ident); ok && inProblem && f.path != catalogFile && ast.IsExported(id.Name) {
			codesUsed = append(codesUsed, id.Name)
		}
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		var fn string
		switch fun := call.Fun.(type) {
		case *ast.SelectorExpr:
			if x, ok := fun.X.(*ast.Ident); ok && pkg != "" && x.Name == pkg {
				fn = fun.Sel.Name
			}
		case *ast.Ident:
			if inProblem {
				fn = fun.Name
			}
		}
		first := map[string]int{"New": 0, "Wrap": 1}
		at, ok := first[fn]
		if !ok || len(call.Args) <= at {
			return true
		}
		code, ok := isCode(call.Args[at])
		if !ok {
			return true // a code chosen at run time: not checked here
		}
		site := callSite{pos: f.fset.Position(call.Pos()).String(), code: code, spread: call.Ellipsis.IsValid(), sentinel: sentinels[call]}
		kv := call.Args[at+1:]
		site.keys = []string{}
		for i := 0; i < len(kv); i += 2 {
			lit, ok := kv[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING || i+1 >= len(kv) {
				site.keys = nil
				break
			}
			k, _ := strconv.Unquote(lit.Value)
			site.keys = append(site.keys, k)
		}
		sites = append(sites, site)
		return true
	})
	return sites, codesUsed
}

// checkSite says what is wrong with a call site, or "".
func checkSite(s callSite, params map[string][]string) string {
	want, ok := params[s.code]
	switch {
	case !ok:
		return "problem." + s.code + " is not in the catalog"
	case s.spread:
		return ""
	case s.keys == nil:
		return "parameters must be \"name\", value pairs with literal names"
	case len(s.keys) == 0 && s.sentinel:
		return "" // a sentinel to match with errors.Is
	}
	got := slices.Clone(s.keys)
	slices.Sort(got)
	if got = slices.Compact(got); !slices.Equal(got, want) || len(got) != len(s.keys) {
		return "problem." + s.code + " takes {" + strings.Join(want, "}, {") + "}; this call gives " + strings.Join(s.keys, ", ")
	}
	return ""
}

// Every call names exactly the parameters its code's message uses, so no
// screen shows a raw "{waybill}"; and every code in the catalog is used.
func TestProblemCallsMatchTheCatalog(t *testing.T) {
	params := catalogParams(t)
	used := map[string]bool{}
	n := 0
	for _, f := range parseTree(t, "agent", "hub", "syncproto", "devices", "deploy") {
		sites, codes := problemCalls(f)
		for _, c := range codes {
			used[c] = true
		}
		for _, s := range sites {
			n++
			if msg := checkSite(s, params); msg != "" {
				t.Errorf("%s: %s", s.pos, msg)
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d problem.New/Wrap calls found", n)
	}
	for code := range params {
		if !used[code] {
			t.Errorf("problem.%s is declared in %s but never used: remove it, or use it", code, catalogFile)
		}
	}
}

func TestCheckSiteCatches(t *testing.T) {
	params := map[string][]string{"ParcelInStock": {"code", "waybill"}, "AgentNotSaved": {}}
	for _, tc := range []struct {
		name string
		site callSite
		bad  bool
	}{
		{"exact", callSite{code: "ParcelInStock", keys: []string{"waybill", "code"}}, false},
		{"no params", callSite{code: "AgentNotSaved", keys: []string{}}, false},
		{"missing", callSite{code: "ParcelInStock", keys: []string{"waybill"}}, true},
		{"misspelt", callSite{code: "ParcelInStock", keys: []string{"waybill", "cod"}}, true},
		{"extra", callSite{code: "AgentNotSaved", keys: []string{"detail"}}, true},
		{"twice", callSite{code: "ParcelInStock", keys: []string{"waybill", "code", "code"}}, true},
		{"not literal", callSite{code: "ParcelInStock", keys: nil}, true},
		{"sentinel", callSite{code: "ParcelInStock", keys: []string{}, sentinel: true}, false},
		{"bare, not a sentinel", callSite{code: "ParcelInStock", keys: []string{}}, true},
		{"unknown code", callSite{code: "ParcelLost", keys: []string{}}, true},
	} {
		if got := checkSite(tc.site, params); (got != "") != tc.bad {
			t.Errorf("%s: checkSite = %q", tc.name, got)
		}
	}
}
