// The measures page's pure half: it turns an answer of GET /api/v1/measures
// ({from, to, by, period, measures, rows: [{key, period, values}], total})
// into the ranking table's rows and into ECharts option objects — a ranking
// bar chart across outlets, regions or persons for one measure, a trend line
// over the periods, the satisfaction distribution. No DOM and no ECharts
// here: the page hands the options to echarts.setOption, and node --test
// checks them (jstest/charts.test.js).
//
// The options keep to the screen's CSP: tooltips are drawn on the canvas
// (renderMode 'richText'), never as HTML with inline styles, and every
// label goes through a formatter of ours, never an HTML template.
//
// t is the screen's translator, passed in so the tests choose the words.

// A value's kind follows from its name's ending, the contract's naming.
export function measureKind(name) {
  if (name.endsWith('_ms')) return 'duration';
  if (name.endsWith('_ratio')) return 'ratio';
  if (name.endsWith('_cents')) return 'money';
  if (name === 'satisfaction.avg' || name === 'surveys.avg') return 'score';
  return 'count';
}

// LOWER_IS_BETTER are the measures where the best outlet has the smallest
// value; the ranking puts the best first, so these sort ascending.
const LOWER_IS_BETTER = new Set([
  'complaints.sla_breaches', 'complaints.escalations', 'parcels.overdue', 'parcels.returned',
  'handovers.missing_ratio', 'handovers.extra_ratio', 'exceptions.claims', 'exceptions.claim_amount_cents',
]);

// lowerIsBetter reports whether a smaller value ranks higher: times
// (first reply, handling, dwell) and the counts of things that went wrong.
export function lowerIsBetter(name) {
  return measureKind(name) === 'duration' || LOWER_IS_BETTER.has(name);
}

// has reports whether t knows key (t answers the key itself when not).
const has = (t, key) => t(key) !== key;

// measureLabel is a measure's name on the screen, measure.<name> — the
// words of hub/measures' one table, per exception kind too; a name the
// dictionaries do not know yet shows as itself.
export function measureLabel(name, t) {
  return has(t, 'measure.' + name) ? t('measure.' + name) : name;
}

// measureDef is a measure's one-sentence definition, measure.<name>.def,
// '' when the dictionaries have none.
export function measureDef(name, t) {
  return has(t, 'measure.' + name + '.def') ? t('measure.' + name + '.def') : '';
}

// definitions are the definitions panel's lines, in the answer's order.
export function definitions(names, t) {
  return names.map((name) => ({ name, label: measureLabel(name, t), def: measureDef(name, t) }));
}

// formatMeasure writes a value as the table shows it: a time in seconds,
// minutes, hours or days, a ratio in per cent, money in yuan, the average score with
// two decimals, a count as a whole number. null (no data: no complaint
// answered in the period, say) is a dash, not a zero.
export function formatMeasure(name, v, t) {
  if (v == null || Number.isNaN(Number(v))) return '—';
  const n = Number(v);
  switch (measureKind(name)) {
    case 'duration': {
      const sec = n / 1000, min = n / 60000;
      if (min < 1) return t('measures.unit.s', { n: round(sec, sec < 10 ? 1 : 0) });
      if (min < 60) return t('measures.unit.min', { n: round(min, min < 10 ? 1 : 0) });
      const h = min / 60;
      if (h < 48) return t('measures.unit.h', { n: round(h, 1) });
      return t('measures.unit.d', { n: round(h / 24, 1) });
    }
    case 'ratio': return round(n * 100, 1) + '%';
    case 'money': return '¥' + (n / 100).toFixed(2);
    case 'score': return n.toFixed(2);
    default: return Math.round(n).toLocaleString('en-US');
  }
}

// round keeps d decimals and drops a trailing .0.
function round(x, d) {
  const f = 10 ** d;
  return String(Math.round(x * f) / f);
}

// keyLabel names a row's key: the outlet, region or person as written, or
// the network's words for by=all.
export function keyLabel(by, key, t) {
  if (by === 'all' || key === '' || key == null) return t('measures.by.all');
  return String(key);
}

// periods are the answer's periods (their first days), oldest first.
export function periods(answer) {
  return [...new Set((answer?.rows || []).map((r) => r.period))].sort();
}

// rankingRows are the rows of one period, one per key; period defaults to
// the latest the answer has.
export function rankingRows(answer, period) {
  const ps = periods(answer);
  const p = period ?? ps[ps.length - 1];
  return (answer?.rows || []).filter((r) => r.period === p).map((r) => ({ key: r.key, period: r.period, values: r.values || {} }));
}

// sortRows orders rows by one measure, 'asc' or 'desc'; rows without a
// value go last either way, and ties keep the keys' order, so the order
// is the same on every reload.
export function sortRows(rows, measure, dir) {
  const sign = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a.values?.[measure], y = b.values?.[measure];
    const xn = x == null, yn = y == null;
    if (xn || yn) return xn === yn ? cmpKey(a, b) : xn ? 1 : -1;
    return x === y ? cmpKey(a, b) : (x - y) * sign;
  });
}

const cmpKey = (a, b) => (String(a.key) < String(b.key) ? -1 : String(a.key) > String(b.key) ? 1 : 0);

// bestFirst is the direction that ranks the best first for a measure.
export function bestFirst(measure) {
  return lowerIsBetter(measure) ? 'asc' : 'desc';
}

// scaleFor is how a chart plots a measure's values: times in the unit
// that suits the largest (seconds, minutes, hours or days), so the axis gets round
// ticks (2 h, not 7,200,000 ms); everything else as it is. div divides a
// value into the unit, axis labels a tick in the unit, and tip writes a
// plotted value back in the table's words.
export function scaleFor(name, values, t) {
  if (measureKind(name) !== 'duration') {
    const f = (v) => formatMeasure(name, v, t);
    return { div: 1, axis: f, tip: f };
  }
  const max = Math.max(0, ...values.filter((v) => v != null).map(Number));
  const [div, key] = max >= 72 * 3600000 ? [86400000, 'measures.unit.d'] : max >= 3600000 ? [3600000, 'measures.unit.h']
    : max >= 60000 ? [60000, 'measures.unit.min'] : [1000, 'measures.unit.s'];
  return {
    div,
    axis: (v) => t(key, { n: round(v, 3) }),
    tip: (v) => formatMeasure(name, v == null ? v : v * div, t),
  };
}

// plotted divides values into the scale's unit; null stays a gap.
const plotted = (values, sc) => values.map((v) => (v == null ? null : sc.div === 1 ? v : v / sc.div));

// tooltip is every chart's tooltip: drawn on the canvas, not as HTML.
function tooltip(trigger, sc) {
  return { trigger, renderMode: 'richText', confine: true, valueFormatter: sc.tip };
}

// valueAxis is an axis of a measure's plotted values, labelled in its unit.
function valueAxis(name, sc) {
  const axis = { type: 'value', axisLabel: { formatter: sc.axis } };
  if (measureKind(name) === 'ratio') Object.assign(axis, { min: 0, max: 1 });
  return axis;
}

// rankingOption is a horizontal bar chart of one measure across the keys of
// one period, the best at the top. Keys without a value are left out of
// the chart (the table shows them with a dash).
export function rankingOption({ answer, measure, period, t, limit = 30 }) {
  const rows = sortRows(rankingRows(answer, period), measure, bestFirst(measure))
    .filter((r) => r.values[measure] != null).slice(0, limit);
  // ECharts draws a category axis from the bottom up; reversed, the best
  // row is on top.
  const shown = [...rows].reverse();
  const values = shown.map((r) => r.values[measure]);
  const sc = scaleFor(measure, values, t);
  return {
    animation: false,
    title: { text: measureLabel(measure, t), left: 'left', textStyle: { fontSize: 14 } },
    tooltip: tooltip('axis', sc),
    grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
    xAxis: valueAxis(measure, sc),
    yAxis: { type: 'category', data: shown.map((r) => keyLabel(answer.by, r.key, t)) },
    series: [{ type: 'bar', name: measureLabel(measure, t), barMaxWidth: 28, data: plotted(values, sc) }],
  };
}

// trendKeys are the keys the trend chart draws: all for a few, else the
// best `top` of the latest period that has them.
export function trendKeys(answer, measure, top = 8) {
  const keys = [...new Set((answer?.rows || []).map((r) => r.key))];
  if (keys.length <= top) return keys.sort();
  return sortRows(rankingRows(answer), measure, bestFirst(measure)).slice(0, top).map((r) => r.key);
}

// trendOption is a line per key of one measure over the periods. A period
// without a value is a gap in the line (null), not a drop to zero.
export function trendOption({ answer, measure, t, keys }) {
  const ps = periods(answer);
  const ks = keys || trendKeys(answer, measure);
  const at = new Map((answer?.rows || []).map((r) => [r.key + '\u0000' + r.period, r.values || {}]));
  const lines = ks.map((k) => ps.map((p) => at.get(k + '\u0000' + p)?.[measure] ?? null));
  const sc = scaleFor(measure, lines.flat(), t);
  return {
    animation: false,
    title: { text: measureLabel(measure, t), left: 'left', textStyle: { fontSize: 14 } },
    tooltip: tooltip('axis', sc),
    legend: { type: 'scroll', top: 24 },
    // Room on the right for the last period's label, which the line's
    // last point sits under.
    grid: { left: 8, right: 48, top: 64, bottom: 8, containLabel: true },
    xAxis: { type: 'category', boundaryGap: false, data: ps },
    yAxis: valueAxis(measure, sc),
    series: ks.map((k, i) => ({
      type: 'line', name: keyLabel(answer.by, k, t), connectNulls: false, showSymbol: true, data: plotted(lines[i], sc),
    })),
  };
}

// SCORES are the satisfaction scores, 1 (worst) to 5.
export const SCORES = [1, 2, 3, 4, 5];

// satisfactionOption is the distribution of satisfaction scores over the
// answer's total (or the values given): how many complaints were rated 1
// to 5, with the average in the title.
export function satisfactionOption({ values, t }) {
  const v = values || {};
  const avg = v['satisfaction.avg'];
  return {
    animation: false,
    title: {
      text: t('measures.chart.satisfaction'),
      subtext: avg == null ? '' : measureLabel('satisfaction.avg', t) + ' ' + formatMeasure('satisfaction.avg', avg, t),
      left: 'left', textStyle: { fontSize: 14 },
    },
    tooltip: tooltip('axis', scaleFor('satisfaction.n1', [], t)),
    grid: { left: 8, right: 24, top: 72, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: SCORES.map((s) => t('measures.score', { n: s })) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', name: t('measures.chart.satisfaction'), data: SCORES.map((s) => Number(v['satisfaction.n' + s] || 0)) }],
  };
}

// hasSatisfaction reports whether the answer carries the distribution.
export function hasSatisfaction(answer) {
  return SCORES.every((s) => (answer?.measures || []).includes('satisfaction.n' + s));
}

// ---------------------------------------------------------------------------
// The page's range

// isoDay writes a date as YYYY-MM-DD in the local time zone.
export function isoDay(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

// lastWeek is the page's default range: Monday to Sunday of the week
// before now's, weeks starting on Monday as the measures' weeks do.
export function lastWeek(now = new Date()) {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const sinceMonday = (d.getDay() + 6) % 7;
  const monday = new Date(d.getFullYear(), d.getMonth(), d.getDate() - sinceMonday - 7);
  const sunday = new Date(monday.getFullYear(), monday.getMonth(), monday.getDate() + 6);
  return { from: isoDay(monday), to: isoDay(sunday) };
}
