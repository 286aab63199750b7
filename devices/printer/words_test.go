package printer

import (
	"strings"
	"testing"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// The printed words are keyed by the lifecycle table's label keys: every
// code of the table has a word, and every word names a code of the table.
func TestWordsCoverTheTable(t *testing.T) {
	keys := map[string]bool{}
	for _, k := range lifecycle.Kinds() {
		for _, s := range k.SubKinds {
			keys[s.Label] = true
			if strings.TrimSpace(words[s.Label]) == "" {
				t.Errorf("%s %s code %q (%s) has no printed word", k.Name, s.Field, s.Code, s.Label)
			}
		}
	}
	for key := range words {
		if !keys[key] {
			t.Errorf("printed word for %q, which names no code of the lifecycle table", key)
		}
	}
}

func TestKindLabel(t *testing.T) {
	for kind, want := range map[string]string{
		"damaged":         "破损 damaged",
		"mis_sorted":      "错分 mis_sorted",
		"address_problem": "地址问题 address_problem",
		"prohibited":      "违禁品 prohibited",
		// The codes the templates once used, which no report carries.
		"missorted":  "missorted",
		"wrong_addr": "wrong_addr",
		"":           "",
	} {
		if got := KindLabel(kind); got != want {
			t.Errorf("KindLabel(%q) = %q, want %q", kind, got, want)
		}
	}
	if got := CodeLabel(lifecycle.KindDispatch, "reason", "outside_area"); got != "超区 outside_area" {
		t.Errorf("CodeLabel(dispatch reason outside_area) = %q", got)
	}
	if got := CodeLabel(lifecycle.KindComplaint, "kind", "damaged"); got != "damaged" {
		t.Errorf("a code looked up under the wrong field printed %q", got)
	}
}

// A handover's extra parcel is reported "mis_sorted": its tag and slip
// print the word for it.
func TestExceptionTagPrintsTheKindsWord(t *testing.T) {
	tag := ExceptionTag{Waybill: "RB123456785GB", Kind: "mis_sorted", Reporter: "c01"}
	l, err := tag.Label(Config{WidthMM: 60, HeightMM: 40, DPI: 203}, Font{Name: "E:SIMSUN.FNT"})
	if err != nil {
		t.Fatal(err)
	}
	if txt, ok := l.Items[0].(Text); !ok || txt.Text != "异常 错分 mis_sorted" {
		t.Errorf("label's first item %+v", l.Items[0])
	}
	s, err := tag.Slip(Config{Columns: 32})
	if err != nil {
		t.Fatal(err)
	}
	var head []string
	for _, ln := range s.Lines {
		if ln.Barcode != nil {
			break
		}
		head = append(head, ln.Text)
	}
	if got := strings.Join(head, " "); got != "异常 错分 mis_sorted" {
		t.Errorf("slip's head %q", got)
	}
}
