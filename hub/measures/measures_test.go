package measures

import (
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

func TestDefsAreOneTable(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Defs {
		if seen[d.Name] {
			t.Errorf("%s twice", d.Name)
		}
		seen[d.Name] = true
		if d.Unit == "" || d.LabelZH == "" || d.LabelEN == "" {
			t.Errorf("%s lacks a unit or a label", d.Name)
		}
		// One sentence each.
		if strings.Count(d.DefZH, "。") != 1 || !strings.HasSuffix(d.DefZH, "。") || strings.Count(strings.TrimSuffix(d.DefEN, "."), ". ") != 0 || !strings.HasSuffix(d.DefEN, ".") {
			t.Errorf("%s: definitions %q / %q are not one sentence each", d.Name, d.DefZH, d.DefEN)
		}
	}
	for _, k := range lifecycle.ExceptionKinds {
		if !seen["exceptions."+k+".count"] || !seen["exceptions."+k+".handling_p50_ms"] {
			t.Errorf("exception kind %s has no measures", k)
		}
	}
	if len(Defs) != len(fixed)+2*len(lifecycle.ExceptionKinds)+len(tail) {
		t.Errorf("%d measures", len(Defs))
	}
}

// dictionary reads a screen dictionary's flat key → string map.
func dictionary(t *testing.T, path string) (map[string]string, bool) {
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s*'([^']+)':\s*'((?:[^'\\]|\\.)*)'`).FindAllStringSubmatch(string(raw), -1) {
		out[m[1]] = strings.ReplaceAll(m[2], `\'`, `'`)
	}
	return out, true
}

// The kinds' words are the counter screen's.
func TestKindWordsAreTheCounterScreens(t *testing.T) {
	for i, lang := range []string{"zh", "en"} {
		d, ok := dictionary(t, "../../agent/ui/static/i18n/"+lang+".js")
		if !ok {
			t.Fatalf("no %s dictionary", lang)
		}
		for _, k := range lifecycle.ExceptionKinds {
			if got := kindWords[k][i]; got != d["kind."+k] {
				t.Errorf("%s kind.%s: %q here, %q in the counter screen", lang, k, got, d["kind."+k])
			}
		}
	}
}

// Head office's screen carries every measure's label and definition, the
// same words as here.
func TestScreenDictionariesCarryEveryMeasure(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		d, ok := dictionary(t, "../ui/static/i18n/"+lang+".js")
		if !ok {
			t.Fatalf("head office's screen has no %s dictionary at hub/ui/static/i18n", lang)
		}
		bad := false
		for _, m := range Defs {
			label, def := m.words(lang)
			if d["measure."+m.Name] != label || d["measure."+m.Name+".def"] != def {
				t.Errorf("%s.js: measure.%s is %q / %q, want %q / %q", lang, m.Name, d["measure."+m.Name], d["measure."+m.Name+".def"], label, def)
				bad = true
			}
		}
		if bad {
			t.Logf("the block for %s.js:\n%s", lang, block(lang))
		}
	}
}

// words are a measure's label and definition in lang: "en", else Chinese.
func (d Def) words(lang string) (label, def string) {
	if lang == "en" {
		return d.LabelEN, d.DefEN
	}
	return d.LabelZH, d.DefZH
}

// block is the dictionaries' block of the measures in lang.
func block(lang string) string {
	var b strings.Builder
	b.WriteString("  // Measures (hub/measures: Defs, the one table of their words).\n")
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
	for _, m := range Defs {
		label, def := m.words(lang)
		fmt.Fprintf(&b, "  %s: %s,\n  %s: %s,\n", q("measure."+m.Name), q(label), q("measure."+m.Name+".def"), q(def))
	}
	return b.String()
}

func TestPercentileNearestRank(t *testing.T) {
	for _, tc := range []struct {
		xs   []int64
		p    int
		want any
	}{
		{nil, 50, nil},
		{[]int64{7}, 90, int64(7)},
		{[]int64{3, 1, 2}, 50, int64(2)},
		{[]int64{3, 1, 2}, 90, int64(3)},
		{[]int64{4, 1, 3, 2}, 50, int64(2)},
		{[]int64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}, 90, int64(90)},
	} {
		if got := percentile(tc.xs, tc.p); got != tc.want {
			t.Errorf("p%d of %v = %v, want %v", tc.p, tc.xs, got, tc.want)
		}
	}
}

// The dwell buckets keep a median within 4.4% of the true value.
func TestDwellBucketsError(t *testing.T) {
	for ms := int64(1000); ms < 400*24*3600_000; ms = ms*21/20 + 1 {
		k := store.DwellBucket(ms)
		if e := math.Abs(store.DwellOf(k)-float64(ms)) / float64(ms); e > 0.0443 {
			t.Fatalf("%d ms in bucket %d reads %.0f: %.2f%% off", ms, k, store.DwellOf(k), 100*e)
		}
	}
	got := dwellMedian(map[string]int64{
		store.TallyDwellPrefix + "40": 2, store.TallyDwellPrefix + "60": 1, store.TallyDwellPrefix + "90": 2, "parcels.inbound": 9,
	})
	if got != int64(math.Round(store.DwellOf(60))) {
		t.Errorf("median of buckets 40, 40, 60, 90, 90 = %v", got)
	}
}

func TestPeriods(t *testing.T) {
	day := civil(time.Date(2026, 7, 5, 0, 0, 0, 0, time.UTC)) // a Sunday
	for _, tc := range []struct{ period, want string }{{"day", "2026-07-05"}, {"week", "2026-06-29"}, {"month", "2026-07-01"}} {
		if got := dateOf(periodOf(day, tc.period)); got != tc.want {
			t.Errorf("%s of 2026-07-05: %s, want %s", tc.period, got, tc.want)
		}
	}
	for d := day - 400; d < day+400; d++ {
		if w := dateOf(periodOf(d, "week")); time.Unix(d*86400, 0).UTC().AddDate(0, 0, -((int(time.Unix(d*86400, 0).UTC().Weekday())+6)%7)).Format(time.DateOnly) != w {
			t.Errorf("the week of %s starts %s", dateOf(d), w)
		}
	}
	if got := dateOf(periodOf(civil(time.Date(2026, 6, 29, 0, 0, 0, 0, time.UTC)), "week")); got != "2026-06-29" {
		t.Errorf("a Monday's week starts %s", got)
	}
}
