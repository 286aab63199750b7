// Command demo runs Yizhan on one machine with nothing else installed: a hub
// with its embedded broker and SQLite store, and two outlet agents with
// simulated devices: SH-001 has a serial counter scanner on a pty and a TSPL
// label printer, BJ-002 a fixed-mount TCP line scanner and a ZPL printer.
// Every minute it takes the hub down for a while so the outlets work offline
// and then catch up. `make run` starts it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/yizhan/yizhan/agent/pii"
	"github.com/yizhan/yizhan/devices/printer/sim"
	"github.com/yizhan/yizhan/devices/scale"
	"github.com/yizhan/yizhan/devices/scanner"
	"github.com/yizhan/yizhan/devices/scanner/serial"
	"github.com/yizhan/yizhan/devices/scanner/tcp"
)

type outlet struct {
	ID      string
	Secret  string
	HTTP    string
	Token   string // the agent API token (scans, read) the demo reads status with
	cmd     *exec.Cmd
	config  string             // agent config file with the devices
	keyFile string             // its own personal-data key file
	scan    func(string) error // the simulated scanner's trigger
	burst   int                // codes per burst: a person, or a sorting line
	close   []func() error
}

type demo struct {
	bin, dir string
	keyFile  string
	hubHTTP  string
	hubMQTT  string
	token    string
	outlets  []*outlet
	hub      *exec.Cmd
	logs     *os.File
	anyPort  bool
}

func main() {
	bin := flag.String("bin", "bin", "directory holding yizhan-hub and yizhan-agent")
	dir := flag.String("dir", ".demo", "directory for the demo's data and logs")
	offlineEvery := flag.Duration("offline-every", 60*time.Second, "take the hub down this often (0: never)")
	offlineFor := flag.Duration("offline-for", 20*time.Second, "how long the hub stays down")
	anyPort := flag.Bool("any-port", false, "use free ports, not the usual 8480-8482 and 1883 (so a test cannot meet a running demo)")
	flag.Parse()
	d := &demo{bin: *bin, dir: *dir, token: "demo-token", anyPort: *anyPort}
	if err := d.run(*offlineEvery, *offlineFor); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
	// Ctrl-C is the way to stop the demo, so it ends with status 0: make
	// then reports no error. run has stopped every child by now.
	abs, _ := filepath.Abs(d.dir)
	fmt.Printf("stopped. The data stays in %s (hub, outlets, logs); the next run continues from it, `make clean` removes it.\n", abs)
}

func (d *demo) run(offlineEvery, offlineFor time.Duration) error {
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		return err
	}
	var err error
	if d.logs, err = os.OpenFile(filepath.Join(d.dir, "demo.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return err
	}
	d.hubHTTP = d.pickAddr("127.0.0.1:8480")
	d.hubMQTT = d.pickAddr("127.0.0.1:1883")
	// Head office's master key and each outlet's own key file live outside
	// every data directory, as in production.
	d.keyFile = filepath.Join(d.dir, "pii.key")
	if _, err := os.Stat(d.keyFile); err != nil {
		if err := pii.GenerateKeyFile(d.keyFile); err != nil {
			return err
		}
	}
	for i, id := range []string{"SH-001", "BJ-002"} {
		secret, err := d.register(id)
		if err != nil {
			return err
		}
		o := &outlet{ID: id, Secret: secret, HTTP: d.pickAddr(fmt.Sprintf("127.0.0.1:%d", 8481+i))}
		if o.keyFile, err = d.outletKey(id); err != nil {
			return err
		}
		if err := d.addStaff(o); err != nil {
			return err
		}
		if o.Token, err = d.apiToken(o); err != nil {
			return err
		}
		d.outlets = append(d.outlets, o)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := d.startHub(); err != nil {
		return err
	}
	// d.hub changes each time the hub comes back: stop the current one.
	defer func() { stopCmd(d.hub) }()
	if err := d.seedHeadOffice(); err != nil {
		fmt.Println("note: could not publish the demo notice and reply templates:", err)
	}
	for i, o := range d.outlets {
		if err := d.devices(o, i); err != nil {
			return err
		}
		defer func() {
			for _, c := range o.close {
				c()
			}
		}()
		if err := d.startAgent(o); err != nil {
			return err
		}
		defer stopCmd(o.cmd)
		go scanLoop(ctx, o)
	}
	d.banner()
	if offlineEvery > 0 {
		fmt.Printf("Every %v the hub stops for %v; the outlets keep scanning and drain when it is back (%s).\n\n",
			offlineEvery, offlineFor, drainExpectation(offlineFor))
	}
	var nextOffline, backOnline <-chan time.Time
	var drained <-chan drainResult
	if offlineEvery > 0 {
		nextOffline = time.After(offlineEvery)
	}
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fmt.Println("\nstopping the hub and the outlets…")
			return nil
		case <-tick.C:
			d.status()
		case <-nextOffline:
			fmt.Printf("\n>>> hub going down for %v: outlets keep scanning offline\n", offlineFor)
			stopCmd(d.hub)
			backOnline = time.After(offlineFor)
		case <-backOnline:
			fmt.Printf(">>> hub back: the outlets reconnect at their next retry and drain their backlogs; %s\n", drainExpectation(offlineFor))
			if err := d.startHub(); err != nil {
				return err
			}
			backAt := time.Now()
			drained = d.watchDrain(ctx, backAt)
			nextOffline = time.After(offlineEvery)
		case r := <-drained:
			fmt.Printf(">>> %s drained %.1f s after the hub came back\n", r.outlet, r.after.Seconds())
		}
	}
}

// drainExpectation says how long the drain takes, from the agents' retry
// schedule: after a failed connect they wait 1 s, then twice as long each
// time up to 2 min, each wait randomised by ±50%, so when the hub returns an
// agent is part-way through one of those waits. Measured with the defaults
// (20 s down every minute), 12 drains over 6 returns: 3.5 to 19.8 s after the
// hub answered, 10 of them between 11 and 17.3 s.
func drainExpectation(outage time.Duration) string {
	// The longest wait an agent can be in when the hub returns: the first
	// nominal wait that ends after the outage, at +50%.
	var sum, wait time.Duration = 0, time.Second
	for sum+wait < outage && wait < 2*time.Minute {
		sum += wait
		wait *= 2
	}
	longest := wait + wait/2
	return fmt.Sprintf("after a %v outage that takes up to about %v", outage, longest.Round(time.Second))
}

type drainResult struct {
	outlet string
	after  time.Duration
}

// watchDrain reports each outlet once its backlog is empty and it is
// connected again, so the banner's promise can be checked on screen.
func (d *demo) watchDrain(ctx context.Context, since time.Time) <-chan drainResult {
	out := make(chan drainResult, len(d.outlets))
	for _, o := range d.outlets {
		go func() {
			for ctx.Err() == nil && time.Since(since) < 5*time.Minute {
				var s struct {
					Backlog   uint64 `json:"backlog"`
					Connected bool   `json:"connected"`
				}
				if err := getJSON("http://"+o.HTTP+"/api/v1/sync", o.Token, &s); err == nil && s.Connected && s.Backlog == 0 {
					out <- drainResult{o.ID, time.Since(since)}
					return
				}
				time.Sleep(250 * time.Millisecond)
			}
		}()
	}
	return out
}

// devices starts the outlet's simulated scanner and printer and writes the
// agent config that points at them.
func (d *demo) devices(o *outlet, i int) error {
	framing := scanner.Framing{Suffix: scanner.SuffixCR}
	var scannerCfg string
	if i%2 == 0 {
		link, _ := filepath.Abs(filepath.Join(d.dir, o.ID+"-scanner"))
		s, err := serial.NewSimulator(link, framing)
		if err != nil {
			return fmt.Errorf("serial scanner simulator: %w", err)
		}
		o.scan = func(code string) error { return s.Scan("", code) }
		o.burst = 20
		o.close = append(o.close, s.Close)
		scannerCfg = fmt.Sprintf(`{"name": "counter", "driver": "serial", "config": {"path": %q, "baud": 9600, "framing": {"suffix": "cr"}}}`, link)
	} else {
		s, err := tcp.NewSimulator("127.0.0.1:0", framing)
		if err != nil {
			return fmt.Errorf("line scanner simulator: %w", err)
		}
		o.scan = func(code string) error { return s.Scan("", code) }
		o.burst = 60
		o.close = append(o.close, s.Close)
		scannerCfg = fmt.Sprintf(`{"name": "line-1", "driver": "tcp", "config": {"address": %q, "framing": {"suffix": "cr"}}}`, s.Addr())
	}
	lang := []string{"tspl", "zpl"}[i%2]
	p, err := sim.Start("127.0.0.1:0", lang)
	if err != nil {
		return fmt.Errorf("printer simulator: %w", err)
	}
	o.close = append(o.close, p.Close)
	// A 100×150 mm waybill printer and a counter scale with a parcel on it.
	wp, err := sim.Start("127.0.0.1:0", "zpl")
	if err != nil {
		return fmt.Errorf("waybill printer simulator: %w", err)
	}
	o.close = append(o.close, wp.Close)
	link, _ := filepath.Abs(filepath.Join(d.dir, o.ID+"-scale"))
	sc, err := scale.NewSimulator(link, scale.SimConfig{Protocol: "st-gs"})
	if err != nil {
		return fmt.Errorf("scale simulator: %w", err)
	}
	sc.SettleTo(1850, 8)
	o.close = append(o.close, sc.Close)
	o.config = filepath.Join(d.dir, "agent-"+o.ID+".json")
	cfg := fmt.Sprintf(`{"devices": {"scanners": [%s],
		"printers": [{"name": "shelf", "driver": %q, "address": %q},
		             {"name": "waybill", "driver": "zpl", "address": %q, "width_mm": 100, "height_mm": 150}],
		"scales": [{"name": "scale", "driver": "serial-scale", "config": {"path": %q, "protocol": "st-gs"}}],
		"label_printer": "shelf", "waybill_printer": "waybill"}}`,
		scannerCfg, lang, p.URL(), wp.URL(), link)
	return os.WriteFile(o.config, []byte(cfg), 0o644)
}

// demoAccounts are the head-office accounts the demo adds, so head office's
// screen can be tried at once: id, name, role, password.
var demoAccounts = [][4]string{
	{"hq", "总部管理员", "admin", "Demo-admin-2026"},
	{"kefu", "客服小王", "service", "Demo-service-2026"},
	{"yingji", "应急组长", "emergency", "Demo-emergency-2026"},
	{"fenxi", "数据分析", "analyst", "Demo-analyst-2026"},
	{"shenji", "审计员", "auditor", "Demo-auditor-2026"},
}

// seedHeadOffice publishes, once, a special-period notice and two reply
// templates, so the counter screens have something to show, and adds the
// demo's head-office accounts.
func (d *demo) seedHeadOffice() error {
	marker := filepath.Join(d.dir, "seeded")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	now := time.Now()
	posts := []struct {
		path string
		body any
	}{
		{"/api/v1/notices", map[string]any{"title": "双十一期间服务调整", "severity": "warning",
			"text":       "11月11日至11月20日包裹量大，保管期延长至10天，取件请错峰。",
			"faq":        []map[string]string{{"q": "为什么包裹晚到？", "a": "高峰期运力紧张，预计延误1-2天。"}},
			"categories": []string{"delay"}, "effects": map[string]any{"hold_days": 10},
			"valid_from": now.Add(-time.Hour).Format(time.RFC3339),
			"valid_to":   now.Add(10 * 24 * time.Hour).Format(time.RFC3339)}},
		{"/api/v1/reply-templates", map[string]any{"title": "延误致歉", "category": "delay", "keywords": []string{"慢", "延误", "没到"},
			"text": "您好，非常抱歉包裹延误。我们已联系承运方核实原因，将在24小时内回复您处理结果。"}},
		{"/api/v1/reply-templates", map[string]any{"title": "破损理赔说明", "category": "damage", "keywords": []string{"破", "坏", "损"},
			"text": "您好，对包裹破损深表歉意。请保留外包装和照片，我们已登记异常件并启动理赔，3个工作日内联系您。"}},
		{"/api/v1/tariffs", map[string]any{"version": "2026-11", "volumetric_divisor": 8000, "max_weight_grams": 50000,
			"zones": map[string]string{"110000": "A", "310000": "A", "440000": "B", "510000": "C"},
			"rates": map[string]any{"A": map[string]int{"first_grams": 1000, "first_fen": 1000, "step_grams": 1000, "step_fen": 300},
				"B": map[string]int{"first_grams": 1000, "first_fen": 1200, "step_grams": 1000, "step_fen": 500},
				"C": map[string]int{"first_grams": 1000, "first_fen": 1500, "step_grams": 1000, "step_fen": 800}},
			"insurance": map[string]int{"rate_bp": 100, "min_fen": 100}}},
		{"/api/v1/prohibited-lists", map[string]any{"version": "P-2026-1", "items": []map[string]string{
			{"code": "explosive", "name": "爆炸物、烟花爆竹", "rule": "forbidden"},
			{"code": "battery", "name": "单独锂电池、充电宝", "rule": "forbidden"},
			{"code": "liquid", "name": "液体（限量密封）", "rule": "restricted", "note": "单瓶不超过 500 ml"},
			{"code": "drug", "name": "毒品、管制药品", "rule": "forbidden"}}}},
	}
	for _, a := range demoAccounts {
		posts = append(posts, struct {
			path string
			body any
		}{"/api/v1/accounts", map[string]any{"id": a[0], "name": a[1], "role": a[2], "password": a[3]}})
	}
	for _, o := range d.outlets {
		posts = append(posts,
			struct {
				path string
				body any
			}{"/api/v1/outlets/" + o.ID + "/waybill-blocks", map[string]any{"count": 500}},
			struct {
				path string
				body any
			}{"/api/v1/manifests", map[string]any{"outlet": o.ID, "courier": "K-07", "line": "城西干线",
				"expected_at": now.Add(2 * time.Hour).Format(time.RFC3339),
				"waybills":    []string{"SF" + o.ID[:2] + "0000000001", "SF" + o.ID[:2] + "0000000002", "SF" + o.ID[:2] + "0000000003"}}})
	}
	for _, p := range posts {
		body, _ := json.Marshal(p.body)
		req, _ := http.NewRequest("POST", "http://"+d.hubHTTP+p.path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+d.token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
			return fmt.Errorf("POST %s: %s", p.path, resp.Status)
		}
	}
	return os.WriteFile(marker, nil, 0o644)
}

// addStaff gives a new outlet a clerk (c01, PIN 1234) and a supervisor
// (s01, PIN 9999) for the counter screen.
func (d *demo) addStaff(o *outlet) error {
	data := filepath.Join(d.dir, "agent-"+o.ID)
	if _, err := os.Stat(data); err == nil {
		return nil
	}
	for _, s := range [][]string{{"c01", "张三", "clerk", "1234"}, {"s01", "李主管", "supervisor", "9999"}} {
		out, err := exec.Command(filepath.Join(d.bin, "yizhan-agent"), "staff", "add", "--data", data,
			"--id", s[0], "--name", s[1], "--role", s[2], "--pin", s[3]).CombinedOutput()
		if err != nil {
			return fmt.Errorf("add staff %s at %s: %v: %s", s[0], o.ID, err, out)
		}
	}
	return nil
}

// apiToken gives the outlet's agent an API token for scripts (scopes scans
// and read) once, before it starts, and remembers it next to the secrets:
// the agent's API needs a token or a staff login.
func (d *demo) apiToken(o *outlet) (string, error) {
	path := filepath.Join(d.dir, "token-"+o.ID)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	data := filepath.Join(d.dir, "agent-"+o.ID)
	bin := filepath.Join(d.bin, "yizhan-agent")
	// A token file lost from an older .demo: replace the token.
	_ = exec.Command(bin, "token", "revoke", "--data", data, "--name", "demo").Run()
	out, err := exec.Command(bin, "token", "add", "--data", data, "--name", "demo", "--scope", "scans,read").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("API token for %s: %s", o.ID, ee.Stderr)
		}
		return "", fmt.Errorf("API token for %s: %w", o.ID, err)
	}
	token := strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	return token, os.WriteFile(path, []byte(token+"\n"), 0o600)
}

// register adds an outlet to the hub once and remembers its secret.
// outletKey issues outlet id its own key file from the master key, once.
// It carries the legacy secret so that a .demo from an earlier release
// keeps opening what it sealed then.
func (d *demo) outletKey(id string) (string, error) {
	path := filepath.Join(d.dir, "pii-"+id+".key")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	out, err := exec.Command(filepath.Join(d.bin, "yizhan-hub"), "outlet", "key", "--master", d.keyFile, "--id", id, "--out", path, "--legacy").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("issue the key of outlet %s: %v\n%s", id, err, out)
	}
	return path, nil
}

func (d *demo) register(id string) (string, error) {
	path := filepath.Join(d.dir, "secret-"+id)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	out, err := exec.Command(filepath.Join(d.bin, "yizhan-hub"), "outlet", "add", "--data", filepath.Join(d.dir, "hub"), "--id", id).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", fmt.Errorf("register outlet %s: %s", id, ee.Stderr)
		}
		return "", fmt.Errorf("register outlet %s: %w", id, err)
	}
	secret := lastLine(string(out))
	return secret, os.WriteFile(path, []byte(secret+"\n"), 0o600)
}

func (d *demo) startHub() error {
	d.hub = exec.Command(filepath.Join(d.bin, "yizhan-hub"), "run", "--data", filepath.Join(d.dir, "hub"),
		"--http", d.hubHTTP, "--mqtt-listen", d.hubMQTT, "--api-token", d.token, "--log-format", "text")
	d.hub.Stdout, d.hub.Stderr = d.logs, d.logs
	if err := d.hub.Start(); err != nil {
		return fmt.Errorf("start hub: %w", err)
	}
	return waitHTTP("http://"+d.hubHTTP+"/healthz", 20*time.Second)
}

func (d *demo) startAgent(o *outlet) error {
	o.cmd = exec.Command(filepath.Join(d.bin, "yizhan-agent"), "run", "--data", filepath.Join(d.dir, "agent-"+o.ID),
		"--outlet", o.ID, "--broker", "tcp://"+d.hubMQTT, "--http", o.HTTP, "--log-format", "text", "--config", o.config,
		"--pii-key-file", o.keyFile)
	o.cmd.Env = append(os.Environ(), "YZ_SECRET="+o.Secret)
	o.cmd.Stdout, o.cmd.Stderr = d.logs, d.logs
	if err := o.cmd.Start(); err != nil {
		return fmt.Errorf("start agent %s: %w", o.ID, err)
	}
	return waitHTTP("http://"+o.HTTP+"/healthz", 20*time.Second)
}

func (d *demo) banner() {
	fmt.Println("Yizhan demo is running. Press Ctrl-C to stop.")
	fmt.Println()
	fmt.Printf("  hub API      http://%s/api/v1/outlets   (header: Authorization: Bearer %s)\n", d.hubHTTP, d.token)
	fmt.Printf("  hub metrics  http://%s/metrics\n", d.hubHTTP)
	fmt.Printf("  head office  http://%s/  (administrator %s / %s, customer service %s / %s)\n", d.hubHTTP,
		demoAccounts[0][0], demoAccounts[0][3], demoAccounts[1][0], demoAccounts[1][3])
	fmt.Printf("               (emergency team %s / %s, analyst %s / %s, auditor %s / %s)\n",
		demoAccounts[2][0], demoAccounts[2][3], demoAccounts[3][0], demoAccounts[3][3], demoAccounts[4][0], demoAccounts[4][3])
	fmt.Printf("  MQTT broker  tcp://%s (embedded in the hub)\n", d.hubMQTT)
	for _, o := range d.outlets {
		fmt.Printf("  outlet %s  counter screen http://%s/  (staff c01 PIN 1234, supervisor s01 PIN 9999)\n", o.ID, o.HTTP)
	}
	fmt.Printf("  logs         %s\n", filepath.Join(d.dir, "demo.log"))
	fmt.Printf("  outlet APIs  /api/v1/sync, /api/v1/devices with the API token below, or a staff login (see docs/AGENT-API.md)\n")
	fmt.Printf("\n  try: curl -s -H 'Authorization: Bearer %s' http://%s/api/v1/outlets\n", d.token, d.hubHTTP)
	fmt.Printf("       curl -s -XPOST -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' http://%s/api/v1/scans -d '{\"barcode\":\"RB123456785GB\",\"action\":\"inbound\"}'\n", d.outlets[0].Token, d.outlets[0].HTTP)
	fmt.Printf("       (the outlet's API token, made with: yizhan-agent token add --data %s --name demo --scope scans,read)\n\n", filepath.Join(d.dir, "agent-"+d.outlets[0].ID))
}

func (d *demo) status() {
	var line []string
	for _, o := range d.outlets {
		var s struct {
			LastSeq   uint64 `json:"last_seq"`
			AckedSeq  uint64 `json:"acked_seq"`
			Backlog   uint64 `json:"backlog"`
			Connected bool   `json:"connected"`
		}
		if err := getJSON("http://"+o.HTTP+"/api/v1/sync", o.Token, &s); err != nil {
			line = append(line, fmt.Sprintf("%s: agent not answering", o.ID))
			continue
		}
		state := "offline"
		if s.Connected {
			state = "online"
		}
		line = append(line, fmt.Sprintf("%s %-7s scans %5d synced %5d backlog %4d", o.ID, state, s.LastSeq, s.AckedSeq, s.Backlog))
	}
	fmt.Println(time.Now().Format("15:04:05"), strings.Join(line, " | "))
}

// scanLoop triggers the outlet's simulated scanner at a counter's pace: a
// code every second or two, now and then a burst as a courier unloads a cage
// or the sorting line runs.
func scanLoop(ctx context.Context, o *outlet) {
	for {
		wait := time.Duration(500+rand.IntN(1500)) * time.Millisecond
		n := 1
		if rand.IntN(20) == 0 {
			n = o.burst/2 + rand.IntN(o.burst)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		for i := 0; i < n; i++ {
			_ = o.scan(waybill())
		}
	}
}

// waybill makes a plausible number: a UPU S10 with a correct check digit, or
// a domestic carrier number.
func waybill() string {
	if rand.IntN(4) == 0 {
		digits := fmt.Sprintf("%08d", rand.IntN(100000000))
		w := []int{8, 6, 4, 2, 3, 5, 9, 7}
		sum := 0
		for i, c := range digits {
			sum += int(c-'0') * w[i]
		}
		check := 11 - sum%11
		switch check {
		case 10:
			check = 0
		case 11:
			check = 5
		}
		return fmt.Sprintf("RB%s%dCN", digits, check)
	}
	prefixes := []string{"73", "75", "77", "43", "SF", "JT"}
	return fmt.Sprintf("%s%012d", prefixes[rand.IntN(len(prefixes))], rand.Int64N(1e12))
}

func (d *demo) pickAddr(preferred string) string {
	if d.anyPort {
		preferred = "127.0.0.1:0"
	}
	if ln, err := net.Listen("tcp", preferred); err == nil {
		defer ln.Close()
		return ln.Addr().String()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return preferred
	}
	defer ln.Close()
	fmt.Printf("note: %s is taken; using %s\n", preferred, ln.Addr())
	return ln.Addr().String()
}

func waitHTTP(url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not come up within %v; see the log in .demo/demo.log", url, d)
}

func getJSON(url, token string, v any) error {
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}

func stopCmd(c *exec.Cmd) {
	if c == nil || c.Process == nil {
		return
	}
	c.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.Process.Kill()
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
