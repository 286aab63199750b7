package barcode

import (
	"regexp"
	"strings"
)

// Candidate is a carrier whose waybill numbers can look like the read.
type Candidate struct {
	Carrier string `json:"carrier"` // stable code, e.g. "ZTO"
	Name    string `json:"name"`    // as the counter shows it, e.g. "中通快递"
}

// CarrierRule says that numbers matching Pattern may be Carrier's.
type CarrierRule struct {
	Carrier string
	Name    string
	Pattern *regexp.Regexp
}

func rule(code, name, pattern string) CarrierRule {
	return CarrierRule{Carrier: code, Name: name, Pattern: regexp.MustCompile(pattern)}
}

// DefaultCarriers are the waybill shapes of the major carriers seen at
// Chinese outlets. None has a published check digit and several overlap
// (STO 43… vs Yunda 43…), so a match is a candidate, never proof; staff
// can override. Patterns see the read upper-cased.
var DefaultCarriers = []CarrierRule{
	rule("SF", "顺丰速运", `^SF\d{12,13}$`),
	rule("SF", "顺丰速运", `^\d{12}$`),
	rule("ZTO", "中通快递", `^7[3-68]\d{12}$`),
	rule("YTO", "圆通速递", `^YT\d{13,15}$`),
	rule("STO", "申通快递", `^(77|43)\d{12,15}$`),
	rule("STO", "申通快递", `^(268|368|468|568|668|868|888|900)\d{9}$`),
	rule("YUNDA", "韵达快递", `^(10|11|12|13|19|31|33|39|43|46|53|55)\d{11}$`),
	rule("YUNDA", "韵达快递", `^(31|43|46)\d{13}$`),
	rule("JD", "京东物流", `^JD[A-Z]{0,2}\d{10,13}(-\d+)*-?$`),
	rule("EMS", "EMS", `^E[A-Z]\d{9}CN$`),
	rule("EMS", "EMS", `^(10|11|50|51|95|97|98|99)\d{11}$`),
	rule("CHINAPOST", "中国邮政", `^[A-DF-Z][A-Z]\d{9}CN$`),
	rule("CHINAPOST", "中国邮政", `^9\d{12}$`),
	rule("JT", "极兔速递", `^JT\d{13}$`),
	rule("BEST", "百世快递", `^(55|56|57|58|60|61|70|71|72|73|80|81|82|88)\d{11}$`),
	rule("DEPPON", "德邦快递", `^DPK\d{12,13}$`),
	rule("CAINIAO", "菜鸟", `^(CN|LP)\d{14,16}$`),
}

// DetectCarriers returns every carrier in rules whose pattern matches text,
// each carrier once, in rule order. Nil rules means DefaultCarriers.
func DetectCarriers(text string, rules []CarrierRule) []Candidate {
	if rules == nil {
		rules = DefaultCarriers
	}
	up := strings.ToUpper(text)
	var out []Candidate
	seen := map[string]bool{}
	for _, r := range rules {
		if seen[r.Carrier] || !r.Pattern.MatchString(up) {
			continue
		}
		seen[r.Carrier] = true
		out = append(out, Candidate{Carrier: r.Carrier, Name: r.Name})
	}
	return out
}
