package lifecycle

import "testing"

func TestProhibitedListCheck(t *testing.T) {
	ok := ProhibitedItem{Code: "B01", Name: "易燃液体 / flammable liquids", Rule: RuleForbidden}
	for _, tc := range []struct {
		name string
		l    ProhibitedListV1
		ok   bool
	}{
		{"valid", ProhibitedListV1{Version: "2025-07", Items: []ProhibitedItem{ok, {Code: "R01", Name: "锂电池 / lithium batteries", Rule: RuleRestricted, Note: "≤100Wh"}}}, true},
		{"no version", ProhibitedListV1{Items: []ProhibitedItem{ok}}, false},
		{"no items", ProhibitedListV1{Version: "v1"}, false},
		{"no name", ProhibitedListV1{Version: "v1", Items: []ProhibitedItem{{Code: "X", Rule: RuleForbidden}}}, false},
		{"bad rule", ProhibitedListV1{Version: "v1", Items: []ProhibitedItem{{Code: "X", Name: "x", Rule: "maybe"}}}, false},
		{"duplicate code", ProhibitedListV1{Version: "v1", Items: []ProhibitedItem{ok, ok}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.l.Check(); (err == nil) != tc.ok {
				t.Errorf("Check() = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
