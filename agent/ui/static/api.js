// The client of the agent's HTTP API (docs/AGENT-API.md): one fetch wrapper
// that sends the session token, decodes JSON, and turns failures into
// ApiErrors whose message is ready for the error banner, in the screen's
// language when the dictionary knows the error's code.
//
// The session is the token and the staff record in sessionStorage: it ends
// with the tab, and a reload keeps it.

import { t } from './i18n.js';

const KEY_TOKEN = 'yz.token';
const KEY_STAFF = 'yz.staff';

// An ApiError keeps the error's code and parameters, so a page can offer
// the way on for a code it knows (shelving a parcel named as unshelved).
export class ApiError extends Error {
  constructor(status, code, message, params) {
    super(message);
    this.status = status;
    this.code = code;
    this.params = params && typeof params === 'object' ? params : {};
  }
}

// errorText is the words for a failed response's decoded body. The APIs
// answer {"error": {"code", "params", "message"}}: the dictionary's
// 'error.' + code, filled from params, wins; the agent's message (both
// languages) is the fallback for a code the screen does not know yet. An
// older agent's {"error": "text"} shows as it is. t is the translator, a
// parameter so the rule is tested with any dictionary.
export function errorText(body, status, t) {
  const e = body?.error;
  if (typeof e === 'string' && e) return e;
  if (e && typeof e === 'object') {
    if (typeof e.code === 'string' && e.code) {
      const key = 'error.' + e.code;
      // t answers the key itself when no dictionary has it.
      const s = t(key, e.params && typeof e.params === 'object' ? e.params : undefined);
      if (s !== key) return s;
    }
    if (typeof e.message === 'string' && e.message) return e.message;
  }
  return t('err.http', { status });
}

// errorCode is the machine code of a failed response's body, in either shape.
export function errorCode(body) {
  const e = body?.error;
  return e && typeof e === 'object' ? e.code : body?.code;
}

export function currentStaff() {
  try { return JSON.parse(sessionStorage.getItem(KEY_STAFF) || 'null'); } catch { return null; }
}

export function loggedIn() {
  return Boolean(sessionStorage.getItem(KEY_TOKEN));
}

// saveSession keeps a successful login's token and staff record.
export function saveSession(res, staffID) {
  sessionStorage.setItem(KEY_TOKEN, res.token);
  sessionStorage.setItem(KEY_STAFF, JSON.stringify(res.staff || { id: staffID }));
}

export function dropSession() {
  sessionStorage.removeItem(KEY_TOKEN);
  sessionStorage.removeItem(KEY_STAFF);
}

let sessionEnded = () => {};

// onSessionEnded sets what happens when the agent refuses the token: the
// entry sends the clerk back to the login page with the reason.
export function onSessionEnded(fn) {
  sessionEnded = fn;
}

// requestHeaders are the headers of a call: the session's token, and JSON
// as the type of every call that changes something, with a body or without
// (the agent refuses any other type there, so that no other site's form can
// post to it).
export function requestHeaders(method, token) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  return headers;
}

// syncFromHealth is the sync indicator's status before login, from the
// public GET /healthz (its "sync" part and the outlet): the same fields the
// header reads from GET /api/v1/sync, which needs a session. null when the
// agent did not say.
export function syncFromHealth(body) {
  const s = body?.sync;
  if (!s || typeof s !== 'object') return null;
  return { ...s, outlet: body.outlet };
}

// api calls the agent and returns the decoded JSON. Any 401 other than a
// failed login ends the session, if there is one, and returns to the login
// page.
export async function api(method, path, body) {
  const token = sessionStorage.getItem(KEY_TOKEN);
  const headers = requestHeaders(method, token);
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', t('err.network'));
  }
  const text = await resp.text();
  let data = null;
  try { data = text ? JSON.parse(text) : {}; } catch { data = null; }
  const isLogin = method === 'POST' && path === '/api/v1/session';
  if (resp.status === 401 && !isLogin && token) {
    sessionEnded(t('err.session'));
    throw new ApiError(401, 'unauthorized', t('err.session'));
  }
  if (!resp.ok) throw new ApiError(resp.status, errorCode(data), errorText(data, resp.status, t), data?.error?.params);
  return data ?? {};
}

// findParcels asks the agent for the parcels matching a pickup code, a
// waybill or a phone's last four digits.
export async function findParcels(params) {
  return (await api('GET', '/api/v1/parcels/find?' + new URLSearchParams(params))).parcels || [];
}
