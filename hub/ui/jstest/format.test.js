// Times, countdowns, money, in both languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fmtDuration, countdown, ago, offset, yuan, count, shortID, fmtTime } from '../static/format.js';
import { setLang } from '../static/i18n.js';

test('fmtDuration', () => {
  setLang('zh');
  assert.equal(fmtDuration(0), '00:00:00');
  assert.equal(fmtDuration(3_723_000), '01:02:03');
  assert.equal(fmtDuration(-3_723_999), '01:02:03');
  assert.equal(fmtDuration((2 * 86400 + 5) * 1000), '2天 00:00:05');
  setLang('en');
  assert.equal(fmtDuration((2 * 86400 + 5) * 1000), '2d 00:00:05');
  setLang('zh');
});

test('countdown counts to the deadline, then says it is breached', () => {
  setLang('zh');
  const due = '2026-12-01T12:00:00Z', at = Date.parse(due);
  assert.deepEqual(countdown(due, at - 61_000), { text: '剩余 00:01:01', breached: false });
  assert.deepEqual(countdown(due, at), { text: '剩余 00:00:00', breached: false });
  assert.deepEqual(countdown(due, at + 1000), { text: '已超时 00:00:01', breached: true });
  assert.deepEqual(countdown(null, at), { text: '', breached: false });
  setLang('en');
  assert.deepEqual(countdown(due, at + 3600_000), { text: 'Overdue by 01:00:00', breached: true });
  setLang('zh');
});

test('ago', () => {
  setLang('en');
  const now = Date.parse('2026-12-01T12:00:00Z');
  assert.equal(ago(null, now), 'Never');
  assert.equal(ago('2026-12-01T11:59:30Z', now), '30 s ago');
  assert.equal(ago('2026-12-01T11:00:00Z', now), '1 h ago');
  assert.equal(ago('2026-11-28T12:00:00Z', now), '3 days ago');
  // A time ahead of now (a skewed clock) is not "-5 s ago".
  assert.equal(ago('2026-12-01T12:00:05Z', now), '0 s ago');
  setLang('zh');
  assert.equal(ago('2026-12-01T11:58:00Z', now), '2 分钟前');
});

test('offset, yuan, count, shortID, fmtTime', () => {
  assert.equal(offset(-6 * 3600 * 1000), '−06:00:00');
  assert.equal(offset(3000), '+00:00:03');
  assert.equal(offset(-40), '00:00:00');
  assert.equal(yuan(12345), '¥123.45');
  assert.equal(yuan(undefined), '¥0.00');
  assert.equal(count(undefined), '0');
  assert.equal(shortID('0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b'), '…2e3f4a5b');
  assert.equal(shortID('O1'), 'O1');
  assert.equal(fmtTime(''), '');
  assert.equal(fmtTime('not a time'), 'not a time');
  assert.match(fmtTime('2026-12-01T12:00:00Z', Date.parse('2026-12-01T12:00:00Z')), /12/);
  assert.match(fmtTime('2020-12-01T12:00:00Z', Date.parse('2026-12-01T12:00:00Z')), /2020/);
});
