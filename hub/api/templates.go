package api

import (
	"net/http"

	"github.com/yizhan/yizhan/hub/notices"
)

// Reply templates beyond publishing one (cases.go):
//
//	PUT  /api/v1/reply-templates/{id}           edit: {"title","text","category","keywords"};
//	                                            the outlets take the new version on their next sync
//	POST /api/v1/reply-templates/{id}/withdraw  no longer offered for replies, anywhere
func (a *api) templateRoutes(mux *http.ServeMux) {
	a.handle(mux, "PUT /api/v1/reply-templates/{id}", a.updateTemplate)
	a.handle(mux, "POST /api/v1/reply-templates/{id}/withdraw", a.withdrawTemplate)
}

func (a *api) updateTemplate(w http.ResponseWriter, r *http.Request) {
	var req notices.TemplateReq
	if !decode(w, r, &req) {
		return
	}
	req.Actor = actor(r)
	t, err := a.opt.Notices.UpdateTemplate(r.Context(), r.PathValue("id"), req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (a *api) withdrawTemplate(w http.ResponseWriter, r *http.Request) {
	// The body is empty ({}): the caller is the actor.
	var req struct{}
	if !decode(w, r, &req) {
		return
	}
	t, err := a.opt.Notices.WithdrawTemplate(r.Context(), r.PathValue("id"), actor(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}
