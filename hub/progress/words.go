package progress

import (
	"html/template"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// words are the page's own, in both languages; errors are worded from the
// catalog's halves (syncproto/problem).
var words = map[string]map[string]string{
	"zh": {
		"title": "投诉进度查询", "lang": "English", "ticket": "投诉单号（见回执）", "digits": "手机号码后四位",
		"submit": "查询", "stage": "处理阶段", "outlet": "受理网点", "due.first_reply": "最迟首次答复时间",
		"due.result": "最迟处理结果时间", "none": "无待办期限",
		"note": "此页只显示处理阶段、下一期限和受理网点。如有疑问，请联系受理网点或拨打客服电话。",
	},
	"en": {
		"title": "Complaint progress", "lang": "中文", "ticket": "Ticket number (on your receipt)",
		"digits": "Last four digits of your phone", "submit": "Look up", "stage": "Stage", "outlet": "Outlet",
		"due.first_reply": "First reply by", "due.result": "Result by", "none": "No deadline pending",
		"note": "This page shows only the stage, the next deadline and the outlet. For anything else, ask the outlet or call customer service.",
	},
}

// stages are the complaint's states in the customer's words, in lifecycle
// order.
var stages = map[string][2]string{
	lifecycle.ComplaintStateReceived:              {"已受理，等待答复", "Received: we will reply"},
	lifecycle.ComplaintStateAcknowledged:          {"已答复，正在处理", "Replied: we are on it"},
	lifecycle.ComplaintStateInvestigating:         {"正在调查", "Being looked into"},
	lifecycle.ComplaintStateResponsibilityDecided: {"调查完成，正在拟定解决方案", "Looked into: a solution is being prepared"},
	lifecycle.ComplaintStateSolutionProposed:      {"已提出解决方案，等待您确认", "A solution is proposed: waiting for your answer"},
	lifecycle.ComplaintStateCustomerAgreed:        {"您已同意方案，正在落实", "You agreed: it is being carried out"},
	lifecycle.ComplaintStateCarriedOut:            {"方案已落实", "Carried out"},
	lifecycle.ComplaintStateFollowedUp:            {"已回访", "We have followed up with you"},
	lifecycle.ComplaintStateClosed:                {"已办结", "Closed"},
}

// stageWords is state in lang's customer words.
func stageWords(lang, state string) string {
	w, ok := stages[state]
	if !ok {
		w = [2]string{"处理中", "In progress"}
	}
	if lang == "en" {
		return w[1]
	}
	return w[0]
}

// page is what the template fills in.
type page struct {
	Lang, Other, Path string
	W                 map[string]string
	CSS               template.CSS
	Ticket, Error     string
	Found             bool
	Stage, Outlet     string
	DueLabel, Due     string
}

var tmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{if eq .Lang "en"}}en{{else}}zh-CN{{end}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{{.W.title}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<main>
<header><h1>{{.W.title}}</h1><a id="lang" href="{{.Path}}?lang={{.Other}}{{if .Ticket}}&amp;t={{.Ticket}}{{end}}" lang="{{if eq .Other "en"}}en{{else}}zh-CN{{end}}">{{.W.lang}}</a></header>
{{if .Found}}<section class="card" id="result">
<dl>
<dt>{{.W.stage}}</dt><dd id="stage">{{.Stage}}</dd>
<dt>{{if .Due}}{{.DueLabel}}{{else}}{{.W.none}}{{end}}</dt><dd id="due">{{if .Due}}{{.Due}}{{else}}—{{end}}</dd>
<dt>{{.W.outlet}}</dt><dd id="outlet">{{.Outlet}}</dd>
</dl>
</section>{{end}}
{{if .Error}}<p class="error" id="error" role="alert">{{.Error}}</p>{{end}}
<form class="card" method="post" action="{{.Path}}">
<input type="hidden" name="lang" value="{{.Lang}}">
<label>{{.W.ticket}}<input name="t" value="{{.Ticket}}" required maxlength="96" autocapitalize="characters" autocomplete="off" spellcheck="false"></label>
<label>{{.W.digits}}<input name="d" required inputmode="numeric" pattern="[0-9]{4}" maxlength="4" autocomplete="off"></label>
<button type="submit">{{.W.submit}}</button>
</form>
<p class="note">{{.W.note}}</p>
</main>
</body>
</html>
`))
