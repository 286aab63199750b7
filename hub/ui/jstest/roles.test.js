// Which pages each role sees: the screen's real page list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PAGES } from '../static/main.js';
import { ROLES, allows, navFor, pagesByRole } from '../static/roles.js';

test('every page has an id, a path and a render; every page but login names known roles', () => {
  const ids = new Set();
  for (const p of PAGES) {
    assert.equal(typeof p.id, 'string', JSON.stringify(p));
    assert.ok(!ids.has(p.id), 'duplicate page ' + p.id);
    ids.add(p.id);
    assert.match(p.path, /^\//, p.id);
    assert.equal(typeof p.render, 'function', p.id);
    if (p.id === 'login') { assert.equal(p.roles, undefined); continue; }
    assert.ok(Array.isArray(p.roles) && p.roles.length > 0, p.id + ' names no roles');
    for (const r of p.roles) assert.ok(ROLES.includes(r), `${p.id}: unknown role ${r}`);
  }
});

test('each role sees its pages, in the navigation\'s order', () => {
  // The roles of the hub's route table: a page is in a role's navigation
  // when the role may call the routes the page reads.
  assert.deepEqual(pagesByRole(PAGES), {
    admin: ['overview', 'outlets', 'parcels', 'complaints', 'exceptions', 'templates', 'review', 'measures', 'forecast', 'calendar', 'customers', 'classes', 'surveys', 'notices', 'incidents', 'manifests', 'tariffs', 'prohibited', 'waybills', 'audit', 'accounts'],
    service: ['overview', 'outlets', 'parcels', 'complaints', 'exceptions', 'templates', 'review', 'forecast', 'calendar', 'customers', 'classes', 'surveys', 'notices', 'incidents', 'manifests', 'tariffs', 'prohibited', 'waybills'],
    emergency: ['overview', 'outlets', 'complaints', 'templates', 'forecast', 'calendar', 'surveys', 'notices', 'incidents', 'manifests', 'tariffs', 'prohibited', 'waybills'],
    analyst: ['overview', 'outlets', 'complaints', 'exceptions', 'measures', 'forecast', 'calendar', 'customers', 'classes', 'surveys'],
    auditor: ['outlets', 'audit'],
  });
  for (const r of ROLES) assert.ok(!navFor(PAGES, r).some((p) => p.id === 'login'), r);
});

test('a page reached from another has its list\'s roles', () => {
  const byID = Object.fromEntries(PAGES.map((p) => [p.id, p]));
  for (const [one, list] of [['outlet', 'outlets'], ['parcel', 'parcels'], ['complaint', 'complaints'], ['exception', 'exceptions'], ['incident', 'incidents'], ['notice', 'notices'], ['manifest', 'manifests'], ['customer', 'customers']]) {
    assert.equal(byID[one].nav, undefined, one);
    assert.deepEqual(byID[one].roles, byID[list].roles, one);
  }
});

test('allows and navFor', () => {
  const pages = [{ id: 'a', path: '/a', roles: ['admin'], nav: 'nav.a' }, { id: 'b', path: '/b', roles: ['admin', 'auditor'], nav: 'nav.b' },
    { id: 'b1', path: '/b/:id', roles: ['admin', 'auditor'] }, { id: 'login', path: '/login' }];
  assert.ok(allows(pages[3], 'auditor'));
  assert.ok(!allows(pages[0], 'auditor'));
  assert.ok(allows(pages[2], 'auditor'));
  assert.deepEqual(navFor(pages, 'auditor').map((p) => p.id), ['b']);
  assert.deepEqual(navFor(pages, 'admin').map((p) => p.id), ['a', 'b']);
  assert.deepEqual(navFor(pages, 'nobody'), []);
  assert.deepEqual(pagesByRole(pages).admin, ['a', 'b']);
});
