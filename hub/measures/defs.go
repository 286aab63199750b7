// Package measures is head office's measures: what each one means (Defs,
// the one table of names, units and definitions the API, the CSV and the
// screens' dictionaries share) and how it is computed from the store's
// rollups (store.Facts, store.Tally), never from events, so a request
// costs one row per case or per (day, outlet, person) in its range however
// many years of events the store holds.
//
// Cohorts: a complaint's or exception's measures count in the period it
// was received or reported in (its first reply a day later still counts
// in that day); parcel and handover counters count in the period of the
// event. Every time is hub-corrected (the event's fold stamp) and periods
// are days, weeks from Monday and months in the hub's time zone.
//
// Percentiles of complaints and exceptions are exact (nearest rank over
// the cases in range). Dwell time is read from fixed log buckets
// (store.DwellBucket): its median is off by at most 4.4%.
//
// Per person: a complaint counts for whoever took its first reply (before
// one, whoever recorded it), an exception for whoever handled it (claim
// decided or closed; before that, whoever reported it), a parcel or
// handover counter for whoever took the step; a person is
// "origin/actor", as "hub/alice" or "SH-001/c01", since clerk ids repeat
// across outlets.
package measures

import (
	"slices"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// Units of measures.
const (
	UnitCount = "count"
	UnitMS    = "ms"
	UnitRatio = "ratio" // 0..1
	UnitScore = "score" // 1–5
	UnitCents = "cents"
)

// Def is one measure: its name, unit, and its label and one-sentence
// definition in each screen language (the dictionaries' measure.<name>
// and measure.<name>.def).
type Def struct {
	Name, Unit         string
	LabelZH, LabelEN   string
	DefZH, DefEN       string
	perKind            string // an exception kind, for exceptions.<kind>.*
	kindCount, kindP50 bool
}

var fixed = []Def{
	{Name: "complaints.count", Unit: UnitCount, LabelZH: "投诉数", LabelEN: "Complaints",
		DefZH: "本期收到的投诉（含建议和表扬）件数。", DefEN: "Complaints (with suggestions and praise) received in the period."},
	{Name: "complaints.first_reply_p50_ms", Unit: UnitMS, LabelZH: "首次回复时长中位数", LabelEN: "First reply, median",
		DefZH: "本期收到且已首次回复（受理）的投诉，从收到到首次回复的时长的中位数。", DefEN: "Median time from receipt to first reply (acknowledgement) of the complaints received in the period that have one."},
	{Name: "complaints.first_reply_p90_ms", Unit: UnitMS, LabelZH: "首次回复时长 P90", LabelEN: "First reply, 90th percentile",
		DefZH: "同上时长的第 90 百分位：九成投诉在此时长内得到首次回复。", DefEN: "The 90th percentile of the same time: nine in ten replied complaints had their first reply within it."},
	{Name: "complaints.replied_24h_ratio", Unit: UnitRatio, LabelZH: "24 小时回复率", LabelEN: "Replied within 24 h",
		DefZH: "本期收到的投诉中，在收到后 24 小时内首次回复的比例。", DefEN: "Share of the complaints received in the period that had their first reply within 24 hours of receipt."},
	{Name: "complaints.resolved_7d_ratio", Unit: UnitRatio, LabelZH: "7 日办结率", LabelEN: "Resolved within 7 days",
		DefZH: "本期收到的投诉中，在收到后 7 日内有处理结果（落实或结案）的比例。", DefEN: "Share of the complaints received in the period with a result (carried out or closed) within 7 days of receipt."},
	{Name: "complaints.sla_breaches", Unit: UnitCount, LabelZH: "超时次数", LabelEN: "SLA breaches",
		DefZH: "本期收到的投诉错过的时限数：首次回复晚于首复时限，或投诉的处理结果晚于办结时限（未完成且已过时限的也算）。", DefEN: "Deadlines missed by the complaints received in the period: a first reply later than the first-reply deadline, or a complaint's result later than the result deadline (counting those still pending past it)."},
	{Name: "complaints.escalations", Unit: UnitCount, LabelZH: "升级次数", LabelEN: "Escalations",
		DefZH: "本期收到的投诉被升级（人工或超时自动）的次数。", DefEN: "Escalations, by hand or by the SLA timers, of the complaints received in the period."},
	{Name: "satisfaction.avg", Unit: UnitScore, LabelZH: "满意度均值", LabelEN: "Satisfaction, average",
		DefZH: "本期收到的投诉在回访中给出的满意度（1–5 分）的平均值。", DefEN: "Average satisfaction (1 to 5) given at the follow-up of the complaints received in the period."},
	{Name: "satisfaction.n1", Unit: UnitCount, LabelZH: "满意度 1 分", LabelEN: "Satisfaction 1",
		DefZH: "回访满意度为 1 分的投诉件数。", DefEN: "Complaints whose follow-up gave satisfaction 1."},
	{Name: "satisfaction.n2", Unit: UnitCount, LabelZH: "满意度 2 分", LabelEN: "Satisfaction 2",
		DefZH: "回访满意度为 2 分的投诉件数。", DefEN: "Complaints whose follow-up gave satisfaction 2."},
	{Name: "satisfaction.n3", Unit: UnitCount, LabelZH: "满意度 3 分", LabelEN: "Satisfaction 3",
		DefZH: "回访满意度为 3 分的投诉件数。", DefEN: "Complaints whose follow-up gave satisfaction 3."},
	{Name: "satisfaction.n4", Unit: UnitCount, LabelZH: "满意度 4 分", LabelEN: "Satisfaction 4",
		DefZH: "回访满意度为 4 分的投诉件数。", DefEN: "Complaints whose follow-up gave satisfaction 4."},
	{Name: "satisfaction.n5", Unit: UnitCount, LabelZH: "满意度 5 分", LabelEN: "Satisfaction 5",
		DefZH: "回访满意度为 5 分的投诉件数。", DefEN: "Complaints whose follow-up gave satisfaction 5."},
	{Name: "surveys.answered", Unit: UnitCount, LabelZH: "问卷回答数", LabelEN: "Survey answers",
		DefZH: "本期收到的满意度问卷回答份数，计入触发问卷的网点（取件、派送或投诉结案处）。", DefEN: "Satisfaction survey answers received in the period, counted for the outlet of the pickup, delivery or closed complaint that triggered the survey."},
	{Name: "surveys.avg", Unit: UnitScore, LabelZH: "问卷满意度均值", LabelEN: "Survey satisfaction, average",
		DefZH: "本期问卷回答中每道题所给分数（1–5 分）的平均值；与投诉回访的满意度分开统计。", DefEN: "Average of every score (1 to 5) given in the survey answers received in the period; kept apart from the complaints' follow-up satisfaction."},
	{Name: "surveys.n1", Unit: UnitCount, LabelZH: "问卷 1 分", LabelEN: "Survey score 1",
		DefZH: "本期问卷回答中给出 1 分的题数。", DefEN: "Scores of 1 given in the survey answers of the period."},
	{Name: "surveys.n2", Unit: UnitCount, LabelZH: "问卷 2 分", LabelEN: "Survey score 2",
		DefZH: "本期问卷回答中给出 2 分的题数。", DefEN: "Scores of 2 given in the survey answers of the period."},
	{Name: "surveys.n3", Unit: UnitCount, LabelZH: "问卷 3 分", LabelEN: "Survey score 3",
		DefZH: "本期问卷回答中给出 3 分的题数。", DefEN: "Scores of 3 given in the survey answers of the period."},
	{Name: "surveys.n4", Unit: UnitCount, LabelZH: "问卷 4 分", LabelEN: "Survey score 4",
		DefZH: "本期问卷回答中给出 4 分的题数。", DefEN: "Scores of 4 given in the survey answers of the period."},
	{Name: "surveys.n5", Unit: UnitCount, LabelZH: "问卷 5 分", LabelEN: "Survey score 5",
		DefZH: "本期问卷回答中给出 5 分的题数。", DefEN: "Scores of 5 given in the survey answers of the period."},
	{Name: "surveys.opted_out", Unit: UnitCount, LabelZH: "问卷退订数", LabelEN: "Survey opt-outs",
		DefZH: "本期回答问卷时选择“不再邀请我”的客户数。", DefEN: "Customers who chose \"do not ask me again\" when answering in the period."},
	{Name: "surveys.sent", Unit: UnitCount, LabelZH: "问卷邀请发出数", LabelEN: "Survey invitations sent",
		DefZH: "本期交给短信（或微信）网关发出的问卷邀请条数，计入触发问卷的网点。", DefEN: "Survey invitations handed to the SMS (or WeChat) gateway in the period, counted for the outlet that triggered the survey."},
	{Name: "surveys.delivered", Unit: UnitCount, LabelZH: "问卷邀请送达数", LabelEN: "Survey invitations delivered",
		DefZH: "本期网关确认已送达客户手机的问卷邀请条数。", DefEN: "Survey invitations the gateway reported on the customer's phone in the period."},
	{Name: "surveys.response_ratio", Unit: UnitRatio, LabelZH: "问卷回复率", LabelEN: "Survey response rate",
		DefZH: "本期问卷回答数除以本期送达的邀请数；回答可能晚于送达，落在下一期，故单日可能超过 100%；无送达时不计。", DefEN: "Survey answers received in the period over the invitations delivered in it; an answer may come in a later period than its delivery, so a single day can exceed 100%; none when nothing was delivered."},
	{Name: "exceptions.count", Unit: UnitCount, LabelZH: "异常件数", LabelEN: "Exceptions",
		DefZH: "本期报告的异常件数。", DefEN: "Exception parcels reported in the period."},
	{Name: "exceptions.handling_p50_ms", Unit: UnitMS, LabelZH: "异常处理时长中位数", LabelEN: "Exception handling, median",
		DefZH: "本期报告且已处理（理赔已决定或已结案）的异常件，从报告到处理的时长的中位数。", DefEN: "Median time from report to handling (claim decided or closed) of the exceptions reported in the period that were handled."},
	{Name: "exceptions.claims", Unit: UnitCount, LabelZH: "理赔数", LabelEN: "Claims",
		DefZH: "本期报告的异常件中开启了理赔的件数。", DefEN: "Exceptions reported in the period for which a claim was opened."},
	{Name: "exceptions.claim_amount_cents", Unit: UnitCents, LabelZH: "理赔金额（分）", LabelEN: "Claim amount (cents)",
		DefZH: "本期报告的异常件中获批理赔的金额合计，单位为分。", DefEN: "Total approved claim amount, in cents, of the exceptions reported in the period."},
}

var tail = []Def{
	{Name: "parcels.inbound", Unit: UnitCount, LabelZH: "入库件数", LabelEN: "Parcels in",
		DefZH: "本期入库的包裹件数。", DefEN: "Parcels taken in during the period."},
	{Name: "parcels.picked_up", Unit: UnitCount, LabelZH: "取件数", LabelEN: "Picked up",
		DefZH: "本期被取走（签收）的包裹件数。", DefEN: "Parcels picked up (signed for) during the period."},
	{Name: "parcels.overdue", Unit: UnitCount, LabelZH: "滞留件数", LabelEN: "Overdue",
		DefZH: "本期超过保管期的包裹件数。", DefEN: "Parcels whose holding period ran out during the period."},
	{Name: "parcels.returned", Unit: UnitCount, LabelZH: "退回件数", LabelEN: "Returned",
		DefZH: "本期退回寄件方的包裹件数。", DefEN: "Parcels sent back during the period."},
	{Name: "parcels.dwell_p50_ms", Unit: UnitMS, LabelZH: "在架时长中位数", LabelEN: "Dwell time, median",
		DefZH: "本期取走的包裹从入库到取件的时长的中位数（按对数分档估算，误差不超过 4.4%）。", DefEN: "Median time from intake to pickup of the parcels picked up in the period (from log buckets, within 4.4%)."},
	{Name: "handovers.count", Unit: UnitCount, LabelZH: "交接次数", LabelEN: "Handovers",
		DefZH: "本期完成（双方签字）的快递员交接次数。", DefEN: "Courier handovers closed (both signed) in the period."},
	{Name: "handovers.missing_ratio", Unit: UnitRatio, LabelZH: "交接缺件率", LabelEN: "Missing at handover",
		DefZH: "本期完成的交接中，清单上有但未扫到的件数占清单件数的比例。", DefEN: "Share of the parcels on the handovers' manifests that were not scanned, over the handovers closed in the period."},
	{Name: "handovers.extra_ratio", Unit: UnitRatio, LabelZH: "交接多件率", LabelEN: "Extra at handover",
		DefZH: "本期完成的交接中，扫到但不在清单上的件数占扫到件数的比例。", DefEN: "Share of the parcels scanned at the handovers closed in the period that were on none of their manifests."},
	{Name: "incidents.count", Unit: UnitCount, LabelZH: "事故报告数", LabelEN: "Incident reports",
		DefZH: "本期网点向总部报告的事故（停电、恶劣天气、道路中断等）件数。", DefEN: "Incidents (a power cut, severe weather, a road closed…) the outlets reported to head office in the period."},
}

// kindWords are the exception kinds' words, as the counter screen's
// dictionaries hold them under kind.<code> (a test keeps them equal).
var kindWords = map[string][2]string{
	"damaged": {"破损", "Damaged"}, "lost": {"丢失", "Lost"}, "delayed": {"延误", "Delayed"}, "refused": {"拒收", "Refused"},
	"address_problem": {"地址问题", "Address problem"}, "wrong_phone": {"电话错误", "Wrong phone"}, "mis_sorted": {"错分", "Mis-sorted"},
	"overdue": {"滞留", "Overdue"}, "prohibited": {"违禁品", "Prohibited item"}, "other": {"其他", "Other"},
}

// Defs lists every measure in display order: complaints, satisfaction,
// survey satisfaction, exceptions and then per exception kind (lifecycle.ExceptionKinds),
// parcels, handovers.
var Defs = func() []Def {
	out := slices.Clone(fixed)
	for _, k := range lifecycle.ExceptionKinds {
		w := kindWords[k]
		if w[0] == "" {
			w = [2]string{k, k}
		}
		out = append(out,
			Def{Name: "exceptions." + k + ".count", Unit: UnitCount, perKind: k, kindCount: true,
				LabelZH: "异常件数（" + w[0] + "）", LabelEN: "Exceptions: " + w[1],
				DefZH: "本期报告的" + w[0] + "类异常件数。", DefEN: "Exception parcels of kind " + w[1] + " reported in the period."},
			Def{Name: "exceptions." + k + ".handling_p50_ms", Unit: UnitMS, perKind: k, kindP50: true,
				LabelZH: "处理时长中位数（" + w[0] + "）", LabelEN: "Handling median: " + w[1],
				DefZH: "本期报告且已处理的" + w[0] + "类异常件，从报告到处理的时长的中位数。", DefEN: "Median time from report to handling of the exceptions of kind " + w[1] + " reported in the period that were handled."})
	}
	return append(out, tail...)
}()

// Names lists the measures' names in display order.
func Names() []string {
	out := make([]string, len(Defs))
	for i, d := range Defs {
		out[i] = d.Name
	}
	return out
}
