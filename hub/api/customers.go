package api

import (
	"context"
	"net/http"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/hub/customers"
	"github.com/yizhan/yizhan/hub/store"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// Head office's customers (hub/customers):
//
//	GET  /api/v1/customers                  a list: ?phone= (the hub hashes it; 0 or 1 row),
//	                                        ?class=, ?outlet=; masked contact only
//	GET  /api/v1/customers/{id}             the profile with its outlets, parcels and cases
//	POST /api/v1/customers/{id}/reveal      the contact in clear, audited customer.revealed
//	PUT  /api/v1/customers/{id}/enterprise  {"name"}: the enterprise account it sends for
//	PUT  /api/v1/customers/{id}/lang        {"lang"}: zh or en, the language of its messages
//	GET  /api/v1/customers/{id}/statement   ?month=YYYY-MM&format=csv: a month's shipments and fees
//	GET  /api/v1/customers/classes          customers per class
//	GET  /api/v1/customers/classes/moves    ?since=YYYY-MM: from-class × to-class counts
//	GET/PUT /api/v1/customers/classes/settings  the RFM window and thresholds
//
// A phone searched for is in no log, no audit row and no store: the
// audit row of a search names the customer found, or nobody.

func (a *api) customerRoutes(mux *http.ServeMux) {
	a.handle(mux, "GET /api/v1/customers", a.customers)
	a.handle(mux, "GET /api/v1/customers/{id}", a.customer)
	a.handle(mux, "POST /api/v1/customers/{id}/reveal", a.revealCustomer)
	a.handle(mux, "PUT /api/v1/customers/{id}/enterprise", a.setEnterprise)
	a.handle(mux, "PUT /api/v1/customers/{id}/lang", a.setLang)
	a.handle(mux, "GET /api/v1/customers/{id}/statement", a.statement)
	a.handle(mux, "GET /api/v1/customers/classes", a.classCounts)
	a.handle(mux, "GET /api/v1/customers/classes/moves", a.classMoves)
	a.handle(mux, "GET /api/v1/customers/classes/settings", a.classSettings)
	a.handle(mux, "PUT /api/v1/customers/classes/settings", a.setClassSettings)
}

// customerJSON is a profile as every view but reveal shows it.
type customerJSON struct {
	ID               string   `json:"id"`
	Class            string   `json:"class"`
	FirstSeen        string   `json:"first_seen"`
	LastSeen         string   `json:"last_seen"`
	Received         int64    `json:"received"`
	Sent             int64    `json:"sent"`
	FeesFen          int64    `json:"fees_fen"`
	Complaints       int64    `json:"complaints"`
	ComplaintsOpen   int64    `json:"complaints_open"`
	SatisfactionAvg  *float64 `json:"satisfaction_avg"`
	SatisfactionLast *int64   `json:"satisfaction_last"`
	Exceptions       int64    `json:"exceptions"`
	ExceptionsOpen   int64    `json:"exceptions_open"`
	PhoneMasked      string   `json:"phone_masked"`
	NameMasked       string   `json:"name_masked"`
	ContactOutlet    string   `json:"contact_outlet"`
	HasContact       bool     `json:"has_contact"`
	Enterprise       string   `json:"enterprise"`
	Lang             string   `json:"lang"`
	WindowParcels    int64    `json:"window_parcels"`
	WindowFeesFen    int64    `json:"window_fees_fen"`
}

// at is a profile's time for people, "" for never.
func at(ms int64) string {
	if ms == 0 {
		return ""
	}
	return rfc3339(ms)
}

func asCustomerJSON(c store.Customer) customerJSON {
	j := customerJSON{ID: c.ID, Class: c.Class, FirstSeen: at(c.FirstSeen), LastSeen: at(c.LastSeen),
		Received: c.Received, Sent: c.Sent, FeesFen: c.FeesFen, Complaints: c.Complaints, ComplaintsOpen: c.ComplaintsOpen,
		Exceptions: c.Exceptions, ExceptionsOpen: c.ExceptionsOpen, PhoneMasked: c.Contact.PhoneMasked, NameMasked: c.Contact.NameMasked,
		ContactOutlet: c.Contact.Outlet, HasContact: c.Contact.PhoneSealed != "", Enterprise: c.Enterprise, Lang: c.Lang,
		WindowParcels: c.WindowParcels, WindowFeesFen: c.WindowFees}
	if c.SatisfactionN > 0 {
		avg := float64(c.SatisfactionSum) / float64(c.SatisfactionN)
		j.SatisfactionAvg = &avg
		last := c.LastSatisfaction
		j.SatisfactionLast = &last
	}
	return j
}

var customerList = listSpec{Name: "customers", Columns: []column{
	{"id", "客户编号", "Customer"}, {"class", "客户分级", "Class"}, {"phone_masked", "手机号", "Phone"}, {"name_masked", "姓名", "Name"},
	{"enterprise", "企业账户", "Enterprise"}, {"first_seen", "首次", "First seen"}, {"last_seen", "最近", "Last seen"},
	{"received", "取件数", "Parcels received"}, {"sent", "寄件数", "Parcels sent"}, {"fees_fen", "寄件费(分)", "Fees (fen)"},
	{"complaints", "投诉", "Complaints"}, {"complaints_open", "未结投诉", "Open complaints"}, {"satisfaction_avg", "平均满意度", "Average satisfaction"},
	{"exceptions", "异常件", "Exceptions"}, {"window_parcels", "窗口内件数", "Parcels in window"}, {"window_fees_fen", "窗口内费用(分)", "Fees in window (fen)"},
}}

func (a *api) customers(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, append([]string{"phone", "class", fOutlet}, listParams...)...) {
		return
	}
	q := r.URL.Query()
	class, outlet := q.Get("class"), q.Get(fOutlet)
	if err := customers.CheckClass(class); err != nil {
		writeErr(w, err)
		return
	}
	if outlet != "" {
		if _, err := a.opt.Store.Outlet(r.Context(), outlet); err != nil {
			a.fail(w, r, outletErr(err, outlet))
			return
		}
	}
	svc := a.opt.Customers
	if number := q.Get("phone"); number != "" {
		id, err := svc.IDOf(number)
		if err != nil {
			writeErr(w, err)
			return
		}
		var found []customerJSON
		p, err := svc.Profile(r.Context(), id)
		switch {
		case err == nil && (class == "" || p.Class == class) && (outlet == "" || usedOutlet(p.Outlets, outlet)):
			found = []customerJSON{asCustomerJSON(p.Customer)}
		case err != nil && !problem.Is(err, problem.CustomerNotFound):
			a.fail(w, r, err)
			return
		}
		subject := ""
		if len(found) > 0 {
			subject = id
		}
		if c, ok := accounts.FromContext(r.Context()); ok {
			a.audit(r, c, "customer.searched", subject, "")
		}
		serveList(a, w, r, customerList, func(_ context.Context, after *string, _ int) ([]customerJSON, []string, error) {
			if after != nil || len(found) == 0 {
				return nil, nil, nil
			}
			return found, []string{found[0].ID}, nil
		})
		return
	}
	serveList(a, w, r, customerList, func(ctx context.Context, after *string, limit int) ([]customerJSON, []string, error) {
		f := store.CustomerQuery{Class: class, Outlet: outlet, Limit: limit}
		if after != nil {
			f.After = *after
		}
		cs, err := svc.List(ctx, f)
		if err != nil {
			return nil, nil, err
		}
		rows, keys := make([]customerJSON, len(cs)), make([]string, len(cs))
		for i, c := range cs {
			rows[i], keys[i] = asCustomerJSON(c), c.ID
		}
		return rows, keys, nil
	})
}

func usedOutlet(os []store.CustomerOutlet, outlet string) bool {
	for _, o := range os {
		if o.Outlet == outlet {
			return true
		}
	}
	return false
}

type customerOutletJSON struct {
	Outlet   string `json:"outlet"`
	Parcels  int64  `json:"parcels"`
	LastSeen string `json:"last_seen"`
}

type customerParcelJSON struct {
	Kind    string `json:"kind"`
	Outlet  string `json:"outlet"`
	Waybill string `json:"waybill"`
	At      string `json:"at"`
	FeesFen int64  `json:"fees_fen"`
}

type customerCaseJSON struct {
	Kind         string `json:"kind"`
	ID           string `json:"id"`
	Open         bool   `json:"open"`
	Satisfaction *int64 `json:"satisfaction"`
}

func (a *api) customer(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r) {
		return
	}
	p, err := a.opt.Customers.Profile(r.Context(), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	outlets := make([]customerOutletJSON, len(p.Outlets))
	for i, o := range p.Outlets {
		outlets[i] = customerOutletJSON{Outlet: o.Outlet, Parcels: o.N, LastSeen: at(o.LastSeen)}
	}
	parcels := make([]customerParcelJSON, len(p.Parcels))
	for i, x := range p.Parcels {
		parcels[i] = customerParcelJSON{Kind: x.Kind, Outlet: x.Outlet, Waybill: x.Waybill, At: at(x.At), FeesFen: x.Fees}
	}
	cases := make([]customerCaseJSON, len(p.Cases))
	for i, c := range p.Cases {
		cases[i] = customerCaseJSON{Kind: c.Kind, ID: c.ID, Open: c.Open}
		if c.Satisfaction > 0 {
			s := c.Satisfaction
			cases[i].Satisfaction = &s
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer": asCustomerJSON(p.Customer), "outlets": outlets, "parcels": parcels, "cases": cases})
}

func (a *api) revealCustomer(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	k, err := a.opt.Customers.Reveal(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	// Audited before it is answered: a reveal the trail cannot record is
	// not shown.
	if c, ok := accounts.FromContext(r.Context()); ok && a.opt.Accounts != nil {
		if err := a.opt.Accounts.Audit(r.Context(), c, "customer.revealed", id, "outlet="+k.Outlet, accounts.ClientAddr(r)); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, k)
}

func (a *api) setEnterprise(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name string `json:"name"`
	}
	a.setCustomer(w, r, &body, func(ctx context.Context, id string) error { return a.opt.Customers.SetEnterprise(ctx, id, body.Name) })
}

func (a *api) setLang(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Lang string `json:"lang"`
	}
	a.setCustomer(w, r, &body, func(ctx context.Context, id string) error { return a.opt.Customers.SetLang(ctx, id, body.Lang) })
}

// setCustomer decodes body, then sets what it holds on the customer of the
// path with set and answers the profile.
func (a *api) setCustomer(w http.ResponseWriter, r *http.Request, body any, set func(ctx context.Context, id string) error) {
	if !decode(w, r, body) {
		return
	}
	if err := set(r.Context(), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	a.customer(w, r)
}

var statementCSV = listSpec{Name: "statement", Columns: []column{
	{"at", "收寄时间", "Accepted at"}, {"waybill", "运单号", "Waybill"}, {"outlet", "网点", "Outlet"}, {"fees_fen", "费用(分)", "Fees (fen)"},
}}

func (a *api) statement(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, "month", fFormat, fLang) {
		return
	}
	q := r.URL.Query()
	la, err := readListArgs(q)
	if err != nil {
		writeErr(w, err)
		return
	}
	st, err := a.opt.Customers.Statement(r.Context(), r.PathValue("id"), q.Get("month"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rows := make([]map[string]any, 0, len(st.Parcels)+1)
	for _, p := range st.Parcels {
		rows = append(rows, map[string]any{"at": at(p.At), "waybill": p.Waybill, "outlet": p.Outlet, "fees_fen": p.Fees})
	}
	if !la.csv {
		writeJSON(w, http.StatusOK, map[string]any{"customer": st.Customer, "enterprise": st.Enterprise, "month": st.Month,
			"parcels": rows, "count": st.Count, "fees_fen": st.FeesFen})
		return
	}
	total := "合计"
	if la.lang == "en" {
		total = "total"
	}
	rows = append(rows, map[string]any{"at": total, "waybill": st.Count, "fees_fen": st.FeesFen})
	writeCSV(a, w, r, statementCSV, la.lang, nil, func(_ context.Context, after *int, limit int) ([]map[string]any, []int, error) {
		from := 0
		if after != nil {
			from = *after + 1
		}
		to := min(from+limit, len(rows))
		keys := make([]int, to-from)
		for i := range keys {
			keys[i] = from + i
		}
		return rows[from:to], keys, nil
	})
}

func (a *api) classCounts(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r) {
		return
	}
	counts, total, err := a.opt.Customers.Counts(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"classes": store.Classes, "counts": counts, "total": total})
}

func (a *api) classMoves(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r, "since") {
		return
	}
	since := r.URL.Query().Get("since")
	if since == "" {
		since = a.now().AddDate(0, -1, 0).Format("2006-01")
	}
	m, err := a.opt.Customers.Moves(r.Context(), since)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"since": since, "from": append([]string{customers.NewCustomer}, store.Classes...), "to": store.Classes, "moves": m})
}

type classSettingsJSON struct {
	WindowDays int      `json:"window_days"`
	R          [4]int64 `json:"r_days"`
	F          [4]int64 `json:"f_parcels"`
	M          [4]int64 `json:"m_fen"`
}

func (a *api) classSettings(w http.ResponseWriter, r *http.Request) {
	if !onlyFilters(w, r) {
		return
	}
	c, err := a.opt.Customers.Settings(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, classSettingsJSON(c))
}

func (a *api) setClassSettings(w http.ResponseWriter, r *http.Request) {
	var body classSettingsJSON
	if !decode(w, r, &body) {
		return
	}
	n, err := a.opt.Customers.SetSettings(r.Context(), store.ClassSettings(body))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"settings": body, "reclassified": n})
}
