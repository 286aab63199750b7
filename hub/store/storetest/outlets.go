package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

func ptr[T any](v T) *T { return &v }

func outletIDs(os []store.Outlet) []string {
	out := []string{}
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}

// Region and city are set per outlet, change one at a time, select
// outlets, and group them in Regions.
func testOutletPlacesAndFilters(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	for _, id := range []string{"SH-001", "SH-002", "HZ-001", "BJ-001"} {
		if err := s.AddOutlet(ctx, id, "h", false); err != nil {
			t.Fatal(err)
		}
	}
	for id, p := range map[string]store.Place{
		"SH-001": {Region: ptr("华东"), City: ptr("上海")},
		"SH-002": {Region: ptr("华东"), City: ptr("上海")},
		"HZ-001": {Region: ptr("华东"), City: ptr("杭州")},
		"BJ-001": {Region: ptr("华北")},
	} {
		if _, err := s.SetPlace(ctx, id, p); err != nil {
			t.Fatal(err)
		}
	}
	// Only the city changes; the region stays.
	o, err := s.SetPlace(ctx, "BJ-001", store.Place{City: ptr("北京")})
	if err != nil || o.Region != "华北" || o.City != "北京" {
		t.Fatalf("after setting only the city: %+v %v", o, err)
	}
	if _, err := s.SetPlace(ctx, "NOPE", store.Place{Region: ptr("x")}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown outlet's place: %v, want ErrNotFound", err)
	}
	for _, tc := range []struct {
		q    store.OutletQuery
		want []string
	}{
		{store.OutletQuery{}, []string{"BJ-001", "HZ-001", "SH-001", "SH-002"}},
		{store.OutletQuery{Region: "华东"}, []string{"HZ-001", "SH-001", "SH-002"}},
		{store.OutletQuery{Region: "华东", City: "上海"}, []string{"SH-001", "SH-002"}},
		{store.OutletQuery{City: "杭州"}, []string{"HZ-001"}},
		{store.OutletQuery{IDPrefix: "SH-"}, []string{"SH-001", "SH-002"}},
		{store.OutletQuery{IDPrefix: "SH-002"}, []string{"SH-002"}},
		{store.OutletQuery{IDPrefix: "H"}, []string{"HZ-001"}},
		{store.OutletQuery{Region: "华北", IDPrefix: "SH"}, []string{}},
		{store.OutletQuery{Region: "华南"}, []string{}},
	} {
		os, err := s.FindOutlets(ctx, tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := outletIDs(os); !slices.Equal(got, tc.want) {
			t.Errorf("FindOutlets(%+v) = %v, want %v", tc.q, got, tc.want)
		}
	}
	o, err = s.Outlet(ctx, "HZ-001")
	if err != nil || o.Region != "华东" || o.City != "杭州" {
		t.Errorf("HZ-001 = %+v %v", o, err)
	}
	// An outlet known only from traffic has no region and is not listed
	// under one.
	commit(t, s, Batch("XX-001", 1, 1))
	rs, err := s.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(rs)
	if want := "[{华东 [上海 杭州] 3} {华北 [北京] 1}]"; got != want {
		t.Errorf("regions %s, want %s", got, want)
	}
	// Clearing a region takes the outlet out of it.
	if _, err := s.SetPlace(ctx, "BJ-001", store.Place{Region: ptr(""), City: ptr("")}); err != nil {
		t.Fatal(err)
	}
	if rs, _ := s.Regions(ctx); fmt.Sprint(rs) != "[{华东 [上海 杭州] 3}]" {
		t.Errorf("regions after clearing BJ-001: %v", rs)
	}
}

// An agent's reported head and oldest unsynced stamp give the outlet's
// backlog; a lying or broken agent's claims are clamped, an old agent's
// missing ones leave the backlog unknown, and refusals count as rejects.
func testOutletHealthReportedAndClamped(t *testing.T, be Backend) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	wall := clock.NewManual(now)
	s := be.Open(t, wall)
	ctx := context.Background()
	pull := func(origin string, head *uint64, oldest *int64) {
		t.Helper()
		if _, err := s.Commit(ctx, []store.Unit{{Pull: &syncproto.Pull{Origin: origin, Head: head, OldestUnsynced: oldest}}}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(id string) store.Outlet {
		t.Helper()
		o, err := s.Outlet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	backlog := func(o store.Outlet) string {
		b, at := "nil", "nil"
		if o.Backlog != nil {
			b = fmt.Sprint(*o.Backlog)
		}
		if o.OldestUnsyncedAt != nil {
			at = o.OldestUnsyncedAt.Format(time.RFC3339)
		}
		return b + " " + at
	}
	hourAgo := now.Add(-time.Hour)

	// An old agent reports nothing: unknown, not zero.
	commit(t, s, Batch("OLD", 1, 3))
	pull("OLD", nil, nil)
	if got := backlog(get("OLD")); got != "nil nil" {
		t.Errorf("old agent: backlog %s, want unknown", got)
	}

	// 10 held, 3 acknowledged: 7 behind since an hour ago.
	commit(t, s, Batch("A", 1, 3))
	pull("A", ptr(uint64(10)), ptr(hourAgo.UnixMilli()))
	if got, want := backlog(get("A")), "7 "+hourAgo.Format(time.RFC3339); got != want {
		t.Errorf("backlog %s, want %s", got, want)
	}
	// A batch beyond the reported head raises it; one that catches up
	// clears the oldest.
	commit(t, s, Batch("A", 4, 12))
	if got := backlog(get("A")); got != "0 nil" {
		t.Errorf("after a batch past the reported head: %s, want 0 nil", got)
	}
	// A head below what the hub acknowledged is clamped to it.
	pull("A", ptr(uint64(2)), ptr(hourAgo.UnixMilli()))
	if got := backlog(get("A")); got != "0 nil" {
		t.Errorf("a head below acked: %s, want 0 nil", got)
	}
	// A stamp in the future is clamped to now, one years back to the
	// oldest believed, one out of range is dropped; a head past any
	// sequence is clamped to the highest.
	for _, tc := range []struct {
		oldest int64
		want   string
	}{
		{now.Add(24 * time.Hour).UnixMilli(), "8 " + now.Format(time.RFC3339)},
		{now.AddDate(-20, 0, 0).UnixMilli(), "8 " + now.Add(-store.MaxUnsyncedAge).Format(time.RFC3339)},
		{-5, "8 nil"},
		{hlc.HorizonMillis + 1, "8 nil"},
	} {
		pull("A", ptr(uint64(20)), &tc.oldest)
		if got := backlog(get("A")); got != tc.want {
			t.Errorf("oldest %d: %s, want %s", tc.oldest, got, tc.want)
		}
	}
	pull("A", ptr(^uint64(0)), nil)
	if o := get("A"); o.Backlog == nil || *o.Backlog != syncproto.MaxSeq-12 {
		t.Errorf("a head past every sequence: %s, want clamped to %d less acked", backlog(o), uint64(syncproto.MaxSeq))
	}

	// Refusals count: a refused batch, a dead-lettered event, a pull of
	// another incarnation (whose claims are ignored).
	commit(t, s, of(Batch("B", 1, 3, 2), incA, "x"))
	commit(t, s, of(Batch("B", 1, 1), incB, "y"))
	if _, err := s.Commit(ctx, []store.Unit{
		{Pull: &syncproto.Pull{Origin: "B", Incarnation: incA, Head: ptr(uint64(3))}},
		{Pull: &syncproto.Pull{Origin: "B", Incarnation: incB, Head: ptr(uint64(500))}},
	}); err != nil {
		t.Fatal(err)
	}
	if o := get("B"); o.Rejects != 3 || backlog(o) != "0 nil" {
		t.Errorf("B: %d rejects, backlog %s; want 3 (an event, a batch, a pull) and 0 nil", o.Rejects, backlog(o))
	}
	// A new incarnation starts with its backlog unknown again.
	o, err := s.StartIncarnation(ctx, "A", "")
	if err != nil {
		t.Fatal(err)
	}
	if backlog(o) != "nil nil" || backlog(get("A")) != "nil nil" {
		t.Errorf("after a new incarnation: %s", backlog(get("A")))
	}
}

// parcelBatch is a batch of parcel events of origin from seq first, one
// per (type, waybill, payload).
func parcelBatch(origin string, first uint64, evs ...[3]string) *syncproto.Batch {
	b := &syncproto.Batch{Origin: origin, First: first, Last: first + uint64(len(evs)) - 1}
	for i, x := range evs {
		seq := first + uint64(i)
		b.Events = append(b.Events, syncproto.Event{ID: fmt.Sprintf("%s-p%d", origin, seq), Origin: origin, Seq: seq,
			HLC: hlc.Make(1_700_000_000_000+int64(seq), 0), Actor: "clerk", Type: x[0], V: 1, Subject: x[1], Payload: []byte(x[2])})
	}
	return b
}

func inbound(wb string, at int64) [3]string {
	return [3]string{"parcel.inbound", wb, fmt.Sprintf(`{"waybill":%q,"hold_days":3,"at":%d}`, wb, at)}
}

func shelved(wb string, at int64) [3]string {
	return [3]string{"parcel.shelved", wb, fmt.Sprintf(`{"shelf":"A","layer":"1","code":"A-1-%d","at":%d}`, at, at)}
}

// The parcel index holds each waybill's state at each outlet as the
// commit that stored its events left it, found by waybill prefix, outlet
// and region, page by page; events beyond a gap and head office's are not
// in it until visible.
func testParcelIndex(t *testing.T, be Backend) {
	s := be.Open(t, nil)
	ctx := context.Background()
	for id, r := range map[string]string{"SH-1": "华东", "BJ-1": "华北"} {
		if err := s.AddOutlet(ctx, id, "h", false); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetPlace(ctx, id, store.Place{Region: ptr(r)}); err != nil {
			t.Fatal(err)
		}
	}
	commit(t, s,
		parcelBatch("SH-1", 1, inbound("SF1000001", 10), shelved("SF1000001", 20), inbound("SF1000002", 30), inbound("YT9000001", 40)),
		parcelBatch("BJ-1", 1, inbound("SF1000001", 50)))
	search := func(q store.ParcelQuery) string {
		t.Helper()
		rs, err := s.SearchParcels(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(rs)
	}
	for _, tc := range []struct {
		q    store.ParcelQuery
		want string
	}{
		{store.ParcelQuery{Prefix: "SF1000"}, "[{SF1000001 BJ-1 inbound 50} {SF1000001 SH-1 in_stock 20} {SF1000002 SH-1 inbound 30}]"},
		{store.ParcelQuery{Prefix: "SF1000001"}, "[{SF1000001 BJ-1 inbound 50} {SF1000001 SH-1 in_stock 20}]"},
		{store.ParcelQuery{Prefix: "SF1000", Outlet: "SH-1"}, "[{SF1000001 SH-1 in_stock 20} {SF1000002 SH-1 inbound 30}]"},
		{store.ParcelQuery{Prefix: "SF1000", Region: "华北"}, "[{SF1000001 BJ-1 inbound 50}]"},
		{store.ParcelQuery{Prefix: "SF1000", Limit: 2}, "[{SF1000001 BJ-1 inbound 50} {SF1000001 SH-1 in_stock 20}]"},
		{store.ParcelQuery{Prefix: "SF1000", AfterWaybill: "SF1000001", AfterOutlet: "SH-1"}, "[{SF1000002 SH-1 inbound 30}]"},
		{store.ParcelQuery{Prefix: "SF1000", AfterWaybill: "SF1000001", AfterOutlet: "BJ-1", Limit: 1}, "[{SF1000001 SH-1 in_stock 20}]"},
		{store.ParcelQuery{Prefix: "YT"}, "[{YT9000001 SH-1 inbound 40}]"},
		{store.ParcelQuery{Prefix: "ZZ"}, "[]"},
	} {
		if got := search(tc.q); got != tc.want {
			t.Errorf("SearchParcels(%+v) = %s, want %s", tc.q, got, tc.want)
		}
	}
	// A later step moves the row; one beyond a gap waits for the gap.
	commit(t, s, parcelBatch("BJ-1", 3, [3]string{"parcel.picked_up", "SF1000001",
		`{"id_check":"code","signer":"recipient","staff":"c01","at":70}`}))
	if got := search(store.ParcelQuery{Prefix: "SF1000001", Outlet: "BJ-1"}); got != "[{SF1000001 BJ-1 inbound 50}]" {
		t.Errorf("a step beyond a gap changed the index: %s", got)
	}
	commit(t, s, parcelBatch("BJ-1", 2, shelved("SF1000001", 60)))
	if got := search(store.ParcelQuery{Prefix: "SF1000001", Outlet: "BJ-1"}); got != "[{SF1000001 BJ-1 picked_up 70}]" {
		t.Errorf("after the gap closed: %s, want picked_up since 70", got)
	}
	// A waybill only scanned so far is found as scanned, since its scan,
	// and one scanned for another purpose is not; its inbound in a later
	// commit folds with the scan before it.
	commit(t, s, parcelBatch("SH-1", 5, [3]string{"parcel.scanned", "SF1000009", `{"barcode":"SF1000009","action":"inbound"}`},
		[3]string{"parcel.scanned", "SF1000008", `{"barcode":"SF1000008","action":"lookup"}`}))
	if got := search(store.ParcelQuery{Prefix: "SF1000009"}); got != "[{SF1000009 SH-1 scanned 1700000000005}]" {
		t.Errorf("a waybill scanned in: %s", got)
	}
	if got := search(store.ParcelQuery{Prefix: "SF1000008"}); got != "[]" {
		t.Errorf("a waybill only looked up: %s", got)
	}
	commit(t, s, parcelBatch("SH-1", 7, inbound("SF1000009", 80)))
	if got := search(store.ParcelQuery{Prefix: "SF1000009"}); got != "[{SF1000009 SH-1 inbound 80}]" {
		t.Errorf("after its inbound: %s", got)
	}
	// Head office's events are not an outlet's parcel.
	if _, err := s.AppendDown(ctx, &syncproto.Event{ID: "h1", Origin: syncproto.HubOrigin, HLC: hlc.Make(1_700_000_000_100, 0), Actor: "ho",
		Type: "parcel.inbound", V: 1, Subject: "SF1000003", Target: "SH-1", Payload: []byte(`{"waybill":"SF1000003","at":1}`)}); err != nil {
		t.Fatal(err)
	}
	if got := search(store.ParcelQuery{Prefix: "SF1000003"}); got != "[]" {
		t.Errorf("head office's event indexed: %s", got)
	}
}
