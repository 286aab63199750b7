// Package downlink is what head office's action packages (cases, notices,
// catalog, manifests, and waybills for its small rules) share to take a
// step: read the entity's events in fold order, check the step against
// their fold, and publish it down to the outlets as hub events ordered
// after them, stamped with head office's clock, one step at a time. It
// also lists entities by folding each row of a case-list page, and holds
// the small rules the payloads these packages send share (new entity ids,
// RFC 3339 request times, printable fields).
//
// One Sender serves every action package, so its lock serialises every
// head-office step: two people acting on the same entity at once get a
// clean refusal instead of a conflict in the fold. With several hub
// processes on one database the lock is also the store's step lock
// (store.LockSteps), so a step checked on one hub is committed before
// another hub checks the same entity. Outlets acting concurrently are the
// convergence case syncproto/lifecycle handles.
package downlink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// HeadOffice is the origin of every step head office takes.
const HeadOffice = syncproto.HubOrigin

// DefaultActor is the actor of a step whose request names none.
const DefaultActor = "head-office"

// Store is what a Sender reads: every event about a subject, in HLC order,
// and the case list that finds entities without folding them.
type Store interface {
	SubjectEvents(ctx context.Context, subject string) ([]syncproto.Event, error)
	Cases(ctx context.Context, q store.CaseQuery) ([]store.Case, error)
}

// Publisher records hub events in the downlink log, ordered after a stamp
// (ingest.Hub.PublishDownAfter).
type Publisher interface {
	PublishDownAfter(ctx context.Context, after hlc.Timestamp, target, typ, subject string, payload json.RawMessage, actor string) (uint64, error)
}

// Locker holds a lock by name across every hub process on the database
// (store.Locker).
type Locker interface {
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// Options configure a Sender. Store and Down are required.
type Options struct {
	Store Store
	Down  Publisher
	// Locks is the store's lock across hub processes; nil for a database
	// no other hub process writes.
	Locks Locker
	// Clock is head office's wall clock; clock.System if nil.
	Clock clock.Clock
}

// Sender reads entities' events and publishes head office's steps.
type Sender struct {
	opt Options
	mu  sync.Mutex // one head-office step at a time: check, then publish
	// unlock frees the store's step lock; set while mu is held.
	unlock func()
}

// New returns a Sender.
func New(opt Options) (*Sender, error) {
	if opt.Store == nil || opt.Down == nil {
		return nil, errors.New("downlink: Store and Down are required")
	}
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	return &Sender{opt: opt}, nil
}

// Lock starts a step: it holds off every other head-office step, on this
// hub and on the others, until Unlock, so what the step was checked
// against is still all there is when it is published. It fails only when
// ctx ends or the store cannot be reached (the store's error, e.g.
// store.unreachable); then nothing is held.
func (s *Sender) Lock(ctx context.Context) error {
	s.mu.Lock()
	if s.opt.Locks == nil {
		return nil
	}
	unlock, err := s.opt.Locks.Lock(ctx, store.LockSteps)
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("take head office's step lock: %w", err)
	}
	s.unlock = unlock
	return nil
}

// Unlock ends a step Lock started.
func (s *Sender) Unlock() {
	if u := s.unlock; u != nil {
		s.unlock = nil
		u()
	}
	s.mu.Unlock()
}

// Now is head office's wall clock.
func (s *Sender) Now() time.Time { return s.opt.Clock.Now() }

// NowMs is Now in the Unix milliseconds payloads carry.
func (s *Sender) NowMs() int64 { return s.opt.Clock.Now().UnixMilli() }

// Events reads subject's events of kind (type prefix kind+".") in fold
// order.
func (s *Sender) Events(ctx context.Context, kind, subject string) ([]syncproto.Event, error) {
	all, err := s.opt.Store.SubjectEvents(ctx, subject)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, e := range all {
		if strings.HasPrefix(e.Type, kind+".") {
			out = append(out, e)
		}
	}
	lifecycle.Order(out)
	return out, nil
}

// Publish records one hub event per target, each ordered after after (the
// Newest of the events the step was checked against, or zero for a new
// entity). An empty actor is DefaultActor.
func (s *Sender) Publish(ctx context.Context, after hlc.Timestamp, targets []string, typ, subject string, payload any, actor string) error {
	raw, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s: %w", typ, err)
	}
	if actor == "" {
		actor = DefaultActor
	}
	for _, t := range targets {
		if _, err := s.opt.Down.PublishDownAfter(ctx, after, t, typ, subject, raw, actor); err != nil {
			return fmt.Errorf("publish %s %s to %s: %w", typ, subject, t, err)
		}
	}
	return nil
}

// Newest is the highest stamp among evs as they fold (an outlet stamp the
// hub capped counts at its cap): a step must order after it, and must not
// inherit a wrong clock's future.
func Newest(evs []syncproto.Event) hlc.Timestamp {
	var top hlc.Timestamp
	for i := range evs {
		top = max(top, evs[i].FoldStamp())
	}
	return top
}

// Cases reads the case list's rows q asks for.
func (s *Sender) Cases(ctx context.Context, q store.CaseQuery) ([]store.Case, error) {
	return s.opt.Store.Cases(ctx, q)
}

// List folds the entities of the case rows q selects, in their order, and
// returns the rows beside them: a caller pages on the last row's position
// (store.Case.Pos) and reads the deadline and owner the rows hold.
func List[V any](ctx context.Context, s *Sender, q store.CaseQuery, fold func(ctx context.Context, id string) (V, error)) ([]V, []store.Case, error) {
	cs, err := s.Cases(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	out := make([]V, 0, len(cs))
	for _, c := range cs {
		v, err := fold(ctx, c.ID)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, v)
	}
	return out, cs, nil
}

// Decode reports whether raw decodes into v.
func Decode(raw []byte, v any) bool { return json.Unmarshal(raw, v) == nil }

// Millis parses a request's RFC 3339 time into the Unix milliseconds
// payloads carry; field names it in the error.
func Millis(s, field string) (int64, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return 0, problem.Wrap(err, problem.RequestBadTime, "field", field, "value", s)
	}
	return t.UnixMilli(), nil
}

// Plain reports whether s has no control characters, so an outlet's screen
// and labels can show it as it is.
func Plain(s string) bool {
	return !strings.ContainsFunc(s, unicode.IsControl)
}
