package datafile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/sealed"
)

// Resealer re-seals a value sealed under the installation's old shared key
// ("v1") under this outlet's own key, as field of rec; agent/pii's Keys is
// one. It fails when it cannot open the old value.
type Resealer interface {
	Reseal(field string, rec sealed.Record, old string) (string, error)
}

// sealedFields are the JSON names under which the releases before
// per-outlet keys wrote sealed values, with their field kinds.
var sealedFields = map[string]string{
	"phone_sealed":     sealed.Phone,
	"name_sealed":      sealed.Name,
	"sender_id_sealed": sealed.IDNumber,
}

// reseal (version 8) re-seals the personal data that the installation's
// one shared key sealed, bound to its field kind only, under the outlet's
// own key, bound to its record, so that the outlet's key file no longer
// needs to open every outlet's data.
//
// It rewrites the values in this outlet's events that head office has
// acknowledged (events/ up to acked_seq) and every copy of those values in
// wf_events/ and wf_state/, so the folded state stays what folding the
// events gives. Head office keeps the events as it received them: they are
// history, and it opens the old form with the master key.
//
// Values that stay as they are, never lost: those in events not yet
// acknowledged (head office may already hold them beyond a gap, and a
// resend with other bytes would be a conflict there), and all of them when
// the agent runs without keys that open the old form (no key, or an outlet
// key file issued without --legacy). Head office opens those with the
// master key; the counter opens them with a key file issued with --legacy.
// A tool that opens the file unclaimed and without keys (the staff
// command) is refused instead, so that it does not pass the migration by
// before the agent could re-seal.
func reseal(tx *bolt.Tx, o Options) error {
	acked := GetU64(tx.Bucket(Meta), KeyAckedSeq)
	if o.Keys == nil {
		if o.Outlet == "" && holdsOldSealed(tx.Bucket(Events), acked) {
			return fmt.Errorf("the data file holds personal data sealed under the old shared key: start the agent once with its personal-data key (yizhan-agent run) so it re-seals them, then run this again")
		}
		return nil
	}
	events := tx.Bucket(Events)
	// A value is re-sealed once per record, and every copy of it in that
	// record's events and state gets the same new form.
	memo := memoTable{}
	type put struct{ k, v []byte }
	var puts []put
	c := events.Cursor()
	for k, v := c.First(); k != nil && len(k) == 8 && binary.BigEndian.Uint64(k) <= acked; k, v = c.Next() {
		var ev syncproto.Event
		if err := json.Unmarshal(v, &ev); err != nil {
			return fmt.Errorf("event %d: %w", binary.BigEndian.Uint64(k), err)
		}
		kind, ok := lifecycle.KindOf(ev.Type)
		if !ok || ev.Subject == "" || !bytes.Contains(ev.Payload, []byte(`"`+sealed.V1+`:`)) {
			continue
		}
		rec := sealed.Record{Kind: kind.Name, ID: ev.Subject}
		var doc any
		if err := json.Unmarshal(ev.Payload, &doc); err != nil {
			return fmt.Errorf("event %d payload: %w", ev.Seq, err)
		}
		found := false
		walkSealed(doc, func(field, value string) {
			mk := memoKey{rec, value}
			if _, done := memo[mk]; done {
				found = true
				return
			}
			if fresh, err := o.Keys.Reseal(field, rec, value); err == nil {
				memo[mk], found = fresh, true
			}
		})
		if found {
			puts = append(puts, put{bytes.Clone(k), replaceAll(v, memo.lookup(rec))})
		}
	}
	if len(memo) == 0 {
		return nil
	}
	for _, p := range puts {
		if err := events.Put(p.k, p.v); err != nil {
			return err
		}
	}
	for _, name := range [][]byte{WorkflowEvents, WorkflowState} {
		b := tx.Bucket(name)
		puts = puts[:0]
		err := b.ForEach(func(k, v []byte) error {
			if bytes.Contains(v, []byte(`"`+sealed.V1+`:`)) {
				// Both buckets' keys start with kind 0 id.
				kind, rest, _ := bytes.Cut(k, []byte{0})
				id, _, _ := bytes.Cut(rest, []byte{0})
				rec := sealed.Record{Kind: string(kind), ID: string(id)}
				if nv := replaceAll(v, memo.lookup(rec)); !bytes.Equal(nv, v) {
					puts = append(puts, put{bytes.Clone(k), nv})
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, p := range puts {
			if err := b.Put(p.k, p.v); err != nil {
				return err
			}
		}
	}
	return nil
}

type memoKey struct {
	rec sealed.Record
	old string
}

type memoTable map[memoKey]string

// lookup finds rec's re-sealed form of a value.
func (m memoTable) lookup(rec sealed.Record) func(old string) (string, bool) {
	return func(old string) (string, bool) {
		fresh, ok := m[memoKey{rec, old}]
		return fresh, ok
	}
}

// holdsOldSealed reports whether an acknowledged event holds a value in
// the old format.
func holdsOldSealed(events *bolt.Bucket, acked uint64) bool {
	c := events.Cursor()
	for k, v := c.First(); k != nil && len(k) == 8 && binary.BigEndian.Uint64(k) <= acked; k, v = c.Next() {
		if bytes.Contains(v, []byte(`"`+sealed.V1+`:`)) {
			return true
		}
	}
	return false
}

// walkSealed calls fn with the field kind and value of every v1 sealed
// value in doc, at any depth (a shipment's parties are objects).
func walkSealed(doc any, fn func(field, value string)) {
	switch d := doc.(type) {
	case map[string]any:
		for k, v := range d {
			if s, ok := v.(string); ok {
				if field, known := sealedFields[k]; known && strings.HasPrefix(s, sealed.V1+":") {
					fn(field, s)
				}
				continue
			}
			walkSealed(v, fn)
		}
	case []any:
		for _, v := range d {
			walkSealed(v, fn)
		}
	}
}

// replaceAll swaps every old value in raw JSON for its re-sealed form.
// Sealed values are base64url and hex behind a version, which JSON never
// escapes, so each quoted "v1:…" is looked up as it is and the rest of the
// bytes (and their order) stay untouched.
func replaceAll(raw []byte, lookup func(old string) (string, bool)) []byte {
	marker := []byte(`"` + sealed.V1 + `:`)
	var out []byte
	rest := raw
	for {
		i := bytes.Index(rest, marker)
		if i < 0 {
			break
		}
		end := bytes.IndexByte(rest[i+1:], '"')
		if end < 0 {
			break
		}
		value := string(rest[i+1 : i+1+end])
		out = append(out, rest[:i+1]...)
		if fresh, ok := lookup(value); ok {
			out = append(out, fresh...)
		} else {
			out = append(out, value...)
		}
		rest = rest[i+1+end:]
	}
	return append(out, rest...)
}
