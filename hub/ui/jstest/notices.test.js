// The pure parts of the notices pages, the scope picker and the stock
// pages: the bodies they send and the rows they show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noticeBody, ackRows, noticeState, rfc3339, targetOutlets, messageRows, messageTotals, pages as noticePages } from '../static/pages/notices.js';
import { scopeBody, allRows } from '../static/scope.js';
import {
  waybillLines, manifestBody, localInput, prohibitedBody, tariffBody, tariffTable, blockRow, serial, pages as stockPages,
} from '../static/pages/stock.js';
import { measuresQuery, page as measuresPage } from '../static/pages/measures.js';

test('rfc3339 reads a datetime-local value in the PC\'s zone; blank stays blank', () => {
  const local = '2026-12-01T08:30';
  assert.equal(rfc3339(local), new Date(2026, 11, 1, 8, 30).toISOString());
  assert.equal(rfc3339(''), '');
  assert.equal(rfc3339('not a time'), '');
  assert.equal(localInput(rfc3339(local)), local, 'localInput is its inverse');
  assert.equal(localInput(''), '');
});

test('noticeBody trims, drops blank FAQ rows, keeps half-filled ones for the hub to refuse', () => {
  const body = noticeBody({
    title: '  暴雨  ', text: ' 今日停派 ', severity: 'warning', validFrom: '', validTo: '2026-12-02T18:00',
    faq: [{ q: ' 何时恢复？ ', a: ' 明天 ' }, { q: '', a: '' }, { q: '只有问题', a: ' ' }],
  }, scopeBody(['O2', 'O1', 'O1'], ['华东']));
  assert.deepEqual(body, {
    title: '暴雨', text: '今日停派', severity: 'warning',
    faq: [{ q: '何时恢复？', a: '明天' }, { q: '只有问题', a: '' }],
    scope: ['O1', 'O2'], regions: ['华东'],
    valid_to: new Date(2026, 11, 2, 18, 0).toISOString(),
  });
  assert.equal(noticeBody({ title: 't', text: 'x', severity: 'bogus' }, scopeBody([], [])).severity, 'info');
});

test('scopeBody: outlets always, regions only when chosen (a hub without regions takes the body)', () => {
  assert.deepEqual(scopeBody([], []), { scope: [] });
  assert.deepEqual(scopeBody(new Set(['O3']), new Set()), { scope: ['O3'] });
  assert.deepEqual(scopeBody([], ['b', 'a', 'b']), { scope: [], regions: ['a', 'b'] });
});

test('ackRows: every target outlet, not yet acknowledged first, the first acknowledgement of each', () => {
  const n = {
    scope: ['O3', 'O1', 'O2'],
    acknowledged_by: [
      { outlet: 'O2', staff: 'b', at: '2026-12-01T09:00:00Z' },
      { outlet: 'O2', staff: 'a', at: '2026-12-01T08:00:00Z' },
      { outlet: 'O9', staff: 'z', at: '2026-12-01T10:00:00Z' },
    ],
  };
  assert.deepEqual(ackRows(n, ['ignored']), [
    { outlet: 'O1', acked: false, staff: '', at: '' },
    { outlet: 'O3', acked: false, staff: '', at: '' },
    { outlet: 'O2', acked: true, staff: 'a', at: '2026-12-01T08:00:00Z' },
    { outlet: 'O9', acked: true, staff: 'z', at: '2026-12-01T10:00:00Z' },
  ]);
  // A notice to every outlet: the targets are the outlets the hub knows.
  assert.deepEqual(ackRows({ acknowledged_by: [{ outlet: 'B', staff: 's', at: 'x' }] }, ['A', 'B']).map((r) => [r.outlet, r.acked]), [['A', false], ['B', true]]);
  assert.deepEqual(ackRows({}, []), []);
});

test('targetOutlets: the outlets and those of the regions, or every outlet', async () => {
  const asked = [];
  const api = { get: async (path, q) => {
    asked.push(q.region ?? '*');
    const all = [{ id: 'E1', region: 'east' }, { id: 'E2', region: 'east' }, { id: 'W1', region: 'west' }];
    return { outlets: q.region ? all.filter((o) => o.region === q.region) : all, next: null };
  } };
  assert.deepEqual((await targetOutlets(api, { regions: ['east'], scope: ['W1', 'E1'] })).sort(), ['E1', 'E2', 'W1']);
  assert.deepEqual(asked, ['east']);
  assert.deepEqual(await targetOutlets(api, { scope: ['W1'] }), ['W1']);
  assert.deepEqual((await targetOutlets(api, {})).sort(), ['E1', 'E2', 'W1']);
});

test('noticeState', () => {
  assert.equal(noticeState({ ended: true, active: false }), 'ended');
  assert.equal(noticeState({ ended: false, active: true }), 'active');
  assert.equal(noticeState({ ended: false, active: false }), 'inactive');
});

test('allRows follows the cursor and asks once without paging a route that refuses it', async () => {
  const calls = [];
  const paged = { get: async (path, q) => {
    calls.push(q.cursor ?? null);
    return q.cursor ? { outlets: [{ id: 'O3' }], next: null } : { outlets: [{ id: 'O1' }, { id: 'O2' }], next: 'c1' };
  } };
  assert.deepEqual((await allRows(paged, '/api/v1/outlets', { region: '' }, 'outlets')).map((o) => o.id), ['O1', 'O2', 'O3']);
  assert.deepEqual(calls, [null, 'c1']);
  const seen = [];
  const old = { get: async (path, q) => {
    seen.push(q);
    if ('limit' in q) throw Object.assign(new Error('unknown filter'), { status: 400, code: 'request.unknown_filter' });
    return { outlets: [{ id: 'O1' }] };
  } };
  assert.deepEqual(await allRows(old, '/api/v1/outlets', {}, 'outlets'), [{ id: 'O1' }]);
  assert.equal(seen.length, 2);
  const broken = { get: async () => { throw Object.assign(new Error('down'), { status: 503 }); } };
  await assert.rejects(allRows(broken, '/x', {}, 'x'), /down/);
});

test('waybillLines and manifestBody', () => {
  assert.deepEqual(waybillLines(' SF1\nSF2, SF3，SF4\n\n  SF5  SF2 '), ['SF1', 'SF2', 'SF3', 'SF4', 'SF5', 'SF2']);
  assert.deepEqual(waybillLines(''), []);
  assert.deepEqual(manifestBody({ outlet: ' O1 ', courier: ' 王 ', line: '', expectedAt: '2026-12-01T10:00', waybills: 'A\nB' }), {
    outlet: 'O1', courier: '王', line: '', expected_at: new Date(2026, 11, 1, 10, 0).toISOString(), waybills: ['A', 'B'],
  });
});

test('prohibitedBody drops blank rows and sets a known rule', () => {
  assert.deepEqual(prohibitedBody(' v2 ', [
    { code: ' L1 ', name: ' 锂电池 ', rule: 'restricted', note: ' 100Wh 以下 ' },
    { code: '', name: '', rule: 'forbidden', note: '' },
    { code: 'X', name: '炸药', rule: 'nonsense', note: '' },
  ]), { version: 'v2', items: [
    { code: 'L1', name: '锂电池', rule: 'restricted', note: '100Wh 以下' },
    { code: 'X', name: '炸药', rule: 'forbidden' },
  ] });
});

test('tariffBody sets the version on the edited table; tariffTable leaves the version out', () => {
  const cur = { version: 'v1', zones: { 110000: 'A' }, rates: { A: { first_grams: 1000, first_fen: 800, step_grams: 1000, step_fen: 200 } } };
  const text = tariffTable(cur);
  assert.ok(!text.includes('v1'));
  assert.deepEqual(tariffBody(' v2 ', text), { ...cur, version: 'v2' });
  assert.throws(() => tariffBody('v2', '{'), SyntaxError);
  assert.throws(() => tariffBody('v2', '[1]'), /not an object/);
  assert.deepEqual(Object.keys(JSON.parse(tariffTable(null))).sort(), ['insurance', 'max_weight_grams', 'rates', 'volumetric_divisor', 'zones']);
});

test('blockRow: each block\'s size and what is left of it; serials in eight digits', () => {
  assert.deepEqual([
    { prefix: 'YZ', first: 1, last: 100, next: 101 },
    { prefix: 'YZ', first: 101, last: 200, next: 151 },
    { prefix: 'YZ', first: 201, last: 300, next: 201 },
    { prefix: 'YZ', first: 301, last: 400 },
  ].map(blockRow), [{ size: 100, remaining: 0 }, { size: 100, remaining: 50 }, { size: 100, remaining: 100 }, { size: 100, remaining: 100 }]);
  assert.equal(serial(999), '00000999');
});

test('measuresQuery fills the defaults and drops what the route does not take', () => {
  const now = new Date(2026, 11, 1, 12);
  assert.deepEqual(measuresQuery({}, now), { from: '2026-11-23', to: '2026-11-29', by: 'outlet', period: 'week' });
  assert.deepEqual(measuresQuery({ from: '2026-11-01', to: '2026-11-30', by: 'region', period: 'day', junk: 1 }, now),
    { from: '2026-11-01', to: '2026-11-30', by: 'region', period: 'day' });
  assert.deepEqual(measuresQuery({ by: 'planet', period: 'year' }, now), { from: '2026-11-23', to: '2026-11-29', by: 'outlet', period: 'week' });
});

test('the pages keep to the page interface, "new" before ":id"', () => {
  for (const p of [measuresPage, ...noticePages, ...stockPages]) {
    assert.equal(typeof p.id, 'string');
    assert.match(p.path, /^\//);
    assert.ok(Array.isArray(p.roles) && p.roles.length, p.id);
    assert.equal(typeof p.render, 'function');
  }
  assert.deepEqual(measuresPage.roles, ['admin', 'analyst']);
  for (const list of [noticePages, stockPages]) {
    const paths = list.map((p) => p.path);
    for (const [i, p] of paths.entries()) {
      if (!p.endsWith('/:id')) continue;
      const nw = paths.indexOf(p.replace(':id', 'new'));
      assert.ok(nw >= 0 && nw < i, `${p.replace(':id', 'new')} comes before ${p}`);
    }
  }
  assert.deepEqual(noticePages.find((p) => p.path === '/notices/new').roles, ['admin', 'emergency']);
  assert.ok(noticePages.find((p) => p.path === '/notices').roles.includes('service'));
  // What the hub's route table lets each role do: administrators publish
  // stock, customer service and the emergency team read it.
  assert.deepEqual(stockPages.find((p) => p.path === '/manifests/new').roles, ['admin']);
  for (const p of stockPages.filter((x) => x.nav)) assert.deepEqual(p.roles, ['admin', 'service', 'emergency'], p.id);
});

test('an incident report makes a notice draft of its place, cause and impact, to its outlet', async () => {
  const { noticeDraft, photoURL } = await import('../static/pages/incidents.js');
  const words = {
    'inc.placeOutlet': 'outlet {outlet}', 'inc.draftTitle': '{place}: {cause}', 'icause.weather': 'Severe weather',
    'inc.draftText': '{occurred}: {place} / {cause}. {text} {parcels} parcels, {hours} h',
  };
  const t = (k, p = {}) => (words[k] ?? k).replace(/\{(\w+)\}/g, (_, n) => String(p[n]));
  const x = { id: 'i1', outlet: 'SH-001', occurred_at: '2026-12-01T08:00:00Z', cause: 'weather', text: 'flooded', parcels: 40, delay_hours: 12 };
  const d = noticeDraft(x, t, (v) => 'AT ' + v);
  assert.deepEqual(d, {
    title: 'outlet SH-001: Severe weather', text: 'AT 2026-12-01T08:00:00Z: outlet SH-001 / Severe weather. flooded 40 parcels, 12 h',
    severity: 'warning', outlets: ['SH-001'], incident: 'i1',
  });
  const other = noticeDraft({ ...x, place: 'Gate 3', cause: 'other', cause_text: 'a fallen tree' }, t, () => '');
  assert.equal(other.title, 'Gate 3: a fallen tree');
  assert.equal(photoURL('a/b', 'ff'), '/api/v1/incidents/a%2Fb/photos/ff');
});

test('noticeBody sends customer_messages only when turned off', () => {
  assert.equal(noticeBody({ title: 't', text: 'x', customerMessages: false }, scopeBody(['O1'], [])).customer_messages, false);
  assert.equal('customer_messages' in noticeBody({ title: 't', text: 'x', customerMessages: true }, scopeBody(['O1'], [])), false);
});

test('messageRows: start then recovery, every state a number, none for a notice that sent none', () => {
  assert.deepEqual(messageRows({ messages: { 'notice.end': { sent: 2 }, 'notice.start': { pending: 1, sent: 3, delivered: 0, failed: 1, cancelled: 2, capped: 7 } } }), [
    { kind: 'notice.start', pending: 1, sent: 3, delivered: 0, failed: 1, cancelled: 2, capped: 7 },
    { kind: 'notice.end', pending: 0, sent: 2, delivered: 0, failed: 0, cancelled: 0, capped: 0 },
  ]);
  assert.deepEqual(messageRows({ messages: {} }), []);
  assert.deepEqual(messageRows({}), []);
});

test('messageTotals: start messages that went and failed; none for a notice that sent none', () => {
  assert.deepEqual(messageTotals({ messages: { 'notice.start': { sent: 3, delivered: 2, failed: 1, pending: 4 }, 'notice.end': { sent: 9 } } }), { done: 5, failed: 1 });
  assert.equal(messageTotals({ messages: { 'notice.end': { sent: 1 } } }), null);
  assert.equal(messageTotals({}), null);
});
