package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"

	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/agent/workflow"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// workflowRoutes mounts the counter workflow API (docs/AGENT-API.md). Every
// route needs a logged-in staff member.
func (s *Server) workflowRoutes(mux *http.ServeMux) {
	s.Sessions.Routes(mux)
	s.Sessions.AdminRoutes(mux)
	h := func(pattern string, f func(w http.ResponseWriter, r *http.Request, a workflow.Actor)) {
		// The gate has looked the session up and put its staff member in
		// the context; a token never reaches these routes.
		mux.Handle(pattern, staff.RequireRole(staff.RoleClerk, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, _ := staff.FromContext(r.Context())
			if s.Workflow == nil {
				writeErr(w, problem.New(problem.AgentNoKey))
				return
			}
			f(w, r, workflow.Actor{ID: st.ID, Name: st.Name, Role: st.Role})
		})))
	}
	h("POST /api/v1/parcels/inbound", s.postInbound)
	h("GET /api/v1/parcels", s.getParcels)
	h("GET /api/v1/parcels/find", s.findParcels)
	h("POST /api/v1/parcels/{waybill}/shelve", s.postShelve)
	h("POST /api/v1/parcels/{waybill}/notify", s.postNotify)
	h("POST /api/v1/parcels/{waybill}/pickup", s.postPickup)
	h("POST /api/v1/parcels/{waybill}/refuse", s.postRefuse)
	h("POST /api/v1/parcels/{waybill}/return", s.postReturn)
	h("POST /api/v1/exceptions", s.postException)
	h("GET /api/v1/exceptions", s.getExceptions)
	h("GET /api/v1/exceptions/{id}", s.getException)
	h("POST /api/v1/exceptions/{id}/steps", s.postExceptionStep)
	h("GET /api/v1/photos/{sha}", s.getPhoto)
	h("POST /api/v1/incidents", s.postIncident)
	h("GET /api/v1/incidents", s.getIncidents)
	h("GET /api/v1/incidents/{id}", s.getIncident)
	h("POST /api/v1/incidents/{id}/steps", s.postIncidentStep)
	h("POST /api/v1/complaints", s.postComplaint)
	h("GET /api/v1/complaints", s.getComplaints)
	h("GET /api/v1/complaints/{id}", s.getComplaint)
	h("POST /api/v1/complaints/{id}/steps", s.postComplaintStep)
	h("GET /api/v1/reply-templates", s.getTemplates)
	h("GET /api/v1/notices", s.getNotices)
	h("POST /api/v1/notices/{id}/ack", s.postNoticeAck)
	h("GET /api/v1/personal/{kind}/{id}", s.getPersonal)
	h("GET /api/v1/manifests", s.getManifests)
	h("GET /api/v1/manifests/{id}", s.getManifest)
	h("POST /api/v1/handovers", s.postHandover)
	h("GET /api/v1/handovers", s.getHandovers)
	h("GET /api/v1/handovers/{id}", s.getHandover)
	h("POST /api/v1/handovers/{id}/scans", s.postHandoverScan)
	h("POST /api/v1/handovers/{id}/close", s.postHandoverClose)
	h("POST /api/v1/dispatches", s.postDispatch)
	h("GET /api/v1/dispatches", s.getDispatches)
	h("GET /api/v1/dispatches/open", s.getOpenAtDayEnd)
	h("GET /api/v1/dispatches/{id}", s.getDispatch)
	h("POST /api/v1/parcels/{waybill}/undelivered", s.postUndelivered)
	h("POST /api/v1/parcels/{waybill}/delivered", s.postDelivered)
	h("GET /api/v1/sending/catalog", s.getSendingCatalog)
	h("POST /api/v1/sending/quote", s.postQuote)
	h("POST /api/v1/shipments", s.postShipment)
	h("GET /api/v1/shipments", s.getShipments)
	h("GET /api/v1/shipments/{number}", s.getShipment)
	h("POST /api/v1/customer-class", s.postCustomerClass)
	h("GET /api/v1/forecast", s.getForecast)
}

// getForecast answers head office's newest forecast of this outlet, kept
// from the downlink ({"forecast": null} until one arrived), so the
// counter shows it offline too.
func (s *Server) getForecast(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	f, ok, err := s.Workflow.Forecast()
	if err != nil {
		s.fail(w, err)
		return
	}
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"forecast": nil})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"forecast": f})
}

// postCustomerClass answers head office's class of the customer at the
// desk, by phone or waybill: POST, so the phone is in no address or log.
func (s *Server) postCustomerClass(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	var req workflow.ClassReq
	if !decode(w, r, 4<<10, &req) {
		return
	}
	class, err := s.Workflow.CustomerClass(req)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"class": class})
}

// getSendingCatalog gives the counter what it needs to take a parcel in:
// the tariff and checklist in force, packaging advice, numbers left.
func (s *Server) getSendingCatalog(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	out := map[string]any{"packaging": workflow.PackagingAdvice, "id_types": lifecycle.IDTypes}
	if t, err := s.Workflow.Tariff(); err == nil {
		out["tariff"] = t
	}
	if l, err := s.Workflow.Prohibited(); err == nil {
		out["prohibited"] = l
	}
	if st, err := s.Workflow.Waybills(); err == nil {
		out["waybills"] = map[string]any{"remaining": st.Remaining, "next": st.Next}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) postQuote(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	var req workflow.SendReq
	if !decode(w, r, 16<<10, &req) {
		return
	}
	q, version, grams, from, err := s.Workflow.Quote(r.Context(), req)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"quote": q, "tariff_version": version, "weight_grams": grams, "weight_from": from})
}

func (s *Server) postShipment(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req workflow.SendReq
	if !decode(w, r, 16<<10, &req) {
		return
	}
	sh, job, err := s.Workflow.Send(r.Context(), a, req)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"shipment": sh, "label_job": job})
}

func (s *Server) getShipments(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	ss, err := s.Workflow.Shipments(limit(r, 100))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"shipments": nonNil(ss)})
}

func (s *Server) getShipment(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	sh, err := s.Workflow.Shipment(r.PathValue("number"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"shipment": sh})
}

func (s *Server) postDispatch(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req workflow.DispatchReq
	if !decode(w, r, workflow.MaxHandoverSignatureBytes+64<<10, &req) {
		return
	}
	b, err := s.Workflow.Dispatch(r.Context(), a, req)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"batch": b})
}

func (s *Server) getDispatches(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	bs, err := s.Workflow.Batches(limit(r, 100))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"batches": nonNil(bs)})
}

func (s *Server) getDispatch(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	b, err := s.Workflow.Batch(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"batch": b})
}

func (s *Server) getOpenAtDayEnd(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	ws, err := s.Workflow.OpenAtDayEnd()
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"open": nonNil(ws)})
}

func (s *Server) postUndelivered(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req workflow.ReturnReq
	if !decode(w, r, 4<<10, &req) {
		return
	}
	p, err := s.Workflow.ReturnUndelivered(r.Context(), a, r.PathValue("waybill"), req)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcel": p})
}

func (s *Server) postDelivered(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req struct {
		Proof workflow.SignatureReq `json:"proof"`
	}
	if !decode(w, r, workflow.MaxHandoverSignatureBytes+4<<10, &req) {
		return
	}
	p, err := s.Workflow.Delivered(r.Context(), a, r.PathValue("waybill"), req.Proof)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcel": p})
}

func (s *Server) getManifests(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	ms, err := s.Workflow.Manifests(limit(r, 200))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"manifests": nonNil(ms)})
}

func (s *Server) getManifest(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	m, err := s.Workflow.Manifest(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"manifest": m})
}

func (s *Server) postHandover(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req struct {
		Courier   string   `json:"courier"`
		Manifests []string `json:"manifests"`
	}
	if !decode(w, r, 16<<10, &req) {
		return
	}
	h, err := s.Workflow.OpenHandover(r.Context(), a, req.Courier, req.Manifests)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"handover": h})
}

func (s *Server) getHandovers(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	hs, err := s.Workflow.Handovers(limit(r, 100))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"handovers": nonNil(hs)})
}

func (s *Server) getHandover(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	h, err := s.Workflow.Handover(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"handover": h, "exceptions": nonNil(h.Exceptions())})
}

func (s *Server) postHandoverScan(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req struct {
		Barcode string `json:"barcode"`
	}
	if !decode(w, r, 4<<10, &req) {
		return
	}
	h, err := s.Workflow.HandoverScan(r.Context(), a, r.PathValue("id"), req.Barcode)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"handover": h})
}

func (s *Server) postHandoverClose(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req struct {
		Courier workflow.SignatureReq `json:"courier"`
		Clerk   workflow.SignatureReq `json:"clerk"`
	}
	if !decode(w, r, 2*workflow.MaxHandoverSignatureBytes+8<<10, &req) {
		return
	}
	h, err := s.Workflow.CloseHandover(r.Context(), a, r.PathValue("id"), req.Courier, req.Clerk)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"handover": h, "exceptions": nonNil(h.Exceptions())})
}

// decode reads a JSON body of at most limit bytes into v by the one rule
// (problem.Decode: unknown fields are refused), answering the error if not.
func decode(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	if err := problem.Decode(r.Body, limit, v); err != nil {
		writeErr(w, err)
		return false
	}
	return true
}

// fail answers a workflow error. Catalog errors carry their status (a
// refused step also its state and allowed steps); anything else is a
// failure to read or write the log: logged, and 503 agent.not_saved.
func (s *Server) fail(w http.ResponseWriter, err error) {
	if problem.As(err) == nil {
		s.Logger.Error("workflow step not saved", "err", err)
		err = problem.Wrap(err, problem.AgentNotSaved)
	}
	writeErr(w, err)
}

func (s *Server) postInbound(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req workflow.InboundReq
	if !decode(w, r, 8<<10, &req) {
		return
	}
	p, job, err := s.Workflow.Inbound(r.Context(), a, req)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"parcel": p, "label_job": job})
}

func (s *Server) postShelve(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req struct{ Shelf, Layer string }
	if !decode(w, r, 4<<10, &req) {
		return
	}
	p, job, err := s.Workflow.Shelve(r.Context(), a, r.PathValue("waybill"), req.Shelf, req.Layer)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcel": p, "label_job": job})
}

func (s *Server) postNotify(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	p, err := s.Workflow.Notify(r.Context(), a, r.PathValue("waybill"), "manual")
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcel": p})
}

func (s *Server) getParcels(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	ps, err := s.Workflow.Parcels(r.URL.Query().Get("status"), limit(r, 200))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcels": nonNil(ps)})
}

func (s *Server) findParcels(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	q := r.URL.Query()
	if q.Get("code") == "" && q.Get("waybill") == "" && q.Get("phone_last4") == "" {
		writeErr(w, problem.New(problem.ParcelFindQuery))
		return
	}
	ps, err := s.Workflow.Find(strings.TrimSpace(q.Get("code")), strings.TrimSpace(q.Get("waybill")), strings.TrimSpace(q.Get("phone_last4")))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcels": nonNil(ps)})
}

func (s *Server) postPickup(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req workflow.PickupReq
	if !decode(w, r, workflow.MaxSignatureBytes+8<<10, &req) {
		return
	}
	p, err := s.Workflow.Pickup(r.Context(), a, r.PathValue("waybill"), req)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcel": p})
}

func (s *Server) postRefuse(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req struct{ Reason string }
	if !decode(w, r, 4<<10, &req) {
		return
	}
	p, err := s.Workflow.Refuse(r.Context(), a, r.PathValue("waybill"), req.Reason)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcel": p})
}

func (s *Server) postReturn(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req struct{ Reason string }
	if !decode(w, r, 4<<10, &req) {
		return
	}
	p, err := s.Workflow.Return(r.Context(), a, r.PathValue("waybill"), req.Reason)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"parcel": p})
}

func (s *Server) postException(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req struct {
		workflow.ReportReq
		Photos []string `json:"photos"` // base64, optionally as data: URLs
	}
	if !decode(w, r, 12<<20, &req) {
		return
	}
	var ok bool
	if req.ReportReq.Photos, ok = decodePhotos(w, req.Photos); !ok {
		return
	}
	x, err := s.Workflow.ReportException(r.Context(), a, req.ReportReq)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"exception": s.exceptionView(x)})
}

// exceptionView is an exception with the steps the outlet may take and its
// handling deadline beside its fields, as head office's list has them.
type exceptionView struct {
	lifecycle.Exception
	lifecycle.ExceptionDeadline
	Allowed []string `json:"allowed"`
}

func (s *Server) exceptionView(x lifecycle.Exception) exceptionView {
	return exceptionView{Exception: x, ExceptionDeadline: s.Workflow.ExceptionDeadline(x), Allowed: nonNil(x.Allowed(s.Events.Outlet()))}
}

func (s *Server) getExceptions(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	xs, err := s.Workflow.Exceptions(r.URL.Query().Get("open") != "", limit(r, 200))
	if err != nil {
		s.fail(w, err)
		return
	}
	out := make([]exceptionView, 0, len(xs))
	for _, x := range xs {
		out = append(out, s.exceptionView(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"exceptions": out})
}

func (s *Server) getException(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	x, err := s.Workflow.Exception(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	evs, _ := s.Workflow.History(lifecycle.KindException, x.ID)
	writeJSON(w, http.StatusOK, map[string]any{"exception": s.exceptionView(x), "events": evs})
}

func (s *Server) postExceptionStep(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req lifecycle.ExceptionStepV1
	if !decode(w, r, 8<<10, &req) {
		return
	}
	x, err := s.Workflow.ExceptionStep(r.Context(), a, r.PathValue("id"), req)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"exception": s.exceptionView(x)})
}

// decodePhotos reads photos sent as base64, optionally as data: URLs.
func decodePhotos(w http.ResponseWriter, photos []string) ([][]byte, bool) {
	var out [][]byte
	for i, p := range photos {
		if _, data, ok := strings.Cut(p, ";base64,"); ok {
			p = data
		}
		b, err := base64.StdEncoding.DecodeString(p)
		if err != nil {
			writeErr(w, problem.Wrap(err, problem.PhotoNotBase64, "n", i+1))
			return nil, false
		}
		out = append(out, b)
	}
	return out, true
}

func (s *Server) postIncident(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req struct {
		workflow.IncidentReq
		Photos []string `json:"photos"` // base64 JPEG, optionally as data: URLs
	}
	// Four photos of at most 300 KiB, as base64, and the text.
	if !decode(w, r, 2<<20, &req) {
		return
	}
	var ok bool
	if req.IncidentReq.Photos, ok = decodePhotos(w, req.Photos); !ok {
		return
	}
	x, err := s.Workflow.ReportIncident(r.Context(), a, req.IncidentReq)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"incident": x})
}

func (s *Server) getIncidents(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	xs, err := s.Workflow.Incidents(r.URL.Query().Get("open") != "", limit(r, 200))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incidents": xs})
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	x, err := s.Workflow.Incident(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": x})
}

func (s *Server) postIncidentStep(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req lifecycle.IncidentStepV1
	if !decode(w, r, 8<<10, &req) {
		return
	}
	x, err := s.Workflow.IncidentStep(r.Context(), a, r.PathValue("id"), req)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"incident": x})
}

func (s *Server) getPhoto(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	b, err := s.Workflow.Photo(r.PathValue("sha"))
	if err != nil {
		s.fail(w, err)
		return
	}
	w.Header().Set("Content-Type", http.DetectContentType(b))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

func (s *Server) postComplaint(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req workflow.ComplaintReq
	if !decode(w, r, 16<<10, &req) {
		return
	}
	c, job, err := s.Workflow.NewComplaint(r.Context(), a, req)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"complaint": c, "receipt_job": job})
}

func (s *Server) getComplaints(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	cs, err := s.Workflow.Complaints(r.URL.Query().Get("open") != "", limit(r, 200))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"complaints": cs})
}

func (s *Server) getComplaint(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	c, err := s.Workflow.Complaint(r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	evs, _ := s.Workflow.History(lifecycle.KindComplaint, c.ID)
	writeJSON(w, http.StatusOK, map[string]any{"complaint": c, "events": evs})
}

func (s *Server) postComplaintStep(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	var req lifecycle.ComplaintStepV1
	if !decode(w, r, 8<<10, &req) {
		return
	}
	c, err := s.Workflow.ComplaintStep(r.Context(), a, r.PathValue("id"), req)
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"complaint": c})
}

func (s *Server) getTemplates(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	ts, err := s.Workflow.ReplyTemplates(r.URL.Query().Get("category"), r.URL.Query().Get("q"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": nonNil(ts)})
}

func (s *Server) getNotices(w http.ResponseWriter, r *http.Request, _ workflow.Actor) {
	q := r.URL.Query()
	var ns []lifecycle.Notice
	var err error
	if q.Get("current") != "" {
		// What the counter shows: in force, or ended recently with the
		// recovery text.
		ns, err = s.Workflow.CurrentNotices()
	} else {
		ns, err = s.Workflow.Notices(q.Get("active") != "")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	eff, err := s.Workflow.Effects()
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": nonNil(ns), "effects": eff})
}

func (s *Server) postNoticeAck(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	n, err := s.Workflow.AckNotice(r.Context(), a, r.PathValue("id"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notice": n})
}

func (s *Server) getPersonal(w http.ResponseWriter, r *http.Request, a workflow.Actor) {
	v, err := s.Workflow.Reveal(r.Context(), a, r.PathValue("kind"), r.PathValue("id"), r.URL.Query().Get("field"))
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func limit(r *http.Request, def int) int {
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 && n <= 5000 {
		return n
	}
	return def
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
