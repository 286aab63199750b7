// Package tcp is the driver for fixed-mount scanners on sorting lines that
// serve their reads on a TCP port: the agent connects as a client, reads
// framed codes, and reconnects with backoff when the link drops. It also
// holds a simulator: a TCP server that emits reads.
//
// It registers itself as scanner driver "tcp".
package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/scanner"
)

// Config is a TCP scanner's configuration (see sample.json).
type Config struct {
	Address     string            `json:"address"`                // host:port of the scanner
	DialTimeout scanner.Duration  `json:"dial_timeout,omitempty"` // default 5s
	Framing     scanner.Framing   `json:"framing"`
	Reconnect   scanner.Reconnect `json:"reconnect"`
}

// poll is how long a read waits before the loop looks at Stop and idle.
const poll = 100 * time.Millisecond

// Scanner is a TCP line scanner. Start, Stop and Status come from the
// embedded Runner.
type Scanner struct {
	*scanner.Runner
	cfg Config
}

var (
	_ scanner.Scanner = (*Scanner)(nil)
	_ scanner.Checker = (*Scanner)(nil)
)

func init() {
	scanner.AddJSON("tcp", func(name string, c Config, opts scanner.Options) (scanner.Scanner, error) {
		return New(name, c, opts)
	})
}

// New returns a TCP scanner; call Start to begin reading.
func New(name string, cfg Config, opts scanner.Options) (*Scanner, error) {
	if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		return nil, fmt.Errorf("tcp scanner %s: address %q: want host:port, e.g. 192.168.1.50:2001", name, cfg.Address)
	}
	if err := cfg.Framing.Validate(); err != nil {
		return nil, fmt.Errorf("tcp scanner %s: %w", name, err)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = scanner.Duration(5 * time.Second)
	}
	s := &Scanner{cfg: cfg}
	s.Runner = &scanner.Runner{
		ID: name, Driver: "tcp", Options: opts, Reconnect: cfg.Reconnect,
		Idle: time.Duration(cfg.Framing.Idle),
		Open: s.open,
		NewDecoder: func() scanner.Decoder {
			f, _ := scanner.NewFramer(cfg.Framing) // validated above
			return f
		},
		Diagnose: func(err error) devices.Advice { return scanner.DiagnoseNetwork(cfg.Address, err) },
	}
	return s, nil
}

func (s *Scanner) open(ctx context.Context) (scanner.Source, error) {
	d := net.Dialer{Timeout: time.Duration(s.cfg.DialTimeout), KeepAlive: 15 * time.Second}
	c, err := d.DialContext(ctx, "tcp", s.cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("connect to scanner %s: %w", s.cfg.Address, err)
	}
	return &conn{c: c, addr: s.cfg.Address}, nil
}

// Check connects once and reports, without starting the scanner.
func (s *Scanner) Check(ctx context.Context) devices.Status {
	st := devices.Status{Name: s.ID, Kind: "scanner", Driver: "tcp", Since: time.Now()}
	src, err := s.open(ctx)
	if err != nil {
		st.State, st.LastErr = devices.StateDisconnected, err.Error()
		scanner.DiagnoseNetwork(s.cfg.Address, err).Set(&st)
		return st
	}
	src.Close()
	st.State = devices.StateOK
	st.Code, st.Params.Where = "scanner.connected", s.cfg.Address
	st.Detail = fmt.Sprintf("已连接扫描器 %s (connected to %s)", s.cfg.Address, s.cfg.Address)
	return st
}

type conn struct {
	c    net.Conn
	addr string
}

// Read waits at most poll; a deadline that passes with no data is
// scanner.ErrIdle.
func (c *conn) Read(b []byte) (int, error) {
	c.c.SetReadDeadline(time.Now().Add(poll))
	n, err := c.c.Read(b)
	if n > 0 {
		return n, nil
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, scanner.ErrIdle
	}
	if err == nil {
		return 0, scanner.ErrIdle
	}
	return 0, fmt.Errorf("read scanner %s: %w", c.addr, err)
}

func (c *conn) Close() error { return c.c.Close() }
