package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// MaxPlaceLen bounds a region's or a city's name, in characters.
const MaxPlaceLen = 64

// CheckPlace tidies and checks a region's or city's name (field "region"
// or "city"): trimmed, at most MaxPlaceLen printable characters, "" to
// clear it. Every place a name can be set calls it.
func CheckPlace(field, value string) (string, error) {
	code := problem.OutletBadRegion
	if field == "city" {
		code = problem.OutletBadCity
	}
	v := strings.TrimSpace(value)
	ok := utf8.ValidString(v) && utf8.RuneCountInString(v) <= MaxPlaceLen
	for _, r := range v {
		ok = ok && unicode.IsPrint(r)
	}
	if !ok {
		return "", problem.New(code, "value", value, "max", MaxPlaceLen)
	}
	return v, nil
}

// MaxUnsyncedAge is how far back an agent's reported oldest unacknowledged
// stamp is believed: an older one (a PC clock years behind) is stored at
// this age, so the screen still says "older than a year".
const MaxUnsyncedAge = 366 * 24 * time.Hour

// ClampOldest is the stored form of an agent's reported oldest
// unacknowledged stamp (Unix ms) at hub time now: 0 (none) for one outside
// the stamps the contract allows, now for one in the future, and at most
// MaxUnsyncedAge old.
func ClampOldest(ms int64, now time.Time) int64 {
	if ms <= 0 || ms >= hlc.HorizonMillis {
		return 0
	}
	return min(max(ms, now.Add(-MaxUnsyncedAge).UnixMilli()), now.UnixMilli())
}

// reportHealth takes a pull's health claims into the outlet's state. A
// pull without them (an agent from before Pull.Head) changes nothing.
func reportHealth(o *outletState, p *syncproto.Pull, now time.Time) {
	if p.Head == nil {
		return
	}
	o.Head, o.HeadKnown, o.Oldest = min(*p.Head, syncproto.MaxSeq), true, 0
	if p.OldestUnsynced != nil {
		o.Oldest = ClampOldest(*p.OldestUnsynced, now)
	}
}

// settleHealth makes the outlet's reported head consistent with what the
// hub holds before it is written: never below the acknowledged sequence
// (an agent cannot hold less than head office took from it), and no
// oldest unsynced event once nothing is.
func settleHealth(o *outletState) {
	if !o.HeadKnown {
		o.Oldest = 0
		return
	}
	o.Head = max(o.Head, o.Acked)
	if o.Head == o.Acked {
		o.Oldest = 0
	}
}

// health fills an Outlet's Backlog and OldestUnsyncedAt from its row.
func (o *Outlet) health(head *int64, oldest int64) {
	if head == nil {
		return
	}
	n := uint64(max(*head, 0))
	n -= min(n, o.AckedSeq)
	o.Backlog = &n
	if n > 0 && oldest > 0 {
		t := time.UnixMilli(oldest).UTC()
		o.OldestUnsyncedAt = &t
	}
}

// IndexesParcel says whether e changes the parcel index: a parcel event
// of an outlet about a waybill.
func IndexesParcel(e *syncproto.Event) bool {
	return e.Subject != "" && e.Origin != syncproto.HubOrigin && parcelKind.Owns(e.Type)
}

var parcelKind, _ = lifecycle.KindByName(lifecycle.KindParcel)

// parcel notes a parcel event the commit made visible.
func (c *commitTx) parcel(e *syncproto.Event) {
	if !IndexesParcel(e) {
		return
	}
	by := c.parcels[e.Origin]
	if by == nil {
		by = map[string][]syncproto.Event{}
		c.parcels[e.Origin] = by
	}
	by[e.Subject] = append(by[e.Subject], *e)
}

// parcelChunk is how many waybills one statement reads or writes.
const parcelChunk = 500

// refreshParcels folds the parcel index rows of the waybills the commit
// has parcel events of. A waybill new at its outlet (no row yet) has all
// its events in the commit and is folded from them; the others are read
// back whole. Most events of a busy counter are of parcels just taken in,
// so most of a batch needs no read.
func refreshParcels(ctx context.Context, tx Tx, touched map[string]map[string][]syncproto.Event) error {
	for _, outlet := range slices.Sorted(maps.Keys(touched)) {
		by := touched[outlet]
		wbs := slices.Sorted(maps.Keys(by))
		for chunk := range slices.Chunk(wbs, parcelChunk) {
			known, err := tx.ParcelsKnown(ctx, outlet, chunk)
			if err != nil {
				return fmt.Errorf("read parcel index of %s: %w", outlet, err)
			}
			var evs []syncproto.Event
			var old []string
			for _, w := range chunk {
				if known[w] {
					old = append(old, w)
				} else {
					evs = append(evs, by[w]...)
				}
			}
			rows := ParcelRows(evs)
			if len(old) > 0 {
				all, err := tx.ParcelEvents(ctx, outlet, old)
				if err != nil {
					return fmt.Errorf("read parcel events of %s: %w", outlet, err)
				}
				rows = append(rows, ParcelRows(all)...)
			}
			if err := tx.PutParcels(ctx, rows); err != nil {
				return fmt.Errorf("update parcel index of %s: %w", outlet, err)
			}
		}
	}
	return nil
}

// RefreshParcels rewrites the parcel index rows of outlet's waybills from
// their events inside tx; backends' migrations that build the index call
// it.
func RefreshParcels(ctx context.Context, tx Tx, outlet string, waybills []string) error {
	evs, err := tx.ParcelEvents(ctx, outlet, waybills)
	if err != nil {
		return fmt.Errorf("read parcel events of %s: %w", outlet, err)
	}
	if err := tx.PutParcels(ctx, ParcelRows(evs)); err != nil {
		return fmt.Errorf("update parcel index of %s: %w", outlet, err)
	}
	return nil
}

// ParcelRows folds parcel events into the index: one row per waybill and
// outlet, with the state GET /api/v1/parcels/{waybill} shows there ("" for
// one only scanned). Every backend uses it, so they index the same. An
// event given twice (a resend that overlapped) counts once.
func ParcelRows(evs []syncproto.Event) []ParcelRow {
	type key struct{ waybill, outlet string }
	by := map[key][]syncproto.Event{}
	seen := map[key]map[uint64]bool{}
	for _, e := range evs {
		if !IndexesParcel(&e) {
			continue
		}
		k := key{e.Subject, e.Origin}
		if seen[k] == nil {
			seen[k] = map[uint64]bool{}
		}
		if seen[k][e.Seq] {
			continue
		}
		seen[k][e.Seq] = true
		by[k] = append(by[k], e)
	}
	out := make([]ParcelRow, 0, len(by))
	for k, evs := range by {
		p := lifecycle.FoldParcel(k.waybill, evs)
		r := ParcelRow{Waybill: k.waybill, Outlet: k.outlet, State: p.State}
		// Since: the step that entered the current state, after any
		// steps that kept it (a notification keeps in_stock).
		for i := len(p.History) - 1; i >= 0 && p.State != "" && p.History[i].State == p.State; i-- {
			r.Since = p.History[i].At
		}
		if r.Since == 0 && p.State != "" {
			// A state no step entered (scanned in): its newest event's time.
			lifecycle.Order(evs)
			r.Since = evs[len(evs)-1].FoldStamp().WallMillis()
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b ParcelRow) int {
		if c := strings.Compare(a.Waybill, b.Waybill); c != 0 {
			return c
		}
		return strings.Compare(a.Outlet, b.Outlet)
	})
	return out
}
