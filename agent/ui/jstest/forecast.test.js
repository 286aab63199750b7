import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forecastRows, dayLabel, PEAK } from '../static/forecastview.js';

const f = {
  as_of: '2026-11-04',
  days: [
    { date: '2026-11-05', expected: 400, low: 360, high: 450, clerks: 1, hours: 10 },
    { date: '2026-11-06', expected: 420, low: 380, high: 470, clerks: 1, hours: 10 },
    { date: '2026-11-11', expected: 999, low: 800, high: 1200, clerks: 2, hours: 10, event_zh: '双11', event_en: 'Double 11' },
    { date: '2026-11-12', expected: 410, low: 370, high: 460, clerks: 1, hours: 10, event_zh: '店庆' },
  ],
};

test('rows word the event in the screen language, falling back to the other, and mark the peak days', () => {
  const zh = forecastRows(f, 'zh');
  const en = forecastRows(f, 'en');
  assert.equal(zh[2].event, '双11');
  assert.equal(en[2].event, 'Double 11');
  assert.equal(en[3].event, '店庆');
  assert.equal(en[0].event, '');
  assert.deepEqual(zh.map((r) => r.peak), [false, false, true, false]);
  assert.equal(zh[2].expected, 999);
  assert.ok(999 >= PEAK * 410);
});

test('a missing or malformed forecast gives no rows, and bad numbers read as zero', () => {
  assert.deepEqual(forecastRows(null, 'zh'), []);
  assert.deepEqual(forecastRows({ days: 'x' }, 'en'), []);
  const r = forecastRows({ days: [{ date: '2026-11-05', expected: 'many' }] }, 'zh');
  assert.equal(r[0].expected, 0);
  assert.equal(r[0].peak, false);
});

test('a day shows with its weekday', () => {
  assert.match(dayLabel('2026-11-13', 'en-US'), /Fri/);
  assert.match(dayLabel('2026-11-13', 'zh-CN'), /周五/);
  assert.equal(dayLabel('not a date', 'en-US'), 'not a date');
});
