package scale

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/yizhan/yizhan/devices/serialport"
)

// SimConfig says what a simulated scale prints.
type SimConfig struct {
	Protocol string        // st-gs, bare or request
	Answer   string        // request: st-gs or bare; default st-gs
	Request  string        // request: what it answers to; default "W\r\n"
	Unit     string        // kg (default), g, lb or oz
	Flag     bool          // bare: print "S"/"U" before the weight; false prints none
	Interval time.Duration // st-gs and bare: between lines; default 100ms
}

func (c *SimConfig) defaults() error {
	if c.Unit == "" {
		c.Unit = "kg"
	}
	if _, ok := units[c.Unit]; !ok {
		return fmt.Errorf("scale simulator: unit %q: use kg, g, lb or oz", c.Unit)
	}
	if c.Interval <= 0 {
		c.Interval = 100 * time.Millisecond
	}
	switch c.Protocol {
	case FormatSTGS, FormatBare:
	case ProtocolRequest:
		if c.Answer == "" {
			c.Answer = FormatSTGS
		}
		if c.Request == "" {
			c.Request = "W\r\n"
		}
	default:
		return fmt.Errorf("scale simulator: protocol %q: use st-gs, bare or request", c.Protocol)
	}
	return nil
}

// decimals a display shows per unit.
var decimals = map[string]int{"kg": 3, "g": 0, "lb": 3, "oz": 2}

// EncodeLine prints fr as a scale configured with c would, CR LF
// included. fr.Grams is converted to c.Unit.
func EncodeLine(c SimConfig, fr Frame) []byte {
	format := c.Protocol
	if format == ProtocolRequest {
		format = c.Answer
	}
	unit := c.Unit
	if unit == "" {
		unit = "kg"
	}
	sign, num := '+', formatValue(fr.Grams, unit)
	if fr.Grams < 0 {
		sign = '-'
	}
	var b strings.Builder
	switch format {
	case FormatSTGS:
		status, kind := "ST", "GS"
		switch {
		case fr.Overload:
			status, num = "OL", "-OL-"
		case fr.Stability == StabilityUnstable:
			status = "US"
		}
		if fr.Net {
			kind = "NT"
		}
		fmt.Fprintf(&b, "%s,%s,%c%7s%s", status, kind, sign, num, unit)
	default:
		if c.Flag && !fr.Overload {
			if fr.Stability == StabilityUnstable {
				b.WriteString("U ")
			} else {
				b.WriteString("S ")
			}
		}
		if fr.Net {
			b.WriteString("NT ")
		}
		if fr.Overload {
			fmt.Fprintf(&b, "  -OL- %s", unit)
			break
		}
		if len(num) < 8 {
			num = strings.Repeat("0", 8-len(num)) + num
		}
		fmt.Fprintf(&b, "%c%s%s", sign, num, unit)
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// formatValue prints |grams| in unit with the unit's decimals.
func formatValue(grams int64, unit string) string {
	if grams < 0 {
		grams = -grams
	}
	per, d := units[unit], decimals[unit]
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d)), nil)
	// value = grams × 10^d × per[1] / per[0]
	n := new(big.Int).Mul(big.NewInt(grams), pow)
	n.Mul(n, big.NewInt(per[1]))
	v := roundDiv(n, big.NewInt(per[0]))
	if d == 0 {
		return fmt.Sprint(v)
	}
	p := pow.Int64()
	return fmt.Sprintf("%d.%0*d", v/p, d, v%p)
}

// Simulator is a serial scale on a pty pair. The driver opens Link, a
// symlink to the pty's terminal side, as it would open
// /dev/serial/by-id/...; the simulator prints lines on the other side, or
// answers requests. Unplug closes the pty (the driver sees EIO and the path
// vanishes); Replug makes a new one behind the same Link.
type Simulator struct {
	Link string
	cfg  SimConfig

	mu       sync.Mutex
	master   *os.File
	tty      *os.File
	stop     chan struct{}
	wg       sync.WaitGroup
	grams    int64
	pending  []int64 // unstable values still to print
	overload bool
	net      bool
	silent   bool
}

// NewSimulator creates a plugged-in scale at link showing a stable 0.
func NewSimulator(link string, cfg SimConfig) (*Simulator, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Simulator{Link: link, cfg: cfg}
	return s, s.Replug()
}

// Set puts grams on the platter, stable at once.
func (s *Simulator) Set(grams int64) {
	s.SettleTo(grams, 0)
}

// SettleTo puts grams on the platter: the next steps lines are unstable
// and swing around it, closing in, then it is stable. It returns the
// unstable values, none of which equals grams.
func (s *Simulator) SettleTo(grams int64, steps int) []int64 {
	span := abs(grams)/5 + 50
	var swing []int64
	for i := range steps {
		d := max(span*int64(steps-i)/int64(steps), 1)
		if i%2 == 1 {
			d = -d
		}
		swing = append(swing, grams+d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grams, s.pending, s.overload = grams, swing, false
	return append([]int64(nil), swing...)
}

// SetOverload puts more than the scale's capacity on it, or takes it off.
func (s *Simulator) SetOverload(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.overload = on
}

// SetNet makes the scale report net weights (tared on the scale).
func (s *Simulator) SetNet(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.net = on
}

// SetSilent stops the scale printing or answering, as a scale in a menu
// or with the wrong output setting does.
func (s *Simulator) SetSilent(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.silent = on
}

// next is the line the scale prints now.
func (s *Simulator) next() (Frame, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.silent {
		return Frame{}, false
	}
	fr := Frame{Grams: s.grams, Unit: s.cfg.Unit, Stability: StabilityStable, Net: s.net}
	switch {
	case s.overload:
		fr = Frame{Overload: true, Unit: s.cfg.Unit, Net: s.net}
	case len(s.pending) > 0:
		fr.Grams, fr.Stability = s.pending[0], StabilityUnstable
		s.pending = s.pending[1:]
	}
	return fr, true
}

// Replug makes a fresh pty pair, points Link at it and starts printing
// (or listening for requests).
func (s *Simulator) Replug() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.master != nil {
		return errors.New("scale simulator: already plugged in")
	}
	master, tty, err := serialport.OpenPty(s.Link, "scale simulator")
	if err != nil {
		return err
	}
	s.master, s.tty, s.stop = master, tty, make(chan struct{})
	s.wg.Add(1)
	if s.cfg.Protocol == ProtocolRequest {
		go s.answer(master)
	} else {
		go s.print(master, s.stop)
	}
	return nil
}

func (s *Simulator) print(m *os.File, stop chan struct{}) {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if fr, ok := s.next(); ok {
			if _, err := m.Write(EncodeLine(s.cfg, fr)); err != nil {
				return
			}
		}
	}
}

func (s *Simulator) answer(m *os.File) {
	defer s.wg.Done()
	req := []byte(s.cfg.Request)
	buf := make([]byte, 256)
	var got []byte
	for {
		n, err := m.Read(buf)
		if err != nil {
			return
		}
		got = append(got, buf[:n]...)
		for {
			i := bytes.Index(got, req)
			if i < 0 {
				break
			}
			got = got[i+len(req):]
			if fr, ok := s.next(); ok {
				if _, err := m.Write(EncodeLine(s.cfg, fr)); err != nil {
					return
				}
			}
		}
		if len(got) > 1024 {
			got = got[len(got)-len(req):]
		}
	}
}

// Unplug closes the pty and removes Link, as pulling the cable does.
func (s *Simulator) Unplug() error {
	s.mu.Lock()
	if s.master == nil {
		s.mu.Unlock()
		return nil
	}
	os.Remove(s.Link)
	close(s.stop)
	err := errors.Join(s.master.Close(), s.tty.Close())
	s.master, s.tty = nil, nil
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Close unplugs the simulator for good.
func (s *Simulator) Close() error { return s.Unplug() }

// Plugged reports whether the simulator is plugged in.
func (s *Simulator) Plugged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.master != nil
}

// WriteRaw sends bytes as they are: garbage, half lines.
func (s *Simulator) WriteRaw(b []byte) error {
	s.mu.Lock()
	m := s.master
	s.mu.Unlock()
	if m == nil {
		return fmt.Errorf("scale simulator %s: unplugged", s.Link)
	}
	_, err := m.Write(b)
	return err
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
