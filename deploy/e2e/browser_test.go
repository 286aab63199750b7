package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The counter PC's most common screen.
const screenW, screenH = 1366, 768

const chromiumHint = "install it with `sudo DEBIAN_FRONTEND=noninteractive apt-get install -y chromium` " +
	"(Debian/Ubuntu), or run deploy/ci/install-deps.sh as root"

var chromiumFound struct {
	sync.Mutex
	path string
	err  error
}

// chromiumPath finds Debian's chromium, installing the package when running
// as root. It fails the test, never skips it: a browser test that quietly
// does not run proves nothing.
func chromiumPath(t testing.TB) string {
	t.Helper()
	f := &chromiumFound
	f.Lock()
	defer f.Unlock()
	if f.path == "" && f.err == nil {
		f.path, f.err = findOrInstallChromium()
	}
	if f.err != nil {
		t.Fatal(f.err)
	}
	return f.path
}

func lookChromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

func findOrInstallChromium() (string, error) {
	if p := lookChromium(); p != "" {
		return p, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("chromium not found; the browser test needs Debian's chromium: " + chromiumHint)
	}
	install := func() ([]byte, error) {
		cmd := exec.Command("apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	if _, err := install(); err != nil {
		// The package lists may be missing or stale on a fresh machine.
		if out, err := exec.Command("apt-get", "update", "-qq").CombinedOutput(); err != nil {
			return "", fmt.Errorf("apt-get update failed: %v\n%s\n%s", err, out, chromiumHint)
		}
		if out, err := install(); err != nil {
			return "", fmt.Errorf("apt-get install chromium failed: %v\n%s\n%s", err, out, chromiumHint)
		}
	}
	if p := lookChromium(); p != "" {
		return p, nil
	}
	return "", errors.New("apt-get installed chromium but no chromium binary is in PATH; " + chromiumHint)
}

// ensureCJKFont makes sure chromium can draw Chinese, installing Debian's
// Noto CJK fonts as root when none is present. Screenshots without one show
// empty boxes, which would be committed as the product's picture.
func ensureCJKFont(t testing.TB) {
	t.Helper()
	has := func() bool {
		out, err := exec.Command("fc-list", ":lang=zh", "family").Output()
		return err == nil && len(strings.TrimSpace(string(out))) > 0
	}
	if has() {
		return
	}
	const hint = "install one with `sudo DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-noto-cjk`, or run deploy/ci/install-deps.sh as root"
	if os.Geteuid() != 0 {
		t.Fatal("no Chinese font for the screenshots; " + hint)
	}
	cmd := exec.Command("apt-get", "install", "-y", "-qq", "--no-install-recommends", "fonts-noto-cjk")
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	if out, err := cmd.CombinedOutput(); err != nil || !has() {
		t.Fatalf("installing fonts-noto-cjk failed: %v\n%s\n%s", err, out, hint)
	}
}

// browser is a chromium tab sized like a counter PC's screen, with the
// page's uncaught exceptions collected for the test to check.
type browser struct {
	ctx context.Context

	mu         sync.Mutex
	exceptions []string
	// consoleErrors are the page's console.error calls and the browser's
	// error log entries (a failed request among them), with their URL.
	consoleErrors []string
}

// newBrowser starts headless chromium with a fresh profile. The flags are
// exactly those that keep chromium from calling out of a closed network.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "chromium.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(screenW, screenH),
		chromedp.CombinedOutput(logFile),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	// chromedp may log from its own goroutines while the test ends; drop
	// those lines once the test is done rather than panic in t.Logf.
	var logMu sync.Mutex
	done := false
	logf := func(format string, args ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		if !done {
			t.Logf("chromedp: "+format, args...)
		}
	}
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(logf), chromedp.WithErrorf(logf))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		logFile.Close()
		logMu.Lock()
		done = true
		logMu.Unlock()
		if t.Failed() {
			t.Logf("chromium log tail:\n%s", tailFile(logPath, 30))
		}
	})
	// The first Run starts the browser: no timeout on it (that would stop the
	// browser), so a hung start is left to the test's own timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(screenW, screenH, chromedp.EmulateTouch)); err != nil {
		t.Fatalf("start chromium: %v\n%s", err, tailFile(logPath, 30))
	}
	b := &browser{ctx: ctx}
	go b.watchConsole()
	return b
}

// watchConsole records uncaught exceptions: the screen must never fail
// silently into a blank page.
func (b *browser) watchConsole() {
	for m, err := range chromedp.Console(b.ctx) {
		if err != nil {
			return
		}
		if m.IsException() {
			b.mu.Lock()
			b.exceptions = append(b.exceptions, m.String())
			b.mu.Unlock()
		}
		if m.Type == chromedp.ConsoleError {
			b.mu.Lock()
			b.consoleErrors = append(b.consoleErrors, m.String()+" ("+m.URL+")")
			b.mu.Unlock()
		}
	}
}

// checkNoExceptions fails the test if the page threw anything uncaught.
func (b *browser) checkNoExceptions(t *testing.T) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.exceptions {
		t.Errorf("uncaught exception in the page: %s", e)
	}
}

// checkNoConsoleErrors fails the test for every console error the page or
// the browser logged, except those for which ignore is true.
func (b *browser) checkNoConsoleErrors(t *testing.T, ignore func(string) bool) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.consoleErrors {
		if ignore == nil || !ignore(e) {
			t.Errorf("console error in the page: %s", e)
		}
	}
}

func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// step runs browser actions under a deadline and fails the test with what
// the page shows when they do not complete.
func (b *browser) step(t *testing.T, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, b.pageState())
	}
}

// read runs one action that returns a value, under a deadline.
func read[T any](t *testing.T, b *browser, what string, action chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatalf("%s: %v\n%s", what, err, b.pageState())
	}
	return v
}

// pageState describes the page for a failure message: the route, any error
// banner, and the start of the visible text.
func (b *browser) pageState() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const err = document.querySelector('#error-banner');
		return 'url: ' + location.href +
			'\nerror banner: ' + (err && !err.hidden ? err.innerText : '(none)') +
			'\npage text: ' + document.body.innerText.slice(0, 800);
	})()`))
	if err != nil {
		return "(page state unavailable: " + err.Error() + ")"
	}
	return s
}

// waitJS polls a JavaScript condition in the page until it is true.
func waitJS(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))(ctx, t)
		if err != nil {
			return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", expr, err)
		}
		return chromedp.Void{}, nil
	}
}

// runJS runs a JavaScript statement in the page.
func runJS(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Evaluate[*runtime.RemoteObject](expr)(ctx, t)
		return err
	})
}

// focusedIs waits until the element with id has the keyboard focus.
func focusedIs(id string) chromedp.Action[chromedp.Void] {
	return waitJS(fmt.Sprintf(`document.activeElement && document.activeElement.id === %q`, id))
}

// typeFocused types text into whatever has focus, key by key, as a
// keyboard-wedge scanner does. It refuses Enter: end a code with pressEnter,
// which sends the key as a keyboard does.
func typeFocused(text string) chromedp.Action[chromedp.Void] {
	if strings.ContainsAny(text, "\r\n") {
		return chromedp.Func(func(context.Context, *chromedp.Target) error {
			return fmt.Errorf("typeFocused(%q): send Enter with pressEnter, not as a character", text)
		})
	}
	return chromedp.KeyEvent(text)
}

// pressEnter sends Enter to whatever has focus the way a real keyboard (or a
// wedge scanner) does: a key down carrying the key's code, key and virtual
// key code, and the text it produces, then a key up. Every browser test ends
// a code or submits a form with Enter through here, so a page that listens
// for e.code or e.keyCode, or one that loses the key up, is tested as the
// counter's hardware drives it.
func pressEnter() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		key := input.DispatchKeyEventParams{Code: "Enter", Key: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13}
		down := key
		down.Type, down.Text, down.UnmodifiedText = input.DispatchKeyEventTypeKeyDown, "\r", "\r"
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, down); err != nil {
			return fmt.Errorf("Enter key down: %w", err)
		}
		up := key
		up.Type = input.DispatchKeyEventTypeKeyUp
		if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, up); err != nil {
			return fmt.Errorf("Enter key up: %w", err)
		}
		return nil
	})
}

// topLeft is the page position of the element's box.
func topLeft(ctx context.Context, t *chromedp.Target, sel string) (x, y float64, err error) {
	p, err := chromedp.Evaluate[[2]float64](fmt.Sprintf(
		`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return [r.left, r.top]; })()`, sel))(ctx, t)
	return p[0], p[1], err
}

// drawStroke drags the mouse through points (relative to the element's top
// left corner): real input, so the page sees pointerdown, pointermove and
// pointerup.
func drawStroke(sel string, points [][2]float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		x0, y0, err := topLeft(ctx, t, sel)
		if err != nil {
			return err
		}
		mouse := func(typ input.DispatchMouseEventType, i, buttons int) error {
			p := input.DispatchMouseEventParams{Type: typ, X: x0 + points[i][0], Y: y0 + points[i][1],
				Button: input.MouseButtonLeft, Buttons: int64(buttons)}
			if typ != chromedp.MouseMoved {
				p.ClickCount = 1
			}
			_, err := cdp.Call(ctx, t, input.DispatchMouseEvent, p)
			return err
		}
		if err := mouse(chromedp.MousePressed, 0, 1); err != nil {
			return err
		}
		for i := 1; i < len(points); i++ {
			if err := mouse(chromedp.MouseMoved, i, 1); err != nil {
				return err
			}
		}
		return mouse(chromedp.MouseReleased, len(points)-1, 0)
	})
}

// drawTouch draws one stroke with a finger, through touch input.
func drawTouch(sel string, points [][2]float64) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		x0, y0, err := topLeft(ctx, t, sel)
		if err != nil {
			return err
		}
		one := 1.0
		touch := func(typ input.DispatchTouchEventType, pts []*input.TouchPoint) error {
			_, err := cdp.Call(ctx, t, input.DispatchTouchEvent, input.DispatchTouchEventParams{Type: typ, TouchPoints: pts})
			return err
		}
		at := func(i int) []*input.TouchPoint {
			return []*input.TouchPoint{{X: x0 + points[i][0], Y: y0 + points[i][1], RadiusX: &one, RadiusY: &one, Force: &one, ID: &one}}
		}
		if err := touch(input.DispatchTouchEventTypeTouchStart, at(0)); err != nil {
			return err
		}
		for i := 1; i < len(points); i++ {
			if err := touch(input.DispatchTouchEventTypeTouchMove, at(i)); err != nil {
				return err
			}
		}
		return touch(input.DispatchTouchEventTypeTouchEnd, []*input.TouchPoint{})
	})
}
