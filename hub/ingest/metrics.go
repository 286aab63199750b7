package ingest

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	frames        *prometheus.CounterVec
	rejects       *prometheus.CounterVec
	events        prometheus.Counter
	downSent      prometheus.Counter
	downPublished prometheus.Counter
	commitSeconds prometheus.Histogram
	commitUnits   prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, queueLen, reserved func() float64) (*metrics, error) {
	m := &metrics{
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yizhan_hub_uplink_messages_total",
			Help: "Uplink messages handled, by kind (batch, pull, fetch) and result (ok, replayed, rejected, refused, limited, shed, error).",
		}, []string{"kind", "result"}),
		rejects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yizhan_hub_rejects_total",
			Help: "Messages and events refused, by syncproto code.",
		}, []string{"code"}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yizhan_hub_events_committed_total",
			Help: "Uplink events committed (replays not counted).",
		}),
		downSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yizhan_hub_downlink_events_sent_total",
			Help: "Downlink events sent in answer to pulls.",
		}),
		downPublished: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "yizhan_hub_downlink_events_created_total",
			Help: "Hub events appended to the downlink log.",
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "yizhan_hub_commit_seconds",
			Help:    "Duration of one group commit.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		commitUnits: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "yizhan_hub_commit_units",
			Help:    "Messages committed together in one transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.frames, m.rejects, m.events, m.downSent, m.downPublished, m.commitSeconds, m.commitUnits,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yizhan_hub_commit_queue_length", Help: "Messages waiting for the writer."}, queueLen),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "yizhan_hub_ingest_memory_reserved_bytes", Help: "Bytes of the ingest memory budget held by uplink handlers."}, reserved),
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
