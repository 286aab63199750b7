// kinds.js reads the lifecycle table the agent serves at GET /api/v1/kinds.
// testdata/kinds.json is that table (a Go test keeps it equal to what the
// agent serves): every code the screen uses has a label in both languages,
// and pages get copies they cannot break for one another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import zh from '../static/i18n/zh.js';
import en from '../static/i18n/en.js';
import * as kinds from '../static/kinds.js';

const table = JSON.parse(readFileSync(new URL('./testdata/kinds.json', import.meta.url)));

test('before the table is loaded, asking for codes fails loudly', async () => {
  const fresh = await import('../static/kinds.js?fresh');
  assert.throws(() => fresh.exceptionKinds(), /not loaded/);
});

test('a table that lacks a field the screen uses is refused, and the old one stays', () => {
  kinds.setKinds(table);
  const before = kinds.exceptionKinds();
  const broken = { kinds: table.kinds.filter((k) => k.name !== 'exception') };
  assert.throws(() => kinds.setKinds(broken), /exception\.kind/);
  assert.deepEqual(kinds.exceptionKinds(), before);
});

test('loadKinds asks the agent for /api/v1/kinds', async () => {
  const asked = [];
  await kinds.loadKinds(async (path) => { asked.push(path); return table; });
  assert.deepEqual(asked, ['/api/v1/kinds']);
});

test('kindsLoader loads once while it succeeds, and again after a failure', async () => {
  let calls = 0;
  let fail = true;
  const load = kinds.kindsLoader(async () => {
    calls++;
    if (fail) throw new Error('agent away');
  });
  await assert.rejects(load(), /agent away/);
  fail = false;
  // Two pages asking at once share the one load in flight.
  await Promise.all([load(), load()]);
  await load();
  assert.equal(calls, 2);
});

test('every code the screen uses has a label in both languages', () => {
  kinds.setKinds(table);
  const rows = kinds.vocabularies();
  assert.ok(rows.length >= 10);
  for (const [fn, [kind, field]] of Object.entries(kinds.USES)) {
    const r = rows.find((x) => x.kind === kind && x.field === field);
    assert.ok(r && r.codes.length > 0, `${fn}: ${kind}.${field} has no codes`);
    assert.equal(new Set(r.codes).size, r.codes.length, `${kind}.${field} repeats a code`);
    for (const c of r.codes) {
      const key = kinds.labelKey(kind, field, c);
      assert.ok(key in zh, `no Chinese label ${key}`);
      assert.ok(key in en, `no English label ${key}`);
    }
  }
});

test('the functions answer the table\'s codes, as copies', () => {
  kinds.setKinds(table);
  const rows = kinds.vocabularies();
  for (const [fn, [kind, field]] of Object.entries(kinds.USES)) {
    const want = table.kinds.find((k) => k.name === kind).subkinds.filter((s) => s.field === field).map((s) => s.code);
    assert.deepEqual(kinds[fn](), want, fn);
    kinds[fn]().push('changed');
    assert.deepEqual(kinds[fn](), want, `${fn} handed out its own list`);
  }
  // Every function the module exports for a vocabulary is in USES, so no
  // code list is read some other way.
  const fns = Object.keys(kinds).filter((k) => typeof kinds[k] === 'function' && !['setKinds', 'loadKinds', 'kindsLoader', 'labelKey', 'vocabularies', 'counterChannels'].includes(k));
  assert.deepEqual(fns.sort(), Object.keys(kinds.USES).sort());
  assert.ok(rows.length >= Object.keys(kinds.USES).length);
  assert.equal(kinds.exceptionKinds()[0], 'damaged', 'the exception form starts at damaged');
  assert.ok(kinds.exceptionKinds().includes('mis_sorted'), 'lifecycle spells it mis_sorted');
});

test('the counter offers the channels it takes complaints from, not head office\'s own', () => {
  kinds.setKinds(table);
  const office = table.kinds.find((k) => k.name === 'complaint').subkinds.filter((s) => s.field === 'channel' && s.head_office).map((s) => s.code);
  assert.ok(office.includes('wechat') && office.includes('email'), 'the table marks head office\'s channels');
  const offered = kinds.counterChannels();
  assert.ok(offered.includes('counter') && offered.includes('phone'));
  for (const c of office) assert.ok(!offered.includes(c), `the counter offers ${c}`);
  assert.deepEqual([...offered, ...office].sort(), kinds.complaintChannels().sort());
});
