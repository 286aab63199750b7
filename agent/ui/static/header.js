// The top of every page: navigation, who is logged in, the sync indicator,
// and the banner of special-period notices in force. It also keeps what it
// polls for the pages that need them: the last sync status (the outlet's
// id), the notices (in force, and recently ended with their recovery text)
// and the effects they have in force.

import { $, h, written } from './dom.js';
import { t, label, getLang, known } from './i18n.js';
import { api, currentStaff, errorText, loggedIn, syncFromHealth } from './api.js';
import { heardText, fmtDuration } from './format.js';
import { currentPage } from './router.js';

// The navigation, in the order of a counter's day.
export const NAV = ['scan', 'pickup', 'handover', 'dispatch', 'returns', 'sending', 'exceptions', 'complaints', 'incidents', 'notices', 'forecast', 'staff'];

// SUPERVISOR_ONLY are the pages a clerk is not shown (the agent refuses
// their requests anyway).
export const SUPERVISOR_ONLY = new Set(['staff']);

// navFor is the navigation a member of role sees.
export function navFor(role) {
  return NAV.filter((p) => role === 'supervisor' || !SUPERVISOR_ONLY.has(p));
}

export function renderHeader() {
  document.documentElement.lang = getLang() === 'zh' ? 'zh-CN' : 'en';
  document.title = t('app.name') + ' · Yizhan';
  $('#brand-name').textContent = t('app.name');
  $('#lang').textContent = t('lang.switch');
  const nav = $('#nav');
  const staff = currentStaff();
  const route = currentPage(location.hash, loggedIn());
  nav.hidden = !loggedIn();
  nav.replaceChildren(...navFor(staff?.role).map((p) => h('a', {
    href: '#/' + p, class: 'nav-link' + (route === p ? ' on' : ''), id: 'nav-' + p,
  }, t('nav.' + p))));
  $('#who').replaceChildren(...(staff ? [written('span', {}, staff.name || staff.id), ' · ' + label('role.', staff.role)] : []));
  $('#error-close').setAttribute('aria-label', t('close'));
  const out = $('#logout');
  out.hidden = !loggedIn();
  out.textContent = t('logout');
}

// ---------------------------------------------------------------------------
// Sync indicator

let lastSync = null;

// syncStatus is the agent's last answer to GET /api/v1/sync, null when it
// did not answer.
export function syncStatus() {
  return lastSync;
}

// refreshSync reads the sync status: the whole of it once logged in, and
// before login what /healthz tells anyone (online, backlog, last heard).
export async function refreshSync() {
  try {
    lastSync = loggedIn() ? await api('GET', '/api/v1/sync') : syncFromHealth(await api('GET', '/healthz'));
  } catch {
    lastSync = null;
  }
  renderSync();
}

// syncProblemText words why the link to head office is refused, from the
// status's last_problem (a catalog code and its params), while offline;
// '' when online or when the last error is not one the screen words.
export function syncProblemText(s) {
  if (!s || s.connected || !s.last_problem?.code) return '';
  return errorText({ error: s.last_problem }, 0, t);
}

export function renderSync() {
  const el = $('#sync');
  // Set on every redraw: the language may have just changed.
  el.title = t('sync.title');
  const s = lastSync;
  if (!s) {
    el.className = 'sync sync-down';
    el.replaceChildren(h('span', { class: 'dot' }), t('sync.unreachable'));
    return;
  }
  const parts = [h('span', { class: 'dot' }), h('b', { id: 'sync-state' }, s.connected ? t('sync.online') : t('sync.offline')),
    h('span', { id: 'sync-backlog' }, t('sync.backlog', { n: s.backlog ?? 0 }))];
  if (s.dead_letters > 0) parts.push(h('span', { class: 'sync-dead' }, t('sync.dead', { n: s.dead_letters })));
  // Head office refuses this outlet's events (a replaced PC, a conflict):
  // the backlog stays until someone acts, so say why and what to do.
  if (s.refused) parts.push(h('span', { id: 'sync-refused', class: 'sync-dead' }, refusedText(s.refused)));
  // Offline, the clerk needs to know for how long head office has been silent,
  // and why the agent refuses the link when it does (a certificate).
  if (!s.connected) parts.push(h('span', { id: 'sync-heard' }, heardText(s)));
  const why = syncProblemText(s);
  if (why) parts.push(h('span', { id: 'sync-problem', class: 'sync-problem', title: why }, why));
  const clock = clockText(s);
  if (clock) parts.push(h('span', { id: 'sync-clock', class: 'sync-clock', role: 'alert' }, clock));
  el.className = 'sync ' + (s.connected ? 'sync-up' : 'sync-off');
  el.replaceChildren(...parts);
}

// refusedText words the hub's refusal from the dictionary, or the hub's
// English reason for a code this screen does not know.
export function refusedText(r) {
  const key = 'error.' + r.code;
  return known(key) ? t(key, r.params || {}) : r.message;
}

// clockText is the clock problem of a sync status in the clerk's words
// with the fix, or '' when the PC's clock agrees with head office's.
export function clockText(s) {
  const p = s?.clock_problem;
  if (!p?.code) return '';
  const off = fmtDuration((p.offset_ms ?? 0) / 1000);
  return t('error.' + p.code, { ahead: off, behind: off });
}

// ---------------------------------------------------------------------------
// Notices

// NOTICES_PATH asks the agent for what the counter shows: the notices in
// force, and those that ended recently with head office's recovery text
// (for 7 days, lifecycle.RecoveryShown).
export const NOTICES_PATH = '/api/v1/notices?current=1';

let notices = [];
let effects = null;
const watchers = new Set();

// allNotices is the notices as last fetched, recently ended ones included
// (the notices page shows them as recovered).
export function allNotices() {
  return notices;
}

// noticeOrder puts the notices in force first and the ended ones after
// them, each group in the agent's order (newest first).
export function noticeOrder(list) {
  return [...list.filter((n) => !n.ended), ...list.filter((n) => n.ended)];
}

// bannerNotices are the ones the banner has room for: two, those in force
// before the recoveries.
export function bannerNotices(list, room = 2) {
  return noticeOrder(list).slice(0, room);
}

// activeNotices leaves out the ones that have ended.
export function activeNotices() {
  return notices.filter((n) => !n.ended);
}

// effectsInForce is what the active notices change at the counter, as the
// agent merged them (null for nothing): see effects.js.
export function effectsInForce() {
  return effects;
}

// setNotices replaces the list and the effects in force, redraws the
// banner and tells the watchers.
export function setNotices(list, eff = null) {
  notices = list;
  effects = eff || null;
  renderNoticeBanner();
  for (const fn of watchers) fn();
}

// watchNotices calls fn whenever the list changes, until scope ends.
export function watchNotices(fn, scope) {
  watchers.add(fn);
  scope.push(() => watchers.delete(fn));
}

export async function refreshNotices() {
  if (!loggedIn()) {
    setNotices([]);
    return;
  }
  let res;
  try {
    res = await api('GET', NOTICES_PATH);
  } catch {
    // Missing or failing notices must never block the counter; the
    // notices page shows the error when opened.
    return;
  }
  setNotices(res.notices || [], res.effects);
}

// renderNoticeBanner shows a notice in force with its severity and text,
// and an ended one as recovered with head office's recovery text.
export function renderNoticeBanner() {
  const b = $('#notice-banner');
  const shown = bannerNotices(notices);
  b.hidden = shown.length === 0;
  b.replaceChildren(...shown.map((n) => (n.ended
    ? h('a', { href: '#/notices', class: 'notice-item notice-recovered', 'data-id': n.id },
      h('b', {}, t('ntc.recovered') + ' · ', written('span', {}, n.title)), written('span', { class: 'notice-text' }, n.recovery_text || ''))
    : h('a', { href: '#/notices', class: 'notice-item sev-' + (n.severity || 'info'), 'data-id': n.id },
      h('b', {}, label('nsev.', (n.severity || 'info')) + ' · ', written('span', {}, n.title)), written('span', { class: 'notice-text' }, n.text)))));
}
