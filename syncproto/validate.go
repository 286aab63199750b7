package syncproto

import (
	"unicode"
	"unicode/utf8"

	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// CheckBatch validates a decoded Batch's framing against the outlet the
// message came from (its topic, which the broker tied to its credentials):
// origin, contiguous sequence range, size. It does not check each event;
// CheckEvent does, so that one bad event can be dead-lettered alone.
func CheckBatch(b *Batch, fromOutlet string) error {
	if b.Origin != fromOutlet {
		return decodeErr(CodeOriginMismatch, "batch claims origin %q but was sent by outlet %q", b.Origin, fromOutlet)
	}
	if err := CheckIncarnation(b.Incarnation); err != nil {
		return err
	}
	n := len(b.Events)
	if n == 0 {
		return decodeErr(CodeMalformed, "batch has no events")
	}
	if n > MaxEventsPerBatch {
		return decodeErr(CodeOversize, "batch has %d events, limit %d", n, MaxEventsPerBatch)
	}
	if b.First == 0 || b.Last < b.First || b.Last > MaxSeq || b.Last-b.First+1 != uint64(n) {
		return decodeErr(CodeMalformed, "batch range %d..%d does not match its %d events", b.First, b.Last, n)
	}
	for i := range b.Events {
		e := &b.Events[i]
		if e.Seq != b.First+uint64(i) {
			return decodeErr(CodeMalformed, "event %d of batch has seq %d, want %d", i, e.Seq, b.First+uint64(i))
		}
		if e.Origin != b.Origin {
			return decodeErr(CodeOriginMismatch, "event seq %d claims origin %q inside a batch of %q", e.Seq, e.Origin, b.Origin)
		}
	}
	return nil
}

// CheckEvent validates one event's fields. A failing event is refused on its
// own (dead-lettered), not with its whole batch.
func CheckEvent(e *Event) error {
	switch {
	case e.Seq == 0:
		return decodeErr(CodeInvalidEvent, "seq must start at 1")
	case e.HLC == 0:
		return decodeErr(CodeInvalidEvent, "event %d has no HLC stamp", e.Seq)
	case e.HLC.WallMillis() >= hlc.HorizonMillis:
		// No clock reads that, and a store could not keep it as an int64.
		return decodeErr(CodeInvalidEvent, "event %d has HLC stamp %d, past the year 3000: no clock reads that", e.Seq, uint64(e.HLC))
	case e.V < 1:
		return decodeErr(CodeInvalidEvent, "event %d has payload version %d, must be >= 1", e.Seq, e.V)
	case len(e.Payload) > MaxEventBytes:
		return decodeErr(CodeOversize, "event %d payload is %d bytes, limit %d", e.Seq, len(e.Payload), MaxEventBytes)
	case !utf8.Valid(e.Payload):
		// JSON is UTF-8, and a PostgreSQL store cannot keep other bytes
		// as text: refused here, the event is dead-lettered alone instead
		// of failing the whole group commit it arrived in.
		return decodeErr(CodeInvalidEvent, "event %d payload is not UTF-8", e.Seq)
	}
	for _, f := range []struct {
		name, val string
		required  bool
	}{
		{"id", e.ID, true}, {"type", e.Type, true}, {"actor", e.Actor, true},
		{"subject", e.Subject, false}, {"target", e.Target, false},
	} {
		if f.required && f.val == "" {
			return decodeErr(CodeInvalidEvent, "event %d has no %s", e.Seq, f.name)
		}
		if !cleanField(f.val) {
			return decodeErr(CodeInvalidEvent, "event %d field %s is over %d bytes or has control characters", e.Seq, f.name, MaxFieldLen)
		}
	}
	return nil
}

func cleanField(s string) bool {
	if len(s) > MaxFieldLen || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// MaxIncarnationLen bounds an incarnation id; agents make 32 hex digits.
const MaxIncarnationLen = 64

// CheckIncarnation accepts "" (an agent before minor 1) or 8 to
// MaxIncarnationLen letters, digits, '-' and '_'.
func CheckIncarnation(inc string) error {
	if inc == "" {
		return nil
	}
	if len(inc) < 8 || len(inc) > MaxIncarnationLen {
		return decodeErr(CodeMalformed, "incarnation %q must be 8 to %d characters", inc, MaxIncarnationLen)
	}
	for _, r := range inc {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return decodeErr(CodeMalformed, "incarnation %q may hold only letters, digits, '-' and '_'", inc)
		}
	}
	return nil
}

// DefaultWindow is how far past an outlet's contiguous point the hub holds
// out-of-order batches unless configured otherwise: ten full batches,
// more than an agent's pipeline ever has in flight.
const DefaultWindow = 10 * MaxEventsPerBatch

// CheckWindow refuses a batch that ends more than window sequences past
// acked, the highest contiguous sequence the receiver holds. Such a batch
// is not an agent's pipeline running ahead but a stream that skipped
// ahead; holding it would let one outlet fill the hub's disk with events
// that may never become contiguous.
func CheckWindow(b *Batch, acked, window uint64) error {
	if b.Last > acked && b.Last-acked > window {
		p := BeyondWindow(b.First, acked, window)
		return &DecodeError{Code: p.Code, Reason: p.Reason}
	}
	return nil
}

// BeyondWindow is the problem CheckWindow reports.
func BeyondWindow(first, acked, window uint64) *Problem {
	return catalogProblem(CodeBeyondWindow, problem.SyncBeyondWindow, "first", first, "acked", acked, "window", window)
}

// IncarnationRefused is the hub's answer to a new incarnation of an outlet
// whose stream it already holds held events of.
func IncarnationRefused(held uint64) *Problem {
	return catalogProblem(CodeIncarnation, problem.SyncIncarnation, "held", held)
}

// Conflict is the hub's answer to an event it holds under the same
// (origin, incarnation, seq) with other content.
func Conflict(seq uint64, heldID, sentID string) *Problem {
	return catalogProblem(CodeConflict, problem.SyncConflict, "seq", seq, "held_id", heldID, "sent_id", sentID)
}

func catalogProblem(code string, c problem.Code, kv ...any) *Problem {
	e := problem.New(c, kv...)
	_, en := c.Halves()
	return &Problem{Code: code, Reason: problem.Render(en, e.Params()), Params: e.Params()}
}

// Detail is the problem as the screens' error shape when its code has a
// catalog entry "sync.<code>"; ok is false for the others, which only
// have their English reason.
func (p *Problem) Detail() (d problem.Detail, ok bool) {
	c, ok := problem.Lookup("sync." + p.Code)
	if !ok {
		return d, false
	}
	params := p.Params
	if params == nil {
		params = map[string]any{}
	}
	return problem.Detail{Code: c.String(), Params: params, Message: p.Reason}, true
}
