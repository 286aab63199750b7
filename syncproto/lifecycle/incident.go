package lifecycle

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// An incident report (事故报告) is what an outlet tells head office about
// something that stops or slows its service: when it happened, where, its
// cause, its impact and photos. Head office acknowledges it, resolves it
// and may turn it into a notice draft; the outlet closes it once its
// service is back (head office may close it too).
//
//	reported ──acknowledge (hub)──▶ acknowledged ──resolve (hub)──▶ resolved ──close──▶ closed
//	note: either side, any state but closed; it keeps the state.
//
// Photos travel as their own events (IncidentPhoto), each photo cut into
// parts of at most IncidentPhotoPartBytes so that every event stays far
// below syncproto.MaxEventBytes and a batch within the MQTT frame budget;
// the outlet records a report's parts before the report itself, so head
// office never lists a report whose photos are still to come.
const (
	IncidentReported = "incident.reported"
	IncidentPhoto    = "incident.photo"
	IncidentStep     = "incident.step"
)

// Incident states.
const (
	IncidentStateReported     = "reported"
	IncidentStateAcknowledged = "acknowledged"
	IncidentStateResolved     = "resolved"
	IncidentStateClosed       = "closed"
)

// Incident limits, checked the same way at the counter, the agent and the
// hub. The screen resizes and compresses a photo to fit MaxIncidentPhotoBytes
// before it sends it.
const (
	MaxIncidentPhotos      = 4
	MaxIncidentPhotoBytes  = 300 << 10
	IncidentPhotoPartBytes = 40 << 10 // 54 KiB as base64, within MaxEventBytes
	MaxIncidentPhotoParts  = (MaxIncidentPhotoBytes + IncidentPhotoPartBytes - 1) / IncidentPhotoPartBytes
	MaxIncidentPlace       = 200  // characters
	MaxIncidentText        = 2000 // characters
	MaxIncidentCauseText   = 100  // characters
	MaxIncidentNote        = 1000 // characters
	MaxIncidentParcels     = 100_000
	MaxIncidentDelayHours  = 24 * 30
)

// IncidentCauses are the table's codes of an incident's "cause".
var IncidentCauses = codes(incidentVocab, "cause")

var incidentOpen = open(IncidentStateReported, IncidentStateAcknowledged, IncidentStateResolved)

var incidentMachine = machine{
	entity: "incident",
	order:  []string{"acknowledge", "resolve", "close", "note"},
	closed: IncidentStateClosed,
	steps: map[string]step{
		"acknowledge": {from: []string{IncidentStateReported}, to: IncidentStateAcknowledged, hubOnly: true},
		"resolve":     {from: []string{IncidentStateAcknowledged}, to: IncidentStateResolved, hubOnly: true},
		"close":       {from: []string{IncidentStateResolved}, to: IncidentStateClosed},
		"note":        {from: incidentOpen},
	},
}

// IncidentSteps lists every step of an incident, in the order screens list
// them.
func IncidentSteps() []string { return slices.Clone(incidentMachine.order) }

// IncidentPhotoRef names one photo of a report: its hash, size and how many
// parts carry it.
type IncidentPhotoRef struct {
	SHA256 string `json:"sha256"`
	Size   int    `json:"size"`
	Parts  int    `json:"parts"`
}

// IncidentReportedV1 is the payload of IncidentReported; the subject is
// the incident id.
type IncidentReportedV1 struct {
	// OccurredAt is when it happened as the clerk gave it, Unix ms.
	OccurredAt int64 `json:"occurred_at"`
	// Place is where, in the clerk's words; "" means the outlet itself.
	Place      string             `json:"place,omitempty"`
	Cause      string             `json:"cause"`
	CauseText  string             `json:"cause_text,omitempty"` // what "other" is
	Parcels    int                `json:"parcels"`              // parcels affected
	DelayHours int                `json:"delay_hours"`          // expected delay
	Text       string             `json:"text"`
	Photos     []IncidentPhotoRef `json:"photos,omitempty"`
	At         int64              `json:"at"` // hub-corrected Unix ms of the report
}

// IncidentPhotoV1 is the payload of IncidentPhoto: part Part (from 0) of
// Parts of the photo SHA256, its bytes as standard base64.
type IncidentPhotoV1 struct {
	SHA256 string `json:"sha256"`
	Part   int    `json:"part"`
	Parts  int    `json:"parts"`
	Data   string `json:"data"`
}

// IncidentStepV1 is the payload of IncidentStep.
type IncidentStepV1 struct {
	Step string `json:"step"`
	Note string `json:"note,omitempty"`
	At   int64  `json:"at"`
}

// IncidentPhotoState is a photo of a report with how many of its parts
// have arrived.
type IncidentPhotoState struct {
	IncidentPhotoRef
	Received int  `json:"received"`
	Complete bool `json:"complete"`
}

// Incident is an incident report's folded state.
type Incident struct {
	ID          string               `json:"id"`
	Outlet      string               `json:"outlet"`
	State       string               `json:"state"`
	Reporter    string               `json:"reporter"`
	OccurredAt  time.Time            `json:"occurred_at"`
	Place       string               `json:"place,omitempty"`
	Cause       string               `json:"cause"`
	CauseText   string               `json:"cause_text,omitempty"`
	Parcels     int                  `json:"parcels"`
	DelayHours  int                  `json:"delay_hours"`
	Text        string               `json:"text"`
	Photos      []IncidentPhotoState `json:"photos"`
	ReportedAt  time.Time            `json:"reported_at"`
	AckedAt     time.Time            `json:"acked_at,omitzero"`
	ResolvedAt  time.Time            `json:"resolved_at,omitzero"`
	ClosedAt    time.Time            `json:"closed_at,omitzero"`
	History     []HistoryItem        `json:"history,omitempty"`
	Conflicts   []Conflict           `json:"conflicts,omitempty"`
	parts       map[string][]bool    // photo hash → parts seen
	partsBefore []IncidentPhotoV1    // parts seen before the report named them
}

// Allowed lists the steps a side may take now.
func (x *Incident) Allowed(origin string) []string {
	return incidentMachine.allowed(x.State, origin)
}

// Check says whether origin may take step now with payload s.
func (x *Incident) Check(s IncidentStepV1, origin string) error {
	if x.State == "" {
		return &StepError{Entity: "incident", ID: x.ID, Step: s.Step}
	}
	if err := incidentMachine.check(x.ID, x.State, s.Step, origin); err != nil {
		return err
	}
	return CheckIncidentNote(s.Note)
}

// CheckIncidentNote bounds a step's note.
func CheckIncidentNote(note string) error {
	if utf8.RuneCountInString(note) > MaxIncidentNote {
		return problem.New(problem.IncidentTooLong, "field", "note", "max", MaxIncidentNote)
	}
	return nil
}

// FoldIncident folds one incident's events from every side.
func FoldIncident(id string, evs []syncproto.Event) Incident {
	return Incident{ID: id, Photos: []IncidentPhotoState{}}.fold(evs)
}

// fold folds evs onto x, the fold of the events before them. The parts
// seen of a photo still arriving are not in the state, so x must be
// settled for the result to be the fold of all.
func (x Incident) fold(evs []syncproto.Event) Incident {
	Order(evs)
	for _, ph := range x.Photos {
		if ph.Complete && ph.Parts > 0 {
			if x.parts == nil {
				x.parts = map[string][]bool{}
			}
			x.parts[ph.SHA256] = slices.Repeat([]bool{true}, ph.Parts)
		}
	}
	for i := range evs {
		x.apply(&evs[i])
	}
	x.parts, x.partsBefore = nil, nil
	return x
}

// settled: reported, with every photo whole, so the state holds all the
// fold knows.
func (x *Incident) settled() bool {
	if x.State == "" {
		return false
	}
	for _, ph := range x.Photos {
		if !ph.Complete {
			return false
		}
	}
	return true
}

func (x *Incident) apply(ev *syncproto.Event) {
	switch ev.Type {
	case IncidentReported:
		var r IncidentReportedV1
		if decode(ev, &r) != nil {
			return
		}
		if x.State != "" {
			x.Conflicts = append(x.Conflicts, conflictOf(ev, "report", x.State, problem.New(problem.IncidentReported)))
			return
		}
		x.Outlet, x.State, x.Reporter = ev.Origin, IncidentStateReported, ev.Actor
		x.OccurredAt, x.Place, x.Cause, x.CauseText = time.UnixMilli(r.OccurredAt).UTC(), r.Place, r.Cause, r.CauseText
		x.Parcels, x.DelayHours, x.Text = r.Parcels, r.DelayHours, r.Text
		x.ReportedAt = time.UnixMilli(r.At).UTC()
		for _, p := range r.Photos {
			x.Photos = append(x.Photos, IncidentPhotoState{IncidentPhotoRef: p})
		}
		for _, p := range x.partsBefore {
			x.notePart(p)
		}
		x.partsBefore = nil
		x.History = append(x.History, HistoryItem{Step: "report", State: x.State, Actor: ev.Actor, Origin: ev.Origin, At: r.At})
	case IncidentPhoto:
		var p IncidentPhotoV1
		if decode(ev, &p) != nil || ev.Origin != x.Outlet && x.State != "" {
			return
		}
		p.Data = "" // the fold keeps which parts came, not their bytes
		if x.State == "" {
			x.partsBefore = append(x.partsBefore, p)
			return
		}
		x.notePart(p)
	case IncidentStep:
		var s IncidentStepV1
		if decode(ev, &s) != nil {
			return
		}
		if err := x.Check(s, ev.Origin); err != nil {
			x.Conflicts = append(x.Conflicts, conflictOf(ev, s.Step, x.State, err))
			return
		}
		at := time.UnixMilli(s.At).UTC()
		switch s.Step {
		case "acknowledge":
			x.AckedAt = at
		case "resolve":
			x.ResolvedAt = at
		case "close":
			x.ClosedAt = at
		}
		x.State = incidentMachine.next(x.State, s.Step)
		x.History = append(x.History, HistoryItem{Step: s.Step, State: x.State, Actor: ev.Actor, Origin: ev.Origin, At: s.At, Note: s.Note})
	}
}

// notePart marks a part of a photo the report names as arrived.
func (x *Incident) notePart(p IncidentPhotoV1) {
	i := slices.IndexFunc(x.Photos, func(ph IncidentPhotoState) bool { return ph.SHA256 == p.SHA256 })
	if i < 0 || p.Parts != x.Photos[i].Parts || p.Part < 0 || p.Part >= p.Parts {
		return
	}
	if x.parts == nil {
		x.parts = map[string][]bool{}
	}
	seen := x.parts[p.SHA256]
	if seen == nil {
		seen = make([]bool, p.Parts)
		x.parts[p.SHA256] = seen
	}
	if seen[p.Part] {
		return
	}
	seen[p.Part] = true
	ph := &x.Photos[i]
	ph.Received++
	ph.Complete = ph.Received == ph.Parts
}

// CheckIncident validates a new report's fields (not its photos' bytes:
// CheckIncidentPhoto does, part by part).
func CheckIncident(r IncidentReportedV1) error {
	if !slices.Contains(IncidentCauses, r.Cause) {
		return problem.New(problem.IncidentBadField, "field", "cause", "value", r.Cause, "allowed", IncidentCauses)
	}
	if r.OccurredAt <= 0 {
		return problem.New(problem.IncidentFieldRequired, "field", "occurred_at")
	}
	if strings.TrimSpace(r.Text) == "" {
		return problem.New(problem.IncidentFieldRequired, "field", "text")
	}
	if r.Cause == "other" && strings.TrimSpace(r.CauseText) == "" {
		return problem.New(problem.IncidentFieldRequired, "field", "cause_text")
	}
	for _, f := range []struct {
		name, val string
		max       int
	}{{"place", r.Place, MaxIncidentPlace}, {"text", r.Text, MaxIncidentText}, {"cause_text", r.CauseText, MaxIncidentCauseText}} {
		if utf8.RuneCountInString(f.val) > f.max {
			return problem.New(problem.IncidentTooLong, "field", f.name, "max", f.max)
		}
	}
	for _, f := range []struct {
		name   string
		n, max int
	}{{"parcels", r.Parcels, MaxIncidentParcels}, {"delay_hours", r.DelayHours, MaxIncidentDelayHours}} {
		if f.n < 0 || f.n > f.max {
			return problem.New(problem.IncidentBadNumber, "field", f.name, "max", f.max)
		}
	}
	if len(r.Photos) > MaxIncidentPhotos {
		return problem.New(problem.IncidentPhotoTooMany, "max", MaxIncidentPhotos)
	}
	for i, p := range r.Photos {
		if p.Size <= 0 || p.Size > MaxIncidentPhotoBytes {
			return problem.New(problem.IncidentPhotoTooLarge, "n", i+1, "kb", (p.Size+1023)>>10, "max_kb", MaxIncidentPhotoBytes>>10)
		}
		if !hexSHA256(p.SHA256) || p.Parts != PhotoParts(p.Size) {
			return problem.New(problem.IncidentPhotoBadPart, "detail", fmt.Sprintf("photo %d: hash or part count", i+1))
		}
	}
	return nil
}

// PhotoParts is how many parts carry a photo of size bytes.
func PhotoParts(size int) int { return (size + IncidentPhotoPartBytes - 1) / IncidentPhotoPartBytes }

// SplitIncidentPhoto names a photo and cuts its bytes into the payloads of
// its part events.
func SplitIncidentPhoto(b []byte) (IncidentPhotoRef, []IncidentPhotoV1) {
	sum := sha256.Sum256(b)
	ref := IncidentPhotoRef{SHA256: hex.EncodeToString(sum[:]), Size: len(b), Parts: PhotoParts(len(b))}
	out := make([]IncidentPhotoV1, 0, ref.Parts)
	for i := range ref.Parts {
		part := b[i*IncidentPhotoPartBytes : min(len(b), (i+1)*IncidentPhotoPartBytes)]
		out = append(out, IncidentPhotoV1{SHA256: ref.SHA256, Part: i, Parts: ref.Parts, Data: base64.StdEncoding.EncodeToString(part)})
	}
	return ref, out
}

// JoinIncidentPhoto puts photo sha of incident x back together from the
// incident's events (the outlet's parts, each once, in any order), checks
// it against its hash, size and JPEG start, and returns its bytes; the
// error is IncidentPhotoMissing until every part is in.
func JoinIncidentPhoto(x *Incident, sha string, evs []syncproto.Event) ([]byte, error) {
	i := slices.IndexFunc(x.Photos, func(p IncidentPhotoState) bool { return p.SHA256 == sha })
	missing := problem.New(problem.IncidentPhotoMissing, "id", x.ID, "sha", sha)
	if i < 0 {
		return nil, missing
	}
	ref := x.Photos[i].IncidentPhotoRef
	parts := make([][]byte, ref.Parts)
	for j := range evs {
		e := &evs[j]
		if e.Type != IncidentPhoto || e.Origin != x.Outlet {
			continue
		}
		var p IncidentPhotoV1
		if json.Unmarshal(e.Payload, &p) != nil || p.SHA256 != sha || p.Parts != ref.Parts || p.Part < 0 || p.Part >= p.Parts || parts[p.Part] != nil {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(p.Data)
		if err != nil {
			continue
		}
		parts[p.Part] = b
	}
	var out []byte
	for _, b := range parts {
		if b == nil {
			return nil, missing
		}
		out = append(out, b...)
	}
	sum := sha256.Sum256(out)
	if len(out) != ref.Size || hex.EncodeToString(sum[:]) != sha || CheckJPEG(out, i+1) != nil {
		return nil, missing
	}
	return out, nil
}

// CheckIncidentPhoto validates one photo part on its own: a known hash
// form, a part within its count, at most IncidentPhotoPartBytes of
// base64, and a JPEG's first bytes on the first part.
func CheckIncidentPhoto(p IncidentPhotoV1) error {
	bad := func(detail string) error { return problem.New(problem.IncidentPhotoBadPart, "detail", detail) }
	if !hexSHA256(p.SHA256) {
		return bad("sha256 is not 64 hex digits")
	}
	if p.Parts < 1 || p.Parts > MaxIncidentPhotoParts || p.Part < 0 || p.Part >= p.Parts {
		return problem.New(problem.IncidentPhotoTooLarge, "n", 1, "kb", p.Parts*IncidentPhotoPartBytes>>10, "max_kb", MaxIncidentPhotoBytes>>10)
	}
	if base64.StdEncoding.DecodedLen(len(p.Data)) > IncidentPhotoPartBytes+2 {
		return bad("a part is over its size")
	}
	b, err := base64.StdEncoding.DecodeString(p.Data)
	if err != nil || len(b) == 0 || len(b) > IncidentPhotoPartBytes {
		return bad("a part is not base64 of 1 to 40 KiB")
	}
	if p.Part == 0 {
		return CheckJPEG(b, 1)
	}
	return nil
}

// CheckJPEG accepts bytes that begin as a JPEG does (and that no browser
// sniffs as anything else); n numbers the photo in the error.
func CheckJPEG(b []byte, n int) error {
	if !bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}) {
		return problem.New(problem.IncidentPhotoNotJPEG, "n", n, "type", imageType(b))
	}
	return nil
}

func hexSHA256(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// CheckIncidentUplink checks an incident event an outlet sent on its own,
// whatever the incident's state: the report's fields, a photo part's
// bounds and bytes, and that a step is one an outlet may take at all. Head
// office refuses (dead-letters) an event that fails, so nothing of it is
// stored; the state's own rules are the fold's (a step too early is a
// conflict, as for every kind).
func CheckIncidentUplink(ev *syncproto.Event) error {
	switch ev.Type {
	case IncidentReported:
		var r IncidentReportedV1
		if err := json.Unmarshal(ev.Payload, &r); err != nil {
			return problem.New(problem.IncidentBadField, "field", "payload", "value", "", "allowed", []string{})
		}
		return CheckIncident(r)
	case IncidentPhoto:
		var p IncidentPhotoV1
		if err := json.Unmarshal(ev.Payload, &p); err != nil {
			return problem.New(problem.IncidentPhotoBadPart, "detail", "payload is not a photo part")
		}
		return CheckIncidentPhoto(p)
	case IncidentStep:
		var s IncidentStepV1
		if err := json.Unmarshal(ev.Payload, &s); err != nil {
			return problem.New(problem.IncidentBadField, "field", "payload", "value", "", "allowed", IncidentSteps())
		}
		st, ok := incidentMachine.steps[s.Step]
		switch {
		case !ok:
			return &StepError{Entity: "incident", ID: ev.Subject, State: "?", Step: s.Step, Allowed: IncidentSteps(), Why: problem.StepUnknown}
		case st.hubOnly && ev.Origin != syncproto.HubOrigin:
			return &StepError{Entity: "incident", ID: ev.Subject, State: "?", Step: s.Step, Why: problem.StepHubOnly}
		}
		return CheckIncidentNote(s.Note)
	}
	return nil
}

func incidentOpenNow(x *Incident) bool { return x.State != "" && x.State != IncidentStateClosed }

func checkIncident(x *Incident, ev *syncproto.Event) error {
	if err := CheckIncidentUplink(ev); err != nil {
		return err
	}
	switch ev.Type {
	case IncidentStep:
		var s IncidentStepV1
		if err := json.Unmarshal(ev.Payload, &s); err != nil {
			return err
		}
		return x.Check(s, ev.Origin)
	case IncidentReported:
		if x.State != "" {
			return problem.New(problem.IncidentReported)
		}
	}
	return nil
}

// imageType names what bytes that are not a JPEG look like, for the
// error (the few kinds a clerk might pick by mistake).
func imageType(b []byte) string {
	for _, t := range []struct{ magic, name string }{
		{"\x89PNG", "image/png"}, {"GIF8", "image/gif"}, {"RIFF", "image/webp"}, {"<", "text/html"}, {"%PDF", "application/pdf"},
	} {
		if bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte(t.magic)) {
			return t.name
		}
	}
	return "application/octet-stream"
}
