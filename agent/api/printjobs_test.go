package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/printer/sim"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// printAPI is the print-job routes over a real device manager, spool and
// staff list on a data file, with a simulated label printer.
type printAPI struct {
	t     *testing.T
	srv   *httptest.Server
	token string
	m     *peripherals.Manager
	sim   *sim.Sim
}

func newPrintAPI(t *testing.T) *printAPI {
	t.Helper()
	ps, err := sim.Start("127.0.0.1:0", "tspl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ps.Close() })
	file, err := datafile.Open(filepath.Join(t.TempDir(), "data"), datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	cfg := peripherals.Config{Printers: []printer.Config{{Name: "shelf", Driver: "tspl", Address: ps.URL(), StatusTimeoutMS: 300}}, LabelPrinter: "shelf"}
	m, err := peripherals.Start(context.Background(), cfg, file.PrintSpool(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	people, err := staff.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := people.Add("c01", "张三", staff.RoleClerk, "1234"); err != nil {
		t.Fatal(err)
	}
	sessions := staff.NewSessions(people)
	token, _, err := sessions.Login("c01", "1234")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer((&Server{Sessions: sessions, Devices: m, Printing: m}).Handler())
	t.Cleanup(srv.Close)
	return &printAPI{t: t, srv: srv, token: token, m: m, sim: ps}
}

func (p *printAPI) do(method, path, token string, out any) int {
	p.t.Helper()
	req, _ := http.NewRequest(method, p.srv.URL+path, nil)
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			p.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type jobsBody struct {
	Jobs []peripherals.PrintJob `json:"jobs"`
	Job  peripherals.PrintJob   `json:"job"`
	Err  struct {
		Code   string         `json:"code"`
		Params map[string]any `json:"params"`
	} `json:"error"`
}

// TestPrintJobRoutes: a label that cannot be drawn is listed as a problem
// with its actions; printing it without its barcode replaces it and the
// printer gets it once; wrong actions and unknown jobs answer with codes.
func TestPrintJobRoutes(t *testing.T) {
	p := newPrintAPI(t)
	var b jobsBody
	if code := p.do("GET", "/api/v1/print-jobs?problems=1", "", nil); code != http.StatusUnauthorized {
		t.Fatalf("without a session: %d", code)
	}
	if code := p.do("GET", "/api/v1/print-jobs?problems=1", p.token, &b); code != 200 || len(b.Jobs) != 0 {
		t.Fatalf("no problems yet: %d %+v", code, b)
	}
	id, _ := p.m.ShelfLabel(lifecycle.Parcel{Waybill: "快递123", PickupCode: "3-2-0007", PhoneMasked: "138****5678", InboundAt: time.Now()})
	if id == 0 {
		t.Fatal("no failed job recorded")
	}
	b = jobsBody{}
	if code := p.do("GET", "/api/v1/print-jobs?problems=1", p.token, &b); code != 200 || len(b.Jobs) != 1 ||
		b.Jobs[0].ID != id || b.Jobs[0].Problem != peripherals.ProblemRenderFailed || len(b.Jobs[0].Actions) != 3 || b.Jobs[0].LastError == "" {
		t.Fatalf("problems: %d %+v", code, b)
	}
	path := "/api/v1/print-jobs/" + itoa(id)
	for _, tc := range []struct {
		path, code string
		status     int
	}{
		{path + "/confirm", "print.wrong_state", http.StatusConflict},
		{path + "/burn", "print.unknown_action", http.StatusBadRequest},
		{path + "/retry", "print.render_failed", http.StatusConflict},
		{"/api/v1/print-jobs/999/cancel", "print.job_not_found", http.StatusNotFound},
		{"/api/v1/print-jobs/x/cancel", "print.job_not_found", http.StatusNotFound},
	} {
		b = jobsBody{}
		if code := p.do("POST", tc.path, p.token, &b); code != tc.status || b.Err.Code != tc.code {
			t.Errorf("POST %s = %d %s, want %d %s", tc.path, code, b.Err.Code, tc.status, tc.code)
		}
	}
	b = jobsBody{}
	if code := p.do("GET", "/api/v1/print-jobs?problems=yes", p.token, &b); code != http.StatusBadRequest || b.Err.Code != "request.bad_flag" {
		t.Errorf("problems=yes: %d %s", code, b.Err.Code)
	}
	b = jobsBody{}
	if code := p.do("POST", path+"/without_barcode", p.token, &b); code != 200 || b.Job.ReprintOf != id || b.Job.ID == id || b.Job.ResolvedBy != "c01" {
		t.Fatalf("without barcode: %d %+v", code, b)
	}
	replacement := b.Job.ID
	deadline := time.Now().Add(10 * time.Second)
	for p.sim.Count([]byte("3-2-0007")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the label without barcode never printed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := len(p.sim.Jobs()); n != 1 || bytes.Contains(p.sim.Jobs()[0].Data, []byte("BARCODE")) {
		t.Fatalf("printer got %d jobs, want one without a barcode", n)
	}
	b = jobsBody{}
	if code := p.do("GET", "/api/v1/print-jobs/"+itoa(id), p.token, &b); code != 200 || b.Job.State != "superseded" {
		t.Fatalf("the failed job after its replacement: %d %+v", code, b.Job)
	}
	for {
		b = jobsBody{}
		p.do("GET", "/api/v1/print-jobs", p.token, &b)
		if len(b.Jobs) == 2 && b.Jobs[1].ID == replacement && b.Jobs[1].State == "printed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("all jobs: %+v", b.Jobs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b = jobsBody{}
	if code := p.do("GET", "/api/v1/print-jobs?problems=1", p.token, &b); code != 200 || len(b.Jobs) != 0 {
		t.Fatalf("problems left: %+v", b.Jobs)
	}
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
