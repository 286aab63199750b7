package notices

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/yizhan/yizhan/hub/gateway"
)

// Kinds of the customer messages a notice sends (store.Message.Kind).
const (
	MessageStart = "notice.start" // the notice's reason and expected recovery
	MessageEnd   = "notice.end"   // the recovery notice
)

// messageParams are what a notice's customer messages render from: the
// notice as published (and, for MessageEnd, its recovery text).
type messageParams struct {
	Title    string `json:"title"`
	Text     string `json:"text"`
	Until    int64  `json:"until,omitempty"` // expected recovery, Unix ms; 0 unknown
	Recovery string `json:"recovery,omitempty"`
}

// MessageTexts renders a notice's customer messages in Chinese (the
// default) or English, times in loc (UTC if nil).
func MessageTexts(loc *time.Location) map[string]gateway.Text {
	if loc == nil {
		loc = time.UTC
	}
	read := func(raw json.RawMessage) (messageParams, error) {
		var p messageParams
		if err := json.Unmarshal(raw, &p); err != nil {
			return p, err
		}
		if p.Title == "" {
			return p, fmt.Errorf("a notice message without a title")
		}
		return p, nil
	}
	return map[string]gateway.Text{
		MessageStart: func(lang string, raw json.RawMessage) (string, error) {
			p, err := read(raw)
			if err != nil {
				return "", err
			}
			until := time.UnixMilli(p.Until).In(loc).Format("2006-01-02 15:04")
			if lang == "en" {
				s := fmt.Sprintf("[%s] %s Your parcel waiting at the outlet is affected.", p.Title, p.Text)
				if p.Until > 0 {
					return s + " Expected recovery: " + until + ".", nil
				}
				return s + " We will tell you when service resumes.", nil
			}
			s := fmt.Sprintf("【%s】%s 您在驿站待取或在途的包裹受到影响。", p.Title, p.Text)
			if p.Until > 0 {
				return s + "预计恢复时间：" + until + "。", nil
			}
			return s + "恢复后我们会再通知您。", nil
		},
		MessageEnd: func(lang string, raw json.RawMessage) (string, error) {
			p, err := read(raw)
			if err != nil {
				return "", err
			}
			if lang == "en" {
				return fmt.Sprintf("[Service resumed] %s: %s", p.Title, p.Recovery), nil
			}
			return fmt.Sprintf("【服务恢复】%s：%s", p.Title, p.Recovery), nil
		},
	}
}
