package api

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// The outlets' part of the API: their groups (region and city), their
// health as the operator reads it, and the parcel search across them.
//
//	GET   /api/v1/outlets      ?region=&city=&connected=1&q=<id prefix>
//	PATCH /api/v1/outlets/{id} {"region", "city"}: either or both
//	GET   /api/v1/regions      {"regions": [{"region", "cities", "outlets"}]}
//	GET   /api/v1/parcels      ?q=<waybill or its first 6+ characters>&outlet=&region=&limit=&cursor=
//	                           {"parcels": [{"waybill", "outlet", "state", "since"}], "next"}

// ConnectedWithin is how recent an outlet's last batch or pull must be for
// it to count as connected when the hub cannot ask the broker (an
// external one).
const ConnectedWithin = 2 * time.Minute

// OutletFinder is the part of the store the outlets' routes read.
type OutletFinder interface {
	FindOutlets(ctx context.Context, q store.OutletQuery) ([]store.Outlet, error)
	Regions(ctx context.Context) ([]store.Region, error)
	SearchParcels(ctx context.Context, q store.ParcelQuery) ([]store.ParcelRow, error)
}

// Placer sets outlets' region and city (store.Store).
type Placer interface {
	SetPlace(ctx context.Context, id string, p store.Place) (store.Outlet, error)
}

// Filters of the outlets' routes (besides fOutlet and fLimit).
const (
	fRegion    = "region"
	fCity      = "city"
	fConnected = "connected"
	fQuery     = "q"
)

// MinParcelQuery is the shortest waybill prefix the parcel search takes.
const MinParcelQuery = 6

func (a *api) outletRoutes(mux *http.ServeMux) {
	a.handle(mux, "PATCH /api/v1/outlets/{id}", a.placeOutlet)
	a.handle(mux, "GET /api/v1/regions", a.regions)
	a.handle(mux, "GET /api/v1/parcels", a.searchParcels)
}

// outletJSON is an outlet as the API answers it: the store's row with
// whether it is connected now.
type outletJSON struct {
	store.Outlet
	Connected bool `json:"connected"`
}

// connected returns the rule for "connected now": the embedded broker's
// clients when the hub has one, else a batch or pull within
// ConnectedWithin.
func (a *api) connected() func(o *store.Outlet) bool {
	if a.opt.Connected != nil {
		set := a.opt.Connected()
		return func(o *store.Outlet) bool { return set[o.ID] }
	}
	now := time.Now()
	if a.opt.Clock != nil {
		now = a.opt.Clock.Now()
	}
	return func(o *store.Outlet) bool { return o.LastSeen != nil && now.Sub(*o.LastSeen) < ConnectedWithin }
}

func (a *api) outletView(o store.Outlet) outletJSON {
	return outletJSON{Outlet: o, Connected: a.connected()(&o)}
}

// findOutlets reads the outlets ?region=&city=&connected=&q= select
// (the caller refuses other filters), or answers the error and false.
func (a *api) findOutlets(w http.ResponseWriter, r *http.Request) (func(ctx context.Context) ([]outletJSON, error), bool) {
	q := r.URL.Query()
	var conn bool
	switch q.Get(fConnected) {
	case "", "0", "false":
	case "1", "true":
		conn = true
	default:
		writeErr(w, problem.New(problem.RequestBadFlag, "field", fConnected))
		return nil, false
	}
	region, ok := a.knownRegion(w, r, q.Get(fRegion))
	if !ok {
		return nil, false
	}
	oq := store.OutletQuery{Region: region, City: q.Get(fCity), IDPrefix: q.Get(fQuery)}
	only := q.Has(fConnected)
	return func(ctx context.Context) ([]outletJSON, error) {
		os, err := a.opt.Outlets.FindOutlets(ctx, oq)
		if err != nil {
			return nil, err
		}
		is := a.connected()
		out := make([]outletJSON, 0, len(os))
		for i := range os {
			if c := is(&os[i]); !only || c == conn {
				out = append(out, outletJSON{Outlet: os[i], Connected: c})
			}
		}
		return out, nil
	}, true
}

// knownRegion answers region.not_found for a region no outlet belongs
// to, rather than an empty list the caller believes filtered.
func (a *api) knownRegion(w http.ResponseWriter, r *http.Request, region string) (string, bool) {
	if region == "" {
		return "", true
	}
	if err := a.checkRegions(r.Context(), []string{region}); err != nil {
		a.fail(w, r, err)
		return "", false
	}
	return region, true
}

// checkRegions returns region.not_found for the first of regions no outlet
// belongs to.
func (a *api) checkRegions(ctx context.Context, regions []string) error {
	rs, err := a.opt.Outlets.Regions(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, r := range rs {
		known[r.Region] = true
	}
	for _, r := range regions {
		if !known[r] {
			return problem.New(problem.RegionNotFound, "region", r)
		}
	}
	return nil
}

// placeReq is a region and city; a field left out stays as it is.
type placeReq struct {
	Region *string `json:"region"`
	City   *string `json:"city"`
}

// place checks p into a store.Place.
func (p placeReq) place() (store.Place, error) {
	var out store.Place
	if p.Region != nil {
		v, err := store.CheckPlace("region", *p.Region)
		if err != nil {
			return out, err
		}
		out.Region = &v
	}
	if p.City != nil {
		v, err := store.CheckPlace("city", *p.City)
		if err != nil {
			return out, err
		}
		out.City = &v
	}
	return out, nil
}

func (a *api) placeOutlet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var req placeReq
	if !decode(w, r, &req) {
		return
	}
	if req.Region == nil && req.City == nil {
		writeErr(w, problem.New(problem.OutletNoChange))
		return
	}
	p, err := req.place()
	if err != nil {
		writeErr(w, err)
		return
	}
	o, err := a.opt.Places.SetPlace(r.Context(), id, p)
	if errors.Is(err, store.ErrNotFound) {
		err = problem.Wrap(err, problem.OutletNotFound, "outlet", id)
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.opt.Logger.Info("outlet region and city set", "outlet", id, "region", o.Region, "city", o.City)
	writeJSON(w, http.StatusOK, a.outletView(o))
}

func (a *api) regions(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r) {
		return
	}
	rs, err := a.opt.Outlets.Regions(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"regions": rs})
}

type parcelRowJSON struct {
	Waybill string `json:"waybill"`
	Outlet  string `json:"outlet"`
	State   string `json:"state"`
	Since   string `json:"since"`
}

var parcelList = listSpec{Name: "parcels", Columns: []column{
	{"waybill", "运单号", "Waybill"}, {"outlet", "网点", "Outlet"}, {"state", "状态", "State"}, {"since", "起始时间", "Since"},
}}

// parcelKey is a row's position in the parcel search: the list's cursor.
type parcelKey struct {
	Waybill string `json:"w"`
	Outlet  string `json:"o"`
}

func (a *api) searchParcels(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, takes(fQuery, fOutlet, fRegion)...) {
		return
	}
	q := r.URL.Query()
	pq := store.ParcelQuery{Prefix: strings.TrimSpace(q.Get(fQuery))}
	if n := len(pq.Prefix); n < MinParcelQuery || n > syncproto.MaxFieldLen {
		writeErr(w, problem.New(problem.ParcelShortQuery, "min", MinParcelQuery))
		return
	}
	var ok bool
	if pq.Outlet, ok = a.outletFilter(w, r); !ok {
		return
	}
	if pq.Region, ok = a.knownRegion(w, r, q.Get(fRegion)); !ok {
		return
	}
	serveList(a, w, r, parcelList, func(ctx context.Context, after *parcelKey, limit int) ([]parcelRowJSON, []parcelKey, error) {
		q := pq
		if after != nil {
			q.AfterWaybill, q.AfterOutlet = after.Waybill, after.Outlet
		}
		q.Limit = limit
		rows, err := a.opt.Outlets.SearchParcels(ctx, q)
		if err != nil {
			return nil, nil, err
		}
		out, keys := make([]parcelRowJSON, len(rows)), make([]parcelKey, len(rows))
		for i, p := range rows {
			out[i] = parcelRowJSON{Waybill: p.Waybill, Outlet: p.Outlet, State: p.State, Since: rfc3339(p.Since)}
			keys[i] = parcelKey{p.Waybill, p.Outlet}
		}
		return out, keys, nil
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
