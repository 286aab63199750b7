package lifecycle

import "time"

// The business defaults agent and hub share. Each program's configuration
// starts from these, and every fallback for a zero setting refers to them, so
// a default changes in this one file.
const (
	// DefaultFirstReply is the complaint first-reply deadline: the
	// special-period plan asks for an answer to every complaint within 24 h.
	DefaultFirstReply = 24 * time.Hour
	// DefaultResult is the complaint result deadline: 快递暂行条例 Art. 28
	// gives 7 days to handle a complaint and tell the customer.
	DefaultResult = 7 * 24 * time.Hour
	// DefaultHoldDays is how long an outlet holds a parcel for pickup before
	// it goes back; pickup points commonly hold about 7 days.
	DefaultHoldDays = 7
	// DefaultWaybillBlock is how many waybill numbers head office allocates
	// when an outlet asks for more without naming a count.
	DefaultWaybillBlock = 1000
)

// DefaultSLA is the complaint service level where none is configured.
var DefaultSLA = SLA{FirstReply: DefaultFirstReply, Result: DefaultResult}

// DefaultExceptionDeadlines is how long each exception kind may take to be
// handled (a claim decided or the exception closed) from its report:
//   - damaged, lost: 7 days. The customer's claim is a complaint in law, and
//     快递暂行条例 Art. 28 gives 7 days to handle it (DefaultResult).
//   - delayed: 48 h, so the parcel is traced a day before the same-city
//     GB/T 27917 limit (3 days) makes it a suspected loss.
//   - refused, address_problem, wrong_phone, prohibited: 24 h, the
//     first-reply window (DefaultFirstReply): the customer or sender has to
//     be reached, and a prohibited item reported, the same day.
//   - mis_sorted: 24 h, so it leaves on the next day's trunk run.
//   - overdue: 72 h. Its holding time is already over, and it goes back to
//     the sender within three days.
//   - other: 7 days, the longest, for kinds nobody could classify.
var DefaultExceptionDeadlines = ExceptionDeadlines{
	"damaged":         DefaultResult,
	"lost":            DefaultResult,
	"delayed":         48 * time.Hour,
	"refused":         DefaultFirstReply,
	"address_problem": DefaultFirstReply,
	"wrong_phone":     DefaultFirstReply,
	"prohibited":      DefaultFirstReply,
	"mis_sorted":      24 * time.Hour,
	"overdue":         72 * time.Hour,
	"other":           DefaultResult,
}
