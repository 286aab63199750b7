package store

import (
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Case is one entity's row in the case list: enough to find, filter and
// order it without folding. The folded state itself is always computed from
// the events (hub/cases, hub/notices, hub/catalog, hub/manifests), never
// read from here. The kinds listed are those with a Row in the lifecycle
// table (manifest: outlet is the target, label the courier or line;
// handover: outlet is the one that held the session, label the courier;
// tariffs and prohibited lists: one row per version).
// Parcels are looked up by waybill and are not listed.
type Case struct {
	Kind   string `json:"kind"`
	ID     string `json:"id"`
	Outlet string `json:"outlet,omitempty"` // reporting or target outlet; "" for what goes to all
	State  string `json:"state"`
	Open   bool   `json:"open"` // lifecycle.Kind.Open
	// Label is the exception kind (delayed, lost…) or the complaint type.
	Label string `json:"label,omitempty"`
	// Since is when the entity started, hub-corrected Unix ms: reported,
	// received, or a notice's valid_from.
	Since int64 `json:"since"`
	// HLC is the entity's first event, for newest-first listing.
	HLC hlc.Timestamp `json:"hlc"`
	// Owner is who an exception or complaint is assigned to.
	Owner string `json:"owner,omitempty"`
	// Due is its next deadline not yet met (lifecycle.Kind.Due under the
	// store's Limits), hub-corrected Unix ms; 0 for none.
	Due int64 `json:"due"`
}

// Case list orders.
const (
	// SortNewest lists by first event, newest first (hlc descending, then
	// id): the default.
	SortNewest = ""
	// SortDue lists the soonest deadline first (due ascending, then id),
	// rows without a deadline after all that have one.
	SortDue = "due"
)

// CasePos is where a page of the case list ends: the sort key of its last
// row. The next page starts after it.
type CasePos struct {
	HLC hlc.Timestamp
	Due int64
	ID  string
}

// Pos is the row's position in the case list's orders.
func (c Case) Pos() CasePos { return CasePos{HLC: c.HLC, Due: c.Due, ID: c.ID} }

// CaseQuery selects rows of the case list, newest first.
type CaseQuery struct {
	Kind     string
	Outlet   string   // "" for any
	OpenOnly bool     // only entities not closed or ended
	Labels   []string // any of these labels; nil for any
	// SinceBefore keeps rows with Since at or before it (Unix ms); 0 for any.
	// The timers use it to skip entities too young to be due.
	SinceBefore int64
	// SinceFrom keeps rows with Since at or after it (Unix ms); 0 for any.
	SinceFrom int64
	// IDSuffix keeps rows whose id ends in it, as the ticket printed for a
	// customer names a complaint (hub/progress); "" for any. Only letters,
	// digits and '-' are taken: anything else matches no row.
	IDSuffix string
	Limit    int // 0 for no limit

	Owner string // only rows assigned to this owner; "" for any
	State string // only rows in this state; "" for any
	// Outlets, if not nil, keeps rows of these outlets only (a region's);
	// an empty non-nil list keeps none.
	Outlets []string
	// DueAfter and DueBy keep rows with a deadline in (DueAfter, DueBy]
	// (Unix ms) when DueBy is not 0: DueAfter 0 and DueBy now are the
	// overdue ones. Rows without a deadline (due 0) never pass.
	DueAfter, DueBy int64
	// Sort is SortNewest or SortDue.
	Sort string
	// After, if set, starts the list after this position in Sort's order.
	After *CasePos
	// NoDue keeps only rows without a deadline: Core.Cases asks a backend
	// for those after the ones with one, for SortDue.
	NoDue bool
}

// CaseKind maps an event type to the listed entity kind whose row it may
// change, or "". Acknowledgements of notices change no row.
func CaseKind(typ string) string {
	k, ok := lifecycle.KindOf(typ)
	if !ok || k.Row == nil || typ == lifecycle.NoticeAcknowledged {
		return ""
	}
	return k.Name
}

// Summarize folds one entity's events with the lifecycle rules into its
// case-list row, its deadline under limits (head office's settings, passed
// in by the Core that holds them, so the queue orders and filters by the
// same deadlines the folded view shows). ok is false while the entity has
// no creating event yet (a step seen before its report). Every backend uses
// it, so they list the same.
func Summarize(kind, id string, evs []syncproto.Event, limits lifecycle.Limits) (c Case, ok bool) {
	k, listed := lifecycle.KindByName(kind)
	if !listed || k.Row == nil {
		return c, false
	}
	own := make([]syncproto.Event, 0, len(evs))
	for _, e := range evs {
		if k.Owns(e.Type) {
			own = append(own, e)
		}
	}
	if len(own) == 0 {
		return c, false
	}
	lifecycle.Order(own)
	state := k.Fold(id, own, nil)
	r, ok := k.Row(state, own)
	c = Case{Kind: kind, ID: id, Outlet: r.Outlet, State: r.State, Open: k.Open(state), Label: r.Label, Since: r.Since,
		HLC: own[0].FoldStamp(), Owner: r.Owner}
	if c.Since == 0 {
		c.Since = c.HLC.WallMillis()
	}
	if k.Due != nil {
		if due := k.Due(state, limits); !due.IsZero() {
			c.Due = due.UnixMilli()
		}
	}
	return c, ok
}
