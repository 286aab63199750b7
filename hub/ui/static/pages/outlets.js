// Every outlet's sync health at a glance: connected now, last seen, the
// backlog it holds unacknowledged, its oldest unsynced event, its clock's
// offset, dead letters and refused conflicting events, with its region and
// city; filters and CSV. A row opens the outlet.

import { h, written } from '../dom.js';
import { label } from '../i18n.js';
import { ago, offset, count } from '../format.js';
import { hrefOf } from '../router.js';
import { listView } from '../list.js';
import { ROLES } from '../roles.js';

export { ROLES } from '../roles.js';

// OFFSET_WARN is how far an outlet's clock may be off before the screen
// marks it: the hub's default [clock] max_skew, 1 minute.
export const OFFSET_WARN_MS = 60 * 1000;

// health is an outlet's state in one word: 'ok', 'stale' (not connected),
// or 'trouble' (connected, but dead letters, conflicts or a wrong clock).
export function health(o) {
  if (!o.connected) return 'stale';
  if (o.dead_letters > 0 || o.conflicts > 0 || Math.abs(o.clock_offset_ms || 0) > OFFSET_WARN_MS) return 'trouble';
  return 'ok';
}

const TAG = { ok: 'tag tag-ok', stale: 'tag tag-bad', trouble: 'tag tag-bad' };

export const page = {
  id: 'outlets',
  path: '/outlets',
  roles: ROLES,
  nav: 'nav.outlets',
  reads: ['GET /api/v1/outlets'],
  render(ctx) {
    const { t } = ctx;
    const now = () => ctx.api.now();
    const list = listView(ctx, {
      path: '/api/v1/outlets', key: 'outlets',
      filters: [
        { name: 'q', label: 'out.f.q', size: 10 },
        { name: 'region', label: 'out.f.region', size: 8 },
        { name: 'city', label: 'out.f.city', size: 8 },
        { name: 'connected', label: 'out.f.connected', type: 'select', options: ['1', '0'], optionLabel: (v) => label('out.connected.', v) },
      ],
      columns: [
        { label: 'out.col.id', cell: (o) => h('a', { href: hrefOf('/outlets/' + encodeURIComponent(o.id)), 'data-outlet': o.id }, written('span', {}, o.id)) },
        { label: 'out.col.where', cell: (o) => written('span', {}, [o.region, o.city].filter(Boolean).join(' · ')) },
        { label: 'out.col.health', cell: (o) => h('span', { class: TAG[health(o)] }, t('out.health.' + health(o))) },
        { label: 'out.col.lastSeen', cell: (o) => ago(o.last_seen, now()) },
        { label: 'out.col.backlog', class: 'num', cell: (o) => count(o.backlog) },
        { label: 'out.col.oldest', cell: (o) => (o.oldest_unsynced_at ? ago(o.oldest_unsynced_at, now()) : '—') },
        { label: 'out.col.offset', class: 'num', cell: (o) => h('span', { class: Math.abs(o.clock_offset_ms || 0) > OFFSET_WARN_MS ? 'bad' : null }, offset(o.clock_offset_ms)) },
        { label: 'out.col.dead', class: 'num', cell: (o) => h('span', { class: o.dead_letters > 0 ? 'bad' : null }, count(o.dead_letters)) },
        { label: 'out.col.conflicts', class: 'num', cell: (o) => h('span', { class: o.conflicts > 0 ? 'bad' : null }, count(o.conflicts)) },
      ],
    });
    return { node: h('div', {}, h('h1', {}, t('out.title')), list.node), dispose: list.dispose };
  },
};
