package measures

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/clock"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Rollups is the part of the store the measures read.
type Rollups interface {
	Facts(ctx context.Context, kind string, q store.RollupQuery) ([]store.Facts, error)
	Tallies(ctx context.Context, q store.RollupQuery) ([]store.Tally, error)
	// Location is the zone the store counts days in (store.Core).
	Location() *time.Location
}

// Options configure a Service.
type Options struct {
	Store Rollups
	// Regions maps outlet ids to their region, read per request; nil
	// puts every outlet in region "".
	Regions func(ctx context.Context) (map[string]string, error)
	// SLA is the complaints' deadlines for complaints.sla_breaches;
	// lifecycle.DefaultSLA where zero.
	SLA lifecycle.SLA
	// Clock is hub time, for deadlines still pending; clock.System if nil.
	Clock clock.Clock
}

// Service computes measures.
type Service struct{ opt Options }

// New returns a Service.
func New(opt Options) *Service {
	if opt.SLA.FirstReply <= 0 {
		opt.SLA.FirstReply = lifecycle.DefaultSLA.FirstReply
	}
	if opt.SLA.Result <= 0 {
		opt.SLA.Result = lifecycle.DefaultSLA.Result
	}
	if opt.Clock == nil {
		opt.Clock = clock.System
	}
	return &Service{opt: opt}
}

// Groupings and periods a Query takes.
var (
	Bys     = []string{"outlet", "region", "person", "all"}
	Periods = []string{"day", "week", "month"}
)

// MaxDays bounds a query's range: ten years of days.
const MaxDays = 3660

// Query asks for measures. From and To are dates (YYYY-MM-DD) in the
// hub's zone, To included.
type Query struct {
	From, To       string
	By, Period     string
	Outlet, Region string // "" for any
}

// Row is one group's measures in one period.
type Row struct {
	Key    string         `json:"key"`
	Period string         `json:"period"` // the period's first day
	Values map[string]any `json:"values"` // number, or nil for none
}

// Result is the answer to a Query.
type Result struct {
	From     string   `json:"from"`
	To       string   `json:"to"`
	By       string   `json:"by"`
	Period   string   `json:"period"`
	Measures []string `json:"measures"`
	Rows     []Row    `json:"rows"`
	Total    struct {
		Values map[string]any `json:"values"`
	} `json:"total"`
}

// Check reads q's dates in loc and refuses what it cannot answer, with
// catalog codes. Empty By and Period are "all" and "day".
func (q *Query) Check(loc *time.Location) (from, to time.Time, err error) {
	q.By, q.Period = cmp.Or(q.By, "all"), cmp.Or(q.Period, "day")
	if !slices.Contains(Bys, q.By) {
		return from, to, problem.New(problem.MeasuresBadBy, "value", q.By, "allowed", Bys)
	}
	if !slices.Contains(Periods, q.Period) {
		return from, to, problem.New(problem.MeasuresBadPeriod, "value", q.Period, "allowed", Periods)
	}
	for _, f := range []struct {
		name, v string
		t       *time.Time
	}{{"from", q.From, &from}, {"to", q.To, &to}} {
		t, perr := time.ParseInLocation(time.DateOnly, f.v, loc)
		if perr != nil {
			return from, to, problem.New(problem.MeasuresBadDate, "field", f.name, "value", f.v)
		}
		*f.t = t
	}
	if days := civil(to) - civil(from); days < 0 || days >= MaxDays {
		return from, to, problem.New(problem.MeasuresBadRange, "from", q.From, "to", q.To, "max", MaxDays)
	}
	return from, to, nil
}

// civil is t's date as days since 1970-01-01 (store.DayOf's numbering).
func civil(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// periodOf is the first day of the period holding the date civil day,
// in civil's numbering.
func periodOf(day int64, period string) int64 {
	switch period {
	case "week":
		return day - (day+3)%7 // 1970-01-01 was a Thursday; weeks start on Monday
	case "month":
		y, m, _ := time.Unix(day*86400, 0).UTC().Date()
		return civil(time.Date(y, m, 1, 0, 0, 0, 0, time.UTC))
	}
	return day
}

// dateOf is civil day as YYYY-MM-DD.
func dateOf(day int64) string { return time.Unix(day*86400, 0).UTC().Format(time.DateOnly) }

// acc gathers one group's inputs.
type acc struct {
	complaints, exceptions []store.Facts
	tallies                map[string]int64
}

type group struct {
	key    string
	period int64 // periodOf
}

// Compute answers q. It reads the per-person counters only to group by
// person; every other grouping reads them summed per outlet.
func (s *Service) Compute(ctx context.Context, q Query) (*Result, error) {
	loc := s.opt.Store.Location()
	from, to, err := q.Check(loc)
	if err != nil {
		return nil, err
	}
	regions := map[string]string{}
	if s.opt.Regions != nil && (q.By == "region" || q.Region != "") {
		if regions, err = s.opt.Regions(ctx); err != nil {
			return nil, err
		}
	}
	rq := store.RollupQuery{From: from.UnixMilli(), To: to.AddDate(0, 0, 1).UnixMilli(), Outlet: q.Outlet}
	groups := map[group]*acc{}
	total := &acc{tallies: map[string]int64{}}
	// Periods by day: a range holds few days and many rows.
	periods := map[int64]int64{}
	get := func(outlet, person string, day int64) *acc {
		var key string
		switch q.By {
		case "outlet":
			key = outlet
		case "region":
			key = regions[outlet]
		case "person":
			key = person
		default:
			key = "all"
		}
		p, ok := periods[day]
		if !ok {
			p = periodOf(day, q.Period)
			periods[day] = p
		}
		g := group{key, p}
		a := groups[g]
		if a == nil {
			a = &acc{tallies: map[string]int64{}}
			groups[g] = a
		}
		return a
	}
	keep := func(outlet string) bool { return q.Region == "" || regions[outlet] == q.Region }
	for _, kind := range []string{lifecycle.KindComplaint, lifecycle.KindException} {
		fs, err := s.opt.Store.Facts(ctx, kind, rq)
		if err != nil {
			return nil, err
		}
		for _, f := range fs {
			if !keep(f.Outlet) {
				continue
			}
			a := get(f.Outlet, f.Person, store.DayOf(f.At, loc))
			if kind == lifecycle.KindComplaint {
				a.complaints, total.complaints = append(a.complaints, f), append(total.complaints, f)
			} else {
				a.exceptions, total.exceptions = append(a.exceptions, f), append(total.exceptions, f)
			}
		}
	}
	ts, err := s.opt.Store.Tallies(ctx, store.RollupQuery{From: civil(from), To: civil(to), Outlet: q.Outlet, PerPerson: q.By == "person"})
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if !keep(t.Outlet) {
			continue
		}
		get(t.Outlet, t.Person, t.Day).tallies[t.Name] += t.N
		total.tallies[t.Name] += t.N
	}
	now := s.opt.Clock.Now().UnixMilli()
	res := &Result{From: q.From, To: q.To, By: q.By, Period: q.Period, Measures: Names(), Rows: make([]Row, 0, len(groups))}
	for g, a := range groups {
		res.Rows = append(res.Rows, Row{Key: g.key, Period: dateOf(g.period), Values: s.values(a, now)})
	}
	slices.SortFunc(res.Rows, func(a, b Row) int { return cmp.Or(cmp.Compare(a.Period, b.Period), cmp.Compare(a.Key, b.Key)) })
	res.Total.Values = s.values(total, now)
	return res, nil
}

// values computes every measure of one group.
func (s *Service) values(a *acc, now int64) map[string]any {
	v := make(map[string]any, len(Defs))
	day, week := (24 * time.Hour).Milliseconds(), (7 * 24 * time.Hour).Milliseconds()
	firstBy, resultBy := s.opt.SLA.FirstReply.Milliseconds(), s.opt.SLA.Result.Milliseconds()

	var replies []int64
	var in24, in7d, breaches, escalations, satN, satSum int64
	sat := [6]int64{}
	for _, f := range a.complaints {
		if f.ReplyAt != 0 {
			replies = append(replies, f.ReplyAt-f.At)
			if f.ReplyAt-f.At <= day {
				in24++
			}
		}
		if f.ResultAt != 0 && f.ResultAt-f.At <= week {
			in7d++
		}
		if missed(f.At, f.ReplyAt, firstBy, now) {
			breaches++
		}
		if f.Label == "complaint" && missed(f.At, f.ResultAt, resultBy, now) {
			breaches++
		}
		escalations += int64(f.Escalations)
		if f.Satisfaction >= 1 && f.Satisfaction <= 5 {
			sat[f.Satisfaction]++
			satN++
			satSum += int64(f.Satisfaction)
		}
	}
	n := int64(len(a.complaints))
	v["complaints.count"] = n
	v["complaints.first_reply_p50_ms"] = percentile(replies, 50)
	v["complaints.first_reply_p90_ms"] = percentile(replies, 90)
	v["complaints.replied_24h_ratio"] = ratio(in24, n)
	v["complaints.resolved_7d_ratio"] = ratio(in7d, n)
	v["complaints.sla_breaches"] = breaches
	v["complaints.escalations"] = escalations
	v["satisfaction.avg"] = ratio(satSum, satN)
	for i := 1; i <= 5; i++ {
		v["satisfaction.n"+strconv.Itoa(i)] = sat[i]
	}

	var handled []int64
	var claims, amount int64
	byKind := map[string][]int64{}
	kinds := map[string]int64{}
	for _, f := range a.exceptions {
		kinds[f.Label]++
		if f.ReplyAt != 0 {
			handled = append(handled, f.ReplyAt-f.At)
			byKind[f.Label] = append(byKind[f.Label], f.ReplyAt-f.At)
		}
		if f.Claim {
			claims++
		}
		amount += f.AmountCents
	}
	v["exceptions.count"] = int64(len(a.exceptions))
	v["exceptions.handling_p50_ms"] = percentile(handled, 50)
	v["exceptions.claims"] = claims
	v["exceptions.claim_amount_cents"] = amount
	for _, d := range Defs {
		switch {
		case d.kindCount:
			v[d.Name] = kinds[d.perKind]
		case d.kindP50:
			v[d.Name] = percentile(byKind[d.perKind], 50)
		}
	}

	t := a.tallies
	v["parcels.inbound"] = t[store.TallyInbound]
	v["parcels.picked_up"] = t[store.TallyPickedUp]
	v["parcels.overdue"] = t[store.TallyOverdue]
	v["parcels.returned"] = t[store.TallyReturned]
	v["parcels.dwell_p50_ms"] = dwellMedian(t)
	v["handovers.count"] = t[store.TallyHandovers]
	v["incidents.count"] = t[store.TallyIncidents]
	v["handovers.missing_ratio"] = ratio(t[store.TallyHandoverMissing], t[store.TallyHandoverExpected])
	v["handovers.extra_ratio"] = ratio(t[store.TallyHandoverExtra], t[store.TallyHandoverScanned])
	var scores, scoreSum int64
	for i := int64(1); i <= 5; i++ {
		n := t[store.TallySurveyScorePrefix+strconv.FormatInt(i, 10)]
		v["surveys.n"+strconv.FormatInt(i, 10)] = n
		scores += n
		scoreSum += i * n
	}
	v["surveys.answered"] = t[store.TallySurveyAnswers]
	v["surveys.avg"] = ratio(scoreSum, scores)
	v["surveys.opted_out"] = t[store.TallySurveyOptOuts]
	v["surveys.sent"] = t[store.TallySurveySent]
	v["surveys.delivered"] = t[store.TallySurveyDelivered]
	v["surveys.response_ratio"] = ratio(t[store.TallySurveyAnswers], t[store.TallySurveyDelivered])
	return v
}

// missed reports whether a deadline by after at was missed: met later
// than it, or not met and already past at now.
func missed(at, met, by, now int64) bool {
	if met != 0 {
		return met-at > by
	}
	return now-at > by
}

// ratio is a/b, nil when b is 0.
func ratio(a, b int64) any {
	if b == 0 {
		return nil
	}
	return float64(a) / float64(b)
}

// percentile is the nearest-rank p-th percentile of xs, nil for none.
func percentile(xs []int64, p int) any {
	if len(xs) == 0 {
		return nil
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	rank := (p*len(xs) + 99) / 100 // ceil(p/100 · n), at least 1
	return xs[max(rank, 1)-1]
}

// dwellMedian is the median dwell time from the bucket tallies, nil for
// none: the nearest-rank bucket's geometric middle, rounded to ms.
func dwellMedian(t map[string]int64) any {
	var counts [store.DwellBuckets]int64
	var n int64
	for name, c := range t {
		if k, ok := strings.CutPrefix(name, store.TallyDwellPrefix); ok {
			if i, err := strconv.Atoi(k); err == nil && i >= 0 && i < store.DwellBuckets {
				counts[i] += c
				n += c
			}
		}
	}
	if n == 0 {
		return nil
	}
	rank := (n + 1) / 2
	for k, c := range counts {
		if rank <= c {
			return int64(math.Round(store.DwellOf(k)))
		}
		rank -= c
	}
	return nil
}

// Today counts the parcels taken in and picked up on now's day in the
// hub's zone, for the overview. It reads that day's counters only.
func (s *Service) Today(ctx context.Context, now time.Time) (inbound, pickedUp int64, err error) {
	day := store.DayOf(now.UnixMilli(), s.opt.Store.Location())
	ts, err := s.opt.Store.Tallies(ctx, store.RollupQuery{From: day, To: day})
	if err != nil {
		return 0, 0, err
	}
	for _, t := range ts {
		switch t.Name {
		case store.TallyInbound:
			inbound += t.N
		case store.TallyPickedUp:
			pickedUp += t.N
		}
	}
	return inbound, pickedUp, nil
}
