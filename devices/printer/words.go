package printer

import "github.com/yizhan/yizhan/syncproto/lifecycle"

// words are the printed words for the codes of the lifecycle table, by the
// table's label keys: the printer is a screen of its own, printing Chinese.
// Every code of the table has one (a test holds them together), so any
// template may print any code; today the exception tag prints its kind.
var words = map[string]string{
	// pickup: identity check
	"idc.code_only": "仅取件码",
	"idc.id_card":   "身份证",
	"idc.app":       "App 验证",
	// pickup: who signs
	"signer.recipient": "本人",
	"signer.agent":     "代领人",
	// exception kinds
	"kind.damaged":         "破损",
	"kind.lost":            "丢失",
	"kind.delayed":         "延误",
	"kind.refused":         "拒收",
	"kind.address_problem": "地址问题",
	"kind.wrong_phone":     "电话错误",
	"kind.mis_sorted":      "错分",
	"kind.overdue":         "滞留",
	"kind.prohibited":      "违禁品",
	"kind.other":           "其他",
	// complaint channels
	"ch.counter": "柜台",
	"ch.phone":   "电话",
	"ch.online":  "网上",
	"ch.app":     "App",
	"ch.social":  "社交媒体",
	// head office's own complaint channels
	"ch.wechat":     "微信公众号",
	"ch.chat":       "在线客服",
	"ch.callcenter": "呼叫中心",
	"ch.email":      "投诉邮箱",
	// incident causes
	"icause.weather":       "恶劣天气",
	"icause.traffic":       "交通管制/道路中断",
	"icause.power":         "停电",
	"icause.network":       "网络中断",
	"icause.equipment":     "设备故障",
	"icause.staffing":      "人员不足",
	"icause.public_health": "公共卫生事件",
	"icause.security":      "治安/安全事件",
	"icause.other":         "其他",
	// complaint types
	"ctype.complaint":  "投诉",
	"ctype.suggestion": "建议",
	"ctype.praise":     "表扬",
	// complaint categories
	"cat.delay":    "延误",
	"cat.loss":     "丢失",
	"cat.damage":   "破损/内件短少",
	"cat.attitude": "服务态度",
	"cat.fees":     "收费",
	"cat.privacy":  "隐私",
	"cat.other":    "其他",
	// complaint severities
	"sev.routine": "一般",
	"sev.major":   "重大",
	// notice severities
	"nsev.info":     "提示",
	"nsev.warning":  "注意",
	"nsev.critical": "紧急",
	// dispatch: why a parcel came back
	"reason.recipient_absent":   "收件人不在",
	"reason.refused":            "拒收",
	"reason.address_wrong":      "地址错误",
	"reason.address_incomplete": "地址不全",
	"reason.phone_unreachable":  "电话无法接通",
	"reason.outside_area":       "超区",
	// dispatch: where it goes next
	"disp.restock": "重新上架",
	"disp.return":  "退回寄件人",
	// shipment: sender identity documents
	"idt.resident_id": "居民身份证",
	"idt.passport":    "护照",
	"idt.other":       "其他证件",
	// shipment: item types
	"item.documents":   "文件",
	"item.clothing":    "衣物",
	"item.electronics": "电子产品",
	"item.fragile":     "易碎品",
	"item.food":        "食品",
	"item.cosmetics":   "化妆品",
	"item.other":       "其他",
	// prohibited items: rules
	"rule.forbidden":  "禁寄",
	"rule.restricted": "限寄",
}

// CodeLabel returns "破损 damaged" for a code the table has in kind's
// field, or the code itself.
func CodeLabel(kind, field, code string) string {
	k, _ := lifecycle.KindByName(kind)
	if key, ok := k.Label(field, code); ok {
		if zh, ok := words[key]; ok {
			return zh + " " + code
		}
	}
	return code
}

// KindLabel returns "破损 damaged" for an exception kind, or the kind itself.
func KindLabel(kind string) string { return CodeLabel(lifecycle.KindException, "kind", kind) }
