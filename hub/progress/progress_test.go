package progress

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

func TestNormalizeTicket(t *testing.T) {
	for in, want := range map[string]string{" t260701-sh-001-abcdef ": "t260701-sh-001-abcdef", "T260701 - SH-001 - ABCDEF": "T260701-SH-001-ABCDEF",
		strings.Repeat("x", 100): strings.Repeat("x", maxTicket)} {
		if got := NormalizeTicket(in); got != want {
			t.Errorf("NormalizeTicket(%q) = %q, want %q", in, got, want)
		}
	}
	// The longest outlet id still makes a ticket that is looked up.
	long := lifecycle.ComplaintTicket(0, strings.Repeat("A", 64), "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f9a0c")
	if q, ok := ticketQuery(NormalizeTicket(long)); !ok || q.Outlets[0] != strings.Repeat("A", 64) {
		t.Errorf("a ticket of a 64-character outlet: %+v %v", q, ok)
	}
	// Any case: the outlet as typed, upper and lower; one budget.
	q, ok := ticketQuery(NormalizeTicket(" t260701-Sh-001-abcdef"))
	if !ok || strings.Join(q.Outlets, " ") != "Sh-001 SH-001 sh-001" || q.IDSuffix != "abcdef" {
		t.Errorf("a ticket typed in mixed case: %+v %v", q, ok)
	}
	if ticketKey("t260701-sh-001-abcdef") != ticketKey("T260701-SH-001-ABCDEF") {
		t.Error("two spellings of one ticket count apart")
	}
	if _, ok := ticketQuery("T260701-SH-001-ABCDEFG"); ok {
		t.Error("no ticket taken")
	}
}

func TestLastFour(t *testing.T) {
	for in, want := range map[string]string{"138****5678": "5678", "****5678": "5678", "******": "", "": "", "12": "", "1380000567*": ""} {
		if got := lastFour(in); got != want {
			t.Errorf("lastFour(%q) = %q, want %q", in, got, want)
		}
	}
}

// The Content-Security-Policy allows the page's inline stylesheet by its
// hash, and every complaint state has the customer's words in both
// languages.
func TestPageStyleHashAndWords(t *testing.T) {
	s, err := New(Options{Complaints: nil})
	if err == nil || s != nil {
		t.Fatal("New took no Complaints")
	}
	rec := httptest.NewRecorder()
	(&Service{opt: Options{Location: time.UTC}}).ServeHTTP(rec, httptest.NewRequest("GET", "/p?lang=en&t=T260701-SH-001-ABCDEF", nil))
	m := regexp.MustCompile(`(?s)<style>(.*)</style>`).FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || m == nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	sum := sha256.Sum256([]byte(m[1]))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; !strings.Contains(rec.Header().Get("Content-Security-Policy"), want) {
		t.Errorf("CSP %q does not allow the page's style (%s)", rec.Header().Get("Content-Security-Policy"), want)
	}
	for _, st := range []string{lifecycle.ComplaintStateReceived, lifecycle.ComplaintStateAcknowledged, lifecycle.ComplaintStateInvestigating,
		lifecycle.ComplaintStateResponsibilityDecided, lifecycle.ComplaintStateSolutionProposed, lifecycle.ComplaintStateCustomerAgreed,
		lifecycle.ComplaintStateCarriedOut, lifecycle.ComplaintStateFollowedUp, lifecycle.ComplaintStateClosed} {
		if w, ok := stages[st]; !ok || w[0] == "" || w[1] == "" {
			t.Errorf("no customer words for %s", st)
		}
	}
	for k := range words["zh"] {
		if words["en"][k] == "" {
			t.Errorf("no English for %s", k)
		}
	}
}
