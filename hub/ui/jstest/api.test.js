// The API client's rules, with a fake fetch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorText, queryString, csvURL, requestInit, createApi, loadSession, ApiError, paramWords } from '../static/api.js';
import { translate, setLang } from '../static/i18n.js';
import { fmtTime } from '../static/format.js';

const dicts = { zh: { 'error.auth.locked': '账号已锁定，至 {until}', 'err.http': '错误 {status}', 'error.request.unknown_filter': '不支持的筛选 {filter}（可用：{known}）' }, en: {} };
const tr = (k, v) => translate(dicts, 'zh', k, v);

test('errorText words a code from the dictionary with its params', () => {
  assert.equal(errorText({ error: { code: 'auth.locked', params: { until: '12:00' }, message: 'locked / 锁定' } }, 401, tr), '账号已锁定，至 12:00');
  // A list param is a list.
  assert.equal(errorText({ error: { code: 'request.unknown_filter', params: { filter: 'x', known: ['a', 'b'] } } }, 400, tr), '不支持的筛选 x（可用：a, b）');
  // A code the screen does not know falls back to the hub's message.
  assert.equal(errorText({ error: { code: 'new.code', message: 'hub words' } }, 400, tr), 'hub words');
  assert.equal(errorText({ error: 'plain' }, 500, tr), 'plain');
  assert.equal(errorText(null, 502, tr), '错误 502');
});

test('queryString leaves out blank filters', () => {
  assert.equal(queryString({}), '');
  assert.equal(queryString(undefined), '');
  assert.equal(queryString({ a: '', b: null, c: undefined, d: false }), '');
  assert.equal(queryString({ open: true, outlet: 'O 1', limit: 50 }), '?open=1&outlet=O+1&limit=50');
  assert.equal(queryString({ ids: ['a', 'b'] }), '?ids=a&ids=b');
});

test('csvURL keeps the filters and drops the page', () => {
  assert.equal(csvURL('/api/v1/complaints', { open: '1', limit: 50, cursor: 'abc', region: '' }, 'en'), '/api/v1/complaints?open=1&format=csv&lang=en');
  assert.equal(csvURL('/api/v1/audit', {}, undefined), '/api/v1/audit?format=csv&lang=zh');
});

test('requestInit sends JSON as the type of every change and the cookie', () => {
  assert.deepEqual(requestInit('GET').headers, { Accept: 'application/json' });
  assert.equal(requestInit('GET').credentials, 'same-origin');
  for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) assert.equal(requestInit(m).headers['Content-Type'], 'application/json', m);
  assert.equal(requestInit('POST', { a: 1 }).body, '{"a":1}');
  assert.equal(requestInit('DELETE').body, undefined);
});

// fakeFetch answers each call with the next of answers and records it.
function fakeFetch(answers) {
  const calls = [];
  const fn = async (path, init) => {
    calls.push({ path, ...init });
    const a = answers.shift();
    if (a instanceof Error) throw a;
    return { status: a.status, ok: a.status < 300, headers: { get: (k) => (k === 'Date' ? a.date || null : null) }, text: async () => (a.body === undefined ? '' : JSON.stringify(a.body)) };
  };
  return { fn, calls };
}

test('a 401 away from the session route ends the session; at login it is an error to show', async () => {
  const f = fakeFetch([
    { status: 401, body: { error: { code: 'auth.locked', params: { until: '12:00' } } } },
    { status: 401, body: { error: { code: 'auth.locked', params: { until: '13:00' } } } },
  ]);
  const ended = [];
  const api = createApi({ fetchFn: f.fn, onSessionEnded: (why) => ended.push(why), tr, lang: () => 'zh' });
  await assert.rejects(api.post('/api/v1/session', { account: 'a', password: 'b' }), (e) => e instanceof ApiError && e.code === 'auth.locked' && e.message === '账号已锁定，至 12:00');
  assert.deepEqual(ended, []);
  await assert.rejects(api.get('/api/v1/complaints', { open: 1 }), (e) => e.status === 401);
  assert.deepEqual(ended, ['账号已锁定，至 13:00']);
  assert.equal(f.calls[1].path, '/api/v1/complaints?open=1');
  assert.equal(f.calls[0].method, 'POST');
  assert.equal(f.calls[0].headers['Content-Type'], 'application/json');
});

test('a network failure is an ApiError with the screen\'s words', async () => {
  const api = createApi({ fetchFn: fakeFetch([new TypeError('down')]).fn, tr: (k) => k, lang: () => 'zh' });
  await assert.rejects(api.get('/api/v1/overview'), (e) => e.status === 0 && e.message === 'err.network');
});

test('now follows the hub\'s Date header', async () => {
  const hub = Date.now() - 6 * 3600 * 1000;
  const api = createApi({ fetchFn: fakeFetch([{ status: 200, body: {}, date: new Date(hub).toUTCString() }]).fn, tr, lang: () => 'zh' });
  await api.get('/api/v1/overview');
  assert.ok(Math.abs(api.now() - hub) < 60 * 1000, `${api.now()} vs ${hub}`);
});

test('loadSession: the account, or null when nobody is logged in', async () => {
  const body = { account: { id: 'a1', name: '甲', role: 'service' }, expires_at: '2026-12-01T20:00:00Z' };
  let api = createApi({ fetchFn: fakeFetch([{ status: 200, body }]).fn, tr, lang: () => 'zh' });
  assert.deepEqual(await loadSession(api), body);
  api = createApi({ fetchFn: fakeFetch([{ status: 401, body: { error: { code: 'auth.login_required' } } }]).fn, tr, lang: () => 'zh' });
  assert.equal(await loadSession(api), null);
  api = createApi({ fetchFn: fakeFetch([{ status: 500, body: {} }]).fn, tr, lang: () => 'zh' });
  await assert.rejects(loadSession(api), (e) => e.status === 500);
});

test('paramWords writes times as the screen does', () => {
  setLang('zh');
  const until = '2026-12-01T12:30:00Z';
  assert.deepEqual(paramWords({ until, account: 'li', failures: 5, known: ['a', 'b'] }), { until: fmtTime(until), account: 'li', failures: 5, known: 'a, b' });
  assert.notEqual(fmtTime(until), until);
  assert.equal(errorText({ error: { code: 'auth.locked', params: { until } } }, 401, tr), '账号已锁定，至 ' + fmtTime(until));
});
