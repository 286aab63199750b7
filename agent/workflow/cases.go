package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// ---- exceptions ----------------------------------------------------------

// Photo limits: a few pictures of a damaged box, not a photo album.
const (
	MaxPhotos     = 4
	MaxPhotoBytes = 2 << 20
)

// ReportReq is an exception reported at the counter or from a scan.
type ReportReq struct {
	Waybill  string   `json:"waybill"`
	Kind     string   `json:"kind"`
	Note     string   `json:"note,omitempty"`
	Owner    string   `json:"owner,omitempty"`
	SameCity bool     `json:"same_city,omitempty"`
	Photos   [][]byte `json:"photos,omitempty"`
}

// ReportException records an exception parcel. Its owner is the first person
// contacted (首问负责制): the reporter unless someone is named.
func (s *Service) ReportException(ctx context.Context, a Actor, r ReportReq) (lifecycle.Exception, error) {
	r.Waybill = strings.TrimSpace(r.Waybill)
	if r.Waybill == "" {
		return lifecycle.Exception{}, problem.New(problem.ExceptionWaybillRequired)
	}
	// The same check as every other waybill the counter takes, so an
	// exception is filed under the number its parcel has.
	res, err := ingest.Classify(r.Waybill, "")
	if err != nil {
		return lifecycle.Exception{}, err
	}
	r.Waybill = res.Waybill
	if !slices.Contains(lifecycle.ExceptionKinds, r.Kind) {
		return lifecycle.Exception{}, problem.New(problem.ExceptionBadKind, "kind", r.Kind, "allowed", lifecycle.ExceptionKinds)
	}
	if len(r.Photos) > MaxPhotos {
		return lifecycle.Exception{}, problem.New(problem.PhotoTooMany, "max", MaxPhotos)
	}
	if r.Owner == "" {
		r.Owner = a.ID
	}
	rep := lifecycle.ExceptionReportedV1{Waybill: r.Waybill, Kind: r.Kind, Note: strings.TrimSpace(r.Note), Owner: r.Owner, SameCity: r.SameCity, At: s.now()}
	blobs := map[string][]byte{}
	for _, ph := range r.Photos {
		if len(ph) > MaxPhotoBytes {
			return lifecycle.Exception{}, problem.New(problem.PhotoTooLarge, "max_mib", MaxPhotoBytes>>20)
		}
		typ, err := detectImage(ph)
		if err != nil {
			return lifecycle.Exception{}, err
		}
		sum := sha256.Sum256(ph)
		h := hex.EncodeToString(sum[:])
		blobs[h] = ph
		rep.Photos = append(rep.Photos, lifecycle.Photo{SHA256: h, Size: len(ph), Type: typ})
	}
	// Photos first: an event never points at a blob that is not on disk.
	if len(blobs) > 0 {
		err := s.file.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketBlobs)
			for h, data := range blobs {
				if err := b.Put([]byte(h), data); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return lifecycle.Exception{}, err
		}
	}
	id := syncproto.NewID()
	if _, err := s.append(ctx, a, lifecycle.ExceptionReported, id, rep); err != nil {
		return lifecycle.Exception{}, err
	}
	return s.Exception(id)
}

// Photo returns a stored photo by hash.
func (s *Service) Photo(sha string) ([]byte, error) {
	var out []byte
	err := s.file.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketBlobs); b != nil {
			out = append([]byte(nil), b.Get([]byte(sha))...)
		}
		return nil
	})
	if err == nil && len(out) == 0 {
		err = problem.New(problem.PhotoNotFound, "sha", sha)
	}
	return out, err
}

// Exception returns an exception's state.
func (s *Service) Exception(id string) (lifecycle.Exception, error) {
	var x lifecycle.Exception
	ok, err := s.read(lifecycle.KindException, id, &x)
	if err == nil && !ok {
		err = problem.New(problem.ExceptionNotFound, "id", id)
	}
	return x, err
}

// Exceptions lists exceptions, newest first; open only if openOnly.
func (s *Service) Exceptions(openOnly bool, n int) ([]lifecycle.Exception, error) {
	if !openOnly {
		return list[lifecycle.Exception](s, lifecycle.KindException, n, nil)
	}
	xs, err := openStates[lifecycle.Exception](s, lifecycle.KindException)
	slices.SortFunc(xs, func(a, b lifecycle.Exception) int { return b.ReportedAt.Compare(a.ReportedAt) })
	return xs[:min(n, len(xs))], err
}

// ExceptionDeadline is x's handling deadline at hub-corrected now, the
// same rule and clock head office counts it by.
func (s *Service) ExceptionDeadline(x lifecycle.Exception) lifecycle.ExceptionDeadline {
	return x.Deadline(s.cfg.Deadlines, s.cfg.HubClock.Now())
}

// ExceptionStep takes one lifecycle step on an exception.
func (s *Service) ExceptionStep(ctx context.Context, a Actor, id string, st lifecycle.ExceptionStepV1) (lifecycle.Exception, error) {
	x, err := s.Exception(id)
	if err != nil {
		return x, err
	}
	if err := x.Check(st.Step, s.events.Outlet()); err != nil {
		return x, err
	}
	st.At = s.now()
	if _, err := s.append(ctx, a, lifecycle.ExceptionStep, id, st); err != nil {
		return x, err
	}
	return s.Exception(id)
}

// ---- complaints ------------------------------------------------------------

// ComplaintReq is a complaint, suggestion or praise taken at the outlet.
type ComplaintReq struct {
	Channel  string `json:"channel"`
	Type     string `json:"type"`
	Category string `json:"category"`
	Severity string `json:"severity"`
	Phone    string `json:"customer_phone"`
	Name     string `json:"customer_name,omitempty"`
	Waybill  string `json:"waybill,omitempty"`
	Text     string `json:"text"`
	NoticeID string `json:"notice_id,omitempty"`
}

// ComplaintView is a complaint with its deadlines at hub-corrected now.
type ComplaintView struct {
	lifecycle.Complaint
	lifecycle.Deadlines
	Allowed []string `json:"allowed"`
}

// NewComplaint records a complaint and prints its receipt with the ticket
// number and the reply deadline.
func (s *Service) NewComplaint(ctx context.Context, a Actor, r ComplaintReq) (ComplaintView, uint64, error) {
	rec := lifecycle.ComplaintReceivedV1{Channel: r.Channel, Type: r.Type, Category: r.Category, Severity: r.Severity,
		Waybill: strings.TrimSpace(r.Waybill), Text: strings.TrimSpace(r.Text), NoticeID: r.NoticeID, Owner: a.ID, At: s.now()}
	if err := lifecycle.CheckNew(rec); err != nil {
		return ComplaintView{}, 0, err
	}
	if len(rec.Text) > 4000 {
		return ComplaintView{}, 0, problem.New(problem.ComplaintTextTooLong, "max", 4000)
	}
	id := syncproto.NewID()
	// Everything the customer said or is: sealed to this complaint.
	sr := pii.Record{Kind: lifecycle.KindComplaint, ID: id}
	if phone := pii.NormalizePhone(r.Phone); phone != "" {
		if err := pii.ValidPhone(phone); err != nil {
			return ComplaintView{}, 0, err
		}
		rec.PhoneSealed, rec.CustomerMasked, rec.Customer = s.cfg.Keys.Seal(pii.KindPhone, sr, phone), pii.MaskPhone(phone), s.cfg.Keys.CustomerID(phone)
	}
	if name := strings.TrimSpace(r.Name); name != "" {
		rec.NameSealed, rec.NameMasked = s.cfg.Keys.Seal(pii.KindName, sr, name), pii.MaskName(name)
	}
	rec.Text, rec.TextSealed = "", s.cfg.Keys.Seal(pii.KindText, sr, rec.Text)
	rec.Ticket = lifecycle.ComplaintTicket(rec.At, s.events.Outlet(), id)
	if _, err := s.append(ctx, a, lifecycle.ComplaintReceived, id, rec); err != nil {
		return ComplaintView{}, 0, err
	}
	v, err := s.Complaint(id)
	if err != nil {
		return v, 0, err
	}
	var job uint64
	if s.cfg.Labels != nil {
		if job, err = s.cfg.Labels.ComplaintReceipt(v.Complaint, v.FirstReplyBy); err != nil {
			s.logger.Warn("complaint receipt not queued", "ticket", v.Ticket, "err", err)
		}
	}
	return v, job, nil
}

// view is a complaint as the counter shows it. The customer's words are
// opened for staff: the clerk handles the complaint from them and prints
// them on the customer's receipt. They stay sealed in the event, the data
// file and at head office.
func (s *Service) view(c lifecycle.Complaint) ComplaintView {
	if c.TextSealed != "" {
		text, err := s.cfg.Keys.Open(pii.KindText, pii.Record{Kind: lifecycle.KindComplaint, ID: c.ID}, c.TextSealed)
		if err != nil {
			s.logger.Warn("complaint text does not open", "ticket", c.Ticket, "err", err)
		}
		c.Text = text
	}
	return ComplaintView{Complaint: c, Deadlines: c.Deadlines(s.cfg.SLA, s.cfg.HubClock.Now()), Allowed: c.Allowed(s.events.Outlet())}
}

// Complaint returns a complaint with its deadlines.
func (s *Service) Complaint(id string) (ComplaintView, error) {
	var c lifecycle.Complaint
	ok, err := s.read(lifecycle.KindComplaint, id, &c)
	if err == nil && !ok {
		err = problem.New(problem.ComplaintNotFound, "id", id)
	}
	return s.view(c), err
}

// Complaints lists complaints, newest first; open only if openOnly.
func (s *Service) Complaints(openOnly bool, n int) ([]ComplaintView, error) {
	var cs []lifecycle.Complaint
	var err error
	if openOnly {
		cs, err = openStates[lifecycle.Complaint](s, lifecycle.KindComplaint)
		slices.SortFunc(cs, func(a, b lifecycle.Complaint) int { return b.ReceivedAt.Compare(a.ReceivedAt) })
		cs = cs[:min(n, len(cs))]
	} else {
		cs, err = list[lifecycle.Complaint](s, lifecycle.KindComplaint, n, nil)
	}
	out := make([]ComplaintView, 0, len(cs))
	for _, c := range cs {
		out = append(out, s.view(c))
	}
	return out, err
}

// ComplaintStep takes one lifecycle step on a complaint.
func (s *Service) ComplaintStep(ctx context.Context, a Actor, id string, st lifecycle.ComplaintStepV1) (ComplaintView, error) {
	v, err := s.Complaint(id)
	if err != nil {
		return v, err
	}
	if err := v.Complaint.Check(st, s.events.Outlet()); err != nil {
		return v, err
	}
	st.At = s.now()
	if _, err := s.append(ctx, a, lifecycle.ComplaintStep, id, st); err != nil {
		return v, err
	}
	return s.Complaint(id)
}

// ReplyTemplates suggests head office's reply templates for a category and
// text, best first; withdrawn ones are not offered.
func (s *Service) ReplyTemplates(category, text string) ([]lifecycle.Template, error) {
	ts, err := list(s, lifecycle.KindTemplate, 500, func(t *lifecycle.Template) bool { return t.ID != "" && !t.Withdrawn })
	if err != nil {
		return nil, err
	}
	if category == "" && text == "" {
		return ts, nil
	}
	return lifecycle.Suggest(ts, category, text), nil
}

// ---- notices ---------------------------------------------------------------

// Notices lists notices, newest first; active only if activeOnly.
func (s *Service) Notices(activeOnly bool) ([]lifecycle.Notice, error) {
	now := s.cfg.HubClock.Now()
	return list(s, lifecycle.KindNotice, 200, func(n *lifecycle.Notice) bool {
		return n.Published && (!activeOnly || n.Active(now))
	})
}

// CurrentNotices lists what the counter shows, newest first: the notices
// active at hub-corrected time now, and those that ended recently
// (lifecycle.RecoveryShown) with their recovery text.
func (s *Service) CurrentNotices() ([]lifecycle.Notice, error) {
	now := s.cfg.HubClock.Now()
	return list(s, lifecycle.KindNotice, 200, func(n *lifecycle.Notice) bool {
		return n.Active(now) || n.RecentlyEnded(now)
	})
}

// Effects are the rules active notices change at hub-corrected time now;
// nil when none do.
func (s *Service) Effects() (*lifecycle.NoticeEffects, error) {
	ns, err := s.Notices(true)
	if err != nil {
		return nil, err
	}
	return lifecycle.EffectsInForce(ns, s.cfg.HubClock.Now()), nil
}

// holdDays is the holding period of a parcel checked in now: a notice's
// while one sets it, else the outlet's. The parcel's inbound event records
// it, so the parcel keeps it after the notice ends.
func (s *Service) holdDays() (int, error) {
	e, err := s.Effects()
	if err != nil || e == nil || e.HoldDays == 0 {
		return s.cfg.HoldDays, err
	}
	return e.HoldDays, nil
}

// AckNotice records that a staff member read a notice.
func (s *Service) AckNotice(ctx context.Context, a Actor, id string) (lifecycle.Notice, error) {
	var n lifecycle.Notice
	ok, err := s.read(lifecycle.KindNotice, id, &n)
	if err != nil {
		return n, err
	}
	if !ok || !n.Published {
		return n, problem.New(problem.NoticeNotFound, "id", id)
	}
	if _, err := s.append(ctx, a, lifecycle.NoticeAcknowledged, id, lifecycle.NoticeAckV1{Staff: a.ID, At: s.now()}); err != nil {
		return n, err
	}
	_, err = s.read(lifecycle.KindNotice, id, &n)
	return n, err
}

// ---- personal data -----------------------------------------------------

// Revealed is a personal field in clear and the audit event that recorded
// the view, so the screen can show that it was recorded.
type Revealed struct {
	Value string          `json:"value"`
	Audit syncproto.Event `json:"audit"`
}

// Reveal opens a sealed personal field for a supervisor and records the view
// as an audit event before answering.
func (s *Service) Reveal(ctx context.Context, a Actor, kind, id, field string) (Revealed, error) {
	if a.Role != "supervisor" {
		return Revealed{}, problem.New(problem.PersonalSupervisor)
	}
	var sealed string
	kindOf := field // the field kind bound into the value
	switch kind {
	case lifecycle.KindParcel:
		p, err := s.Parcel(id)
		if err != nil {
			return Revealed{}, err
		}
		sealed = map[string]string{"phone": p.PhoneSealed, "name": p.NameSealed}[field]
		// Who took the parcel: the pickup's agent and its confirmation,
		// which the counter shows masked or not at all.
		if p.Pickup != nil {
			switch field {
			case "agent_name":
				sealed, kindOf = p.Pickup.AgentNameSealed, pii.KindName
			case "confirmation":
				sealed, kindOf = p.Pickup.ConfirmationSealed, pii.KindConfirmation
			}
		}
	case lifecycle.KindComplaint:
		c, err := s.Complaint(id)
		if err != nil {
			return Revealed{}, err
		}
		sealed = map[string]string{"phone": c.PhoneSealed}[field]
	default:
		return Revealed{}, problem.New(problem.PersonalUnknownKind, "kind", kind)
	}
	if sealed == "" {
		return Revealed{}, problem.New(problem.PersonalFieldMissing, "field", field)
	}
	plain, err := s.cfg.Keys.Open(kindOf, pii.Record{Kind: kind, ID: id}, sealed)
	if err != nil {
		return Revealed{}, err
	}
	ev, err := s.append(ctx, a, lifecycle.PersonalViewed, kind+"/"+id, map[string]any{"kind": kind, "id": id, "field": field, "at": s.now()})
	if err != nil {
		return Revealed{}, err
	}
	return Revealed{Value: plain, Audit: ev}, nil
}
