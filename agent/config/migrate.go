package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"strings"

	"github.com/yizhan/yizhan/agent/peripherals"
	"github.com/yizhan/yizhan/devices/printer"
	"github.com/yizhan/yizhan/syncproto/settings"
)

const cmdUsage = `Usage:
  yizhan-agent config migrate --from agent.json --to agent.toml

Writes the devices section of an older JSON config file as the [devices]
section of a TOML settings file (see deploy/agent.sample.toml), checks that
it loads to the same devices, and says what moved. It never overwrites.
`

// Command runs "yizhan-agent config ...". Exit codes: 0 done, 1 failed,
// 2 wrong usage or a broken file.
func Command(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "migrate" {
		if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
			fmt.Fprint(stdout, cmdUsage)
			return 0
		}
		fmt.Fprint(stderr, cmdUsage)
		return 2
	}
	fset := flag.NewFlagSet("config migrate", flag.ContinueOnError)
	fset.SetOutput(stderr)
	from := fset.String("from", "", "the JSON config file to read (required)")
	to := fset.String("to", "", "the TOML file to write; it must not exist (required)")
	if err := fset.Parse(args[1:]); err != nil {
		return 2
	}
	if *from == "" || *to == "" || fset.NArg() > 0 {
		fmt.Fprintf(stderr, "config migrate needs --from FILE.json and --to FILE.toml\n\n%s", cmdUsage)
		return 2
	}
	moved, err := Migrate(*from, *to)
	if err != nil {
		fmt.Fprintf(stderr, "yizhan-agent: %v\n", err)
		if errors.Is(err, fs.ErrExist) {
			return 1
		}
		return 2
	}
	fmt.Fprintf(stdout, "moved from %s to %s:\n", *from, *to)
	for _, m := range moved {
		fmt.Fprintf(stdout, "  %s\n", m)
	}
	fmt.Fprintf(stdout, "wrote %s; it loads to the same devices. Start the agent with --config %s, and move flags into its other sections as you like (see deploy/agent.sample.toml).\n", *to, *to)
	return 0
}

// Migrate writes the devices of the JSON file from as the TOML file to and
// returns the keys it moved. It refuses a broken source, an existing
// target, and any result that does not load back to the same devices.
func Migrate(from, to string) ([]string, error) {
	want, err := peripherals.LoadConfig(from) // checked, defaults filled
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(from)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", from, err)
	}
	devs, err := peripherals.DecodeJSON(raw) // as written, so defaults stay implicit
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", from, err)
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "# yizhan-agent settings, migrated from %s by \"yizhan-agent config migrate\".\n", from)
	out.WriteString("# Only the devices moved. The other sections ([outlet], [data], [http], [sync],\n" +
		"# [pii], [log], [counter], [complaints]) are described in deploy/agent.sample.toml;\n" +
		"# flags and environment variables override this file.\n\n")
	if err := settings.Encode(&out, struct {
		Devices peripherals.Config `toml:"devices"`
	}{devs}); err != nil {
		return nil, err
	}
	l, err := bind(flag.NewFlagSet("migrate", flag.ContinueOnError))
	if err != nil {
		return nil, err
	}
	if err := l.loadBytes(to, out.Bytes(), nil); err != nil {
		return nil, fmt.Errorf("the migrated file does not load (please report this): %w", err)
	}
	if !SameDevices(want, l.Devices) {
		return nil, fmt.Errorf("the migrated file loads to other devices than %s (please report this); nothing written", from)
	}
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s already exists; choose another --to or move it away: %w", to, err)
		}
		return nil, err
	}
	if _, err := f.Write(out.Bytes()); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return movedKeys(devs), nil
}

func movedKeys(c peripherals.Config) []string {
	var moved []string
	list := func(key string, names []string) {
		if len(names) > 0 {
			moved = append(moved, fmt.Sprintf("devices.%s (%d: %s)", key, len(names), strings.Join(names, ", ")))
		}
	}
	var names []string
	for _, s := range c.Scanners {
		names = append(names, s.Name)
	}
	list("scanners", names)
	names = nil
	for _, p := range c.Printers {
		names = append(names, p.Name)
	}
	list("printers", names)
	names = nil
	for _, s := range c.Scales {
		names = append(names, s.Name)
	}
	list("scales", names)
	for _, r := range [][2]string{{"label_printer", c.LabelPrinter}, {"receipt_printer", c.ReceiptPrinter}, {"waybill_printer", c.WaybillPrinter}} {
		if r[1] != "" {
			moved = append(moved, fmt.Sprintf("devices.%s = %q", r[0], r[1]))
		}
	}
	return moved
}

// SameDevices reports whether two device sections configure the same
// devices; a driver's settings compare as JSON values, not as bytes.
func SameDevices(a, b peripherals.Config) bool {
	norm := func(raw json.RawMessage) json.RawMessage {
		if len(raw) == 0 {
			return nil
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			return raw
		}
		out, _ := json.Marshal(v)
		return out
	}
	// Copies, so the callers' slices stay as they are; empty is as none.
	for _, c := range []*peripherals.Config{&a, &b} {
		c.Printers = append([]printer.Config(nil), c.Printers...)
		c.Scanners = append([]peripherals.ScannerConfig(nil), c.Scanners...)
		for i := range c.Scanners {
			c.Scanners[i].Config = norm(c.Scanners[i].Config)
		}
		c.Scales = append([]peripherals.ScaleConfig(nil), c.Scales...)
		for i := range c.Scales {
			c.Scales[i].Config = norm(c.Scales[i].Config)
		}
	}
	return reflect.DeepEqual(a, b)
}
