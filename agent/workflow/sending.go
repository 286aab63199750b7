package workflow

import (
	"context"
	"maps"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
	"github.com/yizhan/yizhan/syncproto/tariff"
)

// Weigher reads a stable weight from a named counter scale.
type Weigher interface {
	// StableGrams's errors should be catalog codes (scale.unstable…);
	// another error is reported as scale.failed.
	StableGrams(ctx context.Context, scale string) (int64, error)
}

// PackagingAdvice is what the clerk tells the sender, per item type.
var PackagingAdvice = map[string]string{
	"documents":   "文件袋封装，防水 / document envelope, keep dry",
	"clothing":    "防水袋或纸箱，压实减少体积 / waterproof bag or carton, pack tight to cut volume",
	"electronics": "原包装或纸箱，四周填充缓冲材料，电池须安装在设备内 / original box or carton with padding on all sides; batteries installed in the device only",
	"fragile":     "双层纸箱加气泡膜，贴易碎标识 / double carton with bubble wrap, mark as fragile",
	"food":        "密封包装，不寄生鲜易腐 / sealed packs; no fresh or perishable food",
	"cosmetics":   "瓶口密封加固，单独装袋防渗漏 / seal and tape caps, bag each item against leaks",
	"other":       "纸箱包装，内物不晃动 / carton, contents must not move when shaken",
}

// PartyReq is a sender or recipient as the clerk types them.
type PartyReq struct {
	Name     string `json:"name"`
	Phone    string `json:"phone"`
	Address  string `json:"address,omitempty"`
	DestCode string `json:"dest_code,omitempty"`
}

// SendReq is a parcel taken in for sending at the counter (收寄).
type SendReq struct {
	Sender            PartyReq `json:"sender"`
	SenderIDType      string   `json:"sender_id_type"`
	SenderIDNumber    string   `json:"sender_id_number"`
	Recipient         PartyReq `json:"recipient"`
	ItemType          string   `json:"item_type"`
	Items             string   `json:"items"`
	ProhibitedVersion string   `json:"prohibited_version"`
	ProhibitedChecked []string `json:"prohibited_checked"` // codes the clerk confirmed absent
	WeightGrams       int64    `json:"weight_grams,omitempty"`
	Scale             string   `json:"scale,omitempty"` // read a stable weight from this scale
	LengthCm          int64    `json:"length_cm,omitempty"`
	WidthCm           int64    `json:"width_cm,omitempty"`
	HeightCm          int64    `json:"height_cm,omitempty"`
	DeclaredFen       int64    `json:"declared_fen,omitempty"`
	Insured           bool     `json:"insured,omitempty"`
}

// Tariff returns the tariff in force (the newest head office published).
func (s *Service) Tariff() (lifecycle.TariffVersion, error) {
	ts, err := list(s, lifecycle.KindTariff, 1, func(t *lifecycle.TariffVersion) bool { return t.Published })
	if err != nil || len(ts) == 0 {
		return lifecycle.TariffVersion{}, problem.Wrap(err, problem.SendingNoTariff)
	}
	return ts[0], nil
}

// Prohibited returns the prohibited-items list in force.
func (s *Service) Prohibited() (lifecycle.ProhibitedVersion, error) {
	ls, err := list(s, lifecycle.KindProhibited, 1, func(l *lifecycle.ProhibitedVersion) bool { return l.Published })
	if err != nil || len(ls) == 0 {
		return lifecycle.ProhibitedVersion{}, problem.Wrap(err, problem.SendingNoProhibited)
	}
	return ls[0], nil
}

// Waybills returns this outlet's stock of waybill numbers.
func (s *Service) Waybills() (lifecycle.WaybillStock, error) {
	var st lifecycle.WaybillStock
	_, err := s.read(lifecycle.KindWaybills, s.events.Outlet(), &st)
	return st, err
}

// Quote prices a parcel with the tariff in force.
func (s *Service) Quote(ctx context.Context, r SendReq) (tariff.Quotation, string, int64, string, error) {
	t, err := s.Tariff()
	if err != nil {
		return tariff.Quotation{}, "", 0, "", err
	}
	grams, from := r.WeightGrams, "manual"
	if r.Scale != "" {
		if s.cfg.Scales == nil {
			return tariff.Quotation{}, "", 0, "", problem.New(problem.ScaleNotConfigured)
		}
		if grams, err = s.cfg.Scales.StableGrams(ctx, r.Scale); err != nil {
			if problem.As(err) == nil {
				err = problem.Wrap(err, problem.ScaleFailed, "scale", r.Scale)
			}
			return tariff.Quotation{}, "", 0, "", err
		}
		from = r.Scale
	}
	q, err := tariff.Quote(t.Tariff, tariff.Parcel{WeightGrams: grams, LengthCm: r.LengthCm, WidthCm: r.WidthCm, HeightCm: r.HeightCm,
		DestCode: r.Recipient.DestCode, DeclaredFen: r.DeclaredFen, Insured: r.Insured})
	if err != nil {
		return q, "", 0, "", err
	}
	return q, t.Version, grams, from, nil
}

// Send takes a parcel in for sending: real-name registration, the
// prohibited-items checklist, weight, price, a waybill number from this
// outlet's block (issued before anything is printed, so a number is never
// reused), and the waybill label with both parties masked.
func (s *Service) Send(ctx context.Context, a Actor, r SendReq) (lifecycle.ShipmentV1, uint64, error) {
	var sh lifecycle.ShipmentV1
	// Real-name registration (实名收寄).
	idn := strings.ToUpper(strings.TrimSpace(r.SenderIDNumber))
	switch r.SenderIDType {
	case "resident_id":
		if err := pii.ValidResidentID(idn); err != nil {
			return sh, 0, err
		}
	case "passport", "other":
		if len(idn) < 5 || len(idn) > 32 {
			return sh, 0, problem.New(problem.SendingIDLength)
		}
	default:
		return sh, 0, problem.New(problem.SendingIDType, "allowed", lifecycle.IDTypes)
	}
	sender, err := s.party(r.Sender, false)
	if err != nil {
		return sh, 0, err
	}
	rcpt, err := s.party(r.Recipient, true)
	if err != nil {
		return sh, 0, err
	}
	advice, ok := PackagingAdvice[r.ItemType]
	if !ok {
		return sh, 0, problem.New(problem.SendingItemType, "allowed", slices.Sorted(maps.Keys(PackagingAdvice)))
	}
	if strings.TrimSpace(r.Items) == "" {
		return sh, 0, problem.New(problem.SendingItemsRequired)
	}
	// The prohibited-items checklist (禁限寄物品) must be the version in
	// force and confirmed item by item.
	pl, err := s.Prohibited()
	if err != nil {
		return sh, 0, err
	}
	if r.ProhibitedVersion != pl.Version {
		return sh, 0, problem.New(problem.SendingListChanged, "version", pl.Version)
	}
	for _, it := range pl.Items {
		if !slices.Contains(r.ProhibitedChecked, it.Code) {
			return sh, 0, problem.New(problem.SendingNotConfirmed, "item", it.Name)
		}
	}
	q, version, grams, from, err := s.Quote(ctx, r)
	if err != nil {
		return sh, 0, err
	}
	// The number is issued (durable) before the shipment and the label.
	stock, err := s.Waybills()
	if err != nil {
		return sh, 0, err
	}
	number, err := stock.NextNumber()
	if err != nil {
		return sh, 0, err
	}
	if _, err := s.append(ctx, a, lifecycle.WaybillIssued, s.events.Outlet(), lifecycle.WaybillIssuedV1{Number: number, At: s.now()}); err != nil {
		return sh, 0, err
	}
	s.requestBlockIfLow(ctx, a)
	rec := pii.Record{Kind: lifecycle.KindShipment, ID: number}
	sh = lifecycle.ShipmentV1{Number: number, Sender: s.sealParty(rec, sender), SenderIDType: r.SenderIDType, SenderIDSealed: s.cfg.Keys.Seal(pii.KindIDNumber, rec, idn),
		SenderIDMasked: pii.MaskID(idn), Recipient: s.sealParty(rec, rcpt), ItemType: r.ItemType, Items: strings.TrimSpace(r.Items), Packaging: advice,
		ProhibitedVersion: pl.Version, ProhibitedChecked: r.ProhibitedChecked, WeightGrams: grams, WeightFrom: from,
		LengthCm: r.LengthCm, WidthCm: r.WidthCm, HeightCm: r.HeightCm, DeclaredFen: r.DeclaredFen, Insured: r.Insured,
		TariffVersion: version, Quote: q, Staff: a.ID, At: s.now()}
	if _, err := s.append(ctx, a, lifecycle.ShipmentAccepted, number, sh); err != nil {
		return sh, 0, err
	}
	sh = s.openShipment(sh)
	var job uint64
	if wl, ok := s.cfg.Labels.(interface {
		WaybillLabel(lifecycle.ShipmentV1) (uint64, error)
	}); ok {
		if job, err = wl.WaybillLabel(sh); err != nil {
			s.logger.Warn("waybill label not queued", "number", number, "err", err)
		}
	}
	return sh, job, nil
}

// party checks and normalises a sender or recipient as typed; sealParty
// seals it once the shipment has its number, the record it is bound to.
func (s *Service) party(p PartyReq, recipient bool) (PartyReq, error) {
	out := PartyReq{Name: strings.TrimSpace(p.Name), Phone: pii.NormalizePhone(p.Phone)}
	if out.Name == "" {
		return PartyReq{}, problem.New(problem.SendingNameRequired)
	}
	if err := pii.ValidPhone(out.Phone); err != nil {
		return PartyReq{}, err
	}
	if recipient {
		out.Address, out.DestCode = strings.TrimSpace(p.Address), strings.TrimSpace(p.DestCode)
		if out.Address == "" || out.DestCode == "" {
			return PartyReq{}, problem.New(problem.SendingAddress)
		}
	}
	return out, nil
}

// sealParty is a party as the shipment records it: name, phone and
// address sealed to the shipment's record, with masked copies for screens
// and labels.
func (s *Service) sealParty(rec pii.Record, p PartyReq) lifecycle.PartyV1 {
	out := lifecycle.PartyV1{NameSealed: s.cfg.Keys.Seal(pii.KindName, rec, p.Name), NameMasked: pii.MaskName(p.Name),
		PhoneSealed: s.cfg.Keys.Seal(pii.KindPhone, rec, p.Phone), PhoneMasked: pii.MaskPhone(p.Phone),
		Customer: s.cfg.Keys.CustomerID(p.Phone), DestCode: p.DestCode}
	if p.Address != "" {
		out.AddressSealed = s.cfg.Keys.Seal(pii.KindAddress, rec, p.Address)
	}
	return out
}

// openShipment is a shipment as the counter shows and prints it: the
// recipient's address opened, since the courier's label carries it in full
// (names and phones stay masked). It stays sealed in the event, the data
// file and at head office.
func (s *Service) openShipment(sh lifecycle.ShipmentV1) lifecycle.ShipmentV1 {
	if sh.Recipient.AddressSealed != "" {
		addr, err := s.cfg.Keys.Open(pii.KindAddress, pii.Record{Kind: lifecycle.KindShipment, ID: sh.Number}, sh.Recipient.AddressSealed)
		if err != nil {
			s.logger.Warn("recipient address does not open", "number", sh.Number, "err", err)
		}
		sh.Recipient.Address = addr
	}
	return sh
}

// requestBlockIfLow asks head office for another block once the stock is
// below the low-water mark, unless a request is already waiting.
func (s *Service) requestBlockIfLow(ctx context.Context, a Actor) {
	stock, err := s.Waybills()
	if err != nil || !stock.RefillDue(lifecycle.DefaultRefill) {
		return
	}
	pending := false
	_ = s.file.View(func(tx *bolt.Tx) error {
		evs, err := entityEvents(tx, lifecycle.KindWaybills, s.events.Outlet())
		if err != nil {
			return err
		}
		lifecycle.Order(evs)
		for _, ev := range evs {
			switch ev.Type {
			case lifecycle.WaybillBlockRequested:
				pending = true
			case lifecycle.WaybillBlockAllocated:
				pending = false
			}
		}
		return nil
	})
	if pending {
		return
	}
	req := lifecycle.WaybillBlockRequestV1{Remaining: stock.Remaining, At: s.now()}
	if _, err := s.append(ctx, a, lifecycle.WaybillBlockRequested, s.events.Outlet(), req); err != nil {
		s.logger.Warn("waybill block request not recorded", "err", err)
	}
}

// Shipment returns a shipment taken in here.
func (s *Service) Shipment(number string) (lifecycle.ShipmentV1, error) {
	var sh lifecycle.ShipmentV1
	ok, err := s.read(lifecycle.KindShipment, number, &sh)
	if err == nil && (!ok || sh.Number == "") {
		err = problem.New(problem.ShipmentNotFound, "number", number)
	}
	return s.openShipment(sh), err
}

// Shipments lists shipments, newest first.
func (s *Service) Shipments(n int) ([]lifecycle.ShipmentV1, error) {
	shs, err := list(s, lifecycle.KindShipment, n, func(sh *lifecycle.ShipmentV1) bool { return sh.Number != "" })
	for i := range shs {
		shs[i] = s.openShipment(shs[i])
	}
	return shs, err
}
