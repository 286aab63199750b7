// The forecast page's pure half: it turns an answer of GET
// /api/v1/forecast (hub/peak's Plan: history, days with band and clerks,
// the calendar's events, the backtest) into an ECharts option — history,
// forecast, its band, head office's events marked — and into the staffing
// table's rows. No DOM and no ECharts here (jstest/forecast.test.js).
//
// The option keeps to the screen's CSP as charts.js does: tooltips drawn
// on the canvas (renderMode 'richText'), labels through our formatters.

// SHOWN_DAYS is how much history the chart opens on; the zoom bar reaches
// back over the whole history.
export const SHOWN_DAYS = 120;

// eventName is a calendar event's name in lang.
export function eventName(e, lang) {
  return (lang === 'en' ? e?.name_en || e?.name_zh : e?.name_zh || e?.name_en) || '';
}

// forecastQuery is the API query of the page's hash query: an outlet, a
// region, or neither (all outlets); nothing else (the hub refuses it).
export function forecastQuery(query) {
  const q = {};
  const outlet = String(query?.outlet || '').trim();
  const region = String(query?.region || '').trim();
  if (outlet) q.outlet = outlet;
  else if (region) q.region = region;
  return q;
}

// dayRows are the staffing table's rows: one per forecast day.
export function dayRows(plan, lang) {
  return (plan?.days || []).map((d) => ({
    date: d.date,
    event: (lang === 'en' ? d.event_en || d.event_zh : d.event_zh || d.event_en) || '',
    expected: d.expected, low: d.low, high: d.high, hours: d.hours, clerks: d.clerks,
    uplift: d.uplift,
  }));
}

// forecastOption is the chart: the history as a line, the forecast as a
// dashed line over its band (an area between low and high), and each
// calendar event in the range as a shaded span labelled with its name.
export function forecastOption({ plan, t, lang }) {
  const hist = plan?.history || [];
  const days = plan?.days || [];
  const dates = [...hist.map((d) => d.date), ...days.map((d) => d.date)];
  const n = hist.length;
  const pad = (arr, at) => [...Array(at).fill(null), ...arr];
  const first = dates[0] || '';
  const last = dates[dates.length - 1] || '';
  const within = (e) => e.last >= first && e.first <= last;
  const clamp = (s) => (s < first ? first : s > last ? last : s);
  const areas = (plan?.events || []).filter(within).map((e) => [
    { name: eventName(e, lang), xAxis: clamp(e.first) }, { xAxis: clamp(e.last) },
  ]);
  const start = dates.length > SHOWN_DAYS + days.length ? Math.round(100 * (1 - (SHOWN_DAYS + days.length) / dates.length)) : 0;
  return {
    animation: false,
    title: { text: t('fcst.chart'), left: 'left', textStyle: { fontSize: 14 } },
    tooltip: { trigger: 'axis', renderMode: 'richText', confine: true },
    legend: { top: 24, data: [t('fcst.history'), t('fcst.expected'), t('fcst.band')] },
    grid: { left: 8, right: 24, top: 64, bottom: 48, containLabel: true },
    dataZoom: [{ type: 'slider', start, end: 100, bottom: 8 }],
    xAxis: { type: 'category', boundaryGap: false, data: dates },
    yAxis: { type: 'value', min: 0 },
    series: [
      {
        type: 'line', name: t('fcst.history'), showSymbol: false, data: [...hist.map((d) => d.parcels), ...Array(days.length).fill(null)],
        markArea: { silent: true, itemStyle: { color: 'rgba(250, 176, 5, 0.18)' }, label: { position: 'insideTop', fontSize: 11 }, data: areas },
      },
      { type: 'line', name: t('fcst.band'), stack: 'band', showSymbol: false, lineStyle: { opacity: 0 }, data: pad(days.map((d) => d.low), n), tooltip: { show: false } },
      { type: 'line', name: t('fcst.band'), stack: 'band', showSymbol: false, lineStyle: { opacity: 0 }, areaStyle: { opacity: 0.25 }, data: pad(days.map((d) => d.high - d.low), n), tooltip: { show: false } },
      { type: 'line', name: t('fcst.expected'), showSymbol: true, lineStyle: { type: 'dashed' }, data: pad(days.map((d) => d.expected), n) },
    ],
  };
}

// backtestLine words the backtest: the model's WAPE against seasonal-naive
// on the same days, and how often the band held; '' without one.
export function backtestLine(b, t) {
  if (!b) return '';
  const pct = (v) => (Math.round(Number(v) * 1000) / 10).toFixed(1) + '%';
  return t('fcst.backtest', { weeks: b.weeks, wape: pct(b.wape), naive: pct(b.naive_wape), coverage: pct(b.coverage) });
}

// eventBody is what POST and PUT /api/v1/calendar take from the editor's
// fields, or null when a name or a date is missing.
export function eventBody(f) {
  const b = {
    name_zh: String(f.name_zh || '').trim(), name_en: String(f.name_en || '').trim(), kind: f.kind,
    first: String(f.first || ''), last: String(f.last || f.first || ''), uplift: Number(f.uplift || 0),
  };
  if (!b.name_zh || !b.name_en || !b.first || Number.isNaN(b.uplift)) return null;
  return b;
}
