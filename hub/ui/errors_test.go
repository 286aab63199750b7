package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/problem"
)

// readDictionary imports an i18n module with node and returns its default
// export, which must be a flat object of strings.
func readDictionary(t *testing.T, file string) map[string]string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		// Not skipped, in CI or anywhere: without node nobody checks that the
		// screen can word every error the agent sends.
		t.Fatalf("node is needed to read the screen's dictionaries (%v): install Node.js 18 or later, e.g. apt-get install nodejs (deploy/ci/install-deps.sh does it as root)", err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	const script = `const { pathToFileURL } = await import('node:url');
const d = (await import(pathToFileURL(process.argv[1]).href)).default;
if (d === null || typeof d !== 'object' || Array.isArray(d)) throw new Error('the default export is not an object');
for (const [k, v] of Object.entries(d)) if (typeof v !== 'string') throw new Error('key ' + k + ' is not a string');
process.stdout.write(JSON.stringify(d));`
	out, err := exec.Command(node, "--input-type=module", "-e", script, abs).Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("node cannot import %s: %v\n%s", file, err, ee.Stderr)
	}
	if err != nil {
		t.Fatalf("run node: %v", err)
	}
	var d map[string]string
	if err := json.Unmarshal(out, &d); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return d
}

func sortedParams(s string) []string {
	p := problem.Placeholders(s)
	slices.Sort(p)
	return p
}

// checkErrorEntries lists what a dictionary lacks or gets wrong for the
// catalog's codes, with lines ready to paste (the fallback's half as a
// first wording).
func checkErrorEntries(dict map[string]string, lang string, codes []problem.Code) []string {
	var bad []string
	known := map[string]bool{}
	for _, c := range codes {
		key := "error." + c.String()
		known[key] = true
		zh, en := c.Halves()
		half := zh
		if lang == "en" {
			half = en
		}
		text, ok := dict[key]
		switch {
		case !ok:
			bad = append(bad, fmt.Sprintf("missing %s; add:\n  '%s': '%s',", key, key, strings.ReplaceAll(strings.TrimSpace(half), "'", `\'`)))
		case !slices.Equal(sortedParams(text), sortedParams(c.Fallback())):
			bad = append(bad, fmt.Sprintf("%s uses {%s}, the catalog's code has {%s}", key,
				strings.Join(sortedParams(text), "}, {"), strings.Join(sortedParams(c.Fallback()), "}, {")))
		case strings.TrimSpace(text) == "":
			bad = append(bad, key+" is empty")
		}
	}
	for key := range dict {
		if strings.HasPrefix(key, "error.") && !known[key] {
			bad = append(bad, key+" names no code in syncproto/problem/catalog.go: remove it")
		}
	}
	slices.Sort(bad)
	return bad
}

// Every code the hub may send has words in both of head office's screen's
// languages, with the same parameters as the catalog (the words began as
// the counter screen's, agent/ui/static/i18n).
func TestDictionariesWordEveryError(t *testing.T) {
	codes := problem.Catalog()
	for _, lang := range []string{"zh", "en"} {
		file := filepath.Join("static", "i18n", lang+".js")
		if _, err := os.Stat(file); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, msg := range checkErrorEntries(readDictionary(t, file), lang, codes) {
			t.Errorf("%s: %s", file, msg)
		}
	}
}

func TestCheckErrorEntriesCatches(t *testing.T) {
	codes := []problem.Code{problem.ParcelInStock, problem.AgentNotSaved}
	for _, tc := range []struct {
		name string
		dict map[string]string
		want string
	}{
		{"missing", map[string]string{"error.parcel.in_stock": "运单 {waybill} 已在库，取件码 {code}"}, "missing error.agent.not_saved"},
		{"param misspelt", map[string]string{"error.parcel.in_stock": "运单 {waybil} 已在库，取件码 {code}", "error.agent.not_saved": "未保存"}, "uses {code}, {waybil}"},
		{"param dropped", map[string]string{"error.parcel.in_stock": "运单已在库", "error.agent.not_saved": "未保存"}, "uses {}"},
		{"stale key", map[string]string{"error.parcel.in_stock": "运单 {waybill} 已在库，取件码 {code}", "error.agent.not_saved": "未保存", "error.parcel.gone": "x"}, "names no code"},
	} {
		got := strings.Join(checkErrorEntries(tc.dict, "zh", codes), "\n")
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	ok := map[string]string{"error.parcel.in_stock": "parcel {waybill} ({code})", "error.agent.not_saved": "not saved"}
	if got := checkErrorEntries(ok, "en", codes); len(got) != 0 {
		t.Errorf("a complete dictionary: %v", got)
	}
}
