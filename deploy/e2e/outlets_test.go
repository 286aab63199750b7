package e2e

import (
	"fmt"
	"time"
)

// checkOutletHealth asserts what head office shows of a drained outlet
// whose agent scanned waybills prefix%08d from 0 up: connected, its
// reported backlog gone to 0 with no oldest unsynced event, no rejects,
// and its scans found by the parcel search across outlets.
func (c *cluster) checkOutletHealth(id, prefix string) {
	c.t.Helper()
	var o struct {
		Connected bool       `json:"connected"`
		Backlog   *uint64    `json:"backlog"`
		Oldest    *time.Time `json:"oldest_unsynced_at"`
		Rejects   uint64     `json:"rejects"`
	}
	// The backlog falls to 0 with the acknowledgement of the last batch.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if code := getJSON(c.t, "http://"+c.hubHTTP+"/api/v1/outlets/"+id, true, &o); code != 200 {
			c.t.Fatalf("GET outlet %s: %d", id, code)
		}
		if o.Backlog != nil && *o.Backlog == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !o.Connected || o.Backlog == nil || *o.Backlog != 0 || o.Oldest != nil || o.Rejects != 0 {
		c.t.Errorf("drained outlet %s at head office: connected %v, backlog %v, oldest unsynced %v, rejects %d; want connected, 0, none, 0",
			id, o.Connected, o.Backlog, o.Oldest, o.Rejects)
	}
	var found struct {
		Parcels []struct{ Waybill, Outlet, State string } `json:"parcels"`
	}
	q := fmt.Sprintf("%s%07d", prefix, 1) // the waybills 10 to 19
	if code := getJSON(c.t, "http://"+c.hubHTTP+"/api/v1/parcels?q="+q, true, &found); code != 200 || len(found.Parcels) != 10 {
		c.t.Fatalf("parcel search %s: %d, %d found, want 10", q, code, len(found.Parcels))
	}
	for i, p := range found.Parcels {
		if want := fmt.Sprintf("%s%08d", prefix, 10+i); p.Waybill != want || p.Outlet != id || p.State != "scanned" {
			c.t.Errorf("parcel search %s: %+v, want %s scanned at %s", q, p, want, id)
		}
	}
}
