// The queues' pure parts: the next deadline, overdue, bulk answers, and
// the pages' small readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dueOf, isOverdue, bulkSummary } from '../static/cases.js';
import { queueQuery, queueFilters } from '../static/pages/complaints.js';
import { claimText } from '../static/pages/exceptions.js';
import { cents } from '../static/pages/exception.js';
import { templatesFor, NOTE_STEPS, progressLink } from '../static/pages/complaint.js';
import { translate, t, setLang } from '../static/i18n.js';

test('dueOf: the hub\'s due_at, else the first deadline not met', () => {
  assert.equal(dueOf({ due_at: '2026-12-01T12:00:00Z', first_reply_by: 'x' }), '2026-12-01T12:00:00Z');
  assert.equal(dueOf({ due_at: null, first_reply_by: 'x' }), null);
  assert.equal(dueOf({ state: 'received', first_reply_by: 'A', result_by: 'B' }), 'A');
  assert.equal(dueOf({ state: 'acknowledged', first_reply_by: 'A', first_reply_at: 'a', result_by: 'B' }), 'B');
  assert.equal(dueOf({ state: 'followed_up', first_reply_by: 'A', first_reply_at: 'a', result_by: 'B', result_at: 'b' }), null);
  assert.equal(dueOf({ state: 'closed', first_reply_by: 'A' }), null);
  assert.equal(dueOf({ state: 'reported', handle_by: 'H', handle_remaining_s: 5 }), 'H');
  assert.equal(dueOf({ state: 'handling', handle_by: 'H', handled_at: 'h' }), null);
  assert.equal(dueOf({}), null);
  assert.equal(dueOf(null), null);
});

test('isOverdue: the hub\'s word first, else the deadline against now', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  assert.equal(isOverdue({ overdue: false, due_at: '2026-12-01T11:00:00Z' }, now), false);
  assert.equal(isOverdue({ overdue: true, due_at: null }, now), true);
  assert.equal(isOverdue({ due_at: '2026-12-01T11:59:59Z' }, now), true);
  assert.equal(isOverdue({ due_at: '2026-12-01T12:00:01Z' }, now), false);
  assert.equal(isOverdue({ due_at: null }, now), false);
});

test('bulkSummary words each refusal', () => {
  const dicts = { zh: { 'error.complaint.closed': '投诉 {id} 已关闭', 'err.http': 'x' }, en: {} };
  const tr = (k, v) => translate(dicts, 'zh', k, v);
  const s = bulkSummary([{ id: 'a', ok: true }, { id: 'b', ok: false, error: { code: 'complaint.closed', params: { id: 'b' } } }, { id: 'c', ok: true }], tr);
  assert.deepEqual(s, { ok: 2, bad: ['b: 投诉 b 已关闭'] });
});

test('a queue shows open cases unless the hash says otherwise', () => {
  assert.deepEqual(queueQuery({}), { open: '1' });
  assert.deepEqual(queueQuery(undefined), { open: '1' });
  assert.deepEqual(queueQuery({ open: '0', outlet: 'O1' }), { open: '0', outlet: 'O1' });
  const names = queueFilters('complaintState', 'complaintType').map((f) => f.name);
  // The contract's queue filters, no more (the hub refuses one it does not take).
  assert.deepEqual(names, ['open', 'overdue', 'outlet', 'region', 'owner', 'state', 'label']);
});

test('claimText and cents', () => {
  setLang('zh');
  assert.equal(claimText(undefined, t), '');
  assert.equal(claimText({ opened: true }, t), '理赔处理中');
  assert.equal(claimText({ opened: true, decided: true, approved: true, amount_cents: 8850 }, t), '已批准 ¥88.50');
  assert.equal(claimText({ opened: true, decided: true, approved: false }, t), '未批准');
  for (const [s, want] of [['88', 8800], ['88.5', 8850], ['88.50', 8850], [' 0.05 ', 5], ['88,5', 8850], ['', null], ['-1', null], ['1.234', null], ['abc', null]]) {
    assert.equal(cents(s), want, s);
  }
});

test('templatesFor puts the complaint\'s category first and leaves withdrawn ones out', () => {
  const ts = [{ id: '1', title: 'b', category: 'delay' }, { id: '2', title: 'a', category: '' }, { id: '3', title: 'c', category: 'damage' },
    { id: '4', title: 'a', category: 'damage' }, { id: '5', title: 'z', category: 'damage', withdrawn: true }];
  assert.deepEqual(templatesFor(ts, 'damage').map((x) => x.id), ['4', '3', '2', '1']);
  assert.deepEqual(templatesFor(undefined, 'damage'), []);
  assert.ok(NOTE_STEPS.includes('acknowledge') && NOTE_STEPS.includes('close'));
});

test('progressLink: the public page of a ticket on this hub, its ticket escaped', () => {
  assert.equal(progressLink('https://kefu.example.com', 'T260701-SH-001-3F9A0C'), 'https://kefu.example.com/p?t=T260701-SH-001-3F9A0C');
  assert.equal(progressLink('http://127.0.0.1:8081', 'T1&x=<y>'), 'http://127.0.0.1:8081/p?t=T1%26x%3D%3Cy%3E');
  assert.equal(progressLink('http://h', ''), '');
});
