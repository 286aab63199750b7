// The router's decisions, without a DOM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOf, paramOf, currentPage, decide, LOGIN, HOME } from '../static/router.js';

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
