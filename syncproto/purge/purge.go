// Package purge is the one rule both programs use to make an event's or a
// record's personal data unreadable once its retention period is over:
// which members of a JSON document are personal, and how they leave it.
//
// Personal are the sealed values (every member whose name ends in
// "_sealed": phones, names, ID numbers, addresses, a customer's words, a
// pickup's confirmation), drawn signatures ("signature_svg", "svg") and the
// clear agent name of pickups from before it was sealed ("agent_name").
// Everything else is an anonymised fact and stays: masked forms, the
// customer id hash, counts, times, states, categories, amounts.
//
// Scrub removes those members from the bytes and leaves every other byte
// where it was, so it is deterministic: scrubbing a copy of an event gives
// the bytes a scrubbed store holds, which is how head office tells a
// resent old event from a conflicting one.
package purge

import "strings"

// Personal reports whether a member named key holds personal data.
func Personal(key string) bool {
	switch key {
	case "signature_svg", "svg", "agent_name":
		return true
	}
	return strings.HasSuffix(key, "_sealed")
}

// Markers are byte strings one of which every personal member's JSON
// contains (its name and the quote around it), so that a store can find
// the documents worth scrubbing with a plain substring search; Scrub
// decides.
func Markers() []string {
	return []string{`_sealed"`, `"signature_svg"`, `"svg"`, `"agent_name"`}
}

// Scrub returns raw without its personal members (Personal keys whose
// value is a string) and how many it removed. Input that is not valid
// JSON comes back as it is, with 0.
func Scrub(raw []byte) ([]byte, int) {
	p := &scanner{b: raw}
	p.skipSpace()
	if !p.value() {
		return raw, 0
	}
	p.skipSpace()
	if p.i != len(p.b) || len(p.cut) == 0 {
		return raw, 0
	}
	out := make([]byte, 0, len(raw))
	at := 0
	for _, c := range p.cut {
		out = append(out, raw[at:c[0]]...)
		at = c[1]
	}
	return append(out, raw[at:]...), len(p.cut)
}

// Holds reports whether raw has a personal member: a cheap test before
// Scrub.
func Holds(raw []byte) bool {
	_, n := Scrub(raw)
	return n > 0
}

// scanner walks valid JSON and notes the byte spans to cut, in order.
type scanner struct {
	b   []byte
	i   int
	cut [][2]int
}

func (p *scanner) skipSpace() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *scanner) value() bool {
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		_, ok := p.str()
		return ok
	default:
		start := p.i
		for p.i < len(p.b) && strings.IndexByte("+-.0123456789eEtruefalsn", p.b[p.i]) >= 0 {
			p.i++
		}
		return p.i > start
	}
}

// str reads a string and returns its raw contents (escapes as written).
func (p *scanner) str() (string, bool) {
	p.i++ // the quote
	start := p.i
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '\\':
			p.i += 2
		case '"':
			s := string(p.b[start:p.i])
			p.i++
			return s, true
		default:
			p.i++
		}
	}
	return "", false
}

func (p *scanner) array() bool {
	p.i++
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		return true
	}
	for {
		p.skipSpace()
		if !p.value() {
			return false
		}
		p.skipSpace()
		if p.i >= len(p.b) {
			return false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return true
		default:
			return false
		}
	}
}

func (p *scanner) object() bool {
	p.i++
	p.skipSpace()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		return true
	}
	// Members as [key start, value end], and which of them go.
	type member struct {
		start, end int
		drop       bool
	}
	var ms []member
	for {
		p.skipSpace()
		if p.i >= len(p.b) || p.b[p.i] != '"' {
			return false
		}
		start := p.i
		key, ok := p.str()
		if !ok {
			return false
		}
		p.skipSpace()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return false
		}
		p.i++
		p.skipSpace()
		isString := p.i < len(p.b) && p.b[p.i] == '"'
		if !p.value() {
			return false
		}
		ms = append(ms, member{start, p.i, isString && Personal(key)})
		p.skipSpace()
		if p.i >= len(p.b) {
			return false
		}
		if p.b[p.i] == ',' {
			p.i++
			continue
		}
		if p.b[p.i] != '}' {
			return false
		}
		p.i++
		break
	}
	// A dropped member goes with the comma after it, or, the last one
	// kept before it, with the comma before it, so what stays is JSON.
	var cuts [][2]int
	for j, m := range ms {
		if !m.drop {
			continue
		}
		if j+1 < len(ms) {
			cuts = append(cuts, [2]int{m.start, ms[j+1].start})
			continue
		}
		k := j - 1
		for k >= 0 && ms[k].drop {
			k--
		}
		from := m.start
		if k >= 0 {
			from = ms[k].end
		}
		// Cuts of the members after k, already noted, fall inside this one.
		for len(cuts) > 0 && cuts[len(cuts)-1][0] >= from {
			cuts = cuts[:len(cuts)-1]
		}
		cuts = append(cuts, [2]int{from, m.end})
	}
	// Nested cuts were noted as the values were read; keep the order.
	p.cut = mergeCuts(p.cut, cuts)
	return true
}

// mergeCuts adds an object's own cuts to those its values noted: a nested
// cut inside a member this object drops is dropped with it.
func mergeCuts(nested, own [][2]int) [][2]int {
	if len(own) == 0 {
		return nested
	}
	out := make([][2]int, 0, len(nested)+len(own))
	i := 0
	for _, o := range own {
		for i < len(nested) && nested[i][1] <= o[0] {
			out = append(out, nested[i])
			i++
		}
		for i < len(nested) && nested[i][0] < o[1] {
			i++ // inside o
		}
		out = append(out, o)
	}
	return append(out, nested[i:]...)
}
