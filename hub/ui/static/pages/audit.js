// The audit trail: every head-office action and every outlet's audit event
// (logins, personal data viewed) as they sync, filtered by time, person,
// origin and action, paged and exported as CSV.

import { h, written } from '../dom.js';
import { fmtTime } from '../format.js';
import { listView } from '../list.js';

export const ROLES = ['admin', 'auditor'];

// dayBound turns a date the filter's date picker gives (YYYY-MM-DD, the
// PC's local day) into the RFC 3339 instant the hub takes: the day's start
// for "from", the next day's start for "to" (the whole day included).
export function dayBound(day, end) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(day || ''));
  if (!m) return day || '';
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (end ? 1 : 0));
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// auditQuery is the hash's query as the hub takes it.
export function auditQuery(query) {
  const q = { ...query };
  if (q.from) q.from = dayBound(q.from, false);
  if (q.to) q.to = dayBound(q.to, true);
  return q;
}

export const page = {
  id: 'audit',
  path: '/audit',
  roles: ROLES,
  nav: 'nav.audit',
  reads: ['GET /api/v1/audit'],
  render(ctx) {
    const { t } = ctx;
    const filters = [
      { name: 'from', label: 'aud.f.from', type: 'date' },
      { name: 'to', label: 'aud.f.to', type: 'date' },
      { name: 'actor', label: 'aud.f.actor', size: 10 },
      { name: 'origin', label: 'aud.f.origin', size: 10, placeholder: 'aud.f.originHint' },
      { name: 'action', label: 'aud.f.action', size: 14 },
    ];
    const api = { ...ctx.api, get: (p, q) => ctx.api.get(p, auditQuery(q)), csvURL: (p, q) => ctx.api.csvURL(p, auditQuery(q)) };
    const list = listView({ ...ctx, api }, {
      path: '/api/v1/audit', key: 'audit', filters,
      columns: [
        { label: 'aud.col.at', class: 'nowrap', cell: (a) => fmtTime(a.at) },
        { label: 'aud.col.origin', cell: (a) => (a.origin === 'hub' ? t('case.hq') : written('span', {}, a.origin)) },
        { label: 'aud.col.actor', class: 'nowrap', cell: (a) => written('span', {}, a.actor) },
        { label: 'aud.col.role', class: 'nowrap', cell: (a) => written('span', {}, a.role || '') },
        { label: 'aud.col.action', cell: (a) => written('code', {}, a.action) },
        { label: 'aud.col.subject', cell: (a) => written('span', {}, a.subject || '') },
        { label: 'aud.col.detail', cell: (a) => written('span', {}, a.detail || '') },
        { label: 'aud.col.client', cell: (a) => written('span', {}, a.client || '') },
      ],
    });
    return { node: h('div', {}, h('h1', {}, t('aud.title')), list.node), dispose: list.dispose };
  },
};
