// errorText and the fetch wrapper. The browser's fetch and sessionStorage
// are replaced by hand-written fakes.
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { t, translate, setLang } from '../static/i18n.js';
import { api, ApiError, errorText, errorCode, onSessionEnded, loggedIn, saveSession, currentStaff, dropSession, findParcels, requestHeaders, syncFromHealth } from '../static/api.js';

const dict = {
  zh: { 'error.parcel.not_in_stock': '{waybill} 不在库', 'error.plain': '出错了', 'err.http': '请求失败（HTTP {status}）' },
  en: { 'error.parcel.not_in_stock': '{waybill} is not in stock', 'err.http': 'Request failed (HTTP {status})' },
};
const zhT = (key, vars) => translate(dict, 'zh', key, vars);
const enT = (key, vars) => translate(dict, 'en', key, vars);

test('errorText: a known code speaks the dictionary, filled from params', () => {
  const body = { error: { code: 'parcel.not_in_stock', params: { waybill: 'SF1' }, message: '包裹 SF1 不在库 / parcel SF1 is not in stock' }, state: 'picked_up', allowed: [] };
  assert.equal(errorText(body, 409, zhT), 'SF1 不在库');
  assert.equal(errorText(body, 409, enT), 'SF1 is not in stock');
  // A key only Chinese has still beats the fallback message.
  assert.equal(errorText({ error: { code: 'plain', message: 'm' } }, 400, enT), '出错了');
  // Without params the placeholders stay, as everywhere else.
  assert.equal(errorText({ error: { code: 'parcel.not_in_stock', message: 'm' } }, 409, enT), '{waybill} is not in stock');
});

test('errorText: an unknown code shows the agent\'s message', () => {
  assert.equal(errorText({ error: { code: 'parcel.teleported', params: {}, message: '包裹已传送 / parcel teleported' } }, 409, enT),
    '包裹已传送 / parcel teleported');
  assert.equal(errorText({ error: { message: 'no code at all' } }, 500, enT), 'no code at all');
  // Params that are not an object are ignored, not spread.
  assert.equal(errorText({ error: { code: 'parcel.not_in_stock', params: 'SF1', message: 'm' } }, 409, enT), '{waybill} is not in stock');
});

test('errorText: today\'s string shape shows as it is', () => {
  assert.equal(errorText({ error: '运单号为空 / barcode is empty', code: 'input' }, 400, enT), '运单号为空 / barcode is empty');
});

test('errorText: nothing usable says the HTTP status', () => {
  for (const body of [null, undefined, {}, { error: '' }, { error: {} }, { error: { code: '', message: '' } }, { error: 42 }, 'text']) {
    assert.equal(errorText(body, 502, enT), 'Request failed (HTTP 502)', JSON.stringify(body));
  }
  assert.equal(errorText(null, 500, zhT), '请求失败（HTTP 500）');
});

test('errorText with the real dictionaries keeps the err.* texts', () => {
  assert.equal(errorText({}, 503, t), '请求失败（HTTP 503）');
  setLang('en');
  try {
    assert.equal(errorText({}, 503, t), 'Request failed (HTTP 503)');
  } finally {
    setLang('zh');
  }
});

test('errorCode reads both shapes', () => {
  assert.equal(errorCode({ error: { code: 'parcel.not_in_stock' } }), 'parcel.not_in_stock');
  assert.equal(errorCode({ error: 'text', code: 'no_route' }), 'no_route');
  assert.equal(errorCode(null), undefined);
});

// A fake browser: sessionStorage as a Map, fetch answering from a table.
class FakeStorage {
  constructor() { this.m = new Map(); }
  getItem(k) { return this.m.has(k) ? this.m.get(k) : null; }
  setItem(k, v) { this.m.set(k, String(v)); }
  removeItem(k) { this.m.delete(k); }
}

let requests;
let answer;
beforeEach(() => {
  globalThis.sessionStorage = new FakeStorage();
  requests = [];
  answer = () => new Response('{}', { status: 200 });
  globalThis.fetch = async (path, init) => {
    requests.push({ path, ...init });
    return answer(path, init);
  };
});

// A 204 has no body at all; a string is sent as it is, anything else as JSON.
const json = (status, body) => () => new Response(status === 204 ? null : typeof body === 'string' ? body : JSON.stringify(body), { status });

test('api sends JSON and the session token, and decodes the answer', async () => {
  saveSession({ token: 'tok1', staff: { id: 'c01', name: '张三' } }, 'c01');
  assert.ok(loggedIn());
  assert.deepEqual(currentStaff(), { id: 'c01', name: '张三' });
  answer = json(201, { parcel: { waybill: 'SF1' } });
  const res = await api('POST', '/api/v1/parcels/inbound', { barcode: 'SF1' });
  assert.deepEqual(res, { parcel: { waybill: 'SF1' } });
  assert.equal(requests[0].headers.Authorization, 'Bearer tok1');
  assert.equal(requests[0].headers['Content-Type'], 'application/json');
  assert.equal(requests[0].body, '{"barcode":"SF1"}');
  answer = json(204);
  assert.deepEqual(await api('DELETE', '/api/v1/session'), {});
  assert.equal(requests[1].body, undefined);
  // Every change is sent as JSON, with a body or without: the agent
  // refuses anything else there (no other site's form can post to it).
  assert.equal(requests[1].headers['Content-Type'], 'application/json');
  assert.equal(requests[1].headers.Authorization, 'Bearer tok1');
});

test('requestHeaders: JSON for every change, the token when there is one', () => {
  for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    assert.equal(requestHeaders(m, '')['Content-Type'], 'application/json', m);
  }
  assert.equal(requestHeaders('GET', 'tok')['Content-Type'], undefined);
  assert.equal(requestHeaders('GET', 'tok').Authorization, 'Bearer tok');
  assert.equal(requestHeaders('POST', null).Authorization, undefined);
  assert.equal(requestHeaders('GET', '').Accept, 'application/json');
});

test('syncFromHealth: the public part of the sync status, with the outlet', () => {
  assert.deepEqual(syncFromHealth({ status: 'ok', outlet: 'SH-001', sync: { connected: false, backlog: 3, dead_letters: 0, last_heard: 'x', last_heard_ago_s: 12 } }),
    { connected: false, backlog: 3, dead_letters: 0, last_heard: 'x', last_heard_ago_s: 12, outlet: 'SH-001' });
  for (const body of [null, {}, { status: 'ok' }, { sync: 'up' }]) {
    assert.equal(syncFromHealth(body), null, JSON.stringify(body));
  }
});

test('a 401 before login ends no session', async () => {
  const ended = [];
  onSessionEnded((reason) => ended.push(reason));
  answer = json(401, { error: { code: 'auth.login_required', message: 'log in first' } });
  await assert.rejects(api('GET', '/api/v1/sync'), { status: 401 });
  assert.deepEqual(ended, []);
});

test('api turns an error body into an ApiError with the words to show', async () => {
  answer = json(409, { error: { code: 'parcel.not_in_stock', params: { waybill: 'SF1' }, message: '包裹 SF1 不在库 / parcel SF1 is not in stock' } });
  await assert.rejects(api('POST', '/api/v1/parcels/SF1/pickup', {}), (err) => {
    assert.ok(err instanceof ApiError);
    assert.equal(err.status, 409);
    assert.equal(err.code, 'parcel.not_in_stock');
    // The real dictionary has no such key yet: the fallback message shows.
    assert.equal(err.message, '包裹 SF1 不在库 / parcel SF1 is not in stock');
    // The parameters travel too, for a page that offers the way on.
    assert.deepEqual(err.params, { waybill: 'SF1' });
    return true;
  });
  answer = json(404, { error: '接口不存在 / no such API route: GET /api/v1/x', code: 'no_route' });
  await assert.rejects(api('GET', '/api/v1/x'), { status: 404, code: 'no_route', message: '接口不存在 / no such API route: GET /api/v1/x' });
  answer = json(502, '<html>bad gateway</html>');
  await assert.rejects(api('GET', '/api/v1/sync'), { status: 502, message: '请求失败（HTTP 502）' });
});

test('api says when the agent cannot be reached', async () => {
  globalThis.fetch = async () => { throw new TypeError('fetch failed'); };
  await assert.rejects(api('GET', '/api/v1/sync'), { status: 0, code: 'network', message: t('err.network') });
});

test('a refused token ends the session, a refused login does not', async () => {
  const ended = [];
  onSessionEnded((reason) => ended.push(reason));
  saveSession({ token: 'old' }, 'c01');
  answer = json(401, { error: 'bad pin' });
  await assert.rejects(api('POST', '/api/v1/session', { staff_id: 'c01', pin: '0' }), { status: 401, message: 'bad pin' });
  assert.deepEqual(ended, []);
  await assert.rejects(api('GET', '/api/v1/parcels'), { status: 401, code: 'unauthorized', message: t('err.session') });
  assert.deepEqual(ended, [t('err.session')]);
  dropSession();
  assert.ok(!loggedIn());
  assert.equal(currentStaff(), null);
  // A staff record that is not JSON reads as no one.
  sessionStorage.setItem('yz.staff', '{');
  assert.equal(currentStaff(), null);
});

test('findParcels asks with the given parameters', async () => {
  answer = json(200, { parcels: [{ waybill: 'SF1' }] });
  assert.deepEqual(await findParcels({ waybill: 'SF 1' }), [{ waybill: 'SF1' }]);
  assert.equal(requests[0].path, '/api/v1/parcels/find?waybill=SF+1');
  answer = json(200, {});
  assert.deepEqual(await findParcels(new URLSearchParams({ phone_last4: '5678', code: '1-2-3' })), []);
  assert.equal(requests[1].path, '/api/v1/parcels/find?phone_last4=5678&code=1-2-3');
});
