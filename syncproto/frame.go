package syncproto

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"unsafe"
)

// Kind says which struct a frame's body holds.
type Kind byte

const (
	KindBatch Kind = 1
	KindAck   Kind = 2
	KindPull  Kind = 3
	KindDown  Kind = 4
	KindPoke  Kind = 5
	KindFetch Kind = 6 // minor 3
	KindOwn   Kind = 7 // minor 3
)

func (k Kind) String() string {
	switch k {
	case KindBatch:
		return "batch"
	case KindAck:
		return "ack"
	case KindPull:
		return "pull"
	case KindDown:
		return "down"
	case KindPoke:
		return "poke"
	case KindFetch:
		return "fetch"
	case KindOwn:
		return "own"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// Codec is how a frame's body is encoded.
type Codec byte

const (
	CodecJSON Codec = 0
	CodecGzip Codec = 1
)

// Limits. A frame over MaxFrameBytes is refused before it is read further; a
// body that inflates past MaxBodyBytes is refused as a decompression bomb.
const (
	HeaderLen         = 6
	MaxFrameBytes     = 512 << 10
	MaxBodyBytes      = 8 << 20
	MaxEventsPerBatch = 2000
	MaxEventBytes     = 64 << 10  // one event's payload
	MaxSeq            = 1<<63 - 1 // sequences fit a signed 64-bit column
	MaxFieldLen       = 128       // actor, type, subject, target, id
)

// UplinkWindow is how many batches an agent keeps in flight, sent and not
// yet acknowledged, whatever their size. A hub behind a shared broker
// connection (Mosquitto) reads every outlet's uplink through one client,
// so each outlet's messages beyond what the hub handles at once hold up
// every other outlet's, and pile up in the broker's queue for the hub; a
// hub therefore handles at least this many of one outlet's messages at
// once, and a broker's queue for the hub needs about this many for each
// outlet, plus its pulls.
const UplinkWindow = 8

// Error codes carried in Problem.Code and Rejection.Code, and used as metric
// labels by receivers.
const (
	CodeMalformed          = "malformed"
	CodeOversize           = "oversize"
	CodeUnsupportedVersion = "unsupported_version"
	CodeWrongKind          = "wrong_kind"
	CodeOriginMismatch     = "origin_mismatch"
	CodeInvalidEvent       = "invalid_event"
	// CodeIncarnation: a new incarnation of an outlet the hub already
	// holds events of (a replaced PC or a fresh data directory).
	CodeIncarnation = "incarnation"
	// CodeConflict: an event whose (origin, incarnation, seq) the hub
	// holds with other content.
	CodeConflict = "conflict"
	// CodeBeyondWindow: a batch too far ahead of the contiguous point.
	CodeBeyondWindow = "beyond_window"
)

// DecodeError is a frame or body that could not be accepted. Code is one of
// the Code* constants.
type DecodeError struct {
	Code   string
	Reason string
}

func (e *DecodeError) Error() string { return e.Code + ": " + e.Reason }

// Problem converts the error for an Ack.
func (e *DecodeError) Problem() *Problem { return &Problem{Code: e.Code, Reason: e.Reason} }

func decodeErr(code, format string, args ...any) error {
	return &DecodeError{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the Code of a *DecodeError anywhere in err's chain, or
// CodeMalformed.
func ErrorCode(err error) string {
	var de *DecodeError
	if errors.As(err, &de) {
		return de.Code
	}
	return CodeMalformed
}

// bodyBufs keeps inflated batch bodies' buffers for the next batch, up to
// maxKeptBody each: the memory budget counts a body only while it is
// decoded, so the pool must not keep a flood's largest for long.
var bodyBufs sync.Pool // of *[]byte

const maxKeptBody = 1 << 20

var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// Encode frames v as kind. Bodies of at least compressAbove bytes are
// gzipped; pass a negative compressAbove to never compress.
func Encode(kind Kind, v any, compressAbove int) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", kind, err)
	}
	return encodeBody(kind, body, compressAbove)
}

func encodeBody(kind Kind, body []byte, compressAbove int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(HeaderLen + len(body)/3)
	buf.Write([]byte{'Y', 'Z', Major, Minor, byte(kind), byte(CodecJSON)})
	if compressAbove >= 0 && len(body) >= compressAbove {
		buf.Bytes()[5] = byte(CodecGzip)
		zw := gzipWriters.Get().(*gzip.Writer)
		zw.Reset(&buf)
		_, _ = zw.Write(body)
		err := zw.Close()
		gzipWriters.Put(zw)
		if err != nil {
			return nil, fmt.Errorf("compress %s: %w", kind, err)
		}
	} else {
		buf.Write(body)
	}
	if buf.Len() > MaxFrameBytes {
		return nil, decodeErr(CodeOversize, "%s frame is %d bytes, limit %d", kind, buf.Len(), MaxFrameBytes)
	}
	return buf.Bytes(), nil
}

// Header is a frame's parsed header.
type Header struct {
	Major, Minor byte
	Kind         Kind
	Codec        Codec
}

// ParseHeader checks magic, size and version without touching the body.
func ParseHeader(frame []byte) (Header, error) {
	if len(frame) > MaxFrameBytes {
		return Header{}, decodeErr(CodeOversize, "frame is %d bytes, limit %d", len(frame), MaxFrameBytes)
	}
	if len(frame) < HeaderLen {
		return Header{}, decodeErr(CodeMalformed, "frame is %d bytes, shorter than the %d-byte header", len(frame), HeaderLen)
	}
	if frame[0] != 'Y' || frame[1] != 'Z' {
		return Header{}, decodeErr(CodeMalformed, "frame does not start with YZ")
	}
	h := Header{Major: frame[2], Minor: frame[3], Kind: Kind(frame[4]), Codec: Codec(frame[5])}
	if h.Major != Major {
		return h, decodeErr(CodeUnsupportedVersion, "protocol major version %d is not supported; this side speaks %d.%d", h.Major, Major, Minor)
	}
	if h.Kind < KindBatch || h.Kind > KindOwn {
		return h, decodeErr(CodeMalformed, "unknown message kind %d", byte(h.Kind))
	}
	if h.Codec != CodecJSON && h.Codec != CodecGzip {
		return h, decodeErr(CodeMalformed, "unknown codec %d", byte(h.Codec))
	}
	return h, nil
}

// BodySize is the size a frame's body has once decoded, known before any
// inflating: the raw length, or for gzip the size its trailer gives (which
// Body then holds it to). A body over MaxBodyBytes is refused here, so a
// decompression bomb is refused without being inflated.
func BodySize(h Header, frame []byte) (int, error) {
	raw := frame[HeaderLen:]
	n := len(raw)
	if h.Codec == CodecGzip {
		if len(raw) < gzipMinLen {
			return 0, decodeErr(CodeMalformed, "gzip body is %d bytes, shorter than gzip's header and trailer", len(raw))
		}
		n = int(binary.LittleEndian.Uint32(raw[len(raw)-4:]))
	}
	if n > MaxBodyBytes {
		return 0, decodeErr(CodeOversize, "body is %d bytes once inflated, limit %d", n, MaxBodyBytes)
	}
	return n, nil
}

// gzipMinLen is gzip's 10-byte header, an empty deflate block and the
// 8-byte trailer.
const gzipMinLen = 10 + 2 + 8

// Body returns the decoded JSON body of a frame whose header parsed. A gzip
// body must be one gzip member that inflates to exactly the size its
// trailer gives, so that BodySize (and DecodeCost) bound what this
// allocates.
func Body(h Header, frame []byte) ([]byte, error) {
	return bodyInto(h, frame, nil)
}

// gzipReaders keeps inflaters, whose window and tables cost more to set up
// than a batch of events costs to inflate.
var gzipReaders sync.Pool // of *gzip.Reader

// bodyInto is Body inflating into buf if it is large enough.
func bodyInto(h Header, frame, buf []byte) ([]byte, error) {
	n, err := BodySize(h, frame)
	raw := frame[HeaderLen:]
	if err != nil && (h.Codec == CodecJSON || ErrorCode(err) != CodeOversize) {
		return nil, err
	}
	if h.Codec == CodecJSON {
		return raw, nil
	}
	var zr *gzip.Reader
	var zerr error
	if r, ok := gzipReaders.Get().(*gzip.Reader); ok {
		zr, zerr = r, r.Reset(bytes.NewReader(raw))
	} else {
		zr, zerr = gzip.NewReader(bytes.NewReader(raw))
	}
	if zerr != nil {
		if zr != nil {
			gzipReaders.Put(zr)
		}
		return nil, decodeErr(CodeMalformed, "gzip body: %v", zerr)
	}
	defer gzipReaders.Put(zr)
	zr.Multistream(false) // after Reset, which turns it back on
	if err != nil {
		// The trailer claims too much: a bomb, or a truncated frame whose
		// last bytes are not a trailer. Inflating into nothing tells which,
		// keeping only gzip's window.
		if _, cerr := io.Copy(io.Discard, io.LimitReader(zr, MaxBodyBytes+1)); cerr != nil {
			return nil, decodeErr(CodeMalformed, "gzip body truncated or corrupt: %v", cerr)
		}
		return nil, err
	}
	if cap(buf) < n+1 {
		buf = make([]byte, n+1)
	}
	buf = buf[:n+1]
	got, err := io.ReadFull(zr, buf)
	switch {
	case err == nil:
		return nil, decodeErr(CodeMalformed, "gzip body inflates past the %d bytes its trailer gives", n)
	case (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) && got == n:
		return buf[:n], nil
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return nil, decodeErr(CodeMalformed, "gzip body inflates to %d bytes, its trailer gives %d", got, n)
	}
	return nil, decodeErr(CodeMalformed, "gzip body truncated or corrupt: %v", err)
}

// inflateState is what one gzip reader holds while inflating: the 32 KiB
// window and its Huffman tables, rounded up.
const inflateState = 64 << 10

// DecodeCost bounds the memory Decode holds for frame, in bytes: the frame,
// the inflated body, and what the decoded value copies out of it (strings,
// payloads, a Batch's events, which Batch.UnmarshalJSON bounds). It reads
// only the header and the gzip trailer, so a receiver can reserve memory
// before inflating anything.
func DecodeCost(frame []byte) int64 {
	h, err := ParseHeader(frame)
	if err != nil {
		return int64(len(frame))
	}
	n, err := BodySize(h, frame)
	if err != nil {
		return int64(len(frame)) + inflateState // Body may inflate it into nothing
	}
	cost := int64(len(frame)) + int64(n) // the frame and the decoded copies
	if h.Codec == CodecGzip {
		cost += int64(n) + inflateState
	}
	// Each event takes at least 3 bytes of JSON ("{}," ) and a whole Event
	// struct once decoded.
	events := min(n/3+1, MaxEventsPerBatch)
	return cost + int64(events)*int64(unsafe.Sizeof(Event{}))
}

// Decode parses frame, requires it to be of kind want, and unmarshals the body
// into v. Errors are *DecodeError.
func Decode(frame []byte, want Kind, v any) (Header, error) {
	h, err := ParseHeader(frame)
	if err != nil {
		return h, err
	}
	if h.Kind != want {
		return h, decodeErr(CodeWrongKind, "expected a %s message, got %s", want, h.Kind)
	}
	// The inflated body is garbage once decoded: encoding/json copies
	// strings and RawMessages out of it. Batches' bodies are kept for the
	// next one.
	var buf *[]byte
	if h.Kind == KindBatch && h.Codec == CodecGzip {
		buf, _ = bodyBufs.Get().(*[]byte)
		if buf == nil {
			buf = new([]byte)
		}
		defer bodyBufs.Put(buf)
	}
	var into []byte
	if buf != nil {
		into = *buf
	}
	body, err := bodyInto(h, frame, into)
	if err != nil {
		return h, err
	}
	if buf != nil && cap(body) > cap(*buf) && cap(body) <= maxKeptBody {
		*buf = body[:0]
	}
	if b, ok := v.(*Batch); ok {
		// Straight to the batch's own decoder: json.Unmarshal would first
		// check and then skip the whole body only to hand it over.
		err = b.UnmarshalJSON(body)
	} else {
		err = json.Unmarshal(body, v)
	}
	if err != nil {
		if de := (*DecodeError)(nil); errors.As(err, &de) {
			return h, de
		}
		return h, decodeErr(CodeMalformed, "%s body: %v", want, err)
	}
	return h, nil
}

// EncodeBatchRaw frames a Batch whose events are already JSON-encoded, as
// the agent stores them, without decoding and re-encoding each one.
func EncodeBatchRaw(origin, incarnation string, first uint64, events [][]byte, compressAbove int) ([]byte, error) {
	if len(events) == 0 {
		return nil, errors.New("encode batch: no events")
	}
	o, _ := json.Marshal(origin)
	inc, _ := json.Marshal(incarnation)
	size := 80 + len(o) + len(inc)
	for _, e := range events {
		size += len(e) + 1
	}
	body := make([]byte, 0, size)
	body = append(body, `{"origin":`...)
	body = append(body, o...)
	if incarnation != "" {
		body = append(body, `,"incarnation":`...)
		body = append(body, inc...)
	}
	body = append(body, `,"first":`...)
	body = strconv.AppendUint(body, first, 10)
	body = append(body, `,"last":`...)
	body = strconv.AppendUint(body, first+uint64(len(events))-1, 10)
	body = append(body, `,"events":[`...)
	for i, e := range events {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, e...)
	}
	body = append(body, "]}"...)
	return encodeBody(KindBatch, body, compressAbove)
}
