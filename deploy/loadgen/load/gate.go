package load

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// errLinkCut is what a dial answers during an outage. The sync client
// reports it as a connect failure and backs off, as it would for a link
// that is down.
var errLinkCut = errors.New("link cut by the load generator (simulated outage)")

// gate is the Dialer of every simulated outlet: it counts connections and
// can cut them all at once, and refuses new ones until it is restored. It
// holds no connection of its own, so an outage costs no file descriptor.
type gate struct {
	d net.Dialer

	mu    sync.Mutex
	down  bool
	conns map[*gateConn]struct{}

	dials, refused, failed atomic.Uint64
}

func newGate() *gate { return &gate{conns: map[*gateConn]struct{}{}} }

func (g *gate) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	g.mu.Lock()
	down := g.down
	g.mu.Unlock()
	if down {
		g.refused.Add(1)
		return nil, errLinkCut
	}
	c, err := g.d.DialContext(ctx, network, addr)
	if err != nil {
		g.failed.Add(1)
		return nil, err
	}
	gc := &gateConn{Conn: c, g: g}
	g.mu.Lock()
	if g.down { // cut while dialling
		g.mu.Unlock()
		c.Close()
		g.refused.Add(1)
		return nil, errLinkCut
	}
	g.conns[gc] = struct{}{}
	g.mu.Unlock()
	g.dials.Add(1)
	return gc, nil
}

// Cut breaks every connection and refuses new ones until Restore. A
// connection is broken, not closed: paho takes a read on a socket closed
// under it for its own disconnect and never reports the loss, so the
// deadline makes reads and writes fail with errLinkCut, as a reset would,
// and the client closes the connection itself.
func (g *gate) Cut() {
	g.mu.Lock()
	g.down = true
	conns := g.conns
	g.conns = map[*gateConn]struct{}{}
	g.mu.Unlock()
	for c := range conns {
		c.cut.Store(true)
		c.Conn.SetDeadline(time.Now())
		// Should a client not close it, its descriptor still goes.
		time.AfterFunc(10*time.Second, func() { c.Conn.Close() })
	}
}

// Restore lets connections through again.
func (g *gate) Restore() {
	g.mu.Lock()
	g.down = false
	g.mu.Unlock()
}

// Down reports whether the link is cut.
func (g *gate) Down() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.down
}

type gateConn struct {
	net.Conn
	g    *gate
	once sync.Once
	cut  atomic.Bool
}

func (c *gateConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if c.cut.Load() {
		return 0, errLinkCut
	}
	return n, err
}

func (c *gateConn) Write(p []byte) (int, error) {
	if c.cut.Load() {
		return 0, errLinkCut
	}
	return c.Conn.Write(p)
}

func (c *gateConn) Close() error {
	c.once.Do(func() {
		c.g.mu.Lock()
		delete(c.g.conns, c)
		c.g.mu.Unlock()
	})
	return c.Conn.Close()
}
