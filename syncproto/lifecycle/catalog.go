package lifecycle

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

// Versioned lists head office publishes to every outlet. The subject is the
// version id; a version, once published, is not changed: a new list is a
// new version, and the newest publication by HLC is the one in force.
const (
	TariffPublished     = "tariff.published"     // payload: a tariff.Tariff
	ProhibitedPublished = "prohibited.published" // payload: ProhibitedListV1
)

// Prohibited-item rules.
const (
	RuleForbidden  = "forbidden"  // 禁寄: never accepted
	RuleRestricted = "restricted" // 限寄: accepted within limits; see the note
)

// ProhibitedItem is one entry of the prohibited-items list (禁限寄物品).
type ProhibitedItem struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Rule string `json:"rule"` // RuleForbidden or RuleRestricted
	Note string `json:"note,omitempty"`
}

// ProhibitedListV1 is the payload of ProhibitedPublished.
type ProhibitedListV1 struct {
	Version string           `json:"version"`
	Items   []ProhibitedItem `json:"items"`
}

// Check validates a list: a version, at least one item, each with a
// distinct code, a name and a known rule.
func (l ProhibitedListV1) Check() error {
	if strings.TrimSpace(l.Version) == "" {
		return problem.New(problem.ProhibitedVersion)
	}
	if len(l.Items) == 0 {
		return problem.New(problem.ProhibitedEmpty)
	}
	var codes []string
	for i, it := range l.Items {
		switch {
		case strings.TrimSpace(it.Code) == "" || strings.TrimSpace(it.Name) == "":
			return problem.New(problem.ProhibitedItemMissing, "n", i+1)
		case it.Rule != RuleForbidden && it.Rule != RuleRestricted:
			return problem.New(problem.ProhibitedBadRule, "n", i+1, "rule", it.Rule, "allowed", []string{RuleForbidden, RuleRestricted})
		case slices.Contains(codes, it.Code):
			return problem.New(problem.ProhibitedCodeTwice, "code", it.Code)
		}
		codes = append(codes, it.Code)
	}
	return nil
}

// TariffVersion is the tariff version head office published under an id.
type TariffVersion struct {
	ID        string `json:"id"`
	Published bool   `json:"published"`
	tariff.Tariff
}

// FoldTariff folds a tariff version's publication.
func FoldTariff(id string, evs []syncproto.Event) TariffVersion {
	t := TariffVersion{ID: id}
	t.Published = lastFromHub(evs, &t.Tariff)
	return t
}

// ProhibitedVersion is a prohibited-items list version.
type ProhibitedVersion struct {
	ID        string `json:"id"`
	Published bool   `json:"published"`
	ProhibitedListV1
}

// FoldProhibited folds a prohibited-items list version's publication.
func FoldProhibited(id string, evs []syncproto.Event) ProhibitedVersion {
	l := ProhibitedVersion{ID: id}
	l.Published = lastFromHub(evs, &l.ProhibitedListV1)
	return l
}

// lastFromHub decodes into v the payload of the last event head office
// published, in fold order; only head office publishes lists and templates.
// It reports whether there was one.
func lastFromHub(evs []syncproto.Event, v any) bool {
	Order(evs)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Origin == syncproto.HubOrigin && json.Unmarshal(evs[i].Payload, v) == nil {
			return true
		}
	}
	return false
}
