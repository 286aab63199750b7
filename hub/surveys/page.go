package surveys

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/ratelimit"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// The answer page, served by the hub outside /api/ and without a login:
//
//	GET  /s/{token}         the questions (or why there are none: a wrong,
//	                        used or expired link), zh by default, ?lang=en
//	POST /s/{token}         {"scores":[1–5 or 0 per question],"comment",
//	                        "opt_out","lang"} → 204, or the error body
//	GET  /s/assets/{file}   its stylesheet and script, embedded
//
// It loads nothing from elsewhere and allows nothing else: its CSP is
// default-src 'none' with the page's own script and stylesheet. The hub's
// gate checks Host, Origin and the JSON content type of the POST as for
// /api/. Every client address (accounts.ClientAddr) has PageBudget
// requests per PageWindow, counted by the hub's limiter (hub/ratelimit) in
// the store, so that tokens cannot be guessed at speed through any hub.

//go:embed static
var static embed.FS

// PageBudget requests per PageWindow per client, counted under PageRule.
const (
	PageBudget = 30
	PageWindow = time.Minute
)

// PageRule is the page's budget in the limiter.
var PageRule = ratelimit.Rule{Name: "survey.address", Budget: PageBudget, Window: PageWindow}

// pageCSP forbids everything the page does not need.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

// words are the page's, in both languages (a test keeps the keys equal).
var words = map[string]map[string]string{
	"zh": {
		"title": "满意度调查", "intro": "感谢您使用我们的服务。请为以下各项打分（1 分最不满意，5 分最满意）。",
		"comment": "还有什么想告诉我们的（选填）", "optout": "不再邀请我参加调查", "submit": "提交",
		"need": "请至少为一道题打分，或勾选“不再邀请我”。", "busy": "提交过于频繁，请稍后再试。", "failed": "提交没有成功，请稍后再试。",
		"thanks": "谢谢您的评价！", "thanks.text": "您的回答已经收到。", "optedout": "我们不会再邀请您参加调查。",
		"bad_token": "问卷链接无效", "bad_token.text": "请核对短信中的链接是否完整。",
		"used": "这份问卷已经答过了", "used.text": "每个链接只能回答一次，谢谢您。",
		"expired": "问卷链接已过期", "expired.text": "感谢您的关注，这次调查已经结束。",
		"no_key": "暂时无法打开问卷", "no_key.text": "请稍后再试。", "other": "English",
		"score.1": "很不满意", "score.5": "非常满意",
	},
	"en": {
		"title": "Satisfaction survey", "intro": "Thank you for using our service. Please score each of these (1 is least satisfied, 5 most).",
		"comment": "Anything else you would like to tell us (optional)", "optout": "Do not ask me again", "submit": "Send",
		"need": "Score at least one question, or tick \"Do not ask me again\".", "busy": "Too many tries: please try again in a minute.", "failed": "That did not go through: please try again later.",
		"thanks": "Thank you for your answer!", "thanks.text": "We have received it.", "optedout": "We will not ask you again.",
		"bad_token": "This survey link is not valid", "bad_token.text": "Check that the link from the message is complete.",
		"used": "This survey was already answered", "used.text": "Each link can be answered once. Thank you.",
		"expired": "This survey link has expired", "expired.text": "Thank you for your interest: this survey is over.",
		"no_key": "The survey cannot be opened now", "no_key.text": "Please try again later.", "other": "中文",
		"score.1": "Very dissatisfied", "score.5": "Very satisfied",
	},
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.W.title}}</title>
<link rel="icon" href="/s/assets/icon.svg">
<link rel="stylesheet" href="/s/assets/page.css">
</head><body>
<main data-state="{{.State}}">
<p class="lang"><a href="?lang={{.Other}}" id="lang">{{.W.other}}</a></p>
{{if eq .State "ask"}}
<h1>{{.Title}}</h1>
<p>{{.W.intro}}</p>
<form id="survey" data-questions="{{len .Questions}}" data-lang="{{.Lang}}">
{{range $i, $q := .Questions}}<fieldset class="q"><legend>{{$q}}</legend>
<div class="scale">{{range $.Scale}}<label><input type="radio" name="q{{$i}}" value="{{.}}"><span>{{.}}</span></label>{{end}}</div>
<div class="ends"><span>{{$.W.score_1}}</span><span>{{$.W.score_5}}</span></div></fieldset>
{{end}}{{if .Comment}}<label class="comment">{{.W.comment}}<textarea name="comment" maxlength="500" rows="3"></textarea></label>{{end}}
<label class="optout"><input type="checkbox" name="opt_out"> {{.W.optout}}</label>
<p class="msg" id="need" hidden>{{.W.need}}</p><p class="msg" id="busy" hidden>{{.W.busy}}</p><p class="msg" id="failed" hidden>{{.W.failed}}</p>
<button type="submit" id="send">{{.W.submit}}</button>
</form>
<script type="module" src="/s/assets/page.js"></script>
{{else}}
<h1>{{.Heading}}</h1><p>{{.Text}}</p>
{{end}}
</main></body></html>
`))

type pageData struct {
	Lang, Other, State, Title string
	W                         map[string]string
	Questions                 []string
	Scale                     []int
	Comment                   bool
	Heading, Text             string
}

// PagePatterns are the answer page's routes (accounts.Public lists them).
var PagePatterns = []string{"GET /s/assets/{file}", "GET /s/{token}", "POST /s/{token}"}

// Routes hands the answer page's routes, PagePatterns, to handle.
func (s *Service) Routes(handle func(pattern string, h http.HandlerFunc)) {
	sub, _ := fs.Sub(static, "static")
	files := http.FileServerFS(sub)
	handle(PagePatterns[0], func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", pageCSP)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		r.URL.Path = "/" + r.PathValue("file")
		files.ServeHTTP(w, r)
	})
	handle(PagePatterns[1], func(w http.ResponseWriter, r *http.Request) {
		header(w)
		lang := langOf(r.URL.Query().Get("lang"))
		if _, ok, _, err := s.opt.Limiter.Take(r.Context(), PageRule, accounts.ClientAddr(r)); err != nil {
			s.opt.Logger.Error("survey page limit", "err", err)
			s.render(w, http.StatusServiceUnavailable, lang, "no_key", Invitation{})
			return
		} else if !ok {
			s.render(w, http.StatusTooManyRequests, lang, "busy", Invitation{})
			return
		}
		inv, err := s.Find(r.Context(), r.PathValue("token"))
		state := "ask"
		if r.URL.Query().Get("done") == "1" && problem.Is(err, problem.SurveyUsed) {
			state = "thanks"
			if r.URL.Query().Get("out") == "1" {
				state = "optedout"
			}
			err = nil
		}
		status := http.StatusOK
		if err != nil {
			state = stateOf(err)
			status = problem.Status(err)
			if problem.As(err) == nil {
				s.opt.Logger.Error("survey page", "err", err)
			}
		}
		s.render(w, status, lang, state, inv)
	})
	handle(PagePatterns[2], func(w http.ResponseWriter, r *http.Request) {
		header(w)
		if _, ok, retry, err := s.opt.Limiter.Take(r.Context(), PageRule, accounts.ClientAddr(r)); err != nil {
			s.opt.Logger.Error("survey answer limit", "err", err)
			writeErr(w, err)
			return
		} else if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(ratelimit.RetryAfter(retry)))
			writeErr(w, problem.New(problem.SurveyRateLimited))
			return
		}
		var a Answer
		if err := problem.Decode(r.Body, 4096, &a); err != nil {
			writeErr(w, err)
			return
		}
		if err := s.Submit(r.Context(), r.PathValue("token"), a); err != nil {
			if problem.As(err) == nil {
				s.opt.Logger.Error("survey answer", "err", err)
			}
			writeErr(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func header(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", pageCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}

func writeErr(w http.ResponseWriter, err error) {
	status, body := problem.Response(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = problem.Encode(w, body)
}

// langOf is zh unless en is asked for.
func langOf(q string) string {
	if q == "en" {
		return "en"
	}
	return "zh"
}

// stateOf names the page an error shows.
func stateOf(err error) string {
	for _, c := range []struct {
		code  problem.Code
		state string
	}{{problem.SurveyBadToken, "bad_token"}, {problem.SurveyUsed, "used"}, {problem.SurveyExpired, "expired"}, {problem.SurveyNoKey, "no_key"}} {
		if problem.Is(err, c.code) {
			return c.state
		}
	}
	return "no_key"
}

func (s *Service) render(w http.ResponseWriter, status int, lang, state string, inv Invitation) {
	wd := words[lang]
	d := pageData{Lang: lang, Other: map[string]string{"zh": "en", "en": "zh"}[lang], State: state, W: map[string]string{}, Scale: []int{1, 2, 3, 4, 5}}
	for k, v := range wd {
		d.W[k] = v
	}
	d.W["score_1"], d.W["score_5"] = wd["score.1"], wd["score.5"]
	switch state {
	case "ask":
		d.Title, d.Comment = inv.Def.TitleZH, inv.Def.Comment
		if lang == "en" && inv.Def.TitleEN != "" {
			d.Title = inv.Def.TitleEN
		}
		for _, q := range inv.Def.Questions {
			if lang == "en" {
				d.Questions = append(d.Questions, q.EN)
			} else {
				d.Questions = append(d.Questions, q.ZH)
			}
		}
	case "thanks", "optedout":
		d.Heading, d.Text = wd["thanks"], wd["thanks.text"]
		if state == "optedout" {
			d.Text += " " + wd["optedout"]
		}
	default:
		d.Heading, d.Text = wd[state], wd[state+".text"]
		if state == "busy" {
			d.Heading, d.Text = wd["title"], wd["busy"]
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := pageTmpl.Execute(w, d); err != nil {
		s.opt.Logger.Warn("survey page", "err", err)
	}
}
