package server

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/expiry"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/ready"
)

// What operators watch of a hub beyond ingest's counters: its readiness
// (/readyz) and the gauges read at each scrape. Every metric is in
// docs/METRICS.md. Per-outlet series stay out on purpose: thousands of
// outlets, each with a few series, would be most of a Prometheus server's
// load for what the outlets page shows; the totals here say when to look.

// readyChecks are /readyz's checks, in order: the store answers, the disk
// under it (SQLite) has room, and the hub is subscribed to the outlets'
// uplink at its broker.
func (s *Server) readyChecks(st *openedStore, brokerURL string) []ready.Check {
	return []ready.Check{
		{Name: "store", Run: s.health.check},
		{Name: "disk_free", Run: func() error {
			if st.disk == nil {
				return nil
			}
			return st.disk()
		}},
		{Name: "broker", Run: func() error {
			if s.brokerUp() {
				return nil
			}
			return problem.New(problem.BrokerNotSubscribed, "broker", redactURL(brokerURL))
		}},
	}
}

// brokerUp: the embedded broker's subscription is in-process and made at
// start; an external broker's client says whether it is connected and
// subscribed.
func (s *Server) brokerUp() bool { return s.client == nil || s.client.Connected() }

// outletTotalsTimeout bounds a scrape's read of the outlets, so a slow
// store makes the totals missing, not the scrape hang.
const outletTotalsTimeout = 2 * time.Second

var (
	descBroker      = prometheus.NewDesc("yizhan_hub_broker_connected", "1 while the hub is subscribed to the outlets' uplink (the embedded broker always; an external one while connected).", nil, nil)
	descDiskFree    = prometheus.NewDesc("yizhan_hub_store_disk_free_bytes", "Free bytes on the disk holding hub.db (SQLite only).", nil, nil)
	descDiskFloor   = prometheus.NewDesc("yizhan_hub_store_disk_min_free_bytes", "The free-space floor ([data] min_free_mb) below which /readyz says not ready (SQLite only); 0: no floor.", nil, nil)
	descCertExpiry  = prometheus.NewDesc("yizhan_hub_cert_expiry_seconds", "Seconds until a TLS certificate ends (negative: ended), by file: server ([mqtt] tls_cert), client_ca ([mqtt] tls_client_ca), broker_ca (broker_ca_file).", []string{"cert"}, nil)
	descOutlets     = prometheus.NewDesc("yizhan_hub_outlets", "Outlets registered or seen.", nil, nil)
	descBacklog     = prometheus.NewDesc("yizhan_hub_outlets_backlog_events", "Events the outlets hold that the hub has not acknowledged, summed over outlets, as their agents last reported.", nil, nil)
	descOldest      = prometheus.NewDesc("yizhan_hub_outlets_oldest_unsynced_seconds", "Age of the oldest unsynced event any outlet reported; 0 when none is.", nil, nil)
	descDeadLetters = prometheus.NewDesc("yizhan_hub_dead_letters", "Events the hub refused and keeps as dead letters, summed over outlets.", nil, nil)
)

// watchCollector is the hub's scrape-time gauges.
type watchCollector struct {
	s         *Server
	outlets   func(context.Context) ([]store.Outlet, error)
	diskDir   string // "" without a local store file
	minFreeMB int
	free      func(dir string) (uint64, error)
	certs     [][2]string // label, file
	now       func() time.Time
	log       *slog.Logger
}

func (c *watchCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descBroker, descDiskFree, descDiskFloor, descCertExpiry, descOutlets, descBacklog, descOldest, descDeadLetters} {
		ch <- d
	}
}

func (c *watchCollector) Collect(ch chan<- prometheus.Metric) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	up := 0.0
	if c.s.brokerUp() {
		up = 1
	}
	gauge(descBroker, up)
	if c.diskDir != "" && c.free != nil {
		if free, err := c.free(c.diskDir); err == nil {
			gauge(descDiskFree, float64(free))
			gauge(descDiskFloor, float64(uint64(max(c.minFreeMB, 0))<<20))
		}
	}
	now := c.now()
	for _, lf := range c.certs {
		if lf[1] == "" {
			continue
		}
		data, err := os.ReadFile(lf[1])
		if err != nil {
			c.log.Warn("metrics: read certificate", "file", lf[1], "err", err)
			continue
		}
		cert, err := expiry.Earliest(data)
		if err != nil {
			c.log.Warn("metrics: read certificate", "file", lf[1], "err", err)
			continue
		}
		gauge(descCertExpiry, cert.NotAfter.Sub(now).Seconds(), lf[0])
	}
	ctx, cancel := context.WithTimeout(context.Background(), outletTotalsTimeout)
	defer cancel()
	outlets, err := c.outlets(ctx)
	if err != nil {
		// The store is down: yizhan_hub_store_up says so; totals from no
		// answer would read as zero backlog.
		return
	}
	var backlog, dead uint64
	oldest := 0.0
	for _, o := range outlets {
		if o.Backlog != nil {
			backlog += *o.Backlog
		}
		dead += o.DeadLetters
		if o.OldestUnsyncedAt != nil {
			oldest = max(oldest, now.Sub(*o.OldestUnsyncedAt).Seconds())
		}
	}
	gauge(descOutlets, float64(len(outlets)))
	gauge(descBacklog, float64(backlog))
	gauge(descOldest, oldest)
	gauge(descDeadLetters, float64(dead))
}
