// The router's decisions, without a DOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHash, hrefOf, matchPath, findPage, decide, createRouter } from '../static/router.js';

test('parseHash', () => {
  for (const [hash, path, query] of [
    ['', '/', {}], ['#', '/', {}], ['#/', '/', {}], ['#/outlets', '/outlets', {}], ['#outlets/', '/outlets', {}],
    ['#/outlets/O1?tab=dead', '/outlets/O1', { tab: 'dead' }], ['#/complaints?open=1&region=%E5%8D%8E%E4%B8%9C', '/complaints', { open: '1', region: '华东' }],
  ]) assert.deepEqual(parseHash(hash), { path, query }, hash);
});

test('hrefOf leaves out blank values', () => {
  assert.equal(hrefOf('/complaints', { open: '1', region: '', x: null }), '#/complaints?open=1');
  assert.equal(hrefOf('/', {}), '#/');
  assert.deepEqual(parseHash(hrefOf('/parcels', { q: 'SF 1&2' })), { path: '/parcels', query: { q: 'SF 1&2' } });
});

test('matchPath', () => {
  assert.deepEqual(matchPath('/', '/'), {});
  assert.deepEqual(matchPath('/outlets', '/outlets'), {});
  assert.equal(matchPath('/outlets', '/outlets/O1'), null);
  assert.deepEqual(matchPath('/outlets/:id', '/outlets/O%201'), { id: 'O 1' });
  assert.equal(matchPath('/outlets/:id', '/outlets/%E0%A4%A'), null);
  assert.equal(matchPath('/complaints/:id', '/exceptions/X'), null);
});

const P = (id, path, roles) => ({ id, path, roles, render: () => null });
const pages = [P('overview', '/', ['admin', 'service', 'auditor']), P('login', '/login'), P('outlets', '/outlets', ['admin']), P('outlet', '/outlets/:id', ['admin']), P('audit', '/audit', ['admin', 'auditor'])];

test('findPage', () => {
  assert.equal(findPage(pages, '/outlets/O1').page.id, 'outlet');
  assert.deepEqual(findPage(pages, '/outlets/O1').params, { id: 'O1' });
  assert.equal(findPage(pages, '/nope'), null);
});

test('decide', () => {
  const admin = { id: 'a', role: 'admin' }, auditor = { id: 'b', role: 'auditor' };
  const d = (hash, acct) => {
    const r = decide(hash, acct, pages);
    return r.redirect ? r : { page: r.page?.id ?? null, params: r.params };
  };
  // Nobody logged in: the login page and nothing else.
  assert.deepEqual(d('', null), { redirect: '#/login' });
  assert.deepEqual(d('#/outlets', null), { redirect: '#/login' });
  assert.deepEqual(d('#/login', null), { page: 'login', params: {} });
  // Logged in: home from the login page and from pages that do not exist.
  assert.deepEqual(d('#/login', admin), { redirect: '#/' });
  assert.deepEqual(d('#/nope', admin), { redirect: '#/' });
  assert.deepEqual(d('', admin), { page: 'overview', params: {} });
  assert.deepEqual(d('#/outlets/O1', admin), { page: 'outlet', params: { id: 'O1' } });
  // A page outside the role sends the user home.
  assert.deepEqual(d('#/outlets', auditor), { redirect: '#/' });
  assert.deepEqual(d('#/audit', auditor), { page: 'audit', params: {} });
  // A role without the overview starts at its first page of the
  // navigation; one with no page at all still gets an answer, not a loop.
  const nav = [...pages.slice(0, 4), { ...pages[4], nav: 'nav.audit' }];
  assert.deepEqual(decide('#/', { role: 'auditor' }, [{ ...nav[0], roles: ['admin'], nav: 'nav.overview' }, ...nav.slice(1)]), { redirect: '#/audit' });
  assert.deepEqual(d('#/', { role: 'emergency' }), { page: null, params: {} });
});

// createRouter with a fake root and location: the page before is disposed
// of, and a slow render the user left is thrown away.
test('createRouter disposes of the page before and drops stale renders', async () => {
  globalThis.location = { hash: '#/outlets' };
  const root = { dataset: {}, children: [], replaceChildren(...c) { this.children = c; } };
  const log = [];
  let release;
  const slow = new Promise((r) => { release = r; });
  const ps = [
    { id: 'overview', path: '/', roles: ['admin'], render: () => ({ node: 'ov', dispose: () => log.push('dispose ov') }) },
    { id: 'outlets', path: '/outlets', roles: ['admin'], render: async () => { await slow; return { node: 'slow', dispose: () => log.push('dispose slow') }; } },
    { id: 'login', path: '/login', render: () => 'login' },
  ];
  const route = createRouter({ root, pages: ps, account: () => ({ role: 'admin' }), ctxFor: (d) => d, after: (d) => log.push('after ' + d.page.id) });
  const first = route();
  location.hash = '#/';
  await route();
  assert.deepEqual(root.children, ['ov']);
  release();
  await first;
  // The slow page finished after the user moved on: disposed of, not shown.
  assert.deepEqual(root.children, ['ov']);
  assert.deepEqual(log, ['after overview', 'dispose slow']);
  location.hash = '#/login';
  await route();
  assert.equal(location.hash, '#/');
});
