// Package lifecycle holds the business event types that outlets and head
// office exchange, their payloads, and the one set of rules both sides fold
// them with: which step is legal in which state, who may take it, and what
// state results. The agent and the hub call the same functions, so they
// always decide the same way.
//
// # Convergence
//
// An outlet and head office may act on the same exception or complaint while
// they are apart. Each side keeps every event and folds an entity's events in
// one total order — HLC stamp, then origin, then sequence — that both sides
// see the same once they hold the same events. A step that is illegal at its
// place in that order (for example an outlet closing a complaint that head
// office escalated and closed first) changes nothing and is kept in the
// entity's Conflicts, so nobody's action silently vanishes. Folding the same
// events in any arrival order yields identical state.
//
// One exception to "the same order": an outlet whose PC clock ran further
// ahead of the hub's than the skew bound (hlc.Adoptable). The hub keeps its
// events with their stamps but folds each at hub receipt time plus the bound
// (Event.OrderHLC), so head office's later steps order after them without
// inheriting that clock. Outlets in step with the hub fold as the hub does.
// The skewed outlet itself still folds its own events by their stamps, after
// head office's steps, until its clock is fixed; its sync status says so.
//
// When a person takes a step, the side that records it first checks it
// against the current folded state with Check, and refuses an illegal step
// with a *StepError naming the state and the steps allowed.
//
// # Time
//
// Deadlines use hub-corrected time: each step's payload carries At, the
// recording side's best estimate of head-office time in Unix milliseconds,
// never the raw PC clock.
//
// # Kinds
//
// Every event belongs to an entity of one kind (kinds.go): parcels,
// exceptions, complaints, notices, templates, manifests, handover sessions,
// dispatch batches, an outlet's waybill numbers, shipments, tariff and
// prohibited-list versions. The table there is the one list of them, with
// each kind's fold, what "open" means for it, the row head office lists
// and the codes its payloads carry.
//
// The package does no I/O.
package lifecycle
