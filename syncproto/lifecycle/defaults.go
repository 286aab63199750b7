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
