// Package channels turns the messages of head office's own complaint
// channels — the webhook of the WeChat service account, the online chat and
// the call centre (webhook.go in hub/api), and the complaints mailbox read
// over IMAP (imap.go) — into complaints, each exactly once.
//
// A message becomes a head-office complaint event (origin hub) whose id is
// derived from its channel and message id, and whose claim of that key
// (store.SerialAlloc.Once) commits in the same transaction: reading a
// message twice, or again after a restart, records nothing new. Its
// category comes from lifecycle.Classify, the keyword ranking the counter
// uses for replies; it goes to the outlet the parcel index says holds the
// waybill (that outlet sees it on its next pull, as its own case), or stays
// at head office (target hub) without one. The first-reply clock starts at
// the message's arrival, clamped. Its first reply is proposed from the
// templates (lifecycle.Propose); where head office allows it for the
// category (AutoSend), the reply is sent at once as the acknowledge step,
// otherwise the complaint waits in the review queue (Review) for a person.
package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/yizhan/yizhan/hub/cases"
	"github.com/yizhan/yizhan/hub/downlink"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/phone"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// Names lists the channels a message may come from: the webhook's three and
// the mailbox (the lifecycle table's head-office channels).
var Names = lifecycle.HeadOfficeChannels

// Limits on a message, whoever sends it.
const (
	MaxMessageID = 200                // bytes of a message id
	MaxContact   = 200                // bytes of a sender's contact
	MaxText      = 16 << 10           // bytes of text kept (a longer mail is cut, not refused)
	MaxWaybill   = 40                 // bytes of a waybill number
	MaxAge       = 7 * 24 * time.Hour // an arrival further back starts the clock here
)

// AutoSendSetting is the store setting that holds the categories whose
// proposed first reply is sent without review (a JSON list).
const AutoSendSetting = "channels.autosend"

// Message is one message of a channel.
type Message struct {
	Channel   string
	ID        string    // the channel's id of it: idempotency key
	ArrivedAt time.Time // when the channel received it; zero for now
	Contact   string    // the sender: a phone, an address, an account id
	Text      string
	Waybill   string // optional
}

// Result is what became of a message.
type Result struct {
	ID        string `json:"id"`
	Ticket    string `json:"ticket"`
	Duplicate bool   `json:"duplicate"` // recorded before; nothing new
	Category  string `json:"category"`
	Outlet    string `json:"outlet"` // the outlet it went to, or "hub"
	// Reply is the proposed first reply's template, "" for none.
	Reply string `json:"reply_template,omitempty"`
	// Sent says the proposed reply went out as the first reply.
	Sent bool `json:"sent"`
}

// Store is what the service reads and writes in the store.
type Store interface {
	SearchParcels(ctx context.Context, q store.ParcelQuery) ([]store.ParcelRow, error)
	Setting(ctx context.Context, name string) (string, bool, error)
	PutSetting(ctx context.Context, name, value string) error
}

// Publisher records a head-office event once per claim key
// (ingest.Hub.PublishDownAlloc).
type Publisher interface {
	PublishDownAlloc(ctx context.Context, target, typ, subject, actor string, a store.SerialAlloc) (uint64, error)
}

// Templates lists the reply templates in force (notices.Service).
type Templates interface {
	Templates(ctx context.Context, q store.CaseQuery) ([]lifecycle.Template, []store.Case, error)
}

// Options configure a Service; every field but Clock is required.
type Options struct {
	Store     Store
	Down      Publisher
	Templates Templates
	Cases     *cases.Service
	// Master is head office's personal-data master key: what a customer
	// wrote and their contact are sealed under the key of the outlet the
	// complaint goes to, as the counter seals its own. Nil refuses every
	// message with channel.no_key, so the routes still answer the reason.
	Master *sealed.Master
	Clock  clock.Clock
	Logger *slog.Logger
}

// Service receives channel messages.
type Service struct {
	opt      Options
	master   *sealed.Master
	customer []byte

	// counts are the messages taken, by channel and Result kind, for
	// /metrics; reads and lastRead the mailbox's reads.
	counts   sync.Map         // countKey → *atomic.Uint64
	reads    [2]atomic.Uint64 // ok, failed
	lastRead atomic.Int64     // Unix ms of the last read that succeeded
}

// Results a message counts under (Count).
const (
	ResultRecorded  = "recorded"
	ResultDuplicate = "duplicate"
	ResultRefused   = "refused"
)

type countKey struct{ channel, result string }

func (s *Service) count(channel, result string) {
	v, _ := s.counts.LoadOrStore(countKey{channel, result}, new(atomic.Uint64))
	v.(*atomic.Uint64).Add(1)
}

// Count is how many messages of channel ended as result since the hub
// started.
func (s *Service) Count(channel, result string) uint64 {
	if v, ok := s.counts.Load(countKey{channel, result}); ok {
		return v.(*atomic.Uint64).Load()
	}
	return 0
}

// MailboxReads are the mailbox's reads since the hub started, those that
// succeeded and those that failed, and when one last succeeded (zero for
// never).
func (s *Service) MailboxReads() (ok, failed uint64, last time.Time) {
	if ms := s.lastRead.Load(); ms > 0 {
		last = time.UnixMilli(ms)
	}
	return s.reads[0].Load(), s.reads[1].Load(), last
}

// New returns a Service.
func New(opt Options) (*Service, error) {
	if opt.Store == nil || opt.Down == nil || opt.Templates == nil || opt.Cases == nil || opt.Logger == nil {
		return nil, errors.New("channels: Store, Down, Templates, Cases and Logger are required")
	}
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	s := &Service{opt: opt, master: opt.Master}
	if s.master != nil {
		s.customer = s.master.CustomerSecret()
	}
	return s, nil
}

// namespace derives complaint ids from channel message keys.
var namespace = uuid.MustParse("6f1c2a4e-9d3b-5c1e-8a7f-2b4d6e8f0a1c")

// Actor is the actor of the events a channel records.
func Actor(channel string) string { return "channel:" + channel }

// AutoReplyActor is the actor of a first reply sent without review.
const AutoReplyActor = "auto-reply"

// Check validates a message's fields and cleans them (trimmed; text cut
// at MaxText on a character boundary).
func Check(m *Message) error {
	if !slices.Contains(Names, m.Channel) {
		return problem.New(problem.ChannelUnknown, "channel", m.Channel, "allowed", Names)
	}
	m.ID = strings.TrimSpace(m.ID)
	if !validID(m.ID) {
		return problem.New(problem.ChannelBadMessageID, "max", MaxMessageID)
	}
	m.Contact, m.Waybill = strings.TrimSpace(m.Contact), strings.TrimSpace(m.Waybill)
	for _, f := range []struct {
		name, v string
		max     int
	}{{"contact", m.Contact, MaxContact}, {"waybill", m.Waybill, MaxWaybill}} {
		if !plain(f.v, f.max) {
			return problem.New(problem.ChannelBadField, "field", f.name, "max", f.max)
		}
	}
	m.Text = strings.TrimSpace(strings.ToValidUTF8(m.Text, "\uFFFD"))
	if len(m.Text) > MaxText {
		cut := MaxText
		for cut > 0 && !utf8.RuneStart(m.Text[cut]) {
			cut--
		}
		m.Text = m.Text[:cut]
	}
	if m.Text == "" {
		return problem.New(problem.ComplaintTextEmpty)
	}
	return nil
}

// validID says whether id may be a message id: 1 to MaxMessageID bytes,
// all printable.
func validID(id string) bool {
	return id != "" && len(id) <= MaxMessageID && strings.IndexFunc(id, func(r rune) bool { return !unicode.IsPrint(r) }) < 0
}

// plain says whether s is at most max bytes that screens show as they are
// (downlink.Plain).
func plain(s string, max int) bool { return len(s) <= max && downlink.Plain(s) }

// Arrival is when a message's first-reply clock starts at head-office
// time now: its arrival, or now for one in the future or none, and no
// further back than MaxAge (a sender's clock is not trusted).
func Arrival(at, now time.Time) time.Time {
	if at.IsZero() || at.After(now) {
		return now
	}
	if floor := now.Add(-MaxAge); at.Before(floor) {
		return floor
	}
	return at
}

// Receive records a message as a complaint, once: a message seen before
// answers its complaint with Duplicate set. A reply allowed to go out
// without review that did not (the hub stopped between the two) goes now.
func (s *Service) Receive(ctx context.Context, m Message) (Result, error) {
	res, err := s.receive(ctx, m)
	switch {
	case err != nil && problem.As(err) != nil && slices.Contains(Names, m.Channel):
		s.count(m.Channel, ResultRefused)
	case err == nil && res.Duplicate:
		s.count(m.Channel, ResultDuplicate)
	case err == nil:
		s.count(m.Channel, ResultRecorded)
	}
	return res, err
}

func (s *Service) receive(ctx context.Context, m Message) (Result, error) {
	if err := Check(&m); err != nil {
		return Result{}, err
	}
	if s.master == nil {
		return Result{}, problem.New(problem.ChannelNoKey)
	}
	key := m.Channel + ":" + m.ID
	id := uuid.NewSHA1(namespace, []byte(key)).String()
	ts, _, err := s.opt.Templates.Templates(ctx, store.CaseQuery{OpenOnly: true})
	if err != nil {
		return Result{}, err
	}
	category := lifecycle.Classify(ts, m.Text)
	// Without a waybill named, the words of the text that look like one
	// are tried (a mail names it somewhere in its subject or body).
	cands := []string{m.Waybill}
	if m.Waybill == "" {
		cands = WaybillCandidates(m.Text)
	}
	outlet, waybill, err := s.route(ctx, cands)
	if err != nil {
		return Result{}, err
	}
	if waybill == "" {
		waybill = m.Waybill
	}
	now := s.opt.Clock.Now()
	at := Arrival(m.ArrivedAt, now)
	rec := lifecycle.ComplaintReceivedV1{Channel: m.Channel, Type: "complaint", Category: category, Severity: "routine",
		Waybill: waybill, Owner: Actor(m.Channel), At: at.UnixMilli(),
		Ticket: "T" + at.UTC().Format("060102") + "-HQ-" + strings.ToUpper(strings.ReplaceAll(id, "-", "")[26:]),
	}
	if outlet != syncproto.HubOrigin {
		rec.Outlet = outlet
	}
	if t, ok := lifecycle.Propose(ts, category, m.Text); ok {
		rec.ReplyTemplate, rec.ReplyText = t.ID, t.Text
	}
	// Sealed as the outlet that holds it seals its own: under its key,
	// bound to this complaint.
	key2, rr := s.master.Outlet(outlet), sealed.Record{Kind: lifecycle.KindComplaint, ID: id}
	rec.TextSealed = key2.Seal(sealed.Text, rr, m.Text)
	if p := phone.Normalize(m.Contact); p != "" && phone.Valid(p) == nil {
		rec.Customer, rec.PhoneSealed = sealed.CustomerID(s.customer, p), key2.Seal(sealed.Phone, rr, p)
	} else if m.Contact != "" {
		// Not a phone: hashed under the same key, so the same sender's
		// complaints are found together, never stored in clear.
		rec.Customer = sealed.CustomerID(s.customer, m.Channel+":"+strings.ToLower(m.Contact))
	}
	if err := lifecycle.CheckNew(rec); err != nil {
		return Result{}, err
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return Result{}, err
	}
	res := Result{ID: id, Ticket: rec.Ticket, Category: category, Outlet: outlet, Reply: rec.ReplyTemplate}
	_, err = s.opt.Down.PublishDownAlloc(ctx, outlet, lifecycle.ComplaintReceived, id, Actor(m.Channel), store.SerialAlloc{
		Once: "channel:" + key,
		Fill: func(e *syncproto.Event, _, _ uint64) error { e.Payload = raw; return nil },
	})
	switch {
	case errors.Is(err, store.ErrExists):
		res.Duplicate = true
	case err != nil:
		return Result{}, err
	}
	return s.finish(ctx, res)
}

// finish reads the complaint as recorded (a duplicate's first recording
// wins) and sends its proposed reply where head office allows it.
func (s *Service) finish(ctx context.Context, res Result) (Result, error) {
	c, err := s.opt.Cases.Complaint(ctx, res.ID)
	if err != nil {
		return Result{}, err
	}
	res.Ticket, res.Category, res.Outlet, res.Reply = c.Ticket, c.Category, c.Outlet, c.ReplyTemplate
	res.Sent = !c.FirstReplyAt.IsZero()
	if res.Sent || c.ReplyText == "" || !slices.Contains(c.Allowed, "acknowledge") {
		return res, nil
	}
	auto, err := s.AutoSend(ctx)
	if err != nil {
		return Result{}, err
	}
	if !slices.Contains(auto, c.Category) {
		return res, nil
	}
	if _, err := s.opt.Cases.ComplaintStep(ctx, res.ID, AutoReplyActor, lifecycle.ComplaintStepV1{Step: "acknowledge", Note: c.ReplyText}); err != nil {
		var se *lifecycle.StepError
		if errors.As(err, &se) {
			return res, nil // a person answered meanwhile
		}
		return Result{}, err
	}
	res.Sent = true
	return res, nil
}

// route is the outlet holding the first of waybills the parcel index
// knows (the outlet that took it in last) and that waybill, or head office
// and "".
func (s *Service) route(ctx context.Context, waybills []string) (string, string, error) {
	for _, w := range waybills {
		if w == "" {
			continue
		}
		rows, err := s.opt.Store.SearchParcels(ctx, store.ParcelQuery{Prefix: w, Limit: 50})
		if err != nil {
			return "", "", fmt.Errorf("find the outlet of waybill %s: %w", w, err)
		}
		best := store.ParcelRow{}
		for _, r := range rows {
			if r.Waybill == w && (best.Outlet == "" || r.Since > best.Since) {
				best = r
			}
		}
		if best.Outlet != "" {
			return best.Outlet, w, nil
		}
	}
	return syncproto.HubOrigin, "", nil
}

// AutoSend lists the categories whose proposed first reply goes out
// without review; none until head office allows one.
func (s *Service) AutoSend(ctx context.Context) ([]string, error) {
	v, ok, err := s.opt.Store.Setting(ctx, AutoSendSetting)
	if err != nil || !ok {
		return []string{}, err
	}
	var cats []string
	if err := json.Unmarshal([]byte(v), &cats); err != nil {
		return nil, fmt.Errorf("read setting %s: %w", AutoSendSetting, err)
	}
	return cats, nil
}

// SetAutoSend sets the categories whose replies go out without review.
func (s *Service) SetAutoSend(ctx context.Context, cats []string) ([]string, error) {
	out := []string{}
	for _, c := range cats {
		if !slices.Contains(lifecycle.ComplaintCategories, c) {
			return nil, problem.New(problem.ChannelBadCategory, "value", c, "allowed", lifecycle.ComplaintCategories)
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	js, _ := json.Marshal(out)
	return out, s.opt.Store.PutSetting(ctx, AutoSendSetting, string(js))
}

// Review lists the channel complaints waiting for their first reply,
// soonest deadline first: a page of the case list in state received (q's
// State and Sort are set here), kept to those from head office's channels,
// with their case rows. It reads on past the others until it has q.Limit
// or the list ends, so a page is short only at the end.
func (s *Service) Review(ctx context.Context, q store.CaseQuery) ([]cases.ComplaintView, []store.Case, error) {
	q.State, q.OpenOnly, q.Sort = lifecycle.ComplaintStateReceived, true, store.SortDue
	var (
		out  []cases.ComplaintView
		kept []store.Case
	)
	for {
		vs, rows, err := s.opt.Cases.Complaints(ctx, cases.Query{CaseQuery: q})
		if err != nil {
			return nil, nil, err
		}
		for i, v := range vs {
			if slices.Contains(Names, v.Channel) && (q.Limit == 0 || len(out) < q.Limit) {
				out, kept = append(out, v), append(kept, rows[i])
			}
		}
		if q.Limit == 0 || len(out) >= q.Limit || len(rows) < q.Limit {
			return out, kept, nil
		}
		pos := rows[len(rows)-1].Pos()
		q.After = &pos
	}
}
