package lifecycle

import (
	"fmt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Waybill number event types. All have the outlet id as subject, so one
// fold sees an outlet's whole number stock.
const (
	WaybillBlockAllocated = "waybill_block.allocated" // head office → outlet: a block of serials
	WaybillIssued         = "waybill.issued"          // outlet: one number used on a label
	WaybillBlockRequested = "waybill_block.requested" // outlet → head office: please allocate another block
)

// MaxBlockSize is the largest block head office allocates at once.
const MaxBlockSize = 100000

// WaybillBlockRequestV1 is the payload of WaybillBlockRequested, sent when
// RefillDue turns true. Head office answers each request event with at most
// one WaybillBlockAllocated; the fold ignores requests.
type WaybillBlockRequestV1 struct {
	Count     int   `json:"count,omitempty"` // serials wanted; 0: head office's default
	Remaining int   `json:"remaining"`       // serials the outlet had left when asking
	At        int64 `json:"at"`
}

// Check validates a request's fields.
func (r WaybillBlockRequestV1) Check() error {
	if r.Count < 0 || r.Count > MaxBlockSize || r.Remaining < 0 {
		return problem.New(problem.WaybillBlockRequest, "count", r.Count, "max", MaxBlockSize, "remaining", r.Remaining)
	}
	return nil
}

// Waybill numbers use the UPU S10 layout, e.g. "YZ12345678" + check digit +
// "CN": two letters, an 8-digit serial, one check digit, and a two-letter
// country code. S10 was chosen over a bare mod-10 because it carries its own
// check digit that scanners and the barcode classifier already verify (see
// S10CheckDigit), it cannot be mistaken for a 12–15 digit domestic carrier
// number, and an 8-digit serial under one prefix leaves room for a hundred
// million numbers to hand out in blocks. Head office picks the prefix.
//
// An outlet issues the serials of its blocks in increasing order and never
// goes back: a serial below a block's next one is used or was skipped, so it
// is never issued again, even after a crash between printing and recording.

// WaybillBlockV1 is the payload of WaybillBlockAllocated: serials First..Last
// inclusive under Prefix and Country. Head office allocates blocks that are
// disjoint across all outlets.
type WaybillBlockV1 struct {
	Prefix  string `json:"prefix"`  // two letters A–Z
	First   uint32 `json:"first"`   // 0..99999999
	Last    uint32 `json:"last"`    // First..99999999
	Country string `json:"country"` // two letters A–Z, e.g. CN
	At      int64  `json:"at"`
}

// WaybillIssuedV1 is the payload of WaybillIssued.
type WaybillIssuedV1 struct {
	Number string `json:"number"`
	At     int64  `json:"at"`
}

// WaybillBlock is an allocated block and how far it is used.
type WaybillBlock struct {
	WaybillBlockV1
	Next uint32 `json:"next"` // the next serial to issue; Last+1 when used up
}

// Remaining is how many serials of the block are still free.
func (b *WaybillBlock) Remaining() int {
	if b.Next > b.Last {
		return 0
	}
	return int(b.Last-b.Next) + 1
}

// WaybillStock is an outlet's folded waybill number stock.
type WaybillStock struct {
	Outlet    string         `json:"outlet"`
	Blocks    []WaybillBlock `json:"blocks"` // in allocation order; used in that order
	Issued    int            `json:"issued"`
	Remaining int            `json:"remaining"`
	Next      string         `json:"next,omitempty"` // the number NextNumber returns; "" when used up
	Conflicts []Conflict     `json:"conflicts,omitempty"`
}

// ErrWaybillsExhausted is returned when every block is used up.
var ErrWaybillsExhausted = problem.New(problem.WaybillExhausted)

// S10CheckDigit is the UPU S10 check digit of an 8-digit serial: weights
// 8,6,4,2,3,5,9,7, r = sum mod 11, check = 11−r except r=0 → 5 and r=1 → 0.
// It is the same rule as devices/barcode.S10CheckDigit, kept here because
// this package may not import device code.
func S10CheckDigit(serial uint32) byte {
	weights := [8]uint32{8, 6, 4, 2, 3, 5, 9, 7}
	var sum uint32
	for i := 7; i >= 0; i-- {
		sum += serial % 10 * weights[i]
		serial /= 10
	}
	switch r := sum % 11; r {
	case 0:
		return '5'
	case 1:
		return '0'
	default:
		return byte('0' + 11 - r)
	}
}

// S10Number formats a waybill number from a prefix, serial and country.
func S10Number(prefix string, serial uint32, country string) string {
	return fmt.Sprintf("%s%08d%c%s", prefix, serial, S10CheckDigit(serial), country)
}

// ParseS10 splits an S10 number into prefix, serial and country, checking
// its shape and check digit.
func ParseS10(s string) (prefix string, serial uint32, country string, err error) {
	if len(s) != 13 || !upper2(s[:2]) || !upper2(s[11:]) {
		return "", 0, "", problem.New(problem.WaybillBadS10, "waybill", s)
	}
	for i := 2; i < 11; i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", 0, "", problem.New(problem.WaybillBadS10, "waybill", s)
		}
		if i < 10 {
			serial = serial*10 + uint32(s[i]-'0')
		}
	}
	if S10CheckDigit(serial) != s[10] {
		return "", 0, "", problem.New(problem.WaybillBadCheck, "waybill", s)
	}
	return s[:2], serial, s[11:], nil
}

func upper2(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// CheckBlock validates a block's fields.
func CheckBlock(b WaybillBlockV1) error {
	switch {
	case !upper2(b.Prefix) || !upper2(b.Country):
		return problem.New(problem.WaybillBlockCode, "prefix", b.Prefix, "country", b.Country)
	case b.Last > 99999999 || b.First > b.Last:
		return problem.New(problem.WaybillBlockRange, "first", b.First, "last", b.Last)
	}
	return nil
}

// Overlaps reports whether two blocks share a number.
func (b WaybillBlockV1) Overlaps(o WaybillBlockV1) bool {
	return b.Prefix == o.Prefix && b.Country == o.Country && b.First <= o.Last && o.First <= b.Last
}

// FoldWaybills folds an outlet's block allocations (head office only) and
// issued numbers (that outlet only). The outlet's hybrid clock orders each
// issue after the allocation it received, so the fold order matches the
// order things happened.
func FoldWaybills(outlet string, evs []syncproto.Event) WaybillStock {
	return WaybillStock{Outlet: outlet, Blocks: []WaybillBlock{}}.fold(evs)
}

// fold folds evs onto s, the fold of the events before them.
func (s WaybillStock) fold(evs []syncproto.Event) WaybillStock {
	Order(evs)
	for i := range evs {
		s.apply(&evs[i])
	}
	s.sum()
	return s
}

// Apply folds one more event that orders after all applied so far (the
// issuing outlet's common case: NextNumber, record the event, Apply it).
func (s *WaybillStock) Apply(ev *syncproto.Event) {
	s.apply(ev)
	s.sum()
}

func (s *WaybillStock) conflict(ev *syncproto.Event, err error) {
	s.Conflicts = append(s.Conflicts, conflictOf(ev, ev.Type, "", err))
}

func (s *WaybillStock) apply(ev *syncproto.Event) {
	switch ev.Type {
	case WaybillBlockAllocated:
		var b WaybillBlockV1
		if decode(ev, &b) != nil {
			return
		}
		if ev.Origin != syncproto.HubOrigin {
			s.conflict(ev, problem.New(problem.WaybillHubAllocates))
			return
		}
		if err := CheckBlock(b); err != nil {
			s.conflict(ev, err)
			return
		}
		for _, old := range s.Blocks {
			if old.Overlaps(b) {
				s.conflict(ev, problem.New(problem.WaybillBlockOverlap, "prefix", b.Prefix, "first", b.First, "last", b.Last, "old_first", old.First, "old_last", old.Last))
				return
			}
		}
		s.Blocks = append(s.Blocks, WaybillBlock{WaybillBlockV1: b, Next: b.First})
	case WaybillIssued:
		var is WaybillIssuedV1
		if decode(ev, &is) != nil {
			return
		}
		if ev.Origin != s.Outlet {
			s.conflict(ev, problem.New(problem.WaybillOutletOnly))
			return
		}
		prefix, serial, country, err := ParseS10(is.Number)
		if err != nil {
			s.conflict(ev, err)
			return
		}
		for i := range s.Blocks {
			b := &s.Blocks[i]
			if b.Prefix != prefix || b.Country != country || serial < b.First || serial > b.Last {
				continue
			}
			if serial < b.Next {
				s.conflict(ev, problem.New(problem.WaybillIssued, "waybill", is.Number))
				return
			}
			b.Next = serial + 1
			s.Issued++
			return
		}
		s.conflict(ev, problem.New(problem.WaybillNotInBlocks, "waybill", is.Number))
	}
}

func (s *WaybillStock) sum() {
	s.Remaining, s.Next = 0, ""
	for i := range s.Blocks {
		b := &s.Blocks[i]
		if s.Next == "" && b.Remaining() > 0 {
			s.Next = S10Number(b.Prefix, b.Next, b.Country)
		}
		s.Remaining += b.Remaining()
	}
}

// NextNumber returns the number to print next, or ErrWaybillsExhausted. It
// changes nothing: record a WaybillIssued event with the number and Apply
// it before printing, so a crash can only skip a number, never reuse one.
func (s *WaybillStock) NextNumber() (string, error) {
	if s.Next == "" {
		return "", ErrWaybillsExhausted
	}
	return s.Next, nil
}

// Refill is the low-water mark below which an outlet asks head office for
// another block: fewer than Percent per cent of its latest block's size, or
// fewer than Min numbers, whichever is higher.
type Refill struct {
	Percent int `json:"percent"`
	Min     int `json:"min"`
}

// DefaultRefill asks for more when a fifth of the latest block is left.
var DefaultRefill = Refill{Percent: 20}

// RefillDue reports whether the stock is below the low-water mark r (always
// when the outlet holds no block).
func (s *WaybillStock) RefillDue(r Refill) bool {
	if len(s.Blocks) == 0 {
		return true
	}
	last := s.Blocks[len(s.Blocks)-1]
	size := int(last.Last-last.First) + 1
	return s.Remaining < r.Min || s.Remaining*100 < r.Percent*size
}
