// Package customers is head office's customer database as people use it:
// finding a customer by phone without storing the phone, opening a
// customer's sealed contact for the roles allowed to, enterprise
// accounts and their monthly statements, and the RFM classes' counts,
// moves and thresholds. The profiles themselves are folded by the store
// as events commit (hub/store customers.go).
package customers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/phone"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// Store is what the service reads and writes of the hub's store.
type Store interface {
	Customer(ctx context.Context, id string) (store.Customer, error)
	CustomerOutlets(ctx context.Context, id string) ([]store.CustomerOutlet, error)
	CustomerParcels(ctx context.Context, id, kind string, from, to int64, limit int) ([]store.CustomerParcel, error)
	CustomerCases(ctx context.Context, id string) ([]store.CustomerCase, error)
	Customers(ctx context.Context, q store.CustomerQuery) ([]store.Customer, error)
	ClassCounts(ctx context.Context) (map[string]int64, error)
	ClassMoves(ctx context.Context, since int64) ([]store.ClassMove, error)
	Setting(ctx context.Context, name string) (string, bool, error)
	SetClassSettings(ctx context.Context, c store.ClassSettings) error
	Reclassify(ctx context.Context) (int, error)
	SetEnterprise(ctx context.Context, id, name string) error
	SetCustomerLang(ctx context.Context, id, lang string) error
	ClassPushes(ctx context.Context, limit int) ([]store.ClassPush, error)
	DoneClassPushes(ctx context.Context, ps []store.ClassPush) error
}

// Downlinker publishes a hub event to one outlet (hub/ingest.Hub).
type Downlinker interface {
	PublishDown(ctx context.Context, target, typ, subject string, payload json.RawMessage, actor string) (uint64, error)
}

// Options configure a Service.
type Options struct {
	Store Store
	// Master is head office's master key; nil answers search by phone and
	// reveal with customer.no_key.
	Master []byte
	// WindowDays is the classes' window until head office sets its
	// thresholds; store.DefaultClassSettings' where zero.
	WindowDays int
	Clock      clock.Clock
	Location   *time.Location
}

// Service answers the customer routes.
type Service struct {
	st         Store
	master     *sealed.Master
	customer   []byte
	windowDays int
	clock      clock.Clock
	loc        *time.Location
}

// New returns the service; a master key that does not parse is an error.
func New(o Options) (*Service, error) {
	s := &Service{st: o.Store, windowDays: o.WindowDays, clock: o.Clock, loc: o.Location}
	if s.clock == nil {
		s.clock = clock.System
	}
	if s.loc == nil {
		s.loc = time.UTC
	}
	if len(o.Master) > 0 {
		m, err := sealed.NewMaster(o.Master)
		if err != nil {
			return nil, err
		}
		s.master, s.customer = m, m.CustomerSecret()
	}
	return s, nil
}

// IDOf is the customer id of a phone number, as the outlets compute it.
// The number is checked and never kept.
func (s *Service) IDOf(number string) (string, error) {
	if s.master == nil {
		return "", problem.New(problem.CustomerNoKey)
	}
	if err := phone.Valid(number); err != nil {
		return "", err
	}
	return sealed.CustomerID(s.customer, phone.Normalize(number)), nil
}

// Profile is one customer as the screen shows them: the profile and its
// history, contact masked.
type Profile struct {
	store.Customer
	Outlets []store.CustomerOutlet
	Parcels []store.CustomerParcel
	Cases   []store.CustomerCase
}

// historyLimit bounds the parcels a profile lists.
const historyLimit = 200

// Profile reads one customer; customer.not_found for an unknown id.
func (s *Service) Profile(ctx context.Context, id string) (Profile, error) {
	c, err := s.st.Customer(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Profile{}, problem.Wrap(err, problem.CustomerNotFound)
	}
	if err != nil {
		return Profile{}, err
	}
	p := Profile{Customer: c}
	if p.Outlets, err = s.st.CustomerOutlets(ctx, id); err != nil {
		return p, err
	}
	if p.Parcels, err = s.st.CustomerParcels(ctx, id, "", 0, 1<<62, historyLimit); err != nil {
		return p, err
	}
	p.Cases, err = s.st.CustomerCases(ctx, id)
	return p, err
}

// List pages the profiles q selects, by id.
func (s *Service) List(ctx context.Context, q store.CustomerQuery) ([]store.Customer, error) {
	return s.st.Customers(ctx, q)
}

// Contact is a customer's contact in clear, for the moment it is shown.
type Contact struct {
	Phone  string `json:"phone"`
	Name   string `json:"name,omitempty"`
	Outlet string `json:"outlet"` // whose record it came from
}

// Reveal opens a customer's latest sealed contact with the outlet's key
// derived from the master. The caller audits it.
func (s *Service) Reveal(ctx context.Context, id string) (Contact, error) {
	if s.master == nil {
		return Contact{}, problem.New(problem.CustomerNoKey)
	}
	c, err := s.st.Customer(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Contact{}, problem.Wrap(err, problem.CustomerNotFound)
	}
	if err != nil {
		return Contact{}, err
	}
	k := c.Contact
	if k.PhoneSealed == "" {
		return Contact{}, problem.New(problem.CustomerNoContact)
	}
	rec := sealed.Record{Kind: k.Kind, ID: k.Record}
	out := Contact{Outlet: k.Outlet}
	if out.Phone, err = s.master.Open(k.Outlet, sealed.Phone, rec, k.PhoneSealed); err != nil {
		return Contact{}, problem.Wrap(err, problem.CustomerUnreadable)
	}
	if k.NameSealed != "" {
		if out.Name, err = s.master.Open(k.Outlet, sealed.Name, rec, k.NameSealed); err != nil {
			return Contact{}, problem.Wrap(err, problem.CustomerUnreadable)
		}
	}
	return out, nil
}

// MaxEnterpriseName bounds an enterprise account's name, in characters.
const MaxEnterpriseName = 64

// SetEnterprise names the enterprise account a customer sends for; ""
// clears it.
func (s *Service) SetEnterprise(ctx context.Context, id, name string) error {
	name = strings.TrimSpace(name)
	if len([]rune(name)) > MaxEnterpriseName || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return problem.New(problem.CustomerBadName, "max", MaxEnterpriseName)
	}
	err := s.st.SetEnterprise(ctx, id, name)
	if errors.Is(err, store.ErrNotFound) {
		return problem.Wrap(err, problem.CustomerNotFound)
	}
	return err
}

// SetLang sets the language a customer's messages are rendered in, one of
// store.CustomerLangs, from the next message enqueued.
func (s *Service) SetLang(ctx context.Context, id, lang string) error {
	lang = strings.TrimSpace(lang)
	if !slices.Contains(store.CustomerLangs, lang) {
		return problem.New(problem.CustomerBadLang, "value", lang, "allowed", store.CustomerLangs)
	}
	err := s.st.SetCustomerLang(ctx, id, lang)
	if errors.Is(err, store.ErrNotFound) {
		return problem.Wrap(err, problem.CustomerNotFound)
	}
	return err
}

// Month reads a YYYY-MM month of field in the hub's zone: its first
// instant and the next month's, in Unix ms.
func (s *Service) Month(field, v string) (from, to int64, err error) {
	t, err := time.ParseInLocation("2006-01", v, s.loc)
	if err != nil || len(v) != 7 {
		return 0, 0, problem.New(problem.CustomerBadMonth, "field", field, "value", v)
	}
	return t.UnixMilli(), t.AddDate(0, 1, 0).UnixMilli(), nil
}

// Statement is one month of a customer's sent parcels and their fees.
type Statement struct {
	Customer   string
	Enterprise string
	Month      string
	Parcels    []store.CustomerParcel // oldest first
	Count      int
	FeesFen    int64
}

// maxStatement bounds one month's rows.
const maxStatement = 100000

// Statement reads a customer's month of shipments.
func (s *Service) Statement(ctx context.Context, id, month string) (Statement, error) {
	from, to, err := s.Month("month", month)
	if err != nil {
		return Statement{}, err
	}
	c, err := s.st.Customer(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return Statement{}, problem.Wrap(err, problem.CustomerNotFound)
	}
	if err != nil {
		return Statement{}, err
	}
	ps, err := s.st.CustomerParcels(ctx, id, store.ParcelSent, from, to, maxStatement)
	if err != nil {
		return Statement{}, err
	}
	slices.Reverse(ps)
	st := Statement{Customer: id, Enterprise: c.Enterprise, Month: month, Parcels: ps, Count: len(ps)}
	for _, p := range ps {
		st.FeesFen += p.Fees
	}
	return st, nil
}

// CheckClass refuses a class that is not one of the eight.
func CheckClass(c string) error {
	if c != "" && !slices.Contains(store.Classes, c) {
		return problem.New(problem.CustomerBadClass, "value", c, "allowed", store.Classes)
	}
	return nil
}

// Counts are the customers of each class, every class listed.
func (s *Service) Counts(ctx context.Context) (map[string]int64, int64, error) {
	got, err := s.st.ClassCounts(ctx)
	if err != nil {
		return nil, 0, err
	}
	out := make(map[string]int64, len(store.Classes))
	var total int64
	for _, c := range store.Classes {
		out[c] = got[c]
		total += got[c]
	}
	return out, total, nil
}

// NewCustomer is the moves matrix's row of customers first seen since.
const NewCustomer = "new"

// Moves is how many customers went from one class (or NewCustomer) to
// another since a month began: Moves[from][to]; a customer whose class
// came back counts on the diagonal.
func (s *Service) Moves(ctx context.Context, since string) (map[string]map[string]int64, error) {
	from, _, err := s.Month("since", since)
	if err != nil {
		return nil, err
	}
	moves, err := s.st.ClassMoves(ctx, from)
	if err != nil {
		return nil, err
	}
	counts, _, err := s.Counts(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]int64{NewCustomer: {}}
	for _, c := range store.Classes {
		out[c] = map[string]int64{}
	}
	// Moves come by customer, then time: the first one's From is where the
	// customer stood when the month began, the last one's To where now.
	moved := map[string]int64{}
	for i := 0; i < len(moves); {
		j := i
		for j+1 < len(moves) && moves[j+1].Customer == moves[i].Customer {
			j++
		}
		was, now := cmpOr(moves[i].From, NewCustomer), moves[j].To
		if out[was] == nil {
			out[was] = map[string]int64{}
		}
		out[was][now]++
		moved[now]++
		i = j + 1
	}
	for _, c := range store.Classes {
		out[c][c] += counts[c] - moved[c]
	}
	return out, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Settings are the thresholds in force.
func (s *Service) Settings(ctx context.Context) (store.ClassSettings, error) {
	_, ok, err := s.st.Setting(ctx, store.ClassSettingsName)
	if err != nil {
		return store.ClassSettings{}, err
	}
	if !ok {
		d := store.DefaultClassSettings
		if s.windowDays > 0 {
			d.WindowDays = s.windowDays
		}
		return d, nil
	}
	return store.ReadClassSettings(ctx, s.st)
}

// Init stores the configured window as head office's settings on a store
// that has none yet, so that commits class with it.
func (s *Service) Init(ctx context.Context) error {
	if s.windowDays == 0 {
		return nil
	}
	if _, ok, err := s.st.Setting(ctx, store.ClassSettingsName); err != nil || ok {
		return err
	}
	d := store.DefaultClassSettings
	d.WindowDays = s.windowDays
	if err := s.st.SetClassSettings(ctx, d); err != nil {
		return err
	}
	_, err := s.st.Reclassify(ctx)
	return err
}

// SetSettings stores new thresholds and reclassifies every customer.
func (s *Service) SetSettings(ctx context.Context, c store.ClassSettings) (int, error) {
	if err := c.Check(); err != nil {
		return 0, err
	}
	if err := s.st.SetClassSettings(ctx, c); err != nil {
		return 0, err
	}
	return s.st.Reclassify(ctx)
}

// classActor is who head office's class events are from.
const classActor = "customers"

// pushRead is how many queued classes one round reads.
const pushRead = 2000

// SendClasses sends every queued class down to its outlet, at most
// lifecycle.MaxClassesPerEvent a event, then records them sent. A crash
// between the two sends them again, which changes nothing at the outlet:
// the newest class wins there. It returns how many it sent.
func (s *Service) SendClasses(ctx context.Context, down Downlinker) (int, error) {
	n := 0
	for {
		ps, err := s.st.ClassPushes(ctx, pushRead)
		if err != nil || len(ps) == 0 {
			return n, err
		}
		for i := 0; i < len(ps); {
			j := i
			for j < len(ps) && ps[j].Outlet == ps[i].Outlet && j-i < lifecycle.MaxClassesPerEvent {
				j++
			}
			chunk := ps[i:j]
			p := lifecycle.CustomerClassesV1{At: s.clock.Now().UnixMilli()}
			for _, x := range chunk {
				p.Classes = append(p.Classes, lifecycle.CustomerClassV1{Customer: x.Customer, Class: x.Class})
			}
			raw, err := json.Marshal(p)
			if err != nil {
				return n, err
			}
			if _, err := down.PublishDown(ctx, chunk[0].Outlet, lifecycle.CustomerClasses, "", raw, classActor); err != nil {
				return n, fmt.Errorf("send %d classes to %s: %w", len(chunk), chunk[0].Outlet, err)
			}
			if err := s.st.DoneClassPushes(ctx, chunk); err != nil {
				return n, err
			}
			n += len(chunk)
			i = j
		}
		if len(ps) < pushRead {
			return n, nil
		}
	}
}

// RunClassSender sends the queued classes every interval until ctx ends.
func (s *Service) RunClassSender(ctx context.Context, every time.Duration, down Downlinker, onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.SendClasses(ctx, down); err != nil && ctx.Err() == nil {
			onErr(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Daily reclassifies every customer once per civil day of the hub's zone,
// checking every hour, until ctx ends: recency grows and days leave the
// window with no event to say so. Several hubs may each run it; the
// classes they compute are the same.
func (s *Service) Daily(ctx context.Context, every time.Duration, onErr func(error)) {
	last := int64(-1)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if day := store.DayOf(s.clock.Now().UnixMilli(), s.loc); day != last {
			if _, err := s.st.Reclassify(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				onErr(err)
			} else {
				last = day
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
