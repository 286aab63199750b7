package server

import (
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Head office edits a reply template and then withdraws it: each is a new
// publication under the template's id, which the outlet pulls and folds
// to the same template the hub lists, and a withdrawn one is never
// suggested.
func TestEditAndWithdrawATemplate(t *testing.T) {
	clk := clock.NewManual(time.Now().Truncate(time.Second))
	s := startHubClock(t, clk, time.Hour)
	addOutlet(t, s, "SH-001")
	o := newOutlet("SH-001", clk)
	api := newAPI(t, s)
	var tpl map[string]any
	if code := api.do("POST", "/api/v1/reply-templates", `{"title":"延误致歉","text":"很抱歉…","category":"delay"}`, &tpl); code != 201 {
		t.Fatalf("publish: %d %v", code, tpl)
	}
	id := tpl["id"].(string)
	// What the outlet folds from the template's publications it pulls now.
	outletHas := func() lifecycle.Template {
		t.Helper()
		clk.Advance(time.Second)
		evs := o.pull(t, s)
		var mine []syncproto.Event
		for _, e := range evs {
			if e.Subject == id {
				mine = append(mine, e)
			}
		}
		return lifecycle.FoldTemplate(id, mine)
	}
	if got := outletHas(); got.Text != "很抱歉…" {
		t.Fatalf("outlet folds %+v", got)
	}

	for _, tc := range []struct {
		name, method, path, body string
		want                     int
		text                     string
		withdrawn                bool
	}{
		{"edit", "PUT", "/api/v1/reply-templates/" + id, `{"title":"延误致歉","text":"非常抱歉，已为您加急。","category":"delay","keywords":["慢"]}`, 200, "非常抱歉，已为您加急。", false},
		{"edit without text", "PUT", "/api/v1/reply-templates/" + id, `{"title":"延误致歉","text":"  "}`, 400, "", false},
		{"edit with a bad category", "PUT", "/api/v1/reply-templates/" + id, `{"title":"t","text":"x","category":"weather"}`, 400, "", false},
		{"edit an unknown template", "PUT", "/api/v1/reply-templates/NOPE", `{"title":"t","text":"x"}`, 404, "", false},
		{"withdraw", "POST", "/api/v1/reply-templates/" + id + "/withdraw", `{}`, 200, "非常抱歉，已为您加急。", true},
		{"withdraw an unknown template", "POST", "/api/v1/reply-templates/NOPE/withdraw", `{}`, 404, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if code := api.do(tc.method, tc.path, tc.body, &m); code != tc.want {
				t.Fatalf("status %d, want %d: %v", code, tc.want, m)
			}
			if tc.want != 200 {
				return
			}
			w, _ := m["withdrawn"].(bool)
			if m["text"] != tc.text || w != tc.withdrawn {
				t.Errorf("answer %v, want text %q withdrawn %v", m, tc.text, tc.withdrawn)
			}
			got := outletHas()
			if got.Text != tc.text || got.Withdrawn != tc.withdrawn {
				t.Errorf("the outlet folds %+v, want text %q withdrawn %v", got, tc.text, tc.withdrawn)
			}
			if s := lifecycle.Suggest([]lifecycle.Template{got}, "delay", "太慢了"); (len(s) == 0) != tc.withdrawn {
				t.Errorf("suggested %v with withdrawn %v", s, tc.withdrawn)
			}
		})
	}

	// Withdrawing again publishes nothing new.
	var m map[string]any
	if code := api.do("POST", "/api/v1/reply-templates/"+id+"/withdraw", `{}`, &m); code != 200 {
		t.Fatalf("withdraw again: %d %v", code, m)
	}
	clk.Advance(time.Second)
	for _, e := range o.pull(t, s) {
		if e.Subject == id {
			t.Errorf("withdrawing a withdrawn template published %s again", e.Type)
		}
	}
	var list struct{ Templates []map[string]any }
	if code := api.do("GET", "/api/v1/reply-templates", "", &list); code != 200 || len(list.Templates) != 1 || list.Templates[0]["withdrawn"] != true {
		t.Errorf("list: %d %v", code, list.Templates)
	}
}
