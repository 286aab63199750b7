// Package surveys is head office's satisfaction surveys: the definitions
// and sampling rules people edit, the signed single-use links customers
// get, and the small mobile answer page the hub serves at /s/{token}
// (page.go).
//
// The invitations themselves are drawn by the store as trigger events
// commit (hub/store surveys.go); this package signs their links, takes the
// answers and records each as a lifecycle.SurveyAnswered hub event in the
// same transaction that uses the invitation, so an answer is counted once
// however often it is posted, on any hub.
//
// A link's token is the invitation id and an HMAC-SHA256 of it under a key
// derived from head office's master key ([customers] master_key_file):
// the store holds no token, every hub with the master key checks any
// link, and without the key nothing can be signed or checked
// (survey.no_key). Expiry and use live in the invitation's row, so a
// token alone proves only that head office made it.
package surveys

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/yizhan/yizhan/hub/gateway"
	"github.com/yizhan/yizhan/hub/ratelimit"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// Store is the part of the hub's store the surveys use (store.Core).
type Store interface {
	SurveysTx(ctx context.Context, f func(q store.SurveySQL) error) error
}

var _ Store = (*store.Core)(nil)

// Recorder stores a hub event no outlet pulls, under a check run first in
// the same transaction (hub/ingest.Hub.PublishHubEvent), or, with target
// syncproto.HubOrigin, under an idempotency key and with its payload
// filled in that transaction (PublishDownAlloc).
type Recorder interface {
	PublishHubEvent(ctx context.Context, typ, subject string, payload json.RawMessage, actor string, check func(ctx context.Context, tx store.Tx) error) (uint64, error)
	PublishDownAlloc(ctx context.Context, target, typ, subject, actor string, a store.SerialAlloc) (uint64, error)
}

// Options configure a Service. Store and Events are required.
type Options struct {
	Store  Store
	Events Recorder
	// Master is head office's master key; nil leaves links unsigned and
	// the page answering survey.no_key.
	Master []byte
	// PublicURL is where customers reach the hub's answer page
	// ([surveys] public_url), e.g. https://survey.example.com; a link is
	// PublicURL + "/s/" + token.
	PublicURL string
	// Limiter counts the answer page's requests (the hub's one, shared
	// with the progress page); required.
	Limiter *ratelimit.Limiter
	Clock   clock.Clock
	Logger  *slog.Logger
}

// Service runs the surveys.
type Service struct {
	opt  Options
	key  []byte
	seal *sealed.Key // head office's own key: comments are sealed with it
}

// New returns a Service.
func New(opt Options) (*Service, error) {
	if opt.Store == nil || opt.Events == nil || opt.Limiter == nil {
		return nil, errors.New("surveys: Store, Events and Limiter are required")
	}
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Service{opt: opt}
	if len(opt.Master) > 0 {
		s.key = LinkKey(opt.Master)
		secret, err := sealed.OutletSecret(opt.Master, syncproto.HubOrigin)
		if err != nil {
			return nil, fmt.Errorf("surveys: %w", err)
		}
		if s.seal, err = sealed.NewKey(syncproto.HubOrigin, secret); err != nil {
			return nil, fmt.Errorf("surveys: %w", err)
		}
	}
	return s, nil
}

// LinkKey is the key links are signed with, derived from the master key
// so that it opens nothing else.
func LinkKey(master []byte) []byte {
	m := hmac.New(sha256.New, master)
	m.Write([]byte("yizhan survey links v1"))
	return m.Sum(nil)
}

// macLen is the bytes of the HMAC a token carries: 128 bits.
const macLen = 16

// Token is the link token of invitation id under key.
func Token(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return id + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:macLen])
}

// Open checks a token under key and returns its invitation id;
// survey.bad_token for anything head office did not sign.
func Open(key []byte, token string) (string, error) {
	id, sig, ok := strings.Cut(token, ".")
	if !ok || len(id) != 32 || len(token) > 80 {
		return "", problem.New(problem.SurveyBadToken)
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", problem.New(problem.SurveyBadToken)
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || len(got) != macLen {
		return "", problem.New(problem.SurveyBadToken)
	}
	want, _ := strings.CutPrefix(Token(key, id), id+".")
	w, _ := base64.RawURLEncoding.DecodeString(want)
	if !hmac.Equal(got, w) {
		return "", problem.New(problem.SurveyBadToken)
	}
	return id, nil
}

// SetPublicURL sets where links point when no [surveys] public_url was
// given: the hub's own address, known once it listens (before any link
// is made).
func (s *Service) SetPublicURL(u string) { s.opt.PublicURL = u }

// Link is the answer page's address for invitation id.
func (s *Service) Link(id string) (string, error) {
	if s.key == nil {
		return "", problem.New(problem.SurveyNoKey)
	}
	return strings.TrimRight(s.opt.PublicURL, "/") + "/s/" + Token(s.key, id), nil
}

// Overview is what the head-office page shows.
type Overview struct {
	Surveys []store.SurveyDef
	Rules   []store.SurveyRule
	// Counts are per trigger, Versions per survey version: invitations,
	// their messages' states, answers and opt-outs.
	Counts   []store.SurveyCounts
	Versions []store.SurveyCounts
	Triggers []string
}

// Read is every definition's newest version, the rules and the counts.
func (s *Service) Read(ctx context.Context) (o Overview, err error) {
	err = s.opt.Store.SurveysTx(ctx, func(q store.SurveySQL) error {
		if o.Surveys, err = q.Defs(ctx); err != nil {
			return err
		}
		if o.Rules, err = q.Rules(ctx); err != nil {
			return err
		}
		if o.Counts, err = q.Counts(ctx); err != nil {
			return err
		}
		o.Versions, err = q.VersionCounts(ctx)
		return err
	})
	o.Triggers = lifecycle.SurveyTriggers
	return o, err
}

// SaveDef saves a definition: over its newest version while no invitation
// names it, else as a new version. It returns the version.
func (s *Service) SaveDef(ctx context.Context, d store.SurveyDef) (v int64, err error) {
	err = s.opt.Store.SurveysTx(ctx, func(q store.SurveySQL) error {
		v, err = q.PutDef(ctx, d, s.opt.Clock.Now().UnixMilli())
		return err
	})
	return v, err
}

// SaveRule sets a trigger's rule; a zero ExpiryMinutes is the default 7.
func (s *Service) SaveRule(ctx context.Context, r store.SurveyRule) error {
	if r.ExpiryMinutes == 0 {
		r.ExpiryMinutes = store.DefaultSurveyExpiryMinutes
	}
	return s.opt.Store.SurveysTx(ctx, func(q store.SurveySQL) error { return q.PutRule(ctx, r) })
}

// Invitation is an invitation and the definition version it asks, as the
// answer page shows it.
type Invitation struct {
	Invite store.SurveyInvite
	Def    store.SurveyDef
}

// Find opens token and reads its invitation; survey.bad_token,
// survey.used and survey.expired as the page words them.
func (s *Service) Find(ctx context.Context, token string) (inv Invitation, err error) {
	if s.key == nil {
		return inv, problem.New(problem.SurveyNoKey)
	}
	id, err := Open(s.key, token)
	if err != nil {
		return inv, err
	}
	err = s.opt.Store.SurveysTx(ctx, func(q store.SurveySQL) error {
		if inv.Invite, err = q.Invite(ctx, id); err != nil {
			return err
		}
		inv.Def, err = q.Def(ctx, inv.Invite.Survey, inv.Invite.Version)
		return err
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return inv, problem.New(problem.SurveyBadToken)
	case err != nil:
		return inv, err
	case inv.Invite.UsedAt != 0:
		return inv, problem.New(problem.SurveyUsed)
	case s.opt.Clock.Now().UnixMilli() >= inv.Invite.ExpiresAt:
		return inv, problem.New(problem.SurveyExpired)
	}
	return inv, nil
}

// Answer is what a customer posts.
type Answer struct {
	Scores   []int64 `json:"scores"`
	Comment  string  `json:"comment"`
	OptOut   bool    `json:"opt_out"`
	Language string  `json:"lang"`
}

// Submit records a's answer to token's invitation, once: the invitation
// is used and the SurveyAnswered event stored in one transaction. Scores
// hold one 0–5 per question (0 left out; at least one given), or none at
// all with OptOut (a customer who only asks not to be asked again).
func (s *Service) Submit(ctx context.Context, token string, a Answer) error {
	inv, err := s.Find(ctx, token)
	if err != nil {
		return err
	}
	if err := checkAnswer(inv.Def, a); err != nil {
		return err
	}
	var claimed store.SurveyInvite
	payload := func() lifecycle.SurveyAnsweredV1 {
		p := lifecycle.SurveyAnsweredV1{Survey: inv.Def.ID, Version: inv.Def.Version, Trigger: inv.Invite.Trigger,
			Outlet: inv.Invite.Outlet, Customer: inv.Invite.Customer, Scores: a.Scores,
			OptedOut: a.OptOut, At: s.opt.Clock.Now().UnixMilli()}
		if a.Comment != "" {
			p.CommentSealed = s.seal.Seal(sealed.Text, CommentRecord(inv.Invite.ID), a.Comment)
		}
		return p
	}
	raw, err := json.Marshal(payload())
	if err != nil {
		return fmt.Errorf("encode survey answer: %w", err)
	}
	_, err = s.opt.Events.PublishHubEvent(ctx, lifecycle.SurveyAnswered, inv.Invite.ID, raw, "customer",
		func(ctx context.Context, tx store.Tx) error {
			var err error
			claimed, err = tx.Customers().Surveys().ClaimInvite(ctx, inv.Invite.ID, s.opt.Clock.Now().UnixMilli(), a.OptOut)
			return err
		})
	switch {
	case errors.Is(err, store.ErrSurveyUsed):
		return problem.New(problem.SurveyUsed)
	case errors.Is(err, store.ErrSurveyExpired):
		return problem.New(problem.SurveyExpired)
	case errors.Is(err, store.ErrNotFound):
		return problem.New(problem.SurveyBadToken)
	case err != nil:
		return err
	}
	s.opt.Logger.Info("survey answered", "invitation", claimed.ID, "trigger", claimed.Trigger, "outlet", claimed.Outlet, "opted_out", a.OptOut)
	return nil
}

// CommentRecord is what an answer's sealed comment is bound to.
func CommentRecord(invite string) sealed.Record { return sealed.Record{Kind: "survey", ID: invite} }

// checkAnswer refuses scores that do not fit the definition.
func checkAnswer(d store.SurveyDef, a Answer) error {
	bad := problem.New(problem.SurveyBadAnswer, "max", store.MaxSurveyComment)
	if len([]rune(a.Comment)) > store.MaxSurveyComment || (!d.Comment && a.Comment != "") ||
		strings.ContainsFunc(a.Comment, func(r rune) bool { return r < 0x20 && r != '\n' || r == 0x7f }) {
		return bad
	}
	if len(a.Scores) == 0 && a.OptOut && a.Comment == "" {
		return nil
	}
	if len(a.Scores) != len(d.Questions) {
		return bad
	}
	given := 0
	for _, v := range a.Scores {
		if v < 0 || v > 5 {
			return bad
		}
		if v > 0 {
			given++
		}
	}
	if given == 0 {
		return bad
	}
	return nil
}

// MessageTexts renders an invitation's customer message
// (store.SurveyMessageKind) with its signed link, made at send time so
// that no link is stored anywhere.
func (s *Service) MessageTexts() map[string]gateway.Text {
	return map[string]gateway.Text{
		store.SurveyMessageKind: func(lang string, raw json.RawMessage) (string, error) {
			var p struct {
				Invite string `json:"invite"`
			}
			if err := json.Unmarshal(raw, &p); err != nil || p.Invite == "" {
				return "", fmt.Errorf("a survey message without its invitation: %s", raw)
			}
			link, err := s.Link(p.Invite)
			if err != nil {
				return "", err
			}
			if lang == "en" {
				// The page opens in the customer's language.
				link += "?lang=en"
				return "Thank you for using our outlet. Please tell us how we did, in a minute: " + link + " (do not share this link; it works once).", nil
			}
			return "感谢您使用驿站服务，邀请您花 1 分钟评价本次服务：" + link + "（链接仅限本人使用一次）", nil
		},
	}
}
