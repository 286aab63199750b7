package preview

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/yizhan/yizhan/devices/printer"
)

// FromQuery builds a preview from URL parameters, so the agent's HTTP
// handler stays a few lines:
//
//	template=shelf      pickup_code, phone, waybill, date
//	template=exception  waybill, kind, reporter, note, date
//	template=complaint  ticket, outlet, text, received, reply_by
//	template=waybill    number, date, sender_name, sender_phone, sender_address,
//	                    recipient_name, recipient_phone, recipient_address,
//	                    destination, weight_g, price_fen, insured_fen, items, outlet
//
// Dates are 2006-01-02, 2006-01-02 15:04 or RFC 3339; a missing date is now
// (reply_by: a day after received). Errors are written for the clerk,
// Chinese then English.
func FromQuery(cfg printer.Config, q url.Values, now time.Time) ([]byte, error) {
	var perr error
	date := func(key string, def time.Time) time.Time {
		v := strings.TrimSpace(q.Get(key))
		if v == "" {
			return def
		}
		for _, layout := range []string{time.RFC3339, "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02"} {
			if t, err := time.ParseInLocation(layout, v, now.Location()); err == nil {
				return t
			}
		}
		if perr == nil {
			perr = fmt.Errorf("日期格式错误 %s=%q / %s is not a date: use 2006-01-02 or 2006-01-02 15:04", key, v, key)
		}
		return def
	}
	integer := func(key string) int64 {
		v := strings.TrimSpace(q.Get(key))
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil && perr == nil {
			perr = fmt.Errorf("不是整数 %s=%q / %s is not a whole number: give grams or fen, e.g. 1250", key, v, key)
		}
		return n
	}
	var doc Document
	switch t := q.Get("template"); t {
	case "shelf":
		doc = printer.ShelfLabel{PickupCode: q.Get("pickup_code"), Phone: q.Get("phone"), Waybill: q.Get("waybill"), Date: date("date", now)}
	case "exception":
		doc = printer.ExceptionTag{Waybill: q.Get("waybill"), Kind: q.Get("kind"), Reporter: q.Get("reporter"), Note: q.Get("note"), Date: date("date", now)}
	case "complaint":
		received := date("received", now)
		doc = printer.ComplaintReceipt{Ticket: q.Get("ticket"), Outlet: q.Get("outlet"), Text: q.Get("text"),
			Received: received, ReplyBy: date("reply_by", received.Add(24*time.Hour))}
	case "waybill":
		doc = printer.WaybillLabel{
			Number:      q.Get("number"),
			Date:        date("date", now),
			Sender:      printer.Party{Name: q.Get("sender_name"), Phone: q.Get("sender_phone"), Address: q.Get("sender_address")},
			Recipient:   printer.Party{Name: q.Get("recipient_name"), Phone: q.Get("recipient_phone"), Address: q.Get("recipient_address")},
			Destination: q.Get("destination"),
			WeightG:     int(min(max(integer("weight_g"), -1), 1<<31-1)),
			PriceFen:    integer("price_fen"),
			InsuredFen:  integer("insured_fen"),
			Items:       q.Get("items"),
			Outlet:      q.Get("outlet"),
		}
	default:
		return nil, fmt.Errorf("未知的模板 %q，可用 shelf、exception、complaint、waybill / unknown template %q: use shelf, exception, complaint or waybill", t, t)
	}
	if perr != nil {
		return nil, perr
	}
	return Render(cfg, doc)
}
