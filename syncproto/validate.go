package syncproto

import (
	"unicode"
	"unicode/utf8"
)

// CheckBatch validates a decoded Batch's framing against the outlet the
// message came from (its topic, which the broker tied to its credentials):
// origin, contiguous sequence range, size. It does not check each event;
// CheckEvent does, so that one bad event can be dead-lettered alone.
func CheckBatch(b *Batch, fromOutlet string) error {
	if b.Origin != fromOutlet {
		return decodeErr(CodeOriginMismatch, "batch claims origin %q but was sent by outlet %q", b.Origin, fromOutlet)
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
	case e.V < 1:
		return decodeErr(CodeInvalidEvent, "event %d has payload version %d, must be >= 1", e.Seq, e.V)
	case len(e.Payload) > MaxEventBytes:
		return decodeErr(CodeOversize, "event %d payload is %d bytes, limit %d", e.Seq, len(e.Payload), MaxEventBytes)
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
