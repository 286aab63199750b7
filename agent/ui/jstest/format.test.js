// The pure helpers of format.js: durations and countdowns, money, weights,
// dates, the lines that show personal data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setLang } from '../static/i18n.js';
import {
  toDate, fmtTime, fmtClock, fmtDuration, countdown, metText, yuan, kg, today,
  joined, maskedContact, maskedParty, deviceTitle, shortID,
} from '../static/format.js';

function inEnglish(fn) {
  setLang('en');
  try { fn(); } finally { setLang('zh'); }
}

test('fmtDuration', () => {
  for (const [sec, zh, en] of [
    [0, '00:00:00', '00:00:00'],
    [59.9, '00:00:59', '00:00:59'],
    [3661, '01:01:01', '01:01:01'],
    [86399, '23:59:59', '23:59:59'],
    [86400, '1天 00:00:00', '1d 00:00:00'],
    [2 * 86400 + 3 * 3600 + 4 * 60 + 5, '2天 03:04:05', '2d 03:04:05'],
    // The sign is the caller's to say.
    [-90061, '1天 01:01:01', '1d 01:01:01'],
    [-0.5, '00:00:00', '00:00:00'],
  ]) {
    assert.equal(fmtDuration(sec), zh, `zh ${sec}`);
    inEnglish(() => assert.equal(fmtDuration(sec), en, `en ${sec}`));
  }
});

test('countdown counts down from the agent\'s remaining time', () => {
  assert.deepEqual(countdown(100, 40), { breached: false, text: '剩余 00:01:00' });
  assert.deepEqual(countdown('100', 40), { breached: false, text: '剩余 00:01:00' }, 'from a data attribute');
  assert.deepEqual(countdown(100, 100), { breached: false, text: '剩余 00:00:00' });
  assert.deepEqual(countdown(100, 130.5), { breached: true, text: '已超时 00:00:30' });
  assert.deepEqual(countdown(-86400, 0), { breached: true, text: '已超时 1天 00:00:00' });
  inEnglish(() => assert.deepEqual(countdown(3600, 0), { breached: false, text: '01:00:00 left' }));
});

test('metText', () => {
  assert.equal(metText(120), '已按时完成');
  assert.equal(metText(undefined), '已按时完成');
  assert.equal(metText(-3600), '已完成，超时 01:00:00');
  inEnglish(() => assert.equal(metText(-61), 'done, 00:01:01 late'));
});

test('yuan renders fen', () => {
  for (const [fen, want] of [[0, '¥0.00'], [1, '¥0.01'], [1234, '¥12.34'], [100000, '¥1000.00'],
    [undefined, '¥0.00'], [null, '¥0.00'], ['250', '¥2.50'], [-150, '¥-1.50']]) {
    assert.equal(yuan(fen), want, String(fen));
  }
});

test('kg renders grams', () => {
  assert.equal(kg(1500), '1.500 kg');
  assert.equal(kg(1), '0.001 kg');
  assert.equal(kg(undefined), '0.000 kg');
});

test('today is the local date as YYYY-MM-DD', () => {
  assert.equal(today(new Date(2024, 0, 5, 23, 59)), '2024-01-05');
  assert.equal(today(new Date(2025, 11, 31, 0, 0)), '2025-12-31');
  assert.match(today(), /^\d{4}-\d{2}-\d{2}$/);
});

test('times', () => {
  assert.equal(toDate(0).getTime(), 0, 'Unix milliseconds');
  assert.equal(toDate('2024-01-05T01:02:03Z').getTime(), Date.UTC(2024, 0, 5, 1, 2, 3), 'RFC 3339');
  assert.equal(fmtTime(''), '');
  assert.equal(fmtTime(null), '');
  assert.equal(fmtTime('not a time'), 'not a time');
  assert.equal(fmtClock('not a time'), '');
  const at = new Date(2024, 0, 5, 9, 7, 3);
  assert.equal(fmtClock(at.getTime()), '09:07:03');
  assert.equal(fmtClock(at.toISOString()), '09:07:03');
  assert.match(fmtTime(at.getTime()), /01.05.*09:07|05.01.*09:07/);
  inEnglish(() => assert.match(fmtTime(at.getTime()), /^05\/01,? 09:07$/));
});

test('personal data shows only as the agent masked it', () => {
  const p = { phone: '13812345678', name: '张三', phone_masked: '138****5678', name_masked: '张*' };
  assert.equal(maskedContact(p), '138****5678 · 张*');
  assert.equal(maskedContact({ phone: '13812345678', phone_masked: '138****5678' }), '138****5678');
  assert.equal(maskedContact({ phone: '13812345678', name: '张三' }), '', 'no masked field, nothing shown');
  const sh = { sender: { name: '李四', name_masked: '李*', phone: '13912345678', phone_masked: '139****5678' } };
  assert.equal(maskedParty(sh.sender, '110***********002X'), '李* 139****5678 110***********002X');
  assert.equal(maskedParty(undefined, '200'), '200');
  for (const s of [maskedContact(p), maskedParty(sh.sender)]) {
    assert.doesNotMatch(s, /13812345678|13912345678|张三|李四/);
  }
});

test('joined and deviceTitle leave out what is missing', () => {
  assert.equal(joined(['a', '', null, undefined, 'b'], ' · '), 'a · b');
  assert.equal(deviceTitle({ detail: 'no paper', fix: 'load paper' }), 'no paper — load paper');
  assert.equal(deviceTitle({ detail: 'no paper' }), 'no paper');
  assert.equal(deviceTitle({}), '');
});

test('shortID keeps the distinct tail of a long id and short ids whole', () => {
  assert.equal(shortID('0193a4b2-7c1d-7e2f-9a3b-4c5d6e7f8091'), '…6e7f8091');
  assert.equal(shortID('M-17'), 'M-17');
  assert.equal(shortID(undefined), '');
});
