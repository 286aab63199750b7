package metrics

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// TestCollect: on a real data file, event log and device manager (a
// printer that is not there), the gauges say the oldest unsynced event's
// age by the clock, the printer down with its jobs, the disk's free space
// and floor, and the certificate's time left; a missing certificate file
// is left out.
func TestCollect(t *testing.T) {
	pc := clock.NewManual(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	f, err := datafile.Open(filepath.Join(t.TempDir(), "data"), datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	set := New()
	l, err := eventlog.Open(f, eventlog.Options{Clock: pc, AckLatency: set.AckLatency})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); f.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	devs, err := peripherals.Start(ctx, peripherals.Config{Printers: []printer.Config{{Name: "shelf", Driver: "tspl", Address: "tcp://" + harness.FreeAddr(t)}}},
		f.PrintSpool(), func(context.Context, ingest.Scan) error { return nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer devs.Close()
	ca := harness.NewCA(t, "hq-ca")
	set.Watch(Sources{Events: l, Devices: devs, Spool: devs.Spool(), DataDir: f.Dir(), Free: datafile.FreeSpace, MinFreeMB: 100,
		Certs: map[string]string{"ca": ca.CertPEM, "client": filepath.Join(t.TempDir(), "missing.crt")}, Clock: pc})
	reg := prometheus.NewRegistry()
	reg.MustRegister(set.Collectors()...)

	gauge := func(name string) float64 {
		t.Helper()
		return onlyOne(t, reg, name)
	}
	if v := gauge("yizhan_agent_oldest_unsynced_seconds"); v != 0 {
		t.Fatalf("oldest unsynced with no events: %v", v)
	}
	p, _ := json.Marshal(lifecycle.ScannedV1{Barcode: "SF1", Action: "inbound"})
	if _, err := l.Append(ctx, eventlog.Draft{Actor: "c01", Type: lifecycle.ParcelScanned, Subject: "SF1", Payload: p}); err != nil {
		t.Fatal(err)
	}
	pc.Advance(42 * time.Second)
	if v := gauge("yizhan_agent_oldest_unsynced_seconds"); v != 42 {
		t.Fatalf("oldest unsynced %v, want 42", v)
	}
	if err := l.Acknowledge(1, nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, reg, "yizhan_agent_ack_latency_seconds"); n != 1 {
		t.Fatalf("ack latency: %d observations", n)
	}
	if v := gauge("yizhan_agent_oldest_unsynced_seconds"); v != 0 {
		t.Fatalf("oldest unsynced after the ack: %v", v)
	}
	if v := gauge("yizhan_agent_data_disk_min_free_bytes"); v != 100<<20 {
		t.Fatalf("floor %v", v)
	}
	if v := gauge("yizhan_agent_data_disk_free_bytes"); v <= 0 {
		t.Fatalf("free %v", v)
	}
	if left, want := gauge("yizhan_agent_cert_expiry_seconds"), ca.Cert.NotAfter.Sub(pc.Now()).Seconds(); left != want {
		t.Fatalf("CA time left %v, want %v (the missing client file left out)", left, want)
	}
	harness.Eventually(t, 10*time.Second, func() (bool, string) {
		var b strings.Builder
		for _, st := range devs.Status() {
			b.WriteString(st.Name + ":" + string(st.State) + " ")
		}
		return gauge("yizhan_agent_device_up") == 0, "the absent printer still up: " + b.String()
	})
	if jobs := count(t, reg, "yizhan_agent_print_jobs"); jobs != 3 {
		t.Fatalf("%d print-job series, want queued, needs_confirmation, failed", jobs)
	}
}

// gather is name's metric family in reg, failing when there is none.
func gather(t *testing.T, reg *prometheus.Registry, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	t.Fatalf("no %s", name)
	return nil
}

// onlyOne is the value of name's one series.
func onlyOne(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mf := gather(t, reg, name)
	if len(mf.GetMetric()) != 1 {
		t.Fatalf("%s has %d series", name, len(mf.GetMetric()))
	}
	return mf.GetMetric()[0].GetGauge().GetValue()
}

// count is a histogram's observations, or else how many series name has.
func count(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	mf := gather(t, reg, name)
	if h := mf.GetMetric()[0].GetHistogram(); h != nil {
		return int(h.GetSampleCount())
	}
	return len(mf.GetMetric())
}
