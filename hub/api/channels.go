package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/cases"
	"github.com/yizhan/yizhan/hub/channels"
	"github.com/yizhan/yizhan/hub/downlink"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Head office's own complaint channels (hub/channels):
//
//	POST /api/v1/channels/{channel}/messages  wechat, chat or callcenter, with a token of
//	                                 scope channels: {"message_id", "arrived_at" (RFC 3339,
//	                                 optional), "contact", "text", "waybill" (optional)};
//	                                 201 with the complaint made of it, 200 with the same
//	                                 complaint for a message id sent before
//	GET  /api/v1/channels/review     the channel complaints waiting for their first reply,
//	                                 each with its proposed reply (a list)
//	GET  /api/v1/channels/autosend   {"categories"}: replied to without review
//	PUT  /api/v1/channels/autosend   set them: {"categories": ["delay", …]}
//
// The mailbox is read by the hub itself ([channels.imap]), not through a
// route. A person answers a complaint of the review queue with the
// complaint's acknowledge step (POST /api/v1/complaints/{id}/steps), its
// note the reply as sent.
func (a *api) channelRoutes(mux *http.ServeMux) {
	a.handle(mux, accounts.ChannelMessages, a.channelMessage)
	a.handle(mux, "GET /api/v1/channels/review", a.channelReview)
	a.handle(mux, "GET /api/v1/channels/autosend", a.autoSend)
	a.handle(mux, "PUT /api/v1/channels/autosend", a.setAutoSend)
}

// maxChannelBody bounds a webhook message: the text limit and room for the
// rest, escaped.
const maxChannelBody = 6*channels.MaxText + 4096

type channelMessageReq struct {
	MessageID string `json:"message_id"`
	ArrivedAt string `json:"arrived_at"`
	Contact   string `json:"contact"`
	Text      string `json:"text"`
	Waybill   string `json:"waybill"`
}

func (a *api) channelMessage(w http.ResponseWriter, r *http.Request) {
	ch := r.PathValue("channel")
	if !slices.Contains(webhookChannels(), ch) {
		// The mailbox is read by the hub; a webhook cannot pose as it.
		writeErr(w, problem.New(problem.ChannelUnknown, "channel", ch, "allowed", webhookChannels()))
		return
	}
	var req channelMessageReq
	if err := problem.Decode(r.Body, maxChannelBody, &req); err != nil {
		writeErr(w, err)
		return
	}
	m := channels.Message{Channel: ch, ID: req.MessageID, Contact: req.Contact, Text: req.Text, Waybill: req.Waybill}
	if req.ArrivedAt != "" {
		ms, err := downlink.Millis(req.ArrivedAt, "arrived_at")
		if err != nil {
			writeErr(w, err)
			return
		}
		m.ArrivedAt = time.UnixMilli(ms)
	}
	res, err := a.opt.Channels.Receive(r.Context(), m)
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	a.answer(w, r, status, res, err)
}

func webhookChannels() []string {
	var out []string
	for _, n := range channels.Names {
		if n != lifecycle.ChannelEmail {
			out = append(out, n)
		}
	}
	return out
}

var reviewList = listSpec{Name: "channel_review", Columns: []column{
	{"id", "编号", "ID"}, {"ticket", "工单号", "Ticket"}, {"channel", "渠道", "Channel"}, {"outlet", "网点", "Outlet"},
	{"category", "类别", "Category"}, {"received_at", "受理时间", "Received at"}, {"due_at", "下一时限", "Due at"},
	{"reply_template", "建议模板", "Proposed template"}, {"reply_text", "建议答复", "Proposed reply"},
}}

func (a *api) channelReview(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, takes()...) {
		return
	}
	q := cases.Query{}
	serveList(a, w, r, reviewList, queuePager(a, q, func(ctx context.Context, q cases.Query) ([]cases.ComplaintView, []store.Case, error) {
		return a.opt.Channels.Review(ctx, q.CaseQuery)
	}, func(c cases.ComplaintView, qd queued) complaintItem { return complaintItem{c, qd} }))
}

type autoSendJSON struct {
	Categories []string `json:"categories"`
}

func (a *api) autoSend(w http.ResponseWriter, r *http.Request) {
	cats, err := a.opt.Channels.AutoSend(r.Context())
	a.answer(w, r, http.StatusOK, autoSendJSON{cats}, err)
}

func (a *api) setAutoSend(w http.ResponseWriter, r *http.Request) {
	var req autoSendJSON
	if !decode(w, r, &req) {
		return
	}
	cats, err := a.opt.Channels.SetAutoSend(r.Context(), req.Categories)
	a.answer(w, r, http.StatusOK, autoSendJSON{cats}, err)
}
