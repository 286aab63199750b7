package ui

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/agent/workflow"
	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

// wordedCode is one thing the agent sends as a code that the screen words
// itself: the dictionary key, whether it must be there, and the
// placeholders its words may use.
type wordedCode struct {
	key      string
	required bool
	params   []string
}

// agentCodes are the codes the agent sends to the screen besides errors:
// device advice (devices.Codes: what is wrong, and what to do when the
// driver says), packaging advice per item type, and the lines of a quote.
func agentCodes() []wordedCode {
	var out []wordedCode
	device := []string{"where", "group", "grams"}
	for _, c := range devices.Codes {
		out = append(out, wordedCode{"dev.detail." + c, true, device}, wordedCode{"dev.fix." + c, false, device})
	}
	for _, item := range slices.Sorted(maps.Keys(workflow.PackagingAdvice)) {
		out = append(out, wordedCode{"pack." + item, true, nil})
	}
	for _, l := range []string{tariff.LineFirstWeight, tariff.LineAdditionalWeight, tariff.LineInsurance} {
		out = append(out, wordedCode{"quote." + l, true, []string{"grams", "steps", "declared", "bp"}})
	}
	return out
}

// checkAgentCodes lists what a dictionary lacks for codes, uses wrongly, or
// holds for a code the agent no longer sends (under the same prefixes).
func checkAgentCodes(dict map[string]string, codes []wordedCode) []string {
	var bad []string
	known := map[string]bool{}
	for _, c := range codes {
		known[c.key] = true
		text, ok := dict[c.key]
		switch {
		case !ok && c.required:
			bad = append(bad, "missing "+c.key)
		case ok && strings.TrimSpace(text) == "":
			bad = append(bad, c.key+" is empty")
		case ok:
			for _, p := range problem.Placeholders(text) {
				if !slices.Contains(c.params, p) {
					bad = append(bad, fmt.Sprintf("%s uses {%s}, which the agent does not send (it sends %v)", c.key, p, c.params))
				}
			}
		}
	}
	for key := range dict {
		for _, prefix := range []string{"dev.detail.", "dev.fix.", "pack.", "quote."} {
			if strings.HasPrefix(key, prefix) && !known[key] {
				bad = append(bad, key+" names no code the agent sends: remove it")
			}
		}
	}
	slices.Sort(bad)
	return bad
}

// Both languages word every device status, packaging advice and quote line
// the agent sends as a code, so neither screen needs the agent's words.
func TestDictionariesWordEveryAgentCode(t *testing.T) {
	codes := agentCodes()
	for _, lang := range []string{"zh", "en"} {
		file := filepath.Join("static", "i18n", lang+".js")
		for _, msg := range checkAgentCodes(readDictionary(t, file), codes) {
			t.Errorf("%s: %s", file, msg)
		}
	}
}

func TestCheckAgentCodesCatches(t *testing.T) {
	codes := []wordedCode{{"dev.detail.printer.ok", true, []string{"where"}}, {"dev.fix.printer.ok", false, []string{"where"}}}
	for _, tc := range []struct {
		name string
		dict map[string]string
		want string
	}{
		{"missing", map[string]string{}, "missing dev.detail.printer.ok"},
		{"unknown param", map[string]string{"dev.detail.printer.ok": "ok {path}"}, "uses {path}"},
		{"stale", map[string]string{"dev.detail.printer.ok": "ok", "dev.fix.printer.gone": "x"}, "dev.fix.printer.gone names no code"},
		{"empty", map[string]string{"dev.detail.printer.ok": " "}, "is empty"},
	} {
		if got := strings.Join(checkAgentCodes(tc.dict, codes), "\n"); !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := checkAgentCodes(map[string]string{"dev.detail.printer.ok": "ready at {where}"}, codes); len(got) != 0 {
		t.Errorf("a complete dictionary: %v", got)
	}
}
