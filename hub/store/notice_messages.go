package store

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// A notice's customer messages and survey invitations, decided when the
// notice's downlink events are appended (AppendDown). Its publication to
// an outlet enqueues one start message for each customer with a parcel
// waiting there (inbound, on the shelf, overdue) or out for delivery from
// there, once per customer across the notice's outlets, due at the
// notice's valid_from; its end cancels the start messages not gone out
// yet, enqueues one recovery message to each customer another went to,
// and offers the notice_ended survey to the customers seen at the outlet
// since valid_from. Keys make all of it idempotent across retries,
// restarts and hubs; one published with NoCustomerMessages sends none.
//
// noticeOutlets is the one place a target becomes outlets. An outlet is
// worked at once, in the transaction of its event. TargetAll is every
// registered outlet: a national notice would hold the writer for minutes,
// so the event records a job (notice_jobs) instead, and AdvanceNotices
// works through it in bounded steps, each its own transaction, with the
// same per-outlet code. Every notice's end is such a job, walking its
// start messages by key: a regional notice has as many as a national one
// may. Until that job is done, Claim holds back the notice's start
// messages still pending, so the end overtakes each one not yet gone.
//
// At most the store's MaxPerOutlet start messages go out per outlet and
// notice (hash order of notice and customer, the same on every hub); the
// customers left out are counted per outlet (notice_capped) and shown as
// MessageCapped.

// Kinds of a notice's customer messages (Message.Kind).
const (
	NoticeStartMessage = "notice.start"
	NoticeEndMessage   = "notice.end"
)

// Kinds of the steps a notice to every outlet is worked through in.
const (
	noticeJobStart  = "start"  // start messages, by outlet
	noticeJobEnd    = "end"    // cancellations and recovery messages, by start key
	noticeJobSurvey = "survey" // notice_ended invitations, by outlet
)

// Bounds of one AdvanceNotices step: outlets read for their customers, or
// start messages ended.
const (
	noticeOutletsPerStep = 16
	noticeKeysPerStep    = 2000
)

// NoticeMessageParams are what a notice's customer messages render from
// (Message.Params).
type NoticeMessageParams struct {
	Title string `json:"title"`
	Text  string `json:"text,omitempty"`
	// Until is the expected recovery (the notice's valid_to), Unix ms; 0
	// when not known.
	Until int64 `json:"until,omitempty"`
	// Recovery is the recovery notice's text (NoticeEndMessage).
	Recovery string `json:"recovery,omitempty"`
}

// AffectedStates are the parcel states whose customers a notice at their
// outlet messages: waiting there, or out for delivery from it.
var AffectedStates = []string{lifecycle.ParcelStateInbound, lifecycle.ParcelStateInStock, lifecycle.ParcelStateOverdue, lifecycle.ParcelStateOutForDelivery}

// NoticeMessageKey is the key of a notice's message of kind to customer.
func NoticeMessageKey(notice, kind, customer string) string {
	part := "start"
	if kind == NoticeEndMessage {
		part = "end"
	}
	return "notice:" + notice + ":" + part + ":" + customer
}

// noticeOutlets resolves a notice event's target: an outlet id is that
// outlet, to work now; TargetAll (or none) is every outlet, later.
func noticeOutlets(e *syncproto.Event) (outlet string, all bool) {
	if e.Target == "" || e.Target == syncproto.TargetAll {
		return "", true
	}
	return e.Target, false
}

// noticeMessages decides what e, a downlink event appended in tx, asks of
// the customers; maxPerOutlet caps the start messages (0: none).
func noticeMessages(ctx context.Context, tx Tx, e *syncproto.Event, now int64, maxPerOutlet int) error {
	if e.Subject == "" || (e.Type != lifecycle.NoticePublished && e.Type != lifecycle.NoticeEnded) {
		return nil
	}
	n, err := foldNotice(ctx, tx, e.Subject)
	if err != nil || !n.Published {
		return err
	}
	outlet, all := noticeOutlets(e)
	q := tx.Outbox()
	switch e.Type {
	case lifecycle.NoticePublished:
		if n.NoCustomerMessages || n.Ended {
			return nil
		}
		if all {
			return q.AddNoticeJob(ctx, e.Subject, noticeJobStart, now)
		}
		return noticeStartAt(ctx, tx, n, outlet, now, maxPerOutlet)
	case lifecycle.NoticeEnded:
		// No start message after the end: a notice to every outlet's
		// start step stops here. The start messages are ended in steps
		// (however many outlets it had); until the last, Claim holds back
		// those still pending, so none goes out after the end.
		if err := q.FinishNoticeJob(ctx, e.Subject, noticeJobStart, ""); err != nil {
			return err
		}
		if err := q.AddNoticeJob(ctx, e.Subject, noticeJobEnd, now); err != nil {
			return err
		}
		if all {
			return q.AddNoticeJob(ctx, e.Subject, noticeJobSurvey, now)
		}
		return noticeSurveysAt(ctx, tx, n, outlet, now)
	}
	return nil
}

// foldNotice folds notice id from the events tx holds.
func foldNotice(ctx context.Context, tx Tx, id string) (lifecycle.Notice, error) {
	evs, err := tx.SubjectEvents(ctx, id)
	if err != nil {
		return lifecycle.Notice{}, fmt.Errorf("read notice %s: %w", id, err)
	}
	return lifecycle.FoldNotice(id, evs), nil
}

// noticeStartAt enqueues notice n's start messages to the customers
// waiting at outlet, at most maxPerOutlet of them (0: all), due at its
// valid_from, and records how many the cap left out.
func noticeStartAt(ctx context.Context, tx Tx, n lifecycle.Notice, outlet string, now int64, maxPerOutlet int) error {
	ids, err := affected(ctx, tx, outlet)
	if err != nil {
		return err
	}
	params, _ := json.Marshal(NoticeMessageParams{Title: n.Title, Text: n.Text, Until: n.ValidTo})
	ms := make([]Message, 0, len(ids))
	for _, id := range ids {
		m := Message{Key: NoticeMessageKey(n.ID, NoticeStartMessage, id), Kind: NoticeStartMessage, Subject: n.ID, Customer: id,
			Params: string(params), NotBefore: n.ValidFrom}
		// A customer id no phone hashes to (an outlet may send any)
		// is left out rather than failing the notice.
		if m.Check() == nil {
			ms = append(ms, m)
		}
	}
	if maxPerOutlet > 0 && len(ms) > maxPerOutlet {
		// A draw every hub makes the same, different for each notice, so
		// no customer is always the one left out.
		rank := make(map[string]string, len(ms))
		for _, m := range ms {
			h := sha256.Sum256([]byte(n.ID + "\x00" + m.Customer))
			rank[m.Customer] = string(h[:])
		}
		slices.SortFunc(ms, func(a, b Message) int { return strings.Compare(rank[a.Customer], rank[b.Customer]) })
		if err := tx.Outbox().PutCapped(ctx, n.ID, outlet, int64(len(ms)-maxPerOutlet)); err != nil {
			return err
		}
		ms = ms[:maxPerOutlet]
	}
	_, err = tx.Outbox().Enqueue(ctx, ms, now)
	return err
}

// endNotice ends notice n's start messages after key after, at most limit
// of them (0: all): EndNotice with the recovery notice's text.
func endNotice(ctx context.Context, tx Tx, n lifecycle.Notice, after string, limit int, now int64) (string, int, error) {
	params, _ := json.Marshal(NoticeMessageParams{Title: n.Title, Recovery: n.RecoveryText})
	if after == "" {
		// Every start key sorts after its prefix: the walk starts on the
		// key index at the notice's first.
		after = strings.TrimSuffix(NoticeMessageKey(n.ID, NoticeStartMessage, "x"), "x")
	}
	return tx.Outbox().EndNotice(ctx, n.ID, NoticeStartMessage, NoticeEndMessage, "notice:"+n.ID+":end:", string(params), after, limit, now)
}

// noticeSurveysAt offers the notice_ended survey to the customers seen at
// outlet since notice n took effect.
func noticeSurveysAt(ctx context.Context, tx Tx, n lifecycle.Notice, outlet string, now int64) error {
	ids, err := tx.Customers().Surveys().SeenAt(ctx, outlet, n.ValidFrom)
	if err != nil {
		return err
	}
	cands := make([]SurveyCandidate, len(ids))
	for i, id := range ids {
		cands[i] = SurveyCandidate{Customer: id, Trigger: lifecycle.SurveyOnNoticeEnded, Source: n.ID, Outlet: outlet}
	}
	return inviteSurveys(ctx, tx, cands, now)
}

// AdvanceNotices implements Store: one bounded step of the oldest
// unfinished notice to every outlet, in a transaction of its own; more
// reports whether any is left.
func (s *Core) AdvanceNotices(ctx context.Context) (more bool, err error) {
	err = s.inTx(ctx, func(tx Tx) error {
		more = false
		q := tx.Outbox()
		j, ok, err := q.NextNoticeJob(ctx)
		if err != nil || !ok {
			return err
		}
		now := s.clock.Now().UnixMilli()
		n, err := foldNotice(ctx, tx, j.notice)
		if err != nil {
			return err
		}
		next, done := "", false
		switch {
		case !n.Published:
			done = true
		case j.kind == noticeJobEnd:
			last, read, err := endNotice(ctx, tx, n, j.after, noticeKeysPerStep, now)
			if err != nil {
				return err
			}
			next, done = last, read < noticeKeysPerStep
		default:
			outlets, err := q.OutletsAfter(ctx, j.after, noticeOutletsPerStep)
			if err != nil {
				return err
			}
			for _, o := range outlets {
				if j.kind == noticeJobStart {
					err = noticeStartAt(ctx, tx, n, o, now, s.MaxPerOutlet())
				} else {
					err = noticeSurveysAt(ctx, tx, n, o, now)
				}
				if err != nil {
					return err
				}
				next = o
			}
			done = len(outlets) < noticeOutletsPerStep
		}
		if done {
			next = ""
		}
		if err := q.FinishNoticeJob(ctx, j.notice, j.kind, next); err != nil {
			return err
		}
		more, err = q.NoticeJobsLeft(ctx)
		return err
	})
	return more, err
}

// affected lists, by id, the customers of the parcels at outlet in one of
// AffectedStates (the customer its latest intake there named) who left a
// number to reach them by.
func affected(ctx context.Context, tx Tx, outlet string) ([]string, error) {
	waybills, err := tx.Outbox().Waybills(ctx, outlet, AffectedStates)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	for chunk := range slices.Chunk(waybills, pickupsPerRead) {
		evs, err := parcelEventsOf(ctx, tx, outlet, chunk)
		if err != nil {
			return nil, err
		}
		for _, w := range chunk {
			id := intakeCustomer(evs, w, math.MaxInt64)
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			c, err := tx.Customers().Customer(ctx, id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if c.Contact.PhoneSealed != "" {
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Waybills lists the waybills of the parcel index at outlet in one of
// states.
func (q OutboxSQL) Waybills(ctx context.Context, outlet string, states []string) ([]string, error) {
	args := []any{outlet}
	for _, s := range states {
		args = append(args, s)
	}
	return queryAll(ctx, q.SQL, scanValue[string], "find the parcels at "+outlet,
		`SELECT waybill FROM parcels WHERE outlet = ? AND state IN (?`+strings.Repeat(",?", len(states)-1)+`) ORDER BY waybill`, args...)
}

// OutletsAfter lists up to limit registered outlets after id after, by id.
func (q OutboxSQL) OutletsAfter(ctx context.Context, after string, limit int) ([]string, error) {
	return queryAll(ctx, q.SQL, scanValue[string], "list the outlets after "+after,
		`SELECT id FROM outlets WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
}

// PutCapped records that notice's start messages left n customers at
// outlet out.
func (q OutboxSQL) PutCapped(ctx context.Context, notice, outlet string, n int64) error {
	if _, err := q.SQL.Exec(ctx, `INSERT INTO notice_capped (notice, outlet, n) VALUES (?,?,?)
		ON CONFLICT (notice, outlet) DO UPDATE SET n = excluded.n`, notice, outlet, n); err != nil {
		return fmt.Errorf("count the customers %s left out at %s: %w", notice, outlet, err)
	}
	return nil
}

// capped is how many customers notice's start messages left out.
func (q OutboxSQL) capped(ctx context.Context, notice string) (int64, error) {
	ns, err := queryAll(ctx, q.SQL, scanValue[int64], "count the customers "+notice+" left out",
		`SELECT COALESCE(SUM(n), 0) FROM notice_capped WHERE notice = ?`, notice)
	if err != nil || len(ns) == 0 {
		return 0, err
	}
	return ns[0], nil
}

// noticeJob is a step of a notice to every outlet still to work.
type noticeJob struct {
	notice, kind, after string
}

// AddNoticeJob records a job of kind for notice, once.
func (q OutboxSQL) AddNoticeJob(ctx context.Context, notice, kind string, now int64) error {
	if _, err := q.SQL.Exec(ctx, `INSERT INTO notice_jobs (notice, kind, after_key, done, created_at) VALUES (?,?,'',0,?)
		ON CONFLICT (notice, kind) DO NOTHING`, notice, kind, now); err != nil {
		return fmt.Errorf("record the %s of notice %s: %w", kind, notice, err)
	}
	return nil
}

// FinishNoticeJob moves notice's job of kind on to after, or ends it
// when after is "".
func (q OutboxSQL) FinishNoticeJob(ctx context.Context, notice, kind, after string) error {
	done := 0
	if after == "" {
		done = 1
	}
	if _, err := q.SQL.Exec(ctx, `UPDATE notice_jobs SET after_key = ?, done = ? WHERE notice = ? AND kind = ? AND done = 0`,
		after, done, notice, kind); err != nil {
		return fmt.Errorf("record the %s of notice %s: %w", kind, notice, err)
	}
	return nil
}

// NextNoticeJob takes the oldest unfinished job and holds its row to the
// end of the transaction, reading where it stands only once it holds it:
// a second hub on the same job waits, then goes on from where the first
// left it; a notice's end, which stops its start job, waits too.
func (q OutboxSQL) NextNoticeJob(ctx context.Context) (noticeJob, bool, error) {
	js, err := queryAll(ctx, q.SQL, func(sc Scanner) (noticeJob, error) {
		var j noticeJob
		return j, sc.Scan(&j.notice, &j.kind)
	}, "find a notice's next step", `SELECT notice, kind FROM notice_jobs WHERE done = 0 ORDER BY created_at, notice, kind LIMIT 1`)
	if err != nil || len(js) == 0 {
		return noticeJob{}, false, err
	}
	j := js[0]
	n, err := q.SQL.Exec(ctx, `UPDATE notice_jobs SET after_key = after_key WHERE notice = ? AND kind = ? AND done = 0`, j.notice, j.kind)
	if err != nil || n == 0 {
		return noticeJob{}, false, err
	}
	after, err := queryAll(ctx, q.SQL, scanValue[string], "read a notice's next step",
		`SELECT after_key FROM notice_jobs WHERE notice = ? AND kind = ? AND done = 0`, j.notice, j.kind)
	if err != nil || len(after) == 0 {
		return noticeJob{}, false, err
	}
	j.after = after[0]
	return j, true, nil
}

// NoticeJobsLeft reports whether any job is unfinished.
func (q OutboxSQL) NoticeJobsLeft(ctx context.Context) (bool, error) {
	js, err := queryAll(ctx, q.SQL, scanValue[string], "find a notice's next step", `SELECT notice FROM notice_jobs WHERE done = 0 LIMIT 1`)
	return len(js) > 0, err
}
