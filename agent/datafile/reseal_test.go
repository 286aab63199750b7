package datafile

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// resealer re-seals with real keys: the old shared key (head office's
// master) opens v1, and the outlet's key derived from it seals; it is what
// agent/pii's Keys does when loaded from the old key file.
type resealer struct {
	legacy *sealed.Legacy
	outlet *sealed.Key
}

func newResealer(seed byte) resealer {
	m, _ := sealed.NewMaster(bytes.Repeat([]byte{seed}, sealed.KeySize))
	l, _ := sealed.NewLegacy(bytes.Repeat([]byte{seed}, sealed.KeySize))
	return resealer{legacy: l, outlet: m.Outlet("SH-001")}
}

func (r resealer) Reseal(field string, rec sealed.Record, old string) (string, error) {
	plain, err := r.legacy.Open(field, old)
	if err != nil {
		return "", err
	}
	return r.outlet.Seal(field, rec, plain), nil
}

var _ Resealer = resealer{}

// oldSealed is what a release before per-outlet keys wrote: a parcel taken
// in (acknowledged by head office) with its phone and name, a shipment
// whose parties are objects (acknowledged), and a complaint still in the
// outbox; each event with its copy in wf_events/ and its state.
type oldSealed struct {
	phone, name, senderID, complaintPhone string
}

func seedOldSealed(t *testing.T, tx *bolt.Tx) oldSealed {
	t.Helper()
	l, _ := sealed.NewLegacy(bytes.Repeat([]byte{1}, sealed.KeySize))
	o := oldSealed{phone: l.Seal(sealed.Phone, "13812345678"), name: l.Seal(sealed.Name, "张三丰"),
		senderID: l.Seal(sealed.IDNumber, "11010519491231002X"), complaintPhone: l.Seal(sealed.Phone, "13987654321")}
	evs := []syncproto.Event{
		event(1, lifecycle.ParcelInbound, "SF1", lifecycle.InboundV1{Waybill: "SF1", PhoneSealed: o.phone, PhoneMasked: "138****5678", NameSealed: o.name, NameMasked: "张**"}),
		event(2, lifecycle.ShipmentAccepted, "YZ1", lifecycle.ShipmentV1{Number: "YZ1", Sender: lifecycle.PartyV1{NameSealed: o.name, PhoneSealed: o.phone}, SenderIDSealed: o.senderID}),
		event(3, lifecycle.ComplaintReceived, "C1", lifecycle.ComplaintReceivedV1{Text: "慢", PhoneSealed: o.complaintPhone}),
	}
	for i := range evs {
		raw, _ := json.Marshal(&evs[i])
		put(t, tx.Bucket(Events), string(U64Key(evs[i].Seq)), string(raw))
		kind, _ := lifecycle.KindOf(evs[i].Type)
		put(t, tx.Bucket(WorkflowEvents), string(EntityEventKey(kind.Name, evs[i].Subject, &evs[i])), string(raw))
		st, _ := json.Marshal(kind.Fold(evs[i].Subject, []syncproto.Event{evs[i]}, nil))
		put(t, tx.Bucket(WorkflowState), string(StateKey(kind.Name, evs[i].Subject)), string(st))
	}
	PutU64(tx.Bucket(Meta), KeyAckedSeq, 2)
	return o
}

// snapshot is every value of the buckets the migration may touch.
func snapshot(tx *bolt.Tx) map[string]string {
	out := map[string]string{}
	for _, name := range [][]byte{Events, WorkflowEvents, WorkflowState} {
		tx.Bucket(name).ForEach(func(k, v []byte) error {
			out[string(name)+"/"+string(k)] = string(v)
			return nil
		})
	}
	return out
}

func resealCases() []migrationCase {
	var old oldSealed
	var before map[string]string
	seed := func(t *testing.T, tx *bolt.Tx) {
		old = seedOldSealed(t, tx)
		before = snapshot(tx)
	}
	unchanged := func(t *testing.T, tx *bolt.Tx) {
		if after := snapshot(tx); len(after) != len(before) {
			t.Fatalf("%d values, %d before", len(after), len(before))
		} else {
			for k, v := range before {
				if after[k] != v {
					t.Errorf("%q changed:\n%s\n%s", k, v, after[k])
				}
			}
		}
	}
	return []migrationCase{
		{name: "re-seals acknowledged values to their records, everywhere they are copied", opts: Options{Keys: newResealer(1)}, before: seed,
			check: func(t *testing.T, tx *bolt.Tx) {
				key := newResealer(1).outlet
				open := func(raw []byte, path func(map[string]any) any, field string, rec sealed.Record, want string) string {
					t.Helper()
					var doc map[string]any
					json.Unmarshal(raw, &doc)
					s, _ := path(doc).(string)
					if !strings.HasPrefix(s, sealed.V2+":") {
						t.Fatalf("%s of %s not re-sealed: %.20s", field, rec.ID, s)
					}
					if got, err := key.Open(field, rec, s); err != nil || got != want {
						t.Fatalf("%s of %s opens as %q, %v", field, rec.ID, got, err)
					}
					if _, err := key.Open(field, sealed.Record{Kind: rec.Kind, ID: "OTHER"}, s); !errors.Is(err, sealed.ErrTampered) {
						t.Fatalf("%s of %s opens for another record: %v", field, rec.ID, err)
					}
					return s
				}
				payload := func(k string) func(map[string]any) any {
					return func(d map[string]any) any { return d["payload"].(map[string]any)[k] }
				}
				parcel := sealed.Record{Kind: lifecycle.KindParcel, ID: "SF1"}
				ev1 := tx.Bucket(Events).Get(U64Key(1))
				phone := open(ev1, payload("phone_sealed"), sealed.Phone, parcel, "13812345678")
				open(ev1, payload("name_sealed"), sealed.Name, parcel, "张三丰")
				shipment := sealed.Record{Kind: lifecycle.KindShipment, ID: "YZ1"}
				ev2 := tx.Bucket(Events).Get(U64Key(2))
				open(ev2, func(d map[string]any) any {
					return d["payload"].(map[string]any)["sender"].(map[string]any)["phone_sealed"]
				}, sealed.Phone, shipment, "13812345678")
				open(ev2, payload("sender_id_sealed"), sealed.IDNumber, shipment, "11010519491231002X")
				// The copies are the event's bytes, and the state holds the
				// event's value: folding the events still gives the state.
				for seq, w := range map[uint64]string{1: "SF1", 2: "YZ1"} {
					var ev syncproto.Event
					raw := tx.Bucket(Events).Get(U64Key(seq))
					json.Unmarshal(raw, &ev)
					kind, _ := lifecycle.KindOf(ev.Type)
					if got := tx.Bucket(WorkflowEvents).Get(EntityEventKey(kind.Name, w, &ev)); !bytes.Equal(got, raw) {
						t.Errorf("wf_events copy of %d differs from the event:\n%s\n%s", seq, got, raw)
					}
					want, _ := json.Marshal(kind.Fold(w, []syncproto.Event{ev}, nil))
					if got := tx.Bucket(WorkflowState).Get(StateKey(kind.Name, w)); !bytes.Equal(got, want) {
						t.Errorf("state of %s is not its events' fold:\n%s\n%s", w, got, want)
					}
				}
				if p := state(t, tx, "SF1"); p.PhoneSealed != phone {
					t.Error("the parcel's state holds another phone value than its event")
				}
				// The complaint is still in the outbox: it stays as it was.
				if ev3 := tx.Bucket(Events).Get(U64Key(3)); !bytes.Contains(ev3, []byte(old.complaintPhone)) {
					t.Error("an event head office has not acknowledged was re-sealed")
				}
				if st := tx.Bucket(WorkflowState).Get(StateKey(lifecycle.KindComplaint, "C1")); !bytes.Contains(st, []byte(old.complaintPhone)) {
					t.Error("the unacknowledged complaint's state changed")
				}
				for _, v := range []string{old.phone, old.name, old.senderID} {
					for k, got := range snapshot(tx) {
						if strings.Contains(got, v) {
							t.Errorf("%q still holds an old acknowledged value", k)
						}
					}
				}
			}},
		{name: "an agent without keys leaves every value as it was", opts: Options{Outlet: "SH-001"}, before: seed, check: unchanged},
		{name: "a tool without keys is sent to start the agent first", before: seed, wantErr: "start the agent once"},
		{name: "keys that do not open the old values leave them as they were", opts: Options{Keys: newResealer(2)}, before: seed, check: unchanged},
	}
}

func init() { migrationTests[8] = resealCases() }

func FuzzReplaceAll(f *testing.F) {
	f.Add([]byte(`{"a":"v1:00000000:AAAA","b":"v1:"}`), "v1:00000000:AAAA")
	f.Add([]byte(`"v1:`), "v1:")
	f.Fuzz(func(t *testing.T, raw []byte, old string) {
		if strings.Contains(old, `"`) {
			return
		}
		got := replaceAll(raw, func(v string) (string, bool) { return "X", v == old })
		// Only whole quoted values change; without a match the bytes stay.
		if !bytes.Contains(raw, []byte(`"`+old+`"`)) && !bytes.Equal(got, raw) {
			t.Fatalf("replaceAll(%q) = %q with no match", raw, got)
		}
	})
}
