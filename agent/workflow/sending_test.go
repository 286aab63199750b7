package workflow

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

type fixedScale struct{ grams int64 }

func (f fixedScale) StableGrams(context.Context, string) (int64, error) {
	if f.grams == 0 {
		return 0, problem.New(problem.ScaleUnstable)
	}
	return f.grams, nil
}

var testTariff = tariff.Tariff{Version: "T-2026-11", Zones: map[string]string{"110000": "A", "310000": "B"},
	Rates:             map[string]tariff.Rate{"A": {FirstGrams: 1000, FirstFen: 1200, StepGrams: 1000, StepFen: 300}, "B": {FirstGrams: 1000, FirstFen: 800, StepGrams: 1000, StepFen: 200}},
	VolumetricDivisor: 8000, MaxWeightGrams: 50000, Insurance: tariff.Insurance{RateBP: 100, MinFen: 100}}

var testList = lifecycle.ProhibitedListV1{Version: "P-3", Items: []lifecycle.ProhibitedItem{
	{Code: "battery", Name: "锂电池（单独）", Rule: lifecycle.RuleForbidden}, {Code: "liquid", Name: "液体", Rule: lifecycle.RuleRestricted}}}

func seedSending(t *testing.T, f *fixture, first, last uint32) {
	t.Helper()
	evs := []syncproto.Event{
		hubEvent(t, 1, lifecycle.TariffPublished, testTariff.Version, testTariff),
		hubEvent(t, 2, lifecycle.ProhibitedPublished, testList.Version, testList),
		hubEvent(t, 3, lifecycle.WaybillBlockAllocated, "SH-001", lifecycle.WaybillBlockV1{Prefix: "YZ", First: first, Last: last, Country: "CN"}),
	}
	if _, err := f.events.ApplyDown(&syncproto.Down{From: 0, Through: 3, HubTime: hubMillis(), Events: evs}, Projector()); err != nil {
		t.Fatal(err)
	}
}

func sendReq() SendReq {
	return SendReq{Sender: PartyReq{Name: "王大锤", Phone: "13811112222"}, SenderIDType: "resident_id", SenderIDNumber: "11010519491231002X",
		Recipient: PartyReq{Name: "李四", Phone: "13933334444", Address: "北京市海淀区中关村大街1号", DestCode: "110108"},
		ItemType:  "clothing", Items: "冬衣两件", ProhibitedVersion: "P-3", ProhibitedChecked: []string{"battery", "liquid"}, Scale: "counter"}
}

func TestSendAtCounter(t *testing.T) {
	f := newFixture(t, 0)
	f.svc.cfg.Scales = fixedScale{grams: 2300}
	ctx := context.Background()
	if _, _, err := f.svc.Send(ctx, f.clerk, sendReq()); err == nil || !strings.Contains(err.Error(), "head office yet") {
		t.Fatalf("sending before the lists arrived: %v", err)
	}
	seedSending(t, f, 100, 104)
	for name, mod := range map[string]func(*SendReq){
		"bad resident id":    func(r *SendReq) { r.SenderIDNumber = "110105194912310021" },
		"no id":              func(r *SendReq) { r.SenderIDType = "" },
		"old checklist":      func(r *SendReq) { r.ProhibitedVersion = "P-2" },
		"item not confirmed": func(r *SendReq) { r.ProhibitedChecked = []string{"battery"} },
		"no address":         func(r *SendReq) { r.Recipient.Address = "" },
		"unknown dest":       func(r *SendReq) { r.Recipient.DestCode = "990000" },
		"bad phone":          func(r *SendReq) { r.Sender.Phone = "12345" },
	} {
		t.Run(name, func(t *testing.T) {
			r := sendReq()
			mod(&r)
			before := f.events.Counters().LastSeq
			if _, _, err := f.svc.Send(ctx, f.clerk, r); problem.As(err) == nil || problem.CodeOf(err).Class() != problem.Invalid {
				t.Fatalf("accepted or wrong error: %v", err)
			}
			if f.events.Counters().LastSeq != before {
				t.Fatal("a refused sending recorded events (and may have used a number)")
			}
		})
	}
	f.svc.cfg.Scales = fixedScale{}
	if _, _, err := f.svc.Send(ctx, f.clerk, sendReq()); err == nil || !strings.Contains(err.Error(), "not stable") {
		t.Fatalf("unstable scale: %v", err)
	}
	f.svc.cfg.Scales = fixedScale{grams: 2300}
	sh, _, err := f.svc.Send(ctx, f.clerk, sendReq())
	if err != nil {
		t.Fatal(err)
	}
	if want := lifecycle.S10Number("YZ", 100, "CN"); sh.Number != want {
		t.Fatalf("number %s, want %s", sh.Number, want)
	}
	// The counter and the courier's label see the address; the event holds
	// it sealed to this shipment.
	if sh.Recipient.Address != "北京市海淀区中关村大街1号" || sh.Recipient.AddressSealed == "" {
		t.Fatalf("recipient %+v", sh.Recipient)
	}
	if got, err := f.svc.Shipment(sh.Number); err != nil || got.Recipient.Address != sh.Recipient.Address {
		t.Fatalf("shipment read back: %+v %v", got.Recipient, err)
	}
	shEvs, _ := f.svc.History(lifecycle.KindShipment, sh.Number)
	var stored lifecycle.ShipmentV1
	for _, ev := range shEvs {
		if ev.Type == lifecycle.ShipmentAccepted {
			json.Unmarshal(ev.Payload, &stored)
		}
	}
	if stored.Recipient.Address != "" || stored.Recipient.AddressSealed != sh.Recipient.AddressSealed {
		t.Fatalf("the event's recipient %+v", stored.Recipient)
	}
	if _, err := outletKeys(t, "SH-002").Open(pii.KindAddress, pii.Record{Kind: lifecycle.KindShipment, ID: sh.Number}, stored.Recipient.AddressSealed); !errors.Is(err, pii.ErrWrongKey) {
		t.Fatalf("another outlet opened the address: %v", err)
	}
	if sh.WeightGrams != 2300 || sh.WeightFrom != "counter" || sh.Quote.TotalFen != 1200+2*300 || sh.Recipient.PhoneMasked != "139****4444" || sh.Packaging == "" {
		t.Fatalf("shipment %+v", sh)
	}
	// Numbers run out: 5 in the block, one used; the refill is asked once.
	seen := map[string]bool{sh.Number: true}
	for i := 0; i < 4; i++ {
		sh, _, err := f.svc.Send(ctx, f.clerk, sendReq())
		if err != nil || seen[sh.Number] {
			t.Fatalf("send %d: %s %v", i, sh.Number, err)
		}
		seen[sh.Number] = true
	}
	if _, _, err := f.svc.Send(ctx, f.clerk, sendReq()); err == nil || !strings.Contains(err.Error(), "used up") {
		t.Fatalf("sending with no numbers left: %v", err)
	}
	requests := 0
	evs, _ := f.svc.History(lifecycle.KindWaybills, "SH-001")
	for _, ev := range evs {
		if ev.Type == lifecycle.WaybillBlockRequested {
			requests++
		}
	}
	if requests != 1 {
		t.Fatalf("%d block requests, want 1", requests)
	}
	f.events.Close()
	f.file.Close()
	raw, _ := os.ReadFile(filepath.Join(f.dir, datafile.FileName))
	for _, clear := range []string{"11010519491231002X", "13811112222", "王大锤", "中关村大街"} {
		if bytes.Contains(raw, []byte(clear)) {
			t.Fatalf("%q in clear in the data file", clear)
		}
	}
}
