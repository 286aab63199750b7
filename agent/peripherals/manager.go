package peripherals

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/barcode"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/scale"
	"github.com/yizhan/yizhan/devices/scanner"
	"github.com/yizhan/yizhan/devices/spool"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Recorder records a scan durably and returns once it is on disk.
type Recorder func(ctx context.Context, s ingest.Scan) error

// Read is a scanner read as the counter screen lists it.
type Read struct {
	Scanner string    `json:"scanner"`
	Text    string    `json:"text"`
	At      time.Time `json:"at"`
	Result  string    `json:"result"` // saved, duplicate, rejected, error
	// Code and Params say why a read was rejected (a syncproto/problem
	// code); Detail says it in words.
	Code   string         `json:"code,omitempty"`
	Params map[string]any `json:"params,omitempty"`
	Detail string         `json:"detail,omitempty"`
}

// Manager runs the configured devices.
type Manager struct {
	// Outlet is printed on waybills; the agent sets it.
	Outlet string
	// ProgressURL is head office's public complaint progress page; the
	// agent sets it, and complaint receipts print it with their ticket.
	ProgressURL string

	cfg      Config
	logger   *slog.Logger
	record   Recorder
	scanners map[string]scanner.Scanner
	scales   map[string]*scale.Scale
	spool    *spool.Spool
	debounce map[string]*barcode.Debouncer

	mu     sync.Mutex
	recent []Read
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

const recentReads = 50

// Start opens the print spool on its buckets and starts every scanner,
// scale and printer worker. A device that is absent is not an error: it
// shows as disconnected and is retried.
func Start(ctx context.Context, cfg Config, jobs spool.Buckets, record Recorder, logger *slog.Logger) (*Manager, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{cfg: cfg, logger: logger, record: record, scanners: map[string]scanner.Scanner{}, scales: map[string]*scale.Scale{}, debounce: map[string]*barcode.Debouncer{}}
	printers := map[string]spool.Printer{}
	for _, pc := range cfg.Printers {
		d, err := printer.New(pc, printer.Options{Logger: logger})
		if err != nil {
			return nil, err
		}
		printers[pc.Name] = d
	}
	sp, err := spool.Open(jobs, printers, spool.Options{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("open print spool: %w", err)
	}
	m.spool = sp
	runCtx, cancel := context.WithCancel(ctx)
	m.cancel = cancel
	m.wg.Add(1)
	go func() { defer m.wg.Done(); _ = sp.Run(runCtx) }()
	for _, sc := range cfg.Scanners {
		sc := sc
		dev, err := scanner.New(sc.Driver, sc.Name, sc.Config, scanner.Options{Logger: logger, OnReject: func(r scanner.Reject) {
			m.remember(Read{Scanner: r.ScannerID, Text: printable(r.Raw), At: r.At, Result: "rejected", Detail: r.Err.Error()})
		}})
		if err != nil {
			m.Close()
			return nil, err
		}
		m.debounce[sc.Name] = barcode.NewDebouncer(time.Duration(sc.Debounce), nil)
		if err := dev.Start(runCtx, func(r scanner.Read) { m.onRead(runCtx, sc, r) }); err != nil {
			m.Close()
			return nil, fmt.Errorf("start scanner %s: %w", sc.Name, err)
		}
		m.scanners[sc.Name] = dev
	}
	for _, sc := range cfg.Scales {
		dev, err := scale.Build(sc.Driver, sc.Name, sc.Config, scale.Options{Logger: logger})
		if err != nil {
			m.Close()
			return nil, err
		}
		if err := dev.Start(runCtx); err != nil {
			m.Close()
			return nil, fmt.Errorf("start scale %s: %w", sc.Name, err)
		}
		m.scales[sc.Name] = dev
	}
	return m, nil
}

// onRead runs on the scanner's goroutine; it blocks until the scan is on
// disk, which is what a beep on the counter should mean.
func (m *Manager) onRead(ctx context.Context, sc ScannerConfig, r scanner.Read) {
	rd := Read{Scanner: sc.Name, Text: r.Text, At: r.At}
	if m.debounce[sc.Name].Duplicate(sc.Name, r.Text) {
		rd.Result = "duplicate"
		m.remember(rd)
		return
	}
	err := m.record(ctx, ingest.Scan{Barcode: r.Text, AIM: r.AIM, Action: sc.Action, Actor: "scanner:" + sc.Name, Scanner: sc.Name, Symbology: string(r.Symbology)})
	pe := problem.As(err)
	switch {
	case pe != nil && pe.Code().Class() == problem.Invalid:
		rd.Result, rd.Code, rd.Params, rd.Detail = "rejected", pe.Code().String(), pe.Params(), pe.Error()
	case err != nil:
		rd.Result, rd.Detail = "error", err.Error()
		m.logger.Error("scanner read not saved", "scanner", sc.Name, "err", err)
	default:
		rd.Result = "saved"
	}
	m.remember(rd)
}

func (m *Manager) remember(r Read) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recent = append(m.recent, r)
	if len(m.recent) > recentReads {
		m.recent = m.recent[len(m.recent)-recentReads:]
	}
}

// Recent lists the last reads, newest last.
func (m *Manager) Recent() []Read {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Read(nil), m.recent...)
}

// Status reports every scanner, scale and printer.
func (m *Manager) Status() []devices.Status {
	var out []devices.Status
	for _, sc := range m.cfg.Scanners {
		if s, ok := m.scanners[sc.Name]; ok {
			out = append(out, s.Status())
		}
	}
	for _, sc := range m.cfg.Scales {
		if s, ok := m.scales[sc.Name]; ok {
			out = append(out, s.Status())
		}
	}
	for _, p := range m.spool.Printers() {
		out = append(out, p.Device)
	}
	return out
}

// Scale returns the named running scale, for weighing at the counter.
func (m *Manager) Scale(name string) (*scale.Scale, bool) {
	s, ok := m.scales[name]
	return s, ok
}

// Spool is the print queue, for label printing and the status page.
func (m *Manager) Spool() *spool.Spool { return m.spool }

// Close stops scanners, scales and printer workers.
func (m *Manager) Close() {
	for _, s := range m.scanners {
		s.Stop()
	}
	for _, s := range m.scales {
		s.Stop()
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
}

func printable(b []byte) string {
	out := make([]rune, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			out = append(out, '·')
			continue
		}
		out = append(out, rune(c))
	}
	return string(out)
}
