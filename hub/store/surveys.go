package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Satisfaction surveys (hub/surveys) keep four tables, written by the same
// statements on every backend (SurveySQL; the DDL is each backend's
// migration):
//
//   - survey_defs: definitions, versioned. A version no invitation names
//     yet is edited in place; once one does, saving makes the next version,
//     so an answer always means the questions its customer saw.
//   - survey_rules: one rule per trigger (lifecycle.SurveyTriggers): the
//     definition it asks, the share of customers drawn, at most one
//     invitation per customer per EveryDays, and how long a link is good.
//   - survey_invites: one row per invitation, its id a hash of (customer,
//     trigger, source) so that a replayed event, a released one or another
//     hub committing the same event finds the row it made and draws
//     nothing again. The link's token is the id signed with head office's
//     key (hub/surveys), so the store holds no token. used_at is set once,
//     in the transaction that stores the answer event. A new invitation's
//     message goes into the customer-message outbox (outbox.go) in the
//     transaction that draws it, so it is sent once, by one hub.
//   - survey_optouts: customers who asked never to be asked again.
//
// Invitations are folded at commit, in the transaction that makes their
// trigger event visible: a pickup (parcel.picked_up), a delivery
// (dispatch.delivered), a complaint reaching closed, a special period's
// recovery notice to an outlet (notice.ended: the customers seen there
// since the notice took effect). The draw is a hash
// of the invitation's id against the rule's share: the same on every hub
// and for every replay.

// SurveyQuestion is one 1–5 question of a definition, in both languages.
type SurveyQuestion struct {
	Key string `json:"key"`
	ZH  string `json:"zh"`
	EN  string `json:"en"`
}

// SurveyDef is one version of a survey definition.
type SurveyDef struct {
	ID        string           `json:"id"`
	Version   int64            `json:"version"`
	TitleZH   string           `json:"title_zh"`
	TitleEN   string           `json:"title_en"`
	Questions []SurveyQuestion `json:"questions"`
	// Comment offers a free-text comment after the scales.
	Comment   bool  `json:"comment"`
	CreatedAt int64 `json:"-"`
	// InUse says an invitation names this version: it is no longer edited.
	InUse bool `json:"-"`
}

// Survey limits.
const (
	MaxSurveyQuestions = 10
	MaxSurveyText      = 200
	MaxSurveyComment   = 500
	MaxSurveyEveryDays = 3660
	MaxSurveyExpiry    = 90 * 24 * 60
	// DefaultSurveyExpiryMinutes is how long a link is good unless the rule
	// says otherwise: 7 days.
	DefaultSurveyExpiryMinutes = 7 * 24 * 60
)

// plainText is at most max characters with no control characters.
func plainText(s string, max int) bool {
	if len([]rune(s)) > max {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// Check says whether d is a usable definition.
func (d SurveyDef) Check() error {
	bad := func(detail string) error { return problem.New(problem.SurveyBadDefinition, "detail", detail) }
	if d.ID == "" || len(d.ID) > 64 || strings.ContainsFunc(d.ID, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return bad("id")
	}
	if d.TitleZH == "" || !plainText(d.TitleZH, MaxSurveyText) || !plainText(d.TitleEN, MaxSurveyText) {
		return bad("title")
	}
	if len(d.Questions) == 0 || len(d.Questions) > MaxSurveyQuestions {
		return bad("questions")
	}
	keys := map[string]bool{}
	for _, q := range d.Questions {
		if q.Key == "" || keys[q.Key] || !plainText(q.Key, 32) || q.ZH == "" || q.EN == "" || !plainText(q.ZH, MaxSurveyText) || !plainText(q.EN, MaxSurveyText) {
			return bad("questions")
		}
		keys[q.Key] = true
	}
	return nil
}

// SurveyRule is the sampling rule of one trigger.
type SurveyRule struct {
	Trigger string `json:"trigger"`
	Survey  string `json:"survey"`
	// Share is the percentage of the trigger's customers drawn, 0–100.
	Share int64 `json:"share"`
	// EveryDays: at most one invitation per customer in this many days,
	// whatever the trigger (0: no bound).
	EveryDays int64 `json:"every_days"`
	// ExpiryMinutes is how long its links are good (7 days unless set).
	ExpiryMinutes int64 `json:"expiry_minutes"`
}

// Check says whether r is a usable rule.
func (r SurveyRule) Check() error {
	if !slices.Contains(lifecycle.SurveyTriggers, r.Trigger) {
		return problem.New(problem.SurveyBadTrigger, "value", r.Trigger, "allowed", lifecycle.SurveyTriggers)
	}
	switch {
	case r.Share < 0 || r.Share > 100:
		return problem.New(problem.SurveyBadRule, "field", "share")
	case r.EveryDays < 0 || r.EveryDays > MaxSurveyEveryDays:
		return problem.New(problem.SurveyBadRule, "field", "every_days")
	case r.ExpiryMinutes < 1 || r.ExpiryMinutes > MaxSurveyExpiry:
		return problem.New(problem.SurveyBadRule, "field", "expiry_minutes")
	case r.Survey == "":
		return problem.New(problem.SurveyBadRule, "field", "survey")
	}
	return nil
}

// SurveyMessageKind is the customer message an invitation sends
// (store.Message.Kind; hub/surveys renders its text with the signed link).
const SurveyMessageKind = "survey.invite"

// SurveyMessageKey is the outbox key of invitation id's message.
func SurveyMessageKey(id string) string { return surveyKeyPrefix + id + surveyKeySuffix }

// SurveyMessageInvite is the invitation id of an invitation message's
// key; ok is false for any other key.
func SurveyMessageInvite(key string) (id string, ok bool) {
	id, ok = strings.CutPrefix(key, surveyKeyPrefix)
	if !ok {
		return "", false
	}
	id, ok = strings.CutSuffix(id, surveyKeySuffix)
	return id, ok && id != ""
}

const surveyKeyPrefix, surveyKeySuffix = "survey:", ":invite"

// SurveyInvite is one invitation. Times are Unix ms.
type SurveyInvite struct {
	ID, Customer, Trigger, Source, Outlet string
	Survey                                string
	Version                               int64
	CreatedAt, ExpiresAt, UsedAt          int64
}

// SurveyCounts are the invitations of a trigger (Counts) or of a survey
// version (VersionCounts), the answers and the opt-outs among them, and
// where their messages are: Sent counts the messages the gateway took,
// Delivered among them those reported on the phone; Failed those given
// up. The rest wait in the outbox.
type SurveyCounts struct {
	Trigger                     string
	Survey                      string
	Version                     int64
	Invited, Answered, OptedOut int64
	Sent, Delivered, Failed     int64
}

// SurveyCandidate is a customer a trigger event offers for an invitation.
type SurveyCandidate struct {
	Customer, Trigger, Source, Outlet string
}

// InviteID is the invitation id of a candidate: the same wherever and
// however often its event is committed.
func InviteID(c SurveyCandidate) string {
	h := sha256.Sum256([]byte("yizhan survey invite\x00" + c.Customer + "\x00" + c.Trigger + "\x00" + c.Source))
	return hex.EncodeToString(h[:16])
}

// SurveyDrawn reports whether the invitation id falls within share
// percent: a uniform draw that every hub repeats.
func SurveyDrawn(id string, share int64) bool {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) < 8 {
		return false
	}
	return int64(binary.BigEndian.Uint64(b[:8])%100) < share
}

// Survey errors, for the answer page.
var (
	ErrSurveyUsed    = errors.New("survey already answered")
	ErrSurveyExpired = errors.New("survey link expired")
)

// SurveySQL runs the surveys' statements on a backend's transaction or
// pool (the same Exec and Query as CustomerSQL).
type SurveySQL CustomerSQL

// Surveys is the surveys' statements in this transaction.
func (q CustomerSQL) Surveys() SurveySQL { return SurveySQL(q) }

const inviteColumns = `id, customer, trigger_name, source, outlet, survey, version, created_at, expires_at, used_at`

func scanInvite(sc Scanner) (SurveyInvite, error) {
	var v SurveyInvite
	return v, sc.Scan(&v.ID, &v.Customer, &v.Trigger, &v.Source, &v.Outlet, &v.Survey, &v.Version, &v.CreatedAt, &v.ExpiresAt, &v.UsedAt)
}

// LatestDef reads a definition's newest version, with whether it is in
// use; ErrNotFound for none.
func (q SurveySQL) LatestDef(ctx context.Context, id string) (SurveyDef, error) {
	return queryOne(ctx, q, scanDef, `SELECT body, version, created_at,
		CASE WHEN EXISTS (SELECT 1 FROM survey_invites i WHERE i.survey = d.id AND i.version = d.version) THEN 1 ELSE 0 END
		FROM survey_defs d WHERE id = ? ORDER BY version DESC LIMIT 1`, id)
}

// Def reads one version of a definition; ErrNotFound for none.
func (q SurveySQL) Def(ctx context.Context, id string, version int64) (SurveyDef, error) {
	return queryOne(ctx, q, scanDef, `SELECT body, version, created_at, 1 FROM survey_defs WHERE id = ? AND version = ?`, id, version)
}

// queryOne is the first row of a query; ErrNotFound for none.
func queryOne[T any](ctx context.Context, q SurveySQL, scan func(Scanner) (T, error), query string, args ...any) (T, error) {
	var zero T
	vs, err := queryAll(ctx, CustomerSQL(q), scan, fmt.Sprintf("read surveys (%.40s…)", query), query, args...)
	switch {
	case err != nil:
		return zero, err
	case len(vs) == 0:
		return zero, ErrNotFound
	}
	return vs[0], nil
}

func scanDef(sc Scanner) (SurveyDef, error) {
	var body string
	var d SurveyDef
	var version, at, used int64
	if err := sc.Scan(&body, &version, &at, &used); err != nil {
		return d, err
	}
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return d, fmt.Errorf("survey definition body: %w", err)
	}
	d.Version, d.CreatedAt, d.InUse = version, at, used != 0
	return d, nil
}

// Defs reads every definition's newest version, by id.
func (q SurveySQL) Defs(ctx context.Context) ([]SurveyDef, error) {
	rows, done, err := q.Query(ctx, `SELECT body, version, created_at,
		CASE WHEN EXISTS (SELECT 1 FROM survey_invites i WHERE i.survey = d.id AND i.version = d.version) THEN 1 ELSE 0 END
		FROM survey_defs d WHERE version = (SELECT MAX(version) FROM survey_defs e WHERE e.id = d.id) ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read surveys: %w", err)
	}
	defer done()
	return Collect(rows, scanDef)
}

// PutDef saves d: over its newest version while no invitation names it,
// else as the next version. It returns the version saved.
func (q SurveySQL) PutDef(ctx context.Context, d SurveyDef, now int64) (int64, error) {
	if err := d.Check(); err != nil {
		return 0, err
	}
	last, err := q.LatestDef(ctx, d.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	d.Version = last.Version
	if err != nil || last.InUse {
		d.Version++
	}
	body, _ := json.Marshal(d)
	if _, err := q.Exec(ctx, `INSERT INTO survey_defs (id, version, body, created_at) VALUES (?,?,?,?)
		ON CONFLICT (id, version) DO UPDATE SET body = excluded.body`, d.ID, d.Version, string(body), now); err != nil {
		return 0, fmt.Errorf("save survey %s: %w", d.ID, err)
	}
	return d.Version, nil
}

// Rules reads every trigger's rule, by trigger.
func (q SurveySQL) Rules(ctx context.Context) ([]SurveyRule, error) {
	rows, done, err := q.Query(ctx, `SELECT trigger_name, survey, share, every_days, expiry_minutes FROM survey_rules ORDER BY trigger_name`)
	if err != nil {
		return nil, fmt.Errorf("read survey rules: %w", err)
	}
	defer done()
	return Collect(rows, func(sc Scanner) (SurveyRule, error) {
		var r SurveyRule
		return r, sc.Scan(&r.Trigger, &r.Survey, &r.Share, &r.EveryDays, &r.ExpiryMinutes)
	})
}

// PutRule sets a trigger's rule; its survey must exist.
func (q SurveySQL) PutRule(ctx context.Context, r SurveyRule) error {
	if err := r.Check(); err != nil {
		return err
	}
	if _, err := q.LatestDef(ctx, r.Survey); err != nil {
		if errors.Is(err, ErrNotFound) {
			return problem.New(problem.SurveyNotDefined, "survey", r.Survey)
		}
		return err
	}
	_, err := q.Exec(ctx, `INSERT INTO survey_rules (trigger_name, survey, share, every_days, expiry_minutes) VALUES (?,?,?,?,?)
		ON CONFLICT (trigger_name) DO UPDATE SET survey = excluded.survey, share = excluded.share,
			every_days = excluded.every_days, expiry_minutes = excluded.expiry_minutes`,
		r.Trigger, r.Survey, r.Share, r.EveryDays, r.ExpiryMinutes)
	if err != nil {
		return fmt.Errorf("save survey rule %s: %w", r.Trigger, err)
	}
	return nil
}

// Invite reads one invitation; ErrNotFound for none.
func (q SurveySQL) Invite(ctx context.Context, id string) (SurveyInvite, error) {
	return queryOne(ctx, q, scanInvite, `SELECT `+inviteColumns+` FROM survey_invites WHERE id = ?`, id)
}

// OptedOut reports whether customer asked never to be invited again.
func (q SurveySQL) OptedOut(ctx context.Context, customer string) (bool, error) {
	_, err := queryOne(ctx, q, scanInt, `SELECT 1 FROM survey_optouts WHERE customer = ?`, customer)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func scanInt(sc Scanner) (int64, error) {
	var n int64
	return n, sc.Scan(&n)
}

// OptOut records that customer is never to be invited again.
func (q SurveySQL) OptOut(ctx context.Context, customer, invite string, now int64) error {
	_, err := q.Exec(ctx, `INSERT INTO survey_optouts (customer, invite, at) VALUES (?,?,?) ON CONFLICT (customer) DO NOTHING`, customer, invite, now)
	return err
}

// lastInvite is the newest invitation time of customer, 0 for none.
func (q SurveySQL) lastInvite(ctx context.Context, customer string) (int64, error) {
	return queryOne(ctx, q, scanInt, `SELECT COALESCE(MAX(created_at), 0) FROM survey_invites WHERE customer = ?`, customer)
}

// SeenAt lists the customers seen at outlet at or after since (Unix ms).
func (q SurveySQL) SeenAt(ctx context.Context, outlet string, since int64) ([]string, error) {
	return queryAll(ctx, CustomerSQL(q), scanValue[string], "read the customers of "+outlet,
		`SELECT customer FROM customer_outlets WHERE outlet = ? AND last_seen >= ? ORDER BY customer`, outlet, since)
}

// Counts are the invitations' counts per trigger.
func (q SurveySQL) Counts(ctx context.Context) ([]SurveyCounts, error) {
	return q.counts(ctx, false)
}

// VersionCounts are the invitations' counts per survey version, by
// survey and version.
func (q SurveySQL) VersionCounts(ctx context.Context) ([]SurveyCounts, error) {
	return q.counts(ctx, true)
}

// counts groups the invitations by trigger, or by survey version, with
// their messages' states from the outbox (an invitation's message is
// keyed by SurveyMessageKey).
func (q SurveySQL) counts(ctx context.Context, byVersion bool) ([]SurveyCounts, error) {
	group := `i.trigger_name, '', 0`
	by := `i.trigger_name`
	if byVersion {
		group, by = `'', i.survey, i.version`, `i.survey, i.version`
	}
	rows, done, err := q.Query(ctx, `SELECT `+group+`, COUNT(*), SUM(CASE WHEN i.used_at > 0 THEN 1 ELSE 0 END),
		SUM(CASE WHEN o.invite IS NOT NULL THEN 1 ELSE 0 END),
		SUM(CASE WHEN m.state IN ('`+MessageSent+`', '`+MessageDelivered+`') THEN 1 ELSE 0 END),
		SUM(CASE WHEN m.state = '`+MessageDelivered+`' THEN 1 ELSE 0 END),
		SUM(CASE WHEN m.state = '`+MessageFailed+`' THEN 1 ELSE 0 END)
		FROM survey_invites i LEFT JOIN survey_optouts o ON o.invite = i.id
		LEFT JOIN outbox m ON m.key = '`+surveyKeyPrefix+`' || i.id || '`+surveyKeySuffix+`'
		GROUP BY `+by+` ORDER BY `+by)
	if err != nil {
		return nil, fmt.Errorf("count invitations: %w", err)
	}
	defer done()
	return Collect(rows, func(sc Scanner) (SurveyCounts, error) {
		var c SurveyCounts
		return c, sc.Scan(&c.Trigger, &c.Survey, &c.Version, &c.Invited, &c.Answered, &c.OptedOut, &c.Sent, &c.Delivered, &c.Failed)
	})
}

// Draw makes the invitations cands earn under the rules, at now, and
// returns the new ones: for a trigger with a rule, a customer who has not
// opted out, was not invited within the rule's EveryDays, and whose
// invitation id falls in the share. A candidate whose invitation exists
// already changes nothing.
func (q SurveySQL) Draw(ctx context.Context, cands []SurveyCandidate, now int64) ([]SurveyInvite, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	rules, err := q.Rules(ctx)
	if err != nil {
		return nil, err
	}
	var made []SurveyInvite
	by := map[string]SurveyRule{}
	for _, r := range rules {
		by[r.Trigger] = r
	}
	defs := map[string]SurveyDef{}
	slices.SortFunc(cands, func(a, b SurveyCandidate) int { return strings.Compare(InviteID(a), InviteID(b)) })
	for _, c := range slices.Compact(cands) {
		r, ok := by[c.Trigger]
		if !ok || r.Share == 0 || c.Customer == "" {
			continue
		}
		id := InviteID(c)
		if !SurveyDrawn(id, r.Share) {
			continue
		}
		if out, err := q.OptedOut(ctx, c.Customer); err != nil || out {
			if err != nil {
				return nil, err
			}
			continue
		}
		last, err := q.lastInvite(ctx, c.Customer)
		if err != nil {
			return nil, err
		}
		if last != 0 && now-last < r.EveryDays*86400_000 {
			continue
		}
		d, ok := defs[r.Survey]
		if !ok {
			if d, err = q.LatestDef(ctx, r.Survey); err != nil {
				if errors.Is(err, ErrNotFound) {
					continue
				}
				return nil, err
			}
			defs[r.Survey] = d
		}
		v := SurveyInvite{ID: id, Customer: c.Customer, Trigger: c.Trigger, Source: c.Source, Outlet: c.Outlet,
			Survey: d.ID, Version: d.Version, CreatedAt: now, ExpiresAt: now + r.ExpiryMinutes*60_000}
		n, err := q.Exec(ctx, `INSERT INTO survey_invites (`+inviteColumns+`) VALUES (?,?,?,?,?,?,?,?,?,0)
			ON CONFLICT DO NOTHING`, v.ID, v.Customer, v.Trigger, v.Source, v.Outlet, v.Survey, v.Version, v.CreatedAt, v.ExpiresAt)
		if err != nil {
			return nil, fmt.Errorf("record invitation %s: %w", id, err)
		}
		if n == 1 {
			made = append(made, v)
		}
	}
	return made, nil
}

// InviteMessages are the outbox messages of new invitations: each
// carries only its invitation's id, from which the sender renders the
// signed link.
func InviteMessages(vs []SurveyInvite) []Message {
	ms := make([]Message, len(vs))
	for i, v := range vs {
		params, _ := json.Marshal(map[string]string{"invite": v.ID})
		ms[i] = Message{Key: SurveyMessageKey(v.ID), Kind: SurveyMessageKind, Subject: v.Survey, Customer: v.Customer, Params: string(params)}
	}
	return ms
}

// ClaimInvite uses invitation id at now, once: ErrNotFound for none,
// ErrSurveyUsed for one used, ErrSurveyExpired past its expiry. With
// optOut its customer is never invited again.
func (q SurveySQL) ClaimInvite(ctx context.Context, id string, now int64, optOut bool) (SurveyInvite, error) {
	v, err := q.Invite(ctx, id)
	if err != nil {
		return v, err
	}
	if v.UsedAt != 0 {
		return v, ErrSurveyUsed
	}
	if now >= v.ExpiresAt {
		return v, ErrSurveyExpired
	}
	n, err := q.Exec(ctx, `UPDATE survey_invites SET used_at = ? WHERE id = ? AND used_at = 0`, now, id)
	if err != nil {
		return v, fmt.Errorf("use invitation %s: %w", id, err)
	}
	if n != 1 {
		return v, ErrSurveyUsed
	}
	v.UsedAt = now
	if optOut {
		if err := q.OptOut(ctx, v.Customer, id, now); err != nil {
			return v, fmt.Errorf("record opt-out: %w", err)
		}
	}
	return v, nil
}

// SurveysTx runs f in one transaction of the store.
func (s *Core) SurveysTx(ctx context.Context, f func(q SurveySQL) error) error {
	return s.inTx(ctx, func(tx Tx) error { return f(tx.Customers().Surveys()) })
}
