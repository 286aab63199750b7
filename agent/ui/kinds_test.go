package ui

import (
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

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

// kinds.js, the screen's own list of codes until it reads GET /api/v1/kinds,
// lists only codes the table has, under the table's kind, field and label
// prefix.
func TestScreenVocabulariesAreTheTable(t *testing.T) {
	src := modules(t)["kinds.js"]
	rowRE := regexp.MustCompile(`\{ kind: '(\w+)', field: '(\w+)', label: '([a-z]+)\.', codes: \[([^\]]*)\] \}`)
	rows := rowRE.FindAllStringSubmatch(src, -1)
	if len(rows) < 10 {
		t.Fatalf("found %d rows in kinds.js; has its layout changed?", len(rows))
	}
	for _, row := range rows {
		kind, field, prefix := row[1], row[2], row[3]
		k, ok := lifecycle.KindByName(kind)
		if !ok {
			t.Errorf("kinds.js: kind %q is not in the lifecycle table", kind)
			continue
		}
		for _, c := range regexp.MustCompile(`'([^']*)'`).FindAllStringSubmatch(row[4], -1) {
			label, ok := k.Label(field, c[1])
			if !ok {
				t.Errorf("kinds.js: %s %s code %q is not in the lifecycle table", kind, field, c[1])
				continue
			}
			if lp, _, _ := strings.Cut(label, "."); lp != prefix {
				t.Errorf("kinds.js: %s %s labels %q under %s., the table under %s.", kind, field, c[1], prefix, lp)
			}
		}
	}
}
