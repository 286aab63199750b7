// The pages' pure parts. Importing main.js checks that every module links
// (no build step means a wrong import name would only show in the browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAGES } from '../static/main.js';
import { credentials } from '../static/pages/login.js';
import { TILES, GROUPS, figure } from '../static/pages/overview.js';
import zh from '../static/i18n/zh.js';

test('every page in the navigation has its label in the dictionary', () => {
  for (const p of PAGES) if (p.nav) assert.ok(p.nav in zh, `${p.id}: ${p.nav}`);
});

test('credentials', () => {
  assert.deepEqual(credentials(' cs01 ', 'pw 1 '), { account: 'cs01', password: 'pw 1 ' });
  assert.equal(credentials('', 'x'), null);
  assert.equal(credentials('cs01', ''), null);
});

test('the overview reads every figure of the contract, 0 when missing', () => {
  const ov = { outlets: { total: 3, connected: 2, stale: 1, with_dead_letters: 0 }, complaints: { open: 4, overdue: 1, due_24h: 2 }, exceptions: { open: 5, overdue: 0 }, notices: { active: 1 }, today: { inbound: 10, picked_up: 7 } };
  const got = Object.fromEntries(TILES.map((x) => [x.group + '.' + x.key, figure(ov, x)]));
  assert.deepEqual(got, { 'outlets.total': 3, 'outlets.connected': 2, 'outlets.stale': 1, 'outlets.with_dead_letters': 0, 'complaints.open': 4, 'complaints.overdue': 1,
    'complaints.due_24h': 2, 'exceptions.open': 5, 'exceptions.overdue': 0, 'notices.active': 1, 'today.inbound': 10, 'today.picked_up': 7 });
  assert.equal(figure({}, TILES[0]), 0);
  assert.equal(figure(null, TILES[0]), null);
  for (const x of TILES) assert.ok(GROUPS.some(([g]) => g === x.group), x.group);
  for (const x of TILES) assert.ok(x.label in zh, x.label);
});
