// Package sim is a label and receipt printer on TCP for tests and the demo.
// It speaks enough ZPL, TSPL or ESC/POS to answer status queries (~HS,
// ESC !?, DLE EOT n), records every job it receives so a test can assert a
// label printed exactly once, and can be switched into paper out, head open,
// ribbon out, paused, jam, fault, or silent (no answer at all).
//
// A job is the bytes between status queries on one connection, or before the
// connection closes. The drivers send each job on its own connection followed
// by a status query, so one recorded job is one job sent.
package sim

import (
	"bytes"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/yizhan/yizhan/devices/printer"
)

// Job is one job the simulator received.
type Job struct {
	Data     []byte
	Complete bool                // ends like a whole job in its language (^XZ, PRINT, a cut)
	Faults   []printer.Condition // what the printer was in when it arrived
	At       time.Time
}

// Sim is one simulated printer.
type Sim struct {
	lang string
	ln   net.Listener

	mu        sync.Mutex
	faults    []printer.Condition
	zebraMute bool
	jobs      []Job
	queries   int
	holdAfter int
	conns     map[net.Conn]bool
	closed    bool
	wg        sync.WaitGroup
}

// Start listens on addr ("127.0.0.1:0" for any free port) as a printer of
// lang: "zpl", "tspl" or "escpos".
func Start(addr, lang string) (*Sim, error) {
	switch lang {
	case "zpl", "tspl", "escpos":
	default:
		return nil, fmt.Errorf("printer simulator: unknown language %q: use zpl, tspl or escpos", lang)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("printer simulator: listen on %s: %w", addr, err)
	}
	s := &Sim{lang: lang, ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the host:port the simulator listens on.
func (s *Sim) Addr() string { return s.ln.Addr().String() }

// URL is the printer address to put in a printer config.
func (s *Sim) URL() string { return "tcp://" + s.Addr() }

// Lang is the printer language the simulator speaks.
func (s *Sim) Lang() string { return s.lang }

// Close stops listening and drops every connection.
func (s *Sim) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

// SetFaults puts the printer into the given conditions; none means ready.
// printer.Silent makes it ignore status queries.
func (s *Sim) SetFaults(cs ...printer.Condition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = slices.DeleteFunc(slices.Clone(cs), func(c printer.Condition) bool { return c == printer.OK })
}

// Faults returns the current conditions.
func (s *Sim) Faults() []printer.Condition {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.faults)
}

// SetZebraSilence makes a ZPL simulator behave like a real Zebra, which
// does not answer ~HS at all while media is out or the head is open.
func (s *Sim) SetZebraSilence(on bool) {
	s.mu.Lock()
	s.zebraMute = on
	s.mu.Unlock()
}

// HoldReceiptAfter makes the simulator take the nth job (counting all jobs
// so far, from 1) but never answer the status query that follows it on that
// connection: the sender cannot learn whether it printed. 0 turns it off.
func (s *Sim) HoldReceiptAfter(n int) {
	s.mu.Lock()
	s.holdAfter = n
	s.mu.Unlock()
}

// Jobs returns every job received so far, oldest first.
func (s *Sim) Jobs() []Job {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.jobs)
}

// Count says how many received jobs contain marker.
func (s *Sim) Count(marker []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, j := range s.jobs {
		if bytes.Contains(j.Data, marker) {
			n++
		}
	}
	return n
}

// Queries says how many status queries arrived (answered or not).
func (s *Sim) Queries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.queries
}

func (s *Sim) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go s.serve(c)
	}
}

func (s *Sim) patterns() [][]byte {
	switch s.lang {
	case "zpl":
		return [][]byte{[]byte("~HS"), []byte("~hs")}
	case "tspl":
		return [][]byte{{0x1b, '!', '?'}}
	default:
		return [][]byte{{0x10, 0x04, 1}, {0x10, 0x04, 2}, {0x10, 0x04, 3}, {0x10, 0x04, 4}}
	}
}

func (s *Sim) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.Close()
	}()
	pats := s.patterns()
	var pending, job []byte
	held := false
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		pending = append(pending, buf[:n]...)
		for {
			at, pat := -1, []byte(nil)
			for _, p := range pats {
				if i := bytes.Index(pending, p); i >= 0 && (at < 0 || i < at) {
					at, pat = i, p
				}
			}
			if at < 0 {
				break
			}
			job = append(job, pending[:at]...)
			pending = pending[at+len(pat):]
			answer, hold := s.query(&job, pat)
			held = held || hold
			if answer != nil && !held {
				c.Write(answer)
			}
		}
		// Keep a tail that may be the start of a query split across reads.
		keep := 0
		for _, p := range pats {
			for k := len(p) - 1; k > keep; k-- {
				if bytes.HasSuffix(pending, p[:k]) {
					keep = k
					break
				}
			}
		}
		job = append(job, pending[:len(pending)-keep]...)
		pending = pending[len(pending)-keep:]
		if err != nil {
			job = append(job, pending...)
			s.record(&job)
			return
		}
	}
}

// query records any job before the query, then builds the answer (nil when
// silent) and says whether this connection must stop answering.
func (s *Sim) query(job *[]byte, q []byte) ([]byte, bool) {
	n := s.record(job)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queries++
	hold := n > 0 && s.holdAfter > 0 && n == s.holdAfter
	if s.has(printer.Silent) {
		return nil, hold
	}
	switch s.lang {
	case "zpl":
		if s.zebraMute && (s.has(printer.PaperOut) || s.has(printer.HeadOpen)) {
			return nil, hold
		}
		return s.zplAnswer(), hold
	case "tspl":
		return []byte{s.tsplByte()}, hold
	default:
		return []byte{s.escposByte(q[2])}, hold
	}
}

// record stores a non-empty job and returns its number (0 if none).
func (s *Sim) record(job *[]byte) int {
	if len(bytes.TrimSpace(*job)) == 0 {
		*job = (*job)[:0]
		return 0
	}
	data := bytes.Clone(*job)
	*job = (*job)[:0]
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs = append(s.jobs, Job{Data: data, Complete: s.complete(data), Faults: slices.Clone(s.faults), At: time.Now()})
	return len(s.jobs)
}

func (s *Sim) complete(d []byte) bool {
	d = bytes.TrimSpace(d)
	switch s.lang {
	case "zpl":
		return bytes.HasSuffix(d, []byte("^XZ"))
	case "tspl":
		i := bytes.LastIndex(d, []byte("\n"))
		return bytes.HasPrefix(d[i+1:], []byte("PRINT "))
	default:
		return bytes.Contains(d, []byte{0x1d, 'V'})
	}
}

func (s *Sim) has(c printer.Condition) bool { return slices.Contains(s.faults, c) }

func bit(on bool, b byte) byte {
	if on {
		return b
	}
	return 0
}

func flag(on bool) string {
	if on {
		return "1"
	}
	return "0"
}

// zplAnswer builds the three ~HS lines. Zebra has no jam flag in ~HS; a jam
// shows as paper out there.
func (s *Sim) zplAnswer() []byte {
	paper := s.has(printer.PaperOut) || s.has(printer.Jam)
	return []byte(fmt.Sprintf("\x02030,%s,%s,0320,000,0,0,0,000,0,0,%s\x03\r\n\x02001,0,%s,%s,1,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
		flag(paper), flag(s.has(printer.Paused)), flag(s.has(printer.Fault)),
		flag(s.has(printer.HeadOpen)), flag(s.has(printer.RibbonOut))))
}

func (s *Sim) tsplByte() byte {
	return bit(s.has(printer.HeadOpen), 0x01) | bit(s.has(printer.Jam), 0x02) | bit(s.has(printer.PaperOut), 0x04) |
		bit(s.has(printer.RibbonOut), 0x08) | bit(s.has(printer.Paused), 0x10) | bit(s.has(printer.Fault), 0x80)
}

func (s *Sim) escposByte(n byte) byte {
	const base = 0x12
	switch n {
	case 1:
		return base | bit(len(s.faults) > 0, 0x08)
	case 2:
		return base | bit(s.has(printer.HeadOpen), 0x04) | bit(s.has(printer.PaperOut), 0x20) |
			bit(s.has(printer.Jam) || s.has(printer.Fault), 0x40)
	case 3:
		return base | bit(s.has(printer.Jam), 0x08) | bit(s.has(printer.Fault), 0x40)
	default:
		return base | bit(s.has(printer.PaperOut), 0x60)
	}
}
