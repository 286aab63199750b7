// Package progress is head office's public complaint progress page: a
// customer who complained at an outlet opens the link on their receipt,
// types the ticket number and the last four digits of the phone they
// gave, and sees the stage of their complaint in their own words, its next
// deadline and the outlet that took it. Nothing else: not the text, the
// name, the phone, the owner or the history. There is no login.
//
// How the digits are checked without a clear phone: the complaint event
// already carries the phone masked as privacy waybills print it
// (138****5678), which head office keeps as an anonymised fact (retention
// keeps it too, syncproto/purge). Its last four are the secret half of the
// pair; no clear or sealed phone is opened, no master key is needed and no
// new field crosses the wire, so complaints from every agent version work.
//
// A pair that does not match and a ticket that does not exist answer the
// same bytes (status, headers, body) and do the same work: the case list is
// read and the digits compared in constant time either way. Guessing is
// limited per client address and per ticket (hub/ratelimit), so the 10,000
// possible digits of one ticket cannot be tried from many addresses either.
// The counts are in the store: every hub on one database shares them.
//
// The page is server-rendered HTML with one inline stylesheet allowed by
// its hash: no script, no external asset, a Content-Security-Policy that
// allows nothing else. The form POSTs to the page itself; the hub's gate
// (hub/api) checks Host, Origin and that the body is a form.
package progress

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/cases"
	"github.com/yizhan/yizhan/hub/ratelimit"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/phone"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Path is where the hub serves the page; receipts print it after the
// hub's public address, with ?t=<ticket>.
const Path = "/p"

// The guessing limits. A customer mistypes the digits once or twice; a
// guesser needs on average 5,000 tries for one ticket. At TicketBudget
// failures a day that is more than a year, longer than any complaint
// stays open, whatever number of addresses it comes from. AddressBudget
// bounds one address's tries over all tickets, right ones included.
const (
	TicketBudget  = 10
	TicketWindow  = 24 * time.Hour
	AddressBudget = 30
	AddressWindow = 15 * time.Minute
	// maxBody bounds a form: a ticket, four digits, a language.
	maxBody = 1 << 10
)

// The rules the budgets are counted under.
var (
	TicketRule  = ratelimit.Rule{Name: "progress.ticket", Budget: TicketBudget, Window: TicketWindow}
	AddressRule = ratelimit.Rule{Name: "progress.address", Budget: AddressBudget, Window: AddressWindow}
)

// Finder finds complaints (hub/cases.Service).
type Finder interface {
	Complaints(ctx context.Context, q cases.Query) ([]cases.ComplaintView, []store.Case, error)
	Complaint(ctx context.Context, id string) (cases.ComplaintView, error)
}

// Outlets reads an outlet's place (store.Store).
type Outlets interface {
	Outlet(ctx context.Context, id string) (store.Outlet, error)
}

// Options configure a Service. Complaints and Limiter are required.
type Options struct {
	Complaints Finder
	// Limiter counts the guesses (the hub's one, shared with the survey
	// page).
	Limiter *ratelimit.Limiter
	Outlets Outlets // nil: the outlet is shown by its id only
	// Location is the zone deadlines are shown in (the hub's measures
	// zone, which is the customers'); UTC if nil.
	Location *time.Location
	Logger   *slog.Logger
}

// Service serves the page.
type Service struct {
	opt Options
}

// New returns a Service.
func New(opt Options) (*Service, error) {
	if opt.Complaints == nil || opt.Limiter == nil {
		return nil, errors.New("progress: Complaints and Limiter are required")
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Service{opt: opt}, nil
}

// Progress is everything the page shows of a complaint.
type Progress struct {
	Stage string // the complaint's state (lifecycle)
	// Due is the next deadline not met yet, zero for none; DueKind says
	// which ("first_reply" or "result").
	Due     time.Time
	DueKind string
	Outlet  string
	City    string
}

// NormalizeTicket is a ticket as typed with its spaces dropped, cut at
// a length no ticket reaches. Its case is kept for the page to show.
func NormalizeTicket(s string) string {
	s = strings.Join(strings.Fields(s), "")
	if len(s) > maxTicket {
		s = s[:maxTicket]
	}
	return s
}

// maxTicket is past the longest ticket: T, six digits, an outlet id of up
// to 64 characters, six hex digits and two dashes.
const maxTicket = 96

// ticketKey is what a ticket's guesses count against: its upper case, so
// that no spelling of one ticket has a budget of its own.
func ticketKey(t string) string { return strings.ToUpper(t) }

// ticketQuery is the case list's query for a ticket typed in any case:
// its outlet as typed, in upper and in lower case (people type what they
// read on a phone's keyboard; outlet ids are case-sensitive, and nearly all
// upper case), its UTC day and its id's end. ok is false for what is no
// ticket in any case.
func ticketQuery(t string) (store.CaseQuery, bool) {
	up := ticketKey(t)
	outlet, day, suffix, ok := lifecycle.ParseTicket(up)
	if !ok || len(up) != len(t) {
		return store.CaseQuery{}, false
	}
	typed := t[8 : 8+len(outlet)]
	outlets := []string{typed}
	for _, o := range []string{outlet, strings.ToLower(outlet)} {
		if !slices.Contains(outlets, o) {
			outlets = append(outlets, o)
		}
	}
	return store.CaseQuery{Outlets: outlets, SinceFrom: day.UnixMilli(), SinceBefore: day.Add(24*time.Hour).UnixMilli() - 1,
		IDSuffix: suffix, Limit: 4}, true
}

// lastFour is the digits a masked phone shows at its end, or "" when it
// shows none.
func lastFour(masked string) string {
	if len(masked) < 4 {
		return ""
	}
	d := masked[len(masked)-4:]
	if strings.Trim(d, "0123456789") != "" {
		return ""
	}
	return d
}

// noComplaint is the id read for a ticket that has no complaint: no
// complaint id (a UUID) looks like it.
const noComplaint = "progress-none"

// noDigits is what a missing ticket's digits are compared with: it never
// equals four digits, and has their length, so the comparison costs the
// same.
const noDigits = "----"

// Lookup finds the complaint of ticket (normalized, in any case) whose phone ends in
// digits. ok is false for a ticket that does not exist and for digits that
// do not match alike; either way the case list and a complaint's events
// are read and the digits compared.
func (s *Service) Lookup(ctx context.Context, ticket, digits string) (Progress, bool, error) {
	cq, valid := ticketQuery(ticket)
	if !valid {
		// The same query, for a row that cannot exist.
		cq = store.CaseQuery{Outlets: []string{"-"}, SinceFrom: 1, SinceBefore: 1, IDSuffix: "-", Limit: 4}
	}
	q := cases.Query{CaseQuery: cq}
	vs, _, err := s.opt.Complaints.Complaints(ctx, q)
	if err != nil {
		return Progress{}, false, err
	}
	var found *cases.ComplaintView
	for i := range vs {
		if strings.EqualFold(vs[i].Ticket, ticket) {
			found = &vs[i]
		}
	}
	if len(vs) == 0 {
		// A found complaint cost a read of its events too: read those of
		// an id that is none, so that a missing ticket is not quicker.
		if _, err := s.opt.Complaints.Complaint(ctx, noComplaint); err != nil && !problem.Is(err, problem.ComplaintNotFound) {
			return Progress{}, false, err
		}
	}
	want := noDigits
	if found != nil {
		if d := lastFour(found.CustomerMasked); d != "" {
			want = d
		}
	}
	if subtle.ConstantTimeCompare([]byte(digits), []byte(want)) != 1 || found == nil {
		return Progress{}, false, nil
	}
	p := Progress{Stage: found.State, Outlet: found.Outlet}
	switch {
	case found.State == lifecycle.ComplaintStateClosed:
	case found.FirstReplyAt.IsZero():
		p.Due, p.DueKind = found.FirstReplyBy, "first_reply"
	case found.Type == "complaint" && found.ResultAt.IsZero():
		p.Due, p.DueKind = found.ResultBy, "result"
	}
	if s.opt.Outlets != nil {
		if o, err := s.opt.Outlets.Outlet(ctx, found.Outlet); err == nil {
			p.City = o.City
		}
	}
	return p, true, nil
}

//go:embed page.css
var css string

// cspHeader allows the page's one inline stylesheet, by its hash, and
// nothing else: no script at all, forms only to the page itself.
var cspHeader = func() string {
	sum := sha256.Sum256([]byte(css))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
}()

// ServeHTTP answers GET (the form, the ticket filled in from ?t=) and POST
// (a lookup) at Path. The gate has checked Host, and for POST the origin
// and the form type.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", cspHeader)
	h.Set("Cache-Control", "no-store")
	// same-origin, not no-referrer: with no-referrer a browser sends its
	// form POST with Origin: null, which the gate refuses as another site.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Type", "text/html; charset=utf-8")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		q := r.URL.Query()
		s.render(w, http.StatusOK, page{Lang: lang(q.Get("lang")), Ticket: NormalizeTicket(q.Get("t"))})
	case http.MethodPost:
		s.post(w, r)
	default:
		h.Set("Allow", "GET, HEAD, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

func (s *Service) post(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	err := r.ParseForm()
	p := page{Lang: lang(r.PostForm.Get("lang")), Ticket: NormalizeTicket(r.PostForm.Get("t"))}
	if err != nil {
		s.fail(w, p, problem.Wrap(err, problem.ProgressNotFound))
		return
	}
	ctx := r.Context()
	if _, ok, retry, err := s.opt.Limiter.Take(ctx, AddressRule, accounts.ClientAddr(r)); err != nil || !ok {
		s.limited(w, p, retry, err)
		return
	}
	digits := phone.Normalize(r.PostForm.Get("d"))
	if len(digits) != 4 || strings.Trim(digits, "0123456789") != "" {
		s.fail(w, p, problem.New(problem.ProgressBadDigits))
		return
	}
	spent, ok, retry, err := s.opt.Limiter.Take(ctx, TicketRule, ticketKey(p.Ticket))
	if err != nil || !ok {
		s.limited(w, p, retry, err)
		return
	}
	res, ok, err := s.Lookup(ctx, p.Ticket, digits)
	switch {
	case err != nil:
		s.opt.Limiter.Give(ctx, spent) // head office's fault, not a guess
		s.opt.Logger.Error("complaint progress lookup", "err", err)
		s.fail(w, p, problem.Wrap(err, problem.ProgressUnavailable))
	case !ok:
		s.fail(w, p, problem.New(problem.ProgressNotFound))
	default:
		s.opt.Limiter.Give(ctx, spent)
		p.Found, p.Stage, p.Outlet = true, stageWords(p.Lang, res.Stage), res.Outlet
		if res.City != "" {
			p.Outlet += " · " + res.City
		}
		if !res.Due.IsZero() {
			p.DueLabel = words[p.Lang]["due."+res.DueKind]
			p.Due = res.Due.In(s.opt.Location).Format("2006-01-02 15:04 (UTC-07:00)")
		}
		s.render(w, http.StatusOK, p)
	}
}

// limited answers a try the limiter refused, or could not count (err:
// the store is down, and the try is refused rather than let through).
func (s *Service) limited(w http.ResponseWriter, p page, retry time.Duration, err error) {
	if err != nil {
		s.opt.Logger.Error("complaint progress limit", "err", err)
		s.fail(w, p, problem.Wrap(err, problem.ProgressUnavailable))
		return
	}
	secs := ratelimit.RetryAfter(retry)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.fail(w, p, problem.New(problem.ProgressLimited, "retry_after", secs))
}

// fail shows err's words, from the catalog's half in the page's language,
// with the form again.
func (s *Service) fail(w http.ResponseWriter, p page, err error) {
	pe := problem.As(err)
	zh, en := pe.Code().Halves()
	p.Error = problem.Render(zh, pe.Params())
	if p.Lang == "en" {
		p.Error = problem.Render(en, pe.Params())
	}
	s.render(w, problem.Status(err), p)
}

func (s *Service) render(w http.ResponseWriter, status int, p page) {
	p.W, p.CSS, p.Path = words[p.Lang], template.CSS(css), Path
	p.Other = "en"
	if p.Lang == "en" {
		p.Other = "zh"
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, p); err != nil {
		s.opt.Logger.Error("complaint progress page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// lang is "en" for English, else the default, Chinese.
func lang(s string) string {
	if s == "en" {
		return "en"
	}
	return "zh"
}
