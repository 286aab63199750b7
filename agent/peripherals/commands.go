package peripherals

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/yizhan/yizhan/devices"
	"github.com/yizhan/yizhan/devices/barcode"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/devices/scale"
	"github.com/yizhan/yizhan/devices/scanner"
)

// List writes what is plugged into this PC and what the config names.
func List(w io.Writer, cfg Config) {
	fmt.Fprintln(w, "串口 / serial ports:")
	ports, err := scanner.ListSerialPorts()
	listErr(w, err)
	if len(ports) == 0 && err == nil {
		fmt.Fprintln(w, "  (none)")
	}
	for _, p := range ports {
		line := fmt.Sprintf("  %-16s driver=%s", p.Path, p.Driver)
		if p.USB != nil {
			line += fmt.Sprintf(" usb=%s:%s %s %s", p.USB.VendorID, p.USB.ProductID, p.USB.Manufacturer, p.USB.Product)
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "输入设备 / input devices (keyboard-wedge scanners are keyboards):")
	inputs, err := scanner.ListInputDevices()
	listErr(w, err)
	for _, d := range inputs {
		if d.Event == "" {
			continue
		}
		kbd := ""
		if d.Keyboard {
			kbd = " keyboard"
		}
		fmt.Fprintf(w, "  %-20s %q usb=%s:%s%s\n", d.Event, d.Name, d.VendorID, d.ProductID, kbd)
	}
	fmt.Fprintln(w, "已配置扫描枪 / configured scanners:")
	if len(cfg.Scanners) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, s := range cfg.Scanners {
		fmt.Fprintf(w, "  %-12s driver=%s action=%s\n", s.Name, s.Driver, s.Action)
	}
	fmt.Fprintln(w, "已配置打印机 / configured printers:")
	if len(cfg.Printers) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, p := range cfg.Printers {
		fmt.Fprintf(w, "  %-12s driver=%s address=%s\n", p.Name, p.Driver, p.Address)
	}
	fmt.Fprintln(w, "已配置电子秤 / configured scales:")
	if len(cfg.Scales) == 0 {
		fmt.Fprintln(w, "  (none)")
	}
	for _, s := range cfg.Scales {
		fmt.Fprintf(w, "  %-12s driver=%s\n", s.Name, s.Driver)
	}
}

// listErr says why a list is empty: a system without that list says so
// (Windows has no keyboard event devices), a failure is a failure.
func listErr(w io.Writer, err error) {
	switch {
	case errors.Is(err, scanner.ErrNotListed):
		fmt.Fprintf(w, "  (%v)\n", err)
	case err != nil:
		fmt.Fprintf(w, "  (cannot list: %v)\n", err)
	}
}

// TestScan starts one scanner and prints every read with its verdict until
// ctx ends or n reads arrived (n <= 0: no limit). Nothing is saved.
func TestScan(ctx context.Context, w io.Writer, cfg Config, name string, n int) error {
	sc, ok := cfg.Scanner(name)
	if !ok {
		return fmt.Errorf("no scanner named %q in the config", name)
	}
	reads := make(chan scanner.Read, 16)
	dev, err := scanner.New(sc.Driver, sc.Name, sc.Config, scanner.Options{OnReject: func(r scanner.Reject) {
		fmt.Fprintf(w, "拒绝 / rejected  %q: %v\n", printable(r.Raw), r.Err)
	}})
	if err != nil {
		return err
	}
	if err := dev.Start(ctx, func(r scanner.Read) { reads <- r }); err != nil {
		return err
	}
	defer dev.Stop()
	fmt.Fprintf(w, "请扫码 / scan a barcode on %s (Ctrl-C to stop)\n", name)
	last := devices.State("")
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for got := 0; n <= 0 || got < n; {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			if st := dev.Status(); st.State != last {
				last = st.State
				fmt.Fprintf(w, "状态 / status: %s %s %s\n", st.State, st.Detail, st.Fix)
			}
		case r := <-reads:
			got++
			res := barcode.Validate(r.Text, r.AIM)
			verdict := "ok"
			if res.Err != nil {
				verdict = res.Err.Error()
			}
			fmt.Fprintf(w, "读到 / read %q symbology=%s kind=%s candidates=%v flags=%v: %s\n", r.Text, r.Symbology, res.Kind, res.Candidates, res.Flags, verdict)
		}
	}
	return nil
}

// TestPrint prints a test shelf label on the named printer now, bypassing
// the spool.
func TestPrint(ctx context.Context, w io.Writer, cfg Config, name string) error {
	pc, ok := cfg.Printer(name)
	if !ok {
		return fmt.Errorf("no printer named %q in the config", name)
	}
	if err := printer.TestPrint(ctx, pc, printer.Options{}); err != nil {
		return err
	}
	fmt.Fprintf(w, "测试标签已打印 / test label printed on %s\n", name)
	return nil
}

// Doctor checks the data directory and every configured device, writes each
// problem with its fix, and returns how many problems it found. more are
// checks the caller made (the data file's integrity), reported with them.
func Doctor(ctx context.Context, w io.Writer, cfg Config, dataDir string, more ...devices.Status) int {
	problems := 0
	report := func(st devices.Status) {
		mark := "正常 / ok"
		if st.State != devices.StateOK {
			mark = "有问题 / problem"
			problems++
		}
		fmt.Fprintf(w, "[%s] %s %s (%s): %s\n", mark, st.Kind, st.Name, st.Driver, st.State)
		if st.Detail != "" {
			fmt.Fprintf(w, "    %s\n", st.Detail)
		}
		if st.Fix != "" {
			fmt.Fprintf(w, "    处理 / fix: %s\n", st.Fix)
		}
	}
	if dataDir != "" {
		st := devices.Status{Name: dataDir, Kind: "data", Driver: "bbolt", State: devices.StateOK}
		if err := writable(dataDir); err != nil {
			st.State, st.Detail = devices.StateFault, err.Error()
			st.Fix = "检查目录权限与磁盘空间 / check the directory's owner and free disk space"
		}
		report(st)
	}
	for _, st := range more {
		report(st)
	}
	for _, sc := range cfg.Scanners {
		dev, err := scanner.New(sc.Driver, sc.Name, sc.Config, scanner.Options{})
		if err != nil {
			report(devices.Status{Name: sc.Name, Kind: "scanner", Driver: sc.Driver, State: devices.StateFault, Detail: err.Error(), Fix: "fix the scanner's config"})
			continue
		}
		st := scanner.Check(ctx, dev)
		st.Name, st.Kind, st.Driver = sc.Name, "scanner", sc.Driver
		report(st)
	}
	for _, sc := range cfg.Scales {
		dev, err := scale.Build(sc.Driver, sc.Name, sc.Config, scale.Options{})
		if err != nil {
			report(devices.Status{Name: sc.Name, Kind: "scale", Driver: sc.Driver, State: devices.StateFault, Detail: err.Error(), Fix: "fix the scale's config"})
			continue
		}
		report(dev.Check(ctx))
	}
	for _, st := range printer.CheckAll(ctx, cfg.Printers, printer.Options{}) {
		report(st)
	}
	return problems
}

func writable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".doctor-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(filepath.Clean(name))
}
