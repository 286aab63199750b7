package store

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// settingLimits names the Setting that holds the limits the case rows'
// deadlines were computed with (limitsKey).
const settingLimits = "case_limits"

// relistPage is how many rows Relist refolds per transaction.
const relistPage = 500

// limitsKey spells limits out with every default filled in, so that two
// settings giving the same deadlines compare equal.
func limitsKey(l lifecycle.Limits) string {
	sla := l.SLA
	if sla.FirstReply <= 0 {
		sla.FirstReply = lifecycle.DefaultSLA.FirstReply
	}
	if sla.Result <= 0 {
		sla.Result = lifecycle.DefaultSLA.Result
	}
	var b strings.Builder
	fmt.Fprintf(&b, "first_reply=%s;result=%s", sla.FirstReply, sla.Result)
	for _, k := range lifecycle.ExceptionKinds {
		fmt.Fprintf(&b, ";%s=%s", k, l.Exceptions.For(k))
	}
	return b.String()
}

// Relist brings the case rows' deadlines and owners up to the store's
// Limits. After the migration that added them (no limits recorded) it
// refolds every row of a kind with deadlines; after the settings changed,
// the open ones (a closed row has no deadline under any limits); otherwise
// nothing. Each backend's Open calls it, so a hub never orders its queues
// by another setting's deadlines. It returns how many rows it refolded.
func (s *Core) Relist(ctx context.Context) (int, error) {
	want := limitsKey(s.limits)
	have, ok, err := s.Setting(ctx, settingLimits)
	if err != nil {
		return 0, fmt.Errorf("read the case list's limits: %w", err)
	}
	if ok && have == want {
		return 0, nil
	}
	n := 0
	for _, k := range lifecycle.Kinds() {
		if k.Row == nil || k.Due == nil {
			continue
		}
		q := CaseQuery{Kind: k.Name, OpenOnly: ok, Limit: relistPage}
		for {
			page, err := s.Backend.Cases(ctx, q)
			if err != nil {
				return n, err
			}
			if len(page) == 0 {
				break
			}
			err = s.inTx(ctx, func(tx Tx) error {
				for _, c := range page {
					key := CaseKey{Kind: k.Name, ID: c.ID}
					if err := tx.LockSubject(ctx, key.Kind, key.ID); err != nil {
						return err
					}
					if err := RefreshCase(ctx, tx, key, s.limits); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return n, err
			}
			n += len(page)
			if len(page) < relistPage {
				break
			}
			// Refolding keeps a row's first event, the newest-first key.
			last := page[len(page)-1].Pos()
			q.After = &last
		}
	}
	return n, s.inTx(ctx, func(tx Tx) error { return tx.PutSetting(ctx, settingLimits, want) })
}

// Cases implements Queries. SortDue lists the rows with a deadline, soonest
// first, then those without one by id: two index walks, since the column
// holds 0 for none.
func (s *Core) Cases(ctx context.Context, q CaseQuery) ([]Case, error) {
	if q.Sort != SortDue || q.NoDue {
		return s.Backend.Cases(ctx, q)
	}
	var out []Case
	if q.After == nil || q.After.Due > 0 {
		withDue := q
		if withDue.DueBy == 0 {
			withDue.DueBy = math.MaxInt64
		}
		cs, err := s.Backend.Cases(ctx, withDue)
		if err != nil {
			return nil, err
		}
		out = cs
		if q.Limit > 0 && len(out) >= q.Limit {
			return out, nil
		}
		q.After = nil
	}
	if q.DueBy != 0 {
		return out, nil // a deadline filter keeps no row without one
	}
	none := q
	none.NoDue = true
	if q.Limit > 0 {
		none.Limit = q.Limit - len(out)
	}
	cs, err := s.Backend.Cases(ctx, none)
	if err != nil {
		return nil, err
	}
	return append(out, cs...), nil
}

// LimitsOr is *l, or the defaults (the zero Limits) for nil.
func LimitsOr(l *lifecycle.Limits) lifecycle.Limits {
	if l == nil {
		return lifecycle.Limits{}
	}
	return *l
}
