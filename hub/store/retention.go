package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/hlc"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/purge"
)

// DefaultPurgeBatch is how many subjects one purging transaction looks
// at, so that the outlets' commits never wait long behind it.
const DefaultPurgeBatch = 200

// PurgeReport says what PurgePersonal removed (or, dry, would remove).
type PurgeReport struct {
	Cutoff time.Time
	// Entities whose personal data went, by kind; Events the stored
	// events rewritten; Values the personal members removed.
	Entities map[string]int
	Events   int
	Values   int
	// Txs and LongestTx: the write transactions it took.
	Txs       int
	LongestTx time.Duration
}

// Scrubbed is one stored event's payload without its personal data
// (Tx.ScrubEvent).
type Scrubbed struct {
	Origin  string
	Seq     uint64
	HLC     hlc.Timestamp
	ID      string
	Payload []byte
}

// checkpointer is a backend that can push rewritten pages out of its
// write-ahead log, so that the bytes a purge replaced leave the disk.
type checkpointer interface {
	Checkpoint(ctx context.Context) error
}

// PurgePersonal makes the personal data of finished business unreadable
// in the stored events: for every subject whose visible events are all
// stamped before cutoff and whose entities are no longer open
// (lifecycle.Kind.Open: a parcel collected or gone back at its outlet, a
// case closed), it removes the personal members (syncproto/purge) from
// their payloads. Case rows, the parcel index and the measures' rollups
// hold no personal data and stay as they are; so does the customer id
// hash in the payloads, which head office's customer profiles key on. The
// profiles' latest sealed contact goes once it is older than cutoff.
//
// A scrubbed event an outlet sends again (a restored backup catching up)
// is the same event, not a conflict: the commit compares it scrubbed.
// Held events (beyond a gap), dead letters and conflicts are not
// scrubbed: they are not finished business.
//
// Unless dry, the run is recorded in the audit trail as
// lifecycle.RetentionRan by "system", with a RetentionV1 detail.
func (s *Core) PurgePersonal(ctx context.Context, cutoff time.Time, days, batch int, dry bool) (PurgeReport, error) {
	if batch <= 0 {
		batch = DefaultPurgeBatch
	}
	rep := PurgeReport{Cutoff: cutoff.UTC(), Entities: map[string]int{}}
	before := hlc.Make(cutoff.UnixMilli(), 0)
	after := ""
	for {
		subjects, err := s.PersonalSubjects(ctx, before, after, batch)
		if err != nil {
			return rep, fmt.Errorf("find personal data to purge: %w", err)
		}
		if len(subjects) == 0 {
			break
		}
		after = subjects[len(subjects)-1]
		var got PurgeReport
		start := time.Now()
		err = s.inTx(ctx, func(tx Tx) error {
			got = PurgeReport{Entities: map[string]int{}}
			for _, subject := range subjects {
				evs, err := tx.SubjectEvents(ctx, subject)
				if err != nil {
					return err
				}
				kinds, ok := finished(subject, evs, before)
				if !ok {
					continue
				}
				var rows []Scrubbed
				values := 0
				for i := range evs {
					e := &evs[i]
					p, n := purge.Scrub(e.Payload)
					if n == 0 {
						continue
					}
					values += n
					rows = append(rows, Scrubbed{Origin: e.Origin, Seq: e.Seq, HLC: e.HLC, ID: e.ID, Payload: p})
				}
				if len(rows) == 0 {
					continue
				}
				for _, k := range kinds {
					got.Entities[k]++
				}
				got.Events += len(rows)
				got.Values += values
				if dry {
					continue
				}
				if err := tx.ScrubEvents(ctx, rows); err != nil {
					return err
				}
			}
			if dry {
				return errDry
			}
			return nil
		})
		if err != nil && !errors.Is(err, errDry) {
			return rep, fmt.Errorf("purge personal data: %w", err)
		}
		for k, n := range got.Entities {
			rep.Entities[k] += n
		}
		rep.Events += got.Events
		rep.Values += got.Values
		if !dry && got.Events > 0 {
			rep.Txs++
			rep.LongestTx = max(rep.LongestTx, time.Since(start))
		}
		if len(subjects) < batch {
			break
		}
	}
	// The customer profiles keep only the latest contact, sealed: it goes
	// once it is older than the cut-off, in one transaction of its own.
	var contacts int64
	err := s.inTx(ctx, func(tx Tx) error {
		var err error
		contacts, err = tx.Customers().ClearContacts(ctx, cutoff.UnixMilli(), dry)
		return err
	})
	if err != nil {
		return rep, fmt.Errorf("purge personal data: %w", err)
	}
	if contacts > 0 {
		rep.Entities["customer"] += int(contacts)
	}
	if dry {
		return rep, nil
	}
	if c, ok := s.Backend.(checkpointer); ok && (rep.Events > 0 || contacts > 0) {
		if err := c.Checkpoint(ctx); err != nil {
			return rep, fmt.Errorf("purge personal data: write the purged pages out: %w", err)
		}
	}
	detail, _ := json.Marshal(rep.Payload(days, s.clock.Now()))
	row := AuditRow{At: s.clock.Now().UTC(), Origin: syncproto.HubOrigin, Actor: "system", Action: lifecycle.RetentionRan,
		Subject: "retention/" + lifecycle.RetentionPersonal, Detail: string(detail)}
	if err := s.AppendAudit(ctx, row); err != nil {
		return rep, fmt.Errorf("record the purge in the audit trail: %w", err)
	}
	return rep, nil
}

// errDry rolls a dry run's transaction back.
var errDry = errors.New("dry run")

// Payload is the audit detail of the run.
func (r PurgeReport) Payload(days int, at time.Time) lifecycle.RetentionV1 {
	removed := map[string]int64{"events": int64(r.Events), "values": int64(r.Values)}
	for k, n := range r.Entities {
		removed[k] = int64(n)
	}
	return lifecycle.RetentionV1{Part: lifecycle.RetentionPersonal, Days: days, Cutoff: r.Cutoff.UnixMilli(), Removed: removed, At: at.UnixMilli()}
}

// finished reports whether every event about subject folds before the
// cut-off and no entity they belong to is open, with those entities'
// kinds. A parcel is an entity per outlet.
func finished(subject string, evs []syncproto.Event, before hlc.Timestamp) ([]string, bool) {
	type entity struct{ kind, origin string }
	groups := map[entity][]syncproto.Event{}
	var order []entity
	for _, e := range evs {
		if e.FoldStamp() >= before {
			return nil, false
		}
		k, ok := lifecycle.KindOf(e.Type)
		if !ok {
			continue
		}
		en := entity{kind: k.Name}
		if k.Name == lifecycle.KindParcel && e.Origin != syncproto.HubOrigin {
			en.origin = e.Origin
		}
		if _, seen := groups[en]; !seen {
			order = append(order, en)
		}
		groups[en] = append(groups[en], e)
	}
	var kinds []string
	for _, en := range order {
		k, _ := lifecycle.KindByName(en.kind)
		if k.Open != nil && k.Open(k.Fold(subject, groups[en], nil)) {
			return nil, false
		}
		kinds = append(kinds, en.kind)
	}
	return kinds, true
}

// PersonalLike is the condition on payload both backends find candidates
// with: one LIKE per purge marker, with '\' escaping LIKE's wildcards.
func PersonalLike(column string) string {
	cond := ""
	for i, m := range purge.Markers() {
		if i > 0 {
			cond += " OR "
		}
		m = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, `'`, `''`).Replace(m)
		cond += column + ` LIKE '%` + m + `%' ESCAPE '\'`
	}
	return "(" + cond + ")"
}
