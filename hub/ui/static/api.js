// The client of the hub's HTTP API: one fetch wrapper that sends the
// session cookie (same origin; the hub sets it at POST /api/v1/session),
// sends JSON as the type of every call that changes something (the hub
// refuses another type there, so no other site's form can post to it),
// decodes JSON, and turns failures into ApiErrors whose message is the
// screen's words for the error's code (error.<code> with its params).
//
// Pages reach it as ctx.api: get(path, query), post(path, body),
// put/patch(path, body), del(path, body), csvURL(path, query).

import { t, getLang } from './i18n.js';
import { fmtTime } from './format.js';

// An ApiError keeps the error's code and parameters, so a page can react to
// a code it knows.
export class ApiError extends Error {
  constructor(status, code, message, params) {
    super(message);
    this.status = status;
    this.code = code;
    this.params = params && typeof params === 'object' ? params : {};
  }
}

// errorText is the words for a failed response's decoded body. The hub
// answers {"error": {"code", "params", "message"}}: the dictionary's
// 'error.' + code, filled from params, wins; the hub's message (both
// languages) is the fallback for a code the screen does not know yet. t is
// the translator, a parameter so the rule is tested with any dictionary.
export function errorText(body, status, t) {
  const e = body?.error;
  if (typeof e === 'string' && e) return e;
  if (e && typeof e === 'object') {
    if (typeof e.code === 'string' && e.code) {
      const key = 'error.' + e.code;
      const s = t(key, e.params && typeof e.params === 'object' ? paramWords(e.params) : undefined);
      if (s !== key) return s;
    }
    if (typeof e.message === 'string' && e.message) return e.message;
  }
  return t('err.http', { status });
}

// paramWords writes list params (the filters a route knows) as a list, and
// times ("locked until …") as the screen writes times.
export function paramWords(params) {
  const out = {};
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) out[k] = v.join(', ');
    else if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) out[k] = fmtTime(v);
    else out[k] = v;
  }
  return out;
}

// queryString is '?a=1&b=2' for the query's set values ('' when none):
// empty strings, null, undefined and false are left out, so a filter the
// user left blank is not sent (the hub refuses filters it does not take, and
// a blank one would filter on ''); arrays repeat the name; true is 1.
export function queryString(query) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    for (const x of [v].flat()) {
      if (x === '' || x == null || x === false) continue;
      p.append(k, x === true ? '1' : String(x));
    }
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

// csvURL is the link that downloads a list as CSV: the same filters, every
// row (no page or cursor), headers in the screen's language.
export function csvURL(path, query, lang) {
  const q = { ...(query || {}) };
  delete q.cursor;
  delete q.limit;
  return path + queryString({ ...q, format: 'csv', lang: lang || 'zh' });
}

// requestInit is the fetch options of a call.
export function requestInit(method, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['Content-Type'] = 'application/json';
  return {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  };
}

// SESSION is the route of logging in and out; its own 401 (a wrong
// password) is an error to show, not a session that ended.
export const SESSION = '/api/v1/session';

// createApi returns the client over fetchFn. onSessionEnded runs when the
// hub refuses the session on any other route (it expired, or an
// administrator disabled the account).
export function createApi({ fetchFn, onSessionEnded, tr = t, lang = getLang }) {
  let offsetMs = 0;
  async function request(method, path, body) {
    let resp;
    try {
      resp = await fetchFn(path, requestInit(method, body));
    } catch {
      throw new ApiError(0, 'network', tr('err.network'));
    }
    // The hub's clock, from the Date header, so countdowns count from
    // head office's now rather than this PC's.
    const date = Date.parse(resp.headers?.get?.('Date') || '');
    if (!Number.isNaN(date)) offsetMs = date - Date.now();
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : {}; } catch { data = null; }
    if (resp.status === 401 && !path.startsWith(SESSION)) onSessionEnded?.(errorText(data, 401, tr));
    if (!resp.ok) {
      const e = data?.error;
      throw new ApiError(resp.status, e && typeof e === 'object' ? e.code : undefined, errorText(data, resp.status, tr), e?.params);
    }
    return data ?? {};
  }
  return {
    request,
    get: (path, query) => request('GET', path + queryString(query)),
    post: (path, body) => request('POST', path, body ?? {}),
    put: (path, body) => request('PUT', path, body ?? {}),
    patch: (path, body) => request('PATCH', path, body ?? {}),
    del: (path, body) => request('DELETE', path, body),
    csvURL: (path, query) => csvURL(path, query, lang()),
    // now is the hub's time as this screen last heard it.
    now: () => Date.now() + offsetMs,
  };
}

// loadSession asks the hub who is logged in: the session body, or null when
// nobody is (any refusal means the login page).
export async function loadSession(api) {
  try {
    const s = await api.get(SESSION);
    return s?.account ? s : null;
  } catch (e) {
    if (e.status === 401 || e.status === 403 || e.status === 404) return null;
    throw e;
  }
}

export function login(api, account, password) {
  return api.post(SESSION, { account, password });
}

export function logout(api) {
  return api.del(SESSION);
}
