package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/yizhan/yizhan/devices/scanner"
)

// Simulator is a fixed-mount scanner serving reads on TCP, as sorting-line
// scanners do: every connected client gets every code.
type Simulator struct {
	Framing scanner.Framing

	ln    net.Listener
	addr  string
	mu    sync.Mutex
	conns map[net.Conn]bool
	wg    sync.WaitGroup
}

// NewSimulator listens on addr ("127.0.0.1:0" picks a free port).
func NewSimulator(addr string, f scanner.Framing) (*Simulator, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("scanner simulator: listen on %s: %w", addr, err)
	}
	s := &Simulator{Framing: f, ln: ln, addr: ln.Addr().String(), conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the host:port the driver should connect to.
func (s *Simulator) Addr() string { return s.addr }

func (s *Simulator) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
	}
}

// Clients is the number of connected clients.
func (s *Simulator) Clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// WriteRaw sends bytes as they are to every client.
func (s *Simulator) WriteRaw(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.conns) == 0 {
		return errors.New("scanner simulator: no client connected")
	}
	var errs []error
	for c := range s.conns {
		if _, err := c.Write(b); err != nil {
			errs = append(errs, err)
			c.Close()
			delete(s.conns, c)
		}
	}
	return errors.Join(errs...)
}

// Scan sends one framed code (aim used when Framing.AIM is set).
func (s *Simulator) Scan(aim, code string) error {
	return s.WriteRaw(scanner.Encode(s.Framing, aim, code))
}

// Run sends codes ("]C1|code" or "code") one every interval.
func (s *Simulator) Run(ctx context.Context, codes []string, interval time.Duration) error {
	for i, c := range codes {
		if i > 0 && interval > 0 {
			t := time.NewTimer(interval)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		aim, code := "", c
		if len(c) > 4 && c[0] == ']' && c[3] == '|' {
			aim, code = c[:3], c[4:]
		}
		if err := s.Scan(aim, code); err != nil {
			return err
		}
	}
	return nil
}

// DropClients closes every connection, as a scanner reboot or a cable pull
// does; the listener stays up so clients can reconnect.
func (s *Simulator) DropClients() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
		delete(s.conns, c)
	}
}

// Close stops listening and drops every client.
func (s *Simulator) Close() error {
	err := s.ln.Close()
	s.wg.Wait()
	s.DropClients()
	return err
}
