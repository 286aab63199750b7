package load

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// csvHeader names the columns of WriteCSV, one per field of Second.
var csvHeader = []string{"second", "sim_time", "appended", "acked", "latency_p50_ms", "latency_p99_ms", "latency_max_ms",
	"backlog", "owed", "connected", "connects", "connect_errors", "refused", "offline_dials", "link_down"}

// WriteCSV writes one row per second under a header row.
func (rep *Report) WriteCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(csvHeader, ",") + "\n")
	ms := func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
	}
	for _, s := range rep.Seconds {
		down := 0
		if s.LinkDown {
			down = 1
		}
		fmt.Fprintf(bw, "%d,%s,%d,%d,%s,%s,%s,%d,%d,%d,%d,%d,%d,%d,%d\n", s.T, clockTime(s.SimHour), s.Appended, s.Acked,
			ms(s.P50), ms(s.P99), ms(s.Max), s.Backlog, s.Owed, s.Connected, s.Connects, s.ConnectErrors, s.Refused, s.OfflineDials, down)
	}
	return bw.Flush()
}

// clockTime writes an hour of the day as HH:MM:SS.
func clockTime(hour float64) string {
	s := int(math.Round(hour*3600)) % 86400
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s%3600/60, s%60)
}

// A plot is four panels over the run's seconds, one above the other,
// sharing the time axis; the simulated outage is shaded in each.
const (
	plotWidth   = 960
	panelHeight = 150
	panelGap    = 40
	marginLeft  = 80
	marginRight = 20
	marginTop   = 40
)

type series struct {
	name  string
	color string
	value func(Second) float64
	// latency is only known for seconds that acknowledged something: the
	// line passes over the others instead of dropping to zero.
	latency bool
}

type panel struct {
	title  string
	unit   string
	series []series
}

func panels() []panel {
	return []panel{
		{"events a second", "events/s", []series{
			{"acknowledged", "#1f77b4", func(s Second) float64 { return float64(s.Acked) }, false},
			{"appended", "#aaaaaa", func(s Second) float64 { return float64(s.Appended) }, false},
		}},
		{"backlog (appended, not acknowledged)", "events", []series{
			{"backlog", "#d62728", func(s Second) float64 { return float64(s.Backlog) }, false},
		}},
		{"latency, append to acknowledgement", "ms", []series{
			{"p99", "#9467bd", func(s Second) float64 { return float64(s.P99) / float64(time.Millisecond) }, true},
			{"p50", "#c5b0d5", func(s Second) float64 { return float64(s.P50) / float64(time.Millisecond) }, true},
		}},
		{"connections", "outlets", []series{
			{"connected", "#2ca02c", func(s Second) float64 { return float64(s.Connected) }, false},
			{"connects/s", "#ff7f0e", func(s Second) float64 { return float64(s.Connects) }, false},
			{"errors/s", "#8c564b", func(s Second) float64 { return float64(s.ConnectErrors) }, false},
		}},
	}
}

// WriteSVG draws the run: events acknowledged a second, the backlog, the
// p99 (and p50) latency and the connections over time, the outage shaded.
func (rep *Report) WriteSVG(w io.Writer, title string) error {
	ps := panels()
	height := marginTop + len(ps)*(panelHeight+panelGap)
	inner := float64(plotWidth - marginLeft - marginRight)
	tMax := 1
	if n := len(rep.Seconds); n > 0 {
		tMax = max(rep.Seconds[n-1].T, 1)
	}
	x := func(t float64) float64 { return marginLeft + inner*t/float64(tMax) }
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		plotWidth, height, plotWidth, height)
	fmt.Fprintf(bw, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(bw, `<text x="%d" y="20" font-size="14">%s</text>`+"\n", marginLeft, esc(title))
	for i, p := range ps {
		top := float64(marginTop + i*(panelHeight+panelGap))
		bottom := top + panelHeight
		hi := 0.0
		for _, s := range rep.Seconds {
			for _, se := range p.series {
				hi = math.Max(hi, se.value(s))
			}
		}
		hi = niceCeil(hi)
		y := func(v float64) float64 { return bottom - panelHeight*v/hi }
		if rep.StormStart >= 0 {
			end := rep.StormEnd
			if end < 0 { // still down at the end
				end = time.Duration(tMax) * time.Second
			}
			x0, x1 := x(rep.StormStart.Seconds()), x(math.Min(end.Seconds(), float64(tMax)))
			fmt.Fprintf(bw, `<rect x="%.1f" y="%.1f" width="%.1f" height="%d" fill="#f3e0e0"/>`+"\n", x0, top, math.Max(x1-x0, 1), panelHeight)
		}
		fmt.Fprintf(bw, `<rect x="%d" y="%.1f" width="%.0f" height="%d" fill="none" stroke="#444"/>`+"\n", marginLeft, top, inner, panelHeight)
		fmt.Fprintf(bw, `<text x="%d" y="%.1f" font-size="12">%s</text>`+"\n", marginLeft, top-6, esc(p.title))
		for _, v := range []float64{0, hi / 2, hi} {
			fmt.Fprintf(bw, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", marginLeft-6, y(v)+4, esc(label(v)))
			fmt.Fprintf(bw, `<line x1="%d" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd"/>`+"\n", marginLeft, marginLeft+inner, y(v), y(v))
		}
		fmt.Fprintf(bw, `<text x="12" y="%.1f" transform="rotate(-90 12 %.1f)" text-anchor="middle">%s</text>`+"\n", top+panelHeight/2, top+panelHeight/2, esc(p.unit))
		for j, se := range p.series {
			var pts strings.Builder
			for _, s := range rep.Seconds {
				if se.latency && s.Acked == 0 {
					continue
				}
				fmt.Fprintf(&pts, "%.1f,%.1f ", x(float64(s.T)), y(se.value(s)))
			}
			fmt.Fprintf(bw, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", se.color, strings.TrimSpace(pts.String()))
			lx := marginLeft + inner - float64(len(p.series)-j)*110
			fmt.Fprintf(bw, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="3"/><text x="%.0f" y="%.1f">%s</text>`+"\n",
				lx, lx+16, top-10, top-10, se.color, lx+20, top-6, esc(se.name))
		}
		for _, t := range ticks(tMax) {
			fmt.Fprintf(bw, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`+"\n", x(float64(t)), bottom+14, esc(fmt.Sprintf("%ds", t)))
		}
	}
	bw.WriteString("</svg>\n")
	return bw.Flush()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (at least 1).
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// ticks are about six round seconds along an axis to tMax.
func ticks(tMax int) []int {
	step := max(int(niceCeil(float64(tMax)/6)), 1)
	var out []int
	for t := 0; t <= tMax; t += step {
		out = append(out, t)
	}
	return out
}

func label(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(v/1e3, 'g', 3, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// Summary is the run in a few lines: totals, when every outlet was
// connected, the peak connect rate and the worst p99.
func (rep *Report) Summary() string {
	var peakConn uint64
	var worst time.Duration
	var errs uint64
	for _, s := range rep.Seconds {
		peakConn = max(peakConn, s.Connects)
		worst = max(worst, s.P99)
		errs += s.ConnectErrors
	}
	var b strings.Builder
	fmt.Fprintf(&b, "outlets %d, run %.1fs\n", len(rep.Outlets), rep.Elapsed.Seconds())
	fmt.Fprintf(&b, "events appended %d, acknowledged %d, append errors %d, drained %v\n", rep.Appended, rep.Acked, rep.AppendErrors, rep.Drained)
	if rep.Elapsed > 0 {
		fmt.Fprintf(&b, "acknowledged %.0f events/s over the run\n", float64(rep.Acked)/rep.Elapsed.Seconds())
	}
	if rep.AllConnected > 0 {
		fmt.Fprintf(&b, "every outlet connected %.1fs after the start\n", rep.AllConnected.Seconds())
	} else {
		b.WriteString("never were all outlets connected at once\n")
	}
	fmt.Fprintf(&b, "peak connects %d/s, connect errors %d, worst p99 latency %v\n", peakConn, errs, worst.Round(time.Millisecond))
	kinds := make([]string, 0, len(rep.Errors))
	for k := range rep.Errors {
		kinds = append(kinds, k)
	}
	slices.SortFunc(kinds, func(a, b string) int { return cmp.Or(rep.Errors[b]-rep.Errors[a], strings.Compare(a, b)) })
	for _, k := range kinds[:min(len(kinds), 3)] {
		fmt.Fprintf(&b, "  %d× %s\n", rep.Errors[k], k)
	}
	return b.String()
}
