// Package metrics is what a running agent shows on /metrics beyond the
// API's own counters: how old its oldest unsynced event is, how long the
// hub takes to acknowledge, each configured device, the print spool, the
// disk under the data directory and when its certificates end. Every name
// is documented in docs/METRICS.md; deploy/monitoring's alerts and
// dashboard use them, and a test checks that they still exist.
package metrics

import (
	"log/slog"
	"os"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/spool"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/expiry"
)

// Events is the part of the event log these metrics read.
type Events interface {
	// OldestUnacked is the wall time (Unix ms) of the oldest event the
	// hub has not acknowledged; ok is false when it has every one.
	OldestUnacked() (ms int64, ok bool, err error)
}

// Devices lists the configured devices' states.
type Devices interface {
	Status() []devices.Status
}

// Spool lists the printers with their queues.
type Spool interface {
	Printers() []spool.PrinterStatus
}

// FreeSpace reads the free bytes on the disk holding a directory.
type FreeSpace func(dir string) (uint64, error)

// Sources are what the metrics read at each scrape; a nil one is left out.
type Sources struct {
	Events  Events
	Devices Devices
	Spool   Spool
	// DataDir and Free give the disk's free space; MinFreeMB is the floor
	// /readyz holds it to, shown beside it so an alert can compare.
	DataDir   string
	Free      FreeSpace
	MinFreeMB int
	// Certs are PEM files by the label they carry ("client", "ca"); an
	// empty path is left out.
	Certs  map[string]string
	Clock  clock.Clock
	Logger *slog.Logger
}

// Set is the agent's metrics beyond the API's.
type Set struct {
	// AckLatency is observed by the event log (eventlog.Options.AckLatency).
	AckLatency prometheus.Histogram
	src        Sources
}

// AckBuckets reach from a connected outlet's sub-second acks to a week
// offline.
var AckBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400}

// New makes the set with no sources: its AckLatency goes to the event log
// before the rest exists. Give it the sources with Watch, then register
// its Collectors.
func New() *Set {
	return &Set{AckLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "yizhan_agent_ack_latency_seconds",
		Help: "Time from an event's write to the hub's acknowledgement of it, per event.", Buckets: AckBuckets})}
}

// Watch sets what the metrics read; call it before the first scrape.
func (s *Set) Watch(src Sources) {
	if src.Clock == nil {
		src.Clock = clock.System
	}
	if src.Logger == nil {
		src.Logger = slog.New(slog.DiscardHandler)
	}
	s.src = src
}

var (
	descOldest   = prometheus.NewDesc("yizhan_agent_oldest_unsynced_seconds", "Age of the oldest event the hub has not acknowledged; 0 when none is.", nil, nil)
	descFree     = prometheus.NewDesc("yizhan_agent_data_disk_free_bytes", "Free bytes on the disk holding the data directory.", nil, nil)
	descFloor    = prometheus.NewDesc("yizhan_agent_data_disk_min_free_bytes", "The free-space floor ([data] min_free_mb) below which /readyz says not ready; 0: no floor.", nil, nil)
	descDeviceUp = prometheus.NewDesc("yizhan_agent_device_up", "1 while a configured device works (state ok), else 0.", []string{"device", "kind", "driver"}, nil)
	descSeen     = prometheus.NewDesc("yizhan_agent_device_last_seen_timestamp_seconds", "When a configured device was last seen working (now while it works), Unix seconds.", []string{"device", "kind"}, nil)
	descJobs     = prometheus.NewDesc("yizhan_agent_print_jobs", "Print jobs not finished, by printer and state (queued, needs_confirmation, failed).", []string{"printer", "state"}, nil)
	descCert     = prometheus.NewDesc("yizhan_agent_cert_expiry_seconds", "Seconds until a TLS certificate ends (negative: ended), by file: client (sync.cert_file), ca (sync.ca_file); the earliest certificate in the file counts.", []string{"cert"}, nil)
)

// Collectors are the set's collectors, to register on /metrics' registry.
func (s *Set) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.AckLatency, (*collector)(s)}
}

type collector Set

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOldest, descFree, descFloor, descDeviceUp, descSeen, descJobs, descCert} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	src := c.src
	now := src.Clock.Now()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if src.Events != nil {
		if ms, ok, err := src.Events.OldestUnacked(); err != nil {
			src.Logger.Warn("metrics: read the oldest unsynced event", "err", err)
		} else {
			age := 0.0
			if ok {
				age = max(now.Sub(time.UnixMilli(ms)).Seconds(), 0)
			}
			gauge(descOldest, age)
		}
	}
	if src.Free != nil && src.DataDir != "" {
		if free, err := src.Free(src.DataDir); err == nil {
			gauge(descFree, float64(free))
			gauge(descFloor, float64(uint64(max(src.MinFreeMB, 0))<<20))
		}
	}
	if src.Devices != nil {
		for _, st := range src.Devices.Status() {
			up, seen := 0.0, st.Since
			if st.State == devices.StateOK {
				up, seen = 1, now
			}
			gauge(descDeviceUp, up, st.Name, st.Kind, st.Driver)
			if !seen.IsZero() {
				gauge(descSeen, float64(seen.Unix()), st.Name, st.Kind)
			}
		}
	}
	if src.Spool != nil {
		for _, p := range src.Spool.Printers() {
			gauge(descJobs, float64(p.Queued), p.Name, string(spool.Queued))
			gauge(descJobs, float64(p.NeedsConfirmation), p.Name, string(spool.NeedsConfirmation))
			gauge(descJobs, float64(p.Failed), p.Name, string(spool.Failed))
		}
	}
	labels := make([]string, 0, len(src.Certs))
	for l := range src.Certs {
		labels = append(labels, l)
	}
	sort.Strings(labels)
	for _, l := range labels {
		if left, ok := certLeft(src.Certs[l], now, src.Logger); ok {
			gauge(descCert, left, l)
		}
	}
}

// certLeft is the seconds until the earliest certificate in the PEM file
// at path ends; false for no path, or a file that cannot be read (the
// sync link then fails and says why).
func certLeft(path string, now time.Time, log *slog.Logger) (float64, bool) {
	if path == "" {
		return 0, false
	}
	data, err := os.ReadFile(path)
	if err != nil {
		log.Warn("metrics: read certificate", "file", path, "err", err)
		return 0, false
	}
	c, err := expiry.Earliest(data)
	if err != nil {
		log.Warn("metrics: read certificate", "file", path, "err", err)
		return 0, false
	}
	return c.NotAfter.Sub(now).Seconds(), true
}
