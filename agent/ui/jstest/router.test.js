// The router's decisions, without a DOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOf, paramOf, currentPage, decide, createRouter, LOGIN, HOME } from '../static/router.js';

test('pageOf', () => {
  for (const [hash, want] of [['', ''], ['#', ''], ['#/', ''], ['#/scan', 'scan'], ['#scan', 'scan'],
    ['#/handover?id=H1', 'handover'], ['#/handover?', 'handover'], [undefined, '']]) {
    assert.equal(pageOf(hash), want, String(hash));
  }
});

test('paramOf', () => {
  assert.equal(paramOf('#/handover?id=H1', 'id'), 'H1');
  assert.equal(paramOf('#/handover?id=H%201&x=2', 'id'), 'H 1');
  assert.equal(paramOf('#/handover?id=H%201&x=2', 'x'), '2');
  assert.equal(paramOf('#/handover', 'id'), null);
  assert.equal(paramOf('', 'id'), null);
});

test('currentPage starts at the login or the scan page', () => {
  assert.equal(currentPage('', false), LOGIN);
  assert.equal(currentPage('', true), HOME);
  assert.equal(currentPage('#/nope', true), 'nope');
});

test('decide', () => {
  const pages = new Set(['login', 'scan', 'pickup', 'handover']);
  const known = (p) => pages.has(p);
  for (const [hash, signedIn, want] of [
    ['', false, { page: 'login' }],
    ['#/login', false, { page: 'login' }],
    // Not logged in: every other page sends the clerk to the login first.
    ['#/pickup', false, { redirect: '#/login' }],
    ['#/nope', false, { redirect: '#/login' }],
    ['#/handover?id=H1', false, { redirect: '#/login' }],
    ['', true, { page: 'scan' }],
    ['#/login', true, { page: 'scan' }],
    ['#/pickup', true, { page: 'pickup' }],
    ['#/handover?id=H1', true, { page: 'handover' }],
    ['#/nope', true, { page: 'scan' }],
  ]) {
    assert.deepEqual(decide(hash, signedIn, known), want, `${hash} signedIn=${signedIn}`);
  }
});

// createRouter with a fake root and location: the page's scope is stopped
// when the page changes, so its timers never pile up.
test('createRouter renders the page and stops the one before', () => {
  globalThis.location = { hash: '#/scan' };
  const root = { dataset: {}, cleared: 0, replaceChildren() { this.cleared++; } };
  const log = [];
  let signedIn = true;
  const page = (name) => (r, scope) => {
    assert.equal(r, root);
    log.push('render ' + name);
    scope.push(() => log.push('stop ' + name));
  };
  const route = createRouter({
    root, signedIn: () => signedIn,
    pages: { login: page('login'), scan: page('scan'), pickup: page('pickup') },
    before: (p) => log.push('before ' + p),
    after: (p) => log.push('after ' + p),
  });
  route();
  assert.equal(root.dataset.page, 'scan');
  location.hash = '#/pickup';
  route();
  // Not a page of its own, whatever Object.prototype has.
  location.hash = '#/constructor';
  route();
  assert.deepEqual(log, ['before scan', 'render scan', 'after scan',
    'stop scan', 'before pickup', 'render pickup', 'after pickup',
    'stop pickup', 'before scan', 'render scan', 'after scan']);
  assert.equal(root.cleared, 3);
  // Logged out: a redirect, and nothing rendered or stopped until the
  // hashchange routes again.
  signedIn = false;
  log.length = 0;
  route();
  assert.equal(location.hash, '#/login');
  assert.deepEqual(log, []);
  route();
  assert.deepEqual(log, ['stop scan', 'before login', 'render login', 'after login']);
  assert.equal(root.dataset.page, 'login');
});
