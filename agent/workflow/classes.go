package workflow

import (
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Head office's customer classes: a customer id → class lookup the
// downlink fills (lifecycle.CustomerClasses), so the counter can show the
// class of the customer at the desk. Only the class is here; the figures
// behind it stay at head office.

// maxClassID bounds a class id taken from the downlink.
const maxClassID = 40

// applyClasses stores the classes of a customer.classes event from head
// office; a newer event overwrites an older one's (the downlink applies in
// order). An entry that is not an id and a short class is skipped.
func applyClasses(tx *bolt.Tx, ev *syncproto.Event) error {
	var p lifecycle.CustomerClassesV1
	if err := json.Unmarshal(ev.Payload, &p); err != nil {
		return nil // nothing to keep; the cursor moves on
	}
	b := tx.Bucket(datafile.CustomerClasses)
	if b == nil {
		return fmt.Errorf("bucket %s missing", datafile.CustomerClasses)
	}
	for _, c := range p.Classes {
		if c.Customer == "" || len(c.Customer) > 64 || c.Class == "" || len(c.Class) > maxClassID || strings.ContainsAny(c.Class, " \t\r\n") {
			continue
		}
		if err := b.Put([]byte(c.Customer), []byte(c.Class)); err != nil {
			return err
		}
	}
	return nil
}

// ClassReq asks the class of the customer at the desk: by the phone the
// clerk entered, or by the waybill of the parcel being picked up.
type ClassReq struct {
	Phone   string `json:"phone,omitempty"`
	Waybill string `json:"waybill,omitempty"`
}

// CustomerClass answers head office's class of the customer ("" when
// head office has sent none). The phone is hashed as at intake and never
// kept.
func (s *Service) CustomerClass(r ClassReq) (string, error) {
	var id string
	switch {
	case r.Phone != "":
		n := pii.NormalizePhone(r.Phone)
		if err := pii.ValidPhone(n); err != nil {
			return "", err
		}
		id = s.cfg.Keys.CustomerID(n)
	case r.Waybill != "":
		var p lifecycle.Parcel
		found, err := s.read(lifecycle.KindParcel, r.Waybill, &p)
		if err != nil {
			return "", err
		}
		if !found {
			return "", problem.New(problem.ParcelNotFound, "waybill", r.Waybill)
		}
		id = p.Customer
	default:
		return "", problem.New(problem.PhoneEmpty)
	}
	if id == "" {
		return "", nil
	}
	var class string
	err := s.file.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(datafile.CustomerClasses); b != nil {
			class = string(b.Get([]byte(id)))
		}
		return nil
	})
	return class, err
}
