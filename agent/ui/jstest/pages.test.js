// The modules link (no build step means a wrong import name would only
// show in the browser), every page in the navigation has a route, and the
// pure parts of the pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAGES } from '../static/main.js';
import { NAV } from '../static/header.js';
import { findQuery } from '../static/pages/pickup.js';
import { claimText } from '../static/pages/exceptions.js';
import { batchRequests, heldDays } from '../static/pages/scan.js';

test('every page in the navigation has a route, and every route but login is in it', () => {
  for (const p of NAV) assert.equal(typeof PAGES[p], 'function', p);
  assert.deepEqual(Object.keys(PAGES).filter((p) => p !== 'login').sort(), [...NAV].sort());
});

test('the staff page is in a supervisor\'s navigation only', async () => {
  const { navFor } = await import('../static/header.js');
  assert.ok(navFor('supervisor').includes('staff'));
  assert.deepEqual(navFor('supervisor'), NAV);
  assert.ok(!navFor('clerk').includes('staff'));
  assert.deepEqual(navFor('clerk'), NAV.filter((p) => p !== 'staff'));
});

test('findQuery tells a pickup code from a waybill', () => {
  const q = (a, b) => Object.fromEntries(findQuery(a, b));
  assert.deepEqual(q('3-2-0015', ''), { code: '3-2-0015' });
  assert.deepEqual(q('SF1234567890', ''), { waybill: 'SF1234567890' });
  assert.deepEqual(q('3-2', ''), { waybill: '3-2' });
  assert.deepEqual(q('', '5678'), { phone_last4: '5678' });
  assert.deepEqual(q('3-2-0015', '5678'), { phone_last4: '5678', code: '3-2-0015' });
});

test('claimText', () => {
  assert.equal(claimText(undefined), '');
  assert.equal(claimText({ opened: false }), '');
  assert.equal(claimText({ opened: true }), '理赔 · 处理中');
  assert.equal(claimText({ opened: true, decided: true, approved: true, amount_cents: 12345 }), '理赔 · 已批准 ¥123.45');
  assert.equal(claimText({ opened: true, decided: true, approved: false }), '理赔 · 未批准');
});

test('batchRequests checks in the scanned parcels that have a phone, at one place', () => {
  const place = { shelf: '3', layer: '2' };
  const { reqs, skipped } = batchRequests([['SF1', ' 13800001111 '], ['SF2', ''], ['SF3', '13900002222'], ['SF4', '  ']], place);
  assert.deepEqual(reqs, [
    { barcode: 'SF1', phone: '13800001111', shelf: '3', layer: '2' },
    { barcode: 'SF3', phone: '13900002222', shelf: '3', layer: '2' },
  ]);
  assert.equal(skipped, 2);
  assert.deepEqual(batchRequests([], place), { reqs: [], skipped: 0 });
});

test('print problems are worded from the dictionary, the printer state included', async () => {
  const { problemText } = await import('../static/printjobs.js');
  assert.equal(problemText({ problem: 'render_failed', last_error: 'code 128: cannot be encoded' }), '标签无法生成，未打印');
  assert.equal(problemText({ problem: 'held', device: { state: 'fault' } }), '打印机未就绪（故障），任务等待中');
  assert.equal(problemText({ problem: 'unconfirmed' }), '打印中断，不确定是否已打印出');
  assert.equal(problemText({ problem: 'from_a_newer_agent' }), 'from_a_newer_agent');
});

test('a print job is named by its document in the screen language, else by its title', async () => {
  const { jobTitle } = await import('../static/printjobs.js');
  const { setLang } = await import('../static/i18n.js');
  try {
    assert.equal(jobTitle({ doc: 'shelf_label', ref: '3-2-0001', title: '取件码 3-2-0001' }), '货架标签 3-2-0001');
    setLang('en');
    assert.equal(jobTitle({ doc: 'shelf_label', ref: '3-2-0001', title: '取件码 3-2-0001' }), 'Shelf label 3-2-0001');
    assert.equal(jobTitle({ doc: 'menu', title: 'test page' }), 'test page');
    assert.equal(jobTitle({ title: 'test page' }), 'test page');
  } finally {
    setLang('zh');
  }
});

test('only a supervisor gets the button that reveals a full phone', async () => {
  const { canReveal } = await import('../static/reveal.js');
  assert.equal(canReveal({ id: 's01', role: 'supervisor' }), true);
  assert.equal(canReveal({ id: 'c01', role: 'clerk' }), false);
  assert.equal(canReveal(null), false);
});

test('heldDays is the holding period a parcel was checked in with', () => {
  assert.equal(heldDays({ inbound_at: '2026-11-11T09:00:00Z', held_until: '2026-11-21T09:00:00Z' }), 10);
  assert.equal(heldDays({ inbound_at: '2026-11-11T09:00:00Z', held_until: '2026-11-18T09:00:00Z' }), 7);
  assert.equal(heldDays({ pickup_code: '3-2-0001' }), 0);
});

test('the header words a refused hub certificate from the sync status, in the screen language', async () => {
  const { syncProblemText } = await import('../static/header.js');
  const { setLang } = await import('../static/i18n.js');
  const ca = { connected: false, last_problem: { code: 'sync.cert_unknown_ca', params: { file: '/etc/yizhan/hub-ca.crt' }, message: 'x / y' } };
  const expired = { connected: false, last_problem: { code: 'sync.cert_expired', params: { date: '2026-11-30 10:00 UTC' }, message: 'x / y' } };
  try {
    assert.equal(syncProblemText(ca), '总部的证书不是由 /etc/yizhan/hub-ca.crt 中的 CA 签发的，已拒绝连接');
    assert.equal(syncProblemText(expired), '总部的证书已于 2026-11-30 10:00 UTC 过期，已拒绝连接');
    setLang('en');
    assert.equal(syncProblemText(ca), "the hub's certificate is not signed by the CA in /etc/yizhan/hub-ca.crt: connection refused; check the address, or get head office's CA file");
    assert.equal(syncProblemText(expired), "the hub's certificate expired on 2026-11-30 10:00 UTC: connection refused until head office renews it");
    assert.equal(syncProblemText({ ...ca, connected: true }), '', 'online, no problem shows');
    assert.equal(syncProblemText({ connected: false, last_error: 'connection lost' }), '');
    assert.equal(syncProblemText({ connected: false, last_problem: { code: 'sync.from_a_newer_agent', params: {}, message: '新 / newer' } }), '新 / newer');
  } finally {
    setLang('zh');
  }
});

test('the header words head office\'s refusal of the outlet\'s events in the screen\'s language', async () => {
  const { refusedText } = await import('../static/header.js');
  const { setLang } = await import('../static/i18n.js');
  const r = { code: 'sync.incarnation', params: { held: 8 }, message: 'from the hub' };
  assert.equal(refusedText(r), '总部已存有本网点的 8 条事件：请恢复本机的备份，或请总部为本网点开启新的数据流');
  setLang('en');
  try {
    assert.equal(refusedText(r), 'head office already holds 8 events of this outlet: restore its backup, or have head office start a new incarnation');
    assert.equal(refusedText({ code: 'sync.newer_code', message: 'from the hub' }), 'from the hub');
  } finally {
    setLang('zh');
  }
});

test('clockText names a PC clock off from head office, with the fix, in both languages', async () => {
  const { clockText } = await import('../static/header.js');
  const { setLang } = await import('../static/i18n.js');
  assert.equal(clockText({ connected: true }), '');
  assert.equal(clockText(null), '');
  const ahead = { clock_problem: { code: 'sync.clock_ahead', offset_ms: 2 * 86400000 + 3600000 } };
  assert.match(clockText(ahead), /^本机时钟比总部快 2天 01:00:00：请把这台电脑的日期和时间调准，并打开自动对时/);
  const behind = { clock_problem: { code: 'sync.clock_behind', offset_ms: -90000 } };
  assert.match(clockText(behind), /^本机时钟比总部慢 00:01:30/);
  setLang('en');
  try {
    assert.match(clockText(ahead), /^this PC's clock is 2d 01:00:00 ahead of head office: set the PC's date and time right and turn on automatic time sync/);
  } finally { setLang('zh'); }
});
