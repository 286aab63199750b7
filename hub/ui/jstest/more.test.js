// The other pages' pure parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { health, OFFSET_WARN_MS } from '../static/pages/outlets.js';
import { searchable, MIN_QUERY } from '../static/pages/parcels.js';
import { eventTime } from '../static/pages/parcel.js';
import { keywordList, templateBody } from '../static/pages/templates.js';
import { dayBound, auditQuery } from '../static/pages/audit.js';
import { accountBody, locked } from '../static/pages/accounts.js';
import { replyBody, autoSendBody } from '../static/pages/review.js';

test('an outlet\'s health', () => {
  assert.equal(health({ connected: false }), 'stale');
  assert.equal(health({ connected: true, dead_letters: 0, conflicts: 0, clock_offset_ms: 10 }), 'ok');
  assert.equal(health({ connected: true, dead_letters: 1 }), 'trouble');
  assert.equal(health({ connected: true, conflicts: 2 }), 'trouble');
  assert.equal(health({ connected: true, clock_offset_ms: -(OFFSET_WARN_MS + 1) }), 'trouble');
  assert.equal(health({ connected: true, clock_offset_ms: OFFSET_WARN_MS }), 'ok');
});

test('parcel search needs six characters; an event\'s time is its HLC wall time', () => {
  assert.equal(MIN_QUERY, 6);
  assert.ok(!searchable('SF123'));
  assert.ok(!searchable('  SF123  '));
  assert.ok(searchable('SF1234'));
  assert.ok(!searchable(undefined));
  const wall = Date.parse('2026-12-01T12:00:00Z');
  assert.equal(eventTime({ hlc: wall * 65536 + 7 }), wall);
  assert.equal(eventTime({}), null);
});

test('template fields', () => {
  assert.deepEqual(keywordList(' 破损, 压坏，破损 、 理赔  延误 '), ['破损', '压坏', '理赔', '延误']);
  assert.deepEqual(keywordList(''), []);
  assert.deepEqual(templateBody(' 标题 ', ' 内容 ', 'damage', 'a,b'), { title: '标题', text: '内容', category: 'damage', keywords: ['a', 'b'] });
  assert.equal(templateBody('', 'x', '', ''), null);
  assert.equal(templateBody('x', '  ', '', ''), null);
});

test('audit dates cover whole local days', () => {
  const from = dayBound('2026-12-01', false), to = dayBound('2026-12-01', true);
  assert.match(from, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.equal(Date.parse(to) - Date.parse(from), 24 * 3600 * 1000);
  assert.equal(new Date(from).getDate(), 1);
  assert.equal(dayBound('2026-12-01T00:00:00Z', false), '2026-12-01T00:00:00Z');
  assert.deepEqual(auditQuery({ actor: 'a' }), { actor: 'a' });
  assert.equal(auditQuery({ to: '2026-12-31' }).to, dayBound('2026-12-31', true));
});

test('a new account needs an id, a role and a long enough password', () => {
  assert.deepEqual(accountBody(' cs01 ', ' 甲 ', 'service', '12345678'), { body: { id: 'cs01', name: '甲', role: 'service', password: '12345678' } });
  assert.deepEqual(accountBody('', 'x', 'service', '12345678'), { missing: 'acc.missingID' });
  assert.deepEqual(accountBody('a', 'x', 'boss', '12345678'), { missing: 'acc.missingRole' });
  assert.deepEqual(accountBody('a', 'x', 'admin', '1234567'), { missing: 'acc.shortPassword' });
  const now = Date.parse('2026-12-01T12:00:00Z');
  assert.ok(locked({ locked_until: '2026-12-01T12:05:00Z' }, now));
  assert.ok(!locked({ locked_until: '2026-12-01T11:55:00Z' }, now));
  assert.ok(!locked({ locked_until: null }, now));
});

test('the review queue sends a reply as the acknowledge step; auto-send keeps the vocabulary\'s order', () => {
  assert.deepEqual(replyBody('  很抱歉，已加急。 '), { step: 'acknowledge', note: '很抱歉，已加急。' });
  assert.equal(replyBody('   '), null);
  assert.equal(replyBody(undefined), null);
  assert.deepEqual(autoSendBody(['delay', 'loss', 'damage'], ['damage', 'delay', 'delay', 'weather']), { categories: ['delay', 'damage'] });
  assert.deepEqual(autoSendBody(['delay'], undefined), { categories: [] });
});
