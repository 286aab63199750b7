package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yizhan/yizhan/agent/backup"
	"github.com/yizhan/yizhan/agent/datafile"
	"github.com/yizhan/yizhan/agent/eventlog"
	"github.com/yizhan/yizhan/agent/server"
	"github.com/yizhan/yizhan/agent/syncclient"
	"github.com/yizhan/yizhan/deploy/e2e/harness"
	"github.com/yizhan/yizhan/syncproto/lifecycle"
)

// dataDir makes a real data directory with n scans and, if set, a saved
// hub clock offset; the file is closed when it returns.
func dataDir(t *testing.T, n int, hubOffsetMS *int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	f, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	l, err := eventlog.Open(f, eventlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		p, _ := json.Marshal(lifecycle.ScannedV1{Barcode: fmt.Sprintf("SF%08d", i), Action: "inbound"})
		if _, err := l.Append(context.Background(), eventlog.Draft{Actor: "c01", Type: lifecycle.ParcelScanned, Subject: "SF", Payload: p}); err != nil {
			t.Fatal(err)
		}
	}
	if hubOffsetMS != nil {
		if err := l.SaveHubOffset(*hubOffsetMS); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func ms(d time.Duration) *int64 { v := d.Milliseconds(); return &v }

// TestDataFile: a sound file is OK; a truncated copy FAILs with
// datafile.damaged in both languages; a file an agent holds is OK, saying
// the agent checked it at open, and is not read.
func TestDataFile(t *testing.T) {
	dir := dataDir(t, 400, nil)
	r, st := DataFile(dir)
	if r.Level != OK || st != Sound || !strings.Contains(r.Reason[1], "400 events") {
		t.Fatalf("sound file: %v %v %q", r.Level, st, r.Reason)
	}
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.MkdirAll(bad, 0o700); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, datafile.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, datafile.FileName), raw[:len(raw)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	r, st = DataFile(bad)
	if r.Level != Fail || st != Unsound || r.Problem == nil || r.Problem.Code().String() != "datafile.damaged" ||
		!strings.Contains(r.Reason[0], "已损坏") || !strings.Contains(r.Reason[1], "is damaged") {
		t.Fatalf("truncated copy: %v %v %q", r.Level, st, r.Reason)
	}
	// The clock check does not map the damaged file.
	if c := Clock(context.Background(), bad, st, time.Minute); c.Level != Warn || !strings.Contains(c.Reason[1], "damaged") {
		t.Fatalf("clock of a damaged file: %v %q", c.Level, c.Reason)
	}
	f, err := datafile.Open(dir, datafile.Options{Outlet: "SH-001"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if r, st := DataFile(dir); r.Level != OK || st != InUse || !strings.Contains(r.Reason[1], "running yizhan-agent") {
		t.Fatalf("file in use: %v %v %q", r.Level, st, r.Reason)
	}
}

// TestClock: the offset the data file keeps is judged by the skew bound;
// a file that never heard from the hub is unknown (WARN); a running agent
// is asked through its /healthz.
func TestClock(t *testing.T) {
	bound := time.Minute
	for _, tc := range []struct {
		name  string
		off   *int64
		level Level
		want  string
	}{
		{"never synced", nil, Warn, "unknown"},
		{"within the bound", ms(5 * time.Second), OK, "00:00:05"},
		// hub minus PC negative: this PC is ahead.
		{"PC two hours ahead", ms(-2 * time.Hour), Fail, "02:00:00 ahead"},
		{"PC a day behind", ms(25 * time.Hour), Fail, "1d 01:00:00 behind"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := dataDir(t, 1, tc.off)
			r := Clock(context.Background(), dir, Sound, bound)
			if r.Level != tc.level || !strings.Contains(r.Reason[1], tc.want) {
				t.Fatalf("%v %q, want %v with %q", r.Level, r.Reason, tc.level, tc.want)
			}
		})
	}
	t.Run("running agent", func(t *testing.T) {
		dir := dataDir(t, 1, ms(-3*time.Hour))
		a, err := server.Start(context.Background(), server.Config{DataDir: dir, Outlet: "SH-001", Secret: "s", Broker: "tcp://" + harness.FreeAddr(t), HTTPAddr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		df, st := DataFile(dir)
		r := Clock(context.Background(), dir, st, bound)
		if st != InUse || r.Level != Fail || r.Problem == nil || r.Problem.Code().String() != "sync.clock_ahead" || !strings.Contains(r.Reason[0], "快") {
			t.Fatalf("through the running agent: %v %q / %v %q", df.Level, df.Reason, r.Level, r.Reason)
		}
	})
}

// TestDisk: below the floor FAILs with store.disk_full, below twice the
// floor WARNs, else OK; a data directory not made yet is judged by the
// disk it will be on.
func TestDisk(t *testing.T) {
	dir := t.TempDir()
	free, err := datafile.FreeSpace(dir)
	if err != nil {
		t.Fatal(err)
	}
	mb := int(free >> 20)
	if r := Disk(dir, mb*4); r.Level != Fail || r.Problem == nil || r.Problem.Code().String() != "store.disk_full" {
		t.Fatalf("floor above the free space: %v %q", r.Level, r.Reason)
	}
	if r := Disk(dir, mb*2/3); r.Level != Warn {
		t.Fatalf("free space under twice the floor: %v %q", r.Level, r.Reason)
	}
	if r := Disk(filepath.Join(dir, "not", "yet"), 1); r.Level != OK {
		t.Fatalf("a directory not made yet: %v %q", r.Level, r.Reason)
	}
}

// TestCerts: certificates made here with crypto/x509 — one ended, one
// ending within 30 days, one with a year left, and a file that is not a
// certificate.
func TestCerts(t *testing.T) {
	ca := harness.NewCA(t, "yz-ca") // ends in a day: WARN
	now := time.Now()
	expired := ca.Issue(t, "expired", harness.CertOptions{CommonName: "SH-001", Client: true, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)})
	rs := Certs(syncclient.TLSFiles{CAFile: ca.CertPEM, CertFile: expired.Cert, KeyFile: expired.Key}, now)
	if len(rs) != 2 || rs[0].Level != Warn || !strings.Contains(rs[0].Reason[1], "days left") || rs[1].Level != Fail || !strings.Contains(rs[1].Reason[0], "已于") {
		t.Fatalf("CA ending tomorrow, expired client: %+v", rs)
	}
	long := ca.Issue(t, "long", harness.CertOptions{CommonName: "SH-001", Client: true, NotAfter: now.Add(365 * 24 * time.Hour)})
	if rs := Certs(syncclient.TLSFiles{CertFile: long.Cert}, now); len(rs) != 1 || rs[0].Level != OK || !strings.Contains(rs[0].Reason[1], "valid until") {
		t.Fatalf("a year left: %+v", rs)
	}
	soon := ca.Issue(t, "soon", harness.CertOptions{CommonName: "SH-001", Client: true, NotAfter: now.Add(20 * 24 * time.Hour)})
	if rs := Certs(syncclient.TLSFiles{CertFile: soon.Cert}, now); rs[0].Level != Warn || !strings.Contains(rs[0].Reason[1], "19 days left") && !strings.Contains(rs[0].Reason[1], "20 days left") {
		t.Fatalf("20 days left: %+v", rs)
	}
	if rs := Certs(syncclient.TLSFiles{CAFile: soon.Key}, now); rs[0].Level != Fail {
		t.Fatalf("a key file as CA: %+v", rs)
	}
	if rs := Certs(syncclient.TLSFiles{}, now); len(rs) != 1 || rs[0].Level != OK {
		t.Fatalf("no TLS: %+v", rs)
	}
}

// TestBroker: a real Mosquitto takes the outlet's login (OK) and refuses
// a wrong secret (FAIL naming the secret); nothing listening FAILs too.
func TestBroker(t *testing.T) {
	m := harness.StartMosquitto(t, harness.MosquittoOptions{Users: map[string]string{"SH-001": "right-secret-Kq7vX2pLm9Rt"}})
	ctx := context.Background()
	o := Options{Outlet: "SH-001", Secret: "right-secret-Kq7vX2pLm9Rt", Broker: m.URL(), Timeout: 5 * time.Second}
	if r := Broker(ctx, o); r.Level != OK || !strings.Contains(r.Reason[0], "已以网点 SH-001 登录") {
		t.Fatalf("right secret: %v %q", r.Level, r.Reason)
	}
	o.Secret = "wrong-secret-Kq7vX2pLm9Rt"
	if r := Broker(ctx, o); r.Level != Fail || !strings.Contains(r.Reason[1], "check this outlet's id and secret") {
		t.Fatalf("wrong secret: %v %q", r.Level, r.Reason)
	}
	o.Broker = "tcp://" + harness.FreeAddr(t)
	if r := Broker(ctx, o); r.Level != Fail || !strings.Contains(r.Reason[1], "cannot") {
		t.Fatalf("nothing listening: %v %q", r.Level, r.Reason)
	}
	if r := Broker(ctx, Options{Broker: m.URL()}); r.Level != Warn {
		t.Fatalf("no outlet configured: %v %q", r.Level, r.Reason)
	}
}

// TestPrint: one line per check in the chosen language; a FAIL with a
// catalog problem carries its code and bilingual message.
func TestPrint(t *testing.T) {
	dir := t.TempDir()
	rs := []Result{Disk(dir, 1<<30), Certs(syncclient.TLSFiles{}, time.Now())[0]}
	var zh, en bytes.Buffer
	Print(&zh, rs, "zh")
	Print(&en, rs, "en")
	if !strings.HasPrefix(zh.String(), "[FAIL] 磁盘空间: 数据目录") || !strings.Contains(zh.String(), "    store.disk_full: ") || !strings.Contains(zh.String(), "[OK] 证书: 未使用 TLS") {
		t.Fatalf("zh:\n%s", zh.String())
	}
	if !strings.HasPrefix(en.String(), "[FAIL] disk space: the disk holding") || !strings.Contains(en.String(), "[OK] certificate: no TLS") {
		t.Fatalf("en:\n%s", en.String())
	}
	if !Failed(rs) || Failed(rs[1:]) {
		t.Fatal("Failed")
	}
}

// TestBrokerTLS: over a real Mosquitto's TLS listener the login works with
// head office's CA, and a broker certificate that has ended is a FAIL with
// sync.cert_expired, worded as the agent's status words it.
func TestBrokerTLS(t *testing.T) {
	ca := harness.NewCA(t, "hq-ca")
	now := time.Now()
	for _, tc := range []struct {
		name     string
		notAfter time.Time
		level    Level
		code     string
	}{
		{"valid", now.Add(24 * time.Hour), OK, ""},
		{"expired", now.Add(-time.Hour), Fail, "sync.cert_expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cert := ca.Issue(t, "mosquitto-"+tc.name, harness.CertOptions{CommonName: "mosquitto", Hosts: []string{"127.0.0.1"}, NotBefore: now.Add(-48 * time.Hour), NotAfter: tc.notAfter})
			tlsAddr := harness.FreeAddr(t)
			harness.StartMosquitto(t, harness.MosquittoOptions{Users: map[string]string{"SH-001": "right-secret-Kq7vX2pLm9Rt"}, ExtraConfig: fmt.Sprintf(
				"listener %s 127.0.0.1\ncertfile %s\nkeyfile %s\n", strings.Split(tlsAddr, ":")[1], cert.Cert, cert.Key)})
			r := Broker(context.Background(), Options{Outlet: "SH-001", Secret: "right-secret-Kq7vX2pLm9Rt", Broker: "tls://" + tlsAddr,
				TLS: syncclient.TLSFiles{CAFile: ca.CertPEM}, Timeout: 5 * time.Second})
			if r.Level != tc.level || tc.code != "" && (r.Problem == nil || r.Problem.Code().String() != tc.code) {
				t.Fatalf("%v %q %v", r.Level, r.Reason, r.Problem)
			}
		})
	}
}

// TestBackups: no folder configured warns (a replacement PC would need a
// new incarnation); a folder without this outlet's backup fails; a fresh
// backup is OK and names the file; one past backup.StaleAfter fails.
func TestBackups(t *testing.T) {
	data := dataDir(t, 3, nil)
	if r := Backups("", "SH-001", data, time.Now()); r.Level != Warn || !strings.Contains(r.Reason[1], "new-incarnation") {
		t.Fatalf("no folder: %+v", r)
	}
	dir := filepath.Join(t.TempDir(), "backups")
	if r := Backups(dir, "", data, time.Now()); r.Level != Fail || !strings.Contains(r.Reason[1], "no backup of this outlet") {
		t.Fatalf("empty folder: %+v", r)
	}
	at := time.Date(2026, 11, 30, 2, 30, 0, 0, time.UTC)
	res, err := backup.Take(dir, func(w io.Writer) (datafile.Identity, int64, error) { return datafile.CopyClosed(data, w) }, at)
	if err != nil {
		t.Fatal(err)
	}
	// The outlet comes from the data file when the config names none.
	r := Backups(dir, "", data, at.Add(5*time.Hour))
	if r.Level != OK || !strings.Contains(r.Reason[1], filepath.Base(res.Path)) || !strings.Contains(r.Reason[1], "5h0m0s old") {
		t.Fatalf("fresh backup: %+v", r)
	}
	if r := Backups(dir, "SH-001", data, at.Add(backup.StaleAfter+time.Hour)); r.Level != Fail || !strings.Contains(r.Reason[0], "每晚备份可能失败") {
		t.Fatalf("stale backup: %+v", r)
	}
	if r := Backups(dir, "SH-002", data, at.Add(time.Hour)); r.Level != Fail {
		t.Fatalf("another outlet's backups count for this one: %+v", r)
	}
}
