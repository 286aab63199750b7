package datafile_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/agent/staff"
	"github.com/yizhan/yizhan/agent/workflow"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/spool"
	"github.com/yizhan/yizhan/syncproto"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

var _ spool.Buckets = datafile.SpoolBuckets{}

type idlePrinter struct{}

func (idlePrinter) Status(context.Context) printer.Report { return printer.Report{} }
func (idlePrinter) Print(context.Context, []byte) error   { return nil }

// release is an old data file, copied, opened and migrated, with every
// owner on it.
type release struct {
	file     *datafile.File
	events   *eventlog.Log
	svc      *workflow.Service
	people   *staff.Store
	spool    *spool.Spool
	keys     *pii.Keys
	resealed int // values seen in this release's format by opened
	golden   map[string]json.RawMessage
}

func openRelease(t *testing.T, name string) *release {
	t.Helper()
	dir := t.TempDir()
	copyFile(t, filepath.Join("testdata", name+".db"), filepath.Join(dir, datafile.FileName), 0o600)
	keyFile := filepath.Join(t.TempDir(), "pii.key")
	copyFile(t, filepath.Join("testdata", name+".pii.key"), keyFile, 0o600)
	keys, err := pii.LoadKey(keyFile, "SH-001")
	if err != nil {
		t.Fatal(err)
	}
	r := &release{keys: keys}
	raw, err := os.ReadFile(filepath.Join("testdata", name+".golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &r.golden); err != nil {
		t.Fatal(err)
	}
	// The old key file is head office's master key: the agent derives its
	// own outlet key from it and re-seals (migration 8).
	if r.file, err = datafile.Open(dir, datafile.Options{Outlet: "SH-001", Keys: keys}); err != nil {
		t.Fatalf("the release file does not open: %v", err)
	}
	if r.events, err = eventlog.Open(r.file, eventlog.Options{Projectors: []eventlog.Projector{workflow.Projector()}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.events.Close(); r.file.Close() })
	if r.svc, err = workflow.New(r.file, r.events, workflow.Config{Keys: keys}); err != nil {
		t.Fatal(err)
	}
	if r.people, err = staff.Open(r.file); err != nil {
		t.Fatal(err)
	}
	if r.spool, err = spool.Open(r.file.PrintSpool(), map[string]spool.Printer{"shelf": idlePrinter{}}, spool.Options{}); err != nil {
		t.Fatal(err)
	}
	return r
}

func copyFile(t *testing.T, from, to string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, mode); err != nil {
		t.Fatal(err)
	}
}

// same fails unless got, as JSON, equals the golden value under key.
func (r *release) same(t *testing.T, key string, got any) {
	t.Helper()
	var want, have any
	if err := json.Unmarshal(r.golden[key], &want); err != nil {
		t.Fatalf("golden %s: %v", key, err)
	}
	raw, _ := json.Marshal(got)
	json.Unmarshal(raw, &have)
	if !reflect.DeepEqual(want, have) {
		t.Errorf("%s changed:\nrelease %s\nnow     %s", key, r.golden[key], raw)
	}
}

// opened replaces, in place, each sealed field of m with what it opens to
// (the release sealed under the shared key, this one re-sealed under the
// outlet's key bound to rec), so that values compare as values. It counts
// the values in this release's format in v2.
func (r *release) opened(t *testing.T, rec pii.Record, m map[string]any) map[string]any {
	t.Helper()
	for k, field := range map[string]string{"phone_sealed": pii.KindPhone, "name_sealed": pii.KindName} {
		s, ok := m[k].(string)
		if !ok {
			continue
		}
		plain, err := r.keys.Open(field, rec, s)
		if err != nil {
			t.Fatalf("%s of %s %s does not open: %v", k, rec.Kind, rec.ID, err)
		}
		if strings.HasPrefix(s, "v2:") {
			r.resealed++
		}
		m[k] = "opened:" + plain
	}
	return m
}

// sameOpened is same for a list of entities whose sealed fields compare
// opened; id names each item's record id.
func (r *release) sameOpened(t *testing.T, key, kind, id string, got any) {
	t.Helper()
	var want, have []map[string]any
	if err := json.Unmarshal(r.golden[key], &want); err != nil {
		t.Fatalf("golden %s: %v", key, err)
	}
	raw, _ := json.Marshal(got)
	json.Unmarshal(raw, &have)
	for _, list := range [][]map[string]any{want, have} {
		for _, m := range list {
			r.opened(t, pii.Record{Kind: kind, ID: fmt.Sprint(m[id])}, m)
		}
	}
	if !reflect.DeepEqual(want, have) {
		t.Errorf("%s changed:\nrelease %s\nnow     %s", key, r.golden[key], raw)
	}
}

// within reports the first field of old whose value differs in now (a
// parcel only gains fields: its scans).
func within(old, now map[string]any) (string, bool) {
	for k, v := range old {
		if !reflect.DeepEqual(v, now[k]) {
			return k, false
		}
	}
	return "", true
}

func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(v)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestOpenReleaseV1File opens a copy of a file the release before the one
// list wrote (testdata/README.md) and checks that everything it served is
// served the same afterwards; parcels gain their scans.
func TestOpenReleaseV1File(t *testing.T) {
	r := openRelease(t, "agent-v1")
	ctx := context.Background()

	r.same(t, "counters", r.events.Counters())
	off, known := r.events.HubOffset()
	r.same(t, "hub_offset_ms", map[string]any{"ms": off, "known": known})
	dead, _ := r.events.DeadLetters(10)
	r.same(t, "dead_letters", dead)
	down, _ := r.events.DownEvents(10)
	r.same(t, "down_events", down)
	raws, _ := r.events.ReadRaw(1, 1000, 1<<30)
	r.same(t, "events", len(raws))

	list, _ := r.people.List()
	r.same(t, "staff", list)
	for id, pin := range map[string]string{"c01": "1234", "s01": "9999"} {
		if _, err := r.people.Check(id, pin); err != nil {
			t.Errorf("staff %s cannot log in: %v", id, err)
		}
	}
	jobs, _ := r.spool.Jobs(spool.Filter{})
	r.same(t, "spool_jobs", jobs)
	var data []string
	for _, j := range jobs {
		job, _ := r.spool.Job(j.ID)
		data = append(data, string(job.Data))
	}
	r.same(t, "spool_data", data)

	xs, _ := r.svc.Exceptions(false, 100)
	r.same(t, "exceptions", xs)
	open, _ := r.svc.Exceptions(true, 100)
	r.same(t, "open_exceptions", open)
	views, _ := r.svc.Complaints(false, 100)
	var cs []lifecycle.Complaint
	for _, v := range views {
		cs = append(cs, v.Complaint)
	}
	r.sameOpened(t, "complaints", lifecycle.KindComplaint, "id", cs)
	notices, _ := r.svc.Notices(false)
	r.same(t, "notices", notices)
	templates, _ := r.svc.ReplyTemplates("delay", "没到")
	r.same(t, "templates", templates)
	var photo struct {
		SHA256 string `json:"sha256"`
	}
	json.Unmarshal(r.golden["photo"], &photo)
	b, err := r.svc.Photo(photo.SHA256)
	r.same(t, "photo", map[string]any{"sha256": photo.SHA256, "size": len(b)})
	if err != nil {
		t.Error(err)
	}

	// Parcels: what the release served as one of two models is now the
	// lifecycle parcel with its scans.
	var parcels map[string]struct {
		Parcel map[string]any    `json:"parcel"`
		Events []syncproto.Event `json:"events"`
	}
	json.Unmarshal(r.golden["parcels"], &parcels)
	if len(parcels) != 5 {
		t.Fatalf("golden has %d parcels", len(parcels))
	}
	for w, old := range parcels {
		t.Run(w, func(t *testing.T) {
			p, err := r.svc.Parcel(w)
			if err != nil {
				t.Fatal(err)
			}
			evs, _ := r.svc.History(lifecycle.KindParcel, w)
			rec := pii.Record{Kind: lifecycle.KindParcel, ID: w}
			now := r.opened(t, rec, asMap(t, p))
			r.opened(t, rec, old.Parcel)
			var scans []syncproto.Event
			for _, ev := range evs {
				if ev.Type == lifecycle.ParcelScanned {
					scans = append(scans, ev)
				}
			}
			if _, projected := old.Parcel["scans"]; projected {
				// The event log's projection: the same counts and stamps,
				// now in the state scanned, and the same events.
				if old.Parcel["status"] != "in_stock" || now["status"] != lifecycle.ParcelStateScanned {
					t.Errorf("status %v, was %v", now["status"], old.Parcel["status"])
				}
				delete(old.Parcel, "status")
				if k, ok := within(old.Parcel, now); !ok {
					t.Errorf("%s: %v, was %v", k, now[k], old.Parcel[k])
				}
				if !reflect.DeepEqual(ids(old.Events), ids(evs)) {
					t.Errorf("events %v, were %v", ids(evs), ids(old.Events))
				}
				return
			}
			// The workflow's parcel: every field as it was, every event as
			// it was and in the same order, plus its scans.
			if k, ok := within(old.Parcel, now); !ok {
				t.Errorf("%s: %v, was %v", k, now[k], old.Parcel[k])
			}
			var counter []syncproto.Event
			for _, ev := range evs {
				if ev.Type != lifecycle.ParcelScanned {
					counter = append(counter, ev)
				}
			}
			if !reflect.DeepEqual(ids(old.Events), ids(counter)) {
				t.Errorf("counter events %v, were %v", ids(counter), ids(old.Events))
			}
			if p.Scans != len(scans) || len(scans) > 0 && (p.FirstSeq != scans[0].Seq || p.LastSeq != scans[len(scans)-1].Seq) {
				t.Errorf("scan summary %+v for scans %v", p.ScanSummary, ids(scans))
			}
		})
	}
	if p, _ := r.svc.Parcel("RB123456785GB"); p.Scans != 2 || p.State != lifecycle.ParcelStateInStock {
		t.Errorf("RB123456785GB, scanned before and after it was shelved: %+v", p)
	}

	// Lists and lookups serve what they did; parcels known only from scans
	// are listed too now, newest first like the rest.
	var oldList []map[string]any
	json.Unmarshal(r.golden["parcel_list"], &oldList)
	all, _ := r.svc.Parcels("", 100)
	var counterList []map[string]any
	var scannedOnly []string
	for _, p := range all {
		if p.State == lifecycle.ParcelStateScanned {
			scannedOnly = append(scannedOnly, p.Waybill)
			continue
		}
		counterList = append(counterList, r.opened(t, pii.Record{Kind: lifecycle.KindParcel, ID: p.Waybill}, asMap(t, p)))
	}
	if len(counterList) != len(oldList) {
		t.Fatalf("%d parcels listed, %d before", len(counterList), len(oldList))
	}
	for i := range oldList {
		r.opened(t, pii.Record{Kind: lifecycle.KindParcel, ID: fmt.Sprint(oldList[i]["waybill"])}, oldList[i])
		if k, ok := within(oldList[i], counterList[i]); !ok {
			t.Errorf("list entry %d %s: %v, was %v", i, k, counterList[i][k], oldList[i][k])
		}
	}
	slices.Sort(scannedOnly)
	if !reflect.DeepEqual(scannedOnly, []string{"SF1234567890123", "XYZ-0001"}) {
		t.Errorf("scanned-only parcels listed: %v", scannedOnly)
	}
	for key, find := range map[string]func() ([]lifecycle.Parcel, error){
		"find_code":  func() ([]lifecycle.Parcel, error) { return r.svc.Find("3-2-8001", "", "") },
		"find_last4": func() ([]lifecycle.Parcel, error) { return r.svc.Find("", "", "5678") },
	} {
		var old []map[string]any
		json.Unmarshal(r.golden[key], &old)
		got, _ := find()
		if len(got) != len(old) {
			t.Fatalf("%s: %d parcels, %d before", key, len(got), len(old))
		}
		for i := range old {
			rec := pii.Record{Kind: lifecycle.KindParcel, ID: got[i].Waybill}
			if k, ok := within(r.opened(t, rec, old[i]), r.opened(t, rec, asMap(t, got[i]))); !ok {
				t.Errorf("%s %d: %s changed", key, i, k)
			}
		}
	}

	// The file's folded state is what folding its events afresh gives.
	sameAsReplay(t, r.file)

	// Migration 7 re-sealed what head office had acknowledged (1..6) under
	// the outlet's key, bound to its record; the outbox kept its bytes.
	if r.resealed == 0 {
		t.Error("no value in the served state was re-sealed")
	}
	acked := r.events.Counters().AckedSeq
	v1, v2 := 0, 0
	for i, raw := range raws {
		seq := uint64(i + 1)
		old, fresh := bytes.Count(raw, []byte(`"v1:`)), bytes.Count(raw, []byte(`"v2:`))
		v1, v2 = v1+old, v2+fresh
		if seq <= acked && old > 0 {
			t.Errorf("acknowledged event %d still holds %d values under the old shared key", seq, old)
		}
		if seq > acked && fresh > 0 {
			t.Errorf("event %d, not yet acknowledged, was re-sealed", seq)
		}
	}
	if v2 == 0 {
		t.Errorf("no event was re-sealed (acked %d, %d old values left)", acked, v1)
	}

	// Personal data still opens with the key it was sealed with.
	boss := workflow.Actor{ID: "s01", Name: "李主管", Role: "supervisor"}
	if rv, err := r.svc.Reveal(ctx, boss, "parcel", "RB123456785GB", "phone"); err != nil || rv.Value != "13812345678" {
		t.Errorf("reveal phone: %q %v", rv.Value, err)
	}
	// And the migrated file keeps working: a scan and a pickup.
	p, _ := r.svc.Parcel("RB123456785GB")
	if _, err := r.svc.Pickup(ctx, boss, p.Waybill, workflow.PickupReq{Code: p.PickupCode, IDCheck: "code_only", Signer: "recipient", Confirmation: "本人签收"}); err != nil {
		t.Errorf("pickup after migration: %v", err)
	}
}

func ids(evs []syncproto.Event) []string {
	out := []string{}
	for _, ev := range evs {
		out = append(out, ev.ID)
	}
	return out
}

// sameAsReplay folds every event of f (its own and head office's, in fold
// order) into a fresh file through the workflow projection and compares the
// folded state and its indexes with f's.
func sameAsReplay(t *testing.T, f *datafile.File) {
	t.Helper()
	var evs []syncproto.Event
	f.View(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{datafile.Events, datafile.Down} {
			tx.Bucket(b).ForEach(func(_, v []byte) error {
				var ev syncproto.Event
				json.Unmarshal(v, &ev)
				evs = append(evs, ev)
				return nil
			})
		}
		return nil
	})
	lifecycle.Order(evs)
	fresh, err := datafile.Open(t.TempDir(), datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	var apply eventlog.DownApplier = workflow.Projector()
	err = fresh.Update(func(tx *bolt.Tx) error {
		for i := range evs {
			raw, err := json.Marshal(&evs[i])
			if err != nil {
				return err
			}
			if err := apply.ApplyDown(tx, &evs[i], raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dump := func(f *datafile.File, name []byte, keysOnly bool) map[string]string {
		out := map[string]string{}
		f.View(func(tx *bolt.Tx) error {
			return tx.Bucket(name).ForEach(func(k, v []byte) error {
				if keysOnly {
					v = nil
				}
				out[string(k)] = string(v)
				return nil
			})
		})
		return out
	}
	for _, b := range [][]byte{datafile.WorkflowState, datafile.WorkflowOpen, datafile.WorkflowCodes, datafile.WorkflowLast4, datafile.WorkflowEvents} {
		got, want := dump(f, b, false), dump(fresh, b, false)
		if !reflect.DeepEqual(got, want) {
			for k := range want {
				if got[k] != want[k] {
					t.Errorf("%s/%q:\nmigrated %s\nreplayed %s", b, k, got[k], want[k])
				}
			}
			for k := range got {
				if _, ok := want[k]; !ok {
					t.Errorf("%s/%q only in the migrated file", b, k)
				}
			}
		}
	}
	// wf_list orders entities by their first event here; a parcel the
	// counter took in after a scan keeps its place from before.
	entities := func(f *datafile.File) []string {
		var out []string
		for k := range dump(f, datafile.WorkflowList, true) {
			kind, rest, _ := bytes.Cut([]byte(k), []byte{0})
			out = append(out, string(kind)+"/"+string(rest[8:]))
		}
		slices.Sort(out)
		return out
	}
	if got, want := entities(f), entities(fresh); !reflect.DeepEqual(got, want) {
		t.Errorf("listed entities:\nmigrated %v\nreplayed %v", got, want)
	}
}

// TestOpenReleaseV9File opens a copy of the file this release's agent
// wrote (testdata/README.md; deploy/e2e's TestReleaseAgentFile compares
// every answer its API served) and checks what the data file's owners
// read from it: the schema now current, the outbox and cursors as they
// were, staff who still log in, every parcel in the state it was served
// in, the cases, and a folded state equal to a fresh fold of its events.
func TestOpenReleaseV9File(t *testing.T) {
	r := openRelease(t, "agent-v9")
	var answers map[string]json.RawMessage
	if err := json.Unmarshal(r.golden["answers"], &answers); err != nil || len(answers) == 0 {
		t.Fatalf("golden answers: %v", err)
	}
	answer := func(path string, v any) {
		t.Helper()
		if err := json.Unmarshal(answers[path], v); err != nil {
			t.Fatalf("golden %s: %v", path, err)
		}
	}
	r.file.View(func(tx *bolt.Tx) error {
		if v := datafile.GetU64(tx.Bucket(datafile.Meta), datafile.KeySchemaVersion); v != datafile.SchemaVersion() {
			t.Errorf("schema %d after opening, want %d", v, datafile.SchemaVersion())
		}
		return nil
	})

	// The outbox: the release's sync answer was recorded after a login,
	// an event not yet sent.
	var sync eventlog.Counters
	answer("/sync", &sync)
	if got := r.events.Counters(); got != sync || sync.Backlog == 0 {
		t.Errorf("counters %+v, the release served %+v", got, sync)
	}
	var staffList struct{ Staff []staff.Staff }
	answer("/staff", &staffList)
	list, _ := r.people.List()
	if len(list) != len(staffList.Staff) || len(list) != 2 {
		t.Fatalf("staff %+v, the release served %+v", list, staffList.Staff)
	}
	for i, s := range staffList.Staff {
		if list[i].ID != s.ID || list[i].Role != s.Role || list[i].Name != s.Name {
			t.Errorf("staff %d: %+v, was %+v", i, list[i], s)
		}
	}
	for id, pin := range map[string]string{"c01": "1234", "s01": "9999"} {
		if _, err := r.people.Check(id, pin); err != nil {
			t.Errorf("staff %s cannot log in: %v", id, err)
		}
	}

	n := 0
	for path := range answers {
		w, ok := strings.CutPrefix(path, "/parcels/")
		if !ok || strings.Contains(w, "?") || strings.Contains(w, "/") {
			continue
		}
		var was struct {
			Parcel struct {
				Status     string `json:"status"`
				PickupCode string `json:"pickup_code"`
			}
		}
		answer(path, &was)
		p, err := r.svc.Parcel(w)
		if err != nil {
			t.Errorf("parcel %s: %v", w, err)
			continue
		}
		if p.State != was.Parcel.Status || p.PickupCode != was.Parcel.PickupCode {
			t.Errorf("parcel %s is %s with code %q; the release served %s with %q", w, p.State, p.PickupCode, was.Parcel.Status, was.Parcel.PickupCode)
		}
		n++
	}
	if n < 10 {
		t.Fatalf("only %d parcels in the golden answers", n)
	}
	var xs struct{ Exceptions []lifecycle.Exception }
	answer("/exceptions", &xs)
	got, _ := r.svc.Exceptions(false, 100)
	if len(got) != len(xs.Exceptions) {
		t.Fatalf("%d exceptions, the release served %d", len(got), len(xs.Exceptions))
	}
	for i := range got {
		if got[i].ID != xs.Exceptions[i].ID || got[i].State != xs.Exceptions[i].State {
			t.Errorf("exception %d: %s %s, was %s %s", i, got[i].ID, got[i].State, xs.Exceptions[i].ID, xs.Exceptions[i].State)
		}
	}
	var cs struct{ Complaints []lifecycle.Complaint }
	answer("/complaints", &cs)
	views, _ := r.svc.Complaints(false, 100)
	if len(views) != len(cs.Complaints) {
		t.Fatalf("%d complaints, the release served %d", len(views), len(cs.Complaints))
	}
	for i := range views {
		if views[i].ID != cs.Complaints[i].ID || views[i].State != cs.Complaints[i].State {
			t.Errorf("complaint %d: %s %s, was %s %s", i, views[i].ID, views[i].State, cs.Complaints[i].ID, cs.Complaints[i].State)
		}
	}
	sameAsReplay(t, r.file)
}
