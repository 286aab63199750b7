package store

import (
	"cmp"
	"encoding/json"
	"strings"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Case kinds kept in the case list: the entities head office lists and acts
// on. Parcels are looked up by waybill and are not listed.
const (
	KindException  = "exception"
	KindComplaint  = "complaint"
	KindNotice     = "notice"
	KindTemplate   = "template"
	KindManifest   = "manifest"   // outlet: the target; label: courier or line
	KindHandover   = "handover"   // outlet: the one that held the session; label: courier
	KindTariff     = "tariff"     // one row per version
	KindProhibited = "prohibited" // one row per version
)

// Case is one entity's row in the case list: enough to find, filter and
// order it without folding. The folded state itself is always computed from
// the events (hub/cases), never read from here.
type Case struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Outlet string `json:"outlet,omitempty"` // reporting or target outlet; "" for what goes to all
	State  string `json:"state"`
	Open   bool   `json:"open"`
	// Label is the exception kind (delayed, lost…) or the complaint type.
	Label string `json:"label,omitempty"`
	// Since is when the entity started, hub-corrected Unix ms: reported,
	// received, or a notice's valid_from.
	Since int64 `json:"since"`
	// HLC is the entity's first event, for newest-first listing.
	HLC hlc.Timestamp `json:"hlc"`
}

// CaseQuery selects rows of the case list, newest first.
type CaseQuery struct {
	Kind     string
	Outlet   string   // "" for any
	OpenOnly bool     // only entities not closed or ended
	Labels   []string // any of these labels; nil for any
	// SinceBefore keeps rows with Since at or before it (Unix ms); 0 for any.
	// The timers use it to skip entities too young to be due.
	SinceBefore int64
	Limit       int // 0 for no limit
}

// CaseKind maps an event type to the listed entity kind whose row it may
// change, or "". Acknowledgements of notices change no row.
func CaseKind(typ string) string {
	if typ == lifecycle.NoticeAcknowledged {
		return ""
	}
	prefix, _, _ := strings.Cut(typ, ".")
	switch prefix {
	case KindException, KindComplaint, KindNotice, KindTemplate, KindManifest, KindHandover, KindTariff, KindProhibited:
		return prefix
	}
	return ""
}

// Summarize folds one entity's events with the lifecycle rules into its
// case-list row. ok is false while the entity has no creating event yet (a
// step seen before its report). Every backend uses it, so they list the same.
func Summarize(kind, id string, evs []syncproto.Event) (c Case, ok bool) {
	own := make([]syncproto.Event, 0, len(evs))
	for _, e := range evs {
		if strings.HasPrefix(e.Type, kind+".") {
			own = append(own, e)
		}
	}
	if len(own) == 0 {
		return c, false
	}
	lifecycle.Order(own)
	c = Case{Kind: kind, ID: id, HLC: own[0].HLC}
	switch kind {
	case KindException:
		x := lifecycle.FoldException(id, own)
		c.Outlet, c.State, c.Open, c.Label = x.Outlet, x.State, x.State != lifecycle.ExceptionStateClosed, x.Kind
		c.Since = x.ReportedAt.UnixMilli()
		ok = x.State != ""
	case KindComplaint:
		x := lifecycle.FoldComplaint(id, own)
		c.Outlet, c.State, c.Open, c.Label = x.Outlet, x.State, x.State != lifecycle.ComplaintStateClosed, x.Type
		c.Since = x.ReceivedAt.UnixMilli()
		ok = x.State != ""
	case KindNotice:
		n := lifecycle.FoldNotice(id, own)
		c.State, c.Open, c.Since, ok = "published", !n.Ended, n.ValidFrom, n.Published
		if n.Ended {
			c.State = "ended"
		}
	case KindManifest:
		m := lifecycle.FoldManifest(id, own)
		for _, e := range own {
			if e.Origin == syncproto.HubOrigin && e.Type == lifecycle.ManifestPublished {
				c.Outlet = e.Target
			}
		}
		c.State, c.Open, c.Label, c.Since, ok = "published", true, cmp.Or(m.Courier, m.Line), m.At, m.Revision > 0
	case KindHandover:
		h := lifecycle.FoldHandover(id, own, nil)
		c.Outlet, c.State, c.Open, c.Label = h.Outlet, h.State, h.State == lifecycle.HandoverStateOpen, h.Courier
		c.Since = h.OpenedAt.UnixMilli()
		ok = h.State != ""
	case KindTariff, KindProhibited:
		for _, e := range own {
			if e.Origin == syncproto.HubOrigin && strings.HasSuffix(e.Type, ".published") {
				c.State, c.Open, ok = "published", true, true
			}
		}
	case KindTemplate:
		for _, e := range own {
			var t lifecycle.TemplateV1
			if e.Origin == syncproto.HubOrigin && e.Type == lifecycle.TemplatePublished && json.Unmarshal(e.Payload, &t) == nil {
				c.State, c.Open, c.Label, ok = "published", true, t.Category, true
			}
		}
	}
	if c.Since == 0 {
		c.Since = c.HLC.WallMillis()
	}
	return c, ok
}
