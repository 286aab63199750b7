package store_test

import (
	"fmt"
	"testing"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// The draw is the invitation id against the share: the same everywhere,
// about the share of many customers, none at 0 and all at 100.
func TestSurveyDrawIsTheShare(t *testing.T) {
	n := 0
	for i := range 2000 {
		id := store.InviteID(store.SurveyCandidate{Customer: fmt.Sprintf("cust%d", i), Trigger: lifecycle.SurveyOnPickup, Source: "WB"})
		if store.SurveyDrawn(id, 30) {
			n++
		}
		if store.SurveyDrawn(id, 0) || !store.SurveyDrawn(id, 100) {
			t.Fatalf("%s: drawn at 0%% or not at 100%%", id)
		}
		if store.SurveyDrawn(id, 30) != store.SurveyDrawn(id, 30) {
			t.Fatal("the draw changed")
		}
	}
	if n < 500 || n > 700 {
		t.Errorf("%d of 2000 drawn at 30%%, want about 600", n)
	}
}
