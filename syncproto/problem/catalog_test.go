package problem

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
)

var placeholderRE = regexp.MustCompile(`\{[a-z0-9_]+\}`)

var codeRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*\.[a-z0-9]+(_[a-z0-9]+)*$`)

func hasCJK(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// lintCatalog returns what is wrong with a list of codes.
func lintCatalog(codes []Code) []string {
	var bad []string
	seen := map[string]bool{}
	for _, c := range codes {
		id, fb := c.String(), c.Fallback()
		if !codeRE.MatchString(id) {
			bad = append(bad, id+": not area.name in lower case")
		}
		if seen[id] {
			bad = append(bad, id+": declared twice")
		}
		seen[id] = true
		if strings.Count(fb, Separator) != 1 {
			bad = append(bad, id+": fallback needs exactly one \" / \" between 中文 and English")
			continue
		}
		zh, en := c.Halves()
		if strings.TrimSpace(zh) == "" || !hasCJK(zh) {
			bad = append(bad, id+": the first half is not Chinese")
		}
		if strings.TrimSpace(en) == "" || hasCJK(en) {
			bad = append(bad, id+": the second half is not English")
		}
		// Every occurrence counts: the screen's own test compares them so.
		pz, pe := placeholderRE.FindAllString(zh, -1), placeholderRE.FindAllString(en, -1)
		slices.Sort(pz)
		slices.Sort(pe)
		if !slices.Equal(pz, pe) {
			bad = append(bad, id+": the halves use different placeholders "+strings.Join(pz, ",")+" and "+strings.Join(pe, ","))
		}
		if strings.ContainsAny(placeholderRE.ReplaceAllString(fb, ""), "{}") {
			bad = append(bad, id+": a brace that is not a {param}")
		}
		if _, ok := classStatus[c.Class()]; !ok || c.e == nil {
			bad = append(bad, id+": class "+c.Class().String()+" has no HTTP status")
		}
	}
	return bad
}

func TestCatalog(t *testing.T) {
	cat := Catalog()
	if len(cat) < 100 {
		t.Fatalf("only %d codes; is the catalog being read?", len(cat))
	}
	for _, msg := range lintCatalog(cat) {
		t.Error(msg)
	}
	for _, c := range cat {
		if got, ok := Lookup(c.String()); !ok || got != c {
			t.Errorf("Lookup(%q) = %v, %v", c, got, ok)
		}
	}
}

// The lint must catch each kind of mistake it claims to.
func TestLintCatalogCatches(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Code
		want string
	}{
		{"bad id", Code{&entry{"Parcel.InStock", Conflict, "已在库 / in stock"}}, "lower case"},
		{"no dot", Code{&entry{"parcel", Conflict, "已在库 / in stock"}}, "lower case"},
		{"one language", Code{&entry{"a.b", Conflict, "in stock"}}, "exactly one"},
		{"two separators", Code{&entry{"a.b", Conflict, "已在库 / in / stock"}}, "exactly one"},
		{"halves swapped", Code{&entry{"a.b", Conflict, "in stock / 已在库"}}, "not Chinese"},
		{"params differ", Code{&entry{"a.b", Conflict, "运单 {waybill} 已在库 / parcel {id} is in stock"}}, "different placeholders"},
		{"param missing", Code{&entry{"a.b", Conflict, "运单 {waybill} 已在库 / the parcel is in stock"}}, "different placeholders"},
		{"param repeated", Code{&entry{"a.b", Conflict, "运单 {waybill} 已在库 / parcel {waybill} ({waybill}) is in stock"}}, "different placeholders"},
		{"stray brace", Code{&entry{"a.b", Conflict, "运单 {Waybill} 已在库 / parcel {Waybill} is in stock"}}, "brace"},
		{"no class", Code{&entry{"a.b", 0, "已在库 / in stock"}}, "no HTTP status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(lintCatalog([]Code{tc.c}), "\n")
			if !strings.Contains(got, tc.want) {
				t.Fatalf("lint = %q, want it to report %q", got, tc.want)
			}
		})
	}
	dup := Code{&entry{"a.b", Conflict, "已在库 / in stock"}}
	if got := strings.Join(lintCatalog([]Code{dup, dup}), "\n"); !strings.Contains(got, "twice") {
		t.Fatalf("duplicate not reported: %q", got)
	}
}

func TestEveryClassHasAStatus(t *testing.T) {
	want := map[Class]int{Invalid: 400, NotFound: 404, Conflict: 409, Unauthorized: 401, Forbidden: 403,
		TooLarge: 413, TooMany: 429, Unavailable: 503, Internal: 500}
	for c := Class(1); c <= Internal; c++ {
		if got := c.Status(); got != want[c] || want[c] == 0 {
			t.Errorf("%v.Status() = %d, want %d", c, got, want[c])
		}
		if strings.HasPrefix(c.String(), "class(") {
			t.Errorf("class %d has no name", c)
		}
	}
	if Class(0).Status() != 500 {
		t.Error("the zero class must be internal")
	}
}
