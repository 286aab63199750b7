package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/syncproto/problem"
)

// printerList is a device manager that lists its printer configs.
type printerList []printer.Config

func (printerList) Status() []devices.Status           { return nil }
func (printerList) Recent() []peripherals.Read         { return nil }
func (p printerList) PrinterConfigs() []printer.Config { return p }

func TestLabelPreview(t *testing.T) {
	cfgs := printerList{
		{Name: "counter", Driver: "escpos"},
		{Name: "shelf-1", Driver: "tspl"},
	}
	const shelf = "/api/v1/labels/preview?template=shelf&pickup_code=3-2-9903&phone=13812345678&waybill=SF1234567890123"
	tests := []struct {
		name    string
		devices Devices
		url     string
		code    int
		want    string // in the SVG, or in the error's message
		errCode string
	}{
		{"defaults", nil, shelf, http.StatusOK, "138****5678", ""},
		{"first label printer", cfgs, shelf, http.StatusOK, `viewBox="0 0 480 320"`, ""},
		{"receipt printer by name", cfgs, shelf + "&printer=counter", http.StatusOK, "取件码", ""},
		{"unknown printer", cfgs, shelf + "&printer=nope", http.StatusBadRequest, "没有这台打印机 nope / no printer named nope", "label.no_printer"},
		{"bad template", nil, "/api/v1/labels/preview?template=poster", http.StatusBadRequest, "未知的模板", "label.preview_invalid"},
		{"missing waybill", nil, "/api/v1/labels/preview?template=shelf&pickup_code=1-1-1", http.StatusBadRequest, "/ shelf label: pickup_code, waybill required", "label.preview_invalid"},
	}
	sessions, _, token := testStaff(t, nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := (&Server{Devices: tc.devices, Sessions: sessions}).Handler()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, localReq("GET", tc.url, "", token))
			body := rec.Body.String()
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.code, body)
			}
			if tc.code != http.StatusOK {
				var e problem.Body
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code != tc.errCode || !strings.Contains(e.Error.Message, tc.want) {
					t.Errorf("error %q, want it to contain %q", body, tc.want)
				}
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != "image/svg+xml" {
				t.Errorf("Content-Type %q", ct)
			}
			if !strings.Contains(body, tc.want) || strings.Contains(body, "13812345678") {
				t.Errorf("preview lacks %q or shows the full phone:\n%s", tc.want, body)
			}
		})
	}
}
