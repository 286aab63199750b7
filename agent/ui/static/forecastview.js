// Head office's forecast of this outlet as the counter shows it: one row a
// day with the event in the screen's language, the band, the clerks, and
// which days stand out. Pure: no DOM, no requests; node tests run it.

// PEAK is how far above the forecast's ordinary day a day must be to be
// marked: half as many parcels again.
export const PEAK = 1.5;

// forecastRows turns the agent's stored forecast (lifecycle.ForecastV1)
// into rows: {date, event, expected, low, high, clerks, hours, peak}. The
// event is head office's name in lang ('zh' or 'en', the other if one is
// missing). A day is a peak when its parcels are PEAK times the median day.
export function forecastRows(f, lang) {
  const days = Array.isArray(f?.days) ? f.days : [];
  const sorted = days.map((d) => Number(d.expected) || 0).sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
  return days.map((d) => ({
    date: String(d.date || ''),
    event: (lang === 'en' ? (d.event_en || d.event_zh) : (d.event_zh || d.event_en)) || '',
    expected: Number(d.expected) || 0,
    low: Number(d.low) || 0,
    high: Number(d.high) || 0,
    clerks: Number(d.clerks) || 0,
    hours: Number(d.hours) || 0,
    peak: median > 0 && (Number(d.expected) || 0) >= PEAK * median,
  }));
}

// dayLabel is a YYYY-MM-DD date with its weekday in the locale
// ("11月13日 周五", "Fri, Nov 13"); the date itself if it is not one.
export function dayLabel(date, locale) {
  const d = new Date(String(date) + 'T00:00:00Z');
  if (Number.isNaN(d.getTime())) return String(date);
  return d.toLocaleDateString(locale, { timeZone: 'UTC', month: 'short', day: 'numeric', weekday: 'short' });
}
