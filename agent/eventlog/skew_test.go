package eventlog

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
)

var y2500 = hlc.Make(time.Date(2500, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 0)

// A downlink stamp beyond the hub time it came with plus the bound is
// applied but never adopted, so the outlet's next stamps keep its own time;
// one within the bound is adopted; one no clock reads is refused.
func TestApplyDownAdoptsOnlyWithinTheBound(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	l := openT(t, t.TempDir(), Options{Clock: clock.NewManual(now)})
	ev := func(seq uint64, stamp hlc.Timestamp) syncproto.Event {
		return syncproto.Event{ID: "h" + string(rune('0'+seq)), Origin: syncproto.HubOrigin, Seq: seq, HLC: stamp, Actor: "hq", Type: "notice.ended", V: 1, Target: "*", Subject: "N1"}
	}
	n, err := l.ApplyDown(&syncproto.Down{From: 0, Through: 2, HubTime: now.UnixMilli(), Events: []syncproto.Event{ev(1, y2500), ev(2, ^hlc.Timestamp(0))}})
	if err != nil || n != 1 || l.Counters().DownCursor != 2 || l.RefusedDown() != 1 {
		t.Fatalf("applied %d, err %v, cursor %d, refused %d; want the 2500 one applied and the absurd one refused", n, err, l.Counters().DownCursor, l.RefusedDown())
	}
	a, err := l.Append(context.Background(), scanDraft("SF1"))
	if err != nil {
		t.Fatal(err)
	}
	if a.HLC.Time().After(now.Add(time.Minute)) {
		t.Fatalf("the next scan carries %v: a downlink stamp beyond the bound moved this outlet's clock", a.HLC)
	}
	within := hlc.Make(now.Add(30*time.Second).UnixMilli(), 0)
	if _, err := l.ApplyDown(&syncproto.Down{From: 2, Through: 3, HubTime: now.UnixMilli(), Events: []syncproto.Event{ev(3, within)}}); err != nil {
		t.Fatal(err)
	}
	if b, _ := l.Append(context.Background(), scanDraft("SF2")); b.HLC <= within {
		t.Fatalf("the next scan carries %v, not after head office's %v", b.HLC, within)
	}
}

// A clock floor an older version persisted from another PC's wrong clock is
// dropped at start; a floor this PC's own clock made (it ran ahead, then was
// set back) is kept, so its stamps never go back.
func TestPoisonedFloorDroppedOwnFloorKept(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	l := openT(t, dir, Options{Clock: clock.NewManual(now)})
	if _, err := l.Append(context.Background(), scanDraft("SF1")); err != nil {
		t.Fatal(err)
	}
	l.close()
	// What an older version left: a year-2500 floor it adopted, and no
	// reading of its own clock.
	f, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(datafile.Meta)
		if err := meta.Delete(datafile.KeyLastWall); err != nil {
			return err
		}
		return datafile.PutU64(meta, datafile.KeyLastHLC, uint64(y2500))
	}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	l2 := openT(t, dir, Options{Clock: clock.NewManual(now.Add(time.Second))})
	b, err := l2.Append(context.Background(), scanDraft("SF2"))
	if err != nil {
		t.Fatal(err)
	}
	if b.HLC.Time().After(now.Add(time.Minute)) {
		t.Fatalf("after restart the scan carries %v: the poisoned floor survived", b.HLC)
	}
	l2.close()

	// This PC ran six hours ahead, then was set back: its own floor stays.
	l3 := openT(t, dir, Options{Clock: clock.NewManual(now.Add(6 * time.Hour))})
	c, _ := l3.Append(context.Background(), scanDraft("SF3"))
	l3.close()
	l4 := openT(t, dir, Options{Clock: clock.NewManual(now.Add(time.Minute))})
	d, _ := l4.Append(context.Background(), scanDraft("SF4"))
	if d.HLC <= c.HLC {
		t.Fatalf("stamp went back after the clock was set back: %v after %v", d.HLC, c.HLC)
	}
}
