// The pure helpers of format.js: durations and countdowns, money, weights,
// dates, the lines that show personal data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setLang } from '../static/i18n.js';
import {
  toDate, fmtTime, fmtClock, fmtDuration, countdown, metText, yuan, kg, today,
  joined, maskedContact, maskedParty, deviceTitle, shortID, deviceWords, quoteLine, handoverNote,
  heardText, stepActor, stepActorParts,
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
  // English is month first with the month's name, never day first, on the
  // 24-hour clock.
  inEnglish(() => assert.equal(fmtTime(at.getTime()), 'Jan 5, 09:07'));
  inEnglish(() => assert.equal(fmtTime(new Date(2024, 11, 2, 14, 30).getTime()), 'Dec 2, 14:30'));
  inEnglish(() => assert.equal(fmtClock(new Date(2024, 11, 2, 0, 5, 9).getTime()), '00:05:09'));
  assert.match(fmtTime(new Date(2024, 11, 2, 14, 30).getTime()), /^12.02.* 14:30$/, 'Chinese: month first too');
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
  // The title is worded from the status's code, in the screen's language.
  assert.equal(deviceTitle({ code: 'printer.paper_out', detail: '打印机缺纸 / paper out' }), '打印机缺纸 — 装入标签纸并合上盖子');
  inEnglish(() => assert.equal(deviceTitle({ code: 'printer.paper_out' }), 'Paper out — Load labels (or the paper roll) and close the cover'));
  assert.equal(deviceTitle({ code: 'printer.ok' }), '打印机正常', 'no fix, none shown');
  assert.equal(deviceTitle({}), '');
});

test('shortID keeps the distinct tail of a long id and short ids whole', () => {
  assert.equal(shortID('0193a4b2-7c1d-7e2f-9a3b-4c5d6e7f8091'), '…6e7f8091');
  assert.equal(shortID('M-17'), 'M-17');
  assert.equal(shortID(undefined), '');
});

test('device words come from the code and params, never the agent\'s two-language text', () => {
  const jam = { code: 'printer.head_open', also: 'printer.paused printer.paper_low', detail: '打印头或上盖未合 / print head or cover open; …' };
  inEnglish(() => assert.deepEqual(deviceWords(jam), {
    detail: 'Print head or cover open; Printer paused; Paper roll nearly empty',
    fix: 'Close the print head and cover until they click',
  }));
  assert.equal(deviceWords(jam).detail, '打印头或上盖未合；打印机已暂停；纸卷将尽');
  const perm = { code: 'scanner.permission', params: { where: '/dev/ttyUSB0', group: 'dialout' } };
  inEnglish(() => assert.deepEqual(deviceWords(perm), {
    detail: 'Permission denied on /dev/ttyUSB0', fix: 'Add the service user to group dialout, then restart the service',
  }));
  // A code from a newer agent, or none: nothing rather than the agent's words.
  assert.deepEqual(deviceWords({ code: 'printer.on_fire', detail: '着火 / on fire', fix: '灭火 / put it out' }), { detail: '', fix: '' });
  assert.deepEqual(deviceWords({ detail: '打印机正常 / ready' }), { detail: '', fix: '' });
});

test('quote lines and handover exceptions are worded from codes', () => {
  const lines = [
    { code: 'first_weight', params: { grams: 1000 }, text: '首重 1000 克 / first 1000 g' },
    { code: 'additional_weight', params: { steps: 2, grams: 500 } },
    { code: 'insurance', params: { declared: 30000, bp: 100 } },
  ];
  assert.deepEqual(lines.map(quoteLine), ['首重 1000 克', '续重 2 × 500 克', '保价 30000 分 × 100‱']);
  inEnglish(() => assert.deepEqual(lines.map(quoteLine), ['First 1000 g', 'Additional 2 × 500 g', 'Insurance on 30000 fen at 100 bp']));
  assert.equal(quoteLine({ code: 'fuel_surcharge', text: '燃油附加费 / fuel surcharge' }), 'fuel_surcharge');
  assert.equal(handoverNote('lost', 'H1'), '交接 H1 清单有而未扫到，疑似丢失');
  inEnglish(() => assert.equal(handoverNote('mis_sorted', 'H1'), 'Scanned in handover H1 but on none of its manifests: suspected mis-sorted'));
  inEnglish(() => assert.equal(handoverNote('damaged', 'H1'), 'Raised by handover H1'));
});

test('heardText says how long head office has been silent', () => {
  const at = '2026-12-01T09:00:00Z';
  for (const [s, zh, en] of [
    [{}, '本次启动后尚未连上总部', 'Head office not heard since start'],
    [{ last_heard: at, last_heard_ago_s: 0 }, '0 秒前收到总部消息', 'Head office last heard 0 s ago'],
    [{ last_heard: at, last_heard_ago_s: 59 }, '59 秒前收到总部消息', 'Head office last heard 59 s ago'],
    [{ last_heard: at, last_heard_ago_s: 150 }, `2 分钟前（${fmtClock(at)}）收到总部消息`, null],
    [{ last_heard: at, last_heard_ago_s: 7300 }, `2 小时前（${fmtClock(at)}）收到总部消息`, null],
  ]) {
    assert.equal(heardText(s), zh, `zh ${JSON.stringify(s)}`);
    if (en) inEnglish(() => assert.equal(heardText(s), en, `en ${JSON.stringify(s)}`));
  }
  inEnglish(() => assert.equal(heardText({ last_heard: at, last_heard_ago_s: 150 }), `Head office last heard 2 min ago (${fmtClock(at)})`));
});

test('stepActor names head office\'s account for its steps and the clerk for the outlet\'s', () => {
  const hub = { step: 'acknowledge', origin: 'hub', actor: 'li.na' };
  const clerk = { step: 'receive', origin: 'SH-001', actor: 'c01' };
  assert.equal(stepActor(hub), '总部 · li.na');
  assert.equal(stepActor(clerk), 'c01');
  // A head-office step that names no account is still head office's.
  assert.equal(stepActor({ origin: 'hub', actor: '' }), '总部');
  assert.equal(stepActor({ origin: 'hub' }), '总部');
  assert.equal(stepActor({ origin: 'SH-001', actor: '' }), '');
  assert.equal(stepActor(null), '');
  // An outlet whose id merely contains "hub" is an outlet.
  assert.equal(stepActor({ origin: 'hub-2', actor: 'c02' }), 'c02');
  inEnglish(() => {
    assert.equal(stepActor(hub), 'Head office · li.na');
    assert.equal(stepActor({ origin: 'hub' }), 'Head office');
    assert.equal(stepActor(clerk), 'c01');
  });
  // The account and the clerk's id are names, shown as written; the words
  // around them are the screen's.
  assert.deepEqual(stepActorParts(hub), [{ text: '总部 · ', own: false }, { text: 'li.na', own: true }]);
  assert.deepEqual(stepActorParts(clerk), [{ text: 'c01', own: true }]);
  assert.deepEqual(stepActorParts({ origin: 'hub' }), [{ text: '总部', own: false }]);
});
