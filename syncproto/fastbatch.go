package syncproto

import (
	"encoding/json"
	"math"
	"unicode/utf8"

	"github.com/yizhan/yizhan/syncproto/hlc"
)

// decodeBatchFast decodes a batch body of the shape agents write (see
// EncodeBatchRaw): lower-case keys, each at most once, with no escapes;
// strings without escapes or control characters; numbers as plain
// digits; each payload an object. It reports false, having touched
// nothing of b, for any other body, and the caller decodes with
// encoding/json, whose rules then apply: for the bodies it takes, its
// result is the one encoding/json gives (FuzzBatchUnmarshal checks this).
// It exists because encoding/json spends most of the hub's decoding time
// on generality these bodies do not use.
//
// It reads the body twice: first to check it is of that shape and count
// its events, allocating nothing, then to decode it into exactly what it
// holds. A body it gives up on halfway has cost no memory beyond what
// DecodeCost counts for encoding/json's decoding of it.
func decodeBatchFast(data []byte, b *Batch) bool {
	dry := fastParser{data: data, dry: true}
	if !dry.batch(nil) {
		return false
	}
	p := fastParser{data: data, count: dry.count}
	return p.batch(b)
}

// batch parses a whole body into b (nothing in a dry run).
func (p *fastParser) batch(b *Batch) bool {
	var out Batch
	var seen uint8
	if !p.byte('{') {
		return false
	}
	if p.peek() == '}' {
		return false // no events: rare, and encoding/json's to answer
	}
	for {
		key, ok := p.key()
		if !ok {
			return false
		}
		var bit uint8
		switch string(key) {
		case "origin":
			bit = 1
			out.Origin, ok = p.str()
		case "incarnation":
			bit = 2
			out.Incarnation, ok = p.str()
		case "first":
			bit = 4
			out.First, ok = p.uint()
		case "last":
			bit = 8
			out.Last, ok = p.uint()
		case "events":
			bit = 16
			out.Events, ok = p.events()
		default:
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		switch p.next() {
		case ',':
			continue
		case '}':
			if p.skip(); p.i != len(p.data) || seen&16 == 0 {
				return false
			}
			if !p.dry {
				*b = out
			}
			return true
		}
		return false
	}
}

type fastParser struct {
	data []byte
	i    int
	// dry checks and counts without allocating; count is the events a
	// dry run found, which the real run allocates.
	dry   bool
	count int
}

func (p *fastParser) skip() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next byte after whitespace, 0 at the end.
func (p *fastParser) peek() byte {
	p.skip()
	if p.i < len(p.data) {
		return p.data[p.i]
	}
	return 0
}

// next consumes and returns the next byte after whitespace.
func (p *fastParser) next() byte {
	c := p.peek()
	if c != 0 {
		p.i++
	}
	return c
}

func (p *fastParser) byte(c byte) bool { return p.next() == c }

// key reads `"name" :`. The caller switches on string(key), which does
// not copy.
func (p *fastParser) key() ([]byte, bool) {
	if p.peek() != '"' {
		return nil, false
	}
	p.i++
	start := p.i
	for p.i < len(p.data) {
		c := p.data[p.i]
		if c == '"' {
			k := p.data[start:p.i]
			p.i++
			return k, p.byte(':')
		}
		if c < 'a' || c > 'z' {
			return nil, false
		}
		p.i++
	}
	return nil, false
}

// str reads a string without escapes or control characters, in valid
// UTF-8 (encoding/json would replace invalid bytes).
func (p *fastParser) str() (string, bool) {
	if p.peek() != '"' {
		return "", false
	}
	p.i++
	start, ascii := p.i, true
	for p.i < len(p.data) {
		c := p.data[p.i]
		switch {
		case c == '"':
			s := p.data[start:p.i]
			p.i++
			if p.dry {
				return "", ascii || utf8.Valid(s)
			}
			return string(s), true
		case c == '\\' || c < 0x20:
			return "", false
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return "", false
}

// uint reads plain digits with no sign, fraction, exponent or leading
// zero, that fit 63 bits (encoding/json refuses more for an int).
func (p *fastParser) uint() (uint64, bool) {
	p.skip()
	start := p.i
	var n uint64
	for p.i < len(p.data) && p.data[p.i] >= '0' && p.data[p.i] <= '9' {
		if n > (1<<63-1)/10 {
			return 0, false
		}
		n = n*10 + uint64(p.data[p.i]-'0')
		p.i++
	}
	digits := p.i - start
	if digits == 0 || digits > 1 && p.data[start] == '0' || n > 1<<63-1 {
		return 0, false
	}
	if p.i < len(p.data) {
		switch p.data[p.i] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	return n, true
}

// events reads the events array; more than MaxEventsPerBatch is for
// encoding/json's path to refuse.
func (p *fastParser) events() ([]Event, bool) {
	if !p.byte('[') {
		return nil, false
	}
	var evs []Event
	if !p.dry {
		evs = make([]Event, 0, p.count)
	}
	if p.peek() == ']' {
		p.i++
		return evs, true
	}
	var scratch Event
	for n := 0; ; n++ {
		if n == MaxEventsPerBatch {
			return nil, false
		}
		e := &scratch
		if !p.dry {
			evs = append(evs, Event{})
			e = &evs[n]
		}
		if !p.event(e) {
			return nil, false
		}
		switch p.next() {
		case ',':
			continue
		case ']':
			p.count = n + 1
			return evs, true
		}
		return nil, false
	}
}

func (p *fastParser) event(e *Event) bool {
	if !p.byte('{') {
		return false
	}
	var seen uint16
	for {
		key, ok := p.key()
		if !ok {
			return false
		}
		var bit uint16
		switch string(key) {
		case "id":
			bit = 1
			e.ID, ok = p.str()
		case "origin":
			bit = 2
			e.Origin, ok = p.str()
		case "seq":
			bit = 4
			e.Seq, ok = p.uint()
		case "hlc":
			bit = 8
			var h uint64
			h, ok = p.uint()
			e.HLC = hlc.Timestamp(h)
		case "actor":
			bit = 16
			e.Actor, ok = p.str()
		case "type":
			bit = 32
			e.Type, ok = p.str()
		case "v":
			bit = 64
			var v uint64
			v, ok = p.uint()
			ok = ok && v <= math.MaxInt32 // an int on every platform
			e.V = int(v)
		case "subject":
			bit = 128
			e.Subject, ok = p.str()
		case "target":
			bit = 256
			e.Target, ok = p.str()
		case "payload":
			bit = 512
			e.Payload, ok = p.object()
		default:
			return false
		}
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		switch p.next() {
		case ',':
			continue
		case '}':
			return true
		}
		return false
	}
}

// object reads a JSON object as raw bytes (a copy, as json.RawMessage
// keeps), which the dry run checked to be valid JSON.
func (p *fastParser) object() (json.RawMessage, bool) {
	if p.peek() != '{' {
		return nil, false
	}
	end, _, ok := skipValue(p.data, p.i)
	if !ok {
		return nil, false
	}
	raw := p.data[p.i:end]
	p.i = end
	if p.dry {
		return nil, json.Valid(raw)
	}
	return append(json.RawMessage(nil), raw...), true
}
