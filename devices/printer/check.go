package printer

import (
	"context"
	"fmt"
	"time"

	"github.com/yizhan/yizhan/devices"
)

// Check builds the printer cfg describes and asks its state. Every problem,
// from a bad config to a permission error to paper out, comes back as a
// status with Detail and Fix for `doctor` and the status page.
func Check(ctx context.Context, cfg Config, opts Options) devices.Status {
	d, err := New(cfg, opts)
	if err != nil {
		return devices.Status{
			Name: cfg.Name, Kind: "printer", Driver: cfg.Driver, State: devices.StateFault, Since: time.Now(),
			Code: "printer.config", Detail: "打印机配置错误 / printer config is wrong", Fix: err.Error(), LastErr: err.Error(),
		}
	}
	return d.Status(ctx).DeviceStatus(cfg.Name, cfg.Driver)
}

// CheckAll checks every configured printer, in config order.
func CheckAll(ctx context.Context, cfgs []Config, opts Options) []devices.Status {
	out := make([]devices.Status, len(cfgs))
	for i, c := range cfgs {
		out[i] = Check(ctx, c, opts)
	}
	return out
}

// TestLabel is the sample printed by `devices test-print`.
func TestLabel(now time.Time) ShelfLabel {
	return ShelfLabel{PickupCode: "0-0-0000", Phone: "13800000000", Waybill: "TEST0000000000", Date: now}
}

// TestPrint sends TestLabel to the printer cfg describes, after checking it
// is ready, and says what is wrong if it cannot.
func TestPrint(ctx context.Context, cfg Config, opts Options) error {
	d, err := New(cfg, opts)
	if err != nil {
		return err
	}
	r := d.Status(ctx)
	if !r.Ready() {
		st := r.DeviceStatus(cfg.Name, cfg.Driver)
		return fmt.Errorf("printer %q not ready: %s: %s", cfg.Name, st.Detail, st.Fix)
	}
	data, err := d.ShelfLabel(TestLabel(time.Now()))
	if err != nil {
		return fmt.Errorf("printer %q: render test label: %w", cfg.Name, err)
	}
	if err := d.Print(ctx, data); err != nil {
		return fmt.Errorf("printer %q: %w", cfg.Name, err)
	}
	return nil
}
