package ui

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/yizhan/yizhan/hub/accounts"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// readVocab imports vocab.js with node and returns its VOCAB: each
// vocabulary's label prefix and codes.
func readVocab(t *testing.T) map[string][2]json.RawMessage {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("static", "vocab.js"))
	if err != nil {
		t.Fatal(err)
	}
	const script = `const { pathToFileURL } = await import('node:url');
const m = await import(pathToFileURL(process.argv[1]).href);
process.stdout.write(JSON.stringify(m.VOCAB));`
	out, err := exec.Command(nodePath(t), "--input-type=module", "-e", script, abs).Output()
	if err != nil {
		t.Fatalf("node cannot import vocab.js: %v", err)
	}
	var v map[string][2]json.RawMessage
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func nodePath(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to read the screen's modules (%v): install Node.js 18 or later", err)
	}
	return node
}

// The codes the screen offers are the lifecycle's, each with a label in
// both dictionaries: a new kind or state shows up here, not as a filter
// that can never match.
func TestVocabulariesAreTheLifecycles(t *testing.T) {
	want := map[string][]string{
		"exceptionKind": lifecycle.ExceptionKinds,
		"exceptionState": {lifecycle.ExceptionStateReported, lifecycle.ExceptionStateHandling, lifecycle.ExceptionStateCustomerInformed,
			lifecycle.ExceptionStateClaimOpen, lifecycle.ExceptionStateClaimDecided, lifecycle.ExceptionStateClosed},
		"complaintType":     lifecycle.ComplaintTypes,
		"complaintCategory": lifecycle.ComplaintCategories,
		"complaintSeverity": lifecycle.ComplaintSeverities,
		"complaintChannel":  lifecycle.ComplaintChannels,
		"complaintState": {lifecycle.ComplaintStateReceived, lifecycle.ComplaintStateAcknowledged, lifecycle.ComplaintStateInvestigating,
			lifecycle.ComplaintStateResponsibilityDecided, lifecycle.ComplaintStateSolutionProposed, lifecycle.ComplaintStateCustomerAgreed,
			lifecycle.ComplaintStateCarriedOut, lifecycle.ComplaintStateFollowedUp, lifecycle.ComplaintStateClosed},
		"tokenScope":    accounts.Scopes,
		"incidentCause": lifecycle.IncidentCauses,
		"incidentState": {lifecycle.IncidentStateReported, lifecycle.IncidentStateAcknowledged, lifecycle.IncidentStateResolved, lifecycle.IncidentStateClosed},
		"parcelState": {lifecycle.ParcelStateScanned, lifecycle.ParcelStateInbound, lifecycle.ParcelStateInStock, lifecycle.ParcelStatePickedUp, lifecycle.ParcelStateRefused,
			lifecycle.ParcelStateOverdue, lifecycle.ParcelStateReturning, lifecycle.ParcelStateOutForDelivery, lifecycle.ParcelStateDelivered},
	}
	got := readVocab(t)
	zh, en := readDictionary(t, "static/i18n/zh.js"), readDictionary(t, "static/i18n/en.js")
	for name, codes := range want {
		v, ok := got[name]
		if !ok {
			t.Errorf("vocab.js has no %s", name)
			continue
		}
		var prefix string
		var have []string
		if err := json.Unmarshal(v[0], &prefix); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(v[1], &have); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(have, codes) {
			t.Errorf("vocab.js %s = %v, the lifecycle has %v", name, have, codes)
		}
		for _, c := range codes {
			if zh[prefix+c] == "" || en[prefix+c] == "" {
				t.Errorf("%s %q has no label %s%s in both dictionaries", name, c, prefix, c)
			}
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("vocab.js %s is not checked against the lifecycle: add it here", name)
		}
	}
	// Every step either side can take has a label too (the history shows
	// the outlet's steps as well as head office's).
	for _, tc := range []struct {
		prefix string
		steps  []string
	}{
		{"cstep.", append(lifecycle.ComplaintSteps(), "receive")},
		{"xstep.", append(lifecycle.ExceptionSteps(), "report")},
	} {
		for _, s := range tc.steps {
			if zh[tc.prefix+s] == "" || en[tc.prefix+s] == "" {
				t.Errorf("step %s has no label %s%s in both dictionaries", s, tc.prefix, s)
			}
		}
	}
}
