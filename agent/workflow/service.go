// Package workflow is the outlet's counter work: parcels in and out with
// pickup codes and signatures, exception parcels, complaints on deadlines,
// and head-office notices and reply templates. Every step is an event in the
// agent's log; state is folded by the shared rules in syncproto/lifecycle,
// so the hub, folding the same events, decides the same way.
package workflow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/ingest"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Actor is the logged-in staff member taking a step.
type Actor struct {
	ID   string
	Name string
	Role string // clerk or supervisor
}

// Labels prints what the counter hands out. Either may be nil. A label
// that could not be drawn comes back as an error with its job id: the job
// waits in the print queue as a problem the screen shows the clerk.
type Labels interface {
	ShelfLabel(p lifecycle.Parcel) (job uint64, err error)
	ComplaintReceipt(c lifecycle.Complaint, replyBy time.Time) (job uint64, err error)
}

// Config tunes the outlet's rules.
type Config struct {
	HoldDays     int           // holding period; default lifecycle.DefaultHoldDays
	RemindBefore time.Duration // reminder this long before holding ends; default 24 h
	SLA          lifecycle.SLA // complaint deadlines; default lifecycle.DefaultSLA
	// Deadlines are the exceptions' handling deadlines per kind;
	// lifecycle.DefaultExceptionDeadlines for a kind not named.
	Deadlines lifecycle.ExceptionDeadlines
	Keys      *pii.Keys   // seals personal data; required
	Notifier  Notifier    // default: log only
	Labels    Labels      // nil: nothing printed
	Scales    Weigher     // counter scales; nil: weights typed in
	HubClock  clock.Clock // head office's time as the outlet knows it; default clock.System
	Logger    *slog.Logger
}

// Reader reads the folded state of parcels and their events. It needs no
// personal-data key, so the parcel route works without one.
type Reader struct{ file *datafile.File }

// NewReader reads from the agent's data file.
func NewReader(f *datafile.File) *Reader { return &Reader{file: f} }

// Service runs the workflows on an event log.
type Service struct {
	*Reader
	events *eventlog.Log
	cfg    Config
	logger *slog.Logger
}

// New returns a Service keeping its state in f. The event log (in f) must
// have been opened with Projector().
func New(f *datafile.File, events *eventlog.Log, cfg Config) (*Service, error) {
	if cfg.Keys == nil {
		return nil, errors.New("workflow: a personal-data key is required (see --pii-key-file)")
	}
	if cfg.HoldDays <= 0 {
		cfg.HoldDays = lifecycle.DefaultHoldDays
	}
	if cfg.RemindBefore <= 0 {
		cfg.RemindBefore = 24 * time.Hour
	}
	if cfg.HubClock == nil {
		cfg.HubClock = clock.System
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Notifier == nil {
		cfg.Notifier = LogNotifier{Logger: cfg.Logger}
	}
	return &Service{Reader: NewReader(f), events: events, cfg: cfg, logger: cfg.Logger}, nil
}

func (s *Service) now() int64 { return s.cfg.HubClock.Now().UnixMilli() }

func (s *Service) append(ctx context.Context, a Actor, typ, subject string, payload any) (syncproto.Event, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return syncproto.Event{}, err
	}
	actor := a.ID
	if actor == "" {
		actor = "system"
	}
	return s.events.Append(ctx, eventlog.Draft{Actor: actor, Type: typ, Subject: subject, Payload: raw})
}

func (r *Reader) read(kind, id string, v any) (bool, error) {
	var found bool
	err := r.file.View(func(tx *bolt.Tx) error {
		var err error
		found, err = getState(tx, kind, id, v)
		return err
	})
	return found, err
}

// ---- parcels -------------------------------------------------------------

// InboundReq is a parcel arriving at the counter.
type InboundReq struct {
	Barcode  string `json:"barcode"`
	Phone    string `json:"phone"`
	Name     string `json:"name,omitempty"`
	Shelf    string `json:"shelf,omitempty"`
	Layer    string `json:"layer,omitempty"`
	SameCity bool   `json:"same_city,omitempty"`
}

// Inbound records a parcel's arrival and, with a shelf and layer, shelves it.
func (s *Service) Inbound(ctx context.Context, a Actor, r InboundReq) (lifecycle.Parcel, uint64, error) {
	res, err := ingest.Classify(r.Barcode, "")
	if err != nil {
		return lifecycle.Parcel{}, 0, err
	}
	waybill := res.Waybill
	// A place is both parts or none, checked before anything is recorded: a
	// typo must not leave a parcel taken in but not shelved.
	shelf, layer := strings.TrimSpace(r.Shelf), strings.TrimSpace(r.Layer)
	shelving := shelf != "" || layer != ""
	if shelving && (!shelfPart(shelf) || !shelfPart(layer)) {
		return lifecycle.Parcel{}, 0, problem.New(problem.ShelfBadPlace)
	}
	phone := pii.NormalizePhone(r.Phone)
	if err := pii.ValidPhone(phone); err != nil {
		return lifecycle.Parcel{}, 0, err
	}
	var cur lifecycle.Parcel
	if _, err := s.read(lifecycle.KindParcel, waybill, &cur); err != nil {
		return cur, 0, err
	}
	if err := cur.Check(lifecycle.ParcelInbound); err != nil {
		return cur, 0, err
	}
	holdDays, err := s.holdDays()
	if err != nil {
		return cur, 0, err
	}
	rec := pii.Record{Kind: lifecycle.KindParcel, ID: waybill}
	in := lifecycle.InboundV1{Waybill: waybill, PhoneSealed: s.cfg.Keys.Seal(pii.KindPhone, rec, phone), PhoneMasked: pii.MaskPhone(phone),
		Customer: s.cfg.Keys.CustomerID(phone), PhoneLast4: phone[len(phone)-4:], SameCity: r.SameCity, HoldDays: holdDays, At: s.now()}
	for _, c := range res.Candidates {
		in.Carriers = append(in.Carriers, c.Carrier)
	}
	if name := strings.TrimSpace(r.Name); name != "" {
		in.NameSealed, in.NameMasked = s.cfg.Keys.Seal(pii.KindName, rec, name), pii.MaskName(name)
	}
	if _, err := s.append(ctx, a, lifecycle.ParcelInbound, waybill, in); err != nil {
		return cur, 0, err
	}
	if !shelving {
		p, err := s.Parcel(waybill)
		return p, 0, err
	}
	return s.Shelve(ctx, a, waybill, shelf, layer)
}

// Shelve puts a parcel on shelf and layer with a pickup code unique among
// the parcels in stock there, and prints its shelf label.
func (s *Service) Shelve(ctx context.Context, a Actor, waybill, shelf, layer string) (lifecycle.Parcel, uint64, error) {
	shelf, layer = strings.TrimSpace(shelf), strings.TrimSpace(layer)
	err := s.withFreeCode(shelf, layer, func(code string) error {
		_, err := s.append(ctx, a, lifecycle.ParcelShelved, waybill, lifecycle.ShelvedV1{Shelf: shelf, Layer: layer, Code: code, At: s.now()})
		return err
	})
	if err != nil {
		return lifecycle.Parcel{}, 0, err
	}
	p, err := s.Parcel(waybill)
	if err != nil {
		return p, 0, err
	}
	var job uint64
	if s.cfg.Labels != nil {
		if job, err = s.cfg.Labels.ShelfLabel(p); err != nil {
			s.logger.Warn("shelf label not queued", "waybill", waybill, "err", err)
		}
	}
	if np, err := s.Notify(ctx, a, waybill, "arrival"); err != nil {
		s.logger.Warn("arrival notice not recorded", "waybill", waybill, "err", err)
	} else {
		p = np
	}
	return p, job, nil
}

// withFreeCode picks a pickup code shelf-layer-NNNN that no parcel in stock
// holds and records with it. The record re-checks inside its commit and
// fails with ErrCodeTaken if another clerk took the code in the same
// instant; then another number is tried.
func (s *Service) withFreeCode(shelf, layer string, record func(code string) error) error {
	if !shelfPart(shelf) || !shelfPart(layer) {
		return problem.New(problem.ShelfBadPlace)
	}
	for try := 0; try < 20; try++ {
		n, err := rand.Int(rand.Reader, big.NewInt(10000))
		if err != nil {
			return err
		}
		code := fmt.Sprintf("%s-%s-%04d", shelf, layer, n.Int64())
		if w, _ := s.lookupCode(code); w != "" {
			continue
		}
		if err := record(code); !errors.Is(err, ErrCodeTaken) {
			return err
		}
	}
	return problem.New(problem.ShelfFull, "shelf", shelf, "layer", layer)
}

func shelfPart(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return true
}

func (s *Service) lookupCode(code string) (string, error) {
	var w string
	err := s.file.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketCodes); b != nil {
			w = string(b.Get([]byte(code)))
		}
		return nil
	})
	return w, err
}

// Notify records a notification to the recipient and hands it to the
// notifier. The event is the record; delivery is the notifier's job.
func (s *Service) Notify(ctx context.Context, a Actor, waybill, reason string) (lifecycle.Parcel, error) {
	p, err := s.Parcel(waybill)
	if err != nil {
		return p, err
	}
	if err := p.Check(lifecycle.ParcelNotified); err != nil {
		return p, err
	}
	if _, err := s.append(ctx, a, lifecycle.ParcelNotified, waybill, lifecycle.NotifiedV1{Reason: reason, Channel: s.cfg.Notifier.Name(), At: s.now()}); err != nil {
		return p, err
	}
	phone, err := s.cfg.Keys.Open(pii.KindPhone, pii.Record{Kind: lifecycle.KindParcel, ID: waybill}, p.PhoneSealed)
	if err != nil {
		s.logger.Warn("notification without the phone number", "waybill", waybill, "err", err)
	}
	go func() {
		n := Notification{Reason: reason, Waybill: waybill, PickupCode: p.PickupCode, Phone: phone, PhoneMasked: p.PhoneMasked,
			Outlet: s.events.Outlet(), HeldUntil: p.HeldUntil}
		if err := s.cfg.Notifier.Send(context.Background(), n); err != nil {
			s.logger.Warn("notification not delivered", "waybill", waybill, "reason", reason, "err", err)
		}
	}()
	return s.Parcel(waybill)
}

// Parcel returns a parcel's state.
func (r *Reader) Parcel(waybill string) (lifecycle.Parcel, error) {
	var p lifecycle.Parcel
	ok, err := r.read(lifecycle.KindParcel, waybill, &p)
	if err == nil && !ok {
		err = problem.New(problem.ParcelNotFound, "waybill", waybill)
	}
	return p, err
}

// Find looks parcels up by pickup code, by waybill, or by the phone's last
// four digits (with the code, if given, narrowing it down).
func (s *Service) Find(code, waybill, last4 string) ([]lifecycle.Parcel, error) {
	var ids []string
	err := s.file.View(func(tx *bolt.Tx) error {
		switch {
		case waybill != "":
			ids = append(ids, waybill)
		case last4 != "":
			c := tx.Bucket(bucketLast4).Cursor()
			prefix := append([]byte(last4), 0)
			for k, _ := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, _ = c.Next() {
				ids = append(ids, string(k[len(prefix):]))
			}
		case code != "":
			if w := tx.Bucket(bucketCodes).Get([]byte(code)); w != nil {
				ids = append(ids, string(w))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []lifecycle.Parcel
	for _, id := range ids {
		p, err := s.Parcel(id)
		if err != nil {
			continue
		}
		if last4 != "" && code != "" && p.PickupCode != code {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// PickupReq is a hand-over at the counter.
type PickupReq struct {
	Code         string `json:"code"`
	IDCheck      string `json:"id_check"`
	Signer       string `json:"signer"` // recipient or agent
	AgentName    string `json:"agent_name,omitempty"`
	SignatureSVG string `json:"signature_svg,omitempty"`
	Confirmation string `json:"confirmation,omitempty"`
}

// MaxSignatureBytes bounds a signature's SVG; it travels inside an event.
const MaxSignatureBytes = 48 << 10

// Pickup hands a parcel over against its code and the recipient's (or a
// named agent's) signature or explicit confirmation. Staff never sign.
func (s *Service) Pickup(ctx context.Context, a Actor, waybill string, r PickupReq) (lifecycle.Parcel, error) {
	p, err := s.Parcel(waybill)
	if err != nil {
		return p, err
	}
	if err := p.Check(lifecycle.ParcelPickedUp); err != nil {
		return p, err
	}
	if strings.TrimSpace(r.Code) != p.PickupCode {
		return p, problem.New(problem.PickupCodeMismatch)
	}
	if !slices.Contains(lifecycle.IDChecks, r.IDCheck) {
		return p, problem.New(problem.PickupIDCheck, "allowed", lifecycle.IDChecks)
	}
	switch r.Signer {
	case "recipient":
		r.AgentName = ""
	case "agent":
		name := strings.TrimSpace(r.AgentName)
		if name == "" {
			return p, problem.New(problem.PickupAgentName)
		}
		if strings.EqualFold(name, a.ID) || (a.Name != "" && name == a.Name) {
			return p, problem.New(problem.PickupStaffSigner)
		}
	default:
		return p, problem.New(problem.PickupBadSigner)
	}
	// The agent's name and a confirmation name the people who took the
	// parcel: sealed to the parcel, like its phone.
	rec := pii.Record{Kind: lifecycle.KindParcel, ID: waybill}
	pu := lifecycle.PickupV1{IDCheck: r.IDCheck, Signer: r.Signer, Staff: a.ID, At: s.now()}
	if name := strings.TrimSpace(r.AgentName); name != "" {
		pu.AgentNameSealed, pu.AgentNameMasked = s.cfg.Keys.Seal(pii.KindName, rec, name), pii.MaskName(name)
	}
	switch {
	case r.SignatureSVG != "":
		if err := checkSignature(r.SignatureSVG); err != nil {
			return p, err
		}
		sum := sha256.Sum256([]byte(r.SignatureSVG))
		pu.SignatureSVG, pu.SignatureSHA256 = r.SignatureSVG, hex.EncodeToString(sum[:])
	case strings.TrimSpace(r.Confirmation) != "":
		pu.ConfirmationSealed = s.cfg.Keys.Seal(pii.KindConfirmation, rec, strings.TrimSpace(r.Confirmation))
	default:
		return p, problem.New(problem.PickupNoProof)
	}
	if _, err := s.append(ctx, a, lifecycle.ParcelPickedUp, waybill, pu); err != nil {
		return p, err
	}
	return s.Parcel(waybill)
}

// Refuse records that the recipient inspected the parcel and refused it; it
// goes back to the sender.
func (s *Service) Refuse(ctx context.Context, a Actor, waybill, reason string) (lifecycle.Parcel, error) {
	p, err := s.Parcel(waybill)
	if err != nil {
		return p, err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return p, problem.New(problem.ParcelRefuseReason)
	}
	if err := p.Check(lifecycle.ParcelRefused); err != nil {
		return p, err
	}
	if _, err := s.append(ctx, a, lifecycle.ParcelRefused, waybill, lifecycle.ReasonV1{Reason: reason, At: s.now()}); err != nil {
		return p, err
	}
	return s.Parcel(waybill)
}

// Return sends an overdue or refused parcel back to the sender (退回).
func (s *Service) Return(ctx context.Context, a Actor, waybill, reason string) (lifecycle.Parcel, error) {
	p, err := s.Parcel(waybill)
	if err != nil {
		return p, err
	}
	if err := p.Check(lifecycle.ParcelReturned); err != nil {
		return p, err
	}
	if _, err := s.append(ctx, a, lifecycle.ParcelReturned, waybill, lifecycle.ReasonV1{Reason: strings.TrimSpace(reason), At: s.now()}); err != nil {
		return p, err
	}
	return s.Parcel(waybill)
}

// list returns the folded states of kind, newest first, at most n.
func list[T any](s *Service, kind string, n int, keep func(*T) bool) ([]T, error) {
	var out []T
	err := s.file.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketList).Cursor()
		prefix := append([]byte(kind), 0)
		// Seek past the last key of this kind, then walk back.
		k, _ := c.Seek(append(append([]byte(kind), 1), 0))
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && strings.HasPrefix(string(k), string(prefix)) && len(out) < n; k, _ = c.Prev() {
			id := string(k[len(prefix)+8:])
			var v T
			if ok, err := getState(tx, kind, id, &v); err != nil || !ok {
				continue
			}
			if keep == nil || keep(&v) {
				out = append(out, v)
			}
		}
		return nil
	})
	return out, err
}

// Parcels lists parcels with the given status (all if empty), newest first.
func (s *Service) Parcels(status string, n int) ([]lifecycle.Parcel, error) {
	return list(s, lifecycle.KindParcel, n, func(p *lifecycle.Parcel) bool { return status == "" || p.State == status })
}

// History returns the entity's events held here, in fold order: those
// retention compacted into its state (Compact) are at head office only.
func (r *Reader) History(kind, id string) ([]syncproto.Event, error) {
	var evs []syncproto.Event
	err := r.file.View(func(tx *bolt.Tx) error {
		var err error
		evs, err = entityEvents(tx, kind, id)
		return err
	})
	if evs == nil && err == nil {
		evs = []syncproto.Event{}
	}
	return evs, err
}

// detectImage accepts JPEG and PNG photos.
func detectImage(b []byte) (string, error) {
	switch t := http.DetectContentType(b); t {
	case "image/jpeg", "image/png":
		return t, nil
	default:
		return "", problem.New(problem.PhotoBadType, "type", t)
	}
}
