package peripherals

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/agent/workflow"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/sim"
	"github.com/yizhan/yizhan/devices/scale"
	"github.com/yizhan/yizhan/devices/scanner"
	"github.com/yizhan/yizhan/devices/scanner/serial"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// openData opens a data file and its event log, with the workflow
// projection the agent runs, until the test ends.
func openData(t *testing.T, dir string) (*datafile.File, *eventlog.Log) {
	t.Helper()
	file, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := eventlog.Open(file, eventlog.Options{Projectors: []eventlog.Projector{workflow.Projector()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); file.Close() })
	return file, l
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSerialScannerToEventLog: reads from a serial scanner on a pty become
// durable scan events; a repeat within the debounce window and a misread
// check digit do not.
func TestSerialScannerToEventLog(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "scanner")
	framing := scanner.Framing{Suffix: "crlf"}
	simu, err := serial.NewSimulator(link, framing)
	if err != nil {
		t.Fatal(err)
	}
	defer simu.Close()
	ps, err := sim.Start("127.0.0.1:0", "tspl")
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()

	cfgFile := filepath.Join(dir, "agent.json")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`{"devices": {
		"scanners": [{"name": "counter", "driver": "serial", "debounce": "1m",
		              "config": {"path": %q, "baud": 9600, "framing": {"suffix": "crlf"}}}],
		"printers": [{"name": "shelf", "driver": "tspl", "address": %q}],
		"label_printer": "shelf"}}`, link, ps.URL())), 0o600)
	cfg, err := LoadConfig(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	file, l := openData(t, filepath.Join(dir, "data"))
	sv := &ingest.Service{Events: l}
	m, err := Start(context.Background(), cfg, file.PrintSpool(), func(ctx context.Context, s ingest.Scan) error {
		_, err := sv.Scan(ctx, s)
		return err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	waitFor(t, "scanner connected", func() bool { return m.Status()[0].State == "ok" })

	for _, code := range []string{"RB123456785GB", "RB123456785GB", "RB123456784GB", "73123456789012"} {
		if err := simu.Scan("", code); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "four reads handled", func() bool { return len(m.Recent()) == 4 })
	var results []string
	for _, r := range m.Recent() {
		results = append(results, r.Result)
	}
	if got := strings.Join(results, ","); got != "saved,duplicate,rejected,saved" {
		t.Fatalf("results %s; recent %+v", got, m.Recent())
	}
	if c := l.Counters(); c.LastSeq != 2 {
		t.Fatalf("%d events saved, want 2", c.LastSeq)
	}
	parcels := workflow.NewReader(file)
	p, err := parcels.Parcel("RB123456785GB")
	evs, _ := parcels.History(lifecycle.KindParcel, "RB123456785GB")
	if err != nil || p.State != lifecycle.ParcelStateScanned || len(evs) != 1 {
		t.Fatalf("parcel %+v %v", p, err)
	}
	var pl lifecycle.ScannedV1
	json.Unmarshal(evs[0].Payload, &pl)
	if pl.Scanner != "counter" || pl.Kind != "s10" {
		t.Fatalf("payload %+v", pl)
	}

	// A label through the spool reaches the printer once.
	pc, _ := cfg.Printer("shelf")
	d, _ := printer.New(pc, printer.Options{})
	data, err := d.ShelfLabel(printer.TestLabel(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Spool().Enqueue("shelf", "test label", data); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "label printed", func() bool { return len(ps.Jobs()) == 1 })
}

func TestLoadConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"not json", `{`, "unexpected EOF"},
		{"unknown field", `{"devices": {"scaners": []}}`, "unknown field"},
		{"unknown driver", `{"devices": {"scanners": [{"name": "a", "driver": "bluetooth", "config": {}}]}}`, "unknown driver"},
		{"duplicate", `{"devices": {"scanners": [{"name": "a", "driver": "tcp", "config": {}}], "printers": [{"name": "a", "driver": "zpl", "address": "tcp://127.0.0.1:9100"}]}}`, "used twice"},
		{"bad label printer", `{"devices": {"label_printer": "nope"}}`, "not one of the printers"},
		{"bad debounce", `{"devices": {"scanners": [{"name": "a", "driver": "tcp", "debounce": "soon", "config": {}}]}}`, "duration"},
		{"unknown scale driver", `{"devices": {"scales": [{"name": "s", "driver": "usb-scale", "config": {}}]}}`, "unknown driver"},
		{"scale field misspelt", `{"devices": {"scales": [{"name": "s", "driver": "serial-scale", "config": {"path": "/dev/ttyUSB1", "protocol": "st-gs", "baudrate": 9600}}]}}`, "baudrate"},
		{"scale unknown field", `{"devices": {"scales": [{"name": "s", "drv": "serial-scale"}]}}`, "unknown field"},
		{"scale bad protocol", `{"devices": {"scales": [{"name": "s", "driver": "serial-scale", "config": {"path": "/dev/ttyUSB1", "protocol": "sics"}}]}}`, "use st-gs, bare or request"},
		{"scale no name", `{"devices": {"scales": [{"driver": "serial-scale", "config": {}}]}}`, "scale 1 has no name"},
		{"scale name twice", `{"devices": {"scanners": [{"name": "a", "driver": "tcp", "config": {}}], "scales": [{"name": "a", "driver": "serial-scale", "config": {"path": "/dev/ttyUSB1", "protocol": "st-gs"}}]}}`, "used twice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "agent.json")
			os.WriteFile(p, []byte(tc.body), 0o600)
			_, err := LoadConfig(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestDoctorExplainsProblems(t *testing.T) {
	dir := t.TempDir()
	ps, err := sim.Start("127.0.0.1:0", "zpl")
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	ps.SetFaults(printer.PaperOut)
	cfg := Config{
		Scanners: []ScannerConfig{{Name: "gone", Driver: "serial", Action: "inbound", Config: json.RawMessage(fmt.Sprintf(`{"path": %q}`, filepath.Join(dir, "ttyUSB9")))}},
		Printers: []printer.Config{{Name: "shelf", Driver: "zpl", Address: ps.URL()}},
	}
	var out strings.Builder
	n := Doctor(context.Background(), &out, cfg, filepath.Join(dir, "data"))
	if n != 2 {
		t.Fatalf("%d problems, want 2 (scanner unplugged, paper out):\n%s", n, out.String())
	}
	for _, want := range []string{"gone", "缺纸", "fix"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("doctor output lacks %q:\n%s", want, out.String())
		}
	}
	ps.SetFaults()
	out.Reset()
	if err := TestPrint(context.Background(), &out, cfg, "shelf"); err != nil {
		t.Fatal(err)
	}
	if len(ps.Jobs()) != 1 {
		t.Fatalf("test print sent %d jobs", len(ps.Jobs()))
	}
}

func TestSampleConfigLoads(t *testing.T) {
	if _, err := LoadConfig("../../deploy/agent.sample.json"); err != nil {
		t.Fatal(err)
	}
}

func TestMisspeltDriverSettingRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "agent.json")
	os.WriteFile(p, []byte(`{"devices": {"scanners": [{"name": "counter", "driver": "serial",
		"config": {"path": "/dev/ttyUSB0", "baudrate": 9600}}]}}`), 0o600)
	_, err := LoadConfig(p)
	if err == nil || !strings.Contains(err.Error(), "baudrate") {
		t.Fatalf("misspelt setting: %v", err)
	}
}

// TestScaleThroughManager: a scale on a pty, configured like any device,
// is started by the manager, reported in Status, weighed through
// Manager.Scale, listed and checked by doctor.
func TestScaleThroughManager(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "scale")
	simu, err := scale.NewSimulator(link, scale.SimConfig{Protocol: "st-gs", Interval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer simu.Close()

	cfgFile := filepath.Join(dir, "agent.json")
	os.WriteFile(cfgFile, []byte(fmt.Sprintf(`{"devices": {
		"scales": [{"name": "counter-scale", "driver": "serial-scale",
		            "config": {"path": %q, "protocol": "st-gs", "timeout": "1s",
		                       "reconnect": {"min": "10ms", "max": "50ms"}}}]}}`, link)), 0o600)
	cfg, err := LoadConfig(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	file, _ := openData(t, filepath.Join(dir, "data"))
	m, err := Start(context.Background(), cfg, file.PrintSpool(), func(context.Context, ingest.Scan) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sc, ok := m.Scale("counter-scale")
	if !ok {
		t.Fatal("Manager.Scale: no counter-scale")
	}
	if _, ok := m.Scale("nope"); ok {
		t.Fatal("Manager.Scale found a scale that is not configured")
	}
	waitFor(t, "scale ok", func() bool {
		st := m.Status()
		return len(st) == 1 && st[0].Kind == "scale" && st[0].Name == "counter-scale" && st[0].State == "ok"
	})

	unstable := simu.SettleTo(2345, 5)
	waitFor(t, "weight shown", func() bool { r := sc.Latest(); return r.Grams == 2345 && r.Stable })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := sc.StableWeight(ctx, 20*time.Millisecond)
	if err != nil || r.Grams != 2345 || slices.Contains(unstable, r.Grams) {
		t.Fatalf("StableWeight %+v %v", r, err)
	}

	simu.Unplug()
	waitFor(t, "scale reconnecting", func() bool { return m.Status()[0].State == "reconnecting" })
	var out strings.Builder
	if n := Doctor(context.Background(), &out, cfg, ""); n != 1 || !strings.Contains(out.String(), "电子秤") {
		t.Fatalf("doctor with the scale unplugged: %d problems\n%s", n, out.String())
	}
	simu.Replug()
	waitFor(t, "scale ok again", func() bool { return m.Status()[0].State == "ok" })

	out.Reset()
	List(&out, cfg)
	if !strings.Contains(out.String(), "counter-scale") {
		t.Fatalf("list lacks the scale:\n%s", out.String())
	}
}

// A shipment's waybill reaches the waybill printer with masked parties only.
func TestWaybillLabelPrinted(t *testing.T) {
	dir := t.TempDir()
	ps, err := sim.Start("127.0.0.1:0", "zpl")
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	cfg := Config{Printers: []printer.Config{{Name: "waybill", Driver: "zpl", Address: ps.URL(), WidthMM: 100, HeightMM: 150}}, WaybillPrinter: "waybill"}
	file, _ := openData(t, filepath.Join(dir, "data"))
	m, err := Start(context.Background(), cfg, file.PrintSpool(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Outlet = "SH-001"
	sh := lifecycle.ShipmentV1{Number: lifecycle.S10Number("YZ", 100, "CN"), At: time.Now().UnixMilli(), WeightGrams: 2300, Items: "冬衣",
		Sender:    lifecycle.PartyV1{NameMasked: "王**", PhoneMasked: "138****2222"},
		Recipient: lifecycle.PartyV1{NameMasked: "李*", PhoneMasked: "139****4444", Address: "北京市海淀区中关村大街1号", DestCode: "110108"}}
	sh.Quote.TotalFen = 1800
	if _, err := m.WaybillLabel(sh); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "waybill printed", func() bool { return len(ps.Jobs()) == 1 })
	job := ps.Jobs()[0]
	if !bytes.Contains(job.Data, []byte(sh.Number)) || !bytes.Contains(job.Data, []byte("139****4444")) {
		t.Fatalf("waybill job lacks the number or the masked phone:\n%s", job.Data)
	}
}
