package lifecycle

// LoginAuditV1 is the payload of the login and lockout audit events
// (LoginSucceeded, LoginFailed, StaffLocked, StaffUnlocked, LoginLimited).
// It never holds a PIN, right or wrong.
type LoginAuditV1 struct {
	// StaffID is the id the login named, normalised (trimmed, lower
	// case); for an id no member has, as typed, cut to 32 characters with
	// control characters replaced.
	StaffID string `json:"staff_id,omitempty"`
	// Unknown is true when no member has StaffID.
	Unknown bool `json:"unknown,omitempty"`
	// Client is the address the login came from (an IPv6 address as its
	// /64), "" for one made inside the agent.
	Client string `json:"client,omitempty"`
	// Reason is why a login with the right PIN failed (LoginFailed):
	// "disabled". Empty for a wrong PIN.
	Reason string `json:"reason,omitempty"`
	// Failures is how many wrong PINs in a row the id (LoginFailed) or
	// the client (LoginLimited) has had.
	Failures int `json:"failures,omitempty"`
	// Lock is which lock in a row this is (StaffLocked): each lasts twice
	// as long as the one before, up to a day.
	Lock int `json:"lock,omitempty"`
	// Until is when a lock or a client's limit ends, Unix ms.
	Until int64 `json:"until,omitempty"`
	// At is when it happened on the outlet's clock, Unix ms.
	At int64 `json:"at"`
}

// Retention parts: what a RetentionRan event is about.
const (
	RetentionEvents   = "events"   // acknowledged events pruned from an outlet's log
	RetentionPersonal = "personal" // personal data of finished business purged
)

// RetentionV1 is the payload of RetentionRan, and the detail of head
// office's own purge in its audit trail: what one run removed.
type RetentionV1 struct {
	// Part is RetentionEvents or RetentionPersonal.
	Part string `json:"part"`
	// Days is the configured period; Cutoff the instant before which
	// things went (Unix ms).
	Days   int   `json:"days"`
	Cutoff int64 `json:"cutoff"`
	// Removed counts what went by kind: "events" (and "first_seq",
	// "last_seq" of them) for the log; for personal data the entities of
	// each entity kind, "values" (personal members removed) and
	// "photos".
	Removed map[string]int64 `json:"removed"`
	// At is when the run ended, Unix ms, on the clock of whoever ran it.
	At int64 `json:"at"`
}

// Subject is the subject of the RetentionRan event of r.
func (r RetentionV1) Subject() string { return "retention/" + r.Part }
