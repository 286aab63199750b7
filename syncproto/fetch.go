package syncproto

// Fetch asks the hub for the sender's own events From..Through of its
// incarnation (minor 3). An agent sends it when its log stops short of
// what the hub holds of the same incarnation: a data file restored from a
// backup older than the hub's copy. It appends what comes back as already
// acknowledged, and only then numbers new events after them, so none
// takes a sequence the hub already holds.
type Fetch struct {
	Origin      string `json:"origin"`
	Incarnation string `json:"incarnation"`
	From        uint64 `json:"from"`
	Through     uint64 `json:"through"`
}

// Own answers a Fetch on the outlet's own downlink: Events are the
// outlet's events From.. in sequence order with no gap, except the
// sequences the hub holds as dead letters, which come as Rejected
// instead; together they cover From..Through. AckedSeq is what the hub
// holds of the stream, so the agent knows how far it must fetch; an Own
// with Through below From carries nothing more to fetch. Error is set,
// with nothing else, when the hub refuses the Fetch (another incarnation).
type Own struct {
	Origin      string      `json:"origin"`
	Incarnation string      `json:"incarnation"`
	From        uint64      `json:"from"`
	Through     uint64      `json:"through"`
	Events      []Event     `json:"events"`
	Rejected    []Rejection `json:"rejected,omitempty"`
	AckedSeq    uint64      `json:"acked_seq"`
	HubTime     int64       `json:"hub_time"`
	Error       *Problem    `json:"error,omitempty"`
}

// MaxOwnEvents bounds one Own answer; the hub also keeps its frame under
// MaxFrameBytes, so it may send fewer.
const MaxOwnEvents = 500

// CheckFetch checks a Fetch sent by fromOutlet (the authenticated sender):
// its own stream only, a range that starts at 1 or later and runs
// forward, and a valid incarnation. The hub bounds the range it answers
// itself (MaxOwnEvents).
func CheckFetch(f *Fetch, fromOutlet string) error {
	if f.Origin != fromOutlet {
		return decodeErr(CodeOriginMismatch, "fetch claims origin %q but was sent by outlet %q", f.Origin, fromOutlet)
	}
	if err := CheckIncarnation(f.Incarnation); err != nil {
		return err
	}
	if f.Incarnation == "" {
		return decodeErr(CodeMalformed, "fetch names no incarnation")
	}
	if f.From == 0 || f.Through < f.From || f.Through > MaxSeq {
		return decodeErr(CodeMalformed, "fetch range %d..%d is not one of sequences 1..%d", f.From, f.Through, uint64(MaxSeq))
	}
	return nil
}
