package printer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tarm/serial"

	"github.com/yizhan/yizhan/devices/serialport"
)

// Transport carries bytes to one printer. Each Dial gives a fresh connection;
// the drivers use one connection per job and one per status query, which is
// what raw port 9100 expects and what survives a printer power cycle.
type Transport interface {
	Dial(ctx context.Context) (Conn, error)
	String() string // the address, for messages
}

// Conn is one open connection to a printer.
type Conn interface {
	// Write sends all of p or says how much left us before it failed.
	Write(ctx context.Context, p []byte) (int, error)
	// Read returns what has arrived, waiting until ctx ends. It returns
	// ErrNoStatusChannel when the transport cannot carry answers.
	Read(ctx context.Context, p []byte) (int, error)
	// Readable reports whether answers can come back on this connection;
	// when false a status query is not even sent (it would be printed).
	Readable() bool
	Close() error
}

// ErrNoStatusChannel means the transport only writes (a plain file).
var ErrNoStatusChannel = errors.New("transport cannot read printer answers")

// OpenTransport parses an address:
//
//	tcp://host[:port]              raw printing, port 9100 by default
//	serial:///dev/ttyUSB0?baud=9600&data=8&parity=N&stop=1
//	serial:///COM5?baud=9600       on Windows (also serial://COM5)
//	usb:///dev/usb/lp0             the kernel's USB printer device (also a bare /dev/usb/lp0)
//	file:///path/out.prn           append jobs to a file (tests, dry runs)
func OpenTransport(addr string) (Transport, error) {
	if strings.HasPrefix(addr, "/dev/usb/") {
		if err := usbDeviceFiles(); err != nil {
			return nil, fmt.Errorf("printer address %q: %w", addr, err)
		}
		return &fileTransport{path: addr, device: true}, nil
	}
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("printer address %q: %w: use tcp://host:9100, serial:///dev/ttyS0, usb:///dev/usb/lp0 or file:///path", addr, err)
	}
	path := u.Path
	if path == "" {
		path = u.Opaque
	}
	switch u.Scheme {
	case "tcp":
		host := u.Host
		if host == "" {
			return nil, fmt.Errorf("printer address %q: no host: write tcp://192.168.1.50:9100", addr)
		}
		if _, _, err := net.SplitHostPort(host); err != nil {
			host = net.JoinHostPort(host, "9100")
		}
		return &tcpTransport{addr: host}, nil
	case "usb", "lp":
		if err := usbDeviceFiles(); err != nil {
			return nil, fmt.Errorf("printer address %q: %w", addr, err)
		}
		if path == "" {
			return nil, fmt.Errorf("printer address %q: no device path: write usb:///dev/usb/lp0", addr)
		}
		return &fileTransport{path: path, device: true}, nil
	case "file":
		if path == "" {
			return nil, fmt.Errorf("printer address %q: no file path: write file:///tmp/labels.prn", addr)
		}
		return &fileTransport{path: path}, nil
	case "serial":
		if path == "" && strings.HasPrefix(strings.ToUpper(u.Host), "COM") {
			path = u.Host // serial://COM5: a Windows port written as a host
		}
		return parseSerial(addr, path, u.Query())
	}
	return nil, fmt.Errorf("printer address %q: unknown scheme %q: use tcp, serial, usb or file", addr, u.Scheme)
}

// ---- raw TCP (port 9100) ----

type tcpTransport struct{ addr string }

func (t *tcpTransport) String() string { return "tcp://" + t.addr }

func (t *tcpTransport) Dial(ctx context.Context) (Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	return &netConn{c: c}, nil
}

type netConn struct{ c net.Conn }

// withDeadline applies ctx's deadline and cancellation to one operation.
func withDeadline(ctx context.Context, set func(time.Time) error, op func() (int, error)) (int, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Time{}
	}
	if err := set(dl); err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { _ = set(time.Unix(1, 0)) })
	defer stop()
	n, err := op()
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return n, err
}

func (n *netConn) Write(ctx context.Context, p []byte) (int, error) {
	return withDeadline(ctx, n.c.SetWriteDeadline, func() (int, error) { return n.c.Write(p) })
}

func (n *netConn) Read(ctx context.Context, p []byte) (int, error) {
	return withDeadline(ctx, n.c.SetReadDeadline, func() (int, error) { return n.c.Read(p) })
}

func (n *netConn) Close() error { return n.c.Close() }

func (n *netConn) Readable() bool { return true }

// ---- USB printer device file and plain file ----

type fileTransport struct {
	path   string
	device bool // a character device that may answer status queries
}

func (f *fileTransport) String() string {
	if f.device {
		return "usb://" + f.path
	}
	return "file://" + f.path
}

func (f *fileTransport) Dial(ctx context.Context) (Conn, error) {
	if f.device {
		fh, err := os.OpenFile(f.path, os.O_RDWR, 0)
		if err != nil {
			return nil, err
		}
		// A device the poller cannot wait on would block a read forever.
		readable := !errors.Is(fh.SetReadDeadline(time.Time{}), os.ErrNoDeadline)
		return &fileConn{f: fh, readable: readable}, nil
	}
	fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &fileConn{f: fh}, nil
}

type fileConn struct {
	f        *os.File
	readable bool
}

func (c *fileConn) Write(ctx context.Context, p []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !c.readable { // a regular file cannot take deadlines
		return c.f.Write(p)
	}
	return withDeadline(ctx, c.deadline(c.f.SetWriteDeadline), func() (int, error) { return c.f.Write(p) })
}

// deadline ignores ErrNoDeadline: a device that cannot poll still writes.
func (c *fileConn) deadline(set func(time.Time) error) func(time.Time) error {
	return func(t time.Time) error {
		if err := set(t); err != nil && !errors.Is(err, os.ErrNoDeadline) {
			return err
		}
		return nil
	}
}

func (c *fileConn) Read(ctx context.Context, p []byte) (int, error) {
	if !c.readable {
		return 0, ErrNoStatusChannel
	}
	return withDeadline(ctx, c.f.SetReadDeadline, func() (int, error) { return c.f.Read(p) })
}

func (c *fileConn) Close() error { return c.f.Close() }

func (c *fileConn) Readable() bool { return c.readable }

// ---- serial (tarm/serial) ----

type serialTransport struct{ cfg serial.Config }

func parseSerial(addr, path string, q url.Values) (Transport, error) {
	if path == "" {
		return nil, fmt.Errorf("printer address %q: no device path: write serial:///dev/ttyUSB0?baud=9600", addr)
	}
	name, err := serialport.OpenName(path)
	if err != nil {
		return nil, fmt.Errorf("printer address %q: %w", addr, err)
	}
	// A zero ReadTimeout makes tarm/serial block forever, even Close.
	cfg := serial.Config{Name: name, Baud: 9600, Size: 8, Parity: serial.ParityNone, StopBits: serial.Stop1, ReadTimeout: 100 * time.Millisecond}
	bad := func(k string) error {
		return fmt.Errorf("printer address %q: bad %s=%q: use baud=9600, data=7|8, parity=N|E|O, stop=1|2", addr, k, q.Get(k))
	}
	if v := q.Get("baud"); v != "" {
		b, err := strconv.Atoi(v)
		if err != nil || b <= 0 {
			return nil, bad("baud")
		}
		cfg.Baud = b
	}
	if v := q.Get("data"); v != "" {
		switch v {
		case "5", "6", "7", "8":
			cfg.Size = v[0] - '0'
		default:
			return nil, bad("data")
		}
	}
	if v := strings.ToUpper(q.Get("parity")); v != "" {
		switch v {
		case "N", "E", "O", "M", "S":
			cfg.Parity = serial.Parity(v[0])
		default:
			return nil, bad("parity")
		}
	}
	if v := q.Get("stop"); v != "" {
		switch v {
		case "1":
			cfg.StopBits = serial.Stop1
		case "2":
			cfg.StopBits = serial.Stop2
		default:
			return nil, bad("stop")
		}
	}
	return &serialTransport{cfg: cfg}, nil
}

func (s *serialTransport) String() string { return "serial://" + serialport.ShowName(s.cfg.Name) }

func (s *serialTransport) Dial(ctx context.Context) (Conn, error) {
	cfg := s.cfg
	p, err := serial.OpenPort(&cfg)
	if err != nil {
		return nil, err
	}
	return &serialConn{p: p}, nil
}

type serialConn struct{ p *serial.Port }

func (s *serialConn) Write(ctx context.Context, p []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return s.p.Write(p)
}

// Read loops over the port's 100 ms read timeouts, which tarm/serial reports
// as (0, io.EOF): that means "nothing yet", not end of file.
func (s *serialConn) Read(ctx context.Context, p []byte) (int, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := s.p.Read(p)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
	}
}

func (s *serialConn) Close() error { return s.p.Close() }

func (s *serialConn) Readable() bool { return true }
