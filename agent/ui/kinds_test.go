package ui

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// update rewrites the node tests' copy of the kind table.
var update = flag.Bool("update", false, "rewrite jstest/testdata/kinds.json from the lifecycle table")

// languages are the screen's dictionaries; each must hold every label key.
var languages = []string{"zh", "en"}

var (
	// A dictionary opens as `zh: {` inside one object, or `const en = {`
	// or `export default {` in a file of its own (i18n/en.js).
	langOpen = regexp.MustCompile(`\b(zh|en)['"]?\s*[:=]\s*\{`)
	// A dictionary entry: a quoted key with a dot at the start of an
	// entry, then a colon ('kind.damaged': '破损').
	entry = regexp.MustCompile(`(?m)(?:^|[{,])\s*(['"])([a-z][a-z_]*)\.([A-Za-z0-9_.]+)(['"])\s*:`)
)

type dictKey struct {
	file, lang string
	prefix     string
	code       string
}

// screenKeys reads every dictionary entry of every script under static/.
func screenKeys(t *testing.T) []dictKey {
	t.Helper()
	var out []dictKey
	for p, src := range modules(t) {
		out = append(out, scanDict(path.Join("static", p), src)...)
	}
	return out
}

// scanDict finds the dictionary entries of one script by simple text
// scanning, so it reads one long script and modules alike. A file named
// for a language (i18n/zh.js) is that language's dictionary; otherwise an
// entry belongs to the language opened last before it.
func scanDict(file, src string) []dictKey {
	fileLang := ""
	for _, seg := range strings.Split(strings.TrimSuffix(file, ".js"), "/") {
		if slices.Contains(languages, seg) {
			fileLang = seg
		}
	}
	opens := langOpen.FindAllStringSubmatchIndex(src, -1)
	var out []dictKey
	for _, m := range entry.FindAllStringSubmatchIndex(src, -1) {
		if src[m[2]:m[3]] != src[m[8]:m[9]] {
			continue // mismatched quotes: not one string literal
		}
		lang := fileLang
		for _, o := range opens {
			if o[0] < m[0] {
				lang = src[o[2]:o[3]]
			}
		}
		out = append(out, dictKey{file: file, lang: lang, prefix: src[m[4]:m[5]], code: src[m[6]:m[7]]})
	}
	return out
}

// Every dictionary key that looks like a code's label key (it has a
// label prefix the lifecycle table uses) names a code of the table, and
// every label key of the table is in the screen's dictionaries in both
// languages.
func TestScreenWordsMatchTheKindTable(t *testing.T) {
	labels := map[string]bool{}   // label key → in the table
	prefixes := map[string]bool{} // label prefixes the table uses
	for _, k := range lifecycle.Kinds() {
		for _, s := range k.SubKinds {
			labels[s.Label] = true
			lp, _, _ := strings.Cut(s.Label, ".")
			prefixes[lp] = true
		}
	}
	if len(labels) == 0 {
		t.Fatal("the lifecycle table has no label keys")
	}
	have := map[string]map[string]bool{} // language → label keys present
	for _, l := range languages {
		have[l] = map[string]bool{}
	}
	seen := 0
	for _, k := range screenKeys(t) {
		if !prefixes[k.prefix] {
			continue
		}
		seen++
		key := k.prefix + "." + k.code
		if !labels[key] {
			t.Errorf("%s: dictionary key %q names no code of the lifecycle table (GET /api/v1/kinds lists them)", k.file, key)
			continue
		}
		if h, ok := have[k.lang]; ok {
			h[key] = true
		}
	}
	if seen == 0 {
		t.Fatal("found no dictionary entries with the table's label prefixes: is the scan reading the screen's dictionaries?")
	}
	for _, l := range languages {
		if len(have[l]) == 0 {
			t.Errorf("found no %s dictionary under static/ (an object opened as `%s: {` or a file named %s.js)", l, l, l)
			continue
		}
		var missing []string
		for key := range labels {
			if !have[l][key] {
				missing = append(missing, key)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("the %s dictionary lacks %v", l, missing)
		}
	}
}

// The scan itself: it finds the entries of one script with both
// dictionaries and of dictionary modules, and skips code that only
// mentions a prefix or uses a key as a value.
func TestScanDict(t *testing.T) {
	one := `const I18N = {
  zh: {
    'kind.damaged': '破损', 'kind.lost': '丢失',
  },
  en: {
    "kind.damaged": "Damaged",
    'kind.odd": 'x',
  },
};
const x = label('kind.', k);
const y = ok ? 'kind.bogus' : 'none';
const z = { a: 'kind.bogus2' };
`
	for _, tc := range []struct {
		file, src string
		want      []string
	}{
		{"static/app.js", one, []string{"zh:kind.damaged", "zh:kind.lost", "en:kind.damaged"}},
		{"static/i18n/en.js", "export default {\n  'cat.delay': 'Delay',\n};\n", []string{"en:cat.delay"}},
		{"static/i18n/strings.js", "export const zh = {\n  'cat.delay': '延误',\n};\nexport const en = {\n  'cat.delay': 'Delay',\n};\n", []string{"zh:cat.delay", "en:cat.delay"}},
		{"static/pages/exceptions.js", "select('kind', KINDS, 'kind.', 'damaged');\n", nil},
	} {
		var got []string
		for _, k := range scanDict(tc.file, tc.src) {
			got = append(got, k.lang+":"+k.prefix+"."+k.code)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: found %v, want %v", tc.file, got, tc.want)
		}
	}
}

// The screen keeps no list of codes of its own: kinds.js reads them from
// GET /api/v1/kinds, and every kind and field it asks for is in the table.
// The node tests read the same table from testdata/kinds.json, which must be
// what the agent serves (go test ./agent/ui/ -update rewrites it).
func TestScreenVocabulariesAreTheTable(t *testing.T) {
	src := modules(t)["kinds.js"]
	if m := regexp.MustCompile(`codes: \[\s*'`).FindString(src); m != "" {
		t.Errorf("kinds.js lists codes of its own (%q); they come from GET /api/v1/kinds", m)
	}
	for _, u := range screenUses(t) {
		k, ok := lifecycle.KindByName(u.kind)
		if !ok || len(k.Codes(u.field)) == 0 {
			t.Errorf("kinds.js: %s asks for %s.%s, which the lifecycle table does not have", u.fn, u.kind, u.field)
		}
	}
	want, err := json.MarshalIndent(map[string]any{"kinds": lifecycle.Kinds()}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	const fixture = "jstest/testdata/kinds.json"
	if *update {
		if err := os.WriteFile(fixture, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not the table the agent serves; run go test ./agent/ui/ -update", fixture)
	}
}

// Every state a parcel can be in has words on the screen (label('status.',
// p.status)), in both languages: a state added to the lifecycle shows as a
// raw code otherwise.
func TestParcelStatesHaveLabels(t *testing.T) {
	files, err := filepath.Glob("../../syncproto/lifecycle/*.go")
	if err != nil {
		t.Fatal(err)
	}
	stateRE := regexp.MustCompile(`(?m)^\s*(?:const\s+)?ParcelState\w+\s*=\s*"(\w+)"`)
	var states []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range stateRE.FindAllStringSubmatch(string(b), -1) {
			states = append(states, m[1])
		}
	}
	if len(states) < 8 {
		t.Fatalf("found only parcel states %v in syncproto/lifecycle; has their declaration changed?", states)
	}
	for _, lang := range languages {
		dict := dictionary(t, lang)
		for _, s := range states {
			if !dict["status."+s] {
				t.Errorf("i18n/%s.js has no label status.%s for the parcel state %q", lang, s, s)
			}
		}
	}
}
