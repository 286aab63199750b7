package lifecycle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Manifest and handover event types. A manifest's subject is its id; a
// handover session's subject is the session id.
const (
	ManifestPublished = "manifest.published" // head office → outlet: expected arrivals (派件清单)
	HandoverOpened    = "handover.opened"    // outlet: a courier's handover at the counter starts (交接)
	HandoverScanned   = "handover.scanned"   // outlet: one parcel scanned in the session
	HandoverClosed    = "handover.closed"    // outlet: both parties signed; the session is over
)

// Handover states.
const (
	HandoverStateOpen   = "open"
	HandoverStateClosed = "closed"
)

// ManifestV1 is the payload of ManifestPublished (head office only). A later
// publication of the same manifest id replaces the earlier one (an amended
// manifest).
//
// A publication whose waybills do not fit one event (syncproto.MaxEventBytes)
// is split by SplitManifest into Parts events that share a Publication id,
// each with its share of the waybills in order and the same other fields;
// the fold applies it once every part is there.
type ManifestV1 struct {
	Waybills    []string `json:"waybills"`
	Courier     string   `json:"courier,omitempty"` // courier id, or
	Line        string   `json:"line,omitempty"`    // the trunk or delivery line
	ExpectedAt  int64    `json:"expected_at"`       // hub time, Unix ms
	At          int64    `json:"at"`
	Publication string   `json:"publication,omitempty"` // split publications: the id its parts share
	Part        int      `json:"part,omitempty"`        // 1..Parts
	Parts       int      `json:"parts,omitempty"`       // 0 or 1: not split
}

// MaxManifestParts bounds a split publication: 16 parts of 64 KiB hold
// 5,000 waybills of the longest allowed length.
const MaxManifestParts = 16

// Manifest is a manifest's folded state.
type Manifest struct {
	ID string `json:"id"`
	ManifestV1
	Revision  int        `json:"revision"` // publications applied; 0: not held
	Conflicts []Conflict `json:"conflicts,omitempty"`
	// Pending is a split publication newer than the one shown, not yet
	// whole here: its waybills are not in the manifest until every part
	// has arrived.
	Pending *ManifestPending `json:"pending,omitempty"`
}

// ManifestPending says how much of a split publication has arrived.
type ManifestPending struct {
	Publication string `json:"publication"`
	Parts       int    `json:"parts"`
	Received    int    `json:"received"`
}

// FoldManifest folds a manifest's publications; only head office may
// publish, and the last whole publication in the fold order wins.
func FoldManifest(id string, evs []syncproto.Event) Manifest {
	return Manifest{ID: id}.fold(evs)
}

// fold folds evs onto m, the fold of the events before them; the parts of
// a split publication before them are not at hand, so m must be whole
// (Pending nil) for the result to be the fold of all.
func (m Manifest) fold(evs []syncproto.Event) Manifest {
	Order(evs)
	type split struct {
		parts int
		got   map[int][]string
	}
	splits := map[string]*split{}
	for i := range evs {
		ev := &evs[i]
		if ev.Type != ManifestPublished {
			continue
		}
		var p ManifestV1
		if decode(ev, &p) != nil {
			continue
		}
		if ev.Origin != syncproto.HubOrigin {
			m.Conflicts = append(m.Conflicts, conflictOf(ev, "publish", "", problem.New(problem.ManifestHubOnly)))
			continue
		}
		if p.Parts > 1 {
			if p.Publication == "" || p.Parts > MaxManifestParts || p.Part < 1 || p.Part > p.Parts {
				continue
			}
			s := splits[p.Publication]
			if s == nil {
				s = &split{parts: p.Parts, got: map[int][]string{}}
				splits[p.Publication] = s
			}
			if s.parts != p.Parts {
				continue
			}
			s.got[p.Part] = p.Waybills
			if len(s.got) < s.parts {
				m.Pending = &ManifestPending{Publication: p.Publication, Parts: s.parts, Received: len(s.got)}
				continue
			}
			var all []string
			for n := 1; n <= s.parts; n++ {
				all = append(all, s.got[n]...)
			}
			p.Waybills, p.Part = all, 0
			delete(splits, p.Publication)
		}
		m.ManifestV1 = p
		m.Pending = nil
		m.Revision++
	}
	return m
}

// SplitManifest cuts p into the fewest publications under publication id
// whose payloads each fit max bytes, waybills in order; p itself when it
// fits. It fails if more than MaxManifestParts would be needed.
func SplitManifest(p ManifestV1, publication string, max int) ([]ManifestV1, error) {
	raw, _ := json.Marshal(p)
	if len(raw) <= max {
		return []ManifestV1{p}, nil
	}
	head := p
	head.Waybills, head.Publication, head.Part, head.Parts = []string{}, publication, MaxManifestParts, MaxManifestParts
	base, _ := json.Marshal(head)
	var parts []ManifestV1
	size, cur := len(base), []string{}
	for _, w := range p.Waybills {
		q, _ := json.Marshal(w)
		if len(cur) > 0 && size+len(q)+1 > max {
			parts = append(parts, ManifestV1{Waybills: cur})
			size, cur = len(base), []string{}
		}
		size += len(q) + 1
		cur = append(cur, w)
	}
	parts = append(parts, ManifestV1{Waybills: cur})
	if len(parts) > MaxManifestParts {
		return nil, problem.New(problem.ManifestTooLarge, "size", len(raw), "max", MaxManifestParts*max)
	}
	for i := range parts {
		w := parts[i].Waybills
		parts[i] = p
		parts[i].Waybills, parts[i].Publication, parts[i].Part, parts[i].Parts = w, publication, i+1, len(parts)
	}
	return parts, nil
}

// Signature is one party's confirmation: the SHA-256 of a signature drawn
// on the counter pad (the SVG itself travels in the event, not in folded
// state), or another explicit, keepable confirmation such as a code the
// courier entered on their own device.
type Signature struct {
	Signer       string `json:"signer"` // who signed: courier id or staff id
	SHA256       string `json:"sha256,omitempty"`
	SVG          string `json:"svg,omitempty"`
	Confirmation string `json:"confirmation,omitempty"`
}

// Signed reports whether the signature holds a drawn signature or an
// explicit confirmation, from a named signer.
func (s Signature) Signed() bool { return s.Signer != "" && (s.SHA256 != "" || s.Confirmation != "") }

// HandoverOpenedV1 is the payload of HandoverOpened.
type HandoverOpenedV1 struct {
	Manifests []string `json:"manifests"` // may be empty: a courier without a manifest
	Courier   string   `json:"courier"`
	Staff     string   `json:"staff"`
	At        int64    `json:"at"`
}

// HandoverScanV1 is the payload of HandoverScanned. Scanning the same
// waybill again is allowed and recorded; it counts once.
type HandoverScanV1 struct {
	Waybill string `json:"waybill"`
	At      int64  `json:"at"`
}

// HandoverClosedV1 is the payload of HandoverClosed: both signatures are
// required.
type HandoverClosedV1 struct {
	Courier Signature `json:"courier"`
	Clerk   Signature `json:"clerk"`
	At      int64     `json:"at"`
}

// HandoverCounts are a session's live counts. Scanned counts distinct
// waybills, Matched those of them on a manifest; Duplicates counts repeat
// scans.
type HandoverCounts struct {
	Expected   int `json:"expected"`
	Scanned    int `json:"scanned"`
	Matched    int `json:"matched"`
	Missing    int `json:"missing"`
	Extra      int `json:"extra"`
	Duplicates int `json:"duplicates"`
}

// Handover is a handover session's folded state, reconciled against the
// manifests it was opened with.
type Handover struct {
	ID        string   `json:"id"`
	Outlet    string   `json:"outlet"`
	State     string   `json:"state"`
	Courier   string   `json:"courier"`
	Staff     string   `json:"staff"`
	Manifests []string `json:"manifests"`
	// UnknownManifests are manifest ids the session names that were not
	// passed to the fold (not yet received): their waybills count as extra
	// until they arrive.
	UnknownManifests []string          `json:"unknown_manifests,omitempty"`
	Expected         []string          `json:"expected"` // sorted
	Scanned          []string          `json:"scanned"`  // distinct, in scan order
	Missing          []string          `json:"missing"`  // sorted
	Extra            []string          `json:"extra"`    // in scan order
	Counts           HandoverCounts    `json:"counts"`
	OpenedAt         time.Time         `json:"opened_at,omitzero"`
	ClosedAt         time.Time         `json:"closed_at,omitzero"`
	Signatures       *HandoverClosedV1 `json:"signatures,omitempty"`
	History          []HistoryItem     `json:"history,omitempty"`
	Conflicts        []Conflict        `json:"conflicts,omitempty"`
}

// handoverSteps: event type → the states it may follow ("" is no session).
var handoverSteps = map[string][]string{
	HandoverOpened:  {""},
	HandoverScanned: {HandoverStateOpen},
	HandoverClosed:  {HandoverStateOpen},
}

var handoverOrder = []string{HandoverOpened, HandoverScanned, HandoverClosed}

// Allowed lists the handover event types legal now.
func (h *Handover) Allowed() []string {
	var out []string
	for _, t := range handoverOrder {
		if slices.Contains(handoverSteps[t], h.State) {
			out = append(out, t)
		}
	}
	return out
}

// Check says whether event type t may be recorded now. A close must also
// pass CheckClose.
func (h *Handover) Check(t string) error {
	if slices.Contains(handoverSteps[t], h.State) {
		return nil
	}
	var why problem.Code
	if h.State == HandoverStateClosed {
		why = problem.HandoverClosed
	}
	if _, ok := handoverSteps[t]; !ok {
		why = problem.StepUnknown
	}
	return &StepError{Entity: "handover", ID: h.ID, State: h.State, Step: t, Allowed: h.Allowed(), Why: why}
}

// CheckClose says whether the session may be closed with these signatures:
// it must be open, and both the courier and the clerk must have signed.
func (h *Handover) CheckClose(c HandoverClosedV1) error {
	if err := h.Check(HandoverClosed); err != nil {
		return err
	}
	var missing []string
	if !c.Courier.Signed() {
		missing = append(missing, "courier")
	}
	if !c.Clerk.Signed() {
		missing = append(missing, "clerk")
	}
	if len(missing) > 0 {
		return &StepError{Entity: "handover", ID: h.ID, State: h.State, Step: HandoverClosed, Allowed: h.Allowed(),
			Why: problem.HandoverUnsigned, Params: map[string]any{"missing": missing}}
	}
	return nil
}

// FoldHandover folds a handover session's events against the manifests it
// names (pass every manifest the outlet holds that the session may name;
// others are ignored). It is a fold, so a session interrupted by a crash is
// just its events so far: fold them again and carry on scanning. Scans may
// arrive in any order and repeat; each waybill counts once. A waybill on no
// manifest of the session is accepted and listed as extra.
func FoldHandover(id string, evs []syncproto.Event, manifests []Manifest) Handover {
	return Handover{ID: id}.fold(evs, manifests)
}

// fold folds evs onto h, the fold of the events before them, against the
// manifests evs open the session with (those h opened it with are in its
// Expected already).
func (h Handover) fold(evs []syncproto.Event, manifests []Manifest) Handover {
	Order(evs)
	byID := map[string]*Manifest{}
	for i := range manifests {
		if manifests[i].Revision > 0 {
			byID[manifests[i].ID] = &manifests[i]
		}
	}
	expected := map[string]bool{}
	for _, w := range h.Expected {
		expected[w] = true
	}
	scanned := map[string]bool{}
	for _, w := range h.Scanned {
		scanned[w] = true
	}
	for i := range evs {
		ev := &evs[i]
		if _, ok := handoverSteps[ev.Type]; !ok {
			continue
		}
		var at int64
		var note string
		switch ev.Type {
		case HandoverOpened:
			var o HandoverOpenedV1
			if decode(ev, &o) != nil {
				continue
			}
			if err := h.Check(ev.Type); err != nil {
				h.conflict(ev, err)
				continue
			}
			h.Outlet, h.State, h.Courier, h.Staff, h.OpenedAt = ev.Origin, HandoverStateOpen, o.Courier, o.Staff, time.UnixMilli(o.At).UTC()
			for _, mid := range o.Manifests {
				if slices.Contains(h.Manifests, mid) {
					continue
				}
				h.Manifests = append(h.Manifests, mid)
				m, ok := byID[mid]
				if !ok {
					h.UnknownManifests = append(h.UnknownManifests, mid)
					continue
				}
				for _, w := range m.Waybills {
					expected[w] = true
				}
			}
			at = o.At
		case HandoverScanned:
			var s HandoverScanV1
			if decode(ev, &s) != nil || s.Waybill == "" {
				continue
			}
			if err := h.Check(ev.Type); err != nil {
				h.conflict(ev, err)
				continue
			}
			at, note = s.At, s.Waybill
			if scanned[s.Waybill] {
				h.Counts.Duplicates++
				note += " 重复扫描 / repeat scan"
			} else {
				scanned[s.Waybill] = true
				h.Scanned = append(h.Scanned, s.Waybill)
			}
		case HandoverClosed:
			var c HandoverClosedV1
			if decode(ev, &c) != nil {
				continue
			}
			if err := h.CheckClose(c); err != nil {
				h.conflict(ev, err)
				continue
			}
			c.Courier.SVG, c.Clerk.SVG = "", "" // kept in the event; state needs only the hashes
			h.State, h.ClosedAt, h.Signatures, at = HandoverStateClosed, time.UnixMilli(c.At).UTC(), &c, c.At
		}
		h.History = append(h.History, HistoryItem{Step: ev.Type, State: h.State, Actor: ev.Actor, Origin: ev.Origin, At: at, Note: note})
	}
	h.Expected = make([]string, 0, len(expected))
	for w := range expected {
		h.Expected = append(h.Expected, w)
	}
	slices.Sort(h.Expected)
	h.Missing, h.Extra = []string{}, []string{}
	for _, w := range h.Expected {
		if !scanned[w] {
			h.Missing = append(h.Missing, w)
		}
	}
	for _, w := range h.Scanned {
		if !expected[w] {
			h.Extra = append(h.Extra, w)
		}
	}
	if h.Scanned == nil {
		h.Scanned = []string{}
	}
	h.Counts.Expected, h.Counts.Scanned, h.Counts.Missing, h.Counts.Extra = len(h.Expected), len(h.Scanned), len(h.Missing), len(h.Extra)
	h.Counts.Matched = h.Counts.Scanned - h.Counts.Extra
	return h
}

// sessionManifests returns the held manifests a session's events name.
func sessionManifests(evs []syncproto.Event, held Held) []Manifest {
	if held == nil {
		return nil
	}
	var out []Manifest
	for i := range evs {
		if evs[i].Type != HandoverOpened {
			continue
		}
		var o HandoverOpenedV1
		if json.Unmarshal(evs[i].Payload, &o) != nil {
			continue
		}
		for _, id := range o.Manifests {
			if m, ok := held.Manifest(id); ok && m.Revision > 0 {
				out = append(out, m)
			}
		}
	}
	return out
}

func (h *Handover) conflict(ev *syncproto.Event, err error) {
	h.Conflicts = append(h.Conflicts, conflictOf(ev, ev.Type, h.State, err))
}

// HandoverException is an exception a closed handover raises.
type HandoverException struct {
	// ID is the exception id: use it as the Subject of the
	// ExceptionReported event. It depends only on the session id and the
	// waybill, so raising the same exception again — a retry after a crash,
	// or outlet and head office both raising it — reports the same entity
	// twice; FoldException keeps the first report and records any repeat as
	// a conflict, so head office holds exactly one exception per id.
	ID     string              `json:"id"`
	Report ExceptionReportedV1 `json:"report"`
}

// HandoverExceptionID is the exception id for a waybill found missing or
// extra in a handover session: "hx-" and the first 16 bytes of
// SHA-256(session id, NUL, waybill) in hex.
func HandoverExceptionID(session, waybill string) string {
	sum := sha256.Sum256([]byte(session + "\x00" + waybill))
	return "hx-" + hex.EncodeToString(sum[:16])
}

// Exceptions lists the exceptions to raise once the session is closed:
// every missing waybill a suspected loss ("lost") and every extra one a
// "mis_sorted", owned by the clerk who signed, stamped with the close time.
// It returns nil while the session is open. Missing come first in waybill
// order, then extras in scan order, so every side lists them the same way.
func (h *Handover) Exceptions() []HandoverException {
	if h.State != HandoverStateClosed {
		return nil
	}
	owner := h.Staff
	if h.Signatures != nil && h.Signatures.Clerk.Signer != "" {
		owner = h.Signatures.Clerk.Signer
	}
	at := h.ClosedAt.UnixMilli()
	var out []HandoverException
	for _, w := range h.Missing {
		out = append(out, HandoverException{ID: HandoverExceptionID(h.ID, w), Report: ExceptionReportedV1{Waybill: w, Kind: "lost", Owner: owner, At: at, Handover: h.ID}})
	}
	for _, w := range h.Extra {
		out = append(out, HandoverException{ID: HandoverExceptionID(h.ID, w), Report: ExceptionReportedV1{Waybill: w, Kind: "mis_sorted", Owner: owner, At: at, Handover: h.ID}})
	}
	return out
}
