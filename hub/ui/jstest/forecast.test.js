import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forecastQuery, forecastOption, dayRows, backtestLine, eventBody, eventName, SHOWN_DAYS } from '../static/forecastchart.js';
import zh from '../static/i18n/zh.js';
import en from '../static/i18n/en.js';

const t = (k, v) => k + (v ? JSON.stringify(v) : '');

// day is the date i days after 2024-01-01.
const day = (i) => new Date(Date.UTC(2024, 0, 1 + i)).toISOString().slice(0, 10);

function plan(historyDays) {
  const history = [];
  for (let i = 0; i < historyDays; i++) history.push({ date: day(i), parcels: 100 + i });
  const f1 = day(historyDays), f2 = day(historyDays + 1);
  return {
    scope: 'SH-001', history,
    days: [
      { date: f1, expected: 120, low: 100, high: 140, hours: 10, clerks: 1, uplift: 1, event_zh: '', event_en: '' },
      { date: f2, expected: 300, low: 250, high: 360, hours: 10, clerks: 1, uplift: 2.2, event_zh: '双11', event_en: 'Double 11' },
    ],
    events: [
      { id: 'old', name_zh: '旧', name_en: 'Old', first: '2023-01-01', last: '2023-01-05' }, // before the range: left out
      { id: 'd11', name_zh: '双11', name_en: 'Double 11', first: f2, last: '2030-01-01' }, // runs past it: clamped
    ],
    backtest: { weeks: 8, wape: 0.123, naive_wape: 0.2, coverage: 0.8 },
  };
}

test('the query is an outlet, else a region, else nothing', () => {
  assert.deepEqual(forecastQuery({ outlet: ' SH-1 ', region: 'East' }), { outlet: 'SH-1' });
  assert.deepEqual(forecastQuery({ region: 'East', days: '9' }), { region: 'East' });
  assert.deepEqual(forecastQuery({}), {});
  assert.deepEqual(forecastQuery(undefined), {});
});

test('the chart puts the forecast and its band after the history, and marks the events in range', () => {
  const o = forecastOption({ plan: plan(3), t, lang: 'en' });
  assert.deepEqual(o.xAxis.data, ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05']);
  const [hist, low, width, expected] = o.series;
  assert.deepEqual(hist.data, [100, 101, 102, null, null]);
  assert.deepEqual(low.data, [null, null, null, 100, 250]);
  assert.deepEqual(width.data, [null, null, null, 40, 110]);
  assert.deepEqual(expected.data, [null, null, null, 120, 300]);
  assert.deepEqual(hist.markArea.data, [[{ name: 'Double 11', xAxis: '2024-01-05' }, { xAxis: '2024-01-05' }]]);
  assert.equal(o.tooltip.renderMode, 'richText');
  assert.equal(o.dataZoom[0].start, 0);
});

test('a long history opens on its last days', () => {
  const o = forecastOption({ plan: plan(730), t, lang: 'zh' });
  const shown = (100 - o.dataZoom[0].start) / 100 * o.xAxis.data.length;
  assert.ok(Math.abs(shown - (SHOWN_DAYS + 2)) < 8, `shows ${shown} days`);
  assert.equal(o.series[0].markArea.data[0][0].name, '双11');
});

test('rows, the backtest line and the editor body', () => {
  const rows = dayRows(plan(1), 'zh');
  assert.equal(rows[1].event, '双11');
  assert.equal(rows[1].clerks, 1);
  assert.equal(backtestLine(null, t), '');
  assert.match(backtestLine(plan(1).backtest, (k, v) => `${v.wape}/${v.naive}/${v.coverage}`), /^12\.3%\/20\.0%\/80\.0%$/);
  assert.equal(eventBody({ name_zh: ' 店庆 ', name_en: 'Anniversary', kind: 'promotion', first: '2026-11-07', uplift: '' }).last, '2026-11-07');
  assert.equal(eventBody({ name_zh: '', name_en: 'x', first: '2026-11-07' }), null);
  assert.equal(eventBody({ name_zh: 'x', name_en: 'x', first: '2026-11-07', uplift: 'lots' }), null);
  assert.equal(eventName({ name_zh: '春节' }, 'en'), '春节');
});

test('both dictionaries word the forecast and calendar pages', () => {
  for (const d of [zh, en]) {
    for (const k of ['nav.forecast', 'nav.calendar', 'fcst.backtest', 'cal.kind.promotion', 'cal.kind.holiday']) assert.ok(d[k], k);
  }
});
